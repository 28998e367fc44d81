"""Article text and metadata from HTML (the only module that imports trafilatura)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

import lxml.html
import trafilatura
from lxml.etree import ParserError


@dataclass(frozen=True)
class Extracted:
    title: str | None
    author: str | None
    published: datetime | None
    sitename: str | None
    language: str | None
    text: str


def _date(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        return datetime.fromisoformat(value).replace(tzinfo=None)
    except ValueError:
        return None


_HTML_LANG = re.compile(rb"<html\b[^>]*?\blang\s*=\s*[\"']?([a-zA-Z]{2,3})\b", re.IGNORECASE)


def _html_lang(html: bytes | str) -> str | None:
    # trafilatura reports a language only when asked to filter by one: read <html lang>.
    head = html[:8192]
    m = _HTML_LANG.search(head.encode("utf-8", "replace") if isinstance(head, str) else head)
    return m.group(1).decode("ascii").lower() if m else None


def extract_page(html: bytes | str, url: str) -> Extracted | None:
    """Main text and metadata of an article page, or None when nothing was found.

    ``html`` is the raw bytes (trafilatura detects the charset), or text already decoded."""
    doc = trafilatura.bare_extraction(html, url=url, with_metadata=True, include_comments=False)
    if doc is None or not (doc.text or "").strip():
        return None
    return Extracted(
        title=(doc.title or None),
        author=(doc.author or None),
        published=_date(doc.date),
        sitename=(doc.sitename or None),
        language=(doc.language or _html_lang(html)),
        text=doc.text.strip(),
    )


def html_to_text(fragment: str) -> str:
    """Plain text of an HTML fragment such as a feed entry's summary."""
    if not fragment or not fragment.strip():
        return ""
    if "<" not in fragment:
        return " ".join(fragment.split())
    try:
        root = lxml.html.fromstring(fragment)
    except (ParserError, ValueError):
        return " ".join(fragment.split())
    for bad in root.xpath("//script|//style"):
        bad.drop_tree()
    blocks = []
    for el in root.iter("p", "li", "h1", "h2", "h3", "h4", "blockquote"):
        t = " ".join(el.text_content().split())
        if t:
            blocks.append(t)
    if not blocks:
        return " ".join(root.text_content().split())
    return "\n\n".join(blocks)


@dataclass(frozen=True)
class ExtractionFailed:
    """A page whose extraction crashed its worker process (the run goes on without it)."""
    reason: str
