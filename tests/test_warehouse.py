from datetime import datetime

import duckdb
import pytest

from commentary_monitor.errors import WarehouseError
from commentary_monitor.runs.pipeline import Article, article_id
from commentary_monitor.relevance.scoring import Score
from commentary_monitor.warehouse.store import Warehouse, migrations

EXPECTED_TABLES = {"schema_migrations", "feeds", "runs", "fetches", "articles", "scores", "scored_articles"}


def article(n: int, published=datetime(2026, 11, 10, 9)) -> Article:
    url = f"https://ex.org/{n}"
    return Article(article_id(url), url, url + "?utm_source=x", url, "https://ex.org/feed", "Ex", f"Title {n}",
                   "Au", published, datetime(2026, 11, 11), "en", f"text {n}", "page", "ok")


def score(profile: str, value: float) -> Score:
    return Score(profile, value, value >= 0.5, f"because {value}", ("moscow", "beijing"), "passage", "seed", "s.txt",
                 0.2, "v1", "model-x")


def test_fresh_warehouse_is_migrated_and_recorded(tmp_path):
    path = tmp_path / "sub" / "w.duckdb"
    with Warehouse.open(path) as wh:
        names = {r[0] for r in wh.con.execute("select table_name from information_schema.tables").fetchall()}
        assert EXPECTED_TABLES <= names
        assert wh.applied_versions() == [m.version for m in migrations()]
    with Warehouse.open(path) as wh:      # opening again applies nothing
        assert wh.migrate() == []


def test_store_is_idempotent_and_scored_articles_reads_read_only(tmp_path):
    path = tmp_path / "w.duckdb"
    with Warehouse.open(path) as wh:
        run = wh.start_run("ingest")
        arts = [article(1), article(2)]
        scores = [[score("a", 0.9), score("b", 0.1)], [score("a", 0.3), score("b", 0.6)]]
        assert wh.store_articles(run, arts, scores) == 2
        assert wh.store_articles(run, arts, scores) == 0
        assert wh.known_urls(["https://ex.org/1", "https://ex.org/9"]) == {"https://ex.org/1"}
    con = duckdb.connect(str(path), read_only=True)
    rows = con.execute(
        "select url, title, outlet, published_at, profile, score, relevant from scored_articles order by score desc"
    ).fetchall()
    assert len(rows) == 4
    assert rows[0] == ("https://ex.org/1", "Title 1", "Ex", datetime(2026, 11, 10, 9), "a", 0.9, True)
    evidence = con.execute("select evidence->>'$.terms[0]' from scores limit 1").fetchone()[0]
    assert evidence == "moscow"
    con.close()


def test_a_failed_batch_keeps_what_was_stored(tmp_path):
    path = tmp_path / "w.duckdb"
    with Warehouse.open(path) as wh:
        run = wh.start_run("ingest")
        wh.store_articles(run, [article(1)], [[score("a", 0.9)]])
        with pytest.raises(WarehouseError, match="storing 1 articles failed"):
            wh.store_articles(run, [article(2)], [[score("a", 1.5)]])   # violates the score check
        assert wh.con.execute("select count(*) from articles").fetchone()[0] == 1
        assert wh.con.execute("select count(*) from scores").fetchone()[0] == 1


def test_read_only_open_of_missing_or_newer_warehouse(tmp_path):
    with pytest.raises(WarehouseError, match="no warehouse here yet"):
        Warehouse.open(tmp_path / "none.duckdb", read_only=True)
    path = tmp_path / "w.duckdb"
    with Warehouse.open(path) as wh:
        wh.con.execute("insert into schema_migrations values (999, 'future', now())")
    with pytest.raises(WarehouseError, match="newer than this program"):
        Warehouse.open(path)


def test_runs_and_fetches_are_recorded(tmp_path):
    with Warehouse.open(tmp_path / "w.duckdb") as wh:
        wh.upsert_feeds([("https://a.example/f", "A"), ("https://b.example/f", None)])
        wh.upsert_feeds([("https://a.example/f", "A2")])
        run = wh.start_run("ingest")
        wh.record_fetch(run, "https://a.example/f", "error", None, None, 0, "dns", "cannot resolve")
        wh.finish_run(run, "ok", "summary", 1, 1, 0)
        assert wh.con.execute("select name from feeds where url = 'https://a.example/f'").fetchone()[0] == "A2"
        assert wh.con.execute("select status, error_kind from fetches").fetchone() == ("error", "dns")
        assert wh.con.execute("select status, feeds_failed, finished_at is not null from runs").fetchone() == ("ok", 1, True)


