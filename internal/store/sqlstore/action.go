package sqlstore

import (
	"context"
	"fmt"
	"strings"

	"github.com/rolecall/rolecall/internal/store"
)

// CustomActions lists the org's custom decision actions by name.
func (t *tx) CustomActions(ctx context.Context, orgID string) ([]store.CustomAction, error) {
	if err := t.ready(); err != nil {
		return nil, err
	}
	rows, err := t.query(ctx, `SELECT name, organization, cloud, project, updated_at FROM custom_actions
		WHERE org_id = $1 ORDER BY name`, orgID)
	if err != nil {
		return nil, t.d.mapErr(err, "custom actions")
	}
	defer rows.Close()
	out := []store.CustomAction{}
	for rows.Next() {
		a := store.CustomAction{OrgID: orgID}
		if err := rows.Scan(&a.Name, &a.Organization, &a.Cloud, &a.Project, timeCol{&a.UpdatedAt}); err != nil {
			return nil, t.d.mapErr(err, "custom actions")
		}
		out = append(out, a)
	}
	return out, t.d.mapErr(rows.Err(), "custom actions")
}

// PutCustomAction creates or replaces a custom action.
func (t *tx) PutCustomAction(ctx context.Context, a store.CustomAction) (bool, error) {
	if err := t.writableIn(ctx, "PutCustomAction", a.OrgID); err != nil {
		return false, err
	}
	if strings.TrimSpace(a.Name) == "" {
		return false, fmt.Errorf("%w: custom action name is empty", store.ErrInvalid)
	}
	if err := t.orgExists(ctx, a.OrgID); err != nil {
		return false, err
	}
	a.UpdatedAt = norm(a.UpdatedAt)
	n, err := t.exec(ctx, `UPDATE custom_actions SET organization = $3, cloud = $4, project = $5, updated_at = $6
		WHERE org_id = $1 AND name = $2`, a.OrgID, a.Name, a.Organization, a.Cloud, a.Project, t.d.t(a.UpdatedAt))
	if err != nil {
		return false, t.d.mapErr(err, "custom action "+a.Name)
	}
	if n > 0 {
		return false, nil
	}
	_, err = t.exec(ctx, `INSERT INTO custom_actions (org_id, name, organization, cloud, project, updated_at)
		VALUES ($1, $2, $3, $4, $5, $6)`, a.OrgID, a.Name, a.Organization, a.Cloud, a.Project, t.d.t(a.UpdatedAt))
	if err != nil {
		return false, t.d.mapErr(err, "custom action "+a.Name)
	}
	return true, nil
}

// DeleteCustomAction deletes a custom action.
func (t *tx) DeleteCustomAction(ctx context.Context, orgID, name string) error {
	if err := t.writableIn(ctx, "DeleteCustomAction", orgID); err != nil {
		return err
	}
	n, err := t.exec(ctx, `DELETE FROM custom_actions WHERE org_id = $1 AND name = $2`, orgID, name)
	if err != nil {
		return t.d.mapErr(err, "custom action "+name)
	}
	if n == 0 {
		return fmt.Errorf("%w: custom action %q", store.ErrNotFound, name)
	}
	return nil
}
