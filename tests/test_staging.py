"""Staged batches: written whole, committed exactly once, also after a crash between the
commit and the removal of the batch's folder."""

import shutil
import subprocess
import sys
import time
from datetime import datetime

import duckdb

from commentary_monitor.runs.pipeline import Article
from commentary_monitor.warehouse.staging import IngestStore, commit_staged, staged_article_count, staged_batches
from commentary_monitor.warehouse.store import Warehouse

from .flows.test_staging import hold, release


WRITER = """
import duckdb, sys
con = duckdb.connect(sys.argv[1])
print("held", flush=True)
sys.stdin.readline()
"""


def article(i: int) -> Article:
    url = f"https://example.org/{i}"
    return Article(article_id=f"{i:016x}", url=url, link=url, guid=url, feed_url="https://example.org/feed",
                   outlet="Example", title=f"Story {i}", author=None, published_at=datetime(2026, 11, 2),
                   fetched_at=datetime(2026, 11, 2, 10), language="en", text=f"Text of story {i}.",
                   text_source="feed", page_status="ok", extra={"fingerprint": f"fp{i}"})


def test_a_staged_batch_commits_exactly_once(tmp_path):
    db = tmp_path / "monitor.duckdb"
    Warehouse.open(db).close()
    reader = hold(db)
    try:
        store = IngestStore.open(db, wait=5)
        assert store.staging
        run = store.start_run("ingest")
        store.store_articles(run, [article(1), article(2)], [[], []])
        assert store.known_urls(["https://example.org/1", "https://example.org/3"]) == {"https://example.org/1"}
        store.finish_run(run, "ok", "staged", 1, 0, 2)
        store.reader.close()
        store.reader = None
        store._mem.con.close()
        store._mem = None
    finally:
        release(reader)
    assert staged_article_count(db) == 2 and len(staged_batches(db)) == 2
    saved = tmp_path / "saved"
    shutil.copytree(db.parent / "staging", saved)
    with Warehouse.open(db) as wh:
        wh.store_articles(run, [article(2)], [[]])     # stored meanwhile by another run
        assert commit_staged(wh) == 1                    # only article 1 is new
    assert staged_batches(db) == []
    # A kill after the commit, before the folders went: they are recognised and removed.
    shutil.rmtree(db.parent / "staging")
    shutil.copytree(saved, db.parent / "staging")
    with Warehouse.open(db) as wh:
        assert commit_staged(wh) == 0
        assert wh.con.execute("SELECT count(*) FROM articles").fetchone()[0] == 2
        assert wh.con.execute("SELECT status, articles_new FROM runs").fetchall() == [("ok", 2)]
        assert wh.con.execute("SELECT count(*) FROM article_fingerprints").fetchone()[0] == 2
    assert staged_batches(db) == []


def test_closing_a_writer_refreshes_the_read_copy(tmp_path):
    db = tmp_path / "monitor.duckdb"
    with Warehouse.open(db) as wh:
        wh.store_articles("r", [article(1)], [[]])
    with duckdb.connect(str(tmp_path / "monitor.read.duckdb"), read_only=True) as con:
        assert con.execute("SELECT count(*) FROM articles").fetchone()[0] == 1
    # While another process writes the file, readers get the copy at once.
    writer = subprocess.Popen([sys.executable, "-c", WRITER, str(db)], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                              text=True)
    try:
        assert writer.stdout.readline().strip() == "held"
        notes = []
        started = time.monotonic()
        with Warehouse.open_reader(db, on_note=notes.append) as r:
            assert r.path.name == "monitor.read.duckdb"
            assert r.con.execute("SELECT count(*) FROM articles").fetchone()[0] == 1
        assert time.monotonic() - started < 2
        assert "busy" in notes[0] and "read copy" in notes[0]
    finally:
        release(writer)
    with Warehouse.open_reader(db) as r:
        assert r.path == db
