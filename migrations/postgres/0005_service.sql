-- The service's schedule: one row per (job, slot). Inserting the row is the
-- claim, so a slot runs once however often it fires and however many
-- processes share the database. status: running, done, failed or skipped.
CREATE TABLE schedule_slots (
    job         TEXT NOT NULL,
    slot        BIGINT NOT NULL,
    status      TEXT NOT NULL,
    detail      TEXT,
    started_at  BIGINT NOT NULL,
    finished_at BIGINT,
    PRIMARY KEY (job, slot)
);

-- Double opt-in: a subscriber who signed up on the web is 'pending' until
-- the link in the confirmation email is followed.
ALTER TABLE subscribers ADD COLUMN confirmed_at BIGINT;
-- When the last confirmation request went out, so that repeated sign-ups
-- cannot turn the form into a way to flood someone's inbox.
ALTER TABLE subscribers ADD COLUMN confirm_sent_at BIGINT;
