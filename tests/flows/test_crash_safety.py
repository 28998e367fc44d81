"""Crash safety and the one-writer rule, for real: kill -9 and a second process holding the file."""

import os
import signal
import subprocess
import sys
import time
from datetime import timedelta

import duckdb
import pytest

from commentary_monitor.errors import WarehouseError
from commentary_monitor.flows.ingest import ingest
from commentary_monitor.localsite import SampleArticle, article_page, rss_feed
from commentary_monitor.warehouse.store import Warehouse

from ..conftest import OFFTOPIC_PARAGRAPHS, RELATION_PARAGRAPHS, last_week_day, write_config
from ..test_cli import EXE


def many_articles(site, n=200):
    when = last_week_day(1)
    items = []
    for i in range(n):
        path = f"/k/a{i}/"
        paragraphs = RELATION_PARAGRAPHS if i % 7 == 0 else OFFTOPIC_PARAGRAPHS
        a = SampleArticle(site.url(path), f"Story {i}", "W", "summary", "\n\n".join([f"Item {i}.", *paragraphs]),
                          when - timedelta(minutes=i))
        site.add(path, article_page(a, "K"))
        items.append(a)
    return site.add("/k/rss", rss_feed("K", site.url("/k/"), items), "application/rss+xml")


def test_kill_9_mid_ingest_loses_nothing_committed_and_duplicates_nothing(tmp_path, site):
    feed = many_articles(site)
    cfg = write_config(tmp_path, [feed], [site.host_port])
    site.delay = 0.1
    env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_")}
    env.update(PREFECT_HOME=str(tmp_path / "ph"), PREFECT_SERVER_ANALYTICS_ENABLED="false", PREFECT_LOGGING_LEVEL="WARNING")
    # Its own process group: the kill takes the run's Prefect server and workers with it, as a crash
    # of the machine would (a kill of the CLI alone leaves Prefect's server subprocess running).
    proc = subprocess.Popen([EXE, "--config", str(cfg), "ingest"], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            env=env, start_new_session=True)
    deadline = time.monotonic() + 180
    while sum(1 for h in site.hits if h.startswith("/k/a")) < 70 and time.monotonic() < deadline:
        assert proc.poll() is None, proc.stdout.read().decode()
        time.sleep(0.05)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    site.delay = 0.0
    db = tmp_path / "warehouse" / "monitor.duckdb"
    with duckdb.connect(str(db), read_only=True) as con:
        stored_before = con.execute("select count(*) from articles").fetchone()[0]
    assert stored_before < 200

    summary = ingest(config_path=str(cfg))
    assert summary.articles_new == 200 - stored_before
    with duckdb.connect(str(db), read_only=True) as con:
        assert con.execute("select count(*), count(distinct url) from articles").fetchone() == (200, 200)
        # No half-written article: every article has its scores for both profiles.
        assert con.execute("select count(*) from scores").fetchone()[0] == 400
        assert con.execute(
            "select count(*) from articles a where (select count(*) from scores s where s.article_id = a.article_id) <> 2"
        ).fetchone()[0] == 0
        statuses = [r[0] for r in con.execute("select status from runs order by started_at").fetchall()]
    assert statuses == ["abandoned", "ok"]


HOLD = """
import duckdb, sys, time
con = duckdb.connect(sys.argv[1], read_only=True)
print("held", flush=True)
time.sleep(float(sys.argv[2]))
"""


def hold(path, seconds):
    proc = subprocess.Popen([sys.executable, "-c", HOLD, str(path), str(seconds)], stdout=subprocess.PIPE, text=True)
    assert proc.stdout.readline().strip() == "held"
    return proc


def test_a_reader_holding_the_file_for_a_while_costs_the_run_nothing(tmp_path, news_site):
    cfg = write_config(tmp_path, [news_site.url("/east/feed.xml")], [news_site.host_port])
    db = tmp_path / "warehouse" / "monitor.duckdb"
    Warehouse.open(db).close()
    reader = hold(db, 4)
    try:
        summary = ingest(config_path=str(cfg))
    finally:
        reader.wait()
    assert summary.articles_new == 3


def test_waiting_is_reported_and_bounded(tmp_path):
    db = tmp_path / "w.duckdb"
    Warehouse.open(db).close()
    reader = hold(db, 5)
    try:
        messages = []
        with pytest.raises(WarehouseError, match=r"busy: another process \(PID \d+\) holds the file; gave up after 1s"):
            Warehouse.open(db, wait=1, on_wait=messages.append)
        assert messages and "retrying in" in messages[0]
        with Warehouse.open(db, wait=60, on_wait=messages.append) as wh:
            assert wh.applied_versions()
    finally:
        reader.wait()
