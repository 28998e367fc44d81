"""The real ingest and digest flows, end to end, against a site on 127.0.0.1."""

from datetime import datetime, timedelta
from urllib.parse import urlsplit

import duckdb

from commentary_monitor.flows.digest import digest
from commentary_monitor.flows.ingest import ingest
from commentary_monitor.runs.ingest import BATCH_SIZE, LAST, RAMP, batch_bounds, feed_groups
from commentary_monitor.localsite import SampleArticle, article_page, rss_feed

from ..conftest import OFFTOPIC_PARAGRAPHS, RELATION_PARAGRAPHS, last_week_day, read_warehouse, write_config, write_warehouse


def test_a_feed_read_only_in_part_is_named_in_the_summary(tmp_path, news_site):
    site = news_site
    site.add("/cut/feed.xml", "<rss><channel><title>Cut</title><item><title>unterminated", "application/rss+xml")
    summary = ingest(config_path=str(write_config(tmp_path, [site.url("/east/feed.xml"), site.url("/cut/feed.xml")],
                                                  [site.host_port])))
    assert summary.feeds_ok == 2 and not summary.feeds_failed
    assert [url for url, _ in summary.feeds_with_problems] == [site.url("/cut/feed.xml")]
    text = summary.render()
    assert "feeds read with problems" in text and site.url("/cut/feed.xml") in text
    assert site.url("/east/feed.xml") not in text.split("feeds read with problems", 1)[1]


def test_ingest_end_to_end_with_failing_feeds_then_idempotent(tmp_path, news_site, backend):
    site = news_site
    feeds = [
        site.url("/east/feed.xml"),
        site.url("/west/atom.xml"),
        site.url("/broken/feed.xml"),            # HTML, not a feed
        site.url("/missing/feed.xml"),           # 404
        "http://10.255.255.1/feed.xml",          # private address, not allowed: never requested
    ]
    cfg = write_config(tmp_path, feeds, [site.host_port], backend=backend)

    first = ingest(config_path=str(cfg))
    assert first.feeds_ok == 2
    assert sorted(kind for _, kind, _ in first.feeds_failed) == ["blocked", "http", "parse"]
    assert first.articles_new == 6 and first.from_feed_content == 0
    assert first.relevant["sino-russian"] >= 1
    text = first.render()
    assert "5 feeds, 2 ok, 3 failed; 6 new articles" in text and "blocked" in text

    page_hits = [h for h in site.hits if not h.endswith((".xml", "/robots.txt"))]
    assert len(page_hits) == 6

    second = ingest(config_path=str(cfg))
    assert second.articles_new == 0 and second.feeds_ok == 2
    # No article page was fetched again.
    assert [h for h in site.hits if not h.endswith((".xml", "/robots.txt"))] == page_hits

    with read_warehouse(cfg) as wh:
        con = wh.con
        assert con.execute("select count(*), count(distinct url) from articles").fetchone() == (6, 6)
        assert con.execute("select count(*) from articles where url like '%utm_%' or url like '%#%'").fetchone()[0] == 0
        assert con.execute("select count(*) from scores").fetchone()[0] == 12
        # The raw pages are kept, compressed, for re-extraction ([warehouse] keep_html_days).
        import zstandard

        pages = con.execute("select url, path from pages order by url").fetchall()
        assert len(pages) == 6 and b"<article>" in zstandard.decompress((tmp_path / "warehouse" / pages[0][1]).read_bytes())
        top = con.execute(
            "select title, score from scored_articles where profile = 'sino-russian' order by score desc limit 10"
        ).fetchall()
        assert top[0][0] == "Moscow and Beijing: an unequal partnership"
        assert all(0 <= s <= 1 for _, s in top)
        fetches = con.execute(
            "select feed_url, f.status, http_status, items, new_items, error_kind from fetches f "
            "join runs r using (run_id) where r.started_at = (select min(started_at) from runs) order by feed_url"
        ).fetchall()
        by_url = {row[0]: row[1:] for row in fetches}
        assert by_url[site.url("/east/feed.xml")] == ("ok", 200, 3, 3, None)
        assert by_url[site.url("/missing/feed.xml")] == ("error", 404, None, 0, "http")
        assert by_url["http://10.255.255.1/feed.xml"][0::4] == ("error", "blocked")
        assert con.execute("select count(*) from runs where kind = 'ingest' and status = 'ok'").fetchone()[0] == 2
        outlets = {r[0] for r in con.execute("select distinct outlet from articles").fetchall()}
        assert outlets == {"East Review", "West Weekly"}

    result = digest(config_path=str(cfg))
    md = result.path.read_text(encoding="utf-8")
    assert result.path.parent == tmp_path / "warehouse" / "digests"
    assert "## sino-russian" in md
    assert "Moscow and Beijing: an unequal partnership" in md
    assert "East story 1" not in md and "West story" not in md   # off-topic stays out


