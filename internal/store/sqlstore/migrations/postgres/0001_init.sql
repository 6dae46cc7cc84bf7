-- rolecall schema, PostgreSQL. Times are timestamptz (microsecond precision, as store.Now);
-- JSON documents are text, stored as given. Every text column uses the "C" collation so that
-- comparisons and ORDER BY give the same (code point) order as SQLite. Every table carries
-- org_id and every query filters on it. *_lower columns hold Go-side lowercased copies of
-- case-insensitive attributes, indexed for exact lookups.
CREATE TABLE orgs (
	id         text COLLATE "C" PRIMARY KEY,
	name       text COLLATE "C" NOT NULL,
	name_lower text COLLATE "C" NOT NULL UNIQUE,
	created_at timestamptz NOT NULL
);

CREATE TABLE org_settings (
	org_id      text COLLATE "C" PRIMARY KEY REFERENCES orgs (id),
	groups_only boolean NOT NULL DEFAULT FALSE,
	updated_at  timestamptz NOT NULL
);

CREATE TABLE users (
	seq                bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	id                 text COLLATE "C" NOT NULL UNIQUE,
	org_id             text COLLATE "C" NOT NULL REFERENCES orgs (id),
	user_name          text COLLATE "C" NOT NULL,
	user_name_lower    text COLLATE "C" NOT NULL,
	external_id        text COLLATE "C" NOT NULL DEFAULT '',
	display_name       text COLLATE "C" NOT NULL DEFAULT '',
	display_name_lower text COLLATE "C" NOT NULL DEFAULT '',
	active             boolean NOT NULL,
	removed            boolean NOT NULL DEFAULT FALSE,
	doc                text COLLATE "C",
	version            bigint NOT NULL,
	created            timestamptz NOT NULL,
	last_modified      timestamptz NOT NULL,
	deleted_at         timestamptz
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
	org_id      text COLLATE "C" NOT NULL,
	user_id     text COLLATE "C" NOT NULL REFERENCES users (id),
	pos         bigint NOT NULL,
	value       text COLLATE "C" NOT NULL,
	value_lower text COLLATE "C" NOT NULL,
	type        text COLLATE "C" NOT NULL DEFAULT '',
	is_primary  boolean NOT NULL DEFAULT FALSE,
	PRIMARY KEY (user_id, pos)
);
CREATE INDEX user_emails_value ON user_emails (value_lower, org_id);

CREATE TABLE groups (
	seq                bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	id                 text COLLATE "C" NOT NULL UNIQUE,
	org_id             text COLLATE "C" NOT NULL REFERENCES orgs (id),
	display_name       text COLLATE "C" NOT NULL,
	display_name_lower text COLLATE "C" NOT NULL,
	external_id        text COLLATE "C" NOT NULL DEFAULT '',
	active             boolean NOT NULL DEFAULT TRUE,
	doc                text COLLATE "C",
	version            bigint NOT NULL,
	created            timestamptz NOT NULL,
	last_modified      timestamptz NOT NULL,
	deleted_at         timestamptz
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
	org_id      text COLLATE "C" NOT NULL,
	group_id    text COLLATE "C" NOT NULL,
	member_type text COLLATE "C" NOT NULL,
	member_id   text COLLATE "C" NOT NULL,
	PRIMARY KEY (group_id, member_id)
);
CREATE INDEX memberships_member ON memberships (member_id);
CREATE INDEX memberships_nested ON memberships (group_id, member_id) WHERE member_type = 'group';

CREATE TABLE service_accounts (
	id         text COLLATE "C" PRIMARY KEY,
	org_id     text COLLATE "C" NOT NULL REFERENCES orgs (id),
	name       text COLLATE "C" NOT NULL,
	name_lower text COLLATE "C" NOT NULL,
	created_at timestamptz NOT NULL
);
CREATE UNIQUE INDEX service_accounts_name ON service_accounts (org_id, name_lower);

CREATE TABLE resources (
	id         text COLLATE "C" PRIMARY KEY,
	org_id     text COLLATE "C" NOT NULL REFERENCES orgs (id),
	kind       text COLLATE "C" NOT NULL,
	name       text COLLATE "C" NOT NULL,
	name_lower text COLLATE "C" NOT NULL,
	parent_id  text COLLATE "C" REFERENCES resources (id),
	created_at timestamptz NOT NULL
);
CREATE UNIQUE INDEX resources_name ON resources (org_id, kind, name_lower);
CREATE INDEX resources_parent ON resources (parent_id);

