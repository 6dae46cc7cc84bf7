-- Group → role rules (issue 18): an org's ordered rules that bind roles to IdP groups, the
-- rule that made a binding (NULL for a manual grant), and the restore point of every rule
-- change (the rule set before and the binding changes applied, so that undo puts both back).
CREATE TABLE group_rules (
	org_id        TEXT NOT NULL REFERENCES orgs(id),
	id            TEXT NOT NULL,
	position      INTEGER NOT NULL,
	name          TEXT NOT NULL,
	match_kind    TEXT NOT NULL,
	value         TEXT NOT NULL,
	resource_kind TEXT NOT NULL DEFAULT '',
	resource_name TEXT NOT NULL DEFAULT '',
	role          TEXT NOT NULL DEFAULT '',
	created_at    INTEGER NOT NULL,
	created_by    TEXT NOT NULL DEFAULT '',
	updated_at    INTEGER NOT NULL,
	updated_by    TEXT NOT NULL DEFAULT '',
	PRIMARY KEY (org_id, id)
);

ALTER TABLE bindings ADD COLUMN rule_id TEXT;
-- Rule-made bindings are few beside manual ones in most orgs, and are read by rule (delete a
-- rule, reconcile): a partial index keeps manual grants out of it.
CREATE INDEX bindings_rule ON bindings (org_id, rule_id) WHERE rule_id IS NOT NULL;

CREATE TABLE rule_changes (
	seq         INTEGER PRIMARY KEY,
	id          TEXT NOT NULL UNIQUE,
	org_id      TEXT NOT NULL REFERENCES orgs(id),
	created_at  INTEGER NOT NULL,
	actor       TEXT NOT NULL,
	action      TEXT NOT NULL,
	summary     TEXT NOT NULL DEFAULT '',
	fingerprint TEXT NOT NULL,
	old_rules   TEXT NOT NULL,
	new_rules   TEXT NOT NULL,
	changes     TEXT NOT NULL,
	undo_of     TEXT NOT NULL DEFAULT '',
	undone_at   INTEGER,
	undone_by   TEXT NOT NULL DEFAULT ''
);
CREATE INDEX rule_changes_org ON rule_changes (org_id, seq);