def test_batches_cover_every_candidate_once_starting_and_ending_small():
    for n in (0, 1, 24, 76, 100, 125, 160, 200, 999, 1000, 5003):
        bounds = batch_bounds(n)
        sizes = [end - start for start, end in bounds]
        assert sum(sizes) == n and all(s > 0 for s in sizes)
        assert all(a[1] == b[0] for a, b in zip(bounds, bounds[1:])) and (not bounds or bounds[0][0] == 0)
        assert max(sizes, default=0) <= BATCH_SIZE
    sizes = [end - start for start, end in batch_bounds(1000)]
    assert sizes[: len(RAMP)] == list(RAMP)           # the workers get pages after a short fetch
    assert sizes[-2:] == [LAST, LAST]                  # little is left to store when they finish
    assert sizes.count(BATCH_SIZE) >= 7


def test_three_hundred_articles_stored_once(tmp_path, site, backend):
    feeds = _many_articles_site(site, feeds=3, per_feed=100)
    cfg = write_config(tmp_path, feeds, [site.host_port], backend=backend)
    first = ingest(config_path=str(cfg))
    assert first.articles_new == 300 and first.from_feed_content == 0
    # the summary's stages: the flow's own steps in order, then the work done alongside them
    st = first.stages
    assert list(st)[:3] == ["set-up", "fetch feeds", "parse feeds"]
    assert {"waiting for batches", "store", "index", "extract", "score", "index terms"} <= set(st)
    assert 0 < st["parse feeds"] <= st["fetch feeds"] and st["set-up"] > 0
    assert first.render().splitlines()[-1].lstrip().startswith("time: set-up ")
    assert site.hits.count("/robots.txt") == 1     # once per run, not once per batch of 50
    assert ingest(config_path=str(cfg)).articles_new == 0
    with read_warehouse(cfg) as wh:
        assert wh.con.execute("select count(*), count(distinct url) from articles").fetchone() == (300, 300)
        assert wh.con.execute("select count(*), count(distinct article_id) from search_docs").fetchone() == (300, 300)
        assert wh.con.execute("select count(*) from scores").fetchone()[0] == 600


def test_the_first_tenth_of_the_feeds_is_read_first():
    feeds = list(range(20))
    assert feed_groups(feeds, split=True) == [feeds[:2], feeds[2:]]
    assert feed_groups(feeds[:11], split=True) == [feeds[:2], feeds[2:11]]
    assert feed_groups(feeds[:2], split=True) == [[0], [1]]
    assert feed_groups(feeds[:1], split=True) == [[0]] and feed_groups(feeds, split=False) == [feeds]