-- No foreign keys to resources or principals: the store checks them on insert, and a
-- foreign key would make every resource delete scan this (large) table.
CREATE TABLE bindings (
	id             text COLLATE "C" PRIMARY KEY,
	org_id         text COLLATE "C" NOT NULL REFERENCES orgs (id),
	resource_id    text COLLATE "C" NOT NULL,
	principal_type text COLLATE "C" NOT NULL,
	principal_id   text COLLATE "C" NOT NULL,
	role           text COLLATE "C" NOT NULL,
	created_at     timestamptz NOT NULL,
	created_by     text COLLATE "C" NOT NULL DEFAULT ''
);
CREATE UNIQUE INDEX bindings_grant ON bindings (org_id, resource_id, principal_type, principal_id, role);
CREATE INDEX bindings_principal ON bindings (org_id, principal_id);

CREATE TABLE tokens (
	id           text COLLATE "C" PRIMARY KEY,
	org_id       text COLLATE "C" NOT NULL REFERENCES orgs (id),
	name         text COLLATE "C" NOT NULL,
	name_lower   text COLLATE "C" NOT NULL,
	scope        text COLLATE "C" NOT NULL,
	hash         bytea NOT NULL UNIQUE,
	created_at   timestamptz NOT NULL,
	created_by   text COLLATE "C" NOT NULL DEFAULT '',
	expires_at   timestamptz,
	revoked_at   timestamptz,
	last_used_at timestamptz
);
CREATE UNIQUE INDEX tokens_name ON tokens (org_id, name_lower);

CREATE TABLE audit_events (
	seq         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	org_id      text COLLATE "C" NOT NULL REFERENCES orgs (id),
	event_time  timestamptz NOT NULL,
	actor       text COLLATE "C" NOT NULL,
	action      text COLLATE "C" NOT NULL,
	target_type text COLLATE "C" NOT NULL DEFAULT '',
	target_id   text COLLATE "C" NOT NULL DEFAULT '',
	before_doc  text COLLATE "C",
	after_doc   text COLLATE "C",
	request_id  text COLLATE "C" NOT NULL DEFAULT ''
);
CREATE INDEX audit_events_org ON audit_events (org_id, seq);
CREATE INDEX audit_events_target ON audit_events (org_id, target_type, target_id, seq);

CREATE TABLE enforcement_runs (
	seq              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	id               text COLLATE "C" NOT NULL UNIQUE,
	org_id           text COLLATE "C" NOT NULL REFERENCES orgs (id),
	created_at       timestamptz NOT NULL,
	actor            text COLLATE "C" NOT NULL,
	fingerprint      text COLLATE "C" NOT NULL,
	plan             text COLLATE "C",
	deleted_bindings bigint NOT NULL,
	removed_users    bigint NOT NULL,
	undone_at        timestamptz,
	undone_by        text COLLATE "C" NOT NULL DEFAULT '',
	undo_result      text COLLATE "C"
);
CREATE INDEX enforcement_runs_org ON enforcement_runs (org_id, seq);

CREATE TABLE enforcement_run_bindings (
	org_id         text COLLATE "C" NOT NULL,
	run_id         text COLLATE "C" NOT NULL REFERENCES enforcement_runs (id),
	binding_id     text COLLATE "C" NOT NULL,
	resource_id    text COLLATE "C" NOT NULL,
	principal_type text COLLATE "C" NOT NULL,
	principal_id   text COLLATE "C" NOT NULL,
	role           text COLLATE "C" NOT NULL,
	created_at     timestamptz NOT NULL,
	created_by     text COLLATE "C" NOT NULL DEFAULT '',
	PRIMARY KEY (run_id, binding_id)
);

CREATE TABLE enforcement_run_users (
	org_id        text COLLATE "C" NOT NULL,
	run_id        text COLLATE "C" NOT NULL REFERENCES enforcement_runs (id),
	user_id       text COLLATE "C" NOT NULL,
	user_name     text COLLATE "C" NOT NULL,
	was_active    boolean NOT NULL,
	version_after bigint NOT NULL,
	PRIMARY KEY (run_id, user_id)
);
