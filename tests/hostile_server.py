#!/usr/bin/env python3
"""Hostile HTTP server for attacking a feed/article fetching pipeline (copied from the
shared tools/hostile_server.py, unchanged but for this line; its cases: hostile_cases.md).

Stdlib only (Python 3.11+). Binds ONLY to 127.0.0.1. It never opens an
outgoing connection: every "internal" or "remote" URL it puts in a feed is
plain text, and the only loopback target it names (the canary port) is a
second listener of this same process that records who reached it.

Usage:
    python3 hostile_server.py --port 0 --max-seconds 600
    # first stdout line:  PORT <n>
    # then:               CANARY_PORT <m>, BASE ..., INDEX ..., CASES ...

Every case is documented in hostile_cases.md (same directory) and, machine
readable, at GET /cases.json. GET /_hits returns what was requested so far
(GET /_hits?clear=1 empties the log); canary hits are marked "canary".

Every loop here is bounded both in iterations and by the server deadline
(--max-seconds); streaming responses stop as soon as the server stops.
"""
from __future__ import annotations

import argparse
import base64
import calendar
import collections
import email.utils
import html
import json
import math
import signal
import socket
import struct
import sys
import threading
import time
import zlib
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Callable, Iterable, Iterator
from urllib.parse import parse_qs, urlsplit

HOST = "127.0.0.1"  # never configurable: this tool must not listen beyond loopback

KIB = 1024
MIB = 1024 * KIB
GIB = 1024 * MIB

HUGE_TOTAL = 2 * GIB  # /articles/huge*: 2 GiB, generated block by block
BOMB_INFLATED = 1 * GIB  # /articles/gzip-bomb: ~1 GiB once decompressed
BLOCK = 64 * KIB
LONG_LINE_BYTES = 5_000_000  # /articles/long-line: 5 MB paragraph, no newline
DRIP_INTERVAL = 2.0  # seconds between bytes for the slow-drip cases
RETRY_AFTER = 3  # seconds, /articles/rate-limited
BULK_ITEMS = 10_000


# --------------------------------------------------------------------------
# shared state
# --------------------------------------------------------------------------
class State:
    def __init__(self, max_seconds: float, quiet: bool) -> None:
        self.t0 = time.monotonic()
        self.wall0 = time.time()
        self.deadline = self.t0 + max_seconds
        self.stop = threading.Event()
        self.quiet = quiet
        self.base = ""
        self.port = 0
        self.canary_port = 0
        self.lock = threading.Lock()
        self.hits: collections.deque[dict] = collections.deque(maxlen=5000)
        self.rate: collections.OrderedDict[str, float] = collections.OrderedDict()
        self.bomb_cache: dict[str, bytes] = {}

    def remaining(self) -> float:
        return max(0.0, self.deadline - time.monotonic())

    def elapsed(self) -> float:
        return time.monotonic() - self.t0

    def record(self, **kw) -> dict:
        kw["t"] = round(self.elapsed(), 3)
        with self.lock:
            self.hits.append(kw)
        return kw

    def log(self, msg: str) -> None:
        if not self.quiet:
            sys.stderr.write(f"[{self.elapsed():8.2f}s] {msg}\n")
            sys.stderr.flush()


STATE: State  # set in main()


def http_date(ts: float) -> str:
    return email.utils.formatdate(ts, usegmt=True)


def esc(s: str) -> str:
    return html.escape(s, quote=True)


# --------------------------------------------------------------------------
# response model
# --------------------------------------------------------------------------
class Resp:
    """status + headers + body (bytes or a bounded generator of bytes).

    raw: if set, the handler writes the whole response itself (used for the
    slow-header case that never finishes its header section)."""

    def __init__(self, status: int = 200, headers: list[tuple[str, str]] | None = None,
                 body: bytes | Iterable[bytes] = b"", length: int | None = None,
                 raw: Callable[["Handler"], None] | None = None) -> None:
        self.status = status
        self.headers = headers or []
        self.body = body
        self.raw = raw
        if length is None and isinstance(body, (bytes, bytearray)):
            length = len(body)
        self.length = length  # None -> no Content-Length, body ends at close


def html_resp(body: bytes | str, status: int = 200, extra: list | None = None) -> Resp:
    if isinstance(body, str):
        body = body.encode("utf-8")
    return Resp(status, [("Content-Type", "text/html; charset=utf-8")] + (extra or []), body)


def text_resp(body: str, status: int = 200, ctype: str = "text/plain; charset=utf-8") -> Resp:
    return Resp(status, [("Content-Type", ctype)], body.encode("utf-8"))


def xml_resp(body: bytes | str, ctype: str = "application/rss+xml; charset=utf-8") -> Resp:
    if isinstance(body, str):
        body = body.encode("utf-8")
    return Resp(200, [("Content-Type", ctype)], body)


def redirect(location: str, code: int = 302) -> Resp:
    return Resp(code, [("Location", location), ("Content-Type", "text/html; charset=utf-8")],
                f'<a href="{esc(location)}">moved</a>'.encode())


# --------------------------------------------------------------------------
# bounded generators
# --------------------------------------------------------------------------
def repeat_to_size(prefix: bytes, block: bytes, total: int, suffix: bytes = b"") -> Iterator[bytes]:
    """Yield exactly `total` bytes: prefix, repeated block, suffix. Bounded by
    total/len(block) iterations and by the server stop event."""
    body_len = total - len(prefix) - len(suffix)
    assert body_len >= 0 and block
    yield prefix
    left = body_len
    max_iter = body_len // len(block) + 2
    for _ in range(max_iter):
        if left <= 0 or STATE.stop.is_set():
            break
        chunk = block if left >= len(block) else block[:left]
        left -= len(chunk)
        yield chunk
    if left <= 0 and suffix:
        yield suffix


