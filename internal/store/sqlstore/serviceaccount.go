package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"

	"github.com/rolecall/rolecall/internal/store"
)

const saCols = "id, org_id, name, created_at"

// CreateServiceAccount creates a service account; its name is unique in the org,
// case-insensitively.
func (t *tx) CreateServiceAccount(ctx context.Context, sa store.ServiceAccount) (store.ServiceAccount, error) {
	if err := t.writableIn(ctx, "CreateServiceAccount", sa.OrgID); err != nil {
		return store.ServiceAccount{}, err
	}
	what := fmt.Sprintf("service account %q", sa.Name)
	if strings.TrimSpace(sa.Name) == "" {
		return store.ServiceAccount{}, fmt.Errorf("%w: service account name is empty", store.ErrInvalid)
	}
	if err := t.orgExists(ctx, sa.OrgID); err != nil {
		return store.ServiceAccount{}, err
	}
	if sa.ID == "" {
		sa.ID = newID()
	}
	sa.CreatedAt = norm(sa.CreatedAt)
	n, err := t.exec(ctx, `INSERT INTO service_accounts (id, org_id, name, name_lower, created_at)
		VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING`, sa.ID, sa.OrgID, sa.Name, fold(sa.Name), t.d.t(sa.CreatedAt))
	if err != nil {
		return store.ServiceAccount{}, t.d.mapErr(err, what)
	}
	if n == 0 {
		return store.ServiceAccount{}, fmt.Errorf("%w: %s", store.ErrConflict, what)
	}
	return sa, nil
}

func (t *tx) getSA(ctx context.Context, what, where string, args ...any) (store.ServiceAccount, error) {
	if err := t.ready(); err != nil {
		return store.ServiceAccount{}, err
	}
	var sa store.ServiceAccount
	err := t.one(ctx, "SELECT "+saCols+" FROM service_accounts WHERE org_id = $1 AND "+where, args,
		&sa.ID, &sa.OrgID, &sa.Name, timeCol{&sa.CreatedAt})
	if errors.Is(err, sql.ErrNoRows) {
		return store.ServiceAccount{}, fmt.Errorf("%w: %s", store.ErrNotFound, what)
	}
	if err != nil {
		return store.ServiceAccount{}, t.d.mapErr(err, what)
	}
	return sa, nil
}

// ServiceAccount returns a service account by id.
func (t *tx) ServiceAccount(ctx context.Context, orgID, id string) (store.ServiceAccount, error) {
	return t.getSA(ctx, fmt.Sprintf("service account %q", id), "id = $2", orgID, id)
}

// ServiceAccountByName finds a service account by name, case-insensitively.
func (t *tx) ServiceAccountByName(ctx context.Context, orgID, name string) (store.ServiceAccount, error) {
	return t.getSA(ctx, fmt.Sprintf("service account %q", name), "name_lower = $2", orgID, fold(name))
}

// ListServiceAccounts lists the org's service accounts by name.
func (t *tx) ListServiceAccounts(ctx context.Context, orgID string) ([]store.ServiceAccount, error) {
	if err := t.ready(); err != nil {
		return nil, err
	}
	rows, err := t.query(ctx, "SELECT "+saCols+" FROM service_accounts WHERE org_id = $1 ORDER BY name_lower, id", orgID)
	if err != nil {
		return nil, t.d.mapErr(err, "list service accounts")
	}
	defer rows.Close()
	out := []store.ServiceAccount{}
	for rows.Next() {
		var sa store.ServiceAccount
		if err := rows.Scan(&sa.ID, &sa.OrgID, &sa.Name, timeCol{&sa.CreatedAt}); err != nil {
			return nil, t.d.mapErr(err, "list service accounts")
		}
		out = append(out, sa)
	}
	return out, t.d.mapErr(rows.Err(), "list service accounts")
}

// DeleteServiceAccount deletes a service account and its bindings.
func (t *tx) DeleteServiceAccount(ctx context.Context, orgID, id string) (store.ServiceAccount, error) {
	if err := t.writableIn(ctx, "DeleteServiceAccount", orgID); err != nil {
		return store.ServiceAccount{}, err
	}
	sa, err := t.ServiceAccount(ctx, orgID, id)
	if err != nil {
		return store.ServiceAccount{}, err
	}
	what := fmt.Sprintf("service account %q", sa.Name)
	if _, err := t.exec(ctx, "DELETE FROM bindings WHERE org_id = $1 AND principal_id = $2 AND principal_type = 'service_account'",
		orgID, id); err != nil {
		return store.ServiceAccount{}, t.d.mapErr(err, what)
	}
	if _, err := t.exec(ctx, "DELETE FROM service_accounts WHERE org_id = $1 AND id = $2", orgID, id); err != nil {
		return store.ServiceAccount{}, t.d.mapErr(err, what)
	}
	return sa, nil
}
