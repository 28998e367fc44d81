"""An ingest never fails because someone reads the warehouse: staged batches.

DuckDB lets one process hold a file read-write, and while any other process has it open
(a notebook, ``duckdb -readonly``, ``commentary-monitor sql``) nobody can take it
read-write. An ingest that finds the file held works from what it can read (the file
read-only, else its read copy) and writes each finished batch as a *staged batch* beside
the warehouse::

    warehouse/staging/<time>-<run>-<n>/articles.parquet, scores.parquet, ..., calls.json

the rows of the batch's tables (Parquet, written by DuckDB from an in-memory warehouse of
the same schema) and the run's bookkeeping (``calls.json``: the warehouse calls to replay,
such as the run's row and its feeds' outcomes). A batch is written into a temporary
folder, flushed to disk and renamed: it is there whole or not at all, and survives kill -9.

The first process that holds the file (this run after a later batch, else the next run
at its start) commits the staged batches, oldest first, each in one transaction that also
records the batch's name in ``staged_batches``; its folder is removed after the commit.
A batch whose name is recorded already (killed between the commit and the removal) is
only removed: each is committed exactly once. Articles already stored (by the run that
held the file meanwhile) are skipped with their scores, pages and index terms.
"""

from __future__ import annotations

import json
import os
import shutil
import time
import uuid
from collections.abc import Callable
from dataclasses import asdict
from datetime import datetime
from pathlib import Path

import duckdb

from commentary_monitor.errors import WarehouseBusy, WarehouseError
from commentary_monitor.config import WarehouseLocation
from commentary_monitor.warehouse.store import FeedRun, Warehouse, read_copy_path, utcnow

# The tables a batch of articles fills, in the order they are committed.
STAGED_TABLES = ("articles", "scores", "article_fingerprints", "pages", "search_docs", "search_terms")
# The warehouse calls a staged batch may replay: the run's own bookkeeping.
REPLAYED = frozenset({"start_run", "upsert_feeds", "record_feeds", "defer_pages", "clear_deferred", "finish_run"})
CALLS = "calls.json"
TAKE_WAIT = 2.0     # seconds a run waits for the file at its start before it stages


def staging_dir(path: Path | str) -> Path:
    """Where staged batches wait: ``staging/`` beside the warehouse file."""
    return Path(path).parent / "staging"


def staged_batches(path: Path | str) -> list[Path]:
    """The staged batches waiting for the warehouse at ``path``, oldest first (a folder
    still being written has a leading dot and is not one)."""
    root = staging_dir(path)
    if not root.is_dir():
        return []
    return sorted(p for p in root.iterdir() if p.is_dir() and not p.name.startswith("."))


def staged_article_count(path: Path | str) -> int:
    """Articles in the staged batches (not yet in the warehouse)."""
    files = [str(b / "articles.parquet") for b in staged_batches(path) if (b / "articles.parquet").exists()]
    if not files:
        return 0
    with duckdb.connect() as con:
        return con.execute("SELECT count(*) FROM read_parquet(?)", [files]).fetchone()[0]


def _encode(value):
    if isinstance(value, FeedRun):
        return {"$feed_run": asdict(value)}
    if isinstance(value, datetime):
        return {"$datetime": value.isoformat()}
    raise TypeError(f"cannot stage {type(value).__name__}")


def _decode(obj: dict):
    if "$datetime" in obj:
        return datetime.fromisoformat(obj["$datetime"])
    if "$feed_run" in obj:
        return FeedRun(**obj["$feed_run"])
    return obj


def _sql_str(text: str) -> str:
    return text.replace("'", "''")


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def commit_batch(wh: Warehouse, batch: Path) -> int:
    """Commit one staged batch into a warehouse held read-write, in one transaction, and
    remove its folder; returns how many articles it added."""
    name = batch.name
    added = 0
    try:
        with wh.transaction():
            if wh.con.execute("SELECT 1 FROM staged_batches WHERE batch = ?", [name]).fetchone() is None:
                staged = json.loads((batch / CALLS).read_text(encoding="utf-8"), object_hook=_decode)
                for method, args in staged["calls"]:
                    if method not in REPLAYED:
                        raise WarehouseError(batch, f"staged batch asks for {method!r}, which is not replayed")
                    getattr(wh, method)(*args)
                added = _insert_tables(wh.con, batch)
                wh.con.execute("INSERT INTO staged_batches VALUES (?, ?, ?, ?)",
                               [name, staged.get("run_id"), added, utcnow()])
    except (duckdb.Error, OSError, ValueError) as exc:
        raise WarehouseError(batch, f"committing the staged batch failed: {exc}") from None
    shutil.rmtree(batch)
    return added


