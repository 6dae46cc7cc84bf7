-- SQLite's 0003 adds a generation counter to live_counts for seeking to an offset. PostgreSQL
-- keeps no live_counts (a per-org counter row would serialise concurrent creates) and pages
-- with OFFSET over the partial index of 0002; this migration keeps the dialects numbered in
-- step.
SELECT 1;
