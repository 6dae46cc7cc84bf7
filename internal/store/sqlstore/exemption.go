package sqlstore

import (
	"context"
	"fmt"

	"github.com/rolecall/rolecall/internal/store"
)

// Exemptions lists the exemptions of the org's live users by userName.
func (t *tx) Exemptions(ctx context.Context, orgID string) ([]store.Exemption, error) {
	if err := t.ready(); err != nil {
		return nil, err
	}
	rows, err := t.query(ctx, `SELECT e.user_id, u.user_name, e.reason, e.created_by, e.created_at
		FROM user_exemptions e JOIN users u ON u.org_id = e.org_id AND u.id = e.user_id AND u.deleted_at IS NULL
		WHERE e.org_id = $1 ORDER BY u.user_name_lower, u.id`, orgID)
	if err != nil {
		return nil, t.d.mapErr(err, "exemptions")
	}
	defer rows.Close()
	out := []store.Exemption{}
	for rows.Next() {
		e := store.Exemption{OrgID: orgID}
		if err := rows.Scan(&e.UserID, &e.UserName, &e.Reason, &e.CreatedBy, timeCol{&e.CreatedAt}); err != nil {
			return nil, t.d.mapErr(err, "exemptions")
		}
		out = append(out, e)
	}
	return out, t.d.mapErr(rows.Err(), "exemptions")
}

// PutExemption creates or replaces a live user's exemption. It changes what an enforce plan
// is computed from, so it takes the org's shared lock like every such write.
func (t *tx) PutExemption(ctx context.Context, e store.Exemption) (bool, error) {
	if err := t.writableIn(ctx, "PutExemption", e.OrgID); err != nil {
		return false, err
	}
	what := fmt.Sprintf("exemption of user %q", e.UserID)
	live, err := t.exists(ctx, "SELECT 1 FROM users WHERE org_id = $1 AND id = $2 AND deleted_at IS NULL", e.OrgID, e.UserID)
	if err != nil {
		return false, t.d.mapErr(err, what)
	}
	if !live {
		return false, fmt.Errorf("%w: user %q", store.ErrNotFound, e.UserID)
	}
	at := t.d.t(norm(e.CreatedAt))
	n, err := t.exec(ctx, `UPDATE user_exemptions SET reason = $3, created_by = $4, created_at = $5
		WHERE org_id = $1 AND user_id = $2`, e.OrgID, e.UserID, e.Reason, e.CreatedBy, at)
	if err != nil {
		return false, t.d.mapErr(err, what)
	}
	if n > 0 {
		return false, nil
	}
	_, err = t.exec(ctx, `INSERT INTO user_exemptions (org_id, user_id, reason, created_by, created_at)
		VALUES ($1, $2, $3, $4, $5)`, e.OrgID, e.UserID, e.Reason, e.CreatedBy, at)
	if err != nil {
		return false, t.d.mapErr(err, what)
	}
	return true, nil
}

// DeleteExemption deletes a user's exemption.
func (t *tx) DeleteExemption(ctx context.Context, orgID, userID string) error {
	if err := t.writableIn(ctx, "DeleteExemption", orgID); err != nil {
		return err
	}
	n, err := t.exec(ctx, `DELETE FROM user_exemptions WHERE org_id = $1 AND user_id = $2`, orgID, userID)
	if err != nil {
		return t.d.mapErr(err, fmt.Sprintf("exemption of user %q", userID))
	}
	if n == 0 {
		return fmt.Errorf("%w: exemption of user %q", store.ErrNotFound, userID)
	}
	return nil
}
