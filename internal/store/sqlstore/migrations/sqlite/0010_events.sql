-- Change events (the outbox, store.EventTx) and each org's revision.
--
-- org_revisions holds the org's revision: the Seq of its last event. AppendEvents advances it
-- with an upsert, so orgs created before this migration need no row until their first event.
CREATE TABLE org_revisions (
	org_id   TEXT PRIMARY KEY REFERENCES orgs (id),
	revision INTEGER NOT NULL
) WITHOUT ROWID;

-- One row per event, numbered per org without gaps. (org_id, seq) serves reading in order,
-- the oldest-retained lookup and retention, which deletes a prefix of each org's feed walking
-- it in seq order, so no index on event_time is needed. No foreign key to orgs: the
-- org_revisions row written in the same transaction already proves the org exists, and a
-- 10,000-event append would otherwise check it 10,000 times. A rowid table rather than
-- WITHOUT ROWID: data can be a few kilobytes (effective-role changes), too large to sit in
-- the key's B-tree. The id (a UUIDv7) is not indexed: events are found by (org_id, seq).
CREATE TABLE events (
	org_id     TEXT NOT NULL,
	seq        INTEGER NOT NULL,
	id         TEXT NOT NULL,
	type       TEXT NOT NULL,
	subject    TEXT NOT NULL DEFAULT '',
	event_time INTEGER NOT NULL,
	actor      TEXT NOT NULL DEFAULT '',
	request_id TEXT NOT NULL DEFAULT '',
	data       TEXT
);
CREATE UNIQUE INDEX events_org_seq ON events (org_id, seq);
