"""The ingest stages as plain functions: feeds -> new entries -> articles -> scores.

The Prefect flow in ``flows/ingest.py`` calls these inside tasks; nothing here
knows about Prefect, so every stage is testable on its own.
"""

from __future__ import annotations

import gc
import hashlib
import re
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from urllib.parse import urlsplit

import zstandard

from commentary_monitor import stopping
from commentary_monitor.config import FeedConfig, FetchSettings
from commentary_monitor.fetching.content import clean_text, page_markup, sniff_not_html
from commentary_monitor.errors import FeedError, FetchError
from commentary_monitor.feeds.parse import FeedEntry, ParsedFeed, discover_feeds, parse_feed
from commentary_monitor.fetching.fetch import Fetched, Validators, fetch_many
from commentary_monitor.fetching.fetch import fetch_robots as fetch_robots_texts
from commentary_monitor.feeds.health import cut
from commentary_monitor.extraction.language import article_language
from commentary_monitor.fetching.pagequeue import PageQueue
from commentary_monitor.fetching.urls import article_id, canonical_url
from commentary_monitor.warehouse.search import article_terms
from commentary_monitor.warehouse.store import FeedRun, FeedState, Warehouse, utcnow
from commentary_monitor.runs.workers import WorkerDied, run_many

FEED_ACCEPT = ("application/rss+xml, application/atom+xml, application/feed+json, application/xml;q=0.9, "
               "text/xml;q=0.8, */*;q=0.5")
PAGE_ACCEPT = "text/html, application/xhtml+xml;q=0.9, */*;q=0.5"
HTML_TYPES = {"text/html", "application/xhtml+xml", ""}


# A feed is read up to max(this, 5 x max_new_per_feed) entries: enough for five runs' worth.
MIN_PARSED_ENTRIES = 1000


@dataclass
class FeedOutcome:
    feed: FeedConfig
    status: str                        # 'ok' or 'error'
    http_status: int | None = None
    parsed: ParsedFeed | None = None   # None when not modified (304)
    error_kind: str | None = None
    error: str | None = None
    new_items: int = 0
    resolved_url: str | None = None    # the feed autodiscovery found, when feed.url is a web page
    etag: str | None = None
    last_modified: str | None = None
    retry_after: float | None = None   # seconds, from a Retry-After the fetcher did not wait out
    parse_seconds: float = 0.0         # spent parsing the document (feedparser), for the run's stages

    entry_count: int | None = None    # kept by release_entries()

    @property
    def items(self) -> int | None:
        if self.entry_count is not None:
            return self.entry_count
        if self.parsed is None:
            return None
        return self.parsed.total or len(self.parsed.entries)

    def release_entries(self) -> None:
        """Drop the parsed entries once new ones are selected (a 10,000-item feed holds
        tens of MB); the count stays for the fetches table."""
        if self.parsed is not None:
            self.entry_count = self.items
            self.parsed = ParsedFeed(self.parsed.url, self.parsed.title, (), self.parsed.problem)

    @property
    def not_modified(self) -> bool:
        return self.http_status == 304

    @property
    def skipped(self) -> bool:
        """Not requested this run: still inside a long Retry-After from an earlier run."""
        return self.error_kind == "deferred" and self.http_status is None

    @property
    def problem(self) -> str | None:
        return self.parsed.problem if self.parsed else None

    def retry_not_before(self, now: datetime) -> datetime | None:
        return now + timedelta(seconds=min(self.retry_after, 30 * 86400)) if self.retry_after else None


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