def gzip_bomb(prefix: bytes, suffix: bytes, inflated: int = BOMB_INFLATED) -> Iterator[bytes]:
    """gzip stream of prefix + `inflated` spaces + suffix, compressed on the fly
    (1 MiB of input at a time; the inflated data is never held in memory)."""
    comp = zlib.compressobj(6, zlib.DEFLATED, 31)  # wbits 31 -> gzip container
    out = comp.compress(prefix)
    if out:
        yield out
    spaces = b" " * MIB
    for _ in range(inflated // MIB):  # 1024 iterations for 1 GiB
        if STATE.stop.is_set():
            return
        out = comp.compress(spaces)
        if out:
            yield out
    out = comp.compress(suffix) + comp.flush()
    yield out


def drip(payload: bytes, interval: float) -> Iterator[bytes]:
    """One byte every `interval` seconds until the server stops (bounded by the
    server deadline and by an explicit iteration cap)."""
    max_iter = int(STATE.remaining() / interval) + 2
    for i in range(max_iter):
        if STATE.stop.is_set():
            return
        j = i % len(payload)
        yield payload[j:j + 1]
        if STATE.stop.wait(interval):
            return


def clamp_interval(q: dict) -> float:
    try:
        v = float(q.get("interval", [DRIP_INTERVAL])[0])
    except ValueError:
        v = DRIP_INTERVAL
    return min(60.0, max(0.1, v))


# --------------------------------------------------------------------------
# content builders
# --------------------------------------------------------------------------
LOREM = (
    "The city council met on Tuesday to discuss the new transit plan. Residents "
    "raised concerns about noise, parking and the cost of the project, while the "
    "mayor argued that the line would cut commuting times by a third. A final vote "
    "is expected next month after a second round of public consultation. "
)


def article_html(title: str, paragraphs: list[str] | None = None, note: str = "") -> str:
    paras = paragraphs or [LOREM * 2, LOREM, LOREM * 3]
    body = "\n".join(f"<p>{esc(p)}</p>" for p in paras)
    if note:
        body = f"<p><em>{esc(note)}</em></p>\n" + body
    return (
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
        f"<title>{esc(title)}</title>"
        f"<meta name=\"description\" content=\"{esc(title)}\">"
        "</head><body><header><nav><a href=\"/\">Home</a></nav></header>\n"
        f"<article><h1>{esc(title)}</h1>\n{body}\n</article>\n"
        "<footer>Hostile test server</footer></body></html>\n"
    )


def rss(title: str, items: list[str], desc: str = "hostile test feed",
        decl: str = '<?xml version="1.0" encoding="utf-8"?>\n', doctype: str = "") -> str:
    return (
        f"{decl}{doctype}<rss version=\"2.0\">\n<channel>\n"
        f"<title>{title}</title>\n<link>{STATE.base}/</link>\n"
        f"<description>{desc}</description>\n"
        f"<lastBuildDate>{http_date(STATE.wall0)}</lastBuildDate>\n"
        + "".join(items)
        + "</channel>\n</rss>\n"
    )


def item(title: str | None, link: str | None, guid: str | None = None, date: str | None = None,
         desc: str | None = None, raw_title: bool = False, extra: str = "") -> str:
    """Build an <item>. Values are XML-escaped unless raw_title is set (then
    the title is inserted verbatim, e.g. for CDATA or entity references)."""
    parts = ["<item>"]
    if title is not None:
        parts.append(f"<title>{title if raw_title else esc(title)}</title>")
    if link is not None:
        parts.append(f"<link>{esc(link)}</link>")
    if guid is not None:
        parts.append(f"<guid isPermaLink=\"false\">{esc(guid)}</guid>")
    if date is not None:
        parts.append(f"<pubDate>{esc(date)}</pubDate>")
    if desc is not None:
        parts.append(f"<description>{esc(desc)}</description>")
    parts.append(extra)
    parts.append("</item>\n")
    return "".join(parts)


def minimal_pdf() -> bytes:
    stream = b"BT /F1 24 Tf 72 72 Td (Hello from a PDF article) Tj ET"
    objs = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 144] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for i, o in enumerate(objs, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % i + o + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objs) + 1)
    for off in offsets:
        out += b"%010d 00000 n \n" % off
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objs) + 1, xref)
    return bytes(out)


def tiny_png() -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    ihdr = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    idat = zlib.compress(b"\x00\xff\x00\x00")
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", idat) + chunk(b"IEND", b"")


PDF_BYTES = minimal_pdf()
PNG_BYTES = tiny_png()

XSS_TITLE = "Breaking <script>alert(1)</script> news <img src=x onerror=alert(1)>"
XSS_ARTICLE = (
    "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\">"
    f"<title>{XSS_TITLE}</title>"  # deliberately NOT escaped
    "<meta property=\"og:title\" content=\"OG &quot;&gt;&lt;script&gt;alert(2)&lt;/script&gt;\">"
    "</head><body><article>\n"
    "<h1>Headline <script>alert(1)</script> with <img src=\"x\" onerror=\"alert(1)\"></h1>\n"
    f"<p>{LOREM}</p>\n"
    "<p>Inline payloads: <img src=\"x\" onerror=\"alert(1)\"> "
    "<a href=\"javascript:alert(1)\">a javascript: link</a> "
    "<svg onload=\"alert(1)\"></svg> "
    "<iframe srcdoc=\"&lt;script&gt;alert(1)&lt;/script&gt;\"></iframe> "
    "<a href=\"data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==\">a data: link</a></p>\n"
    "<script>alert(1)</script>\n"
    f"<p>{LOREM}</p>\n"
    "<p>Already-escaped text that must stay text: &lt;script&gt;alert('escaped')&lt;/script&gt; "
    "and &amp;lt;b&amp;gt;double-escaped&amp;lt;/b&amp;gt;.</p>\n"
    "<style>body{background:url(javascript:alert(1))}</style>\n"
    "</article></body></html>\n"
).encode("utf-8")

INVALID_UTF8 = (
    b"<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>Invalid UTF-8 \xff\xfe title</title>"
    b"</head><body><article><h1>Invalid bytes \x80\x81 inside</h1>\n<p>"
    + LOREM.encode()
    + b" Lone continuation bytes: \x80\xbf. Overlong slash: \xc0\xaf. UTF-16 surrogate: \xed\xa0\x80. "
    b"Five-byte form: \xf8\x88\x80\x80\x80. Beyond U+10FFFF: \xf4\x90\x80\x80. NUL byte: \x00. "
    b"Valid e-acute for contrast: \xc3\xa9. "
    + LOREM.encode()
    + b"</p>\n<p>Truncated sequence at the very end: \xe2\x82</p></article></body></html>\xe2\x82"
)

