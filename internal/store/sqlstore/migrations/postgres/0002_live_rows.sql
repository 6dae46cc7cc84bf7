-- Listing live users and groups without touching table rows (SCIM startIndex paging: Okta's
-- import walks /Users?startIndex=N&count=100 to the end). ListUsers/ListGroups filter on
-- org_id and deleted_at IS NULL and order by seq: with these partial indexes the count and
-- the OFFSET skip can be index-only scans.
--
-- SQLite also keeps a per-org live count by triggers (its 0002); PostgreSQL does not: a
-- counter row per org would make concurrent user creates in one org queue on its row lock
-- until each commits, where today they run in parallel.

CREATE INDEX users_live_org_seq ON users (org_id, seq) WHERE deleted_at IS NULL;
CREATE INDEX groups_live_org_seq ON groups (org_id, seq) WHERE deleted_at IS NULL;
