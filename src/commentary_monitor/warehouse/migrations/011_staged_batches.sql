-- 011: batches an ingest staged beside the warehouse while another process held the file
-- (staging.py), recorded in the transaction that commits them: a batch is committed once,
-- also when the process is killed after the commit and before its files were removed.

CREATE TABLE staged_batches (
    batch         VARCHAR PRIMARY KEY,   -- the staged folder's name
    run_id        VARCHAR,               -- the ingest run that staged it
    articles      INTEGER NOT NULL,      -- articles it added (those already stored are skipped)
    committed_at  TIMESTAMP NOT NULL
);
