-- PostgreSQL twin of migrations/sqlite/0001_init.sql. Times are UTC unix
-- seconds (BIGINT); flags are 0/1 BIGINTs so both databases read the same
-- types.

CREATE TABLE feeds (
    id                 BIGSERIAL PRIMARY KEY,
    url                TEXT NOT NULL UNIQUE,
    name               TEXT NOT NULL,
    etag               TEXT,
    last_modified      TEXT,
    consecutive_errors BIGINT NOT NULL DEFAULT 0,
    last_error         TEXT,
    last_fetch_at      BIGINT,
    last_success_at    BIGINT,
    last_new_item_at   BIGINT,
    next_check_at      BIGINT,
    disabled           BIGINT NOT NULL DEFAULT 0
);

CREATE TABLE items (
    id              BIGSERIAL PRIMARY KEY,
    feed_id         BIGINT NOT NULL REFERENCES feeds(id),
    item_key        TEXT NOT NULL UNIQUE,
    title           TEXT NOT NULL,
    link            TEXT,
    canonical_link  TEXT,
    published_at    BIGINT NOT NULL,
    fetched_at      BIGINT NOT NULL,
    author          TEXT,
    categories      TEXT NOT NULL DEFAULT '[]',
    summary         TEXT,
    content         TEXT,
    article_text    TEXT NOT NULL DEFAULT '',
    text_source     TEXT NOT NULL DEFAULT 'excerpt',
    page_fetched_at BIGINT,
    page_error      TEXT
);
CREATE INDEX items_published ON items (published_at);
CREATE INDEX items_canonical ON items (canonical_link);

CREATE TABLE subscribers (
    id              BIGSERIAL PRIMARY KEY,
    email           TEXT NOT NULL UNIQUE,
    name            TEXT,
    status          TEXT NOT NULL DEFAULT 'active',
    bounce_count    BIGINT NOT NULL DEFAULT 0,
    created_at      BIGINT NOT NULL,
    unsubscribed_at BIGINT
);

CREATE TABLE editions (
    id           BIGSERIAL PRIMARY KEY,
    edition_key  TEXT NOT NULL UNIQUE,
    subject      TEXT NOT NULL,
    digest_json  TEXT NOT NULL,
    created_at   BIGINT NOT NULL
);

CREATE TABLE edition_items (
    edition_id     BIGINT NOT NULL REFERENCES editions(id),
    item_id        BIGINT NOT NULL REFERENCES items(id),
    PRIMARY KEY (edition_id, item_id)
);

CREATE TABLE deliveries (
    id              BIGSERIAL PRIMARY KEY,
    edition_id      BIGINT NOT NULL REFERENCES editions(id),
    subscriber_id   BIGINT NOT NULL REFERENCES subscribers(id),
    status          TEXT NOT NULL DEFAULT 'queued',
    attempts        BIGINT NOT NULL DEFAULT 0,
    lease_until     BIGINT,
    next_attempt_at BIGINT,
    message_id      TEXT,
    server_reply    TEXT,
    last_error      TEXT,
    sent_at         BIGINT,
    updated_at      BIGINT NOT NULL,
    UNIQUE (edition_id, subscriber_id)
);
CREATE INDEX deliveries_status ON deliveries (edition_id, status);
