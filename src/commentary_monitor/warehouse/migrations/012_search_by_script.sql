-- 011: the full-text index tokenises by script (search.py): Cyrillic words are now stemmed
-- with Snowball's Russian stemmer and runs of Chinese characters cut into bigrams, where the
-- index used to drop both. The articles that have such characters lose their terms here and
-- are indexed again, in SQL, at the end of the next ingest (search.index_new); the search
-- macro goes too, and that ingest recreates it with the new tokenisation.

CREATE TEMP TABLE _reindex AS
SELECT article_id FROM articles
WHERE regexp_matches(coalesce(title, '') || ' ' || coalesce(text, ''), '[\x{0400}-\x{04FF}\x{3400}-\x{4DBF}\x{4E00}-\x{9FFF}]');

DELETE FROM search_terms WHERE article_id IN (SELECT article_id FROM _reindex);
DELETE FROM search_docs WHERE article_id IN (SELECT article_id FROM _reindex);
DROP TABLE _reindex;
DROP MACRO TABLE IF EXISTS search_bm25;
