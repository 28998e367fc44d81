"""Parse feeds into plain entries: RSS 0.9x/1.0/2.0 and Atom (feedparser), JSON Feed 1.x;
find a site's feed (autodiscovery); read and write OPML subscription lists."""

from __future__ import annotations

import calendar
import json
import re
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from urllib.parse import urljoin, urlsplit
from xml.sax.saxutils import escape as xml_escape
from xml.sax.saxutils import quoteattr

import feedparser
import lxml.etree
import lxml.html

from commentary_monitor.errors import FeedError

# Dates before this or in the future are publisher mistakes: treat them as unknown.
EARLIEST_DATE = datetime(1995, 1, 1)
FUTURE_SLACK = timedelta(days=1)


@dataclass(frozen=True)
class FeedEntry:
    link: str
    guid: str
    title: str
    author: str | None
    published: datetime | None   # naive UTC
    summary_html: str            # the entry's summary or content, whichever is longer


@dataclass(frozen=True)
class ParsedFeed:
    url: str
    title: str | None
    entries: tuple[FeedEntry, ...]
    problem: str | None = None   # a recoverable parse problem (feedparser's bozo)
    total: int | None = None     # entries in the document, when more than were read (max_entries)


def _date(entry, now: datetime) -> datetime | None:
    for key in ("published_parsed", "updated_parsed"):
        st = entry.get(key)
        if st:
            try:
                dt = datetime.fromtimestamp(calendar.timegm(st), tz=timezone.utc).replace(tzinfo=None)
            except (OverflowError, ValueError, OSError):
                continue
            if EARLIEST_DATE <= dt <= now + FUTURE_SLACK:
                return dt
            return None
    return None


def _is_web_link(link: str) -> bool:
    parts = urlsplit(link)
    return parts.scheme in ("http", "https") and bool(parts.hostname)


def _looks_like_json(content: bytes) -> bool:
    return content.lstrip(b"\xef\xbb\xbf \t\r\n")[:1] == b"{"


_ENTRY_START = re.compile(rb"<(?:item|entry)[\s>/]")
_ROOT = re.compile(rb"<(rss|feed|rdf:RDF)[\s>]")


def _first_entries(content: bytes, max_entries: int) -> tuple[bytes, int | None]:
    """The document cut after its first ``max_entries`` entries (and closed again), and
    how many it had; unchanged with None when it has no more than that. feedparser holds
    ~2 KB per entry: a 10,000-item feed is not worth 20 MB when a run takes 200."""
    starts = _ENTRY_START.finditer(content)
    cut = next((m.start() for i, m in enumerate(starts) if i == max_entries), None)
    if cut is None:
        return content, None
    total = max_entries + 1 + sum(1 for _ in starts)
    root = _ROOT.search(content[:4096])
    closing = {b"rss": b"</channel></rss>", b"feed": b"</feed>", b"rdf:RDF": b"</rdf:RDF>"}.get(
        root.group(1) if root else b"", b"")
    return content[:cut] + closing, total


def parse_feed(content: bytes, url: str, now: datetime | None = None, max_entries: int | None = None) -> ParsedFeed:
    """Parse a feed document fetched from ``url``.

    Entries without an http(s) link are dropped. Raises :class:`FeedError` when the
    document is not a feed at all. Malformed XML is parsed leniently (the entries
    feedparser recovers are kept, the problem is in ``ParsedFeed.problem``); entities
    are never expanded and external entities never fetched (feedparser strips them).
    With ``max_entries``, only the first that many entries of a longer RSS or Atom
    document are read (feeds list their newest first); ``ParsedFeed.total`` says how many
    there were.
    """
    now = now or datetime.now(timezone.utc).replace(tzinfo=None)
    if _looks_like_json(content):
        return parse_json_feed(content, url, now)
    total = None
    if max_entries:
        content, total = _first_entries(content, max_entries)
    # An entry's HTML is only ever made into text (html_to_text, fingerprint), never shown as
    # HTML, and every output is escaped: feedparser's sanitizer and its rewriting of relative
    # links inside that HTML would be ~40% of its time for nothing (0.45 ms an entry on real feeds).
    parsed = feedparser.parse(content, response_headers={"content-location": url}, sanitize_html=False,
                              resolve_relative_uris=False)
    problem = None
    # Content-Type is not passed in, so feedparser always notes its absence: not a problem.
    if parsed.get("bozo") and not isinstance(parsed.bozo_exception, feedparser.NonXMLContentType):
        problem = f"{type(parsed.bozo_exception).__name__}: {parsed.bozo_exception}"
    if not parsed.get("version") and not parsed.entries:
        raise FeedError(url, f"not an RSS or Atom feed ({problem or 'no entries'})")
    entries = []
    no_link = bad_date = 0
    for e in parsed.entries:
        raw_link = (e.get("link") or "").strip()
        link = urljoin(url, raw_link) if raw_link else ""
        if not _is_web_link(link):
            no_link += 1
            continue
        summary = e.get("summary") or ""
        contents = [c.get("value", "") for c in e.get("content", []) if c.get("value")]
        body = max([summary, *contents], key=len)
        published = _date(e, now)
        if published is None and (e.get("published") or e.get("updated")):
            bad_date += 1   # 1970, the future or unparseable: unknown, the fetch time stands in
        entries.append(
            FeedEntry(
                link=link,
                guid=(e.get("id") or link).strip(),
                title=(e.get("title") or "").strip(),
                author=(e.get("author") or "").strip() or None,
                published=published,
                summary_html=body,
            )
        )
    notes = [problem] if problem else []
    if total:
        notes.append(f"only the first {max_entries} of {total} entries read")
    if no_link:
        notes.append(f"{no_link} entr{'y' if no_link == 1 else 'ies'} without an http(s) link dropped")
    if bad_date:
        notes.append(f"{bad_date} entr{'y' if bad_date == 1 else 'ies'} with an implausible or unparseable date")
    return ParsedFeed(url=url, title=(parsed.feed.get("title") or "").strip() or None, entries=tuple(entries),
                      problem="; ".join(notes) or None, total=total)


