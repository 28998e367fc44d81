"""A small web site on 127.0.0.1 serving feeds and article pages from memory.

Used by ``commentary-monitor demo``, the tests and the benchmarks: a real HTTP
server on a free port, so the pipeline is exercised exactly as against the web.
"""

from __future__ import annotations

import sys
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from email.utils import format_datetime
from html import escape
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from xml.sax.saxutils import escape as xml_escape


@dataclass
class Route:
    body: bytes
    content_type: str = "text/html; charset=utf-8"
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    # The stdlib default backlog of 5 stalls concurrent clients for a second.
    request_queue_size = 128

    def handle_error(self, request, client_address) -> None:
        # A client that drops a kept-alive connection (the fetcher's pool closing at the end of a
        # run) resets it while the handler waits for the next request: normal, not an error.
        exc = sys.exc_info()[1]
        if isinstance(exc, (ConnectionResetError, BrokenPipeError, ConnectionAbortedError)):
            return
        super().handle_error(request, client_address)


class LocalSite:
    """Serve ``routes`` (path -> Route) on 127.0.0.1:<free port> in a background thread."""

    def __init__(self, ssl_context=None) -> None:
        self.ssl_context = ssl_context   # an ssl.SSLContext with the server's certificate: serve https
        self.routes: dict[str, Route] = {}
        self.hits: list[str] = []
        self.hit_times: list[float] = []   # time.monotonic() of each request, as hits
        self.statuses: list[tuple[str, int]] = []   # (path, status) of every request
        self.delay = 0.0          # seconds to wait before answering each request (slow-site tests)
        self.bytes_sent = 0       # response bodies, for benchmarks
        self._lock = threading.Lock()
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    def add(self, path: str, body: bytes | str, content_type: str = "text/html; charset=utf-8",
            status: int = 200, headers: dict[str, str] | None = None) -> str:
        data = body.encode("utf-8") if isinstance(body, str) else body
        self.routes[path] = Route(data, content_type, status, dict(headers or {}))
        return self.url(path) if self._server else path

    @property
    def port(self) -> int:
        assert self._server is not None, "site not started"
        return self._server.server_address[1]

    @property
    def host_port(self) -> str:
        return f"127.0.0.1:{self.port}"

    def url(self, path: str) -> str:
        scheme = "https" if self.ssl_context else "http"
        return f"{scheme}://127.0.0.1:{self.port}{path}"

    def start(self) -> "LocalSite":
        site = self

        class Handler(BaseHTTPRequestHandler):
            disable_nagle_algorithm = True
            protocol_version = "HTTP/1.1"

            def do_GET(self) -> None:  # noqa: N802 (stdlib name)
                if site.delay:
                    time.sleep(site.delay)
                with site._lock:
                    site.hits.append(self.path)
                    site.hit_times.append(time.monotonic())
                route = site.routes.get(self.path) or site.routes.get(self.path.split("?", 1)[0])
                if route is None:
                    route = Route(b"not found", "text/plain", 404)
                etag = route.headers.get("ETag")
                if route.status == 200 and etag and self.headers.get("If-None-Match") == etag:
                    # A conditional GET of an unchanged route.
                    with site._lock:
                        site.statuses.append((self.path, 304))
                    self.send_response(304)
                    self.send_header("ETag", etag)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                with site._lock:
                    site.statuses.append((self.path, route.status))
                self.send_response(route.status)
                self.send_header("Content-Type", route.content_type)
                self.send_header("Content-Length", str(len(route.body)))
                for k, v in route.headers.items():
                    self.send_header(k, v)
                self.end_headers()
                self.wfile.write(route.body)
                with site._lock:
                    site.bytes_sent += len(route.body)

            def log_message(self, *args) -> None:
                pass

        self._server = _Server(("127.0.0.1", 0), Handler)
        if self.ssl_context is not None:
            self._server.socket = self.ssl_context.wrap_socket(self._server.socket, server_side=True)
        self._thread = threading.Thread(target=self._server.serve_forever, name="localsite", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> "LocalSite":
        return self.start()

    def __exit__(self, *exc_info) -> None:
        self.stop()


# --- documents ----------------------------------------------------------------------------

@dataclass(frozen=True)
class SampleArticle:
    link: str
    title: str
    author: str
    summary: str
    body: str                 # paragraphs separated by blank lines
    published: datetime       # aware or naive UTC


def _utc(dt: datetime) -> datetime:
    return dt if dt.tzinfo else dt.replace(tzinfo=timezone.utc)


def rss_feed(title: str, link: str, items: list[SampleArticle]) -> str:
    out = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        '<rss version="2.0" xmlns:dc="http://purl.org/dc/elements/1.1/"><channel>',
        f"<title>{xml_escape(title)}</title><link>{xml_escape(link)}</link><description>{xml_escape(title)}</description>",
    ]
    for a in items:
        out.append(
            f"<item><title>{xml_escape(a.title)}</title><link>{xml_escape(a.link)}</link>"
            f'<guid isPermaLink="true">{xml_escape(a.link)}</guid>'
            f"<dc:creator>{xml_escape(a.author)}</dc:creator>"
            f"<pubDate>{format_datetime(_utc(a.published))}</pubDate>"
            f"<description>{xml_escape(a.summary)}</description></item>"
        )
    out.append("</channel></rss>")
    return "\n".join(out)


def atom_feed(title: str, link: str, items: list[SampleArticle]) -> str:
    updated = max((_utc(a.published) for a in items), default=datetime.now(timezone.utc))
    out = [
        '<?xml version="1.0" encoding="utf-8"?>',
        '<feed xmlns="http://www.w3.org/2005/Atom">',
        f"<title>{xml_escape(title)}</title><id>{xml_escape(link)}</id>",
        f'<link href="{xml_escape(link)}"/><updated>{updated.isoformat()}</updated>',
    ]
    for a in items:
        out.append(
            f"<entry><title>{xml_escape(a.title)}</title><id>{xml_escape(a.link)}</id>"
            f'<link rel="alternate" href="{xml_escape(a.link)}"/>'
            f"<author><name>{xml_escape(a.author)}</name></author>"
            f"<updated>{_utc(a.published).isoformat()}</updated><published>{_utc(a.published).isoformat()}</published>"
            f"<summary>{xml_escape(a.summary)}</summary></entry>"
        )
    out.append("</feed>")
    return "\n".join(out)


def article_page(a: SampleArticle, site_name: str) -> str:
    paragraphs = "\n".join(f"<p>{escape(p.strip())}</p>" for p in a.body.split("\n\n") if p.strip())
    when = _utc(a.published).isoformat()
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<title>{escape(a.title)} | {escape(site_name)}</title>
<meta property="og:title" content="{escape(a.title)}">
<meta property="og:site_name" content="{escape(site_name)}">
<meta name="author" content="{escape(a.author)}">
<meta property="article:published_time" content="{when}">
<meta name="description" content="{escape(a.summary)}">
</head><body>
<header><nav><a href="/">Home</a> <a href="/topics">Topics</a> <a href="/about">About us</a> <a href="/subscribe">Subscribe</a></nav></header>
<main><article>
<h1>{escape(a.title)}</h1>
<p class="byline">By {escape(a.author)} · <time datetime="{when}">{_utc(a.published):%d %B %Y}</time></p>
{paragraphs}
</article></main>
<aside><h2>Most read</h2><ul><li><a href="/x">Another story</a></li><li><a href="/y">And another</a></li></ul></aside>
<footer><p>© {escape(site_name)}. All rights reserved. Privacy policy. Terms of use. Cookie settings.</p></footer>
</body></html>"""
