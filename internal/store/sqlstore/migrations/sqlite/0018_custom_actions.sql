-- Custom decision actions (issue 15): an org's own AuthZEN action names, each with the
-- minimum role it needs per kind of resource ('' where it is not defined). Few per org and
-- read whole when a decision index is built, so the primary key is the only index.
CREATE TABLE custom_actions (
	org_id       TEXT NOT NULL REFERENCES orgs(id),
	name         TEXT NOT NULL,
	organization TEXT NOT NULL DEFAULT '',
	cloud        TEXT NOT NULL DEFAULT '',
	project      TEXT NOT NULL DEFAULT '',
	updated_at   INTEGER NOT NULL,
	PRIMARY KEY (org_id, name)
);