def fetch_feeds(feeds: list[FeedConfig], settings: FetchSettings,
                states: dict[str, FeedState] | None = None, on_read=None) -> list[FeedOutcome]:
    """Fetch and parse every feed; one outcome per feed, errors included, never raising.

    A feed with stored validators is fetched conditionally (a 304 is an ``ok`` outcome
    with nothing parsed); a feed still inside a long ``Retry-After`` is not fetched; a
    configured URL that turns out to be a web page is resolved by autodiscovery and the
    feed found is remembered (``resolved_url``).

    With ``on_read``, ``on_read(outcome)`` is called for each feed as soon as its outcome is
    final, while the others are still being read (in this thread): a feed that drips holds
    up its own entries only.
    """
    states = states or {}
    now = utcnow()
    max_entries = max(MIN_PARSED_ENTRIES, 5 * settings.max_new_per_feed)

    def parse(resp: Fetched) -> tuple[ParsedFeed, float]:
        """The document parsed, and the seconds it took (for the run's stages)."""
        started = time.perf_counter()
        return parse_feed(resp.content, resp.final_url, max_entries=max_entries), time.perf_counter() - started

    outcomes: list[FeedOutcome | None] = [None] * len(feeds)
    todo: list[int] = []
    for i, feed in enumerate(feeds):
        st = states.get(feed.url)
        if st and st.retry_not_before and st.retry_not_before > now:
            outcomes[i] = FeedOutcome(feed, "error", error_kind="deferred", resolved_url=st.resolved_url,
                                      error=f"server asked to wait until {st.retry_not_before:%Y-%m-%d %H:%M} UTC",
                                      retry_after=(st.retry_not_before - now).total_seconds())
        else:
            todo.append(i)
    urls = [(states[feeds[i].url].resolved_url if feeds[i].url in states else None) or feeds[i].url for i in todo]
    checks = [Validators(states[feeds[i].url].etag, states[feeds[i].url].last_modified) if feeds[i].url in states else None
              for i in todo]
    discover: list[tuple[int, str]] = []
    stale: list[int] = []     # a feed found by autodiscovery that is gone: look on the page again

    def settle(j: int, resp: Fetched | FetchError) -> None:
        i, url = todo[j], urls[j]
        feed = feeds[i]
        resolved = url if url != feed.url else None
        if isinstance(resp, FetchError):
            outcomes[i] = FeedOutcome(feed, "error", resp.status, error_kind=resp.kind, error=resp.message,
                                      resolved_url=resolved, retry_after=resp.retry_after)
            if resolved and not resp.may_pass and resp.kind == "http":
                stale.append(i)
        elif resp.not_modified:
            outcomes[i] = FeedOutcome(feed, "ok", 304, resolved_url=resolved)
        else:
            try:
                parsed, seconds = parse(resp)
            except FeedError as exc:
                found = discover_feeds(resp.content, resp.final_url) if resolved is None else []
                if found:
                    discover.append((i, found[0]))
                elif resolved:
                    stale.append(i)
                outcomes[i] = FeedOutcome(feed, "error", resp.status, error_kind=exc.kind, error=exc.message,
                                          resolved_url=resolved)
            else:
                outcomes[i] = FeedOutcome(feed, "ok", resp.status, parsed=parsed, resolved_url=resolved,
                                          etag=resp.etag, last_modified=resp.last_modified,
                                          parse_seconds=seconds)
        if on_read is not None and i not in stale and (not discover or discover[-1][0] != i):
            on_read(outcomes[i])

    for i in range(len(feeds)):
        if outcomes[i] is not None and on_read is not None:   # not requested: waiting out a Retry-After
            on_read(outcomes[i])
    fetch_many(urls, settings, settings.max_feed_bytes, FEED_ACCEPT, checks, on_done=settle)
    if stale:   # the configured page may now announce another feed (or be one itself)
        pages = fetch_many([feeds[i].url for i in stale], settings, settings.max_feed_bytes, FEED_ACCEPT)
        for i, resp in zip(stale, pages):
            if isinstance(resp, FetchError):
                continue   # the discovered feed's own failure stands
            try:
                parsed, seconds = parse(resp)
            except FeedError:
                found = [u for u in discover_feeds(resp.content, resp.final_url) if u != outcomes[i].resolved_url]
                if found:
                    discover.append((i, found[0]))
                continue
            outcomes[i] = FeedOutcome(feeds[i], "ok", resp.status, parsed=parsed, resolved_url=None,
                                      etag=resp.etag, last_modified=resp.last_modified,
                                      parse_seconds=seconds)
    if discover:
        found_resp = fetch_many([u for _, u in discover], settings, settings.max_feed_bytes, FEED_ACCEPT)
        for (i, url), resp in zip(discover, found_resp):
            feed = feeds[i]
            if isinstance(resp, FetchError):
                outcomes[i] = FeedOutcome(feed, "error", resp.status, error_kind=resp.kind,
                                          error=f"discovered feed {url}: {resp.message}")
                continue
            try:
                parsed, seconds = parse(resp)
            except FeedError as exc:
                outcomes[i] = FeedOutcome(feed, "error", resp.status, error_kind=exc.kind,
                                          error=f"discovered feed {url}: {exc.message}")
                continue
            outcomes[i] = FeedOutcome(feed, "ok", resp.status, parsed=parsed, resolved_url=url,
                                      etag=resp.etag, last_modified=resp.last_modified,
                                      parse_seconds=seconds)
    if on_read is not None:   # the feeds looked for again, read only now
        for i in sorted({i for i in stale} | {i for i, _ in discover}):
            on_read(outcomes[i])
    return [o for o in outcomes if o is not None]


