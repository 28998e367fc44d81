"""The full digest of a deterministic warehouse: Markdown against a golden file, the HTML
and text renderings, the archive files and rows, copies collapsed, near-misses, source health.

Regenerate the golden file after an intended change with
``UPDATE_GOLDEN=1 python -m pytest tests/test_digest_archive.py``.
"""

from __future__ import annotations

import os
import re

import pytest

from commentary_monitor.digest import publish
from commentary_monitor.digest.build import collect, render_markdown
from commentary_monitor.digest.weeks import week_of
from commentary_monitor.digest.html import render_html, render_text, safe_url
from commentary_monitor.warehouse.store import Warehouse

from . import digest_sample as S
from .conftest import DATA

GOLDEN = DATA / "digest" / "2026-W46.md"


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    root = tmp_path_factory.mktemp("archive")
    S.build(root / "w.duckdb")
    with Warehouse.open(root / "w.duckdb") as wh:
        d = collect(wh, S.profiles(), S.WEEK, S.settings(root / "digests"), S.NOW, list(S.FEEDS))
        archive = publish.write_archive(wh, d, root / "digests", publish.chart_png(d))
        rows = wh.con.execute("select week, profile, article_ids, path, sent_at from digests order by profile").fetchall()
    return d, archive, rows


def test_markdown_matches_the_golden_file(built):
    _, archive, _ = built
    text = archive.markdown.read_text(encoding="utf-8")
    if os.environ.get("UPDATE_GOLDEN"):
        GOLDEN.write_text(text, encoding="utf-8")
    assert text == GOLDEN.read_text(encoding="utf-8")


def test_archive_files_and_rows(built):
    d, archive, rows = built
    assert archive.markdown.name == "2026-W46.md" and archive.html.name == "2026-W46.html"
    assert archive.chart.name == "2026-W46.png" and archive.chart.read_bytes().startswith(b"\x89PNG")
    assert "![Relevant articles per week and profile, last 12 weeks](2026-W46.png)" in archive.markdown_text
    assert 'src="2026-W46.png"' in archive.html.read_text(encoding="utf-8")
    assert [(w, p, len(ids), path.endswith("2026-W46.md"), sent) for w, p, ids, path, sent in rows] == [
        ("2026-W46", "memory-politics", 2, True, None), ("2026-W46", "sino-russian", 4, True, None)]
    assert rows[1][2] == d.sections[0].article_ids


def test_copies_collapse_and_near_misses_are_mentioned(built):
    d, _, _ = built
    sino, memory = d.sections
    first = sino.items[0]
    assert first.outlet == "Eurasia Desk"
    assert [c.outlet for c in first.also] == ["Global Wire", "World Opinion Review"]   # the second below threshold
    assert all("wire.example/opinion" not in it.url for it in sino.items)
    assert [round(m.score, 2) for m in sino.mentions] == [0.47, 0.44, 0.38]      # 0.35 <= score < 0.50
    assert "Weekend football round-up" not in {m.title for m in sino.mentions}
    assert "Next Week's Column" not in {it.title for s in d.sections for it in (*s.items, *s.mentions)}
    assert first.seed_source == "radchenko-2023-legacies-of-sino-russian-relations.txt"
    assert first.excerpt.startswith("Moscow's pivot to Asia has become a dependence")


def test_overview_and_source_health(built):
    d, _, _ = built
    sino = d.overview.trends[0]
    assert sino.weeks[0] == "2026-W35" and sino.weeks[-1] == "2026-W46" and len(sino.counts) == 12
    assert sino.this_week == 5 and sino.previous == (4, 3, 2, 1)
    assert [t for t, _, _ in sino.rising][:1] == ["yuan"]
    assert d.overview.outlets[0].outlet == "World Opinion Review"
    health = {h.name: h for h in d.overview.health}
    assert set(health) == {"Gone Gazette", "Sleepy Quarterly"}
    assert health["Gone Gazette"].state == "failing" and health["Gone Gazette"].failures == 3
    assert health["Sleepy Quarterly"].state == "quiet"


def test_html_and_text_are_inert(built):
    d, _, _ = built
    html = render_html(d, chart_src="cid:chart@example.org")
    assert "<script>" not in html and "<img src=x" not in html and "<b>Bold" not in html
    assert "&lt;script&gt;" in html and "&lt;img src=x onerror=alert(1)&gt;" in html
    hrefs = re.findall(r'href="([^"]*)"', html)
    assert hrefs and all(h.startswith("https://") for h in hrefs)
    assert "A link that must not be a link" in html and 'src="cid:chart@example.org"' in html
    text = render_text(d)
    assert "javascript:" not in text.replace("[links](javascript:alert(1))", "")
    assert safe_url("javascript:alert(1)") == "" and safe_url("data:text/html,x") == "" and safe_url("https://") == ""
    assert safe_url("https://ex.org/a?b=1&c=2") == "https://ex.org/a?b=1&c=2"


