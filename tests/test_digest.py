from datetime import date, datetime, timezone

import pytest

from commentary_monitor.config import DigestSettings, ProfileConfig, SeedEssay
from commentary_monitor.digest.build import collect, md_text, md_url, render_markdown, write_markdown
from commentary_monitor.digest.weeks import IsoWeek, last_complete_week, parse_week
from commentary_monitor.errors import UsageError
from commentary_monitor.relevance.profiles import build_profile
from commentary_monitor.warehouse.store import Warehouse

from .test_warehouse import article, score


def test_parse_week():
    assert parse_week("2026-W47") == IsoWeek(2026, 47)
    assert IsoWeek(2026, 47).monday == date(2026, 11, 16) and IsoWeek(2026, 47).sunday == date(2026, 11, 22)
    for bad in ("2026-47", "2026W47", "2026-W54", "last week"):
        with pytest.raises(UsageError):
            parse_week(bad)


def test_last_complete_week_and_time_zone_bounds():
    sunday_night = datetime(2026, 11, 22, 23, 30, tzinfo=timezone.utc)
    assert last_complete_week(sunday_night, "UTC").label == "2026-W46"
    # Already Monday in Tokyo: week 47 has ended there.
    assert last_complete_week(sunday_night, "Asia/Tokyo").label == "2026-W47"
    start, end = IsoWeek(2026, 47).bounds_utc("Europe/Berlin")
    assert start == datetime(2026, 11, 15, 23, 0) and end == datetime(2026, 11, 22, 23, 0)


def test_article_text_cannot_inject_markup():
    assert "<script>" not in md_text("<script>alert(1)</script>")
    assert md_text("[click](javascript:x)") == r"\[click\]\(javascript:x\)"
    assert md_url("javascript:alert(1)") == ""
    assert md_url("https://ex.org/a b)") == "https://ex.org/a%20b%29"


def profile(name):
    return build_profile(ProfileConfig(name, (SeedEssay(__import__("pathlib").Path("s.txt"), "x " * 40),), threshold=0.5))


def test_digest_ranks_the_weeks_relevant_articles(tmp_path):
    in_week = datetime(2026, 11, 18, 9)
    with Warehouse.open(tmp_path / "w.duckdb") as wh:
        run = wh.start_run("ingest")
        arts = [article(1, in_week), article(2, in_week), article(3, datetime(2026, 11, 5)), article(4, in_week)]
        arts[1].title = "<script>alert('x')</script> Moscow & [Beijing]"
        wh.store_articles(run, arts, [
            [score("a", 0.7), score("b", 0.2)],
            [score("a", 0.95), score("b", 0.1)],
            [score("a", 0.99), score("b", 0.1)],   # another week
            [score("a", 0.2), score("b", 0.3)],    # below threshold
        ])
        d = collect(wh, [profile("a"), profile("b")], IsoWeek(2026, 47), DigestSettings(tmp_path, "UTC", 25, 200),
                    now=datetime(2026, 11, 23, 7, tzinfo=timezone.utc))
    a, b = d.sections
    assert [it.url for it in a.items] == ["https://ex.org/2", "https://ex.org/1"]
    assert b.items == ()
    text = render_markdown(d)
    path = write_markdown(tmp_path / "digests", d, text)
    assert path.name == "2026-W47.md" and path.read_text(encoding="utf-8") == text
    assert text.startswith("# Commentary digest, 2026-W47\n")
    assert "## a" in text and "## b" in text
    assert "1. **[&lt;script&gt;alert\\('x'\\)&lt;/script&gt; Moscow &amp; \\[Beijing\\]](https://ex.org/2)**" in text
    assert "<script>" not in text
    assert "score 0.95" in text and "2026-11-18" in text and "Ex, Au" in text
    assert text.index("https://ex.org/2") < text.index("https://ex.org/1")
    assert "https://ex.org/3" not in text and "https://ex.org/4" not in text
    assert "Nothing scored at or above the threshold (0.50)" in text
    # every item shows its explanation: the passage, the matched terms and the closest seed passage
    assert "> passage" in text and "Matched: moscow, beijing" in text
    assert "Closest seed passage (s.txt): “seed”" in text
    assert "commentary-monitor feedback ID --profile NAME --relevant" in text


def test_empty_week_renders_cleanly(tmp_path):
    with Warehouse.open(tmp_path / "w.duckdb") as wh:
        d = collect(wh, [profile("a")], IsoWeek(2026, 1), DigestSettings(tmp_path, "UTC", 25, 200))
    text = render_markdown(d)
    assert "No new commentary matched a profile this week." in text and d.total == 0
