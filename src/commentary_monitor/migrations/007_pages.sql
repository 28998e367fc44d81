-- 007: the raw HTML of fetched pages, compressed, kept for [warehouse] keep_html_days.

CREATE TABLE pages (
    article_id    VARCHAR PRIMARY KEY,
    url           VARCHAR NOT NULL,
    fetched_at    TIMESTAMP NOT NULL,
    content_type  VARCHAR,
    html          BLOB NOT NULL            -- zlib-compressed bytes as served
);
