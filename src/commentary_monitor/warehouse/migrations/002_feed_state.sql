-- 002: what polite, incremental fetching remembers between runs, and feed health.
-- All timestamps are UTC.

-- One row per feed once it has been fetched: conditional-GET validators, the feed an
-- autodiscovered site resolves to, and the counters behind `commentary-monitor feeds`.
CREATE TABLE feed_state (
    feed_url              VARCHAR PRIMARY KEY,   -- as configured (feeds.url)
    resolved_url          VARCHAR,               -- the feed found by autodiscovery when feed_url is a web page
    etag                  VARCHAR,               -- from the last 200 response
    last_modified         VARCHAR,               -- from the last 200 response
    last_attempt_at       TIMESTAMP,
    last_success_at       TIMESTAMP,
    consecutive_failures  INTEGER NOT NULL DEFAULT 0,
    last_error_kind       VARCHAR,
    last_error            VARCHAR,
    retry_not_before      TIMESTAMP              -- a long Retry-After: not fetched again before this
);

-- A recoverable problem with a feed that was still used (malformed XML, skipped items).
ALTER TABLE fetches ADD COLUMN problem VARCHAR;

-- The content fingerprint of each stored article's feed entry: the same story under a new URL.
CREATE TABLE article_fingerprints (
    fingerprint  VARCHAR PRIMARY KEY,            -- sha256 of the entry's normalised title and text
    article_id   VARCHAR NOT NULL
);

-- Article pages whose server asked for a long wait (Retry-After over the cap): left for a later run.
CREATE TABLE deferred_pages (
    url               VARCHAR PRIMARY KEY,       -- canonical URL
    feed_url          VARCHAR NOT NULL,
    retry_not_before  TIMESTAMP NOT NULL,
    reason            VARCHAR,
    deferred_at       TIMESTAMP NOT NULL
);

-- Per feed: the numbers behind `commentary-monitor feeds` (flags are computed from these
-- with the [health] settings).
CREATE VIEW feed_health AS
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
    i.typical_interval_hours
FROM feeds f
LEFT JOIN feed_state s ON s.feed_url = f.url
LEFT JOIN per_feed p ON p.feed_url = f.url
LEFT JOIN intervals i ON i.feed_url = f.url;
