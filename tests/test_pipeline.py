import os
from datetime import datetime

from commentary_monitor.config import FeedConfig, FetchSettings
from commentary_monitor.errors import FetchError
from commentary_monitor.feeds.parse import FeedEntry, ParsedFeed, parse_feed
from commentary_monitor.fetching.fetch import Fetched
from commentary_monitor.localsite import SampleArticle, article_page
from commentary_monitor.runs.pipeline import (
    Candidate, FeedOutcome, article_id, build_articles, canonical_url, make_article, select_new,
)

from .conftest import RELATION_PARAGRAPHS, write_config


def test_canonical_url_drops_tracking_and_fragment():
    a = canonical_url("https://Example.org/story/1?utm_source=rss&utm_medium=feed&id=7#comments")
    b = canonical_url("https://example.org/story/1?id=7")
    assert a == b == "https://example.org/story/1?id=7"
    assert canonical_url("https://example.org") == "https://example.org/"
    assert article_id(a) == article_id(b) and len(article_id(a)) == 16


def entry(link, title="t", published=None, summary="<p>feed text</p>"):
    return FeedEntry(link=link, guid=link, title=title, author=None, published=published, summary_html=summary)


def outcome(url, *entries):
    return FeedOutcome(FeedConfig(url), "ok", 200, ParsedFeed(url, "Feed", tuple(entries)))


def test_select_new_skips_known_dedupes_across_feeds_and_caps_newest_first():
    a = outcome("https://a.example/feed",
                entry("https://x.example/1?utm_source=a", published=datetime(2026, 1, 1)),
                entry("https://x.example/2", published=datetime(2026, 1, 3)),
                entry("https://x.example/3", published=datetime(2026, 1, 2)))
    b = outcome("https://b.example/feed", entry("https://x.example/2#top"), entry("https://x.example/4"))
    failed = FeedOutcome(FeedConfig("https://c.example/feed"), "error", error_kind="dns", error="x")
    picked = select_new([a, b, failed], known={"https://x.example/3"}, max_per_feed=1)
    assert [c.url for c in picked] == ["https://x.example/2", "https://x.example/4"]
    picked = select_new([a, b], known=set(), max_per_feed=10)
    assert [c.url for c in picked] == ["https://x.example/2", "https://x.example/3", "https://x.example/1", "https://x.example/4"]

    # Candidates taken from the run's other feeds already (read first): neither their URL
    # nor their content fingerprint is taken again.
    story = "<p>" + "The same story, word for word, under two addresses. " * 3 + "</p>"
    first = select_new([outcome("https://a.example/feed", entry("https://x.example/5", "Same", summary=story))],
                       known=set(), max_per_feed=10)
    later = outcome("https://d.example/feed", entry("https://x.example/5?utm_source=d"),
                    entry("https://mirror.example/5", "Same", summary=story), entry("https://x.example/6"))
    assert [c.url for c in select_new([later], known=set(), max_per_feed=10, taken=first)] == ["https://x.example/6"]


def candidate(link, summary="<p>" + " ".join(RELATION_PARAGRAPHS) + "</p>"):
    e = entry(link, title="Feed title", summary=summary)
    return Candidate(FeedConfig("https://feed.example/rss", "Configured Name"), "Feed", e, canonical_url(link))


def test_failed_page_falls_back_to_feed_content():
    c = candidate("https://x.example/a")
    art = make_article(c, FetchError(c.entry.link, "timeout", "ReadTimeout"), 200)
    assert art.text_source == "feed" and art.page_status == "error" and "timeout" in art.page_error
    assert "Moscow and Beijing" in art.text and art.outlet == "Configured Name" and art.title == "Feed title"


def test_hostile_markup_in_a_feed_entry_never_reaches_the_article_text():
    # feedparser's sanitizer is off (feeds.parse_feed): an entry's HTML only ever becomes text.
    doc = b"""<?xml version="1.0"?><rss version="2.0"><channel><title>T</title><item>
      <title>Moscow &lt;script&gt;alert(1)&lt;/script&gt;</title><link>https://x.example/h</link>
      <description>&lt;script&gt;steal()&lt;/script&gt;&lt;style&gt;p{}&lt;/style&gt;&lt;p&gt;Moscow and Beijing
      &lt;img src=x onerror=alert(2)&gt;signed a treaty.&lt;/p&gt;</description></item></channel></rss>"""
    (e,) = parse_feed(doc, "https://x.example/rss").entries
    c = Candidate(FeedConfig("https://x.example/rss", None), "T", e, canonical_url(e.link))
    art = make_article(c, FetchError(e.link, "timeout", "ReadTimeout"), 200)
    assert art.text_source == "feed" and art.text == "Moscow and Beijing signed a treaty."
    assert "steal" not in art.text and "onerror" not in art.text
    assert art.title == "Moscow <script>alert(1)</script>"   # kept as written: every output escapes it