LATIN1_TITLES = [
    "Café crème à la française",
    "Müller über die Straße",
    "Señor Niño: naïve façade",
    "Preis: £5, © Zürich, ½ Portion",
]


# --------------------------------------------------------------------------
# case table (drives the index feed, /cases.json and --cases-markdown)
# --------------------------------------------------------------------------
# (path, kind, threat, expected correct pipeline behaviour)
CASES: list[tuple[str, str, str, str]] = [
    ("/feeds/index.xml", "feed", "valid RSS whose items link to every /articles/* case",
     "Parses cleanly; each item is handled independently so one hostile article never fails the run."),
    ("/feeds/billion-laughs.xml", "feed", "billion laughs (lol1..lol9 entities, 10^9 expansions)",
     "No entity expansion; parse finishes in well under 1 s and a few MB; feed rejected or entities dropped."),
    ("/feeds/billion-laughs-oneline.xml", "feed", "same, DTD on one line (defeats line-based DTD stripping)",
     "Same as above."),
    ("/feeds/xxe.xml", "feed", "XXE: <!ENTITY xxe SYSTEM \"file:///etc/passwd\">",
     "File never read: no 'root:' text anywhere in stored data."),
    ("/feeds/xxe-remote-dtd.xml", "feed", "external DTD + parameter entity pointing at the canary port",
     "No DTD retrieval: zero canary hits for /evil.dtd."),
    ("/feeds/malformed.xml", "feed", "well-formed HTTP, XML truncated inside item 3",
     "Error flagged (feedparser bozo=1) but items 1 and 2 stored; item 3 dropped or flagged."),
    ("/feeds/truncated-transfer.xml", "feed", "Content-Length larger than the bytes sent, then close",
     "Transport error (incomplete body) recorded; nothing half-parsed stored as success."),
    ("/feeds/latin1.xml", "feed", "ISO-8859-1 bytes, encoding in XML declaration, no HTTP charset",
     "Titles decode exactly to the Latin-1 strings (Café, Müller, Straße...); stored as valid UTF-8."),
    ("/feeds/latin1-undeclared.xml", "feed", "ISO-8859-1 bytes, no charset anywhere (invalid as UTF-8)",
     "Falls back to a legacy encoding or U+FFFD replacement; never crashes; stored as valid UTF-8."),
    ("/feeds/bad-schemes.xml", "feed", "item links: javascript:, data:, obfuscated JaVa\\tScRiPt:, file:",
     "Only http(s) links accepted; these items are skipped or stored without a link; none fetched."),
    ("/feeds/ssrf.xml", "feed", "links to 169.254.169.254, 127.0.0.1:<canary>, 10.0.0.1 and loopback aliases",
     "No request to any of them (zero canary hits); blocked after DNS resolution, at connect time."),
    ("/feeds/xss.xml", "feed", "script/onerror payloads in titles, descriptions, author; double-escaped text",
     "Stored as text; every digest/email output escapes it; no double-unescaping into live markup."),
    ("/feeds/10000-items.xml", "feed", "10,000 items (~2.4 MB)",
     "Item cap per feed/run (e.g. newest 50-200); bounded article fetches; dedupe by guid/link."),
    ("/feeds/no-links-dates.xml", "feed", "items with no link, no guid, no date, 1970, 2099, garbage date, empty",
     "No crash; stable dedupe key (guid > link > hash); missing/1970/2099/garbage dates -> NULL or fetch time, flagged."),
    ("/feeds/huge.xml", "feed", "2 GiB RSS, no Content-Length",
     "Aborted at the feed size cap (e.g. 10-20 MB) while streaming."),
    ("/feeds/gzip-bomb.xml", "feed", "gzip RSS, ~1 MB on the wire, ~1 GiB inflated",
     "Aborted at the decompressed-size cap; memory stays bounded."),
    ("/feeds/slow-drip.xml", "feed", "RSS bytes at 1 byte / 2 s, forever",
     "Aborted by a total (wall-clock) deadline, not only a per-read timeout."),
    ("/articles/ok", "article", "control: normal article (also /articles/ok/<anything>)",
     "Fetched, extracted, stored."),
    ("/articles/redirect-loop", "article", "A -> B -> A redirect loop",
     "Stops after the redirect cap (<= 5-10); recorded as error; no infinite loop."),
    ("/articles/redirect-chain", "article", "30 redirects (301/302/303/307/308) then 200; ?hops=N (<=100)",
     "Gives up at its redirect cap (httpx default 20); never follows all 30."),
    ("/articles/redirect-to-internal", "article", "302 to http://127.0.0.1:<canary>/admin",
     "Redirect target re-validated on each hop; refused; zero canary hits."),
    ("/articles/huge", "article", "2 GiB body with an honest Content-Length",
     "Rejected from the Content-Length header before reading the body."),
    ("/articles/huge-nolength", "article", "2 GiB body, no Content-Length",
     "Aborted once the streamed byte count passes the cap (e.g. 5-15 MB)."),
    ("/articles/gzip-bomb", "article", "Content-Encoding: gzip, ~1 MB -> ~1 GiB of spaces, sent even unasked",
     "Decompressed-size cap aborts it; RSS of the fetcher stays well under a few hundred MB."),
    ("/articles/slow-drip", "article", "200 + headers at once, then 1 byte every 2 s forever (?interval=)",
     "Total deadline (e.g. 20-30 s) aborts it; worker freed; other articles unaffected."),
    ("/articles/slow-headers", "article", "status line, then one header byte every 2 s, headers never end",
     "Same total deadline applies before headers complete."),
    ("/articles/rate-limited", "article", "429 + Retry-After: 3; 200 on a request >= 3 s after the first 429",
     "Waits >= 3 s (honours Retry-After, capped), then succeeds; early retries get 429 again."),
    ("/articles/unavailable", "article", "503 always (no Retry-After)",
     "Bounded retries with backoff (<= 2-3), then recorded as failed; run continues."),
    ("/articles/unavailable-long-retry", "article", "503 always with Retry-After: 86400",
     "Does not sleep a day inside a task: caps Retry-After, defers to a later run."),
    ("/articles/pdf", "article", "application/pdf body",
     "Content-Type checked before extraction: skipped (or routed to a PDF handler); not fed to trafilatura."),
    ("/articles/pdf-as-html", "article", "PDF bytes served as text/html",
     "Magic-byte sniff (%PDF-) catches it; skipped; no garbage text stored."),
    ("/articles/image.png", "article", "1x1 PNG behind an article link",
     "Skipped by Content-Type; nothing stored as article text."),
    ("/articles/xss", "article", "<title> and body with <script>alert(1)</script>, <img onerror>, javascript:",
     "Extracted text stored as text; any HTML output escapes it (&lt;script&gt;)."),
    ("/articles/long-line", "article", "5,000,000-byte single-line paragraph",
     "Extraction finishes inside its time budget (or is truncated/skipped); no worker hang."),
    ("/articles/invalid-utf8", "article", "charset=utf-8 declared, invalid byte sequences inside",
     "Decoded with replacement (U+FFFD); stored as valid UTF-8 (DuckDB rejects invalid UTF-8)."),
    ("/articles/empty", "article", "200 with an empty body",
     "Recorded as empty/failed extraction; no crash; no empty row counted as success."),
    ("/articles/disallowed/page", "article", "path disallowed by /robots.txt (Crawl-delay: 5)",
     "If the pipeline obeys robots.txt: never requested (check /_hits)."),
]


