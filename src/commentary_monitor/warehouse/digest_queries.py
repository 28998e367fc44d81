"""The warehouse's digest queries: what a week's digest reads, and its archive and send records.

A mixin of :class:`~commentary_monitor.warehouse.store.Warehouse` (``self.con`` is its DuckDB
connection), kept apart so the digest's SQL lives in one place. The tables are created by
``migrations/004_digests.sql``.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from typing import Sequence

import duckdb


def _utcnow() -> datetime:
    return datetime.now(timezone.utc).replace(tzinfo=None)


class DigestQueries:
    con: duckdb.DuckDBPyConnection

    def relevant_per_week(self, start: datetime, end: datetime) -> list[tuple[str, datetime]]:
        """(profile, published_at) of every relevant article published in [start, end)."""
        return self.con.execute(
            "SELECT profile, published_at FROM scored_articles WHERE relevant AND published_at >= ? AND published_at < ?",
            [start, end],
        ).fetchall()

    def mentions_in_range(self, profile: str, start: datetime, end: datetime, low: float, limit: int,
                          languages: Sequence[str] | None = None) -> list[dict]:
        """Articles of a profile published in [start, end) that scored in [low, threshold): best first."""
        return self.articles_in_range(profile, start, end, limit, "NOT sa.relevant AND sa.score >= ?", (low,),
                                      languages=languages)

    def outlet_activity(self, start: datetime, end: datetime) -> list[tuple[str, int, int]]:
        """(outlet, articles, relevant articles) published in [start, end), most relevant first."""
        return self.con.execute(
            """
            SELECT coalesce(outlet, '?') AS outlet, count(DISTINCT article_id) AS articles,
                   count(DISTINCT CASE WHEN relevant THEN article_id END) AS relevant
            FROM scored_articles WHERE published_at >= ? AND published_at < ?
            GROUP BY 1 ORDER BY relevant DESC, articles DESC, outlet
            """,
            [start, end],
        ).fetchall()

    def relevant_terms(self, start: datetime, end: datetime) -> list[tuple[str, datetime, list[str]]]:
        """(profile, published_at, evidence terms) of relevant articles published in [start, end)."""
        rows = self.con.execute(
            """
            SELECT sa.profile, sa.published_at, s.evidence->>'$.terms' FROM scored_articles sa
            JOIN scores s ON s.article_id = sa.article_id AND s.profile = sa.profile
            WHERE sa.relevant AND sa.published_at >= ? AND sa.published_at < ?
            """,
            [start, end],
        ).fetchall()
        return [(p, at, json.loads(t) if t else []) for p, at, t in rows]

    def digest_source_health(self, feed_urls: list[str], now: datetime, quiet_days: int,
                             since: datetime | None = None) -> list[dict]:
        """The configured feeds a digest's reader should know about, as of ``now`` (the end
        of the digest's week, or now for the week in progress), the week starting ``since``:

        - ``failing``: its last fetch failed (``failures``: in a row, since ``since``: its last good fetch);
        - ``failed``: fetched fine in the end, but ``failures`` of its ``fetches`` in the week failed;
        - ``unfetched``: not fetched at all in the week (with the error of its latest attempt
          ever, when that failed: ``since`` is then the attempt's time);
        - ``quiet``: fetched fine, but no new article for ``quiet_days``.

        A feed is left out (fine) only when it was fetched in the week without an error and
        published. Reads ``fetches`` and ``feeds`` only, so richer health records can replace
        it without touching the digest."""
        if not feed_urls:
            return []
        since = since or now - timedelta(days=7)
        quiet_since = now - timedelta(days=quiet_days)
        rows = self.con.execute(
            """
            WITH cfg AS (SELECT DISTINCT unnest(?) AS feed_url),
            f AS (SELECT * FROM fetches WHERE feed_url IN (SELECT feed_url FROM cfg)),
            s AS (
                SELECT c.feed_url,
                       arg_max(f.status, f.fetched_at) FILTER (WHERE f.fetched_at <= $2) AS status,
                       arg_max(f.error_kind, f.fetched_at) FILTER (WHERE f.fetched_at <= $2) AS error_kind,
                       arg_max(f.error, f.fetched_at) FILTER (WHERE f.fetched_at <= $2) AS error,
                       max(f.fetched_at) FILTER (WHERE f.status = 'ok' AND f.fetched_at <= $2) AS last_ok,
                       max(f.fetched_at) FILTER (WHERE f.new_items > 0 AND f.fetched_at <= $2) AS last_new,
                       min(f.fetched_at) AS first_fetch,
                       count(f.fetched_at) FILTER (WHERE f.fetched_at BETWEEN $3 AND $2) AS week_fetches,
                       count(f.fetched_at) FILTER (WHERE f.status <> 'ok' AND f.fetched_at BETWEEN $3 AND $2) AS week_errors,
                       arg_max(f.error_kind, f.fetched_at) FILTER (WHERE f.status <> 'ok' AND f.fetched_at BETWEEN $3 AND $2) AS week_kind,
                       arg_max(f.error, f.fetched_at) FILTER (WHERE f.status <> 'ok' AND f.fetched_at BETWEEN $3 AND $2) AS week_error,
                       arg_max(f.status, f.fetched_at) AS latest_status,
                       arg_max(f.error_kind, f.fetched_at) AS latest_kind,
                       arg_max(f.error, f.fetched_at) AS latest_error,
                       max(f.fetched_at) AS latest_at
                FROM cfg c LEFT JOIN f USING (feed_url) GROUP BY c.feed_url
            )
            SELECT s.*, coalesce(fd.name, fd.title, s.feed_url) AS name,
                   (SELECT count(*) FROM f e WHERE e.feed_url = s.feed_url AND e.status <> 'ok' AND e.fetched_at <= $2
                      AND e.fetched_at > coalesce(s.last_ok, TIMESTAMP '1970-01-01')) AS failures
            FROM s LEFT JOIN feeds fd ON fd.url = s.feed_url
            ORDER BY name, s.feed_url
            """,
            [list(feed_urls), now, since],
        ).fetchall()
        cols = [d[0] for d in self.con.description]
        out = []
        for r in (dict(zip(cols, row)) for row in rows):
            base = {"feed_url": r["feed_url"], "name": r["name"], "fetches": r["week_fetches"]}
            if not r["week_fetches"]:
                failed = r["latest_status"] not in (None, "ok")
                out.append({**base, "state": "unfetched", "error_kind": r["latest_kind"] if failed else None,
                            "error": r["latest_error"] if failed else None, "failures": 0,
                            "since": r["latest_at"] if failed else r["last_ok"]})
            elif r["status"] != "ok":
                out.append({**base, "state": "failing", "error_kind": r["error_kind"], "error": r["error"],
                            "failures": r["failures"], "since": r["last_ok"]})
            elif r["week_errors"]:
                out.append({**base, "state": "failed", "error_kind": r["week_kind"], "error": r["week_error"],
                            "failures": r["week_errors"], "since": None})
            elif (r["last_new"] or r["first_fetch"]) < quiet_since:
                out.append({**base, "state": "quiet", "error_kind": None, "error": None,
                            "failures": 0, "since": r["last_new"]})
        return out

    def record_digest(self, week: str, profile: str, article_ids: list[str], path: str) -> None:
        """Archive a written digest; a rewrite keeps the week's send record."""
        self.upsert("digests", ("week", "profile", "article_ids", "path", "written_at"),
                    "(SELECT ? AS week, ? AS profile, ?::VARCHAR[] AS article_ids, ? AS path, ? AS written_at)",
                    [week, profile, list(article_ids), path, _utcnow()], keys=("week", "profile"),
                    update={"article_ids": "excluded.article_ids", "path": "excluded.path",
                            "written_at": "excluded.written_at"})

    def digest_sent(self, week: str) -> tuple[datetime, list[str]] | None:
        """When and to whom the week's digest was last delivered, if ever."""
        return self.con.execute(
            "SELECT attempted_at, recipients FROM digest_sends WHERE week = ? AND status = 'sent' "
            "ORDER BY attempted_at DESC LIMIT 1",
            [week],
        ).fetchone()

    def record_send(self, week: str, status: str, recipients: list[str], message_id: str,
                    eml_path: str | None = None, error: str | None = None) -> None:
        now = _utcnow()
        self.con.execute("INSERT INTO digest_sends VALUES (?, ?, ?, ?, ?, ?, ?)",
                         [week, now, status, list(recipients), message_id, eml_path, error])
        if status == "sent":
            self.con.execute("UPDATE digests SET sent_at = ?, recipients = ?, message_id = ? WHERE week = ?",
                             [now, list(recipients), message_id, week])
