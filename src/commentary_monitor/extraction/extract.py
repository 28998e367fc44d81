"""Article text and metadata from HTML (the only module that imports trafilatura)."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime

import lxml.html
import trafilatura
from htmldate import find_date
from lxml.etree import ParserError
from trafilatura.metadata import (META_URL, examine_meta, extract_author, extract_meta_json, extract_sitename,
                                  extract_title, extract_url)
from trafilatura.settings import DEFAULT_CONFIG, Document, set_date_params
from trafilatura.utils import load_html

from commentary_monitor.extraction.language import article_language, normalize, page_language


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


_MAX_FILE_SIZE = DEFAULT_CONFIG.getint("DEFAULT", "MAX_FILE_SIZE")   # what bare_extraction parses at most

#: The metadata a page can give. A caller that has some of them already (a feed entry's title,
#: date and author; a feed's configured name) asks only for the others.
FIELDS = frozenset({"title", "author", "published", "sitename"})


def extract_page(html: bytes | str, url: str, need: Collection[str] = FIELDS) -> Extracted | None:
    """Main text and metadata of an article page, or None when nothing was found.

    ``html`` is the raw bytes (trafilatura detects the charset), or text already decoded.
    ``need``: the metadata fields (of :data:`FIELDS`) wanted from the page; the others come
    back None. trafilatura's own metadata pass (``with_metadata=True``) costs about a
    quarter of the whole extraction (an author search through the page when its meta tags
    name none, categories, tags, a licence) and a run mostly has the fields from the feed
    already: the text is extracted alone, and the fields still missing are then read from
    the page (:func:`page_metadata`) exactly as that pass would read them. The text is the
    same either way. The text is extracted without trafilatura's fallback extractors
    (``fast=True``)."""
    tree = None
    if need:   # parsed here, so that the metadata is read from the same tree
        try:
            tree = load_html(html, _MAX_FILE_SIZE)
        except (TypeError, ValueError):   # as bare_extraction: not HTML, or inflates past the cap
            return None
        if tree is None:
            return None
    # given a tree, bare_extraction works on a copy of it: the tree stays whole for the metadata
    # fast: without trafilatura's fallback extractors (readability, jusText), a quarter less
    # CPU, and as good on real news pages (docs/benchmarks.md, "Extraction without fallbacks")
    doc = trafilatura.bare_extraction(html if tree is None else tree, url=url, with_metadata=False, include_comments=False,
                                      fast=True)
    if doc is None or not (doc.text or "").strip():
        return None
    fields = dict.fromkeys(FIELDS)
    if tree is not None:
        meta = page_metadata(tree, url, need)
        found = {"title": meta.title, "author": meta.author, "published": _date(meta.date), "sitename": meta.sitename}
        fields.update((f, found[f] or None) for f in need)
    text = doc.text.strip()
    # trafilatura reports a language only when asked to filter by one: read <html lang>, and
    # let the text overrule it when the page names none, or one the text is not in.
    declared = normalize(doc.language) or page_language(html)
    return Extracted(**fields, language=article_language(declared, text), text=text)


def page_metadata(tree, url: str, need: Collection[str] = FIELDS) -> Document:
    """The ``need``ed fields of a parsed page's metadata: trafilatura's ``extract_metadata``
    (trafilatura 2.3.1, which the project pins; a test compares the two) step by step,
    less the steps for fields not wanted and for those nothing here stores (categories,
    tags, licence)."""
    meta = examine_meta(tree)
    if meta.author and " " not in meta.author:
        meta.author = None
    try:
        meta = extract_meta_json(tree, meta)
    except Exception:   # noqa: BLE001 - as trafilatura: its JSON-LD reader has bugs, the page goes on
        pass
    if "title" in need and not meta.title:
        meta.title = extract_title(tree)
    if "author" in need and not meta.author:
        meta.author = extract_author(tree)
    if "published" in need or "sitename" in need:
        if not meta.url:
            meta.url = extract_url(tree, url)
    if "published" in need:
        meta.date = find_date(tree, **{**set_date_params(True), "url": meta.url})
    if "sitename" in need:
        if not meta.sitename:
            meta.sitename = extract_sitename(tree)
        if meta.sitename:
            meta.sitename = meta.sitename.lstrip("@")
            if meta.sitename and "." not in meta.sitename and not meta.sitename[0].isupper():
                meta.sitename = meta.sitename.title()
        elif meta.url:
            m = META_URL.match(meta.url)
            if m:
                meta.sitename = m[1]
    meta.clean_and_trim()
    return meta


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
