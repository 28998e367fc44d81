"""The ingest stages as plain functions: feeds -> new entries -> articles -> scores.

The Prefect flow in ``flows/ingest.py`` calls these inside tasks; nothing here
knows about Prefect, so every stage is testable on its own.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import datetime
from urllib.parse import urlsplit, urlunsplit

import courlan

from .config import FeedConfig, FetchSettings
from .errors import FeedError, FetchError
from .extract import extract_page, html_to_text
from .feeds import FeedEntry, ParsedFeed, parse_feed
from .fetch import Fetched, fetch_many
from .warehouse import utcnow

FEED_ACCEPT = "application/rss+xml, application/atom+xml, application/xml;q=0.9, text/xml;q=0.8, */*;q=0.5"
PAGE_ACCEPT = "text/html, application/xhtml+xml;q=0.9, */*;q=0.5"
HTML_TYPES = {"text/html", "application/xhtml+xml", ""}


def canonical_url(url: str) -> str:
    """The key an article is stored under: tracking parameters (utm_*, fbclid, ...) and
    the fragment removed, host lower-cased, query parameters sorted."""
    try:
        cleaned = courlan.normalize_url(url, strict=True)
    except (ValueError, TypeError):
        cleaned = url
    parts = urlsplit(cleaned)
    return urlunsplit((parts.scheme, parts.netloc, parts.path or "/", parts.query, ""))


def article_id(canonical: str) -> str:
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()[:16]


@dataclass
class FeedOutcome:
    feed: FeedConfig
    status: str                        # 'ok' or 'error'
    http_status: int | None = None
    parsed: ParsedFeed | None = None
    error_kind: str | None = None
    error: str | None = None
    new_items: int = 0

    @property
    def items(self) -> int | None:
        return len(self.parsed.entries) if self.parsed else None


@dataclass(frozen=True)
class Candidate:
    """A feed entry that is not in the warehouse yet."""
    feed: FeedConfig
    feed_title: str | None
    entry: FeedEntry
    url: str                           # canonical


@dataclass
class Article:
    article_id: str
    url: str
    link: str
    guid: str | None
    feed_url: str
    outlet: str | None
    title: str | None
    author: str | None
    published_at: datetime | None
    fetched_at: datetime
    language: str | None
    text: str
    text_source: str                   # 'page' or 'feed'
    page_status: str                   # 'ok', 'error', 'not_html', 'too_short', 'empty'
    page_error: str | None = None
    extra: dict = field(default_factory=dict)


def fetch_feeds(feeds: list[FeedConfig], settings: FetchSettings) -> list[FeedOutcome]:
    """Fetch and parse every feed; one outcome per feed, errors included, never raising."""
    responses = fetch_many([f.url for f in feeds], settings, settings.max_feed_bytes, FEED_ACCEPT)
    outcomes = []
    for feed, resp in zip(feeds, responses):
        if isinstance(resp, FetchError):
            outcomes.append(FeedOutcome(feed, "error", resp.status, error_kind=resp.kind, error=resp.message))
            continue
        try:
            parsed = parse_feed(resp.content, resp.final_url)
        except FeedError as exc:
            outcomes.append(FeedOutcome(feed, "error", resp.status, error_kind=exc.kind, error=exc.message))
            continue
        outcomes.append(FeedOutcome(feed, "ok", resp.status, parsed=parsed))
    return outcomes


def candidate_urls(outcomes: list[FeedOutcome]) -> list[str]:
    return [canonical_url(e.link) for o in outcomes if o.parsed for e in o.parsed.entries]


def select_new(outcomes: list[FeedOutcome], known: set[str], max_per_feed: int) -> list[Candidate]:
    """Entries not yet stored, each URL once across all feeds, at most ``max_per_feed`` per feed
    (newest first when the feed gives dates)."""
    seen = set(known)
    out: list[Candidate] = []
    for o in outcomes:
        if not o.parsed:
            continue
        entries = sorted(o.parsed.entries, key=lambda e: e.published or datetime.min, reverse=True)
        taken = 0
        for e in entries:
            url = canonical_url(e.link)
            if url in seen:
                continue
            if taken >= max_per_feed:
                break
            seen.add(url)
            taken += 1
            out.append(Candidate(o.feed, o.parsed.title, e, url))
    return out


def build_articles(candidates: list[Candidate], settings: FetchSettings) -> list[Article]:
    """Fetch each candidate's page and extract it; fall back to the feed's own content
    when the page fails, is not HTML, or yields less text than the feed has."""
    pages = fetch_many([c.entry.link for c in candidates], settings, settings.max_page_bytes, PAGE_ACCEPT)
    return [make_article(c, p, settings.min_text_chars) for c, p in zip(candidates, pages)]


def make_article(c: Candidate, page: Fetched | FetchError, min_text_chars: int) -> Article:
    feed_text = html_to_text(c.entry.summary_html)
    extracted = None
    status, error = "ok", None
    if isinstance(page, FetchError):
        status, error = "error", f"{page.kind}: {page.message}"
    elif page.content_type not in HTML_TYPES and not page.content_type.endswith("+xml"):
        status, error = "not_html", f"content type {page.content_type}"
    else:
        extracted = extract_page(page.content, page.final_url)
        if extracted is None:
            status, error = "empty", "no main text found"
        elif len(extracted.text) < min_text_chars and len(extracted.text) < len(feed_text):
            status, error = "too_short", f"{len(extracted.text)} characters extracted"
            extracted = None
    use_page = extracted is not None
    text = extracted.text if use_page else feed_text
    return Article(
        article_id=article_id(c.url),
        url=c.url,
        link=c.entry.link,
        guid=c.entry.guid,
        feed_url=c.feed.url,
        outlet=c.feed.name or (extracted.sitename if extracted else None) or c.feed_title or urlsplit(c.url).hostname,
        title=c.entry.title or (extracted.title if extracted else None),
        author=c.entry.author or (extracted.author if extracted else None),
        published_at=c.entry.published or (extracted.published if extracted else None),
        fetched_at=utcnow(),
        language=extracted.language if extracted else None,
        text=text or c.entry.title or "",
        text_source="page" if use_page else "feed",
        page_status=status,
        page_error=error,
    )


@dataclass
class IngestSummary:
    """What one ingest run did, small enough to print on one screen."""
    run_id: str
    feeds_ok: int
    feeds_failed: list[tuple[str, str, str]]     # (url, kind, message)
    articles_new: int
    from_feed_content: int                       # new articles whose page could not be used
    relevant: dict[str, int]                     # profile -> new relevant articles
    seconds: float

    def render(self) -> str:
        total = self.feeds_ok + len(self.feeds_failed)
        lines = [
            f"ingest: {total} feeds, {self.feeds_ok} ok, {len(self.feeds_failed)} failed; "
            f"{self.articles_new} new articles ({self.from_feed_content} from feed content) in {self.seconds:.1f}s",
        ]
        for name, n in self.relevant.items():
            lines.append(f"  relevant to {name}: {n}")
        if self.feeds_failed:
            lines.append("  failed feeds:")
            shown = self.feeds_failed[:15]
            for url, kind, message in shown:
                lines.append(f"    {kind:<10} {url}  ({_short(message)})")
            if len(self.feeds_failed) > len(shown):
                lines.append(f"    ... and {len(self.feeds_failed) - len(shown)} more (see the fetches table)")
            if not self.feeds_ok and all(kind == "dns" for _, kind, _ in self.feeds_failed):
                lines.append("  note: no feed host could be resolved: is this machine offline?")
        return "\n".join(lines)


def _short(text: str, n: int = 90) -> str:
    text = " ".join(text.split())
    return text if len(text) <= n else text[: n - 1] + "…"
