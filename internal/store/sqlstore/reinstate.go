package sqlstore

import (
	"context"
	"fmt"
)

// ReinstateUsers clears the removed mark of those of ids that enforce-groups removed and
// gives them back the active flag their stored document holds (the IdP's latest word), in
// one statement per chunk of ids, and returns the ids it reinstated.
func (t *tx) ReinstateUsers(ctx context.Context, orgID string, ids []string) ([]string, error) {
	if err := t.writableIn(ctx, "ReinstateUsers", orgID); err != nil {
		return nil, err
	}
	// Only enforce-groups removes users, and most orgs have none: one probe of the
	// users_removed partial index (migration 0004) spares every member add the lookup of
	// each added user.
	some, err := t.exists(ctx, "SELECT 1 FROM users WHERE org_id = $1 AND "+t.d.removedLive()+" LIMIT 1", orgID)
	if err != nil || !some {
		return nil, t.d.mapErr(err, "reinstate users")
	}
	var out []string
	err = chunks(dedupe(ids), listBatch, func(part []string) error {
		rows, err := t.query(ctx, `UPDATE users SET removed = $3, active = `+t.d.docActive()+`, version = version + 1, last_modified = $5
			WHERE org_id = $1 AND removed = $4 AND deleted_at IS NULL AND id IN `+t.d.list(2)+`
			RETURNING id`, orgID, t.d.listArg(part), false, true, t.d.t(now()))
		if err != nil {
			return t.d.mapErr(err, "reinstate users")
		}
		defer rows.Close()
		for rows.Next() {
			var id string
			if err := rows.Scan(&id); err != nil {
				return t.d.mapErr(err, "reinstate users")
			}
			out = append(out, id)
		}
		return t.d.mapErr(rows.Err(), fmt.Sprintf("reinstate %d users", len(part)))
	})
	return out, err
}