def test_feeds_read_while_the_first_feeds_pages_are_built_are_stored_once(tmp_path, site, backend):
    # Eleven feeds: the first two are read, their first pages go to the workers, then the
    # other nine are read. The last feed also lists a story of the first one.
    feeds = _many_articles_site(site, feeds=11, per_feed=15)
    when = last_week_day(1)
    again = SampleArticle(site.url("/d0/a3/?utm_source=d10"), "Story 0-3", "W", "summary", "", when)
    site.add("/d10/rss", rss_feed("Outlet 10", site.url("/d10/"), [again] + [
        SampleArticle(site.url(f"/d10/a{i}/"), f"Story 10-{i}", "W", "summary", "", when - timedelta(minutes=i))
        for i in range(15)]), "application/rss+xml")
    cfg = write_config(tmp_path, feeds, [site.host_port], backend=backend)
    first = ingest(config_path=str(cfg))
    assert first.feeds_ok == 11 and first.articles_new == 165 and first.from_feed_content == 0
    assert site.hits.count("/d0/a3/") == 1 and site.hits.count("/robots.txt") == 1
    with read_warehouse(cfg) as wh:
        assert wh.con.execute("select count(*), count(distinct url) from articles").fetchone() == (165, 165)
        new_items = dict(wh.con.execute("select feed_url, new_items from fetches").fetchall())
        assert new_items[feeds[0]] == 15 and new_items[feeds[10]] == 15 and sum(new_items.values()) == 165


def test_every_feed_failing_ends_failed_with_its_summary_and_an_empty_digest(tmp_path, backend):
    import pytest

    from commentary_monitor.errors import AllFeedsFailed

    cfg = write_config(tmp_path, ["http://no-such-host.invalid/feed", "https://also-missing.invalid/rss"], [],
                       backend=backend)
    state = ingest(config_path=str(cfg), return_state=True)
    assert state.is_failed()
    with pytest.raises(AllFeedsFailed) as caught:
        state.result()
    summary = caught.value.summary
    assert summary.feeds_ok == 0 and summary.articles_new == 0
    assert [k for _, k, _ in summary.feeds_failed] == ["dns", "dns"]
    result = digest(config_path=str(cfg), week="2026-W46")
    assert result.path.name == "2026-W46.md"
    assert "No new commentary matched a profile this week." in result.path.read_text(encoding="utf-8")