def candidate_urls(outcomes: list[FeedOutcome]) -> list[str]:
    return [canonical_url(e.link) for o in outcomes if o.parsed for e in o.parsed.entries]


_TAGS = re.compile(r"<[^>]*>")
_NON_WORD = re.compile(r"\W+")
MIN_FINGERPRINT_TEXT = 60


def fingerprint(entry: FeedEntry) -> str | None:
    """A key for the same story under another URL: the entry's normalised title and the
    start of its text. None when the entry carries too little text to tell stories apart."""
    text = _NON_WORD.sub(" ", _TAGS.sub(" ", entry.summary_html[:4000])).strip().lower()[:1000]
    title = _NON_WORD.sub(" ", entry.title).strip().lower()
    if not title or len(text) < MIN_FINGERPRINT_TEXT:
        return None
    return hashlib.sha256(f"{title}\n{text}".encode("utf-8")).hexdigest()[:32]


def select_new(outcomes: list[FeedOutcome], known: set[str], max_per_feed: int,
               known_guids: dict[str, set[str]] | None = None, known_fingerprints: set[str] | None = None,
               deferred: set[str] | None = None, taken: list[Candidate] = ()) -> list[Candidate]:
    """Entries not yet stored, at most ``max_per_feed`` per feed, newest first when the feed
    gives dates. An entry is already stored when its canonical URL, its GUID (within its
    feed) or its content fingerprint is; each is taken once across all feeds, and across
    the candidates ``taken`` already from other feeds of the run. Pages waiting out a long
    Retry-After (``deferred``) are left for a later run."""
    seen = set(known) | set(deferred or ()) | {c.url for c in taken}
    prints = set(known_fingerprints or ()) | {fp for c in taken if (fp := fingerprint(c.entry))}
    out: list[Candidate] = []
    for o in outcomes:
        if not o.parsed:
            continue
        guids = set((known_guids or {}).get(o.feed.url, ()))
        entries = sorted(o.parsed.entries, key=lambda e: e.published or datetime.min, reverse=True)
        taken = 0
        for e in entries:
            url = canonical_url(e.link)
            fp = fingerprint(e)
            if url in seen or e.guid in guids or (fp and fp in prints):
                continue
            if taken >= max_per_feed:
                break
            seen.add(url)
            guids.add(e.guid)
            if fp:
                prints.add(fp)
            taken += 1
            out.append(Candidate(o.feed, o.parsed.title, e, url))
    return out


