-- 001: feeds, runs, fetches, articles, scores and the scored_articles view.
-- All timestamps are UTC.

CREATE TABLE feeds (
    url        VARCHAR PRIMARY KEY,        -- as configured
    name       VARCHAR,                    -- configured name, else the feed's own title
    title      VARCHAR,                    -- the feed's own title, from its last good fetch
    added_at   TIMESTAMP NOT NULL
);

CREATE TABLE runs (
    run_id        VARCHAR PRIMARY KEY,     -- uuid
    kind          VARCHAR NOT NULL,        -- 'ingest' or 'digest'
    started_at    TIMESTAMP NOT NULL,
    finished_at   TIMESTAMP,
    status        VARCHAR NOT NULL,        -- 'running', 'ok', 'failed', 'abandoned'
    feeds_ok      INTEGER,
    feeds_failed  INTEGER,
    articles_new  INTEGER,
    summary       VARCHAR                  -- the one-screen summary the run printed
);

CREATE TABLE fetches (
    run_id       VARCHAR NOT NULL,
    feed_url     VARCHAR NOT NULL,
    fetched_at   TIMESTAMP NOT NULL,
    status       VARCHAR NOT NULL,         -- 'ok' or 'error'
    http_status  INTEGER,
    items        INTEGER,                  -- entries in the feed document
    new_items    INTEGER,                  -- entries stored as new articles by this run
    error_kind   VARCHAR,                  -- dns, connect, timeout, deadline, http, too_large, blocked, parse, ...
    error        VARCHAR,
    PRIMARY KEY (run_id, feed_url)
);

CREATE TABLE articles (
    article_id    VARCHAR PRIMARY KEY,     -- first 16 hex digits of sha256(url)
    url           VARCHAR NOT NULL UNIQUE, -- canonical: tracking parameters and fragment removed
    link          VARCHAR NOT NULL,        -- the link as the feed gave it
    guid          VARCHAR,
    feed_url      VARCHAR NOT NULL,
    outlet        VARCHAR,
    title         VARCHAR,
    author        VARCHAR,
    published_at  TIMESTAMP,               -- NULL when neither page nor feed gives a usable date
    fetched_at    TIMESTAMP NOT NULL,
    language      VARCHAR,
    text          VARCHAR NOT NULL,
    text_source   VARCHAR NOT NULL,        -- 'page' (extracted) or 'feed' (the entry's own content)
    page_status   VARCHAR NOT NULL,        -- 'ok', 'error', 'not_html', 'too_short', 'empty'
    page_error    VARCHAR,
    run_id        VARCHAR
);

CREATE TABLE scores (
    article_id       VARCHAR NOT NULL,
    profile          VARCHAR NOT NULL,
    score            DOUBLE NOT NULL CHECK (score >= 0 AND score <= 1),
    relevant         BOOLEAN NOT NULL,     -- score >= the profile's threshold when scored
    explanation      VARCHAR NOT NULL,
    evidence         JSON,                 -- terms, article_passage, seed_passage, seed_source, raw
    profile_version  VARCHAR NOT NULL,
    model            VARCHAR NOT NULL,
    scored_at        TIMESTAMP NOT NULL,
    PRIMARY KEY (article_id, profile)
);

CREATE VIEW scored_articles AS
SELECT
    a.article_id,
    a.url,
    a.title,
    a.outlet,
    a.author,
    coalesce(a.published_at, a.fetched_at) AS published_at,
    s.profile,
    s.score,
    s.relevant,
    s.explanation,
    a.feed_url,
    a.fetched_at,
    a.language,
    a.text_source
FROM articles a
JOIN scores s USING (article_id);
