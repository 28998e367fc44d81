"""The DuckDB warehouse: connect, migrate, store and query.

Schema changes only happen through the numbered files in ``migrations/``; each is
applied in its own transaction and recorded in ``schema_migrations``.
"""

from __future__ import annotations

import json
import os
import random
import re
import shutil
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from importlib import resources
from pathlib import Path

import duckdb

from commentary_monitor import stopping
from commentary_monitor.config import WarehouseLocation
from commentary_monitor.errors import WarehouseBusy, WarehouseError
from commentary_monitor.warehouse.digest_queries import DigestQueries
from commentary_monitor.fetching.urls import canonical_url
from commentary_monitor.warehouse.feed_queries import FeedQueries, FeedRun, FeedState, present  # noqa: F401 (FeedState: part of this module's surface)

_MIGRATION_NAME = re.compile(r"^(\d{3})_([a-z0-9_]+)\.sql$")


def _lock_holder(message: str) -> str:
    m = re.search(r"\(PID (\d+)\)", message)
    return f" (PID {m.group(1)})" if m else ""


def extension_path(name: str) -> Path:
    """The ``.duckdb_extension`` file of an extension installed as a wheel
    (``duckdb-extension-<name>``, whose version must be the engine's): extensions cannot be
    downloaded at run time on machines without internet."""
    import importlib

    try:
        module = importlib.import_module(f"duckdb_extension_{name}")
    except ImportError:
        raise WarehouseError(name, f"the {name} extension is not installed "
                                   f"(pip install duckdb-extension-{name}=={duckdb.__version__})") from None
    path = Path(module.__file__).parent / "extensions" / f"v{duckdb.__version__}" / f"{name}.duckdb_extension"
    if not path.exists():
        raise WarehouseError(path.parent, f"no {name} extension for duckdb {duckdb.__version__} "
                                          f"(install duckdb-extension-{name}=={duckdb.__version__})")
    return path


def load_extension(con: duckdb.DuckDBPyConnection, name: str) -> None:
    try:
        con.execute(f"LOAD {name}")
    except duckdb.Error:
        con.execute(f"INSTALL '{_sql_str(str(extension_path(name)))}'")
        con.execute(f"LOAD {name}")


# DuckLake has no primary keys, unique or check constraints: the migrations' DDL without them
# (dedup is the code's: anti-joins and MERGE INTO, see Warehouse._append).
_TABLE_KEY = re.compile(r",\s*PRIMARY KEY\s*\([^)]*\)", re.I)
_COLUMN_KEY = re.compile(r"\s+(PRIMARY KEY|UNIQUE)\b", re.I)
_CHECK = re.compile(r"\s+CHECK\s*\((?:[^()]|\([^()]*\))*\)", re.I)


LAKE_RETRIES = 5      # a lake write whose commit conflicts with another process's is run again this often
# A run left 'running' in a lake may be going on in another process or on another machine:
# only one this old is taken for a process that died (no ingest or digest runs for a day).
LAKE_ABANDONED_AFTER = timedelta(hours=24)


def lake_ddl(sql: str) -> str:
    return _CHECK.sub("", _COLUMN_KEY.sub("", _TABLE_KEY.sub("", sql)))


def read_copy_path(path: Path | str) -> Path:
    """The warehouse's read copy: ``monitor.read.duckdb`` beside ``monitor.duckdb``."""
    path = Path(path)
    return path.with_name(f"{path.stem}.read{path.suffix}")


def utcnow() -> datetime:
    return datetime.now(timezone.utc).replace(tzinfo=None)


@dataclass(frozen=True)
class LabeledText:
    """An article a reader labeled for a profile (``feedback``), with its text."""
    article_id: str
    title: str
    text: str
    relevant: bool


@dataclass(frozen=True)
class Migration:
    version: int
    name: str
    sql: str


def migrations() -> list[Migration]:
    found = []
    for entry in resources.files("commentary_monitor.warehouse").joinpath("migrations").iterdir():
        m = _MIGRATION_NAME.match(entry.name)
        if m:
            found.append(Migration(int(m.group(1)), m.group(2), entry.read_text(encoding="utf-8")))
    found.sort(key=lambda m: m.version)
    versions = [m.version for m in found]
    # Applied in order, each once: numbers run 1..n with no gap or repeat, so a missing
    # or duplicated file is caught here rather than in someone's warehouse.
    if versions != list(range(1, len(versions) + 1)):
        raise WarehouseError("migrations/", f"migration numbers must run 1..n without gaps, got {versions}")
    return found


