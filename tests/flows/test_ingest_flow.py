"""The real ingest and digest flows, end to end, against a site on 127.0.0.1."""

from datetime import datetime, timedelta

import duckdb

from commentary_monitor.flows.digest import digest
from commentary_monitor.flows.ingest import ingest
from commentary_monitor.localsite import SampleArticle, article_page, rss_feed

from ..conftest import OFFTOPIC_PARAGRAPHS, RELATION_PARAGRAPHS, last_week_day, write_config


def test_ingest_end_to_end_with_failing_feeds_then_idempotent(tmp_path, news_site):
    site = news_site
    feeds = [
        site.url("/east/feed.xml"),
        site.url("/west/atom.xml"),
        site.url("/broken/feed.xml"),            # HTML, not a feed
        site.url("/missing/feed.xml"),           # 404
        "http://10.255.255.1/feed.xml",          # private address, not allowed: never requested
    ]
    cfg = write_config(tmp_path, feeds, [site.host_port])

    first = ingest(config_path=str(cfg))
    assert first.feeds_ok == 2
    assert sorted(kind for _, kind, _ in first.feeds_failed) == ["blocked", "http", "parse"]
    assert first.articles_new == 6 and first.from_feed_content == 0
    assert first.relevant["sino-russian"] >= 1
    text = first.render()
    assert "5 feeds, 2 ok, 3 failed; 6 new articles" in text and "blocked" in text

    page_hits = [h for h in site.hits if not h.endswith((".xml",))]
    assert len(page_hits) == 6

    second = ingest(config_path=str(cfg))
    assert second.articles_new == 0 and second.feeds_ok == 2
    # No article page was fetched again.
    assert [h for h in site.hits if not h.endswith(".xml")] == page_hits

    con = duckdb.connect(str(tmp_path / "warehouse" / "monitor.duckdb"), read_only=True)
    try:
        assert con.execute("select count(*), count(distinct url) from articles").fetchone() == (6, 6)
        assert con.execute("select count(*) from articles where url like '%utm_%' or url like '%#%'").fetchone()[0] == 0
        assert con.execute("select count(*) from scores").fetchone()[0] == 12
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
    finally:
        con.close()

    result = digest(config_path=str(cfg))
    md = result.path.read_text(encoding="utf-8")
    assert result.path.parent == tmp_path / "warehouse" / "digests"
    assert "## sino-russian" in md
    assert "Moscow and Beijing: an unequal partnership" in md
    assert "East story 1" not in md and "West story" not in md   # off-topic stays out


def test_three_hundred_articles_stored_once(tmp_path, site):
    when = last_week_day(1)
    feeds = []
    for f in range(3):
        items = []
        for i in range(100):
            paragraphs = RELATION_PARAGRAPHS if i % 10 == 0 else OFFTOPIC_PARAGRAPHS
            path = f"/f{f}/a{i}/"
            a = SampleArticle(site.url(path), f"Story {f}-{i}", "W", "summary", "\n\n".join([f"Item {f}-{i}.", *paragraphs]),
                              when - timedelta(minutes=i))
            site.add(path, article_page(a, f"Outlet {f}"))
            items.append(a)
        feeds.append(site.add(f"/f{f}/rss", rss_feed(f"Outlet {f}", site.url(f"/f{f}/"), items), "application/rss+xml"))
    cfg = write_config(tmp_path, feeds, [site.host_port])
    first = ingest(config_path=str(cfg))
    assert first.articles_new == 300 and first.from_feed_content == 0
    assert ingest(config_path=str(cfg)).articles_new == 0
    con = duckdb.connect(str(tmp_path / "warehouse" / "monitor.duckdb"), read_only=True)
    assert con.execute("select count(*), count(distinct url) from articles").fetchone() == (300, 300)
    con.close()


def test_every_feed_failing_ends_cleanly_with_an_empty_digest(tmp_path):
    cfg = write_config(tmp_path, ["http://no-such-host.invalid/feed", "https://also-missing.invalid/rss"], [])
    summary = ingest(config_path=str(cfg))
    assert summary.feeds_ok == 0 and summary.articles_new == 0
    assert [k for _, k, _ in summary.feeds_failed] == ["dns", "dns"]
    result = digest(config_path=str(cfg), week="2026-W46")
    assert result.path.name == "2026-W46.md"
    assert "No new commentary matched a profile this week." in result.path.read_text(encoding="utf-8")


def test_ingest_leaves_a_prefect_artifact_with_its_summary(tmp_path, news_site):
    from prefect.artifacts import Artifact

    cfg = write_config(tmp_path, [news_site.url("/east/feed.xml")], [news_site.host_port])
    summary = ingest(config_path=str(cfg))
    artifact = Artifact.get("ingest-summary")
    assert artifact is not None and summary.render() in artifact.data
