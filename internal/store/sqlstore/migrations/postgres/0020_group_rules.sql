-- Group → role rules (issue 18): an org's ordered rules that bind roles to IdP groups, the
-- rule that made a binding (NULL for a manual grant), and the restore point of every rule
-- change (the rule set before and the binding changes applied, so that undo puts both back).
CREATE TABLE group_rules (
	org_id        text COLLATE "C" NOT NULL REFERENCES orgs(id),
	id            text COLLATE "C" NOT NULL,
	position      bigint NOT NULL,
	name          text COLLATE "C" NOT NULL,
	match_kind    text COLLATE "C" NOT NULL,
	value         text COLLATE "C" NOT NULL,
	resource_kind text COLLATE "C" NOT NULL DEFAULT '',
	resource_name text COLLATE "C" NOT NULL DEFAULT '',
	role          text COLLATE "C" NOT NULL DEFAULT '',
	created_at    timestamptz NOT NULL,
	created_by    text COLLATE "C" NOT NULL DEFAULT '',
	updated_at    timestamptz NOT NULL,
	updated_by    text COLLATE "C" NOT NULL DEFAULT '',
	PRIMARY KEY (org_id, id)
);

ALTER TABLE bindings ADD COLUMN rule_id text COLLATE "C";
-- Rule-made bindings are few beside manual ones in most orgs, and are read by rule (delete a
-- rule, reconcile): a partial index keeps manual grants out of it.
CREATE INDEX bindings_rule ON bindings (org_id, rule_id) WHERE rule_id IS NOT NULL;

CREATE TABLE rule_changes (
	seq         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	id          text COLLATE "C" NOT NULL UNIQUE,
	org_id      text COLLATE "C" NOT NULL REFERENCES orgs(id),
	created_at  timestamptz NOT NULL,
	actor       text COLLATE "C" NOT NULL,
	action      text COLLATE "C" NOT NULL,
	summary     text COLLATE "C" NOT NULL DEFAULT '',
	fingerprint text COLLATE "C" NOT NULL,
	old_rules   text COLLATE "C" NOT NULL,
	new_rules   text COLLATE "C" NOT NULL,
	changes     text COLLATE "C" NOT NULL,
	undo_of     text COLLATE "C" NOT NULL DEFAULT '',
	undone_at   timestamptz,
	undone_by   text COLLATE "C" NOT NULL DEFAULT ''
);
CREATE INDEX rule_changes_org ON rule_changes (org_id, seq);
