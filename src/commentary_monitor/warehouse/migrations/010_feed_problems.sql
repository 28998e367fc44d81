-- 010: feed_health says when a feed's last run read it, but not cleanly: last_problem is
-- fetches.problem of its latest fetch when that fetch succeeded (malformed XML recovered,
-- entries skipped). The view is 002's otherwise.

CREATE OR REPLACE VIEW feed_health AS
WITH per_feed AS (
    SELECT feed_url,
           count(*) AS runs,
           avg(items) FILTER (WHERE status = 'ok') AS items_per_run,
           avg(new_items) FILTER (WHERE status = 'ok') AS new_per_run
    FROM fetches GROUP BY feed_url
), posts AS (
    SELECT feed_url, coalesce(published_at, fetched_at) AS posted_at,
           row_number() OVER (PARTITION BY feed_url ORDER BY coalesce(published_at, fetched_at) DESC) AS n
    FROM articles
), gaps AS (
    SELECT feed_url, posted_at,
           epoch(posted_at) - epoch(lag(posted_at) OVER (PARTITION BY feed_url ORDER BY posted_at)) AS gap
    FROM posts WHERE n <= 50
), latest AS (
    SELECT feed_url, status, problem,
           row_number() OVER (PARTITION BY feed_url ORDER BY fetched_at DESC) AS n
    FROM fetches
), intervals AS (
    SELECT feed_url, max(posted_at) AS last_published_at, median(gap) / 3600.0 AS typical_interval_hours
    FROM gaps GROUP BY feed_url
)
SELECT
    f.url AS feed_url,
    coalesce(f.name, f.title) AS name,
    s.resolved_url,
    s.last_attempt_at,
    s.last_success_at,
    coalesce(s.consecutive_failures, 0) AS consecutive_failures,
    s.last_error_kind,
    s.last_error,
    s.retry_not_before,
    coalesce(p.runs, 0) AS runs,
    p.items_per_run,
    p.new_per_run,
    i.last_published_at,
    i.typical_interval_hours,
    CASE WHEN l.status = 'ok' THEN l.problem END AS last_problem
FROM feeds f
LEFT JOIN feed_state s ON s.feed_url = f.url
LEFT JOIN per_feed p ON p.feed_url = f.url
LEFT JOIN intervals i ON i.feed_url = f.url
LEFT JOIN latest l ON l.feed_url = f.url AND l.n = 1;