def test_feed_outcomes_of_a_run_are_recorded_together(tmp_path):
    from datetime import datetime

    from commentary_monitor.warehouse.store import FeedRun

    urls = [f"https://{h}.example/f" for h in "abcde"]
    state = "select feed_url, etag, last_modified, consecutive_failures, last_error_kind, retry_not_before, resolved_url, " \
            "last_success_at is not null from feed_state order by feed_url"
    with Warehouse.open(tmp_path / "w.duckdb") as wh:
        wh.upsert_feeds([(u, None) for u in urls])
        first = wh.start_run("ingest")
        wh.record_feeds(first, [FeedRun(urls[0], True, 200, 5, 5, title="A's own title", etag='"a1"', last_modified="lm-a"),
                                FeedRun(urls[1], True, 200, 3, 3, etag='"b1"', resolved_url="https://b.example/real.xml"),
                                FeedRun(urls[2], False, None, error_kind="dns", error="cannot resolve"),
                                FeedRun(urls[3], True, 200, 2, 0, problem="malformed XML"),
                                FeedRun(urls[4], False, 503, error_kind="http", error="503",
                                        retry_not_before=datetime(2099, 1, 1))])
        second = wh.start_run("ingest")
        wh.record_feeds(second, [FeedRun(urls[0], True, 304, keep_validators=True),      # not modified
                                 FeedRun(urls[1], False, None, error_kind="timeout", error="slow"),
                                 FeedRun(urls[2], False, None, error_kind="dns", error="still not"),
                                 FeedRun(urls[3], True, 200, 2, 0, etag='"d2"'),
                                 FeedRun(urls[4], False, error_kind="deferred", error="waiting", update_state=False)])
        rows = {r[0]: r[1:] for r in wh.con.execute(state).fetchall()}
        assert rows[urls[0]] == ('"a1"', "lm-a", 0, None, None, None, True)   # a 304 keeps the validators
        # a failure counts, keeps the last good validators and the autodiscovered feed
        assert rows[urls[1]] == ('"b1"', None, 1, "timeout", None, "https://b.example/real.xml", True)
        assert rows[urls[2]] == (None, None, 2, "dns", None, None, False)
        assert rows[urls[3]] == ('"d2"', None, 0, None, None, None, True)
        assert rows[urls[4]] == (None, None, 1, "http", datetime(2099, 1, 1), None, False)   # the wait was not a failure
        assert wh.con.execute("select url, title from feeds where title is not null").fetchall() == [(urls[0], "A's own title")]
        fetches = wh.con.execute("select run_id, feed_url, status, http_status, items, new_items, error_kind, problem "
                                 "from fetches order by run_id = ?, feed_url", [second]).fetchall()
        assert len(fetches) == 10
        assert fetches[0] == (first, urls[0], "ok", 200, 5, 5, None, None)
        assert fetches[3] == (first, urls[3], "ok", 200, 2, 0, None, "malformed XML")
        assert fetches[5] == (second, urls[0], "ok", 304, None, None, None, None)
        assert fetches[9] == (second, urls[4], "error", None, None, None, "deferred", None)


def test_raw_pages_are_kept_as_files_then_pruned(tmp_path):
    from datetime import timedelta

    import zstandard

    with Warehouse.open(tmp_path / "w.duckdb") as wh:
        arts = [article(1), article(2), article(3)]
        arts[0].extra["html"] = (zstandard.compress(b"<html>one</html>"), "text/html")
        arts[1].extra["html"] = (zstandard.compress(b"<html>two</html>"), "text/html")
        arts[1].fetched_at = arts[0].fetched_at - timedelta(days=40)
        run = wh.start_run("ingest")
        assert wh.store_articles(run, arts, [[], [], []]) == 3
        assert wh.store_articles(run, arts, [[], [], []]) == 0   # the second time stores nothing new
        assert wh.con.execute("select count(*) from pages").fetchone()[0] == 2
        rel, size = wh.con.execute("select path, bytes from pages where url = 'https://ex.org/1'").fetchone()
        assert rel == f"pages/{arts[0].fetched_at:%Y-%m-%d}/{arts[0].article_id}.html.zst"
        assert zstandard.decompress((tmp_path / rel).read_bytes()) == b"<html>one</html>" and size == (tmp_path / rel).stat().st_size
        # files a crash left without their rows, in an old day's folder (.gz: from before zstd)
        orphan = tmp_path / "pages" / "2020-01-01" / "0000000000000000.html.gz"
        orphan.parent.mkdir(parents=True)
        orphan.write_bytes(b"x")
        (orphan.parent / "0000000000000001.html.zst").write_bytes(b"y")
        old = tmp_path / wh.con.execute("select path from pages where url = 'https://ex.org/2'").fetchone()[0]
        assert wh.prune_pages(30, now=arts[0].fetched_at) == 1
        assert wh.con.execute("select url from pages").fetchall() == [("https://ex.org/1",)]
        assert not old.exists() and not orphan.parent.exists() and (tmp_path / rel).exists()
        assert wh.prune_pages(0) == 1 and wh.con.execute("select count(*) from articles").fetchone()[0] == 3
        assert not (tmp_path / rel).exists() and list((tmp_path / "pages").iterdir()) == []
        # the same from SQL, as the docs show
        wh.store_articles(run, arts[:1], [[]])   # the article is stored already: its page is kept again
        (content,) = wh.con.execute(f"select content from read_blob('{tmp_path}/pages/*/*.html.zst')").fetchone()
        assert zstandard.decompress(content) == b"<html>one</html>"