PAGE_SUFFIX = ".html.zst"   # raw pages: zstd files (zstdcat reads them); earlier ones were .html.gz
PAGE_COLUMNS = ("article_id", "url", "fetched_at", "content_type", "path", "bytes")
ARTICLE_COLUMNS = ("article_id", "url", "link", "guid", "feed_url", "outlet", "title", "author", "published_at",
                   "fetched_at", "language", "text", "text_source", "page_status", "page_error", "run_id")
SCORE_COLUMNS = ("article_id", "profile", "score", "relevant", "explanation", "evidence", "profile_version",
                 "model", "scored_at")


def _json_value(value):
    if isinstance(value, datetime):
        return value.isoformat(sep=" ")
    raise TypeError(f"cannot store {type(value).__name__} in a batch")


def score_row(article_id: str, s, now: datetime) -> list:
    """A ``scores`` row for a :class:`~commentary_monitor.relevance.scoring.Score`; ``evidence``
    holds the explanation's parts and the evidence figures."""
    evidence = {
        "terms": list(s.terms), "article_passage": s.article_passage,
        "seed_passage": s.seed_passage, "seed_source": s.seed_source, "raw": round(s.raw, 6),
        "features": dict(getattr(s, "features", {}) or {}),
    }
    return [article_id, s.profile, s.score, s.relevant, s.explanation,
            json.dumps(evidence, ensure_ascii=False), s.profile_version, s.model, now]


