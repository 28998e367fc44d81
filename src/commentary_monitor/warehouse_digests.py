"""The warehouse's digest queries: what a week's digest reads, and its archive and send records.

A mixin of :class:`~commentary_monitor.warehouse.Warehouse` (``self.con`` is its DuckDB
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

    def digest_source_health(self, feed_urls: list[str], now: datetime, quiet_days: int) -> list[dict]:
        """Configured feeds that are failing (last fetch an error) or quiet (fetched fine but no
        new article for ``quiet_days``). Reads ``fetches`` and ``feeds`` only, so richer health
        records can replace it without touching the digest."""
        if not feed_urls:
            return []
        quiet_since = now - timedelta(days=quiet_days)
        rows = self.con.execute(
            """
            WITH f AS (
                SELECT feed_url, fetched_at, status, error_kind, error, new_items,
                       row_number() OVER (PARTITION BY feed_url ORDER BY fetched_at DESC) AS n
                FROM fetches WHERE feed_url IN (SELECT unnest(?)) AND fetched_at <= ?
            ), summary AS (
                SELECT feed_url,
                       max(fetched_at) FILTER (WHERE status = 'ok') AS last_ok,
                       max(fetched_at) FILTER (WHERE new_items > 0) AS last_new,
                       min(fetched_at) AS first_fetch
                FROM f GROUP BY feed_url
            )
            SELECT l.feed_url, coalesce(fd.name, fd.title, l.feed_url) AS name, l.status, l.error_kind, l.error,
                   s.last_ok, s.last_new, s.first_fetch,
                   (SELECT count(*) FROM f e WHERE e.feed_url = l.feed_url AND e.status = 'error'
                      AND e.fetched_at > coalesce(s.last_ok, TIMESTAMP '1970-01-01')) AS failures
            FROM f l JOIN summary s USING (feed_url) LEFT JOIN feeds fd ON fd.url = l.feed_url
            WHERE l.n = 1
            ORDER BY name, l.feed_url
            """,
            [list(feed_urls), now],
        ).fetchall()
        out = []
        for url, name, status, kind, error, last_ok, last_new, first_fetch, failures in rows:
            if status != "ok":
                out.append({"feed_url": url, "name": name, "state": "failing", "error_kind": kind, "error": error,
                            "failures": failures, "since": last_ok})
            elif (last_new or first_fetch) < quiet_since:
                out.append({"feed_url": url, "name": name, "state": "quiet", "error_kind": None, "error": None,
                            "failures": 0, "since": last_new})
        return out

    def record_digest(self, week: str, profile: str, article_ids: list[str], path: str) -> None:
        """Archive a written digest; a rewrite keeps the week's send record."""
        self.con.execute(
            "INSERT INTO digests (week, profile, article_ids, path, written_at) VALUES (?, ?, ?, ?, ?) "
            "ON CONFLICT (week, profile) DO UPDATE SET article_ids = excluded.article_ids, path = excluded.path, "
            "written_at = excluded.written_at",
            [week, profile, list(article_ids), path, _utcnow()],
        )

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
