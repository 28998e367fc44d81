import asyncio
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from commentary_monitor.config import FetchSettings
from commentary_monitor.errors import FetchError
from commentary_monitor.fetch import check_url, fetch_many


def settings(*allow: str, **kw) -> FetchSettings:
    return FetchSettings(allow_private=frozenset(allow), **kw)


def test_get_ok_and_error_kinds(site):
    site.add("/ok", "<html>hello</html>")
    site.add("/gone", "gone", "text/plain", status=410)
    site.add("/big", "x" * 5000, "text/plain")
    out = fetch_many([site.url("/ok"), site.url("/missing"), site.url("/gone"), site.url("/big")],
                     settings(site.host_port), max_bytes=2000)
    ok, missing, gone, big = out
    assert ok.status == 200 and ok.content == b"<html>hello</html>" and ok.content_type == "text/html"
    assert isinstance(missing, FetchError) and missing.kind == "http" and missing.status == 404
    assert isinstance(gone, FetchError) and gone.status == 410
    assert isinstance(big, FetchError) and big.kind == "too_large" and "Content-Length" in big.message


def test_identifying_user_agent_is_sent():
    seen = {}

    class H(BaseHTTPRequestHandler):
        def do_GET(self):
            seen["ua"] = self.headers.get("User-Agent")
            self.send_response(200)
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"ok")

        def log_message(self, *a):
            pass

    with _server(H) as port:
        fetch_many([f"http://127.0.0.1:{port}/"], settings(f"127.0.0.1:{port}", user_agent="cm-test (+https://x.example)"), 100)
    assert seen["ua"] == "cm-test (+https://x.example)"


def test_loopback_is_refused_unless_allowed(site):
    site.add("/ok", "fine")
    (refused,) = fetch_many([site.url("/ok")], settings(), 1000)
    assert isinstance(refused, FetchError) and refused.kind == "blocked"
    assert "loopback" in refused.message and site.host_port in refused.message
    assert site.hits == []   # never requested


def test_redirect_hops_are_checked(site):
    with _redirect_server(site.url("/ok")) as port:
        site.add("/ok", "fine")
        # The first hop is allowed, the target (another loopback port) is not.
        (out,) = fetch_many([f"http://127.0.0.1:{port}/"], settings(f"127.0.0.1:{port}"), 1000)
        assert isinstance(out, FetchError) and out.kind == "blocked"
        assert site.hits == []
        (out,) = fetch_many([f"http://127.0.0.1:{port}/"], settings(f"127.0.0.1:{port}", site.host_port), 1000)
        assert out.content == b"fine" and out.final_url == site.url("/ok")


@pytest.mark.parametrize("url", [
    "http://127.0.0.1/", "http://localhost/", "http://10.0.0.1/", "http://169.254.169.254/latest/meta-data/",
    "http://[::1]/", "http://[::ffff:127.0.0.1]/", "http://2130706433/", "http://0x7f.1/", "http://0.0.0.0/",
    "http://224.0.0.1/", "ftp://example.org/", "file:///etc/passwd",
])
def test_guard_refuses_internal_addresses_and_other_schemes(url):
    with pytest.raises(FetchError) as info:
        asyncio.run(check_url(url, frozenset()))
    assert info.value.kind in ("blocked", "dns")


def test_unresolvable_host_is_a_dns_error():
    (out,) = fetch_many(["http://no-such-host.invalid/feed"], settings(), 1000)
    assert isinstance(out, FetchError) and out.kind == "dns"


def test_wall_clock_deadline_cuts_off_a_dripping_server():
    class Drip(BaseHTTPRequestHandler):
        def do_GET(self):
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.end_headers()
            for _ in range(40):
                try:
                    self.wfile.write(b"x")
                    self.wfile.flush()
                except OSError:
                    return
                time.sleep(0.25)

        def log_message(self, *a):
            pass

    with _server(Drip) as port:
        started = time.monotonic()
        (out,) = fetch_many([f"http://127.0.0.1:{port}/"], settings(f"127.0.0.1:{port}", timeout=2.0, deadline=1.0), 10_000)
        assert time.monotonic() - started < 5
    assert isinstance(out, FetchError) and out.kind == "deadline"


def test_streamed_body_over_the_cap_is_refused_without_content_length():
    class Chunked(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.0"

        def do_GET(self):
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.end_headers()
            for _ in range(100):
                try:
                    self.wfile.write(b"y" * 10_000)
                except OSError:
                    return

        def log_message(self, *a):
            pass

    with _server(Chunked) as port:
        (out,) = fetch_many([f"http://127.0.0.1:{port}/"], settings(f"127.0.0.1:{port}"), 50_000)
    assert isinstance(out, FetchError) and out.kind == "too_large"


class _server:
    def __init__(self, handler):
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.httpd.daemon_threads = True

    def __enter__(self):
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()
        return self.httpd.server_address[1]

    def __exit__(self, *a):
        self.httpd.shutdown()
        self.httpd.server_close()


def _redirect_server(target: str):
    class R(BaseHTTPRequestHandler):
        def do_GET(self):
            self.send_response(302)
            self.send_header("Location", target)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *a):
            pass

    return _server(R)
