package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/rolecall/rolecall/internal/store"
)

// PageKey returns the Seq of user or group id of the org, deleted or not.
func (t *tx) PageKey(ctx context.Context, orgID string, groups bool, id string) (int64, error) {
	if err := t.ready(); err != nil {
		return 0, err
	}
	table, what := "users", fmt.Sprintf("user %q", id)
	if groups {
		table, what = "groups", fmt.Sprintf("group %q", id)
	}
	var seq int64
	err := t.one(ctx, "SELECT seq FROM "+table+" WHERE id = $1 AND org_id = $2", []any{id, orgID}, &seq)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, fmt.Errorf("%w: %s", store.ErrNotFound, what)
	}
	if err != nil {
		return 0, t.d.mapErr(err, what)
	}
	return seq, nil
}
