"""The warehouse's feed queries: what incremental, polite fetching remembers between runs.

A mixin of :class:`~commentary_monitor.warehouse.store.Warehouse` (``self.con`` is its DuckDB
connection): feed state (conditional-GET validators, autodiscovered feed, failure
counters), the keys that say an entry is already stored (GUID, content fingerprint), pages
deferred by a long Retry-After, and the ``feed_health`` view. The tables are created by
``migrations/002_feed_state.sql``.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import datetime, timezone

import duckdb


def _utcnow() -> datetime:
    return datetime.now(timezone.utc).replace(tzinfo=None)


KEY_LIST = "(SELECT unnest(string_split(?, chr(31))))"   # SQL: `x IN KEY_LIST`, bound to joined_keys(...)


def joined_keys(values) -> str:
    """Many keys as one parameter, split in SQL: binding a 10,000-element list costs ~1 s,
    one string ~10 ms. Keys containing the separator (U+001F) are never matched."""
    return "\x1f".join(v for v in values if "\x1f" not in v)


def present(con, query: str, keys: list[str], *params) -> set[str]:
    """Which of ``keys`` ``query`` finds: ``SELECT key FROM ... WHERE ... key IN {keys}``, its
    ``?`` bound to ``params`` and then to the keys (see :func:`joined_keys`)."""
    if not keys:
        return set()
    return {r[0] for r in con.execute(query.format(keys=KEY_LIST), [*params, joined_keys(keys)]).fetchall()}


@dataclass(frozen=True)
class FeedState:
    feed_url: str
    resolved_url: str | None
    etag: str | None
    last_modified: str | None
    retry_not_before: datetime | None
    consecutive_failures: int


@dataclass(frozen=True)
class FeedRun:
    """One feed's outcome in one run, for :meth:`FeedQueries.record_feeds`."""
    feed_url: str
    ok: bool
    http_status: int | None = None
    items: int | None = None            # entries in the feed document
    new_items: int | None = None        # stored as new articles
    error_kind: str | None = None
    error: str | None = None
    problem: str | None = None          # read, but not cleanly
    title: str | None = None            # the feed's own title, when it was read
    update_state: bool = True           # False: not requested (waiting out a Retry-After)
    resolved_url: str | None = None
    etag: str | None = None
    last_modified: str | None = None
    keep_validators: bool = False       # not modified: the stored validators still hold
    retry_not_before: datetime | None = None


FEED_RUN_TYPES = {"feed_url": "VARCHAR", "ok": "BOOLEAN", "http_status": "INTEGER", "items": "INTEGER",
                  "new_items": "INTEGER", "error_kind": "VARCHAR", "error": "VARCHAR", "problem": "VARCHAR",
                  "title": "VARCHAR", "update_state": "BOOLEAN", "resolved_url": "VARCHAR", "etag": "VARCHAR",
                  "last_modified": "VARCHAR", "keep_validators": "BOOLEAN", "retry_not_before": "TIMESTAMP"}


