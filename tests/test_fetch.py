import asyncio
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from commentary_monitor.config import FetchSettings
from commentary_monitor.errors import FetchError
from commentary_monitor.fetching.fetch import check_url, fetch_many


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


# --- the hardened client -----------------------------------------------------------------

import gzip as _gzip  # noqa: E402
import zlib as _zlib  # noqa: E402

from commentary_monitor.fetching.fetch import Fetcher, Validators  # noqa: E402
from commentary_monitor.fetching.guard import Blocked, GuardedBackend  # noqa: E402
from commentary_monitor.fetching.politeness import retry_after_seconds  # noqa: E402


def _bomb(size: int) -> bytes:
    comp = _zlib.compressobj(9, _zlib.DEFLATED, 31)
    return comp.compress(b" " * size) + comp.flush()


def test_gzip_bomb_is_cut_at_the_decompressed_cap_and_gzip_still_decodes(site):
    site.add("/bomb", _bomb(50_000_000), headers={"Content-Encoding": "gzip"})
    site.add("/small", _gzip.compress(b"<html>" + b"a" * 5000 + b"</html>"), headers={"Content-Encoding": "gzip"})
    site.add("/deflate", _zlib.compress(b"<html>deflated</html>"), headers={"Content-Encoding": "deflate"})
    site.add("/br", b"xx", headers={"Content-Encoding": "br"})
    site.add("/stacked", _gzip.compress(_gzip.compress(b"twice")), headers={"Content-Encoding": "gzip, gzip"})
    site.add("/tower", b"xx", headers={"Content-Encoding": ", ".join(["gzip"] * 50)})
    bomb, small, deflated, br, stacked, tower = fetch_many(
        [site.url(p) for p in ("/bomb", "/small", "/deflate", "/br", "/stacked", "/tower")],
        settings(site.host_port), max_bytes=1_000_000)
    assert isinstance(bomb, FetchError) and bomb.kind == "too_large" and "decompressed" in bomb.message
    assert small.content == b"<html>" + b"a" * 5000 + b"</html>"
    assert deflated.content == b"<html>deflated</html>"
    assert isinstance(br, FetchError) and br.kind == "encoding"
    assert stacked.content == b"twice"
    assert isinstance(tower, FetchError) and tower.kind == "encoding"


def test_conditional_get_returns_not_modified(site):
    site.add("/feed", "<rss/>", "application/rss+xml", headers={"ETag": '"v1"', "Last-Modified": "Sun, 22 Nov 2026 10:00:00 GMT"})
    (first,) = fetch_many([site.url("/feed")], settings(site.host_port), 10_000)
    assert first.status == 200 and first.etag == '"v1"' and first.last_modified.startswith("Sun, 22 Nov")
    (second,) = fetch_many([site.url("/feed")], settings(site.host_port), 10_000,
                           validators=[Validators(first.etag, first.last_modified)])
    assert second.not_modified and second.content == b""
    assert site.statuses == [("/feed", 200), ("/feed", 304)]


class _Counting(BaseHTTPRequestHandler):
    """Answers from a script: a list of (status, headers) per path, the last one repeating."""
    script: dict = {}
    log: list = []

    def do_GET(self):
        steps = self.script[self.path]
        n = sum(1 for p, _ in self.log if p == self.path)
        self.log.append((self.path, time.monotonic()))
        status, headers = steps[min(n, len(steps) - 1)]
        self.send_response(status)
        for k, v in headers.items():
            self.send_header(k, v)
        self.send_header("Content-Type", "text/html")
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"ok")

    def log_message(self, *a):
        pass


def test_retries_only_transient_failures_and_honour_retry_after():
    _Counting.log = []
    _Counting.script = {
        "/404": [(404, {})],
        "/503": [(503, {})],
        "/429": [(429, {"Retry-After": "1"}), (200, {})],
        "/long": [(503, {"Retry-After": "86400"})],
    }
    with _server(_Counting) as port:
        s = settings(f"127.0.0.1:{port}", retries=2, backoff=0.05, max_retry_after=5.0)
        nf, unavailable, limited, long = fetch_many([f"http://127.0.0.1:{port}{p}" for p in ("/404", "/503", "/429", "/long")],
                                                    s, 1000)
    count = {p: [t for q, t in _Counting.log if q == p] for p in _Counting.script}
    assert nf.kind == "http" and len(count["/404"]) == 1            # 4xx: never retried
    assert unavailable.status == 503 and len(count["/503"]) == 3    # 1 + 2 retries
    assert limited.status == 200 and count["/429"][1] - count["/429"][0] >= 0.9
    assert long.kind == "deferred" and long.retry_after == 86400 and len(count["/long"]) == 1


def test_retry_after_forms():
    from datetime import datetime, timezone
    now = datetime(2026, 11, 22, 12, 0, tzinfo=timezone.utc)
    assert retry_after_seconds("120") == 120
    assert retry_after_seconds("Sun, 22 Nov 2026 12:01:00 GMT", now) == 60
    assert retry_after_seconds("soon") is None and retry_after_seconds(None) is None


