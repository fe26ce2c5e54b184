-- One subscriber per mailbox: `email` keeps the spelling mail is sent to,
-- `email_key` (the address lower-cased, domain in punycode) is what makes
-- two rows the same person. The migration fills it in Rust, merging rows
-- that turn out to be one mailbox, then makes it unique.
ALTER TABLE subscribers ADD COLUMN email_key TEXT;

-- Ids of rows merged into another, so the unsubscribe and confirmation
-- links in mail sent before the merge still find their mailbox. `email` is
-- the address those links were signed for.
CREATE TABLE subscriber_aliases (
    id            BIGINT PRIMARY KEY,
    email         TEXT NOT NULL,
    subscriber_id BIGINT NOT NULL REFERENCES subscribers(id)
);
