-- Break-glass exemptions and the drift schedule: see the SQLite migration of the same number.
CREATE TABLE user_exemptions (
	org_id     text COLLATE "C" NOT NULL REFERENCES orgs (id),
	user_id    text COLLATE "C" NOT NULL,
	reason     text NOT NULL,
	created_by text NOT NULL DEFAULT '',
	created_at timestamptz NOT NULL,
	PRIMARY KEY (org_id, user_id)
);

ALTER TABLE org_settings ADD COLUMN max_exemptions integer NOT NULL DEFAULT 5;

-- Servers claim due rows with SELECT … FOR UPDATE SKIP LOCKED and a lease, so that with
-- several servers exactly one runs each due schedule.
CREATE TABLE drift_schedules (
	org_id               text COLLATE "C" PRIMARY KEY REFERENCES orgs (id),
	every_seconds        bigint NOT NULL,
	auto_apply           boolean NOT NULL DEFAULT FALSE,
	max_users_removed    integer NOT NULL DEFAULT 0,
	max_bindings_deleted integer NOT NULL DEFAULT 0,
	next_run_at          timestamptz NOT NULL,
	last_run_at          timestamptz,
	last_result          text,
	lease_owner          text NOT NULL DEFAULT '',
	lease_until          timestamptz,
	updated_at           timestamptz NOT NULL,
	updated_by           text NOT NULL DEFAULT ''
);
CREATE INDEX drift_schedules_due ON drift_schedules (next_run_at);