def index_feed(_h, _q) -> Resp:
    items = []
    n = 0
    for path, kind, threat, _exp in CASES:
        if kind != "article":
            continue
        n += 1
        items.append(item(f"Case {n}: {path}", STATE.base + path, guid=path,
                          date=http_date(STATE.wall0 - n * 60), desc=threat))
    return xml_resp(rss("Hostile index feed", items, desc="Every item links to a hostile article case"))


def opml(_h, _q) -> Resp:
    outlines = "".join(
        f'<outline type="rss" text="{esc(p)}" title="{esc(t)}" xmlUrl="{esc(STATE.base + p)}"/>\n'
        for p, k, t, _e in CASES if k == "feed")
    body = ('<?xml version="1.0" encoding="utf-8"?>\n<opml version="2.0"><head><title>Hostile feeds</title>'
            f"</head><body>\n{outlines}</body></opml>\n")
    return xml_resp(body, "text/x-opml; charset=utf-8")


def cases_json(_h, _q) -> Resp:
    data = {
        "base": STATE.base,
        "canary_port": STATE.canary_port,
        "cases": [{"path": p, "url": STATE.base + p, "kind": k, "threat": t, "expected": e}
                  for p, k, t, e in CASES],
    }
    return Resp(200, [("Content-Type", "application/json")], json.dumps(data, indent=1).encode())


def hits(_h, q) -> Resp:
    with STATE.lock:
        data = list(STATE.hits)
        if q.get("clear"):
            STATE.hits.clear()
    return Resp(200, [("Content-Type", "application/json")], json.dumps(data, indent=1).encode())


def robots(_h, _q) -> Resp:
    return text_resp("User-agent: *\nDisallow: /articles/disallowed/\nCrawl-delay: 5\n")


# ----- feeds ---------------------------------------------------------------
LOL = "".join(
    f' <!ENTITY lol{i} "' + "".join(f"&lol{i - 1};" for _ in range(10)) + '">\n' for i in range(1, 10))


def bl_items() -> list[str]:
    return [item("&lol9;", STATE.base + "/articles/ok/billion-laughs", guid="bl-1",
                 date=http_date(STATE.wall0), raw_title=True, extra="<description>&lol9;</description>")]


def billion_laughs(_h, _q) -> Resp:
    doctype = '<!DOCTYPE rss [\n <!ENTITY lol0 "lol">\n' + LOL + "]>\n"
    return xml_resp(rss("Billion laughs &lol9;", bl_items(), doctype=doctype))


def billion_laughs_oneline(_h, _q) -> Resp:
    doctype = '<!DOCTYPE rss [<!ENTITY lol0 "lol">' + LOL.replace("\n", "").replace(" <!", "<!") + "]>\n"
    return xml_resp(rss("Billion laughs &lol9;", bl_items(), doctype=doctype))


def xxe(_h, _q) -> Resp:
    doctype = '<!DOCTYPE rss [\n <!ENTITY xxe SYSTEM "file:///etc/passwd">\n]>\n'
    it = item("XXE: &xxe;", STATE.base + "/articles/ok/xxe", guid="xxe-1", date=http_date(STATE.wall0),
              raw_title=True, extra="<description>Local file follows: &xxe;</description>")
    return xml_resp(rss("XXE &xxe;", [it], doctype=doctype))


def xxe_remote(_h, _q) -> Resp:
    dtd = f"http://{HOST}:{STATE.canary_port}/evil.dtd"
    doctype = (f'<!DOCTYPE rss SYSTEM "{dtd}?via=system-id" [\n'
               f' <!ENTITY % remote SYSTEM "{dtd}?via=parameter-entity">\n %remote;\n]>\n')
    it = item("Remote DTD: &canary;", STATE.base + "/articles/ok/xxe-remote", guid="xxe-remote-1",
              date=http_date(STATE.wall0), raw_title=True)
    return xml_resp(rss("XXE via remote DTD", [it], doctype=doctype))


def malformed(_h, _q) -> Resp:
    good = [item(f"Recoverable item {i}", f"{STATE.base}/articles/ok/malformed-{i}", guid=f"malformed-{i}",
                 date=http_date(STATE.wall0 - i * 60), desc=f"Item {i} is complete and should survive.")
            for i in (1, 2)]
    body = rss("Truncated feed", good)
    cut = body.index("</channel>")
    broken = (body[:cut] + "<item><title>Broken item 3</title><link>" + STATE.base
              + "/articles/ok/malfor")  # truncated here: no closing tags at all
    return xml_resp(broken)