def test_non_html_page_is_not_extracted():
    c = candidate("https://x.example/a.pdf")
    pdf = Fetched(c.entry.link, c.entry.link, 200, "application/pdf", b"%PDF-1.7 ...")
    art = make_article(c, pdf, 200)
    assert art.page_status == "not_html" and art.text_source == "feed"


def test_page_text_and_metadata_are_extracted(site):
    body = "\n\n".join(RELATION_PARAGRAPHS)
    sample = SampleArticle(site.url("/a/"), "Page title", "Ann Author", "s", body, datetime(2026, 11, 10, 9))
    site.add("/a/", article_page(sample, "Site Name"))
    c = Candidate(FeedConfig("https://feed.example/rss"), "Feed", entry(site.url("/a/"), title="", summary=""),
                  canonical_url(site.url("/a/")))
    (art,) = build_articles([c], FetchSettings(allow_private=frozenset({site.host_port}), min_text_chars=100))
    assert art.text_source == "page" and art.page_status == "ok"
    assert "Shanghai Cooperation Organisation" in art.text
    assert "Cookie settings" not in art.text   # boilerplate removed
    assert art.title == "Page title" and art.author == "Ann Author" and art.outlet == "Site Name"
    assert art.published_at == datetime(2026, 11, 10) and art.language == "en"


def test_the_page_is_asked_only_for_what_the_feed_left_open(site, monkeypatch):
    from commentary_monitor.extraction import extract
    from commentary_monitor.runs.pipeline import wanted_metadata

    body = "\n\n".join(RELATION_PARAGRAPHS)
    site.add("/b/", article_page(SampleArticle(site.url("/b/"), "Page title", "Page Author", "s", body,
                                               datetime(2026, 11, 10, 9)), "Page Site"))
    full = FeedEntry(site.url("/b/"), "g", "Feed title", "Feed Author", datetime(2026, 11, 11), "")
    named = Candidate(FeedConfig("https://feed.example/rss", "Configured"), "Feed", full, canonical_url(full.link))
    assert wanted_metadata(named) == frozenset()
    bare = Candidate(FeedConfig("https://feed.example/rss"), "Feed", entry(full.link, title=""), canonical_url(full.link))
    assert wanted_metadata(bare) == {"title", "author", "published", "sitename"}

    asked = []
    real = extract.extract_page     # the pipeline imports it when it has articles to make
    monkeypatch.setattr(extract, "extract_page", lambda html, url, need: asked.append(set(need)) or real(html, url, need))
    settings = FetchSettings(allow_private=frozenset({site.host_port}), min_text_chars=100)
    a, b = build_articles([named, bare], settings)
    assert asked == [set(), {"title", "author", "published", "sitename"}]
    assert (a.title, a.author, a.published_at, a.outlet) == ("Feed title", "Feed Author", datetime(2026, 11, 11), "Configured")
    assert (b.title, b.author, b.published_at, b.outlet) == ("Page title", "Page Author", datetime(2026, 11, 10), "Page Site")
    assert a.text == b.text and "Shanghai Cooperation Organisation" in a.text


def test_a_feed_inside_a_long_retry_after_is_not_requested(site):
    from datetime import timedelta

    from commentary_monitor.runs.pipeline import fetch_feeds
    from commentary_monitor.warehouse.store import FeedState, utcnow

    site.add("/feed.xml", "<rss version='2.0'><channel><title>T</title></channel></rss>", "application/rss+xml")
    later = utcnow() + timedelta(hours=2)
    states = {site.url("/feed.xml"): FeedState(site.url("/feed.xml"), None, None, None, later, 1)}
    (o,) = fetch_feeds([FeedConfig(site.url("/feed.xml"))], FetchSettings(allow_private=frozenset({site.host_port})), states)
    assert o.status == "error" and o.error_kind == "deferred" and o.skipped and site.hits == []
    assert abs((o.retry_not_before(utcnow()) - later).total_seconds()) < 5   # the wait is kept, not reset