def test_second_run_is_conditional_and_duplicates_under_new_urls_are_not_fetched(tmp_path, site, backend):
    import json

    from commentary_monitor.localsite import atom_feed

    from ..conftest import sample

    when = last_week_day(2)
    east = [sample(site, f"/east/{i}/", f"East {i}", RELATION_PARAGRAPHS, when - timedelta(hours=i)) for i in range(3)]
    west = [sample(site, f"/west/{i}/", f"West {i}", OFFTOPIC_PARAGRAPHS, when - timedelta(hours=i)) for i in range(2)]
    for a in east + west:
        site.add(urlsplit(a.link).path, article_page(a, "Outlet"))
    site.add("/east/feed.xml", rss_feed("East", site.url("/east/"), east), "application/rss+xml", headers={"ETag": '"e1"'})
    site.add("/west/atom.xml", atom_feed("West", site.url("/west/"), west), "application/atom+xml",
             headers={"ETag": '"w1"'})
    # A site URL, not a feed: resolved by autodiscovery.
    site.add("/west/", '<html><head><link rel="alternate" type="application/atom+xml" href="/west/atom.xml">'
                       "</head><body>West home</body></html>")
    j = sample(site, "/json/1/", "JSON one", RELATION_PARAGRAPHS, when)
    site.add("/json/1/", article_page(j, "JSON Outlet"))
    site.add("/json/feed.json", json.dumps({"version": "https://jsonfeed.org/version/1.1", "title": "JSON Outlet",
                                            "items": [{"id": "j1", "url": j.link, "title": j.title,
                                                       "summary": j.summary}]}),
             "application/feed+json", headers={"ETag": '"j1"'})
    cfg = write_config(tmp_path, [site.url("/east/feed.xml"), site.url("/west/"), site.url("/json/feed.json")],
                       [site.host_port], backend=backend)

    first = ingest(config_path=str(cfg))
    assert first.feeds_ok == 3 and first.articles_new == 6
    before = len(site.statuses)
    second = ingest(config_path=str(cfg))
    assert second.feeds_ok == 3 and second.articles_new == 0
    # Only conditional feed requests, all answered 304; the site page is not asked again.
    assert sorted(site.statuses[before:]) == sorted([("/east/feed.xml", 304), ("/west/atom.xml", 304),
                                                     ("/json/feed.json", 304)])

    # The feed changes: the same story under a new URL (same GUID), the same story under a new
    # URL and GUID (same content), and one new story.
    moved = SampleArticle(site.url("/east/moved-0/"), east[0].title, east[0].author, east[0].summary, east[0].body,
                          east[0].published)
    copy = SampleArticle(site.url("/east/copy-1/"), east[1].title, east[1].author, east[1].summary, east[1].body,
                         east[1].published)
    new = sample(site, "/east/new/", "East new", RELATION_PARAGRAPHS, when + timedelta(hours=1))
    for a in (moved, copy, new):
        site.add(urlsplit(a.link).path, article_page(a, "Outlet"))
    feed = rss_feed("East", site.url("/east/"), [new, copy, east[2]])
    feed = feed.replace("</channel>", f"<item><title>{moved.title}</title><link>{moved.link}</link>"
                                      f'<guid isPermaLink="true">{east[0].link}</guid></item></channel>')
    site.add("/east/feed.xml", feed, "application/rss+xml", headers={"ETag": '"e2"'})
    before = len(site.hits)
    third = ingest(config_path=str(cfg))
    assert third.articles_new == 1
    assert [h for h in site.hits[before:] if not h.endswith((".xml", ".json", "robots.txt"))] == ["/east/new/"]

    with read_warehouse(cfg) as wh:
        con = wh.con
        assert con.execute("select count(*), count(distinct url) from articles").fetchone() == (7, 7)
        state = dict(con.execute("select feed_url, resolved_url from feed_state").fetchall())
        assert state[site.url("/west/")] == site.url("/west/atom.xml")
        health = {r[0]: r[1:] for r in con.execute(
            "select feed_url, runs, consecutive_failures, last_success_at is not null from feed_health").fetchall()}
        assert health[site.url("/json/feed.json")] == (3, 0, True)
        assert con.execute("select http_status from fetches where feed_url = ? order by fetched_at",
                           [site.url("/east/feed.xml")]).fetchall() == [(200,), (304,), (200,)]


def test_a_long_retry_after_on_a_feed_defers_it_to_a_later_run(tmp_path, site, backend):
    site.add("/busy.xml", "busy", "text/plain", status=503, headers={"Retry-After": "86400"})
    cfg = write_config(tmp_path, [site.url("/busy.xml")], [site.host_port], backend=backend)
    first = ingest(config_path=str(cfg))
    assert [(k, m.split(" with")[0]) for _, k, m in first.feeds_failed] == [("deferred", "HTTP 503")]
    assert site.hits == ["/busy.xml"]            # once: the day-long wait is neither slept nor retried
    second = ingest(config_path=str(cfg))
    assert [k for _, k, _ in second.feeds_failed] == ["deferred"] and site.hits == ["/busy.xml"]
    with read_warehouse(cfg) as wh:
        row = wh.con.execute("select consecutive_failures, last_error_kind, retry_not_before > now() + interval 23 hour "
                             "from feed_state").fetchall()
        assert row == [(1, "deferred", True)]


def test_ingest_leaves_a_prefect_artifact_with_its_summary(tmp_path, news_site):
    from prefect.artifacts import Artifact

    cfg = write_config(tmp_path, [news_site.url("/east/feed.xml")], [news_site.host_port])
    summary = ingest(config_path=str(cfg))
    artifact = Artifact.get("ingest-summary")
    assert artifact is not None and summary.render() in artifact.data