def test_guard_runs_at_connect_time_on_the_address_connected_to():
    async def go():
        backend = GuardedBackend(frozenset())
        with pytest.raises(Blocked):
            await backend.connect_tcp("localhost", 80)
        with pytest.raises(Blocked):
            await backend.connect_tcp("::ffff:7f00:1", 80)
        async with Fetcher(FetchSettings()) as f:
            # httpx has no public hook for this: make sure the guard is the backend in use.
            async with f._lane() as client:
                assert isinstance(client._transport._pool._network_backend, GuardedBackend)
    asyncio.run(go())


def test_robots_txt_is_obeyed_for_pages_with_its_crawl_delay(site):
    site.add("/robots.txt", "User-agent: *\nDisallow: /private/\nCrawl-delay: 0.5\n", "text/plain")
    for p in ("/a", "/b", "/c", "/private/x"):
        site.add(p, "<html>page</html>")
    s = settings(site.host_port, per_host_delay=0.0, per_host_concurrency=4, max_crawl_delay=2.0)
    started = time.monotonic()
    *pages, private = fetch_many([site.url(p) for p in ("/a", "/b", "/c", "/private/x")], s, 10_000, robots=True)
    assert all(p.status == 200 for p in pages)
    assert isinstance(private, FetchError) and private.kind == "robots"
    assert "/private/x" not in site.hits and site.hits.count("/robots.txt") == 1
    assert time.monotonic() - started >= 0.9    # three starts, 0.5 s apart


def test_a_robots_txt_that_cannot_be_read_allows_nothing_for_now_a_missing_one_everything(site):
    site.add("/a", "<html>page</html>")
    s = settings(site.host_port, per_host_delay=0.0, retries=1, backoff=0.1)
    # none (404): no rules
    (page,) = fetch_many([site.url("/a")], s, 10_000, robots=True)
    assert page.status == 200
    # unreadable (503, after the usual retries): the page is not requested, with a failure that may pass
    site.add("/robots.txt", "busy", "text/plain", status=503)
    site.hits.clear()
    (page,) = fetch_many([site.url("/a")], s, 10_000, robots=True)
    assert isinstance(page, FetchError) and page.kind == "robots_unreachable" and page.may_pass
    assert "HTTP 503" in page.message and site.hits == ["/robots.txt", "/robots.txt"]


def test_per_host_spacing_holds_across_clients_in_different_threads(site):
    """The batches of a run fetch with clients of their own, in threads: the spacing of request
    starts to one host must carry over from one client to the next."""
    for i in range(6):
        site.add(f"/p{i}", "<html>page</html>")
    s = settings(site.host_port, per_host_delay=0.25, per_host_concurrency=1)
    threads = [threading.Thread(target=fetch_many, args=([site.url(f"/p{i}") for i in range(k, 6, 2)], s, 10_000))
               for k in (0, 1)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    starts = sorted(site.hit_times)
    assert len(starts) == 6
    assert min(b - a for a, b in zip(starts, starts[1:])) >= 0.2, starts


def test_per_host_concurrency_is_limited():
    state = {"now": 0, "max": 0}
    lock = threading.Lock()

    class Slow(BaseHTTPRequestHandler):
        def do_GET(self):
            with lock:
                state["now"] += 1
                state["max"] = max(state["max"], state["now"])
            time.sleep(0.2)
            with lock:
                state["now"] -= 1
            self.send_response(200)
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"ok")

        def log_message(self, *a):
            pass

    with _server(Slow) as port:
        out = fetch_many([f"http://127.0.0.1:{port}/{i}" for i in range(6)],
                         settings(f"127.0.0.1:{port}", per_host_concurrency=2, per_host_delay=0.0, concurrency=8), 100)
    assert all(o.status == 200 for o in out) and state["max"] == 2


def test_dripping_responses_do_not_hold_their_hosts_other_pages_for_the_whole_deadline():
    """Two pages that drip a byte every 0.3 s take both of the host's slots; once they have run
    for ``timeout`` seconds they stop counting against it, and the third page goes, long before
    the two end at their deadline."""
    answered = {}

    class Drip(BaseHTTPRequestHandler):
        def do_GET(self):
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.end_headers()
            if self.path.startswith("/drip"):
                try:
                    for _ in range(20):
                        self.wfile.write(b"x")
                        self.wfile.flush()
                        time.sleep(0.3)
                except OSError:
                    pass
            else:
                answered[self.path] = time.monotonic()
                self.wfile.write(b"ok")
            self.close_connection = True

        def log_message(self, *a):
            pass

    with _server(Drip) as port:
        s = settings(f"127.0.0.1:{port}", per_host_concurrency=2, per_host_delay=0.0, timeout=1.0, deadline=3.0)
        started = time.monotonic()
        out = fetch_many([f"http://127.0.0.1:{port}/drip1", f"http://127.0.0.1:{port}/drip2",
                          f"http://127.0.0.1:{port}/page"], s, 100)
    assert [o.kind for o in out[:2]] == ["deadline", "deadline"] and out[2].status == 200
    assert 0.9 <= answered["/page"] - started < 2.0, answered["/page"] - started