def _insert_tables(con: duckdb.DuckDBPyConnection, batch: Path) -> int:
    """The batch's rows into the warehouse (in the caller's transaction): articles not
    stored yet, and the rows that belong to them."""
    files = {t: batch / f"{t}.parquet" for t in STAGED_TABLES if (batch / f"{t}.parquet").exists()}
    if "articles" not in files:
        return 0
    src = {t: f"read_parquet('{_sql_str(str(f))}')" for t, f in files.items()}
    con.execute(f"CREATE OR REPLACE TEMP TABLE _staged_new AS SELECT * FROM {src['articles']} p "
                "WHERE NOT EXISTS (SELECT 1 FROM articles a WHERE a.article_id = p.article_id OR a.url = p.url)")
    added = con.execute("SELECT count(*) FROM _staged_new").fetchone()[0]
    con.execute("INSERT INTO articles BY NAME SELECT * FROM _staged_new")
    for table in STAGED_TABLES[1:]:
        if table in files:
            verb = "INSERT OR REPLACE" if table == "scores" else "INSERT"
            conflict = "" if table in ("scores", "search_terms") else " ON CONFLICT DO NOTHING"
            con.execute(f"{verb} INTO {table} BY NAME SELECT * FROM {src[table]} "
                        f"WHERE article_id IN (SELECT article_id FROM _staged_new){conflict}")
    con.execute("DROP TABLE _staged_new")
    return added


ABANDONED_AFTER = 3600   # seconds: a half-written batch (dot-folder) this old was left by a killed run


def commit_staged(wh: Warehouse, on_note: Callable[[str], None] | None = None) -> int:
    """Commit every staged batch of ``wh``, oldest first; returns the articles they added.
    Half-written batches a killed run left behind (never renamed into place) go."""
    root = staging_dir(wh.path)
    if root.is_dir():
        for tmp in root.glob(".*"):
            if tmp.is_dir() and time.time() - tmp.stat().st_mtime > ABANDONED_AFTER:
                shutil.rmtree(tmp, ignore_errors=True)
    batches = staged_batches(wh.path)
    added = sum(commit_batch(wh, b) for b in batches)
    if batches and on_note:
        on_note(f"committed {len(batches)} staged batch{'es' if len(batches) != 1 else ''} "
                f"({added} new article{'s' if added != 1 else ''}) into {wh.path}")
    return added