def truncated_transfer(_h, _q) -> Resp:
    body = rss("Feed cut at the transport level",
               [item("Item before the cut", STATE.base + "/articles/ok/tt-1", guid="tt-1",
                     date=http_date(STATE.wall0))]).encode()
    sent = body[: len(body) // 2]
    return Resp(200, [("Content-Type", "application/rss+xml; charset=utf-8")], [sent], length=len(body))


def latin1(_h, _q, declared: bool = True) -> Resp:
    decl = ('<?xml version="1.0" encoding="ISO-8859-1"?>\n' if declared else '<?xml version="1.0"?>\n')
    items = [item(t, f"{STATE.base}/articles/ok/latin1-{i}", guid=f"latin1-{i}",
                  date=http_date(STATE.wall0 - i * 60), desc=f"Beschreibung: {t}")
             for i, t in enumerate(LATIN1_TITLES, 1)]
    body = rss("Français, Deutsch, Español", items, decl=decl).encode("iso-8859-1")
    return Resp(200, [("Content-Type", "application/rss+xml")], body)  # no charset on purpose


def bad_schemes(_h, _q) -> Resp:
    d = http_date(STATE.wall0)
    items = [
        item("javascript: link", "javascript:alert(document.domain)", guid="scheme-js", date=d),
        item("data: link", "data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==", guid="scheme-data",
             date=d),
        # raw: leading spaces, mixed case, a TAB char reference inside the scheme
        "<item><title>obfuscated javascript: link</title>"
        "<link>  JaVa&#x09;ScRiPt:alert(3)</link><guid isPermaLink=\"false\">scheme-js-obf</guid>"
        f"<pubDate>{d}</pubDate></item>\n",
        item("file: link", "file:///etc/passwd", guid="scheme-file", date=d),
    ]
    return xml_resp(rss("Bad URL schemes", items))


def ssrf(_h, _q) -> Resp:
    c = STATE.canary_port
    d = http_date(STATE.wall0)
    links = [
        ("cloud metadata", "http://169.254.169.254/latest/meta-data/"),
        ("loopback admin (canary)", f"http://127.0.0.1:{c}/admin"),
        ("private 10/8", "http://10.0.0.1/"),
        ("localhost name (canary)", f"http://localhost:{c}/admin?via=localhost"),
        ("decimal IP 2130706433 = 127.0.0.1 (canary)", f"http://2130706433:{c}/admin?via=decimal"),
        ("0.0.0.0 reaches loopback on Linux (canary)", f"http://0.0.0.0:{c}/admin?via=zero"),
        ("IPv4-mapped IPv6 (canary)", f"http://[::ffff:127.0.0.1]:{c}/admin?via=v4mapped"),
        ("public-looking first hop that redirects to the canary", f"{STATE.base}/articles/redirect-to-internal"),
    ]
    items = [item(t, u, guid=f"ssrf-{i}", date=d) for i, (t, u) in enumerate(links, 1)]
    return xml_resp(rss("SSRF targets", items))


def xss_feed(_h, _q) -> Resp:
    d = http_date(STATE.wall0)
    link = STATE.base + "/articles/xss"
    items = [
        item("Escaped script: <script>alert(1)</script> in a title", link + "?i=1", guid="xss-1", date=d),
        item("<![CDATA[CDATA title <img src=x onerror=alert(2)> here]]>", link + "?i=2", guid="xss-2",
             date=d, raw_title=True),
        item("Description payloads", link + "?i=3", guid="xss-3", date=d,
             extra="<description><![CDATA[<p>Hi</p><script>alert(3)</script><img src=x onerror=alert(3)>"
                   "<a href=\"javascript:alert(3)\">x</a><iframe src=\"javascript:alert(3)\"></iframe>"
                   "<form action=\"https://evil.invalid/\"><input name=p></form>]]></description>"),
        item("&amp;lt;script&amp;gt;alert(4)&amp;lt;/script&amp;gt; (double-escaped)", link + "?i=4",
             guid="xss-4", date=d, raw_title=True),
        item("Author payload", link + "?i=5", guid="xss-5", date=d,
             extra="<author>a@example.com (&lt;script&gt;alert(5)&lt;/script&gt;)</author>"),
    ]
    return xml_resp(rss("XSS &lt;script&gt;alert(0)&lt;/script&gt; feed", items))


def bulk(_h, _q) -> Resp:
    parts = []
    for i in range(BULK_ITEMS):
        parts.append(item(f"Bulk item {i}", f"{STATE.base}/articles/ok/bulk-{i}", guid=f"bulk-{i}",
                          date=http_date(STATE.wall0 - i * 60), desc=f"Item {i} of {BULK_ITEMS}."))
    return xml_resp(rss(f"{BULK_ITEMS} items", parts))


def no_links_dates(_h, _q) -> Resp:
    b = STATE.base
    items = [
        item("No link, guid only", None, guid="nld-1", date=http_date(STATE.wall0), desc="no <link>"),
        item("No link and no guid", None, date=http_date(STATE.wall0 - 60), desc="no <link>, no <guid>"),
        item("No date", b + "/articles/ok/nodate", guid="nld-3", desc="no <pubDate>"),
        item("Epoch 1970", b + "/articles/ok/epoch", guid="nld-4", date=http_date(0)),
        item("Year 2099", b + "/articles/ok/future", guid="nld-5",
             date=http_date(calendar.timegm((2099, 12, 31, 23, 59, 59, 0, 0, 0)))),
        item("Garbage date", b + "/articles/ok/garbage-date", guid="nld-6", date="yesterday-ish, around noon"),
        "<item></item>\n",
    ]
    return xml_resp(rss("Missing links and odd dates", items))


FEED_PREFIX = (b'<?xml version="1.0" encoding="utf-8"?>\n<rss version="2.0"><channel>'
               b"<title>Hostile stream</title><link>http://127.0.0.1/</link><description>")
FEED_SUFFIX = b"</description></channel></rss>\n"
HTML_PREFIX = (b"<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>Hostile stream</title></head>"
               b"<body><article><h1>Hostile stream</h1><p>")
HTML_SUFFIX = b"</p></article></body></html>\n"


def huge(_h, _q, with_length: bool = True, feed: bool = False) -> Resp:
    prefix, suffix = (FEED_PREFIX, FEED_SUFFIX) if feed else (HTML_PREFIX, HTML_SUFFIX)
    block = (b"All work and no play makes Jack a dull boy. " * 1500)[:BLOCK]
    ctype = "application/rss+xml; charset=utf-8" if feed else "text/html; charset=utf-8"
    gen = repeat_to_size(prefix, block, HUGE_TOTAL, suffix)
    return Resp(200, [("Content-Type", ctype)], gen, length=HUGE_TOTAL if with_length else None)


def bomb(_h, _q, feed: bool = False) -> Resp:
    key = "feed" if feed else "html"
    prefix, suffix = (FEED_PREFIX, FEED_SUFFIX) if feed else (HTML_PREFIX, HTML_SUFFIX)
    ctype = "application/rss+xml; charset=utf-8" if feed else "text/html; charset=utf-8"
    headers = [("Content-Type", ctype), ("Content-Encoding", "gzip"), ("Vary", "Accept-Encoding")]
    cached = STATE.bomb_cache.get(key)
    if cached is not None:
        return Resp(200, headers, cached)
    return Resp(200, headers, gzip_bomb(prefix, suffix), length=None)  # first use: compress on the fly


def slow(_h, q, feed: bool = False) -> Resp:
    interval = clamp_interval(q)
    if feed:
        payload, ctype = FEED_PREFIX + b"drip " * 20, "application/rss+xml; charset=utf-8"
    else:
        payload, ctype = HTML_PREFIX + b"drip " * 20, "text/html; charset=utf-8"
    return Resp(200, [("Content-Type", ctype)], drip(payload, interval), length=None)


def slow_headers(_h, q) -> Resp:
    interval = clamp_interval(q)

    def raw(h: "Handler") -> None:
        h.close_connection = True
        h.wfile.write(b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nX-Slow-Header: ")
        for ch in drip(b"abcdefghijklmnopqrstuvwxyz", interval):
            h.wfile.write(ch)
    return Resp(raw=raw)


# ----- articles ------------------------------------------------------------
def ok(h, _q) -> Resp:
    slug = h.route_rest or "ok"
    return html_resp(article_html(f"Council approves transit plan ({slug})"))


def redirect_loop(_h, _q) -> Resp:
    return redirect(STATE.base + "/articles/redirect-loop/b")


def redirect_loop_b(_h, _q) -> Resp:
    return redirect(STATE.base + "/articles/redirect-loop")


REDIRECT_CODES = (301, 302, 303, 307, 308)


def redirect_chain(h, q) -> Resp:
    try:
        hops = min(100, max(1, int(q.get("hops", ["30"])[0])))
    except ValueError:
        hops = 30
    try:
        i = int(h.route_rest or "0")
    except ValueError:
        i = 0
    if i < hops:
        return redirect(f"{STATE.base}/articles/redirect-chain/{i + 1}?hops={hops}",
                        REDIRECT_CODES[i % len(REDIRECT_CODES)])
    return html_resp(article_html(f"End of a {hops}-hop redirect chain"))


def redirect_internal(_h, _q) -> Resp:
    port = STATE.canary_port or 1
    return redirect(f"http://{HOST}:{port}/admin?via=redirect")


def rate_limited(h, q) -> Resp:
    key = h.path  # path + query, so parallel test runs can use ?key=...
    now = time.monotonic()
    with STATE.lock:
        first = STATE.rate.get(key)
        if first is not None and now - first >= RETRY_AFTER:
            del STATE.rate[key]  # served: the next request starts over with a 429
            first = -1.0
        elif first is None:
            STATE.rate[key] = now
            first = now
            while len(STATE.rate) > 1000:  # bounded
                STATE.rate.popitem(last=False)
    if first == -1.0:
        return html_resp(article_html("Rate-limited article, served after Retry-After"))
    remaining = max(1, math.ceil(RETRY_AFTER - (now - first)))
    if q.get("form") == ["date"]:
        ra = http_date(STATE.wall0 + (first - STATE.t0) + RETRY_AFTER)
    else:
        ra = str(remaining)
    return html_resp("<h1>429 Too Many Requests</h1>", 429, [("Retry-After", ra)])


def unavailable(_h, _q, long_retry: bool = False) -> Resp:
    extra = [("Retry-After", "86400")] if long_retry else []
    return html_resp("<h1>503 Service Unavailable</h1>", 503, extra)


def pdf(_h, _q, as_html: bool = False) -> Resp:
    ctype = "text/html; charset=utf-8" if as_html else "application/pdf"
    return Resp(200, [("Content-Type", ctype)], PDF_BYTES)


def png(_h, _q) -> Resp:
    return Resp(200, [("Content-Type", "image/png")], PNG_BYTES)


def xss_article(_h, _q) -> Resp:
    return Resp(200, [("Content-Type", "text/html; charset=utf-8")], XSS_ARTICLE)


def long_line(_h, _q) -> Resp:
    prefix = (b"<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>One very long line</title></head>"
              b"<body><article><h1>One very long line</h1><p>")
    suffix = b"</p></article></body></html>"
    block = (b"lorem ipsum dolor sit amet consectetur " * 2000)[:BLOCK]
    total = len(prefix) + LONG_LINE_BYTES + len(suffix)
    return Resp(200, [("Content-Type", "text/html; charset=utf-8")],
                repeat_to_size(prefix, block, total, suffix), length=total)


def invalid_utf8(_h, _q) -> Resp:
    return Resp(200, [("Content-Type", "text/html; charset=utf-8")], INVALID_UTF8)


def empty(_h, _q) -> Resp:
    return Resp(200, [("Content-Type", "text/html; charset=utf-8")], b"")


def disallowed(h, _q) -> Resp:
    return html_resp(article_html("This page is disallowed by robots.txt"))


def root(_h, _q) -> Resp:
    lines = "".join(f'<li><a href="{esc(p)}">{esc(p)}</a> [{k}] {esc(t)}</li>\n' for p, k, t, _ in CASES)
    return html_resp("<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>Hostile server</title></head>"
                     f"<body><h1>Hostile server</h1><ul>{lines}</ul>"
                     "<p>/feeds.opml, /cases.json, /_hits, /robots.txt</p></body></html>")


ROUTES: dict[str, Callable] = {
    "/": root,
    "/feeds/index.xml": index_feed,
    "/feeds.opml": opml,
    "/cases.json": cases_json,
    "/_hits": hits,
    "/robots.txt": robots,
    "/feeds/billion-laughs.xml": billion_laughs,
    "/feeds/billion-laughs-oneline.xml": billion_laughs_oneline,
    "/feeds/xxe.xml": xxe,
    "/feeds/xxe-remote-dtd.xml": xxe_remote,
    "/feeds/malformed.xml": malformed,
    "/feeds/truncated-transfer.xml": truncated_transfer,
    "/feeds/latin1.xml": lambda h, q: latin1(h, q, True),
    "/feeds/latin1-undeclared.xml": lambda h, q: latin1(h, q, False),
    "/feeds/bad-schemes.xml": bad_schemes,
    "/feeds/ssrf.xml": ssrf,
    "/feeds/xss.xml": xss_feed,
    "/feeds/10000-items.xml": bulk,
    "/feeds/no-links-dates.xml": no_links_dates,
    "/feeds/huge.xml": lambda h, q: huge(h, q, with_length=False, feed=True),
    "/feeds/gzip-bomb.xml": lambda h, q: bomb(h, q, feed=True),
    "/feeds/slow-drip.xml": lambda h, q: slow(h, q, feed=True),
    "/articles/redirect-loop": redirect_loop,
    "/articles/redirect-loop/b": redirect_loop_b,
    "/articles/redirect-to-internal": redirect_internal,
    "/articles/huge": huge,
    "/articles/huge-nolength": lambda h, q: huge(h, q, with_length=False),
    "/articles/gzip-bomb": bomb,
    "/articles/slow-drip": slow,
    "/articles/slow-headers": slow_headers,
    "/articles/rate-limited": rate_limited,
    "/articles/unavailable": unavailable,
    "/articles/unavailable-long-retry": lambda h, q: unavailable(h, q, True),
    "/articles/pdf": pdf,
    "/articles/pdf-as-html": lambda h, q: pdf(h, q, True),
    "/articles/image.png": png,
    "/articles/xss": xss_article,
    "/articles/long-line": long_line,
    "/articles/invalid-utf8": invalid_utf8,
    "/articles/empty": empty,
}
PREFIX_ROUTES: list[tuple[str, Callable]] = [
    ("/articles/ok", ok),  # /articles/ok and /articles/ok/<slug>
    ("/articles/redirect-chain", redirect_chain),  # /articles/redirect-chain[/<i>]
    ("/articles/disallowed/", disallowed),
]


def resolve(path: str) -> tuple[Callable | None, str]:
    if path in ROUTES:
        return ROUTES[path], ""
    for prefix, fn in PREFIX_ROUTES:
        if path == prefix.rstrip("/") or path.startswith(prefix.rstrip("/") + "/"):
            rest = path[len(prefix.rstrip("/")):].strip("/")
            if "/" not in rest:
                return fn, rest
    return None, ""


# --------------------------------------------------------------------------
# HTTP plumbing
# --------------------------------------------------------------------------
class Handler(BaseHTTPRequestHandler):
    server_version = "HostileServer/1.0"
    sys_version = ""
    protocol_version = "HTTP/1.1"
    timeout = 60  # socket timeout: a client that stops reading cannot pin a thread forever
    route_rest = ""

    def version_string(self) -> str:
        return self.server_version

    def log_message(self, fmt: str, *args) -> None:  # noqa: D401 (stdlib signature)
        STATE.log(f"main {self.address_string()} {fmt % args}")

    def do_GET(self) -> None:
        self._serve(head=False)

    def do_HEAD(self) -> None:
        self._serve(head=True)

    def do_POST(self) -> None:
        self.send_error(405)

    def _serve(self, head: bool) -> None:
        url = urlsplit(self.path)
        q = parse_qs(url.query)
        fn, self.route_rest = resolve(url.path)
        rec = None
        if not url.path.startswith("/_"):
            rec = STATE.record(port="main", method=self.command, path=self.path,
                               ua=self.headers.get("User-Agent", ""),
                               accept_encoding=self.headers.get("Accept-Encoding", ""))
        t = time.monotonic()
        if fn is None:
            resp = text_resp("not found\n", 404)
        else:
            resp = fn(self, q)
        sent = 0
        status = resp.status
        try:
            if resp.raw is not None:
                status = 200
                resp.raw(self)
                return
            self.send_response(resp.status)
            for k, v in resp.headers:
                self.send_header(k, v)
            if resp.length is not None:
                self.send_header("Content-Length", str(resp.length))
            self.send_header("Cache-Control", "no-store")
            self.send_header("Connection", "close")
            self.end_headers()
            self.close_connection = True
            if head:
                return
            body = resp.body
            if isinstance(body, (bytes, bytearray)):
                self.wfile.write(body)
                sent = len(body)
            else:
                try:
                    for chunk in body:
                        if STATE.stop.is_set():
                            break
                        self.wfile.write(chunk)
                        sent += len(chunk)
                finally:
                    close = getattr(body, "close", None)
                    if close:
                        close()
        except (BrokenPipeError, ConnectionResetError, ConnectionAbortedError, TimeoutError, OSError) as e:
            STATE.log(f"main {self.path}: client gone after {sent} bytes ({type(e).__name__})")
            self.close_connection = True
        finally:
            if rec is not None:
                rec.update(status=status, bytes_sent=sent, seconds=round(time.monotonic() - t, 3))


class CanaryHandler(BaseHTTPRequestHandler):
    """Stands in for an internal service. Any request here means SSRF / XXE
    protection failed."""
    server_version = "InternalAdmin/0.1"
    sys_version = ""
    protocol_version = "HTTP/1.1"
    timeout = 30

    def version_string(self) -> str:
        return self.server_version

    def log_message(self, fmt: str, *args) -> None:
        STATE.log(f"CANARY {self.address_string()} {fmt % args}")

    def do_GET(self) -> None:
        STATE.record(port="canary", method=self.command, path=self.path,
                     ua=self.headers.get("User-Agent", ""), status=200)
        sys.stderr.write(f"!!! CANARY HIT: {self.command} {self.path} (SSRF/XXE protection failed)\n")
        if urlsplit(self.path).path == "/evil.dtd":
            body, ctype = b'<!ENTITY canary "CANARY-DTD-LOADED">\n', "application/xml-dtd"
        else:
            body, ctype = b"CANARY-INTERNAL-ADMIN: this response must never be stored\n", "text/plain"
        self.send_response(200)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Connection", "close")
        self.end_headers()
        self.close_connection = True
        if self.command != "HEAD":
            self.wfile.write(body)

    do_HEAD = do_GET
    do_POST = do_GET


class BoundedServer(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False  # never wait for streaming handlers on shutdown
    allow_reuse_address = True
    request_queue_size = 128

    def __init__(self, addr, handler, max_conn: int) -> None:
        self._sem = threading.BoundedSemaphore(max_conn)
        super().__init__(addr, handler)

    def process_request(self, request, client_address) -> None:
        if not self._sem.acquire(blocking=False):  # too many open connections: refuse fast
            try:
                request.sendall(b"HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\n"
                                b"Connection: close\r\n\r\n")
            except OSError:
                pass
            self.shutdown_request(request)
            return
        try:
            super().process_request(request, client_address)
        except Exception:
            self._sem.release()
            raise

    def process_request_thread(self, request, client_address) -> None:
        try:
            super().process_request_thread(request, client_address)
        finally:
            self._sem.release()


def precompute_bombs() -> None:
    for key, (prefix, suffix) in (("html", (HTML_PREFIX, HTML_SUFFIX)), ("feed", (FEED_PREFIX, FEED_SUFFIX))):
        chunks = []
        for c in gzip_bomb(prefix, suffix):
            if STATE.stop.is_set():
                return
            chunks.append(c)
        STATE.bomb_cache[key] = b"".join(chunks)
        STATE.log(f"gzip bomb '{key}' ready: {len(STATE.bomb_cache[key])} bytes -> "
                  f"{len(prefix) + BOMB_INFLATED + len(suffix)} inflated")


def cases_markdown() -> str:
    rows = ["| Path | Kind | Hostile behaviour | Expected correct pipeline behaviour |",
            "|---|---|---|---|"]
    for p, k, t, e in CASES:
        rows.append(f"| `{p}` | {k} | {t.replace('|', '/')} | {e.replace('|', '/')} |")
    return "\n".join(rows) + "\n"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description="Hostile feed/article server, 127.0.0.1 only.")
    ap.add_argument("--port", type=int, default=0, help="port on 127.0.0.1; 0 = pick a free one (default)")
    ap.add_argument("--max-seconds", type=float, default=600.0,
                    help="stop by itself after this many seconds (default 600, max 86400)")
    ap.add_argument("--canary-port", type=int, default=0,
                    help="port for the internal-service canary on 127.0.0.1; 0 = free one (default)")
    ap.add_argument("--no-canary", action="store_true", help="do not start the canary listener")
    ap.add_argument("--max-connections", type=int, default=64, help="concurrent connections (default 64)")
    ap.add_argument("--no-precompute", action="store_true",
                    help="do not pre-compress the gzip bombs at start-up (they are then compressed per request)")
    ap.add_argument("--quiet", action="store_true", help="no per-request log on stderr")
    ap.add_argument("--cases-markdown", action="store_true", help="print the case table as Markdown and exit")
    args = ap.parse_args(argv)

    global STATE
    if args.cases_markdown:
        sys.stdout.write(cases_markdown())
        return 0
    if not (0 < args.max_seconds <= 86400):
        ap.error("--max-seconds must be in (0, 86400]")
    if not (0 <= args.port <= 65535) or not (0 <= args.canary_port <= 65535):
        ap.error("ports must be in [0, 65535]")
    if not (1 <= args.max_connections <= 1024):
        ap.error("--max-connections must be in [1, 1024]")

    STATE = State(args.max_seconds, args.quiet)
    srv = BoundedServer((HOST, args.port), Handler, args.max_connections)
    STATE.port = srv.server_address[1]
    STATE.base = f"http://{HOST}:{STATE.port}"
    canary = None
    if not args.no_canary:
        canary = BoundedServer((HOST, args.canary_port), CanaryHandler, 16)
        STATE.canary_port = canary.server_address[1]

    print(f"PORT {STATE.port}", flush=True)
    print(f"CANARY_PORT {STATE.canary_port}", flush=True)
    print(f"BASE {STATE.base}/", flush=True)
    print(f"INDEX {STATE.base}/feeds/index.xml", flush=True)
    print(f"CASES {STATE.base}/cases.json", flush=True)
    print(f"STOPS_AFTER {args.max_seconds:g}s", flush=True)

    def on_signal(signum, _frame) -> None:
        STATE.stop.set()
    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)

    servers = [srv] + ([canary] if canary else [])
    for s in servers:
        threading.Thread(target=s.serve_forever, kwargs={"poll_interval": 0.2}, daemon=True).start()
    if not args.no_precompute:
        threading.Thread(target=precompute_bombs, daemon=True).start()

    reason = "deadline"
    while not STATE.stop.wait(0.25):
        if time.monotonic() >= STATE.deadline:
            break
    else:
        reason = "signal"
    STATE.stop.set()
    for s in servers:
        s.shutdown()
        s.server_close()
    sys.stderr.write(f"STOPPED reason={reason} after {STATE.elapsed():.1f}s\n")
    sys.stderr.flush()
    print(f"STOPPED {reason} {STATE.elapsed():.1f}s", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
