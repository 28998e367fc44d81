-- 007: the raw HTML of fetched pages, kept for [warehouse] keep_html_days. The pages
-- themselves are gzip files beside the database (pages/YYYY-MM-DD/<article_id>.html.gz):
-- large blobs inside DuckDB cost more to write and grow the writer's memory with the table.

CREATE TABLE pages (
    article_id    VARCHAR PRIMARY KEY,
    url           VARCHAR NOT NULL,
    fetched_at    TIMESTAMP NOT NULL,
    content_type  VARCHAR,
    path          VARCHAR NOT NULL,        -- the gzip file, relative to the database's folder
    bytes         BIGINT NOT NULL          -- its (compressed) size
);