class Warehouse(DigestQueries, FeedQueries):
    """One open DuckDB connection with the package's queries."""

    def __init__(self, con: duckdb.DuckDBPyConnection, path: Path, read_only: bool, read_copy: bool = False,
                 lake: bool = False) -> None:
        self.con = con
        self.path = path
        self.lake = lake                # a DuckLake: no keys to conflict on, many writers
        self.read_only = read_only
        self.read_copy = read_copy      # refresh the read copy when closing (a read-write file's)
        self._depth = 0                 # transactions entered (see transaction())
        self._turn_taken = False        # this transaction has bumped write_turns (a lake's, see upsert())

    # --- opening ----------------------------------------------------------------------

    @classmethod
    def open(cls, path: Path | str | WarehouseLocation, read_only: bool = False, wait: float = 0.0,
             on_wait: Callable[[str], None] | None = None, read_copy: bool = True) -> "Warehouse":
        """Open (and, read-write, migrate) the warehouse.

        DuckDB lets one process hold a file read-write, and none may open it while a
        writer has it. When another process holds the lock, retry with backoff for up
        to ``wait`` seconds, telling ``on_wait`` each time, then give up clearly
        (:class:`WarehouseBusy`). Read-write, with ``read_copy``, closing refreshes the
        read copy (:meth:`refresh_read_copy`). A :class:`~.config.WarehouseLocation` may
        name a DuckLake instead (:meth:`open_lake`).
        """
        if isinstance(path, WarehouseLocation):
            if path.lake:
                return cls.open_lake(path, read_only)
            path = path.path
        path = Path(path)
        if read_only and not path.exists():
            raise WarehouseError(path, "no warehouse here yet: run `commentary-monitor ingest` first")
        if not read_only:
            try:
                path.parent.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise WarehouseError(path, f"cannot create its folder: {exc.strerror}") from None
        deadline = time.monotonic() + wait
        delay = 0.5
        while True:
            try:
                con = duckdb.connect(str(path), read_only=read_only)
                break
            except duckdb.IOException as exc:
                if "lock" not in str(exc).lower():
                    raise WarehouseError(path, f"cannot open: {exc}") from None
                holder = _lock_holder(str(exc))
                left = deadline - time.monotonic()
                if left <= 0:
                    raise WarehouseBusy(path, f"busy: another process{holder} holds the file; "
                                               f"gave up after {wait:g}s (try again when it has finished)") from None
                pause = min(delay, left)
                if on_wait:
                    on_wait(f"warehouse {path} is held by another process{holder}; retrying in {pause:.1f}s")
                stopping.sleep(pause)   # a stop request ends the wait
                delay = min(delay * 2, 15.0)
        con.execute("SET TimeZone = 'UTC'")
        wh = cls(con, path, read_only, read_copy=read_copy and not read_only)
        try:
            if read_only:
                wh.check_current()
            else:
                wh.migrate()
        except BaseException:
            con.close()
            raise
        return wh

    @classmethod
    def open_lake(cls, where: WarehouseLocation, read_only: bool = False) -> "Warehouse":
        """Attach a DuckLake (``ducklake:`` + ``where.catalog``, its Parquet files in
        ``where.data_path``) in an in-memory DuckDB and make it the default catalog, so that
        every query runs unchanged; migrate it (read-write) or check it is current."""
        con = duckdb.connect()
        catalog = where.catalog or ""
        try:
            load_extension(con, "ducklake")
            kind = catalog.partition(":")[0]
            if kind in ("postgres", "sqlite"):
                load_extension(con, kind)
            if where.password and kind == "postgres":
                catalog += f" password={where.password}"
            options = [f"DATA_PATH '{_sql_str(where.data_path or '')}'"] + (["READ_ONLY"] if read_only else [])
            if where.data_path and "://" not in where.data_path:
                Path(where.data_path).mkdir(parents=True, exist_ok=True)
            if kind == "sqlite":
                Path(catalog.partition(":")[2]).parent.mkdir(parents=True, exist_ok=True)
            con.execute(f"ATTACH '{_sql_str('ducklake:' + catalog)}' AS lake ({', '.join(options)})")
            con.execute("USE lake")
        except (duckdb.Error, OSError) as exc:
            con.close()
            message = str(exc).replace(where.password, "***") if where.password else str(exc)
            raise WarehouseError(str(where), f"cannot attach the lake: {message}") from None
        con.execute("SET TimeZone = 'UTC'")
        wh = cls(con, where.path, read_only, lake=True)
        try:
            wh.check_current() if read_only else wh.migrate()
        except BaseException:
            con.close()
            raise
        return wh

    @classmethod
    def open_reader(cls, path: Path | str | WarehouseLocation, wait: float = 10.0,
                    on_note: Callable[[str], None] | None = None) -> "Warehouse":
        """Open the warehouse for reading without waiting on a run that writes it: the file
        itself when no other process holds it read-write, else its read copy (the state
        after the writer's last refresh; ``on_note`` is told), else wait up to ``wait``.
        A lake has many readers and writers: it is opened as it is."""
        if isinstance(path, WarehouseLocation):
            if path.lake:
                return cls.open_lake(path, read_only=True)
            path = path.path
        try:
            return cls.open(path, read_only=True)
        except WarehouseBusy:
            copy = read_copy_path(path)
            if not copy.exists():
                return cls.open(path, read_only=True, wait=wait)
        wh = cls.open(copy, read_only=True, wait=wait)
        if on_note:
            when = datetime.fromtimestamp(copy.stat().st_mtime, timezone.utc)
            on_note(f"note: {path} is busy (a run is writing it): answering from its read copy "
                    f"{copy.name} of {when:%Y-%m-%d %H:%M:%S} UTC")
        return wh

    def close(self) -> None:
        if self.read_copy:
            try:
                self.refresh_read_copy()
            except (OSError, duckdb.Error):
                pass   # a stale read copy costs readers freshness, not data
        self.con.close()

    def refresh_read_copy(self) -> Path:
        """Write the state committed so far to the read copy (:func:`read_copy_path`): a
        checkpoint moves the log into the file, which is copied and renamed over the old
        copy. Readers that have the old copy open keep their snapshot (they hold its inode);
        the next ones get the new one. Only a read-write holder can call this."""
        copy = read_copy_path(self.path)
        tmp = copy.with_name(copy.name + ".tmp")
        self.con.execute("CHECKPOINT")
        shutil.copyfile(self.path, tmp)
        with open(tmp, "rb+") as f:
            os.fsync(f.fileno())
        os.replace(tmp, copy)
        return copy

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """One transaction around the block; inside another, part of that one (so a batch
        staged while the file was busy commits whole, with the calls it replays)."""
        if self._depth:
            self._depth += 1
            try:
                yield
            finally:
                self._depth -= 1
            return
        self.con.execute("BEGIN TRANSACTION")
        self._depth = 1
        self._turn_taken = False
        try:
            yield
        except BaseException:
            self._depth = 0
            self.con.execute("ROLLBACK")
            raise
        self._depth = 0
        try:
            self.con.execute("COMMIT")
        except duckdb.Error:
            try:
                self.con.execute("ROLLBACK")    # a commit that failed (a lake conflict) leaves nothing open
            except duckdb.Error:
                pass
            raise

    def retrying(self, write: Callable[[], object], what: str) -> object:
        """Run ``write`` (one transaction); on a DuckLake, where writers in other processes
        commit concurrently, run it again after a short random pause when its commit
        conflicted with theirs, up to :data:`LAKE_RETRIES` times. A file has one writer:
        it runs once."""
        for attempt in range(LAKE_RETRIES + 1 if self.lake and not self._depth else 1):
            try:
                return write()
            except duckdb.Error as exc:
                if attempt == LAKE_RETRIES or not self.lake or "conflict" not in str(exc).lower():
                    raise
                time.sleep(random.uniform(0.05, 0.5) * (attempt + 1))
        raise AssertionError(what)   # unreachable: the last attempt returns or raises

    def __enter__(self) -> "Warehouse":
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()

    # --- migrations -------------------------------------------------------------------

    def applied_versions(self) -> list[int]:
        exists = self.con.execute(
            "SELECT count(*) FROM information_schema.tables WHERE table_name = 'schema_migrations' "
            "AND table_catalog = current_database()"
        ).fetchone()[0]
        if not exists:
            return []
        return [r[0] for r in self.con.execute("SELECT version FROM schema_migrations ORDER BY version").fetchall()]

    def check_current(self) -> None:
        applied = self.applied_versions()
        known = [m.version for m in migrations()]
        if applied and max(applied) > max(known):
            raise WarehouseError(self.path, f"schema version {max(applied)} is newer than this program knows ({max(known)})")
        missing = sorted(set(known) - set(applied))
        if missing:
            raise WarehouseError(self.path, f"schema is not current (missing migrations {missing}): run `commentary-monitor ingest` once to migrate")

    def _ddl(self, sql: str) -> str:
        return lake_ddl(sql) if self.lake else sql

    def migrate(self) -> list[int]:
        self.con.execute(self._ddl(
            "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name VARCHAR NOT NULL, applied_at TIMESTAMP NOT NULL)"
        ))
        applied = set(self.applied_versions())
        all_known = migrations()
        if applied and max(applied) > all_known[-1].version:
            raise WarehouseError(self.path, f"schema version {max(applied)} is newer than this program knows ({all_known[-1].version})")
        done = []
        for m in all_known:
            if m.version in applied:
                continue
            try:
                self.con.execute("BEGIN TRANSACTION")
                self.con.execute(self._ddl(m.sql))
                self.con.execute("INSERT INTO schema_migrations VALUES (?, ?, ?)", [m.version, m.name, utcnow()])
                self.con.execute("COMMIT")
            except duckdb.Error as exc:
                self.con.execute("ROLLBACK")
                raise WarehouseError(self.path, f"migration {m.version:03d}_{m.name} failed: {exc}") from None
            done.append(m.version)
        return done

    # --- runs and feeds ---------------------------------------------------------------

    def abandon_stale_runs(self) -> int:
        """Mark runs left 'running' by a process that died (killed, machine rebooted).

        Only a read-write holder calls this, and DuckDB admits one such process per
        file, so no other run can still be going on. A lake has many writers: there a
        'running' run may be another process's, going on now, and only one that started
        :data:`LAKE_ABANDONED_AFTER` ago is marked."""
        stale = "status = 'running'"
        args: list = []
        if self.lake:
            stale += " AND started_at < ?"
            args = [utcnow() - LAKE_ABANDONED_AFTER]
        n = self.con.execute(f"SELECT count(*) FROM runs WHERE {stale}", args).fetchone()[0]
        if n:
            self.retrying(lambda: self.con.execute(
                "UPDATE runs SET status = 'abandoned', summary = coalesce(summary, '') || "
                f"'the process ended before the run finished' WHERE {stale}", args), "abandon stale runs")
        return n

    def start_run(self, kind: str, run_id: str | None = None, started_at: datetime | None = None) -> str:
        run_id = run_id or str(uuid.uuid4())
        self.con.execute(
            "INSERT INTO runs (run_id, kind, started_at, status) VALUES (?, ?, ?, 'running')",
            [run_id, kind, started_at or utcnow()]
        )
        return run_id

    def finish_run(self, run_id: str, status: str, summary: str = "", feeds_ok: int | None = None,
                   feeds_failed: int | None = None, articles_new: int | None = None,
                   finished_at: datetime | None = None) -> None:
        self.retrying(lambda: self.con.execute(
            "UPDATE runs SET finished_at = ?, status = ?, summary = ?, feeds_ok = ?, feeds_failed = ?, articles_new = ? WHERE run_id = ?",
            [finished_at or utcnow(), status, summary, feeds_ok, feeds_failed, articles_new, run_id],
        ), "finish run")

    def upsert_feeds(self, feeds: list[tuple[str, str | None]]) -> None:
        """Register configured feeds (url, name); names follow the config."""
        if not feeds:
            return
        now = utcnow()
        # One statement for all (executemany runs one per feed: ~5 ms each); dict(): a URL listed
        # twice would be two rows for one key in the same statement, which ON CONFLICT refuses.
        self._append("feeds", ("url", "name", "added_at"), [[url, name, now] for url, name in dict(feeds).items()],
                     keys=("url",), update={"name": "coalesce(excluded.name, feeds.name)"})

    def record_fetch(self, run_id: str, feed_url: str, status: str, http_status: int | None, items: int | None,
                     new_items: int | None, error_kind: str | None, error: str | None, problem: str | None = None) -> None:
        """One feed's ``fetches`` row, the feed's state left as it is (see :meth:`record_feeds`)."""
        self.record_feeds(run_id, [FeedRun(feed_url, status == "ok", http_status=http_status, items=items,
                                           new_items=new_items, error_kind=error_kind, error=error, problem=problem,
                                           update_state=False)])

    # --- articles and scores ----------------------------------------------------------

    def known_urls(self, urls: list[str]) -> set[str]:
        return present(self.con, "SELECT url FROM articles WHERE url IN {keys}", urls)

    def stored_by(self, run_id: str, article_ids: list[str]) -> set[str]:
        """Which of ``article_ids`` the run ``run_id`` stored (and not another run)."""
        return present(self.con, "SELECT article_id FROM articles WHERE run_id = ? AND article_id IN {keys}",
                       article_ids, run_id)

    def _append(self, table: str, columns: tuple[str, ...], rows: list[list], keys: tuple[str, ...] = (),
                update: dict[str, str] | None = None, replace: bool = False) -> None:
        """Insert many rows in one statement (see :meth:`_rows`); a row whose ``keys`` are
        stored already is skipped, or replaced (``replace``), or has the ``update``
        expressions applied (over ``excluded.`` the new row and ``<table>.`` the stored one)."""
        types = self._column_types(table)
        rel, param = self._rows({c: types[c] for c in columns}, rows)
        self.upsert(table, columns, rel, [param], keys, update, replace)

    def upsert(self, table: str, columns: tuple[str, ...], source: str, params, keys: tuple[str, ...] = (),
               update: dict[str, str] | None = None, replace: bool = False) -> None:
        """``INSERT INTO table SELECT columns FROM source``, with what happens to a row whose
        ``keys`` are stored already (see :meth:`_append`). The DuckDB file says it with its
        keys (ON CONFLICT, INSERT OR REPLACE); a DuckLake has none, so there the same is a
        ``MERGE INTO`` on the keys, the source's duplicates dropped first."""
        cols = ", ".join(columns)
        if not keys:
            self.con.execute(f"INSERT INTO {table} ({cols}) SELECT {cols} FROM {source}", params)
        elif not self.lake:
            if replace:
                self.con.execute(f"INSERT OR REPLACE INTO {table} ({cols}) SELECT {cols} FROM {source}", params)
            elif update:
                sets = ", ".join(f"{c} = {e}" for c, e in update.items())
                self.con.execute(f"INSERT INTO {table} ({cols}) SELECT {cols} FROM {source} "
                                 f"ON CONFLICT ({', '.join(keys)}) DO UPDATE SET {sets}", params)
            else:
                self.con.execute(f"INSERT INTO {table} ({cols}) SELECT {cols} FROM {source} ON CONFLICT DO NOTHING", params)
        else:
            if replace:
                update = {c: f"excluded.{c}" for c in columns if c not in keys}
            on = " AND ".join(f"{table}.{k} IS NOT DISTINCT FROM excluded.{k}" for k in keys)
            matched = (" WHEN MATCHED THEN UPDATE SET " + ", ".join(f"{c} = {e}" for c, e in update.items())) if update else ""
            merge = (f"MERGE INTO {table} USING (SELECT DISTINCT ON ({', '.join(keys)}) {cols} FROM {source}) AS excluded "
                     f"ON {on}{matched} WHEN NOT MATCHED THEN INSERT ({cols}) VALUES ({', '.join('excluded.' + c for c in columns)})")

            def write() -> None:
                with self.transaction():   # part of the caller's, when it has one
                    self._take_turn()
                    self.con.execute(merge, params)

            self.retrying(write, f"merge into {table}")

    def _take_turn(self) -> None:
        """Bump the lake's ``write_turns`` row once in this transaction (migration 013): two
        writers merging at once then conflict, and the one that commits second runs again,
        seeing the first one's rows, instead of inserting them a second time (a MERGE that
        only inserts does not conflict with another insert)."""
        if not self._turn_taken:
            self.con.execute("UPDATE write_turns SET turns = turns + 1")
            self._turn_taken = True

    @staticmethod
    def _rows(types: dict[str, str], rows: list[list], ref: str = "?") -> tuple[str, str]:
        """Many rows as one relation: (SQL of a subquery, its one parameter). The batch goes
        in as one JSON parameter that DuckDB unpacks (~2.7x faster than row-by-row
        ``executemany`` here; a statement per row costs 1-4 ms; pandas and pyarrow, the usual
        fast paths, are not dependencies). ``types`` maps each column, in the rows' order,
        to its SQL type; ``ref`` is how the SQL refers to the parameter (``$name``)."""
        columns = list(types)
        json_cols = [i for i, c in enumerate(columns) if types[c] == "JSON"]
        if json_cols:   # JSON columns arrive as JSON text: embed them as values, not as strings
            rows = [[json.loads(v) if i in json_cols and isinstance(v, str) else v for i, v in enumerate(r)] for r in rows]
        payload = json.dumps([dict(zip(columns, r)) for r in rows], default=_json_value, ensure_ascii=False)
        return f"(SELECT unnest(from_json({ref}::JSON, '[{json.dumps(types)}]'), recursive := true))", payload

    def _column_types(self, table: str) -> dict[str, str]:
        cache = self.__dict__.setdefault("_types", {})
        if table not in cache:
            cache[table] = dict(self.con.execute(
                "SELECT column_name, data_type FROM information_schema.columns WHERE table_schema = 'main' "
                "AND table_catalog = current_database() AND table_name = ?",
                [table]).fetchall())
        return cache[table]

    def store_articles(self, run_id: str, articles: list, scores: list[list]) -> int:
        """Everything an ingest keeps of a batch, in one transaction; returns how many
        articles were new.

        ``articles`` are :class:`~commentary_monitor.runs.pipeline.Article`, ``scores`` one
        list of :class:`~commentary_monitor.relevance.scoring.Score` per article, with the
        profile versions and model in each score's ``profile_version``/``model``. With
        the articles go what they carry in ``extra``: their feed entries' fingerprints,
        their raw pages (``html``, see :meth:`_write_pages`) and their full-text index terms
        (``terms``, from :func:`.search.article_terms`; an article without them waits for
        :func:`.search.index_new`).
        """
        if not articles:
            return 0
        now = utcnow()
        page_rows = self._write_pages(articles)
        try:
            return self.retrying(lambda: self._store_batch(run_id, articles, scores, page_rows, now), "store articles")
        except duckdb.Error as exc:
            raise WarehouseError(self.path, f"storing {len(articles)} articles failed: {exc}") from None

    def _store_batch(self, run_id: str, articles: list, scores: list[list], page_rows: list, now) -> int:
        """store_articles' transaction (run again on a lake conflict: see :meth:`retrying`);
        the articles it added, counted inside it (on a lake, other writers commit meanwhile)."""
        from commentary_monitor.warehouse.search import store_terms

        with self.transaction():
            before = self.con.execute("SELECT count(*) FROM articles").fetchone()[0]
            self._append("articles", ARTICLE_COLUMNS,
                         [[a.article_id, a.url, a.link, a.guid, a.feed_url, a.outlet, a.title, a.author, a.published_at,
                           a.fetched_at, a.language, a.text, a.text_source, a.page_status, a.page_error, run_id]
                          for a in articles], keys=("article_id",))
            rows = [score_row(a.article_id, s, now) for a, per_profile in zip(articles, scores) for s in per_profile]
            if rows:
                self._append("scores", SCORE_COLUMNS, rows, keys=("article_id", "profile"), replace=True)
            prints: dict[str, str] = {}   # one row per fingerprint: the first article that had it
            for a in articles:
                if a.extra.get("fingerprint"):
                    prints.setdefault(a.extra["fingerprint"], a.article_id)
            if prints:
                self._append("article_fingerprints", ("fingerprint", "article_id"), [list(p) for p in prints.items()],
                             keys=("fingerprint",))
            if page_rows:
                self._append("pages", PAGE_COLUMNS, page_rows, keys=("article_id",))
            store_terms(self.con, [(a.article_id, a.extra["terms"]) for a in articles if a.extra.get("terms")])
            added = self.con.execute("SELECT count(*) FROM articles").fetchone()[0] - before
        return added

    @property
    def pages_dir(self) -> Path:
        """Where raw pages are kept: ``pages/`` beside the database file."""
        return Path(self.path).parent / "pages"

    def _write_pages(self, articles: list) -> list[list]:
        """Keep the raw HTML the pipeline attached to articles (``extra['html']``: zstd bytes,
        content type) as files under :attr:`pages_dir`, one folder per day; returns their
        ``pages`` rows, which :meth:`store_articles` inserts after the files are written, so a
        row always has its file (a file left without a row by a crash is removed with its
        day's folder by :meth:`prune_pages`)."""
        rows = []
        root, made = self.pages_dir.parent, set()
        for a in articles:
            if not a.extra.get("html"):
                continue
            data, content_type = a.extra["html"]
            day = f"pages/{a.fetched_at:%Y-%m-%d}"
            rel = f"{day}/{a.article_id}{PAGE_SUFFIX}"
            if day not in made:
                (root / day).mkdir(parents=True, exist_ok=True)
                made.add(day)
            with open(root / rel, "wb") as f:
                f.write(data)
            rows.append([a.article_id, a.url, a.fetched_at, content_type, rel, len(data)])
        return rows

    def prune_pages(self, keep_days: int, now: datetime | None = None) -> int:
        """Drop raw pages older than ``keep_days`` (all of them when 0), rows and files; text
        and scores stay. Returns how many rows went."""
        cutoff = (now or utcnow()) - timedelta(days=keep_days)
        old = self.con.execute("SELECT path FROM pages WHERE fetched_at < ?", [cutoff]).fetchall()
        if old:
            self.con.execute("DELETE FROM pages WHERE fetched_at < ?", [cutoff])
        for (rel,) in old:
            (self.pages_dir.parent / rel).unlink(missing_ok=True)
        # Whole days before the cutoff's go too, with any file a crash left without its row.
        first_kept = cutoff.strftime("%Y-%m-%d") if keep_days else "9999-12-31"
        days = self.pages_dir.iterdir() if self.pages_dir.is_dir() else ()
        for day in days:
            if day.is_dir() and re.fullmatch(r"\d{4}-\d{2}-\d{2}", day.name) and day.name < first_kept:
                for f in (*day.glob("*" + PAGE_SUFFIX), *day.glob("*.html.gz")):   # .gz: before zstd
                    f.unlink(missing_ok=True)
                try:
                    day.rmdir()
                except OSError:
                    pass   # something not ours is in it
        return len(old)

    # --- feedback and rescoring -------------------------------------------------------

    def find_article(self, ref: str) -> tuple[str, str] | None:
        """``(article_id, how)`` of the article a URL (canonical or as linked) or an
        article id (as shown in digests) names."""
        row = self.con.execute("SELECT article_id FROM articles WHERE article_id = ?", [ref.strip()]).fetchone()
        if row:
            return row[0], "id"
        row = self.con.execute(
            "SELECT article_id FROM articles WHERE url = ? OR link = ? LIMIT 1", [canonical_url(ref.strip()), ref.strip()]
        ).fetchone()
        return (row[0], "url") if row else None

    def add_feedback(self, article_id: str, profile: str, relevant: bool, source: str) -> None:
        self._append("feedback", ("article_id", "profile", "relevant", "source", "given_at"),
                     [[article_id, profile, relevant, source, utcnow()]], keys=("article_id", "profile"), replace=True)

    def feedback_labels(self) -> dict[str, list]:
        """Every profile's labels with the labeled articles' text, oldest first."""
        rows = self.con.execute(
            "SELECT f.profile, f.article_id, a.title, a.text, f.relevant FROM feedback f "
            "JOIN articles a USING (article_id) ORDER BY f.given_at, f.article_id"
        ).fetchall()
        out: dict[str, list] = {}
        for profile, aid, title, text, relevant in rows:
            out.setdefault(profile, []).append(LabeledText(aid, title or "", text, bool(relevant)))
        return out

    def iter_articles(self, batch: int = 200):
        """All stored articles as ``(article_id, title, text)`` batches, in id order."""
        last = ""
        while True:
            rows = self.con.execute(
                "SELECT article_id, title, text FROM articles WHERE article_id > ? ORDER BY article_id LIMIT ?", [last, batch]
            ).fetchall()
            if not rows:
                return
            yield rows
            last = rows[-1][0]

    def replace_scores(self, rows: list[tuple[str, object]]) -> int:
        """Store new scores ``(article_id, Score)``; the rows they replace move to
        ``score_history``. One transaction. Returns how many rows were replaced."""
        if not rows:
            return 0
        now = utcnow()
        keys = [[aid, s.profile] for aid, s in rows]
        try:
            self.con.execute("BEGIN TRANSACTION")
            self.con.execute("CREATE TEMP TABLE IF NOT EXISTS _rescored (article_id VARCHAR, profile VARCHAR)")
            self.con.execute("DELETE FROM _rescored")
            self.con.executemany("INSERT INTO _rescored VALUES (?, ?)", keys)
            replaced = self.con.execute(
                "INSERT INTO score_history SELECT s.*, ? FROM scores s JOIN _rescored r USING (article_id, profile)", [now]
            ).fetchone()[0]
            self.con.execute("DELETE FROM scores WHERE (article_id, profile) IN (SELECT (article_id, profile) FROM _rescored)")
            self.con.executemany("INSERT INTO scores VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                                 [score_row(aid, s, now) for aid, s in rows])
            self.con.execute("COMMIT")
        except duckdb.Error as exc:
            self.con.execute("ROLLBACK")
            raise WarehouseError(self.path, f"storing {len(rows)} scores failed: {exc}") from None
        return int(replaced)

    # --- queries ----------------------------------------------------------------------

    def relevant_in_range(self, profile: str, start: datetime, end: datetime, limit: int,
                          languages: Sequence[str] | None = None) -> list[dict]:
        """The relevant articles of a profile published in [start, end), best first."""
        return self.articles_in_range(profile, start, end, limit, "sa.relevant", languages=languages)

    def articles_in_range(self, profile: str, start: datetime, end: datetime, limit: int,
                          condition: str, params: tuple = (), languages: Sequence[str] | None = None) -> list[dict]:
        """A profile's articles published in [start, end) that meet ``condition`` (SQL over
        ``scored_articles sa``, with ``params``), best first, with their text and evidence.
        With ``languages``, only articles in one of them, or in a language not known."""
        if languages is not None:
            condition = f"({condition}) AND (sa.language IS NULL OR list_contains(?::VARCHAR[], sa.language))"
            params = (*params, list(languages))
        cur = self.con.execute(
            f"""
            SELECT sa.article_id, sa.url, sa.title, sa.outlet, sa.author, sa.published_at, sa.score,
                   sa.explanation, sa.evidence, a.text, sa.language
            FROM scored_articles sa
            JOIN articles a ON a.article_id = sa.article_id
            WHERE sa.profile = ? AND sa.published_at >= ? AND sa.published_at < ? AND {condition}
            ORDER BY sa.score DESC, sa.published_at DESC, sa.url
            LIMIT ?
            """,
            [profile, start, end, *params, limit],
        )
        cols = [d[0] for d in cur.description]
        out = []
        for row in cur.fetchall():
            item = dict(zip(cols, row))
            item["evidence"] = json.loads(item["evidence"]) if item["evidence"] else {}
            out.append(item)
        return out

    # --- maintenance --------------------------------------------------------------------

    def tables(self) -> list[str]:
        return [r[0] for r in self.con.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_type = 'BASE TABLE' "
            "AND table_schema = 'main' AND table_catalog = current_database() ORDER BY table_name"
        ).fetchall()]

    def export_parquet(self, directory: Path) -> dict[str, int]:
        """Write every table as ``<table>.parquet`` in ``directory``; returns rows per table."""
        directory.mkdir(parents=True, exist_ok=True)
        written = {}
        for table in self.tables():
            target = directory / f"{table}.parquet"
            self.con.execute(f"COPY {table} TO '{_sql_str(str(target))}' (FORMAT parquet, COMPRESSION zstd)")
            written[table] = self.con.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
        return written

    def copy_from(self, source: Path | str | WarehouseLocation) -> dict[str, int]:
        """Copy every table of another warehouse (a DuckDB file or a DuckLake, of the same
        schema version) into this one, which must hold no articles yet; one transaction.
        The raw pages stay where they are (the ``pages`` rows name files beside ``path``).
        Returns rows per table."""
        if self.con.execute("SELECT count(*) FROM articles").fetchone()[0]:
            raise WarehouseError(self.path, "warehouse copy: the destination already holds articles")
        if isinstance(source, WarehouseLocation) and source.lake:
            load_extension(self.con, "ducklake")
            kind = (source.catalog or "").partition(":")[0]
            if kind in ("postgres", "sqlite"):
                load_extension(self.con, kind)
            catalog = (source.catalog or "") + (f" password={source.password}" if source.password and kind == "postgres" else "")
            attach = f"'{_sql_str('ducklake:' + catalog)}' AS src (DATA_PATH '{_sql_str(source.data_path or '')}', READ_ONLY)"
        else:
            path = source.path if isinstance(source, WarehouseLocation) else Path(source)
            if not path.exists():
                raise WarehouseError(path, "no warehouse here to copy")
            attach = f"'{_sql_str(str(path))}' AS src (READ_ONLY)"
        with Warehouse.open_reader(source) as check:   # refuses a source of another schema version
            theirs = check.applied_versions()
        if theirs != self.applied_versions():
            raise WarehouseError(self.path, f"warehouse copy: the source's schema {theirs} is not this one's")
        self.con.execute(f"ATTACH {attach}")
        copied = {}
        try:
            with self.transaction():
                for table in self.tables():
                    if table == "schema_migrations":
                        continue
                    self.con.execute(f"DELETE FROM {table}")   # what migrating the empty destination wrote
                    self.con.execute(f"INSERT INTO {table} BY NAME SELECT * FROM src.main.{table}")
                    copied[table] = self.con.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
        finally:
            self.con.execute("DETACH src")
        return copied

    def vacuum(self) -> None:
        self.con.execute("VACUUM ANALYZE")
        self.con.execute("CHECKPOINT")


def _sql_str(text: str) -> str:
    return text.replace("'", "''")
