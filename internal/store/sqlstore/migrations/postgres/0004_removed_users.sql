-- Users that enforce-groups removed, per org: see the SQLite migration of the same number.
-- ReinstateUsers probes it before looking up the added users one by one.
CREATE INDEX users_removed ON users (org_id) WHERE removed AND deleted_at IS NULL;
