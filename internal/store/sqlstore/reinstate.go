package sqlstore

import (
	"context"
	"fmt"

	"github.com/rolecall/rolecall/internal/store"
)

// ReinstateUsers clears the removed mark of those of ids that enforce-groups removed and
// gives each the active flag ownActive returns for it, and returns the ids it reinstated.
// It reads the removed users among ids (with their documents, for ownActive) and then
// writes them in one statement per chunk and flag.
func (t *tx) ReinstateUsers(ctx context.Context, orgID string, ids []string, ownActive func(store.User) bool) ([]string, error) {
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
	// Locked (PostgreSQL) so that the flag decided from a document is written over that
	// document, not over one a concurrent writer committed in between.
	lock, err := t.lockedRead(ctx, "reinstate users", orgID, "u")
	if err != nil {
		return nil, err
	}
	var active, inactive []string
	err = chunks(dedupe(ids), listBatch, func(part []string) error {
		rows, err := t.query(ctx, "SELECT "+userCols+" FROM users u WHERE u.org_id = $1 AND u.removed = $3 AND u.deleted_at IS NULL AND u.id IN "+t.d.list(2)+lock,
			orgID, t.d.listArg(part), true)
		if err != nil {
			return t.d.mapErr(err, "reinstate users")
		}
		defer rows.Close()
		for rows.Next() {
			u, err := scanUser(rows, true)
			if err != nil {
				return t.d.mapErr(err, "reinstate users")
			}
			if ownActive(u) {
				active = append(active, u.ID)
			} else {
				inactive = append(inactive, u.ID)
			}
		}
		return t.d.mapErr(rows.Err(), fmt.Sprintf("reinstate %d users", len(part)))
	})
	if err != nil {
		return nil, err
	}
	out := make([]string, 0, len(active)+len(inactive))
	for _, set := range []struct {
		ids    []string
		active bool
	}{{active, true}, {inactive, false}} {
		err := chunks(set.ids, listBatch, func(part []string) error {
			rows, err := t.query(ctx, `UPDATE users SET removed = $3, active = $4, version = version + 1, last_modified = $5
				WHERE org_id = $1 AND removed = $6 AND deleted_at IS NULL AND id IN `+t.d.list(2)+`
				RETURNING id`, orgID, t.d.listArg(part), false, set.active, t.d.t(now()), true)
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
		if err != nil {
			return out, err
		}
	}
	return out, nil
}
