-- Break-glass exemptions and the drift schedule (issue 18).
--
-- user_exemptions: users enforce-groups leaves as they are (their direct bindings stay, they
-- are never removed). One row per exempt user; a deleted user's row is deleted with it
-- (DeleteUser). Few rows per org (max_exemptions), read whole with the access state.
CREATE TABLE user_exemptions (
	org_id     TEXT NOT NULL REFERENCES orgs (id),
	user_id    TEXT NOT NULL,
	reason     TEXT NOT NULL,
	created_by TEXT NOT NULL DEFAULT '',
	created_at INTEGER NOT NULL,
	PRIMARY KEY (org_id, user_id)
);

-- The escape hatch stays small: at most this many exempt users per org.
ALTER TABLE org_settings ADD COLUMN max_exemptions INTEGER NOT NULL DEFAULT 5;

-- drift_schedules: one optional schedule per org. A server claims a due schedule by taking
-- its lease (lease_owner, lease_until) in one transaction; only the lease holder records the
-- run (last_run_at, next_run_at), so several servers on one database run each due schedule
-- once. Times are microseconds since the epoch, as everywhere in the SQLite schema.
CREATE TABLE drift_schedules (
	org_id               TEXT PRIMARY KEY REFERENCES orgs (id),
	every_seconds        INTEGER NOT NULL,
	auto_apply           INTEGER NOT NULL DEFAULT 0,
	max_users_removed    INTEGER NOT NULL DEFAULT 0,
	max_bindings_deleted INTEGER NOT NULL DEFAULT 0,
	next_run_at          INTEGER NOT NULL,
	last_run_at          INTEGER,
	last_result          TEXT,
	lease_owner          TEXT NOT NULL DEFAULT '',
	lease_until          INTEGER,
	updated_at           INTEGER NOT NULL,
	updated_by           TEXT NOT NULL DEFAULT ''
);
CREATE INDEX drift_schedules_due ON drift_schedules (next_run_at);