def select_new_stored(outcomes: list[FeedOutcome], wh: Warehouse, max_per_feed: int,
                      taken: list[Candidate] = ()) -> list[Candidate]:
    """:func:`select_new` with what the warehouse knows: stored URLs, GUIDs and content
    fingerprints, and pages still waiting out a long Retry-After (and the candidates
    ``taken`` from the run's other feeds). The parsed entries are released afterwards
    (their count stays)."""
    urls = candidate_urls(outcomes)
    candidates = select_new(
        outcomes, wh.known_urls(urls), max_per_feed,
        known_guids={o.feed.url: wh.known_guids(o.feed.url, [e.guid for e in o.parsed.entries])
                     for o in outcomes if o.parsed},
        known_fingerprints=wh.known_fingerprints(
            [fp for o in outcomes if o.parsed for e in o.parsed.entries if (fp := fingerprint(e))]),
        deferred=wh.deferred_urls(urls),
        taken=taken,
    )
    for o in outcomes:
        o.release_entries()
    return candidates


PAGE_ATTEMPTS = 3                 # runs that try a page whose failure may pass before its feed text is kept
PAGE_RETRY_WAIT = timedelta(minutes=30)   # before the second try; x4 before each next one


def set_aside_deferred(wh: Warehouse, built: list[Article], scores: list[list]) -> tuple[list[Article], list[list]]:
    """Leave for a later run the pages whose server asked for a long wait (Retry-After), and
    those whose failure may pass (timeouts, 5xx...) until they have been tried
    :data:`PAGE_ATTEMPTS` times; after that the article is stored with its feed's text.
    Returns the articles to store, and their scores."""
    now = utcnow()
    tried = wh.deferred_attempts([a.url for a in built if a.extra.get("may_pass")])
    later, kept = [], []
    for a, s in zip(built, scores):
        attempts = tried.get(a.url, 0) + 1
        if a.page_status == "deferred":
            later.append((a.url, a.feed_url, now + timedelta(seconds=a.extra.get("retry_after") or 3600),
                          a.page_error or "", attempts))
        elif a.extra.get("may_pass") and attempts < PAGE_ATTEMPTS:
            later.append((a.url, a.feed_url, now + PAGE_RETRY_WAIT * 4 ** (attempts - 1),
                          f"{a.page_error} (try {attempts} of {PAGE_ATTEMPTS})", attempts))
        else:
            kept.append((a, s))
    wh.defer_pages(later)
    wh.clear_deferred([a.url for a, _ in kept])
    return [a for a, _ in kept], [s for _, s in kept]


def record_outcomes(wh: Warehouse, run_id: str, outcomes: list[FeedOutcome]) -> None:
    """One ``fetches`` row per feed, and each feed's state for the next run (in one go)."""
    now = utcnow()
    wh.record_feeds(run_id, [
        FeedRun(o.feed.url, o.status == "ok", http_status=o.http_status, items=o.items, new_items=o.new_items,
                error_kind=o.error_kind, error=o.error, problem=o.problem, title=o.parsed.title if o.parsed else None,
                update_state=not o.skipped,   # waiting out a Retry-After is not another failed run
                resolved_url=o.resolved_url, etag=o.etag, last_modified=o.last_modified, keep_validators=o.not_modified,
                retry_not_before=o.retry_not_before(now))
        for o in outcomes])


def fetch_robots(candidates: list[Candidate], settings: FetchSettings) -> dict[str, str | None]:
    """robots.txt of every site the candidates are on, once per run (see build_articles)."""
    return fetch_robots_texts([c.entry.link for c in candidates], settings)


_fetching = threading.Lock()


@dataclass
class Batch:
    """One batch of candidates made into articles, with their scores (one list per article,
    empty without a scorer) and the seconds spent per stage (summed over worker processes
    for extraction and scoring)."""
    articles: list[Article]
    scores: list[list]
    timings: dict[str, float]
    started: float = 0.0        # time.time() when the batch began (its task's start)


