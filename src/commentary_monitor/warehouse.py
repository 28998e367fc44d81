"""The DuckDB warehouse: connect, migrate, store and query.

Schema changes only happen through the numbered files in ``migrations/``; each is
applied in its own transaction and recorded in ``schema_migrations``.
"""

from __future__ import annotations

import json
import re
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from importlib import resources
from pathlib import Path

import duckdb

from .errors import WarehouseError
from .warehouse_digests import DigestQueries
from .warehouse_feeds import KEY_LIST, FeedQueries, FeedRun, FeedState, joined_keys  # noqa: F401 (FeedState: part of this module's surface)

_MIGRATION_NAME = re.compile(r"^(\d{3})_([a-z0-9_]+)\.sql$")


def _lock_holder(message: str) -> str:
    m = re.search(r"\(PID (\d+)\)", message)
    return f" (PID {m.group(1)})" if m else ""


def utcnow() -> datetime:
    return datetime.now(timezone.utc).replace(tzinfo=None)


@dataclass(frozen=True)
class Migration:
    version: int
    name: str
    sql: str


def migrations() -> list[Migration]:
    found = []
    for entry in resources.files("commentary_monitor").joinpath("migrations").iterdir():
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
    """A ``scores`` row for a :class:`~commentary_monitor.scoring.Score`; ``evidence``
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

    def __init__(self, con: duckdb.DuckDBPyConnection, path: Path, read_only: bool) -> None:
        self.con = con
        self.path = path
        self.read_only = read_only

    # --- opening ----------------------------------------------------------------------

    @classmethod
    def open(cls, path: Path | str, read_only: bool = False, wait: float = 0.0,
             on_wait: Callable[[str], None] | None = None) -> "Warehouse":
        """Open (and, read-write, migrate) the warehouse.

        DuckDB lets one process hold a file read-write, and none may open it while a
        writer has it. When another process holds the lock, retry with backoff for up
        to ``wait`` seconds, telling ``on_wait`` each time, then give up clearly.
        """
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
                    raise WarehouseError(path, f"busy: another process{holder} holds the file; "
                                               f"gave up after {wait:g}s (try again when it has finished)") from None
                pause = min(delay, left)
                if on_wait:
                    on_wait(f"warehouse {path} is held by another process{holder}; retrying in {pause:.1f}s")
                time.sleep(pause)
                delay = min(delay * 2, 15.0)
        con.execute("SET TimeZone = 'UTC'")
        wh = cls(con, path, read_only)
        try:
            if read_only:
                wh.check_current()
            else:
                wh.migrate()
        except BaseException:
            con.close()
            raise
        return wh

    def close(self) -> None:
        self.con.close()

    def __enter__(self) -> "Warehouse":
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()

    # --- migrations -------------------------------------------------------------------

    def applied_versions(self) -> list[int]:
        exists = self.con.execute(
            "SELECT count(*) FROM information_schema.tables WHERE table_name = 'schema_migrations'"
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

    def migrate(self) -> list[int]:
        self.con.execute(
            "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name VARCHAR NOT NULL, applied_at TIMESTAMP NOT NULL)"
        )
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
                self.con.execute(m.sql)
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
        file, so no other run can still be going on."""
        n = self.con.execute("SELECT count(*) FROM runs WHERE status = 'running'").fetchone()[0]
        if n:
            self.con.execute(
                "UPDATE runs SET status = 'abandoned', summary = coalesce(summary, '') || "
                "'the process ended before the run finished' WHERE status = 'running'"
            )
        return n

    def start_run(self, kind: str) -> str:
        run_id = str(uuid.uuid4())
        self.con.execute(
            "INSERT INTO runs (run_id, kind, started_at, status) VALUES (?, ?, ?, 'running')", [run_id, kind, utcnow()]
        )
        return run_id

    def finish_run(self, run_id: str, status: str, summary: str = "", feeds_ok: int | None = None,
                   feeds_failed: int | None = None, articles_new: int | None = None) -> None:
        self.con.execute(
            "UPDATE runs SET finished_at = ?, status = ?, summary = ?, feeds_ok = ?, feeds_failed = ?, articles_new = ? WHERE run_id = ?",
            [utcnow(), status, summary, feeds_ok, feeds_failed, articles_new, run_id],
        )

    def upsert_feeds(self, feeds: list[tuple[str, str | None]]) -> None:
        """Register configured feeds (url, name); names follow the config."""
        if not feeds:
            return
        now = utcnow()
        # One statement for all (executemany runs one per feed: ~5 ms each); dict(): a URL listed
        # twice would be two rows for one key in the same statement, which ON CONFLICT refuses.
        self._append("feeds", ("url", "name", "added_at"), [[url, name, now] for url, name in dict(feeds).items()],
                     "ON CONFLICT (url) DO UPDATE SET name = coalesce(excluded.name, feeds.name)")

    def record_fetch(self, run_id: str, feed_url: str, status: str, http_status: int | None, items: int | None,
                     new_items: int | None, error_kind: str | None, error: str | None, problem: str | None = None) -> None:
        """One feed's ``fetches`` row, the feed's state left as it is (see :meth:`record_feeds`)."""
        self.record_feeds(run_id, [FeedRun(feed_url, status == "ok", http_status=http_status, items=items,
                                           new_items=new_items, error_kind=error_kind, error=error, problem=problem,
                                           update_state=False)])

    # --- articles and scores ----------------------------------------------------------

    def known_urls(self, urls: list[str]) -> set[str]:
        if not urls:
            return set()
        rows = self.con.execute(f"SELECT url FROM articles WHERE url IN {KEY_LIST}",
                                [joined_keys(urls)]).fetchall()
        return {r[0] for r in rows}

    def _append(self, table: str, columns: tuple[str, ...], rows: list[list], suffix: str, verb: str = "INSERT") -> None:
        """Insert many rows in one statement (see :meth:`_rows`)."""
        types = self._column_types(table)
        rel, param = self._rows({c: types[c] for c in columns}, rows)
        cols = ", ".join(columns)
        self.con.execute(f"{verb} INTO {table} ({cols}) SELECT {cols} FROM {rel} {suffix}", [param])

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
                "SELECT column_name, data_type FROM information_schema.columns WHERE table_schema = 'main' AND table_name = ?",
                [table]).fetchall())
        return cache[table]

    def store_articles(self, run_id: str, articles: list, scores: list[list]) -> int:
        """Everything an ingest keeps of a batch, in one transaction; returns how many
        articles were new.

        ``articles`` are :class:`~commentary_monitor.pipeline.Article`, ``scores`` one
        list of :class:`~commentary_monitor.scoring.Score` per article, with the
        profile versions and model in each score's ``profile_version``/``model``. With
        the articles go what they carry in ``extra``: their feed entries' fingerprints,
        their raw pages (``html``, see :meth:`_write_pages`) and their full-text index terms
        (``terms``, from :func:`.search.article_terms`; an article without them waits for
        :func:`.search.index_new`).
        """
        from .search import store_terms

        if not articles:
            return 0
        now = utcnow()
        page_rows = self._write_pages(articles)
        before = self.con.execute("SELECT count(*) FROM articles").fetchone()[0]
        try:
            self.con.execute("BEGIN TRANSACTION")
            self._append("articles", ARTICLE_COLUMNS,
                         [[a.article_id, a.url, a.link, a.guid, a.feed_url, a.outlet, a.title, a.author, a.published_at,
                           a.fetched_at, a.language, a.text, a.text_source, a.page_status, a.page_error, run_id]
                          for a in articles], "ON CONFLICT DO NOTHING")
            rows = [score_row(a.article_id, s, now) for a, per_profile in zip(articles, scores) for s in per_profile]
            if rows:
                self._append("scores", SCORE_COLUMNS, rows, "", verb="INSERT OR REPLACE")
            prints: dict[str, str] = {}   # one row per fingerprint: the first article that had it
            for a in articles:
                if a.extra.get("fingerprint"):
                    prints.setdefault(a.extra["fingerprint"], a.article_id)
            if prints:
                self._append("article_fingerprints", ("fingerprint", "article_id"), [list(p) for p in prints.items()],
                             "ON CONFLICT DO NOTHING")
            if page_rows:
                self._append("pages", PAGE_COLUMNS, page_rows, "ON CONFLICT DO NOTHING")
            store_terms(self.con, [(a.article_id, a.extra["terms"]) for a in articles if a.extra.get("terms")])
            self.con.execute("COMMIT")
        except duckdb.Error as exc:
            self.con.execute("ROLLBACK")
            raise WarehouseError(self.path, f"storing {len(articles)} articles failed: {exc}") from None
        after = self.con.execute("SELECT count(*) FROM articles").fetchone()[0]
        return after - before

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
        from .pipeline import canonical_url

        row = self.con.execute("SELECT article_id FROM articles WHERE article_id = ?", [ref.strip()]).fetchone()
        if row:
            return row[0], "id"
        row = self.con.execute(
            "SELECT article_id FROM articles WHERE url = ? OR link = ? LIMIT 1", [canonical_url(ref.strip()), ref.strip()]
        ).fetchone()
        return (row[0], "url") if row else None

    def add_feedback(self, article_id: str, profile: str, relevant: bool, source: str) -> None:
        self.con.execute(
            "INSERT OR REPLACE INTO feedback VALUES (?, ?, ?, ?, ?)", [article_id, profile, relevant, source, utcnow()]
        )

    def feedback_labels(self) -> dict[str, list]:
        """Every profile's labels with the labeled articles' text, oldest first."""
        from .feedback import LabeledText

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
            "AND table_schema = 'main' ORDER BY table_name"
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

    def vacuum(self) -> None:
        self.con.execute("VACUUM ANALYZE")
        self.con.execute("CHECKPOINT")


def _sql_str(text: str) -> str:
    return text.replace("'", "''")
