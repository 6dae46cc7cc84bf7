package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"

	"github.com/rolecall/rolecall/internal/store"
)

// CreateOrg creates the org, its settings row and its organization resource.
func (t *tx) CreateOrg(ctx context.Context, name string) (store.Org, error) {
	if err := t.writable("CreateOrg"); err != nil {
		return store.Org{}, err
	}
	if strings.TrimSpace(name) == "" {
		return store.Org{}, fmt.Errorf("%w: org name is empty", store.ErrInvalid)
	}
	o := store.Org{ID: newID(), Name: name, CreatedAt: now()}
	n, err := t.exec(ctx, `INSERT INTO orgs (id, name, name_lower, created_at) VALUES ($1, $2, $3, $4)
		ON CONFLICT DO NOTHING`, o.ID, o.Name, fold(o.Name), t.d.t(o.CreatedAt))
	if err != nil {
		return store.Org{}, t.d.mapErr(err, fmt.Sprintf("org %q", name))
	}
	if n == 0 {
		return store.Org{}, fmt.Errorf("%w: org %q", store.ErrConflict, name)
	}
	if _, err := t.exec(ctx, `INSERT INTO org_settings (org_id, groups_only, updated_at) VALUES ($1, FALSE, $2)`,
		o.ID, t.d.t(o.CreatedAt)); err != nil {
		return store.Org{}, t.d.mapErr(err, fmt.Sprintf("org %q settings", name))
	}
	if _, err := t.exec(ctx, `INSERT INTO resources (id, org_id, kind, name, name_lower, parent_id, created_at)
		VALUES ($1, $2, $3, $4, $5, NULL, $6)`,
		newID(), o.ID, string(store.KindOrganization), o.Name, fold(o.Name), t.d.t(o.CreatedAt)); err != nil {
		return store.Org{}, t.d.mapErr(err, fmt.Sprintf("org %q resource", name))
	}
	return o, nil
}

const orgCols = "id, name, created_at"

func scanOrg(sc interface{ Scan(...any) error }) (store.Org, error) {
	var o store.Org
	err := sc.Scan(&o.ID, &o.Name, timeCol{&o.CreatedAt})
	return o, err
}

func (t *tx) getOrg(ctx context.Context, what, where string, arg any) (store.Org, error) {
	if err := t.ready(); err != nil {
		return store.Org{}, err
	}
	var o store.Org
	err := t.one(ctx, "SELECT "+orgCols+" FROM orgs WHERE "+where, []any{arg}, &o.ID, &o.Name, timeCol{&o.CreatedAt})
	if errors.Is(err, sql.ErrNoRows) {
		return store.Org{}, fmt.Errorf("%w: org %q", store.ErrNotFound, what)
	}
	if err != nil {
		return store.Org{}, t.d.mapErr(err, fmt.Sprintf("org %q", what))
	}
	return o, nil
}

// Org returns the org with that id.
func (t *tx) Org(ctx context.Context, id string) (store.Org, error) {
	return t.getOrg(ctx, id, "id = $1", id)
}

// OrgByName finds an org by name, case-insensitively.
func (t *tx) OrgByName(ctx context.Context, name string) (store.Org, error) {
	return t.getOrg(ctx, name, "name_lower = $1", fold(name))
}

// ListOrgs lists every org by name.
func (t *tx) ListOrgs(ctx context.Context) ([]store.Org, error) {
	if err := t.ready(); err != nil {
		return nil, err
	}
	rows, err := t.query(ctx, "SELECT "+orgCols+" FROM orgs ORDER BY name_lower, id")
	if err != nil {
		return nil, t.d.mapErr(err, "list orgs")
	}
	defer rows.Close()
	var out []store.Org
	for rows.Next() {
		o, err := scanOrg(rows)
		if err != nil {
			return nil, t.d.mapErr(err, "list orgs")
		}
		out = append(out, o)
	}
	return out, t.d.mapErr(rows.Err(), "list orgs")
}

// Settings returns the org's settings (defaults when never set).
func (t *tx) Settings(ctx context.Context, orgID string) (store.OrgSettings, error) {
	if err := t.ready(); err != nil {
		return store.OrgSettings{}, err
	}
	var s store.OrgSettings
	var groupsOnly sql.NullBool
	var maxExempt sql.NullInt64
	err := t.one(ctx, `SELECT o.id, s.groups_only, s.max_exemptions, s.updated_at FROM orgs o
		LEFT JOIN org_settings s ON s.org_id = o.id WHERE o.id = $1`, []any{orgID},
		&s.OrgID, &groupsOnly, &maxExempt, timeCol{&s.UpdatedAt})
	if errors.Is(err, sql.ErrNoRows) {
		return store.OrgSettings{}, fmt.Errorf("%w: org %q", store.ErrNotFound, orgID)
	}
	if err != nil {
		return store.OrgSettings{}, t.d.mapErr(err, fmt.Sprintf("org %q settings", orgID))
	}
	s.GroupsOnly = groupsOnly.Bool
	s.MaxExemptions = int(maxExempt.Int64)
	if s.MaxExemptions <= 0 {
		s.MaxExemptions = store.DefaultMaxExemptions
	}
	return s, nil
}

// PutSettings replaces the org's settings; a zero UpdatedAt means now, a zero MaxExemptions
// the default.
func (t *tx) PutSettings(ctx context.Context, s store.OrgSettings) error {
	if err := t.writableIn(ctx, "PutSettings", s.OrgID); err != nil {
		return err
	}
	if err := t.orgExists(ctx, s.OrgID); err != nil {
		return err
	}
	if s.MaxExemptions <= 0 {
		s.MaxExemptions = store.DefaultMaxExemptions
	}
	_, err := t.exec(ctx, `INSERT INTO org_settings (org_id, groups_only, max_exemptions, updated_at) VALUES ($1, $2, $3, $4)
		ON CONFLICT (org_id) DO UPDATE SET groups_only = excluded.groups_only, max_exemptions = excluded.max_exemptions,
		updated_at = excluded.updated_at`,
		s.OrgID, s.GroupsOnly, s.MaxExemptions, t.d.t(norm(s.UpdatedAt)))
	return t.d.mapErr(err, fmt.Sprintf("org %q settings", s.OrgID))
}
