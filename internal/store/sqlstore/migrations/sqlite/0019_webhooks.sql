-- Webhook endpoints (issue 16, store.WebhookTx): one row per endpoint with its delivery
-- state (cursor, attempts, backoff) and its lease. types and secrets are JSON arrays: read
-- whole with the row, never queried. lease_owner/lease_until: the dispatcher that is
-- delivering to it and until when (NULL: free).
CREATE TABLE webhooks (
	org_id            TEXT NOT NULL REFERENCES orgs (id),
	id                TEXT NOT NULL,
	url               TEXT NOT NULL,
	description       TEXT NOT NULL DEFAULT '',
	types             TEXT NOT NULL DEFAULT '[]',
	enabled           INTEGER NOT NULL,
	disabled_reason   TEXT NOT NULL DEFAULT '',
	secrets           TEXT NOT NULL DEFAULT '[]',
	created_at        INTEGER NOT NULL,
	created_by        TEXT NOT NULL DEFAULT '',
	updated_at        INTEGER NOT NULL,
	cursor            INTEGER NOT NULL,
	attempts          INTEGER NOT NULL DEFAULT 0,
	next_attempt_at   INTEGER NOT NULL,
	failing_since     INTEGER,
	last_delivered_at INTEGER,
	lease_owner       TEXT,
	lease_until       INTEGER,
	PRIMARY KEY (org_id, id)
);
-- LeaseWebhooks scans the enabled endpoints that are due; few rows, but every server polls it
-- every second.
CREATE INDEX webhooks_due ON webhooks (next_attempt_at) WHERE enabled;

-- The delivery log: one row per attempt, paged newest first per endpoint, pruned by age.
CREATE TABLE webhook_attempts (
	id          INTEGER PRIMARY KEY AUTOINCREMENT,
	org_id      TEXT NOT NULL,
	endpoint_id TEXT NOT NULL,
	event_id    TEXT NOT NULL DEFAULT '',
	event_seq   INTEGER NOT NULL DEFAULT 0,
	event_type  TEXT NOT NULL DEFAULT '',
	attempt     INTEGER NOT NULL,
	manual      INTEGER NOT NULL DEFAULT 0,
	at          INTEGER NOT NULL,
	latency_us  INTEGER NOT NULL DEFAULT 0,
	status      INTEGER NOT NULL DEFAULT 0,
	outcome     TEXT NOT NULL,
	error       TEXT NOT NULL DEFAULT '',
	answer      TEXT NOT NULL DEFAULT ''
);
CREATE INDEX webhook_attempts_endpoint ON webhook_attempts (org_id, endpoint_id, id);
CREATE INDEX webhook_attempts_at ON webhook_attempts (at);
