"""The warehouse's feed queries: what incremental, polite fetching remembers between runs.

A mixin of :class:`~commentary_monitor.warehouse.Warehouse` (``self.con`` is its DuckDB
connection): feed state (conditional-GET validators, autodiscovered feed, failure
counters), the keys that say an entry is already stored (GUID, content fingerprint), pages
deferred by a long Retry-After, and the ``feed_health`` view. The tables are created by
``migrations/002_feed_state.sql``.
"""

from __future__ import annotations

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


@dataclass(frozen=True)
class FeedState:
    feed_url: str
    resolved_url: str | None
    etag: str | None
    last_modified: str | None
    retry_not_before: datetime | None
    consecutive_failures: int


class FeedQueries:
    con: duckdb.DuckDBPyConnection

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
        """Record one run's outcome for a feed: success resets the failure counter."""
        now = _utcnow()
        self.con.execute(
            "INSERT INTO feed_state (feed_url, consecutive_failures) VALUES (?, 0) ON CONFLICT DO NOTHING", [feed_url])
        if ok:
            validators = "" if keep_validators else ", etag = ?, last_modified = ?"
            params = [now, now, resolved_url] + ([] if keep_validators else [etag, last_modified]) + [feed_url]
            self.con.execute(
                "UPDATE feed_state SET last_attempt_at = ?, last_success_at = ?, consecutive_failures = 0, "
                "last_error_kind = NULL, last_error = NULL, retry_not_before = NULL, resolved_url = ?"
                + validators + " WHERE feed_url = ?", params)
        else:
            self.con.execute(
                "UPDATE feed_state SET last_attempt_at = ?, consecutive_failures = consecutive_failures + 1, "
                "last_error_kind = ?, last_error = ?, retry_not_before = ? WHERE feed_url = ?",
                [now, error_kind, error, retry_not_before, feed_url])

    def feed_health(self) -> list[dict]:
        cur = self.con.execute("SELECT * FROM feed_health ORDER BY feed_url")
        cols = [d[0] for d in cur.description]
        return [dict(zip(cols, row)) for row in cur.fetchall()]

    # --- dedup keys and deferred pages --------------------------------------------------

    def known_guids(self, feed_url: str, guids: list[str]) -> set[str]:
        if not guids:
            return set()
        rows = self.con.execute(f"SELECT guid FROM articles WHERE feed_url = ? AND guid IN {KEY_LIST}",
                                [feed_url, joined_keys(guids)]).fetchall()
        return {r[0] for r in rows}

    def known_fingerprints(self, fingerprints: list[str]) -> set[str]:
        if not fingerprints:
            return set()
        rows = self.con.execute(f"SELECT fingerprint FROM article_fingerprints WHERE fingerprint IN {KEY_LIST}",
                                [joined_keys(fingerprints)]).fetchall()
        return {r[0] for r in rows}

    def deferred_urls(self, urls: list[str], now: datetime | None = None) -> set[str]:
        """Pages still waiting out a long Retry-After."""
        if not urls:
            return set()
        rows = self.con.execute(f"SELECT url FROM deferred_pages WHERE retry_not_before > ? AND url IN {KEY_LIST}",
                                [now or _utcnow(), joined_keys(urls)]).fetchall()
        return {r[0] for r in rows}

    def defer_pages(self, rows: list[tuple[str, str, datetime, str, int]]) -> None:
        """(url, feed_url, retry_not_before, reason, attempts) of pages left for a later run."""
        if rows:
            now = _utcnow()
            self.con.executemany("INSERT OR REPLACE INTO deferred_pages (url, feed_url, retry_not_before, reason, deferred_at, attempts) "
                                 "VALUES (?, ?, ?, ?, ?, ?)", [[u, f, t, r, now, n] for u, f, t, r, n in rows])

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
