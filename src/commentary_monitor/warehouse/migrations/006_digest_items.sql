-- 006: what each weekly digest contained, item by item, with the score and explanation
-- behind each item (the current score row; a rescore keeps the replaced one in score_history).

CREATE VIEW digest_items AS
WITH items AS (
    SELECT week, profile, sent_at, path,
           unnest(article_ids) AS article_id,
           generate_subscripts(article_ids, 1) AS position
    FROM digests
)
SELECT
    i.week,
    i.profile,
    i.position,
    i.article_id,
    a.title,
    a.url,
    a.outlet,
    coalesce(a.published_at, a.fetched_at) AS published_at,
    s.score,
    s.relevant,
    s.explanation,
    s.model,
    s.profile_version,
    i.sent_at,
    i.path
FROM items i
JOIN articles a USING (article_id)
LEFT JOIN scores s ON s.article_id = i.article_id AND s.profile = i.profile;
