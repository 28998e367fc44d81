from datetime import datetime, timedelta

from commentary_monitor.config import HealthSettings
from commentary_monitor.feeds.health import assess, flags, render_table

NOW = datetime(2026, 11, 22, 12, 0)
S = HealthSettings(failing_after=3, quiet_factor=4.0, quiet_min_days=7.0)


def row(**kw):
    base = dict(feed_url="https://ex.org/feed", name=None, resolved_url=None, last_attempt_at=NOW, last_success_at=NOW,
                consecutive_failures=0, last_error_kind=None, last_error=None, retry_not_before=None, runs=5,
                items_per_run=20.0, new_per_run=1.5, last_published_at=NOW - timedelta(hours=5), typical_interval_hours=24.0)
    return {**base, **kw}


def test_failing_and_quiet_flags():
    assert flags(row(), S, NOW) == []
    assert flags(row(consecutive_failures=3), S, NOW) == ["failing"]
    # Daily feed silent for 5 days: under the 7-day floor. For 8 days: quiet.
    assert flags(row(last_published_at=NOW - timedelta(days=5)), S, NOW) == []
    assert flags(row(last_published_at=NOW - timedelta(days=8)), S, NOW) == ["quiet"]
    # A weekly feed is not quiet after 8 days, only after 4 weeks.
    weekly = dict(typical_interval_hours=168.0)
    assert flags(row(last_published_at=NOW - timedelta(days=8), **weekly), S, NOW) == []
    assert flags(row(last_published_at=NOW - timedelta(days=29), **weekly), S, NOW) == ["quiet"]


def test_table_shows_errors_and_flags():
    rows = assess([row(), row(feed_url="https://bad.example/rss", consecutive_failures=4, last_error_kind="dns",
                              last_error="cannot resolve bad.example", last_success_at=None)], S, NOW)
    text = render_table(rows)
    lines = text.splitlines()
    assert lines[0].split() == ["feed", "last", "success", "fails", "last", "error", "items/run", "new/run", "interval", "flags"]
    bad = next(ln for ln in lines if ln.startswith("https://bad.example/rss"))
    assert "never" in bad and "dns: cannot resolve bad.example" in bad and bad.endswith("failing")
    assert lines[-1] == "2 feeds, 1 flagged"


def test_a_feed_read_with_a_problem_is_flagged_and_shows_the_problem():
    rows = assess([row(), row(feed_url="https://odd.example/rss", last_problem="malformed XML; 2 of 5 entries kept")],
                  S, NOW)
    assert [r["flags"] for r in rows] == [[], ["problem"]]
    odd = next(ln for ln in render_table(rows).splitlines() if ln.startswith("https://odd.example/rss"))
    assert "problem: malformed XML; 2 of 5 entries kept" in odd and odd.endswith("problem")
