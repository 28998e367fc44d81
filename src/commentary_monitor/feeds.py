"""Parse RSS and Atom feeds (feedparser) into plain entries."""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from urllib.parse import urljoin, urlsplit

import feedparser

from .errors import FeedError

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


def parse_feed(content: bytes, url: str, now: datetime | None = None) -> ParsedFeed:
    """Parse a feed document fetched from ``url``.

    Entries without an http(s) link are dropped. Raises :class:`FeedError` when the
    document is not a feed at all.
    """
    now = now or datetime.now(timezone.utc).replace(tzinfo=None)
    parsed = feedparser.parse(content, response_headers={"content-location": url})
    problem = None
    if parsed.get("bozo"):
        problem = f"{type(parsed.bozo_exception).__name__}: {parsed.bozo_exception}"
    if not parsed.get("version") and not parsed.entries:
        raise FeedError(url, f"not an RSS or Atom feed ({problem or 'no entries'})")
    entries = []
    for e in parsed.entries:
        raw_link = (e.get("link") or "").strip()
        link = urljoin(url, raw_link) if raw_link else ""
        if not _is_web_link(link):
            continue
        summary = e.get("summary") or ""
        contents = [c.get("value", "") for c in e.get("content", []) if c.get("value")]
        body = max([summary, *contents], key=len)
        entries.append(
            FeedEntry(
                link=link,
                guid=(e.get("id") or link).strip(),
                title=(e.get("title") or "").strip(),
                author=(e.get("author") or "").strip() or None,
                published=_date(e, now),
                summary_html=body,
            )
        )
    return ParsedFeed(url=url, title=(parsed.feed.get("title") or "").strip() or None, entries=tuple(entries), problem=problem)
