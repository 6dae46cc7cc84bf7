-- A readable audit log and the SCIM sync-health signal (issue 17 item 7).
-- audit_events: what the target was called when the event was written (names survive
-- deletes), a one-line summary, and a second reference, the subject: the principal a grant
-- was given to or taken from, so that searching for a user finds the grants to it. Rows
-- written before this migration keep '' and are described from their before/after.
ALTER TABLE audit_events ADD COLUMN target_name TEXT NOT NULL DEFAULT '';
ALTER TABLE audit_events ADD COLUMN summary TEXT NOT NULL DEFAULT '';
ALTER TABLE audit_events ADD COLUMN subject_type TEXT NOT NULL DEFAULT '';
ALTER TABLE audit_events ADD COLUMN subject_id TEXT NOT NULL DEFAULT '';
ALTER TABLE audit_events ADD COLUMN subject_name TEXT NOT NULL DEFAULT '';
CREATE INDEX audit_events_subject ON audit_events (org_id, subject_id, seq);
-- tokens: the last request a token made (method and resource type, e.g. "PATCH /Groups/…"),
-- written together with last_used_at (at most once a minute per token).
ALTER TABLE tokens ADD COLUMN last_request TEXT NOT NULL DEFAULT '';
