"""Extraction: the page's metadata is read only for the fields a caller lacks, and then
exactly as trafilatura's own metadata pass reads it."""

from __future__ import annotations

from datetime import datetime

import pytest
import trafilatura
from trafilatura.metadata import extract_metadata
from trafilatura.utils import load_html

from commentary_monitor.extraction.extract import FIELDS, extract_page, page_metadata
from commentary_monitor.localsite import SampleArticle, article_page

from .conftest import RELATION_PARAGRAPHS

BODY = "".join(f"<p>{p}</p>" for p in RELATION_PARAGRAPHS)

PAGES = {
    # og: tags, a meta author, article:published_time (what localsite serves)
    "meta tags": article_page(SampleArticle("https://news.example/a/1", "Page title", "Ann Author", "s",
                                            "\n\n".join(RELATION_PARAGRAPHS), datetime(2026, 11, 10, 9)), "Site Name"),
    # JSON-LD only: headline, author and publisher from the structured data
    "json-ld": f"""<html><head><title>Ignored | Outlet</title>
        <script type="application/ld+json">{{"@context": "https://schema.org", "@type": "NewsArticle",
        "headline": "The headline from JSON-LD", "datePublished": "2026-10-03T08:00:00Z",
        "author": {{"@type": "Person", "name": "Boris Byline"}},
        "publisher": {{"@type": "Organization", "name": "The Structured Times"}}}}</script>
        </head><body><article>{BODY}</article></body></html>""",
    # nothing in the head: a byline in the body, a date in the URL, the site from the URL
    "bare": f"""<html><head><title>A bare page</title></head><body><article><h1>A bare page</h1>
        <p class="author">By Chen Wei</p>{BODY}</article></body></html>""",
    # a one-word meta author (dropped, as trafilatura drops it) and a lower-case site name
    "odd": f"""<html><head><meta name="author" content="admin"><meta property="og:site_name" content="lowercase gazette">
        <meta property="og:title" content="Odd page"></head><body><article>{BODY}</article></body></html>""",
}
URLS = {"meta tags": "https://news.example/a/1", "json-ld": "https://www.structured.example/2026/10/03/story",
        "bare": "https://www.bare.example/2026/09/12/a-bare-page", "odd": "https://odd.example/p"}


@pytest.mark.parametrize("name", sorted(PAGES))
def test_page_metadata_reads_what_trafilatura_reads(name):
    html, url = PAGES[name], URLS[name]
    theirs = extract_metadata(load_html(html), url)
    ours = page_metadata(load_html(html), url)
    assert (ours.title, ours.author, ours.date, ours.sitename) == (theirs.title, theirs.author, theirs.date, theirs.sitename)
    # and extract_page gives the same as one trafilatura call with its metadata pass
    doc = trafilatura.bare_extraction(html, url=url, with_metadata=True, include_comments=False)
    got = extract_page(html, url)
    assert got.text == doc.text.strip()
    assert (got.title, got.author, got.sitename) == (doc.title or None, doc.author or None, doc.sitename or None)
    assert got.published == (datetime.fromisoformat(doc.date) if doc.date else None)


def test_the_fields_come_from_the_page_only_when_asked_for():
    html, url = PAGES["json-ld"], URLS["json-ld"]
    full = extract_page(html, url)
    assert full.title == "The headline from JSON-LD" and full.author == "Boris Byline"
    assert full.sitename == "The Structured Times" and full.published == datetime(2026, 10, 3)
    for need in [(), ("sitename",), ("title", "published"), ("author",)]:
        part = extract_page(html, url, need)
        assert part.text == full.text and part.language == full.language
        for field, value in [("title", full.title), ("author", full.author), ("published", full.published),
                             ("sitename", full.sitename)]:
            assert getattr(part, field) == (value if field in need else None), (need, field)
    assert set(FIELDS) == {"title", "author", "published", "sitename"}


def test_nothing_extracted_is_none_whatever_is_asked():
    for need in [(), FIELDS]:
        assert extract_page("<html><head><title>T</title></head><body> </body></html>", "https://x.example/", need) is None
        assert extract_page(b"", "https://x.example/", need) is None
