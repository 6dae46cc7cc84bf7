-- 0005: re-key case-insensitive text under rolecall's one folding (package fold: Unicode
-- canonical caseless matching, NFC result) instead of Go's strings.ToLower. The *_lower
-- columns of orgs, users (userName, displayName), user_emails, groups, service_accounts,
-- resources and tokens are recomputed in Go by the step registered for this version in
-- migrate.go (goSteps), in this migration's transaction: SQL cannot compute the folding.
-- Only non-ASCII values change. Where two existing rows become look-alikes under the new
-- folding (a composed and a decomposed "josé"), the later one keeps its old key, so both
-- stay reachable by id and the first by name; every new one of that name conflicts.
SELECT 1;
