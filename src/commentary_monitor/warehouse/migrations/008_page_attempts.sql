-- 008: pages whose failure may pass (timeouts, 5xx, ...) are tried again in later runs, like
-- those deferred by a long Retry-After; this counts the runs that have tried each one.

ALTER TABLE deferred_pages ADD COLUMN attempts INTEGER DEFAULT 1;