def test_a_lake_write_that_conflicts_with_another_writer_is_run_again(tmp_path, monkeypatch):
    import duckdb

    from commentary_monitor.warehouse import store as module

    monkeypatch.setattr(module.time, "sleep", lambda s: None)
    with Warehouse.open(tmp_path / "w.duckdb") as wh:
        calls = []

        def write():
            calls.append(1)
            if len(calls) < 3:
                raise duckdb.TransactionException("Failed to commit: Transaction conflict on table runs")
            return "done"

        with pytest.raises(duckdb.TransactionException):     # one writer to a file: never retried
            wh.retrying(write, "x")
        assert len(calls) == 1
        wh.lake = True       # (as a DuckLake-backed warehouse is: many writers)
        calls.clear()
        assert wh.retrying(write, "x") == "done" and len(calls) == 3
        calls.clear()
        with pytest.raises(duckdb.CatalogException):          # not a conflict: at once
            wh.retrying(lambda: calls.append(1) or (_ for _ in ()).throw(duckdb.CatalogException("no table")), "x")
        assert len(calls) == 1
        wh.lake = False


def _pg_lake(tmp_path, catalog):
    from commentary_monitor.config import WarehouseLocation

    return WarehouseLocation(tmp_path / "w.duckdb", "ducklake", f"postgres:{catalog}", f"{tmp_path}/lake/")


def test_two_lake_writers_storing_the_same_article_at_once_store_it_once(tmp_path, lake_database):
    """DuckLake lets two transactions that only insert into a table commit side by side, so a
    MERGE alone would store an article twice when two writers store it at once. Here the
    second writer commits in the middle of the first's batch: the first's commit conflicts, and
    its batch, run again, finds the article stored."""
    where = _pg_lake(tmp_path, lake_database)
    with Warehouse.open(where) as a, Warehouse.open(where) as b:
        run_a, run_b = a.start_run("ingest"), b.start_run("ingest")
        take_turn = a._take_turn
        others = []

        def and_the_other_writer_commits():
            take_turn()
            if not others:
                others.append(b.store_articles(run_b, [article(1)], [[score("sino-russian", 0.8)]]))

        a._take_turn = and_the_other_writer_commits
        assert a.store_articles(run_a, [article(1), article(2)], [[score("sino-russian", 0.8)], []]) == 1
        assert others == [1]
        assert a.con.execute("select count(*), count(distinct url) from articles").fetchone() == (2, 2)
        assert a.con.execute("select count(*) from scores").fetchone()[0] == 1
        assert a.con.execute("select run_id from articles where url = ?", [article(1).url]).fetchone()[0] == run_b
        assert a.stored_by(run_a, [article(1).article_id, article(2).article_id]) == {article(2).article_id}


def test_a_lake_run_going_on_in_another_process_is_not_abandoned(tmp_path, lake_database):
    from datetime import timedelta

    from commentary_monitor.warehouse.store import utcnow

    where = _pg_lake(tmp_path, lake_database)
    with Warehouse.open(where) as a, Warehouse.open(where) as b:
        running = a.start_run("ingest")
        died = a.start_run("ingest", started_at=utcnow() - timedelta(hours=25))
        assert b.abandon_stale_runs() == 1
        assert dict(b.con.execute("select run_id, status from runs").fetchall()) == {running: "running", died: "abandoned"}
