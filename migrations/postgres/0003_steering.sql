-- What editors ask of the next edition.

-- A pinned story goes into the next edition that can carry it; `used_in`
-- records which one did, so the pin is spent.
CREATE TABLE pins (
    canonical_link TEXT PRIMARY KEY,
    url            TEXT NOT NULL,
    created_at     BIGINT NOT NULL,
    used_in        TEXT
);

-- kind 'item': `value` is a canonical link; kind 'source': a feed's configured URL.
CREATE TABLE blocks (
    kind       TEXT NOT NULL CHECK (kind IN ('item', 'source')),
    value      TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (kind, value)
);

-- An editor's weight for a feed, over the config's.
ALTER TABLE feeds ADD COLUMN weight_override DOUBLE PRECISION;
