-- Listing live users and groups without touching table rows (SCIM startIndex paging: Okta's
-- import walks /Users?startIndex=N&count=100 to the end).
--
-- 1. Partial indexes on the live rows of each org, in Seq order. ListUsers/ListGroups
--    filter on org_id and deleted_at IS NULL and order by seq: with these indexes both the
--    count and the OFFSET skip walk index entries only, and the table is read for the rows
--    of the page alone (before, every skipped row was read from the table to test
--    deleted_at).
-- 2. live_counts: the number of live users and groups per org, kept by the triggers below,
--    so that an unfiltered list's totalResults is one row read instead of a walk of the org.
--    The triggers fire on every statement that inserts, deletes, soft-deletes, restores or
--    moves a row, whatever code runs it, and within the statement's transaction (or
--    savepoint), so a rolled-back write takes its count change with it.

CREATE INDEX users_live_org_seq ON users (org_id, seq) WHERE deleted_at IS NULL;
CREATE INDEX groups_live_org_seq ON groups (org_id, seq) WHERE deleted_at IS NULL;

CREATE TABLE live_counts (
	org_id TEXT NOT NULL,
	kind   TEXT NOT NULL, -- 'user' or 'group'
	n      INTEGER NOT NULL,
	PRIMARY KEY (org_id, kind)
) WITHOUT ROWID;

INSERT INTO live_counts (org_id, kind, n)
	SELECT org_id, 'user', count(*) FROM users WHERE deleted_at IS NULL GROUP BY org_id;
INSERT INTO live_counts (org_id, kind, n)
	SELECT org_id, 'group', count(*) FROM groups WHERE deleted_at IS NULL GROUP BY org_id;

-- A row leaves the live set when it was live before the statement and enters it when it is
-- live after; an update that changes neither deleted_at nor org_id fires nothing.
CREATE TRIGGER users_live_insert AFTER INSERT ON users WHEN NEW.deleted_at IS NULL BEGIN
	INSERT INTO live_counts (org_id, kind, n) VALUES (NEW.org_id, 'user', 1)
		ON CONFLICT (org_id, kind) DO UPDATE SET n = n + 1;
END;
CREATE TRIGGER users_live_leave AFTER UPDATE OF deleted_at, org_id ON users WHEN OLD.deleted_at IS NULL BEGIN
	UPDATE live_counts SET n = n - 1 WHERE org_id = OLD.org_id AND kind = 'user';
END;
CREATE TRIGGER users_live_enter AFTER UPDATE OF deleted_at, org_id ON users WHEN NEW.deleted_at IS NULL BEGIN
	INSERT INTO live_counts (org_id, kind, n) VALUES (NEW.org_id, 'user', 1)
		ON CONFLICT (org_id, kind) DO UPDATE SET n = n + 1;
END;
CREATE TRIGGER users_live_delete AFTER DELETE ON users WHEN OLD.deleted_at IS NULL BEGIN
	UPDATE live_counts SET n = n - 1 WHERE org_id = OLD.org_id AND kind = 'user';
END;

CREATE TRIGGER groups_live_insert AFTER INSERT ON groups WHEN NEW.deleted_at IS NULL BEGIN
	INSERT INTO live_counts (org_id, kind, n) VALUES (NEW.org_id, 'group', 1)
		ON CONFLICT (org_id, kind) DO UPDATE SET n = n + 1;
END;
CREATE TRIGGER groups_live_leave AFTER UPDATE OF deleted_at, org_id ON groups WHEN OLD.deleted_at IS NULL BEGIN
	UPDATE live_counts SET n = n - 1 WHERE org_id = OLD.org_id AND kind = 'group';
END;
CREATE TRIGGER groups_live_enter AFTER UPDATE OF deleted_at, org_id ON groups WHEN NEW.deleted_at IS NULL BEGIN
	INSERT INTO live_counts (org_id, kind, n) VALUES (NEW.org_id, 'group', 1)
		ON CONFLICT (org_id, kind) DO UPDATE SET n = n + 1;
END;
CREATE TRIGGER groups_live_delete AFTER DELETE ON groups WHEN OLD.deleted_at IS NULL BEGIN
	UPDATE live_counts SET n = n - 1 WHERE org_id = OLD.org_id AND kind = 'group';
END;

-- Planner statistics: each new index gets those of the org-wide index it narrows (0001's
-- guesses, or what ANALYZE measured since), so that the planner judges them alike.
INSERT INTO sqlite_stat1 (tbl, idx, stat)
	SELECT tbl, 'users_live_org_seq', stat FROM sqlite_stat1 WHERE tbl = 'users' AND idx = 'users_org_seq';
INSERT INTO sqlite_stat1 (tbl, idx, stat)
	SELECT tbl, 'groups_live_org_seq', stat FROM sqlite_stat1 WHERE tbl = 'groups' AND idx = 'groups_org_seq';
ANALYZE sqlite_schema;