class IngestStore:
    """What an ingest run reads and writes, wherever it can: the warehouse while this
    process holds it read-write; else staged batches (:mod:`.staging`), with reads from
    the file opened read-only or its read copy. The flow calls the same methods either
    way (those of :class:`~.warehouse.Warehouse` that an ingest uses)."""

    def __init__(self, path: Path, wait: float, on_note: Callable[[str], None] | None,
                 read_copy_every: float) -> None:
        self.path = Path(path)
        self.wait = wait
        self.note = on_note or (lambda _m: None)
        self.read_copy_every = read_copy_every
        self.wh: Warehouse | None = None          # held read-write
        self.reader: Warehouse | None = None      # read-only, while staging
        self._mem: Warehouse | None = None        # the staged batch's tables, in memory
        self._pending: list[list] = []            # calls to stage with the next batch
        self._seq = 0
        self._run_id = "none"
        self._threads: int | None = None
        self._copied = time.monotonic()
        self.staged_articles = 0                  # this run's, still staged
        self.committed_staged = 0                 # staged articles (of any run) this run committed
        self._keys: dict[str, set] = {"url": set(), "guid": set(), "fingerprint": set()}

    # --- opening and taking the file ---------------------------------------------------

    @classmethod
    def open(cls, path: Path | str | WarehouseLocation, wait: float = 600.0,
             on_note: Callable[[str], None] | None = None, read_copy_every: float = 30.0) -> "IngestStore":
        """Take the warehouse read-write (committing what earlier runs staged), waiting a
        moment; when another process keeps it, stage. ``wait`` bounds the wait only when
        nothing can be read (another process writes the file and there is no read copy).
        A DuckLake admits many writers: it is written directly."""
        if isinstance(path, WarehouseLocation) and path.lake:
            store = cls(path.path, wait, on_note, read_copy_every)
            store.wh = Warehouse.open(path)
            return store
        if isinstance(path, WarehouseLocation):
            path = path.path
        store = cls(Path(path), wait, on_note, read_copy_every)
        try:
            store._take(Warehouse.open(store.path, wait=min(wait, TAKE_WAIT), read_copy=False))
        except WarehouseBusy as exc:
            store._open_reader()
            store._load_staged_keys()
            store.note(f"{exc.message.split(';')[0]}: staging finished batches in "
                       f"{staging_dir(store.path)} until it is free")
        return store

    @property
    def staging(self) -> bool:
        return self.wh is None

    @property
    def con(self) -> duckdb.DuckDBPyConnection:
        return (self.wh or self.reader).con

    def _take(self, wh: Warehouse) -> None:
        if self._threads:
            wh.con.execute(f"SET threads = {int(self._threads)}")
        committed = commit_staged(wh, self.note)
        self.committed_staged += committed
        self.wh = wh
        if committed or not read_copy_path(self.path).exists():
            self.refresh_read_copy()   # readers see the committed batches (or have a copy at all)
        self.staged_articles = 0
        self._keys = {k: set() for k in self._keys}

    def _open_reader(self) -> None:
        """The file read-only (another process reads it); else its read copy (another
        process writes it); else wait for either."""
        try:
            self.reader = Warehouse.open(self.path, read_only=True)
            return
        except WarehouseBusy:
            pass
        copy = read_copy_path(self.path)
        if copy.exists():
            self.reader = Warehouse.open(copy, read_only=True)
        else:
            self.reader = Warehouse.open(self.path, read_only=True, wait=self.wait, on_wait=self.note)

    def try_take(self) -> bool:
        """While staging: take the file if it is free now, committing the staged batches."""
        if self.wh is not None:
            return True
        if self._pending:
            self._write_batch([])
        self.reader.close()
        self.reader = None
        try:
            wh = Warehouse.open(self.path, read_copy=False)
        except WarehouseBusy:
            self._open_reader()
            return False
        self._take(wh)
        self.note(f"warehouse {self.path} is free again: staged batches committed")
        return True

    def set_threads(self, n: int) -> None:
        self._threads = n
        self.con.execute(f"SET threads = {int(n)}")

    # --- reads: the warehouse's, plus what is staged ------------------------------------

    def _load_staged_keys(self) -> None:
        files = [str(b / "articles.parquet") for b in staged_batches(self.path) if (b / "articles.parquet").exists()]
        prints = [str(b / "article_fingerprints.parquet") for b in staged_batches(self.path)
                  if (b / "article_fingerprints.parquet").exists()]
        with duckdb.connect() as con:
            if files:
                for url, guid, feed in con.execute("SELECT url, guid, feed_url FROM read_parquet(?)", [files]).fetchall():
                    self._keys["url"].add(url)
                    self._keys["guid"].add((feed, guid))
            if prints:
                self._keys["fingerprint"].update(
                    r[0] for r in con.execute("SELECT fingerprint FROM read_parquet(?)", [prints]).fetchall())

    def known_urls(self, urls: list[str]) -> set[str]:
        staged = {u for u in urls if u in self._keys["url"]}
        return self.current.known_urls(urls) | staged

    def known_guids(self, feed_url: str, guids: list[str]) -> set[str]:
        staged = {g for g in guids if (feed_url, g) in self._keys["guid"]}
        return self.current.known_guids(feed_url, guids) | staged

    def known_fingerprints(self, fingerprints: list[str]) -> set[str]:
        staged = {f for f in fingerprints if f in self._keys["fingerprint"]}
        return self.current.known_fingerprints(fingerprints) | staged

    @property
    def current(self) -> Warehouse:
        return self.wh or self.reader

    def __getattr__(self, name: str):
        # The other reads (feed_states, deferred_urls, feedback_labels, ...) as they are.
        if name.startswith("_") or name in REPLAYED:
            raise AttributeError(name)
        return getattr(self.current, name)

    # --- writes -------------------------------------------------------------------------

    def _call(self, method: str, *args) -> None:
        if self.wh is not None:
            getattr(self.wh, method)(*args)
        else:
            self._pending.append([method, list(args)])

    def abandon_stale_runs(self) -> int:
        # Only the holder can tell: a run left 'running' may be staging beside us.
        return self.wh.abandon_stale_runs() if self.wh is not None else 0

    def start_run(self, kind: str) -> str:
        self._run_id = str(uuid.uuid4())
        self._call("start_run", kind, self._run_id, utcnow())
        return self._run_id

    def upsert_feeds(self, feeds) -> None:
        self._call("upsert_feeds", [list(f) for f in feeds])

    def record_feeds(self, run_id, runs) -> None:
        self._call("record_feeds", run_id, list(runs))

    def defer_pages(self, rows) -> None:
        self._call("defer_pages", [list(r) for r in rows])

    def clear_deferred(self, urls) -> None:
        self._call("clear_deferred", list(urls))

    def finish_run(self, run_id: str, status: str, summary: str = "", feeds_ok=None, feeds_failed=None,
                   articles_new=None) -> None:
        self._call("finish_run", run_id, status, summary, feeds_ok, feeds_failed, articles_new, utcnow())
        if self.wh is None:
            self._write_batch([])

    def store_articles(self, run_id: str, articles: list, scores: list[list]) -> int:
        """Store a batch (see :meth:`.Warehouse.store_articles`), or stage it and then try
        to take the file."""
        if self.wh is not None:
            n = self.wh.store_articles(run_id, articles, scores)
            if not self.wh.lake and time.monotonic() - self._copied >= self.read_copy_every:
                self.refresh_read_copy()
            return n
        self._write_batch(articles, scores)
        self.try_take()
        return len(articles)

    def refresh_read_copy(self) -> None:
        if self.wh is not None:
            self.wh.refresh_read_copy()
            self._copied = time.monotonic()

    def prune_pages(self, keep_days: int) -> int:
        return self.wh.prune_pages(keep_days) if self.wh is not None else 0   # the next holder prunes

    def index_new(self) -> int:
        from commentary_monitor.warehouse.search import index_new

        return index_new(self.wh.con) if self.wh is not None else 0

    def settle(self) -> int:
        """At the end of a run: one more try to commit what it staged. Returns the
        articles still staged."""
        if self.wh is None:
            self.try_take()
        return self.staged_articles

    def _write_batch(self, articles: list, scores: list[list] | None = None) -> Path:
        """Stage the pending calls and a batch of articles: written under a dot-name,
        flushed, then renamed into place."""
        root = staging_dir(self.path)
        root.mkdir(parents=True, exist_ok=True)
        self._seq += 1
        name = f"{time.time_ns():020d}-{self._run_id[:8]}-{self._seq:04d}"
        tmp = root / f".{name}"
        tmp.mkdir()
        if articles:
            mem = self._memory()
            mem.store_articles(self._run_id, articles, scores or [[] for _ in articles])
            for table in STAGED_TABLES:
                target = tmp / f"{table}.parquet"
                mem.con.execute(f"COPY {table} TO '{_sql_str(str(target))}' (FORMAT parquet)")
                mem.con.execute(f"DELETE FROM {table}")
            for a in articles:
                self._keys["url"].add(a.url)
                self._keys["guid"].add((a.feed_url, a.guid))
                if a.extra.get("fingerprint"):
                    self._keys["fingerprint"].add(a.extra["fingerprint"])
            self.staged_articles += len(articles)
        (tmp / CALLS).write_text(json.dumps({"run_id": self._run_id, "calls": self._pending}, default=_encode),
                                 encoding="utf-8")
        self._pending = []
        for f in tmp.iterdir():
            with open(f, "rb") as fh:
                os.fsync(fh.fileno())
        _fsync_dir(tmp)
        final = root / name
        os.replace(tmp, final)
        _fsync_dir(root)
        return final

    def _memory(self) -> Warehouse:
        """An in-memory warehouse of the same schema that writes the batch's rows (its raw
        pages go to the real pages folder, as when storing)."""
        if self._mem is None:
            self._mem = Warehouse(duckdb.connect(), self.path, read_only=False)
            self._mem.con.execute("SET TimeZone = 'UTC'")
            self._mem.migrate()
        return self._mem

    # --- closing -------------------------------------------------------------------------

    def close(self) -> None:
        try:
            if self.wh is None and self._pending:
                self._write_batch([])
            if self.wh is None:
                self.try_take()
        finally:
            if self._mem is not None:
                self._mem.con.close()
            if self.reader is not None:
                self.reader.close()
            if self.wh is not None:
                self.wh.read_copy = not self.wh.lake     # closing refreshes the read copy
                self.wh.close()

    def __enter__(self) -> "IngestStore":
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()
