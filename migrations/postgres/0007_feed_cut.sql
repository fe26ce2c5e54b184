-- A fetch that found more new items than fetch.max_items_per_fetch keeps the
-- newest and leaves the rest out. When it last happened, how many it left
-- out, and the publication time before which this feed's items are no longer
-- taken (so a backlog does not trickle in, one fetch's worth at a time).
ALTER TABLE feeds ADD COLUMN cut_at BIGINT;
ALTER TABLE feeds ADD COLUMN cut_count BIGINT NOT NULL DEFAULT 0;
ALTER TABLE feeds ADD COLUMN cut_before BIGINT;