def test_html_and_text_show_each_items_id_and_how_to_give_feedback(built):
    """As the Markdown does: the id is what `commentary-monitor feedback ID` takes."""
    d, archive, _ = built
    html, text = archive.html.read_text(encoding="utf-8"), render_text(d)
    for item in (it for s in d.sections for it in s.items):
        assert re.search(rf"· id <code[^>]*>{item.article_id}</code>", html), item.article_id
        assert f"· id {item.article_id}" in text
    assert html.count("Teach a profile: <code") == 1
    assert "commentary-monitor feedback ID --profile NAME --relevant</code> (or <code" in html
    assert "Teach a profile: commentary-monitor feedback ID --profile NAME --relevant (or --not-relevant)" in text
    assert "Teach a profile: `commentary-monitor feedback ID --profile NAME --relevant`" in archive.markdown_text


def test_markdown_renders_without_markup_from_articles(built):
    from markdown_it import MarkdownIt

    _, archive, _ = built
    html = MarkdownIt("commonmark", {"html": True}).enable("table").render(archive.markdown_text)
    assert "<script" not in html and "<b>" not in html and "onerror=alert(1)>" not in html
    assert re.findall(r"<img [^>]*>", html) == ['<img src="2026-W46.png" alt="Relevant articles per week and profile, last 12 weeks" />']
    hrefs = re.findall(r'href="([^"]*)"', html)
    assert len(hrefs) == 11 and all(h.startswith("https://") for h in hrefs)
    assert "&lt;script&gt;alert('x')&lt;/script&gt; Beijing &amp; the *Kremlin* [analysis]" in html
    assert html.count("<h2>") == 2 and "<table>" in html


def test_week_span_reads_naturally():
    from commentary_monitor.digest.weeks import IsoWeek

    assert IsoWeek(2026, 46).span == "9 to 15 November 2026"
    assert IsoWeek(2026, 44).span == "26 October to 1 November 2026"
    assert IsoWeek(2026, 1).span == "29 December 2025 to 4 January 2026"


def test_a_past_week_written_again_later_shows_source_health_as_it_was(tmp_path):
    from datetime import timedelta

    S.build(tmp_path / "w.duckdb")
    with Warehouse.open(tmp_path / "w.duckdb") as wh:
        # after the week: the failing feed recovers, the quiet one publishes again
        later = (S.NOW + timedelta(days=5)).replace(tzinfo=None)
        for url in S.FEEDS:
            wh.con.execute("INSERT INTO fetches (run_id, feed_url, fetched_at, status, http_status, items, new_items) "
                           "VALUES ('run-later', ?, ?, 'ok', 200, 10, 3)", [url, later])
        then = collect(wh, S.profiles(), S.WEEK, S.settings(tmp_path / "d"), S.NOW + timedelta(days=10), list(S.FEEDS))
        now = collect(wh, S.profiles(), week_of(S.WEEK.monday + timedelta(days=7)), S.settings(tmp_path / "d"),
                      S.NOW + timedelta(days=10), list(S.FEEDS))
    assert {h.name: h.state for h in then.overview.health} == {"Gone Gazette": "failing", "Sleepy Quarterly": "quiet"}
    assert now.overview.health == ()


def test_the_source_footer_names_every_feed_not_fetched_cleanly_in_the_week(tmp_path):
    """"All feeds fine" only when every feed was fetched in the week without an error: a feed
    that failed in the week (even if fine since), one fetched only after the week (its error
    named), and one never fetched are all named."""
    from datetime import timedelta

    S.build(tmp_path / "w.duckdb")
    late, never = "https://late.example/feed", "https://never.example/feed"
    in_week = (S.NOW - timedelta(days=2)).replace(tzinfo=None)
    after = (S.NOW + timedelta(days=1)).replace(tzinfo=None)
    with Warehouse.open(tmp_path / "w.duckdb") as wh:
        wh.upsert_feeds([(late, "Late Ledger"), (never, "Never Noted")])
        insert = ("INSERT INTO fetches (run_id, feed_url, fetched_at, status, http_status, items, new_items, "
                  "error_kind, error) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)")
        wire = "https://wire.example/rss"
        wh.con.execute(insert, ["run-x", wire, in_week + timedelta(hours=1), "error", 503, None, 0, "http", "HTTP 503"])
        wh.con.execute(insert, ["run-y", late, after, "error", None, None, 0, "connect", "connection refused"])
        d = collect(wh, S.profiles(), S.WEEK, S.settings(tmp_path / "digests"), S.NOW, [*S.FEEDS, late, never])
    states = {h.name: (h.state, h.error_kind) for h in d.overview.health}
    assert states == {"Gone Gazette": ("failing", "dns"), "Sleepy Quarterly": ("quiet", None),
                      "Global Wire": ("failed", "http"), "Late Ledger": ("unfetched", "connect"),
                      "Never Noted": ("unfetched", None)}
    md = render_markdown(d)
    assert "Global Wire: 1 of 4 fetches failed this week (last: http: HTTP 503); fine since" in md
    assert "Late Ledger: not fetched this week; last attempt" in md and "(connect: connection refused)" in md
    assert "Never Noted: not fetched this week" in md and "fetching and publishing" not in md
    assert "Never Noted: not fetched this week" in render_text(d) and "Late Ledger" in render_html(d)