def process_batch(candidates: list[Candidate], settings: FetchSettings,
                  robots_texts: dict[str, str | None] | None = None, scorer=None,
                  workers: int | None = None, pages: list[Fetched | FetchError] | None = None) -> Batch:
    """Fetch each candidate's page (obeying robots.txt), extract and score it; fall back to
    the feed's own content when the page fails, is not HTML, or yields less text than the
    feed has. ``robots_texts`` (from :func:`fetch_robots`) spares each batch fetching the
    same robots.txt again. Extraction and scoring, the CPU-heavy part, run in ``workers``
    processes (default: ``settings.extract_workers``), each page extracted and scored in the
    same worker. A page whose server asked for a long wait comes back with
    ``page_status='deferred'`` and no scores: the caller leaves it for a later run.
    ``pages``, when given, are the candidates' pages fetched already (see :func:`arrived_batch`)."""
    started_at, started = time.time(), time.perf_counter()
    timings = {"extract": 0.0, "score": 0.0, "index terms": 0.0}
    if pages is None:
        with _fetching:   # one batch fetches at a time: per-host limits hold across batches in flight
            pages = fetch_many([c.entry.link for c in candidates], settings, settings.max_page_bytes, PAGE_ACCEPT,
                               robots=True, robots_texts=robots_texts)
        timings = {"fetch pages": time.perf_counter() - started, **timings}
    jobs = [(c, p, settings.min_text_chars, settings.keep_html) for c, p in zip(candidates, pages)]
    workers = settings.extract_workers if workers is None else workers
    try:
        done = run_many(_article_job, jobs, workers, scorer)
    except WorkerDied as exc:
        from commentary_monitor.extraction.extract import ExtractionFailed

        # One page killed its worker: the batch is kept, with its feeds' own text.
        failed = ExtractionFailed(str(exc))
        stopping.check("extraction")
        done = [_article_job(job, scorer, extracted=failed) for job in jobs]
    articles, scores = [], []
    for article, article_scores, seconds in done:
        articles.append(article)
        scores.append(article_scores)
        for stage, t in seconds.items():
            timings[stage] += t
    return Batch(articles, scores, timings, started_at)


def page_queue(settings: FetchSettings) -> PageQueue[Candidate]:
    """The run's queue of article pages (obeying robots.txt): add candidates as their feeds
    are read, build batches from what has arrived (:func:`arrived_batch`)."""
    return PageQueue(settings, settings.max_page_bytes, PAGE_ACCEPT, robots=True)


def queue_candidates(pages: PageQueue[Candidate], candidates: list[Candidate],
                     robots_texts: dict[str, str | None] | None = None) -> None:
    pages.add([(c, c.entry.link) for c in candidates], robots_texts)


def arrived_batch(source: PageQueue[Candidate] | list[tuple[Candidate, Fetched | FetchError]], size: int,
                  settings: FetchSettings, scorer=None, workers: int | None = None) -> Batch:
    """:func:`process_batch` of the next ``size`` pages to arrive in the run's page queue
    (waiting for them), or of ``source`` itself: pages taken from the queue already (where
    the batch is built in another process)."""
    started_at = time.time()
    arrived = source.take(size) if isinstance(source, PageQueue) else source
    batch = process_batch([c for c, _ in arrived], settings, scorer=scorer, workers=workers,
                          pages=[p for _, p in arrived])
    batch.started = started_at
    return batch


def build_articles(candidates: list[Candidate], settings: FetchSettings,
                   robots_texts: dict[str, str | None] | None = None) -> list[Article]:
    """The articles of :func:`process_batch`, unscored."""
    return process_batch(candidates, settings, robots_texts).articles


def _article_job(job: tuple, scorer, extracted=None) -> tuple[Article, list, dict[str, float]]:
    """One candidate and its fetched page -> (article, scores, seconds by stage): the
    article carries its full-text index terms (``extra['terms']``).
    Runs in a worker process (see :mod:`.workers`)."""
    c, page, min_text_chars, keep_html = job
    t0 = time.perf_counter()
    article = make_article(c, page, min_text_chars, NOT_EXTRACTED if extracted is None else extracted)
    if keep_html and page_problem(page) is None:   # an HTML page: keep it, compressed, for re-extraction
        # zstd level 1: 0.35 ms for a 114 KB page where gzip level 1 took 1.1 ms, and 10% smaller
        article.extra["html"] = (_compressor().compress(page.content), page.content_type)
    t1 = time.perf_counter()
    deferred = article.page_status == "deferred"     # not stored this run: neither scored nor indexed
    scores = scorer.score_articles([article])[0] if scorer is not None and not deferred else []
    t2 = time.perf_counter()
    if not deferred:
        article.extra["terms"] = article_terms(article.title, article.text)   # for full-text search
    return article, scores, {"extract": t1 - t0, "score": t2 - t1, "index terms": time.perf_counter() - t2}


