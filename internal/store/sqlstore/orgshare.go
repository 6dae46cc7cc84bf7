package sqlstore

import (
	"context"
)

// Reading one org of a database that holds many.
//
// SQLite's planner knows nothing of tenants: the statistics the first migration installs say
// what is true of one big tenant (org_id selects every row, so reading a whole org is a
// table scan, the fastest way to read 500,000 bindings), and PRAGMA optimize measures them
// again only when a store is closed. With 10,000 small orgs in one file, loading one org's
// state for the decision index then scanned every org's bindings, memberships and resources:
// 15 ms per 20-binding org at 1,500 orgs, growing with the file (BenchmarkManyOrgs in
// service/decisions). PostgreSQL's planner has real statistics and needs none of this.
//
// So the whole-org reads (AllBindings, AllMemberships, ListResources) ask smallOrg and read
// a small org through its indexes, a big one by scanning. "Small" is a fraction of the
// users ever stored: the org's live users (live_counts, kept by triggers) against the users
// table's largest rowid, both one index probe.

// smallShare: an org with fewer than 1/smallShare of the database's users is read through
// its indexes.
const smallShare = 8

// smallOrg reports whether orgID is a small part of an SQLite database (see above); always
// false on PostgreSQL. The answer is cached for the transaction.
func (t *tx) smallOrg(ctx context.Context, orgID string) (bool, error) {
	if t.d.name != dialectSQLite {
		return false, nil
	}
	if v, ok := t.small[orgID]; ok {
		return v, nil
	}
	var users, total int64
	err := t.one(ctx, "SELECT coalesce((SELECT n FROM live_counts WHERE org_id = $1 AND kind = 'user'), 0), "+
		"coalesce((SELECT max(rowid) FROM users), 0)", []any{orgID}, &users, &total)
	if err != nil {
		return false, t.d.mapErr(err, "size of the organization")
	}
	small := users*smallShare < total
	if t.small == nil {
		t.small = map[string]bool{}
	}
	t.small[orgID] = small
	return small, nil
}
