"""The loopback site used by the demo, tests and benchmarks."""

import socket
import struct
import time

import httpx

from commentary_monitor.localsite import LocalSite


def test_a_client_resetting_a_kept_alive_connection_prints_nothing(capfd):
    with LocalSite() as site:
        site.add("/a", "<p>hello</p>")
        # One request on a kept-alive connection, then a reset (SO_LINGER 0) while the server
        # waits for the next request: what a fetcher's pool does when it closes.
        s = socket.create_connection(("127.0.0.1", site.port))
        s.sendall(b"GET /a HTTP/1.1\r\nHost: x\r\n\r\n")
        assert b"hello" in s.recv(4096) or b"hello" in s.recv(4096)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        s.close()
        time.sleep(0.3)
        assert httpx.get(site.url("/a")).text == "<p>hello</p>"   # still serving
    err = capfd.readouterr().err
    assert "Traceback" not in err and "ConnectionResetError" not in err, err