class FeedQueries:
    con: duckdb.DuckDBPyConnection
    upsert: Callable[..., None]
    _append: Callable[..., None]
    transaction: Callable[[], AbstractContextManager[None]]

    # --- feed state (conditional GET, autodiscovery, health counters) ------------------

    def feed_states(self, urls: list[str]) -> dict[str, FeedState]:
        if not urls:
            return {}
        rows = self.con.execute(
            "SELECT feed_url, resolved_url, etag, last_modified, retry_not_before, consecutive_failures "
            f"FROM feed_state WHERE feed_url IN {KEY_LIST}", [joined_keys(urls)]).fetchall()
        return {r[0]: FeedState(*r) for r in rows}

    def update_feed_state(self, feed_url: str, ok: bool, *, resolved_url: str | None = None,
                          etag: str | None = None, last_modified: str | None = None, keep_validators: bool = False,
                          error_kind: str | None = None, error: str | None = None,
                          retry_not_before: datetime | None = None) -> None:
        """Record one run's outcome for a feed in its state (no ``fetches`` row): see :meth:`record_feeds`."""
        self.record_feeds(None, [FeedRun(feed_url, ok, resolved_url=resolved_url, etag=etag, last_modified=last_modified,
                                         keep_validators=keep_validators, error_kind=error_kind, error=error,
                                         retry_not_before=retry_not_before)])

    def record_feeds(self, run_id: str | None, runs: list[FeedRun]) -> None:
        """See :meth:`_record_feeds`; on a lake, run again when its commit conflicts with
        another writer's (:meth:`.warehouse.Warehouse.retrying`)."""
        self.retrying(lambda: self._record_feeds(run_id, runs), "record feeds")

    def _record_feeds(self, run_id: str | None, runs: list[FeedRun]) -> None:
        """Every feed's outcome of one run, in one transaction and a handful of statements
        (a statement per feed costs 1-4 ms: 200 feeds took ~2 s): a ``fetches`` row each
        (none without ``run_id``), the feed's own title, and its state for the next run.
        Success resets the failure counter and stores the new validators (unless the feed
        was not modified); a failure counts one more and keeps the last good validators."""
        if not runs:
            return
        now = _utcnow()
        rows = [[r.feed_url, r.ok, r.http_status, r.items, r.new_items, r.error_kind, r.error, r.problem, r.title,
                 r.update_state, r.resolved_url, r.etag, r.last_modified, r.keep_validators, r.retry_not_before]
                for r in runs]
        rel, param = self._rows(FEED_RUN_TYPES, rows, "$rows")
        state = f"(SELECT * FROM {rel} WHERE update_state)"
        args = {"rows": param}
        with self.transaction():   # part of the caller's, when it has one
            if run_id is not None:
                self.upsert("fetches", ("run_id", "feed_url", "fetched_at", "status", "http_status", "items", "new_items",
                                        "error_kind", "error", "problem"),
                            "(SELECT $run AS run_id, feed_url, $now AS fetched_at, CASE WHEN ok THEN 'ok' ELSE 'error' END "
                            f"AS status, http_status, items, new_items, error_kind, error, problem FROM {rel})",
                            {**args, "run": run_id, "now": now}, keys=("run_id", "feed_url"))
            if any(r.title for r in runs):
                self.con.execute(f"UPDATE feeds SET title = v.title FROM {rel} v WHERE feeds.url = v.feed_url "
                                 "AND v.title IS NOT NULL AND v.title <> ''", args)
            if any(r.update_state for r in runs):
                self.upsert("feed_state", ("feed_url", "consecutive_failures"),
                            f"(SELECT feed_url, 0 AS consecutive_failures FROM {state})", args, keys=("feed_url",))
                self.con.execute(
                    "UPDATE feed_state SET last_attempt_at = $now, "
                    "last_success_at = CASE WHEN v.ok THEN $now ELSE feed_state.last_success_at END, "
                    "consecutive_failures = CASE WHEN v.ok THEN 0 ELSE feed_state.consecutive_failures + 1 END, "
                    "last_error_kind = CASE WHEN v.ok THEN NULL ELSE v.error_kind END, "
                    "last_error = CASE WHEN v.ok THEN NULL ELSE v.error END, "
                    "retry_not_before = CASE WHEN v.ok THEN NULL ELSE v.retry_not_before END, "
                    "resolved_url = CASE WHEN v.ok THEN v.resolved_url ELSE feed_state.resolved_url END, "
                    "etag = CASE WHEN v.ok AND NOT v.keep_validators THEN v.etag ELSE feed_state.etag END, "
                    "last_modified = CASE WHEN v.ok AND NOT v.keep_validators THEN v.last_modified "
                    "ELSE feed_state.last_modified END "
                    f"FROM {state} v WHERE feed_state.feed_url = v.feed_url", {**args, "now": now})

    def feed_health(self) -> list[dict]:
        cur = self.con.execute("SELECT * FROM feed_health ORDER BY feed_url")
        cols = [d[0] for d in cur.description]
        return [dict(zip(cols, row)) for row in cur.fetchall()]

    # --- dedup keys and deferred pages --------------------------------------------------

    def known_guids(self, feed_url: str, guids: list[str]) -> set[str]:
        return present(self.con, "SELECT guid FROM articles WHERE feed_url = ? AND guid IN {keys}", guids, feed_url)

    def known_fingerprints(self, fingerprints: list[str]) -> set[str]:
        return present(self.con, "SELECT fingerprint FROM article_fingerprints WHERE fingerprint IN {keys}", fingerprints)

    def deferred_urls(self, urls: list[str], now: datetime | None = None) -> set[str]:
        """Pages still waiting out a long Retry-After."""
        return present(self.con, "SELECT url FROM deferred_pages WHERE retry_not_before > ? AND url IN {keys}", urls,
                       now or _utcnow())

    def defer_pages(self, rows: list[tuple[str, str, datetime, str, int]]) -> None:
        """(url, feed_url, retry_not_before, reason, attempts) of pages left for a later run."""
        if rows:
            now = _utcnow()
            self._append("deferred_pages", ("url", "feed_url", "retry_not_before", "reason", "deferred_at", "attempts"),
                         [[u, f, t, r, now, n] for u, f, t, r, n in rows], keys=("url",), replace=True)

    def deferred_attempts(self, urls: list[str]) -> dict[str, int]:
        """How many runs have tried each of these pages and left it for later."""
        if not urls:
            return {}
        return dict(self.con.execute(f"SELECT url, attempts FROM deferred_pages WHERE url IN {KEY_LIST}",
                                     [joined_keys(urls)]).fetchall())

    def clear_deferred(self, urls: list[str]) -> None:
        if urls:
            self.con.execute(f"DELETE FROM deferred_pages WHERE url IN {KEY_LIST}",
                             [joined_keys(urls)])