def _many_articles_site(site, feeds=2, per_feed=60):
    """Feeds of articles on ``site``, one in ten about the relationship; returns the feed URLs."""
    when = last_week_day(1)
    urls = []
    for f in range(feeds):
        items = []
        for i in range(per_feed):
            paragraphs = RELATION_PARAGRAPHS if i % 10 == 0 else OFFTOPIC_PARAGRAPHS
            path = f"/d{f}/a{i}/"
            a = SampleArticle(site.url(path), f"Story {f}-{i}", "W", "summary", "\n\n".join([f"Item {f}-{i}.", *paragraphs]),
                              when - timedelta(minutes=i))
            site.add(path, article_page(a, f"Outlet {f}"))
            items.append(a)
        urls.append(site.add(f"/d{f}/rss", rss_feed(f"Outlet {f}", site.url(f"/d{f}/"), items), "application/rss+xml"))
    return urls


def _scores(path):
    con = duckdb.connect(str(path), read_only=True)
    try:
        return con.execute("select a.url, s.profile, s.score, s.relevant from scores s join articles a using (article_id) "
                           "order by 1, 2").fetchall()
    finally:
        con.close()


def test_batches_can_be_built_on_a_dask_cluster(tmp_path, site):
    """[runner] kind = "dask": the batches are extracted and scored on the workers of a
    Dask cluster (here one on this machine, reached by its address, as a remote one would be);
    the warehouse ends up exactly as with the local runner."""
    from distributed import LocalCluster

    feeds = _many_articles_site(site)
    local_cfg = write_config(tmp_path / "local", feeds, [site.host_port])
    assert ingest(config_path=str(local_cfg)).articles_new == 120

    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster:
        dask_cfg = write_config(tmp_path / "dask", feeds, [site.host_port],
                                f'[runner]\nkind = "dask"\naddress = "{cluster.scheduler_address}"\nworkers = 2\n')
        summary = ingest(config_path=str(dask_cfg))
        ran = {name for name in cluster.scheduler.task_prefixes}
    assert summary.articles_new == 120 and summary.feeds_ok == 2
    assert any("build-articles" in name or "build_articles" in name for name in ran), ran
    assert _scores(tmp_path / "dask" / "warehouse" / "monitor.duckdb") == _scores(tmp_path / "local" / "warehouse" / "monitor.duckdb")


def test_workers_in_other_processes_are_pointed_at_the_runs_own_ephemeral_api():
    """Run from the CLI, a flow talks to an ephemeral API it started (no PREFECT_API_URL); a Dask
    worker must be told its URL, or it starts a server of its own on the same database."""
    from prefect.server.api.server import SubprocessASGIServer
    from prefect.settings import PREFECT_API_URL, temporary_settings

    from commentary_monitor.runs.ingest import api_for_other_processes

    with temporary_settings(restore_defaults={PREFECT_API_URL}):
        assert not PREFECT_API_URL.value()
        with api_for_other_processes():
            assert PREFECT_API_URL.value() == SubprocessASGIServer().api_url
    with temporary_settings(updates={PREFECT_API_URL: "http://prefect.example:4200/api"}):
        with api_for_other_processes():   # an explicit API is left alone
            assert PREFECT_API_URL.value() == "http://prefect.example:4200/api"


