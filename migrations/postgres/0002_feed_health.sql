-- PostgreSQL twin of migrations/sqlite/0002_feed_health.sql.
-- Where the feed is fetched from after a permanent redirect (NULL: its configured URL),
-- and how its last fetch ended: ok, not_modified, error or gone.
ALTER TABLE feeds ADD COLUMN fetch_url TEXT;
ALTER TABLE feeds ADD COLUMN last_status TEXT;
-- When the current run of failures began (NULL while healthy).
ALTER TABLE feeds ADD COLUMN failing_since BIGINT;
