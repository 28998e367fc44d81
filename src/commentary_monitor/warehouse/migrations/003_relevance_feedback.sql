-- 003: the reader's relevance feedback, the history of replaced scores, and the
-- explanation's evidence and the feedback label in the scored_articles view.

CREATE TABLE feedback (
    article_id  VARCHAR NOT NULL,
    profile     VARCHAR NOT NULL,
    relevant    BOOLEAN NOT NULL,          -- the reader's label: relevant to the profile or not
    source      VARCHAR NOT NULL,          -- how it was given: 'url' or 'id' (the id shown in digests)
    given_at    TIMESTAMP NOT NULL,        -- the latest label wins
    PRIMARY KEY (article_id, profile)
);

CREATE TABLE score_history (
    article_id       VARCHAR NOT NULL,
    profile          VARCHAR NOT NULL,
    score            DOUBLE NOT NULL,
    relevant         BOOLEAN NOT NULL,
    explanation      VARCHAR NOT NULL,
    evidence         JSON,
    profile_version  VARCHAR NOT NULL,
    model            VARCHAR NOT NULL,
    scored_at        TIMESTAMP NOT NULL,
    replaced_at      TIMESTAMP NOT NULL    -- when a rescore replaced this row in scores
);

CREATE OR REPLACE VIEW scored_articles AS
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
    a.text_source,
    s.evidence,
    s.model,
    f.relevant AS feedback
FROM articles a
JOIN scores s USING (article_id)
LEFT JOIN feedback f ON f.article_id = s.article_id AND f.profile = s.profile;