def test_content_checks_pdf_as_html_empty_and_invalid_utf8():
    c = candidate("https://x.example/a")
    pdf = make_article(c, Fetched(c.entry.link, c.entry.link, 200, "text/html", b"%PDF-1.4\n..."), 200)
    assert pdf.page_status == "not_html" and "PDF served as text/html" in pdf.page_error and pdf.text_source == "feed"
    empty = make_article(c, Fetched(c.entry.link, c.entry.link, 200, "text/html", b"  \n"), 200)
    assert empty.page_status == "empty"
    body = ("<html><head><meta charset='utf-8'><title>T</title></head><body><article>"
            + "".join(f"<p>{p}</p>" for p in RELATION_PARAGRAPHS) + "</article></body></html>").encode()
    broken = body.replace(b"Kremlin", b"Krem\xff\xfelin")
    art = make_article(c, Fetched(c.entry.link, c.entry.link, 200, "text/html", broken, charset="utf-8"), 200)
    assert art.page_status == "ok" and "Krem\ufffd\ufffdlin" in art.text
    art.text.encode("utf-8")   # valid UTF-8


def _pages_on(site, n):
    cands = []
    for i in range(n):
        body = "\n\n".join([f"Paragraph opening number {i}.", *RELATION_PARAGRAPHS])
        path = f"/p/{i}"
        a = SampleArticle(site.url(path), f"Title {i}", "Au", "s", body, datetime(2026, 11, 10, 9))
        site.add(path, article_page(a, "Site"))
        cands.append(Candidate(FeedConfig("https://feed.example/rss"), "Feed", entry(site.url(path), title=""),
                               canonical_url(site.url(path))))
    return cands


def test_articles_built_and_scored_in_worker_processes_match_in_process(site):
    from commentary_monitor.runs.pipeline import process_batch
    from commentary_monitor.warehouse.search import resolve_terms
    from commentary_monitor.runs.workers import MIN_POOL_JOBS, shutdown_pool

    from .test_scoring import scorer

    cands = _pages_on(site, MIN_POOL_JOBS + 4)
    # a page that fails to fetch travels to the worker as its FetchError
    cands.append(Candidate(FeedConfig("https://feed.example/rss"), "Feed", entry(site.url("/missing")),
                           canonical_url(site.url("/missing"))))
    settings = FetchSettings(allow_private=frozenset({site.host_port}), min_text_chars=100, per_host_delay=0)
    s = scorer()
    try:
        pooled = process_batch(cands, settings, scorer=s, workers=2)
    finally:
        shutdown_pool()
    local = process_batch(cands, settings, scorer=s, workers=1)
    # index terms come half-stemmed (each process stems what it knows): compare them resolved
    strip = lambda a: {**vars(a), "fetched_at": None, "extra": {**a.extra, "terms": None}}   # noqa: E731
    assert [strip(a) for a in pooled.articles] == [strip(a) for a in local.articles]
    def terms(batch):   # term -> count per article (the order of terms depends on what each process knew)
        return [dict(zip(*t)) for t in resolve_terms([a.extra["terms"] for a in batch.articles])]
    assert terms(pooled) == terms(local) and "moscow" in terms(pooled)[0]
    assert pooled.scores == local.scores and len(pooled.scores[0]) == 2
    assert pooled.articles[3].title == "Title 3" and "Paragraph opening number 3." in pooled.articles[3].text
    assert "html" in pooled.articles[0].extra          # raw page kept, compressed in the worker
    assert [a.page_status for a in pooled.articles] == ["ok"] * (len(cands) - 1) + ["error"]
    assert "HTTP 404" in pooled.articles[-1].page_error and pooled.articles[-1].text_source == "feed"
    assert pooled.timings["extract"] > 0 and pooled.timings["score"] > 0


class CrashingScorer:
    """Kills the worker process that scores an article titled 'crash' (not the run's own process)."""

    def __init__(self):
        self.parent = os.getpid()

    def score_articles(self, articles):
        if os.getpid() != self.parent and any(a.title == "crash" for a in articles):
            os._exit(1)
        return [[] for _ in articles]