NOT_EXTRACTED = object()
PAGE_ZSTD_LEVEL = 1


_local = threading.local()


def _compressor() -> zstandard.ZstdCompressor:
    """This thread's compressor, reused: zstandard.compress() sets up a new context per
    call (~15% more time a page). One per thread: a compressor is not thread-safe, and
    batches of a few pages are built in the task runner's threads."""
    c = getattr(_local, "zstd", None)
    if c is None:
        c = _local.zstd = zstandard.ZstdCompressor(level=PAGE_ZSTD_LEVEL)
    return c


def warm_up(_job, scorer) -> None:
    """A worker's first job (see :func:`.workers.prestart`): its imports, the common words'
    stems and trafilatura's first-use loads come from its fork server (:mod:`.worker_start`);
    scoring one short text warms what the run's own scorer holds."""
    if scorer is not None:
        scorer.score_text("warm up", "Warm up. " * 40)
    gc.freeze()   # the scorer and what warming up loaded live as long as the worker (see worker_start)


def page_problem(page: Fetched | FetchError) -> tuple[str, str] | None:
    """Why a fetched page cannot go to extraction, as (page_status, error); None if it can."""
    if isinstance(page, FetchError):
        return ("deferred" if page.kind == "deferred" else "error"), f"{page.kind}: {page.message}"
    if page.content_type not in HTML_TYPES and not page.content_type.endswith("+xml"):
        return "not_html", f"content type {page.content_type}"
    if not page.content.strip():
        return "empty", "empty body"
    sniffed = sniff_not_html(page.content)
    if sniffed:
        return "not_html", f"{sniffed} served as {page.content_type or 'no type'}"
    return None


def wanted_metadata(c: Candidate) -> frozenset[str]:
    """The metadata fields an article still needs from its page: those its feed entry (title,
    date, author) and the configured feed (its name, the article's outlet) leave open. Read
    from the page only then: trafilatura's full metadata pass costs ~25% of an extraction."""
    return frozenset(field for field, known in (("title", c.entry.title), ("author", c.entry.author),
                                                ("published", c.entry.published), ("sitename", c.feed.name))
                     if not known)


