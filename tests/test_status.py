from datetime import datetime, timezone

from commentary_monitor.config import load_config
from commentary_monitor.runs.status import next_runs, render_status
from commentary_monitor.warehouse.store import Warehouse

from .conftest import write_config


def test_next_runs_follow_cron_in_the_time_zone():
    now = datetime(2026, 11, 22, 12, 0, tzinfo=timezone.utc)   # a Sunday
    (monday,) = next_runs("0 7 * * 1", "Europe/Berlin", now, 1)
    assert monday.isoformat() == "2026-11-23T07:00:00+01:00"


def test_status_shows_runs_and_failing_streaks(tmp_path):
    cfg = load_config(write_config(tmp_path, [], [], extra='[schedule]\ningest = "*/30 * * * *"\n'))
    with Warehouse.open(cfg.warehouse_path) as wh:
        wh.upsert_feeds([("https://a.example/f", None), ("https://b.example/f", None)])
        for i, outcome in enumerate(["ok", "error", "error"]):
            run = wh.start_run("ingest")
            wh.record_fetch(run, "https://a.example/f", outcome, 200 if outcome == "ok" else None, 3, 0,
                            None if outcome == "ok" else "timeout", None)
            wh.update_feed_state("https://a.example/f", outcome == "ok", error_kind=None if outcome == "ok" else "timeout")
            wh.record_fetch(run, "https://b.example/f", "ok", 200, 3, 1, None, None)
            wh.update_feed_state("https://b.example/f", True)
            wh.finish_run(run, "ok", "", 1, 1, 1)
        text = render_status(wh, cfg, now=datetime(2026, 11, 22, 12, 10, tzinfo=timezone.utc))
    assert "ingest  '*/30 * * * *' (UTC): next Sun 2026-11-22 12:30, Sun 2026-11-22 13:00" in text
    assert text.count(" ingest  ok ") == 3
    assert "Feeds: 2 seen, 1 ok on their last run, 1 failing" in text
    assert "timeout    failing 2 runs, last ok" in text and "https://a.example/f" in text


def test_status_shows_feeds_read_with_problems_on_their_last_run(tmp_path):
    """A feed read with a recoverable problem (malformed XML, skipped entries) counts as ok
    but is listed with its problem, until a later run reads it cleanly."""
    cfg = load_config(write_config(tmp_path, [], []))
    with Warehouse.open(cfg.warehouse_path) as wh:
        feeds = ["https://a.example/f", "https://b.example/f", "https://c.example/f"]
        wh.upsert_feeds([(f, None) for f in feeds])
        problem = "malformed XML (not well-formed (invalid token): line 7, column 3); 2 of 5 entries kept"
        for i in range(2):
            run = wh.start_run("ingest")
            # a: a problem on the first run only; b: on the last run; c: clean
            wh.record_fetch(run, feeds[0], "ok", 200, 3, 0, None, None, problem if i == 0 else None)
            wh.record_fetch(run, feeds[1], "ok", 200, 3, 0, None, None, problem if i == 1 else None)
            wh.record_fetch(run, feeds[2], "ok", 200, 3, 0, None, None)
            for f in feeds:
                wh.update_feed_state(f, True)
            wh.finish_run(run, "ok", "", 3, 0, 0)
        text = render_status(wh, cfg)
    assert "Feeds: 3 seen, 3 ok on their last run, 0 failing, 1 read with problems" in text
    line = next(x for x in text.splitlines() if "read, kept what could be read" in x)
    assert "https://b.example/f" in line and "malformed XML" in line and "2 of 5 entries kept" in line
    assert "https://a.example/f" not in text.split("Feeds:")[1]
    # the feed_health view (migration 010) says the same: the problem of the last fetch only
    with Warehouse.open(cfg.warehouse_path, read_only=True) as wh:
        assert {h["feed_url"]: h["last_problem"] for h in wh.feed_health()} == {
            feeds[0]: None, feeds[1]: problem, feeds[2]: None}