def test_a_page_that_kills_its_worker_does_not_lose_the_batch(site):
    from commentary_monitor.runs.pipeline import process_batch
    from commentary_monitor.runs.workers import MIN_POOL_JOBS, shutdown_pool

    cands = _pages_on(site, MIN_POOL_JOBS + 2)
    site.add("/p/3", article_page(SampleArticle(site.url("/p/3"), "crash", "Au", "s", "\n\n".join(RELATION_PARAGRAPHS),
                                                datetime(2026, 11, 10, 9)), "Site"))
    settings = FetchSettings(allow_private=frozenset({site.host_port}), min_text_chars=100, per_host_delay=0)
    try:
        batch = process_batch(cands, settings, scorer=CrashingScorer(), workers=2)
        assert len(batch.articles) == len(cands)
        assert all(a.page_status == "error" and "worker process died" in a.page_error for a in batch.articles)
        assert all(a.text_source == "feed" for a in batch.articles)
        # the next batch gets a new pool
        again = process_batch(cands[:2] + cands[4:], settings, scorer=CrashingScorer(), workers=2)
        assert all(a.page_status == "ok" for a in again.articles)
    finally:
        shutdown_pool()


def test_a_page_that_breaks_the_extractor_costs_only_that_page(monkeypatch):
    from commentary_monitor.extraction import extract
    from commentary_monitor.runs import pipeline

    def broken(html, url, need):
        raise RecursionError("maximum recursion depth exceeded")

    monkeypatch.setattr(extract, "extract_page", broken)
    c = candidate("https://x.example/a")
    page = Fetched(c.entry.link, c.entry.link, 200, "text/html", b"<html><body><p>x</p></body></html>")
    art, scores, _ = pipeline._article_job((c, page, 200, False), None)
    assert art.page_status == "error" and "RecursionError" in art.page_error and art.text_source == "feed"


def test_a_discovered_feed_that_is_gone_is_looked_for_again_on_the_page(site):
    from commentary_monitor.localsite import rss_feed
    from commentary_monitor.runs.pipeline import fetch_feeds
    from commentary_monitor.warehouse.store import FeedState

    page = site.url("/blog/")
    old = site.url("/old.xml")   # found on the page by an earlier run, now 404
    site.add("/blog/", '<html><head><link rel="alternate" type="application/rss+xml" href="/new.xml"></head></html>')
    item = SampleArticle(site.url("/blog/1"), "One", "W", "s", "b", datetime(2026, 11, 10, 9))
    site.add("/new.xml", rss_feed("Blog", page, [item]), "application/rss+xml")
    s = FetchSettings(allow_private=frozenset({site.host_port}), per_host_delay=0)
    (o,) = fetch_feeds([FeedConfig(page)], s, {page: FeedState(page, old, None, None, None, 0)})
    assert o.status == "ok" and o.resolved_url == site.url("/new.xml") and o.items == 1
    assert site.hits == ["/old.xml", "/blog/", "/new.xml"]
    # the page announces nothing new: the old feed's failure stands
    site.hits.clear()
    site.add("/blog/", '<html><head><link rel="alternate" type="application/rss+xml" href="/old.xml"></head></html>')
    (o,) = fetch_feeds([FeedConfig(page)], s, {page: FeedState(page, old, None, None, None, 0)})
    assert o.status == "error" and o.error_kind == "http" and o.http_status == 404 and o.resolved_url == old


def test_a_run_that_ends_while_its_workers_start_stops_them_cleanly(monkeypatch):
    """prestart() starts the pool in the background; a shutdown right after waits for it
    instead of racing it (which had raised 'cannot schedule new futures after shutdown')."""
    import threading

    from commentary_monitor.runs import workers
    from commentary_monitor.runs.pipeline import warm_up

    errors = []
    monkeypatch.setattr(threading, "excepthook", lambda args: errors.append(args.exc_value))
    for _ in range(3):
        workers.prestart(warm_up, 2, None)
        workers.shutdown_pool()
        assert workers._pool is None and not workers._starting.is_alive()
    assert errors == []
    assert workers.run_many(_double, list(range(10)), 2) == [2 * i for i in range(10)]   # a new pool after
    workers.shutdown_pool()


def _double(job, _state):
    return 2 * job


def _stem_state(_job, _state):
    import gc
    import resource


    from commentary_monitor.warehouse import search
    from commentary_monitor.relevance.semantic import default_encoder

    usage = resource.getrusage(resource.RUSAGE_SELF)
    warm = default_encoder.cache_info().currsize == 1
    return (len(search._stems), search._stem_con is None, search._stems.get("relations"), gc.get_freeze_count(),
            usage.ru_utime + usage.ru_stime, warm, gc.get_threshold()[0])


