-- Seeking to an offset (SCIM startIndex paging without walking every entry before it).
--
-- live_counts.gen counts the changes that move a live row's position in an org's Seq order:
-- a row leaving the live set (soft delete, hard delete, moving to another org) or entering it
-- anywhere but at the end (restore, moving in). A new row never moves anyone: its Seq (the
-- rowid) is above every row that exists. So while gen is unchanged, "the N-th live row has
-- Seq S" stays true, and a page at offset N+k can start after S instead of skipping N+k
-- index entries (sqlstore's seekCache). The triggers of 0002 are replaced by ones that also
-- bump gen, in the same statement's transaction.

ALTER TABLE live_counts ADD COLUMN gen INTEGER NOT NULL DEFAULT 0;

DROP TRIGGER users_live_leave;
DROP TRIGGER users_live_enter;
DROP TRIGGER users_live_delete;
DROP TRIGGER groups_live_leave;
DROP TRIGGER groups_live_enter;
DROP TRIGGER groups_live_delete;

CREATE TRIGGER users_live_leave AFTER UPDATE OF deleted_at, org_id ON users WHEN OLD.deleted_at IS NULL BEGIN
	UPDATE live_counts SET n = n - 1, gen = gen + 1 WHERE org_id = OLD.org_id AND kind = 'user';
END;
CREATE TRIGGER users_live_enter AFTER UPDATE OF deleted_at, org_id ON users WHEN NEW.deleted_at IS NULL BEGIN
	INSERT INTO live_counts (org_id, kind, n, gen) VALUES (NEW.org_id, 'user', 1, 1)
		ON CONFLICT (org_id, kind) DO UPDATE SET n = n + 1, gen = gen + 1;
END;
CREATE TRIGGER users_live_delete AFTER DELETE ON users WHEN OLD.deleted_at IS NULL BEGIN
	UPDATE live_counts SET n = n - 1, gen = gen + 1 WHERE org_id = OLD.org_id AND kind = 'user';
END;

CREATE TRIGGER groups_live_leave AFTER UPDATE OF deleted_at, org_id ON groups WHEN OLD.deleted_at IS NULL BEGIN
	UPDATE live_counts SET n = n - 1, gen = gen + 1 WHERE org_id = OLD.org_id AND kind = 'group';
END;
CREATE TRIGGER groups_live_enter AFTER UPDATE OF deleted_at, org_id ON groups WHEN NEW.deleted_at IS NULL BEGIN
	INSERT INTO live_counts (org_id, kind, n, gen) VALUES (NEW.org_id, 'group', 1, 1)
		ON CONFLICT (org_id, kind) DO UPDATE SET n = n + 1, gen = gen + 1;
END;
CREATE TRIGGER groups_live_delete AFTER DELETE ON groups WHEN OLD.deleted_at IS NULL BEGIN
	UPDATE live_counts SET n = n - 1, gen = gen + 1 WHERE org_id = OLD.org_id AND kind = 'group';
END;
