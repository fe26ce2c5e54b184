-- Who holds a leased row: a token per worker, so only the holder marks it
-- and a worker can renew or release its own leases.
ALTER TABLE deliveries ADD COLUMN lease_owner TEXT;
-- First claim, for the retry age limit.
ALTER TABLE deliveries ADD COLUMN first_tried_at BIGINT;

-- The circuit breaker's state, visible to every process and to `deliveries`.
ALTER TABLE editions ADD COLUMN paused_until BIGINT;
ALTER TABLE editions ADD COLUMN pause_reason TEXT;

CREATE INDEX deliveries_owner ON deliveries (lease_owner);
CREATE INDEX deliveries_sent_at ON deliveries (sent_at);

-- Claims look for due rows by status and time; queued rows come out in id
-- order straight from the index (rowid is its last column).
DROP INDEX deliveries_status;
CREATE INDEX deliveries_due ON deliveries (edition_id, status, next_attempt_at);
