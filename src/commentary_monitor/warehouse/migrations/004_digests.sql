-- 004: the digest archive (one row per week and profile) and every attempt to mail a week's digest.

CREATE TABLE digests (
    week          VARCHAR NOT NULL,        -- ISO week, e.g. '2026-W46'
    profile       VARCHAR NOT NULL,
    article_ids   VARCHAR[] NOT NULL,      -- the items in digest order (collapsed copies not repeated)
    path          VARCHAR NOT NULL,        -- the Markdown file
    written_at    TIMESTAMP NOT NULL,      -- last (re)written
    sent_at       TIMESTAMP,               -- when the week's email was delivered; NULL if never
    recipients    VARCHAR[],               -- to whom it was delivered
    message_id    VARCHAR,
    PRIMARY KEY (week, profile)
);

CREATE TABLE digest_sends (
    week          VARCHAR NOT NULL,
    attempted_at  TIMESTAMP NOT NULL,
    status        VARCHAR NOT NULL,        -- 'sent', 'failed' or 'outbox' (no SMTP configured: written as .eml)
    recipients    VARCHAR[] NOT NULL,
    message_id    VARCHAR NOT NULL,
    eml_path      VARCHAR,                 -- the .eml file, for 'outbox'
    error         VARCHAR,                 -- why it failed, for 'failed'
    PRIMARY KEY (week, attempted_at)
);
