-- Webhook endpoints and their delivery log: see the SQLite migration of the same number.
-- LeaseWebhooks locks the rows it picks with FOR UPDATE SKIP LOCKED.
CREATE TABLE webhooks (
	org_id            text COLLATE "C" NOT NULL REFERENCES orgs (id),
	id                text COLLATE "C" NOT NULL,
	url               text NOT NULL,
	description       text NOT NULL DEFAULT '',
	types             text NOT NULL DEFAULT '[]',
	enabled           boolean NOT NULL,
	disabled_reason   text NOT NULL DEFAULT '',
	secrets           text NOT NULL DEFAULT '[]',
	created_at        timestamptz NOT NULL,
	created_by        text NOT NULL DEFAULT '',
	updated_at        timestamptz NOT NULL,
	cursor            bigint NOT NULL,
	attempts          integer NOT NULL DEFAULT 0,
	next_attempt_at   timestamptz NOT NULL,
	failing_since     timestamptz,
	last_delivered_at timestamptz,
	lease_owner       text COLLATE "C",
	lease_until       timestamptz,
	PRIMARY KEY (org_id, id)
);
CREATE INDEX webhooks_due ON webhooks (next_attempt_at) WHERE enabled;

CREATE TABLE webhook_attempts (
	id          bigserial PRIMARY KEY,
	org_id      text COLLATE "C" NOT NULL,
	endpoint_id text COLLATE "C" NOT NULL,
	event_id    text COLLATE "C" NOT NULL DEFAULT '',
	event_seq   bigint NOT NULL DEFAULT 0,
	event_type  text COLLATE "C" NOT NULL DEFAULT '',
	attempt     integer NOT NULL,
	manual      boolean NOT NULL DEFAULT FALSE,
	at          timestamptz NOT NULL,
	latency_us  bigint NOT NULL DEFAULT 0,
	status      integer NOT NULL DEFAULT 0,
	outcome     text NOT NULL,
	error       text NOT NULL DEFAULT '',
	answer      text NOT NULL DEFAULT ''
);
CREATE INDEX webhook_attempts_endpoint ON webhook_attempts (org_id, endpoint_id, id);
CREATE INDEX webhook_attempts_at ON webhook_attempts (at);
