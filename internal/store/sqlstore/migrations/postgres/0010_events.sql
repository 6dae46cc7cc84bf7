-- Change events and each org's revision: see the SQLite migration of the same number.
-- The org_revisions row is also the lock that numbers events in commit order: AppendEvents
-- updates it as the last statements of a transaction, so concurrent writers of one org
-- commit one after another in revision order (READ COMMITTED re-reads the row after the
-- previous holder committed).
CREATE TABLE org_revisions (
	org_id   text COLLATE "C" PRIMARY KEY REFERENCES orgs (id),
	revision bigint NOT NULL
);

CREATE TABLE events (
	org_id     text COLLATE "C" NOT NULL,
	seq        bigint NOT NULL,
	id         text COLLATE "C" NOT NULL,
	type       text COLLATE "C" NOT NULL,
	subject    text COLLATE "C" NOT NULL DEFAULT '',
	event_time timestamptz NOT NULL,
	actor      text COLLATE "C" NOT NULL DEFAULT '',
	request_id text COLLATE "C" NOT NULL DEFAULT '',
	data       text COLLATE "C",
	PRIMARY KEY (org_id, seq)
);