def test_workers_start_with_the_common_words_stemmed_by_their_fork_server():
    """The fork server stems the common words once (worker_start); every worker forked from
    it has them without stemming them again, and no DuckDB connection crosses the fork. It
    also warms trafilatura and loads the model for them. What the server imported is frozen
    out of the garbage collector's walks."""
    from commentary_monitor.runs import workers
    from commentary_monitor.runs.pipeline import warm_up
    from commentary_monitor.warehouse.search import COMMON_WORDS, _stem_all

    workers.start_server()
    workers.prestart(warm_up, 2, None)
    try:
        out = workers.run_many(_stem_state, list(range(workers.MIN_POOL_JOBS)), 2)
    finally:
        workers.shutdown_pool()
    # (the stems inherited are DuckDB's own: the same as this process stems)
    expected = _stem_all(["relations"])["relations"]
    for stems, no_connection, relations, frozen, _cpu, warm, young in out:
        assert stems > COMMON_WORDS * 0.9 and no_connection and relations == expected
        assert frozen > 10_000    # the modules' objects (~75,000)
        assert warm    # trafilatura's first-use loads (jusText's stop lists) and the model, inherited
        assert young == workers.GC_YOUNG_THRESHOLD


_PREBUILD = """
import operator, sys
from commentary_monitor.runs import workers
if __name__ == "__main__":
    workers.start_server(sys.argv[1])
    try:   # a pool forked from the server works whatever became of the profiles
        print(workers.run_many(operator.add, list(range(workers.MIN_POOL_JOBS)), 2, 0))
    finally:
        workers.shutdown_pool()
"""


def test_the_fork_server_builds_the_profiles_the_run_will_load(tmp_path):
    """The CLI names its config when it starts the workers' fork server: the server builds
    the profiles into their cache while Prefect starts, and the run only loads them. A
    config the server cannot read leaves it serving workers all the same."""
    import subprocess
    import sys

    from commentary_monitor.config import load_config
    from commentary_monitor.relevance.profiles import profile_digest
    from commentary_monitor.relevance.semantic import default_encoder

    cfg = load_config(write_config(tmp_path, ["http://127.0.0.1:1/feed.xml"], []))
    script = tmp_path / "prebuild.py"
    script.write_text(_PREBUILD, encoding="utf-8")
    jobs = str(list(range(8)))
    # The workers are forked once the server has imported and built: the cache is there by then.
    run = subprocess.run([sys.executable, str(script), str(cfg.path)], capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    assert run.stdout.strip() == jobs
    expected = sorted(f"{p.name}-{profile_digest(p, default_encoder().name)}.npz" for p in cfg.profiles)
    assert sorted(f.name for f in cfg.profile_cache.glob("*.npz")) == expected

    broken = tmp_path / "broken.toml"
    broken.write_text("[warehouse\n", encoding="utf-8")
    run = subprocess.run([sys.executable, str(script), str(broken)], capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    assert run.stdout.strip() == jobs


def test_the_run_summary_counts_in_words_and_cuts_long_problems_to_a_line():
    from commentary_monitor.runs.pipeline import IngestSummary

    one = IngestSummary("r", 1, [], 1, 0, {"p": 1}, 2.0,
                        feeds_with_problems=[("https://a.example/f", "not well-formed\n(invalid token) " + "x" * 200)])
    text = one.render()
    assert text.startswith("ingest: 1 feed, 1 ok, 0 failed; 1 new article (0 from feed content)")
    line = next(x for x in text.splitlines() if "https://a.example/f" in x)
    assert "not well-formed (invalid token)" in line and line.endswith("…)") and len(line) < 140
    two = IngestSummary("r", 1, [("https://b.example/f", "dns", "cannot resolve")], 2, 0, {}, 2.0)
    assert two.render().startswith("ingest: 2 feeds, 1 ok, 1 failed; 2 new articles")


def test_the_ingest_flow_leaves_the_extractor_to_runs_with_pages():
    """An hourly run that finds nothing new never extracts a page: the ingest flow's modules do
    not import trafilatura (~0.1 s of every command); making an article does."""
    import subprocess
    import sys
    from pathlib import Path

    code = ("import sys; import flows.ingest; print('trafilatura' in sys.modules); "
            "from commentary_monitor.runs.pipeline import make_article; from tests.test_pipeline import candidate; "
            "from commentary_monitor.fetching.fetch import Fetched; c = candidate('https://x.example/a'); "
            "make_article(c, Fetched(c.entry.link, c.entry.link, 200, 'text/html', b'<html><body><p>x</p></body></html>'), 10); "
            "print('trafilatura' in sys.modules)")
    done = subprocess.run([sys.executable, "-c", code], cwd=Path(__file__).resolve().parents[1], capture_output=True,
                          text=True, timeout=120)
    assert done.stdout.split() == ["False", "True"], done.stderr[-2000:]