def make_article(c: Candidate, page: Fetched | FetchError, min_text_chars: int, extracted=NOT_EXTRACTED) -> Article:
    """One article from its feed entry and page; ``extracted`` is the page's extraction when
    it was done already (by the worker pool), else it is done here."""
    # trafilatura (~0.1 s to import) only when a run has articles to make: a run that finds
    # nothing new never imports it
    from commentary_monitor.extraction.extract import ExtractionFailed, extract_page, html_to_text

    feed_text = html_to_text(c.entry.summary_html)
    status, error = "ok", None
    problem = page_problem(page)
    if problem:
        (status, error), extracted = problem, None
    else:
        if extracted is NOT_EXTRACTED:
            try:
                extracted = extract_page(page_markup(page), page.final_url, wanted_metadata(c))
            except Exception as exc:   # a page that breaks the extractor costs that page, not the batch
                extracted = ExtractionFailed(f"{type(exc).__name__}: {exc}")
        if isinstance(extracted, ExtractionFailed):
            status, error, extracted = "error", f"extraction: {extracted.reason}", None
        elif extracted is None:
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
        outlet=clean_text(c.feed.name or (extracted.sitename if extracted else None) or c.feed_title
                          or urlsplit(c.url).hostname),
        title=clean_text(c.entry.title or (extracted.title if extracted else None)),
        author=clean_text(c.entry.author or (extracted.author if extracted else None)),
        published_at=c.entry.published or (extracted.published if extracted else None),
        fetched_at=utcnow(),
        language=extracted.language if extracted else article_language(None, text),   # feed text: detected
        text=clean_text(text or c.entry.title or ""),
        text_source="page" if use_page else "feed",
        page_status=status,
        page_error=error,
        extra={"fingerprint": fingerprint(c.entry), "retry_after": getattr(page, "retry_after", None),
               "may_pass": isinstance(page, FetchError) and page.may_pass},
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
    pages_deferred: int = 0                      # pages left for a later run (long Retry-After)
    stages: dict[str, float] = field(default_factory=dict)   # seconds per stage, in order
    feeds_with_problems: list[tuple[str, str]] = field(default_factory=list)   # (url, problem): read, not cleanly
    stopped: str | None = None                   # the signal that stopped the run before its end
    candidates: int = 0                          # new entries the run found (stored, deferred or not reached)
    batches_kept: int = 0
    staged: int = 0                              # of the new articles, those staged beside the busy warehouse

    @property
    def all_failed(self) -> bool:
        """Every feed the run asked for failed (a feed waiting out a Retry-After was not asked)."""
        asked = [kind for _, kind, _ in self.feeds_failed if kind != "deferred"]
        return not self.feeds_ok and bool(asked)

    def stop_line(self) -> str:
        """What a stopped run kept, in one line."""
        left = self.candidates - self.articles_new - self.pages_deferred
        return (f"ingest stopped by {self.stopped} after {self.seconds:.1f}s: kept {self.articles_new} new "
                f"article{'' if self.articles_new == 1 else 's'} ({self.batches_kept} "
                f"batch{'' if self.batches_kept == 1 else 'es'} stored whole); "
                f"{max(left, 0)} left for the next run")

    def all_failed_line(self) -> str:
        n = len(self.feeds_failed)
        return f"ingest: all {n} feed{'' if n == 1 else 's'} failed (see the fetches table and `commentary-monitor feeds`)"

    def render(self) -> str:
        total = self.feeds_ok + len(self.feeds_failed)
        lines = [
            f"ingest: {total} feed{'' if total == 1 else 's'}, {self.feeds_ok} ok, {len(self.feeds_failed)} failed; "
            f"{self.articles_new} new article{'' if self.articles_new == 1 else 's'} ({self.from_feed_content} from feed content) in {self.seconds:.1f}s",
        ]
        if self.stopped:
            lines.append(f"  {self.stop_line()}")
        for name, n in self.relevant.items():
            lines.append(f"  relevant to {name}: {n}")
        if self.stages and self.articles_new:
            lines.append("  time: " + ", ".join(f"{k} {v:.1f}s" for k, v in self.stages.items()))
        if self.staged:
            lines.append(f"  {self.staged} article{'' if self.staged == 1 else 's'} staged: the warehouse was busy "
                         "(committed by the next run that finds it free)")
        if self.pages_deferred:
            lines.append(f"  pages left for a later run (long Retry-After, or a failure that may pass): {self.pages_deferred}")
        if self.feeds_failed:
            lines.append("  failed feeds:")
            shown = self.feeds_failed[:15]
            for url, kind, message in shown:
                lines.append(f"    {kind:<10} {url}  ({cut(message, 90)})")
            if len(self.feeds_failed) > len(shown):
                lines.append(f"    ... and {len(self.feeds_failed) - len(shown)} more (see the fetches table)")
            if not self.feeds_ok and all(kind == "dns" for _, kind, _ in self.feeds_failed):
                lines.append("  note: no feed host could be resolved: is this machine offline?")
        if self.feeds_with_problems:
            lines.append("  feeds read with problems (kept what could be read):")
            for url, problem in self.feeds_with_problems[:15]:
                lines.append(f"    {url}  ({cut(problem, 90)})")
            if len(self.feeds_with_problems) > 15:
                lines.append(f"    ... and {len(self.feeds_with_problems) - 15} more (fetches.problem)")
        return "\n".join(lines)

