"""A run never fails because someone reads the warehouse: it stages, and commits later.

A second process really holds the file read-only (as `duckdb -readonly` or a notebook
does), so this process cannot take it read-write.
"""

import os
import signal
import subprocess
import sys
import time

import duckdb

from commentary_monitor.config import load_config
from commentary_monitor.flows.ingest import ingest
from commentary_monitor.warehouse.staging import staged_article_count, staged_batches
from commentary_monitor.runs.status import render_status
from commentary_monitor.warehouse.store import Warehouse

from ..conftest import write_config
from ..test_cli import EXE, cli
from .test_crash_safety import many_articles

# Holds the file read-only until told to stop (a line on stdin), or until the staging
# folder has a batch of articles when a path to watch is given.
HOLD = """
import duckdb, pathlib, sys, time
con = duckdb.connect(sys.argv[1], read_only=True)
print("held", flush=True)
if len(sys.argv) > 2:
    staging = pathlib.Path(sys.argv[2])
    while not any(staging.glob("[0-9]*/articles.parquet")):
        time.sleep(0.05)
else:
    sys.stdin.readline()
"""


def hold(path, until_staged=None):
    args = [sys.executable, "-c", HOLD, str(path)] + ([str(until_staged)] if until_staged else [])
    proc = subprocess.Popen(args, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    assert proc.stdout.readline().strip() == "held"
    return proc


def release(proc):
    if proc.poll() is None:
        proc.stdin.write("\n")
        proc.stdin.flush()
    proc.wait(timeout=30)


def counts(db):
    with duckdb.connect(str(db), read_only=True) as con:
        return (con.execute("select count(*), count(distinct url) from articles").fetchone(),
                con.execute("select count(*) from scores").fetchone()[0],
                con.execute("select count(*) from search_docs").fetchone()[0],
                [r[0] for r in con.execute("select status from runs order by started_at").fetchall()])


def test_a_reader_holding_the_file_makes_the_run_stage_and_the_next_run_commit(tmp_path, site):
    feed = many_articles(site, 60)
    cfg = write_config(tmp_path, [feed], [site.host_port])
    db = tmp_path / "warehouse" / "monitor.duckdb"
    Warehouse.open(db).close()
    reader = hold(db)
    try:
        summary = ingest(config_path=str(cfg))
        assert summary.staged == 60 and summary.articles_new == 60
        assert "60 articles staged: the warehouse was busy" in summary.render()
        assert staged_article_count(db) == 60
        assert counts(db)[0] == (0, 0)              # nothing in the file yet: it was held throughout
        with Warehouse.open(db, read_only=True) as wh:
            assert "60 articles staged: the warehouse was busy" in render_status(wh, load_config(str(cfg)))
        # Still held: a second run knows what is staged and fetches none of it again.
        hits = len(site.hits)
        again = ingest(config_path=str(cfg))
        assert again.articles_new == 0 and again.staged == 0
        assert not [h for h in site.hits[hits:] if h.startswith("/k/a")]
    finally:
        release(reader)
    third = ingest(config_path=str(cfg))    # the file is free: the staged batches go in first
    assert third.articles_new == 0 and third.staged == 0
    assert staged_batches(db) == []
    (n, distinct), scores, indexed, statuses = counts(db)
    assert (n, distinct, scores, indexed) == (60, 60, 120, 60)
    assert statuses == ["ok", "ok", "ok"]
    with duckdb.connect(str(db), read_only=True) as con:
        assert con.execute("select sum(articles) from staged_batches").fetchone()[0] == 60
        # the staged runs' feed outcomes were replayed too
        assert con.execute("select count(*) from fetches").fetchone()[0] == 3


def test_the_run_commits_its_staged_batches_once_the_reader_goes(tmp_path, site):
    feed = many_articles(site, 80)
    cfg = write_config(tmp_path, [feed], [site.host_port])
    db = tmp_path / "warehouse" / "monitor.duckdb"
    Warehouse.open(db).close()
    site.delay = 0.05
    reader = hold(db, until_staged=db.parent / "staging")   # lets go after the first staged batch
    try:
        summary = ingest(config_path=str(cfg))
    finally:
        reader.wait(timeout=60)
    assert summary.articles_new == 80 and summary.staged == 0
    assert staged_batches(db) == []
    (n, distinct), scores, indexed, statuses = counts(db)
    assert (n, distinct, scores, indexed, statuses) == (80, 80, 160, 80, ["ok"])
    # the read copy followed the commit
    with duckdb.connect(str(db.parent / "monitor.read.duckdb"), read_only=True) as con:
        assert con.execute("select count(*) from articles").fetchone()[0] == 80


def test_kill_9_while_staging_loses_and_duplicates_nothing(tmp_path, site):
    feed = many_articles(site, 150)
    cfg = write_config(tmp_path, [feed], [site.host_port])
    db = tmp_path / "warehouse" / "monitor.duckdb"
    Warehouse.open(db).close()
    reader = hold(db)
    site.delay = 0.1
    env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_")}
    env.update(PREFECT_HOME=str(tmp_path / "ph"), PREFECT_SERVER_ANALYTICS_ENABLED="false",
               PREFECT_LOGGING_LEVEL="WARNING")
    try:
        proc = subprocess.Popen([EXE, "--config", str(cfg), "ingest"], stdout=subprocess.PIPE,
                                stderr=subprocess.STDOUT, env=env, start_new_session=True)
        deadline = time.monotonic() + 180
        while staged_article_count(db) < 25 and time.monotonic() < deadline:
            assert proc.poll() is None, proc.stdout.read().decode()
            time.sleep(0.05)
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
        staged = staged_article_count(db)
        assert 25 <= staged < 150
    finally:
        release(reader)
    site.delay = 0.0
    summary = ingest(config_path=str(cfg))
    assert summary.articles_new == 150 - staged
    (n, distinct), scores, indexed, statuses = counts(db)
    assert (n, distinct, scores, indexed) == (150, 150, 300, 150)
    assert statuses == ["abandoned", "ok"]
    assert staged_batches(db) == []


def test_status_and_sql_answer_during_an_ingest(tmp_path, site):
    feed = many_articles(site, 120)
    cfg = write_config(tmp_path, [feed], [site.host_port])
    site.delay = 0.1
    env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_")}
    env.update(PREFECT_HOME=str(tmp_path / "ph"), PREFECT_SERVER_ANALYTICS_ENABLED="false",
               PREFECT_LOGGING_LEVEL="WARNING")
    proc = subprocess.Popen([EXE, "--config", str(cfg), "ingest"], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            env=env)
    try:
        deadline = time.monotonic() + 120
        while sum(1 for h in site.hits if h.startswith("/k/a")) < 10 and time.monotonic() < deadline:
            assert proc.poll() is None
            time.sleep(0.1)
        answered = 0
        while proc.poll() is None and answered < 6:
            for args in (("status",), ("sql", "select count(*) from articles")):
                started = time.monotonic()
                res = cli("--config", str(cfg), *args, cwd=tmp_path)
                assert res.returncode == 0, res.stderr
                assert time.monotonic() - started < 8
                answered += 1
        assert answered >= 2
    finally:
        out = proc.communicate(timeout=300)[0].decode()
    assert proc.returncode == 0, out
    assert counts(tmp_path / "warehouse" / "monitor.duckdb")[0] == (120, 120)