# --- JSON Feed ----------------------------------------------------------------------------

def _iso_date(value, now: datetime) -> datetime | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        dt = datetime.fromisoformat(value.strip())
    except ValueError:
        return None
    if dt.tzinfo is not None:
        dt = dt.astimezone(timezone.utc).replace(tzinfo=None)
    return dt if EARLIEST_DATE <= dt <= now + FUTURE_SLACK else None


def _text(value) -> str:
    return value.strip() if isinstance(value, str) else ""


def parse_json_feed(content: bytes, url: str, now: datetime) -> ParsedFeed:
    """JSON Feed 1.0/1.1 (https://jsonfeed.org/version/1.1)."""
    try:
        doc = json.loads(content.decode("utf-8", "replace"))
    except ValueError as exc:
        raise FeedError(url, f"not a JSON Feed (invalid JSON: {exc})") from None
    if not isinstance(doc, dict) or not str(doc.get("version", "")).startswith("https://jsonfeed.org/version/"):
        raise FeedError(url, "not a JSON Feed (no jsonfeed.org version)")
    items = doc.get("items") if isinstance(doc.get("items"), list) else []
    entries = []
    skipped = 0
    for it in items:
        if not isinstance(it, dict):
            skipped += 1
            continue
        raw_link = _text(it.get("url")) or _text(it.get("external_url"))
        link = urljoin(url, raw_link) if raw_link else ""
        if not _is_web_link(link):
            skipped += 1
            continue
        authors = it.get("authors") if isinstance(it.get("authors"), list) else [it.get("author")]
        names = [_text(a.get("name")) for a in authors if isinstance(a, dict) and _text(a.get("name"))]
        body = max([_text(it.get("content_html")), xml_escape(_text(it.get("content_text"))),
                    xml_escape(_text(it.get("summary")))], key=len)
        entries.append(FeedEntry(
            link=link,
            guid=_text(str(it.get("id", ""))) or link,
            title=_text(it.get("title")),
            author=", ".join(names) or None,
            published=_iso_date(it.get("date_published"), now) or _iso_date(it.get("date_modified"), now),
            summary_html=body,
        ))
    problem = f"{skipped} item(s) without an http(s) url skipped" if skipped else None
    return ParsedFeed(url=url, title=_text(doc.get("title")) or None, entries=tuple(entries), problem=problem)


# --- autodiscovery ------------------------------------------------------------------------

FEED_TYPES = ("application/rss+xml", "application/atom+xml", "application/feed+json", "application/json",
              "application/rdf+xml", "application/xml", "text/xml")


def discover_feeds(html: bytes, base_url: str) -> list[str]:
    """Feed URLs a page announces with ``<link rel="alternate" type="application/rss+xml" href=...>``."""
    try:
        root = lxml.html.fromstring(html)
    except (lxml.etree.ParserError, ValueError):
        return []
    found = []
    for link in root.iter("link"):
        rels = (link.get("rel") or "").lower().split()
        ltype = (link.get("type") or "").split(";")[0].strip().lower()
        href = (link.get("href") or "").strip()
        if "alternate" in rels and ltype in FEED_TYPES and href:
            u = urljoin(base_url, href)
            if _is_web_link(u) and u not in found:
                found.append(u)
    return found


# --- OPML ---------------------------------------------------------------------------------

def parse_opml(data: bytes) -> list[tuple[str, str | None]]:
    """(feed URL, title) of every outline with an http(s) ``xmlUrl``, in document order."""
    parser = lxml.etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False,
                                  recover=True)
    try:
        root = lxml.etree.fromstring(data, parser)
    except lxml.etree.XMLSyntaxError as exc:
        raise FeedError("opml", f"not an OPML file: {exc}") from None
    if root is None or lxml.etree.QName(root).localname.lower() != "opml":
        raise FeedError("opml", "not an OPML file (no <opml> root)")
    out: list[tuple[str, str | None]] = []
    seen = set()
    for el in root.iter("{*}outline", "outline"):
        attrs = {k.lower(): v for k, v in el.attrib.items()}
        url = (attrs.get("xmlurl") or "").strip()
        if not _is_web_link(url) or url in seen:
            continue
        seen.add(url)
        title = (attrs.get("title") or attrs.get("text") or "").strip() or None
        out.append((url, title))
    return out


def write_opml(feeds: list[tuple[str, str | None]], title: str = "commentary-monitor feeds") -> str:
    """An OPML 2.0 document listing ``feeds`` as (url, name)."""
    lines = ['<?xml version="1.0" encoding="utf-8"?>', '<opml version="2.0">',
             f"<head><title>{xml_escape(title)}</title></head>", "<body>"]
    for url, name in feeds:
        label = name or url
        lines.append(f'  <outline type="rss" text={quoteattr(label)} title={quoteattr(label)} xmlUrl={quoteattr(url)}/>')
    lines += ["</body>", "</opml>", ""]
    return "\n".join(lines)
