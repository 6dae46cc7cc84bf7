-- rolecall schema, SQLite. Times are INTEGER unix microseconds (UTC); booleans are 0/1;
-- JSON documents are TEXT, stored as given. Every table carries org_id and every query
-- filters on it. *_lower columns hold Go-side lowercased copies of case-insensitive
-- attributes (SQLite's lower() folds ASCII only), indexed for exact lookups.

CREATE TABLE orgs (
	id         TEXT PRIMARY KEY,
	name       TEXT NOT NULL,
	name_lower TEXT NOT NULL UNIQUE,
	created_at INTEGER NOT NULL
);

CREATE TABLE org_settings (
	org_id      TEXT PRIMARY KEY REFERENCES orgs (id),
	groups_only INTEGER NOT NULL DEFAULT 0,
	updated_at  INTEGER NOT NULL
);

CREATE TABLE users (
	seq                INTEGER PRIMARY KEY,
	id                 TEXT NOT NULL UNIQUE,
	org_id             TEXT NOT NULL REFERENCES orgs (id),
	user_name          TEXT NOT NULL,
	user_name_lower    TEXT NOT NULL,
	external_id        TEXT NOT NULL DEFAULT '',
	display_name       TEXT NOT NULL DEFAULT '',
	display_name_lower TEXT NOT NULL DEFAULT '',
	active             INTEGER NOT NULL,
	removed            INTEGER NOT NULL DEFAULT 0,
	doc                TEXT,
	version            INTEGER NOT NULL,
	created            INTEGER NOT NULL,
	last_modified      INTEGER NOT NULL,
	deleted_at         INTEGER
);
-- A deleted user's userName is free again: uniqueness covers live users only.
-- Attribute indexes lead with the attribute, not org_id: a lookup always has both, and an
-- (org_id, …) prefix would tempt a planner without statistics (PostgreSQL right after a bulk
-- load) to scan a whole org through it instead of using the id index.
CREATE UNIQUE INDEX users_user_name ON users (user_name_lower, org_id) WHERE deleted_at IS NULL;
CREATE INDEX users_external_id ON users (external_id, org_id);
CREATE INDEX users_display_name ON users (display_name_lower, org_id);
CREATE INDEX users_org_seq ON users (org_id, seq);

CREATE TABLE user_emails (
	org_id      TEXT NOT NULL,
	user_id     TEXT NOT NULL REFERENCES users (id),
	pos         INTEGER NOT NULL,
	value       TEXT NOT NULL,
	value_lower TEXT NOT NULL,
	type        TEXT NOT NULL DEFAULT '',
	is_primary  INTEGER NOT NULL DEFAULT 0,
	PRIMARY KEY (user_id, pos)
) WITHOUT ROWID;
CREATE INDEX user_emails_value ON user_emails (value_lower, org_id);

CREATE TABLE groups (
	seq                INTEGER PRIMARY KEY,
	id                 TEXT NOT NULL UNIQUE,
	org_id             TEXT NOT NULL REFERENCES orgs (id),
	display_name       TEXT NOT NULL,
	display_name_lower TEXT NOT NULL,
	external_id        TEXT NOT NULL DEFAULT '',
	active             INTEGER NOT NULL DEFAULT 1,
	doc                TEXT,
	version            INTEGER NOT NULL,
	created            INTEGER NOT NULL,
	last_modified      INTEGER NOT NULL,
	deleted_at         INTEGER
);
CREATE UNIQUE INDEX groups_display_name ON groups (display_name_lower, org_id) WHERE deleted_at IS NULL;
CREATE INDEX groups_external_id ON groups (external_id, org_id);
CREATE INDEX groups_org_seq ON groups (org_id, seq);
-- Deleted groups, for the "member group is not deleted" checks: tiny, as deletions are rare.
CREATE INDEX groups_deleted ON groups (id) WHERE deleted_at IS NOT NULL;

-- Group -> member edges. The primary key serves the forward direction (a group's members,
-- ordered by member id), memberships_member the reverse one, and memberships_nested the
-- group-in-group edges that cycle checks walk.
CREATE TABLE memberships (
	org_id      TEXT NOT NULL,
	group_id    TEXT NOT NULL,
	member_type TEXT NOT NULL,
	member_id   TEXT NOT NULL,
	PRIMARY KEY (group_id, member_id)
) WITHOUT ROWID;
CREATE INDEX memberships_member ON memberships (member_id);
CREATE INDEX memberships_nested ON memberships (group_id, member_id) WHERE member_type = 'group';

CREATE TABLE service_accounts (
	id         TEXT PRIMARY KEY,
	org_id     TEXT NOT NULL REFERENCES orgs (id),
	name       TEXT NOT NULL,
	name_lower TEXT NOT NULL,
	created_at INTEGER NOT NULL
);
CREATE UNIQUE INDEX service_accounts_name ON service_accounts (org_id, name_lower);

CREATE TABLE resources (
	id         TEXT PRIMARY KEY,
	org_id     TEXT NOT NULL REFERENCES orgs (id),
	kind       TEXT NOT NULL,
	name       TEXT NOT NULL,
	name_lower TEXT NOT NULL,
	parent_id  TEXT REFERENCES resources (id),
	created_at INTEGER NOT NULL
);
CREATE UNIQUE INDEX resources_name ON resources (org_id, kind, name_lower);
CREATE INDEX resources_parent ON resources (parent_id);

-- No foreign keys to resources or principals: the store checks them on insert, and a
-- foreign key would make every resource delete scan this (large) table.
CREATE TABLE bindings (
	id             TEXT PRIMARY KEY,
	org_id         TEXT NOT NULL REFERENCES orgs (id),
	resource_id    TEXT NOT NULL,
	principal_type TEXT NOT NULL,
	principal_id   TEXT NOT NULL,
	role           TEXT NOT NULL,
	created_at     INTEGER NOT NULL,
	created_by     TEXT NOT NULL DEFAULT ''
);
CREATE UNIQUE INDEX bindings_grant ON bindings (org_id, resource_id, principal_type, principal_id, role);
CREATE INDEX bindings_principal ON bindings (org_id, principal_id);

CREATE TABLE tokens (
	id           TEXT PRIMARY KEY,
	org_id       TEXT NOT NULL REFERENCES orgs (id),
	name         TEXT NOT NULL,
	name_lower   TEXT NOT NULL,
	scope        TEXT NOT NULL,
	hash         BLOB NOT NULL UNIQUE,
	created_at   INTEGER NOT NULL,
	created_by   TEXT NOT NULL DEFAULT '',
	expires_at   INTEGER,
	revoked_at   INTEGER,
	last_used_at INTEGER
);
CREATE UNIQUE INDEX tokens_name ON tokens (org_id, name_lower);

CREATE TABLE audit_events (
	seq         INTEGER PRIMARY KEY,
	org_id      TEXT NOT NULL REFERENCES orgs (id),
	event_time  INTEGER NOT NULL,
	actor       TEXT NOT NULL,
	action      TEXT NOT NULL,
	target_type TEXT NOT NULL DEFAULT '',
	target_id   TEXT NOT NULL DEFAULT '',
	before_doc  TEXT,
	after_doc   TEXT,
	request_id  TEXT NOT NULL DEFAULT ''
);
CREATE INDEX audit_events_org ON audit_events (org_id, seq);
CREATE INDEX audit_events_target ON audit_events (org_id, target_type, target_id, seq);

CREATE TABLE enforcement_runs (
	seq              INTEGER PRIMARY KEY,
	id               TEXT NOT NULL UNIQUE,
	org_id           TEXT NOT NULL REFERENCES orgs (id),
	created_at       INTEGER NOT NULL,
	actor            TEXT NOT NULL,
	fingerprint      TEXT NOT NULL,
	plan             TEXT,
	deleted_bindings INTEGER NOT NULL,
	removed_users    INTEGER NOT NULL,
	undone_at        INTEGER,
	undone_by        TEXT NOT NULL DEFAULT '',
	undo_result      TEXT
);
CREATE INDEX enforcement_runs_org ON enforcement_runs (org_id, seq);

CREATE TABLE enforcement_run_bindings (
	org_id         TEXT NOT NULL,
	run_id         TEXT NOT NULL REFERENCES enforcement_runs (id),
	binding_id     TEXT NOT NULL,
	resource_id    TEXT NOT NULL,
	principal_type TEXT NOT NULL,
	principal_id   TEXT NOT NULL,
	role           TEXT NOT NULL,
	created_at     INTEGER NOT NULL,
	created_by     TEXT NOT NULL DEFAULT '',
	PRIMARY KEY (run_id, binding_id)
) WITHOUT ROWID;

CREATE TABLE enforcement_run_users (
	org_id        TEXT NOT NULL,
	run_id        TEXT NOT NULL REFERENCES enforcement_runs (id),
	user_id       TEXT NOT NULL,
	user_name     TEXT NOT NULL,
	was_active    INTEGER NOT NULL,
	version_after INTEGER NOT NULL,
	PRIMARY KEY (run_id, user_id)
) WITHOUT ROWID;

-- Planner statistics for a large org. Without statistics SQLite assumes that an equality on
-- any indexed column selects about ten rows, so `org_id = ?` looks as selective as a lookup
-- by id or email, and a filtered list may walk a whole org through (org_id, seq). These rows
-- say what is true of a big tenant: org_id selects everything, ids and names one row. ANALYZE
-- (PRAGMA optimize) replaces them with measured values once the data is there.
ANALYZE sqlite_schema;
INSERT INTO sqlite_stat1 (tbl, idx, stat) VALUES
	('users', 'sqlite_autoindex_users_1', '1000000 1'),
	('users', 'users_user_name', '1000000 1 1'),
	('users', 'users_external_id', '1000000 1 1'),
	('users', 'users_display_name', '1000000 2 1'),
	('users', 'users_org_seq', '1000000 1000000 1'),
	('user_emails', 'sqlite_autoindex_user_emails_1', '1000000 1 1'),
	('user_emails', 'user_emails_value', '1000000 1 1'),
	('groups', 'sqlite_autoindex_groups_1', '100000 1'),
	('groups', 'groups_display_name', '100000 1 1'),
	('groups', 'groups_external_id', '100000 1 1'),
	('groups', 'groups_org_seq', '100000 100000 1'),
	('groups', 'groups_deleted', '100 1'),
	('memberships', 'sqlite_autoindex_memberships_1', '1000000 100 1'),
	('memberships', 'memberships_member', '1000000 10'),
	('memberships', 'memberships_nested', '10000 5 1'),
	('bindings', 'sqlite_autoindex_bindings_1', '500000 1'),
	('bindings', 'bindings_grant', '500000 500000 50 50 1 1'),
	('bindings', 'bindings_principal', '500000 500000 5');
ANALYZE sqlite_schema;