def test_redirect_to_another_scheme_is_refused(site):
    with _redirect_server("file:///etc/passwd") as port:
        (out,) = fetch_many([f"http://127.0.0.1:{port}/"], settings(f"127.0.0.1:{port}"), 1000)
    assert isinstance(out, FetchError) and out.kind == "blocked"


@pytest.mark.parametrize("address, blocked", [
    ("64:ff9b::7f00:1", True), ("2002:7f00:1::", True), ("::ffff:10.0.0.1", True), ("fd00::1", True), ("::", True),
    ("100.64.0.1", True), ("192.0.2.1", True), ("64:ff9b::808:808", False), ("8.8.8.8", False), ("2606:4700::1111", False),
])
def test_addresses_wrapping_ipv4_are_judged_by_the_inner_address(address, blocked):
    import ipaddress

    from commentary_monitor.fetching.guard import blocked_reason
    assert (blocked_reason(ipaddress.ip_address(address)) is not None) == blocked


def test_errors_survive_pickling_to_worker_processes():
    import pickle

    from commentary_monitor.errors import ConfigError, FeedError, MailError, WarehouseError

    for exc in [FetchError("https://x.example/a", "http", "HTTP 503", 503, 3.0), FeedError("https://x.example/f", "not a feed"),
                ConfigError("monitor.toml", "fetch.timeout", "bad"), WarehouseError("w.duckdb", "locked"),
                MailError("smtp.example", 587, "auth", "denied")]:
        back = pickle.loads(pickle.dumps(exc))
        assert type(back) is type(exc) and str(back) == str(exc) and vars(back) == vars(exc)


def test_https_with_a_private_ca_and_a_certificate_that_cannot_be_verified(tmp_path):
    """Over TLS, a feed behind a private CA is fetched once [fetch] ca_file names that CA; without
    it the certificate is refused as kind 'tls' (no retries), and the address guard still runs."""
    import ssl

    import trustme

    from commentary_monitor.localsite import LocalSite

    ca = trustme.CA()
    server_ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("127.0.0.1").configure_cert(server_ctx)
    ca_file = tmp_path / "ca.pem"
    ca.cert_pem.write_to_path(str(ca_file))
    with LocalSite(ssl_context=server_ctx) as site:
        site.add("/feed.xml", "<rss version='2.0'><channel><title>T</title></channel></rss>", "application/rss+xml")
        url = site.url("/feed.xml")
        assert url.startswith("https://127.0.0.1:")
        (ok,) = fetch_many([url], settings(site.host_port, ca_file=ca_file), 100_000)
        assert ok.status == 200 and b"<title>T</title>" in ok.content
        (refused,) = fetch_many([url], settings(site.host_port, retries=2, backoff=0.2), 100_000)
        assert isinstance(refused, FetchError) and refused.kind == "tls", refused
        assert "CERTIFICATE_VERIFY_FAILED" in refused.message
        (blocked,) = fetch_many([url], settings(ca_file=ca_file), 100_000)   # loopback not allowed
        assert isinstance(blocked, FetchError) and blocked.kind == "blocked"
        assert site.hits == ["/feed.xml"]   # only the verified request reached the server


def test_a_host_that_spent_its_time_budget_failing_is_deferred_for_the_rest_of_the_run(site):
    """Its slow failures count against [fetch] host_budget; past it, its remaining pages are
    deferred at once instead of each waiting out its deadline; other hosts are not affected."""
    from commentary_monitor.fetching.politeness import reset_host_budgets

    for i in range(6):
        site.add(f"/p{i}", "<html><body>page</body></html>")
    site.delay = 0.6
    reset_host_budgets()
    s = settings(site.host_port, deadline=0.3, retries=0, host_budget=0.5, per_host_concurrency=1, per_host_delay=0.0)
    started = time.monotonic()
    got = fetch_many([site.url(f"/p{i}") for i in range(6)], s, 10_000)
    took = time.monotonic() - started
    kinds = [g.kind for g in got]
    assert kinds[:2] == ["deadline", "deadline"] and set(kinds[2:]) == {"deferred"}, kinds
    assert all(not g.may_pass or g.kind == "deadline" for g in got)
    assert took < 1.5, took     # two deadlines, then nothing waits
    assert "budget" in got[-1].message
    reset_host_budgets()
    site.delay = 0.0
    assert not isinstance(fetch_many([site.url("/p0")], s, 10_000)[0], FetchError)   # a new run: whole again
