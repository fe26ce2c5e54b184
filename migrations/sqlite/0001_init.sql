-- Times are UTC unix seconds.

CREATE TABLE feeds (
    id                 INTEGER PRIMARY KEY,
    url                TEXT NOT NULL UNIQUE,
    name               TEXT NOT NULL,
    etag               TEXT,
    last_modified      TEXT,
    consecutive_errors INTEGER NOT NULL DEFAULT 0,
    last_error         TEXT,
    last_fetch_at      INTEGER,
    last_success_at    INTEGER,
    last_new_item_at   INTEGER,
    next_check_at      INTEGER,
    disabled           INTEGER NOT NULL DEFAULT 0
);

CREATE TABLE items (
    id              INTEGER PRIMARY KEY,
    feed_id         INTEGER NOT NULL REFERENCES feeds(id),
    item_key        TEXT NOT NULL UNIQUE,
    title           TEXT NOT NULL,
    link            TEXT,
    canonical_link  TEXT,
    published_at    INTEGER NOT NULL,
    fetched_at      INTEGER NOT NULL,
    author          TEXT,
    categories      TEXT NOT NULL DEFAULT '[]',
    summary         TEXT,
    content         TEXT,
    -- Clean article text and where it came from: feed, page or excerpt.
    article_text    TEXT NOT NULL DEFAULT '',
    text_source     TEXT NOT NULL DEFAULT 'excerpt',
    page_fetched_at INTEGER,
    page_error      TEXT
);
CREATE INDEX items_published ON items (published_at);
CREATE INDEX items_canonical ON items (canonical_link);

CREATE TABLE subscribers (
    id              INTEGER PRIMARY KEY,
    email           TEXT NOT NULL UNIQUE,
    name            TEXT,
    status          TEXT NOT NULL DEFAULT 'active',
    bounce_count    INTEGER NOT NULL DEFAULT 0,
    created_at      INTEGER NOT NULL,
    unsubscribed_at INTEGER
);

CREATE TABLE editions (
    id           INTEGER PRIMARY KEY,
    edition_key  TEXT NOT NULL UNIQUE,
    subject      TEXT NOT NULL,
    digest_json  TEXT NOT NULL,
    created_at   INTEGER NOT NULL
);

-- Which items each edition carried, so no story is picked twice.
CREATE TABLE edition_items (
    edition_id     INTEGER NOT NULL REFERENCES editions(id),
    item_id        INTEGER NOT NULL REFERENCES items(id),
    PRIMARY KEY (edition_id, item_id)
);

-- The ledger: one row per (edition, subscriber).
CREATE TABLE deliveries (
    id            INTEGER PRIMARY KEY,
    edition_id    INTEGER NOT NULL REFERENCES editions(id),
    subscriber_id INTEGER NOT NULL REFERENCES subscribers(id),
    status        TEXT NOT NULL DEFAULT 'queued',
    attempts      INTEGER NOT NULL DEFAULT 0,
    lease_until   INTEGER,
    next_attempt_at INTEGER,
    message_id    TEXT,
    server_reply  TEXT,
    last_error    TEXT,
    sent_at       INTEGER,
    updated_at    INTEGER NOT NULL,
    UNIQUE (edition_id, subscriber_id)
);
CREATE INDEX deliveries_status ON deliveries (edition_id, status);
