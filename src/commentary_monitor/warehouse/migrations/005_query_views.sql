-- 005: views for the common questions.

-- The articles at or above their profile's threshold.
CREATE VIEW relevant_articles AS
SELECT * FROM scored_articles WHERE relevant;

-- Articles and relevant articles per ISO week (Monday, UTC) and profile.
CREATE VIEW weekly_counts AS
SELECT
    date_trunc('week', published_at)::DATE AS week_start,
    strftime(published_at, '%G-W%V')       AS iso_week,
    profile,
    count(*)                               AS articles,
    count(*) FILTER (WHERE relevant)       AS relevant,
    round(avg(score), 4)                   AS mean_score
FROM scored_articles
GROUP BY ALL;
