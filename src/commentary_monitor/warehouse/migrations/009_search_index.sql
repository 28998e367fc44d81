-- 009: the full-text index, kept incrementally (search.py): each ingest adds its new
-- articles' terms instead of rebuilding an index over the whole warehouse.

CREATE TABLE search_docs (
    article_id  VARCHAR PRIMARY KEY,
    len         INTEGER NOT NULL            -- indexed words in title and text
);

CREATE TABLE search_terms (
    term        VARCHAR NOT NULL,           -- a Porter stem
    article_id  VARCHAR NOT NULL,
    tf          INTEGER NOT NULL            -- how often it occurs in the article
);

DROP SCHEMA IF EXISTS fts_main_articles CASCADE;