def test_a_page_whose_failure_may_pass_is_tried_again_by_later_runs(tmp_path, site, backend):
    """A 503 (after the run's own retries) leaves the page for a later run instead of storing the
    article with its feed's text; once the server recovers, the article is stored from its page.
    After three runs that all fail, the feed's text is kept."""
    when = last_week_day(1)
    good = SampleArticle(site.url("/a/"), "Moscow and Beijing", "W", "Feed summary only.",
                         "\n\n".join(RELATION_PARAGRAPHS), when)
    gone = SampleArticle(site.url("/b/"), "Never back", "W", "The feed's own text of the story.", "", when)
    site.add("/a/", "busy", "text/plain", status=503)
    site.add("/b/", "busy", "text/plain", status=503)
    site.add("/rss", rss_feed("Outlet", site.url("/"), [good, gone]), "application/rss+xml")
    cfg = write_config(tmp_path, [site.url("/rss")], [site.host_port], backend=backend)

    def rows(sql):
        with read_warehouse(cfg) as wh:
            return wh.con.execute(sql).fetchall()

    def wait_over():
        with write_warehouse(cfg) as wh:
            wh.con.execute("UPDATE deferred_pages SET retry_not_before = TIMESTAMP '2000-01-01'")

    first = ingest(config_path=str(cfg))
    assert first.articles_new == 0 and first.pages_deferred == 2
    assert rows("select attempts, reason like 'http: HTTP 503%' from deferred_pages") == [(1, True), (1, True)]
    hits = len(site.hits)
    assert ingest(config_path=str(cfg)).articles_new == 0     # still waiting: not requested
    assert [h for h in site.hits[hits:] if h in ("/a/", "/b/")] == []

    wait_over()
    site.add("/a/", article_page(good, "Outlet"))             # the server recovers for one page
    second = ingest(config_path=str(cfg))
    assert second.articles_new == 1 and second.pages_deferred == 1
    assert rows("select title, text_source, page_status from articles") == [("Moscow and Beijing", "page", "ok")]
    assert rows("select attempts from deferred_pages") == [(2,)]

    wait_over()
    third = ingest(config_path=str(cfg))                      # the third failure: keep the feed's text
    assert third.articles_new == 1 and third.pages_deferred == 0
    assert rows("select text_source, page_status, page_error from articles where title = 'Never back'") == [
        ("feed", "error", "http: HTTP 503")]
    assert rows("select count(*) from deferred_pages") == [(0,)]


def test_a_crawl_delayed_host_holds_up_only_its_own_pages(tmp_path, site):
    """One host with a robots.txt Crawl-delay, listed first, and one without: the second
    host's pages are all fetched at once, long before the first host's last page (which
    are still a Crawl-delay apart); a batch is built from the pages that have arrived."""
    from commentary_monitor.localsite import LocalSite

    with LocalSite() as slow:
        slow.add("/robots.txt", "User-agent: *\nCrawl-delay: 1\n", "text/plain")
        (slow_feed,) = _many_articles_site(slow, feeds=1, per_feed=6)
        (fast_feed,) = _many_articles_site(site, feeds=1, per_feed=150)   # batches of 25, 50, 31, 25, 25
        cfg = write_config(tmp_path, [slow_feed, fast_feed], [slow.host_port, site.host_port])
        summary = ingest(config_path=str(cfg))
    assert summary.articles_new == 156 and summary.from_feed_content == 0

    def page_times(s):
        return [t for path, t in zip(s.hits, s.hit_times) if "/a" in path]

    slow_times, fast_times = page_times(slow), page_times(site)
    assert len(slow_times) == 6 and len(fast_times) == 150
    assert all(b - a >= 0.85 for a, b in zip(slow_times, slow_times[1:])), slow_times   # 1 s apart as sent; arrival jitters
    # Fetched batch by batch, the fast host's later pages waited for the slow host's 5 s.
    assert fast_times[-1] - fast_times[0] < 3, fast_times[-1] - fast_times[0]
    assert fast_times[-1] < slow_times[-1] - 2


def test_a_slow_feed_holds_up_only_its_own_pages(tmp_path, site):
    """Three feeds: the first is read on its own, then the other two together, one of them
    on a host that takes 3 s to answer. The other's pages are fetched as soon as it is read,
    not when the slow feed has come in."""
    from commentary_monitor.localsite import LocalSite

    first, fast = _many_articles_site(site, feeds=2, per_feed=5)
    with LocalSite() as slow:
        (slow_feed,) = _many_articles_site(slow, feeds=1, per_feed=5)
        slow.delay = 3.0
        cfg = write_config(tmp_path, [first, slow_feed, fast], [site.host_port, slow.host_port])
        summary = ingest(config_path=str(cfg))
        slow_feed_came = next(t for path, t in zip(slow.hits, slow.hit_times) if path.endswith("/rss"))
    assert summary.articles_new == 15 and not summary.feeds_failed
    fast_pages = [t for path, t in zip(site.hits, site.hit_times) if path.startswith("/d1/a")]
    assert len(fast_pages) == 5 and max(fast_pages) < slow_feed_came - 1, (fast_pages, slow_feed_came)
