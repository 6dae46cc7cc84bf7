-- Users that enforce-groups removed, per org. Every SCIM member add asks whether any of the
-- added users is one of them (an IdP adding a removed user to a group brings it back), and
-- most orgs have none: this index, empty for them, answers that in one probe instead of a
-- lookup of every added user. ReinstateUsers' probe repeats this WHERE clause word for word,
-- which SQLite requires to use a partial index.
CREATE INDEX users_removed ON users (org_id) WHERE removed = 1 AND deleted_at IS NULL;
