package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"

	"github.com/rolecall/rolecall/internal/store"
)

const resourceCols = "id, org_id, kind, name, COALESCE(parent_id, ''), public, created_at"

func scanResource(sc interface{ Scan(...any) error }) (store.Resource, error) {
	var r store.Resource
	err := sc.Scan(resourceDest(&r)...)
	return r, err
}

// resourceDest is the scan destination of resourceCols.
func resourceDest(r *store.Resource) []any {
	return []any{&r.ID, &r.OrgID, &r.Kind, &r.Name, &r.ParentID, &r.Public, timeCol{&r.CreatedAt}}
}

func nullable(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// CreateResource creates a cloud, or a project in a cloud of the same org.
func (t *tx) CreateResource(ctx context.Context, r store.Resource) (store.Resource, error) {
	if err := t.writableIn(ctx, "CreateResource", r.OrgID); err != nil {
		return store.Resource{}, err
	}
	what := fmt.Sprintf("%s %q", r.Kind, r.Name)
	if strings.TrimSpace(r.Name) == "" {
		return store.Resource{}, fmt.Errorf("%w: %s name is empty", store.ErrInvalid, r.Kind)
	}
	switch r.Kind {
	case store.KindCloud:
		if r.ParentID != "" {
			return store.Resource{}, fmt.Errorf("%w: cloud %q cannot have a parent", store.ErrInvalid, r.Name)
		}
		if r.Public {
			return store.Resource{}, fmt.Errorf("%w: cloud %q cannot be public: only projects have a visibility", store.ErrInvalid, r.Name)
		}
	case store.KindProject:
		if r.ParentID == "" {
			return store.Resource{}, fmt.Errorf("%w: project %q needs a cloud", store.ErrInvalid, r.Name)
		}
	default:
		return store.Resource{}, fmt.Errorf("%w: resource kind %q (want cloud or project)", store.ErrInvalid, r.Kind)
	}
	if err := t.orgExists(ctx, r.OrgID); err != nil {
		return store.Resource{}, err
	}
	if r.Kind == store.KindProject {
		var kind string
		err := t.one(ctx, "SELECT kind FROM resources WHERE org_id = $1 AND id = $2"+t.d.forShare,
			[]any{r.OrgID, r.ParentID}, &kind)
		if errors.Is(err, sql.ErrNoRows) {
			return store.Resource{}, fmt.Errorf("%w: cloud %q of project %q", store.ErrNotFound, r.ParentID, r.Name)
		}
		if err != nil {
			return store.Resource{}, t.d.mapErr(err, what)
		}
		if kind != string(store.KindCloud) {
			return store.Resource{}, fmt.Errorf("%w: project %q: parent %q is a %s, not a cloud", store.ErrInvalid, r.Name, r.ParentID, kind)
		}
	}
	if r.ID == "" {
		r.ID = newID()
	}
	r.CreatedAt = norm(r.CreatedAt)
	n, err := t.exec(ctx, `INSERT INTO resources (id, org_id, kind, name, name_lower, parent_id, public, created_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT DO NOTHING`,
		r.ID, r.OrgID, string(r.Kind), r.Name, fold(r.Name), nullable(r.ParentID), r.Public, t.d.t(r.CreatedAt))
	if err != nil {
		return store.Resource{}, t.d.mapErr(err, what)
	}
	if n == 0 {
		return store.Resource{}, fmt.Errorf("%w: %s (name taken)", store.ErrConflict, what)
	}
	return r, nil
}

func (t *tx) getResource(ctx context.Context, what, where string, args ...any) (store.Resource, error) {
	if err := t.ready(); err != nil {
		return store.Resource{}, err
	}
	var r store.Resource
	err := t.one(ctx, "SELECT "+resourceCols+" FROM resources WHERE org_id = $1 AND "+where, args, resourceDest(&r)...)
	if errors.Is(err, sql.ErrNoRows) {
		return store.Resource{}, fmt.Errorf("%w: %s", store.ErrNotFound, what)
	}
	if err != nil {
		return store.Resource{}, t.d.mapErr(err, what)
	}
	return r, nil
}

// Resource returns a resource by id.
func (t *tx) Resource(ctx context.Context, orgID, id string) (store.Resource, error) {
	return t.getResource(ctx, fmt.Sprintf("resource %q", id), "id = $2", orgID, id)
}

// ResourceByName finds a resource by kind and name, case-insensitively.
func (t *tx) ResourceByName(ctx context.Context, orgID string, kind store.ResourceKind, name string) (store.Resource, error) {
	return t.getResource(ctx, fmt.Sprintf("%s %q", kind, name), "kind = $2 AND name_lower = $3", orgID, string(kind), fold(name))
}

// OrgResource returns the org's organization resource.
func (t *tx) OrgResource(ctx context.Context, orgID string) (store.Resource, error) {
	return t.getResource(ctx, fmt.Sprintf("organization resource of org %q", orgID), "kind = $2", orgID, string(store.KindOrganization))
}

// ListResources lists resources of a kind ("" = all), optionally under parentID, ordered
// organization, clouds, projects, then by name.
func (t *tx) ListResources(ctx context.Context, orgID string, kind store.ResourceKind, parentID string) ([]store.Resource, error) {
	if err := t.ready(); err != nil {
		return nil, err
	}
	q := "SELECT " + resourceCols + " FROM resources WHERE org_id = $1"
	if small, err := t.smallOrg(ctx, orgID); err != nil {
		return nil, err
	} else if small {
		q = "SELECT " + resourceCols + " FROM resources INDEXED BY resources_name WHERE org_id = $1" // orgshare.go
	}
	args := []any{orgID}
	if kind != "" {
		args = append(args, string(kind))
		q += " AND kind = " + ph(len(args))
	}
	if parentID != "" {
		args = append(args, parentID)
		q += " AND parent_id = " + ph(len(args))
	}
	q += " ORDER BY CASE kind WHEN 'organization' THEN 0 WHEN 'cloud' THEN 1 ELSE 2 END, name_lower, name, id"
	rows, err := t.query(ctx, q, args...)
	if err != nil {
		return nil, t.d.mapErr(err, "list resources")
	}
	defer rows.Close()
	out := []store.Resource{}
	for rows.Next() {
		r, err := scanResource(rows)
		if err != nil {
			return nil, t.d.mapErr(err, "list resources")
		}
		out = append(out, r)
	}
	return out, t.d.mapErr(rows.Err(), "list resources")
}

// RenameResource renames a cloud or project.
func (t *tx) RenameResource(ctx context.Context, orgID, id, name string) (store.Resource, error) {
	if err := t.writableIn(ctx, "RenameResource", orgID); err != nil {
		return store.Resource{}, err
	}
	r, err := t.Resource(ctx, orgID, id)
	if err != nil {
		return store.Resource{}, err
	}
	if r.Kind == store.KindOrganization {
		return store.Resource{}, fmt.Errorf("%w: the organization resource cannot be renamed", store.ErrInvalid)
	}
	if strings.TrimSpace(name) == "" {
		return store.Resource{}, fmt.Errorf("%w: %s name is empty", store.ErrInvalid, r.Kind)
	}
	taken, err := t.exists(ctx, "SELECT 1 FROM resources WHERE org_id = $1 AND kind = $2 AND name_lower = $3 AND id <> $4",
		orgID, string(r.Kind), fold(name), id)
	if err != nil {
		return store.Resource{}, t.d.mapErr(err, fmt.Sprintf("%s %q", r.Kind, name))
	}
	if taken {
		return store.Resource{}, fmt.Errorf("%w: %s %q (name taken)", store.ErrConflict, r.Kind, name)
	}
	if _, err := t.exec(ctx, "UPDATE resources SET name = $3, name_lower = $4 WHERE org_id = $1 AND id = $2",
		orgID, id, name, fold(name)); err != nil {
		return store.Resource{}, t.d.mapErr(err, fmt.Sprintf("%s %q", r.Kind, name))
	}
	r.Name = name
	return r, nil
}

// SetResourcePublic makes a project public or private.
func (t *tx) SetResourcePublic(ctx context.Context, orgID, id string, public bool) (store.Resource, error) {
	if err := t.writableIn(ctx, "SetResourcePublic", orgID); err != nil {
		return store.Resource{}, err
	}
	r, err := t.Resource(ctx, orgID, id)
	if err != nil {
		return store.Resource{}, err
	}
	if r.Kind != store.KindProject {
		return store.Resource{}, fmt.Errorf("%w: %s %q has no visibility: only projects are public or private", store.ErrInvalid, r.Kind, r.Name)
	}
	if r.Public == public {
		return r, nil
	}
	if _, err := t.exec(ctx, "UPDATE resources SET public = $3 WHERE org_id = $1 AND id = $2", orgID, id, public); err != nil {
		return store.Resource{}, t.d.mapErr(err, fmt.Sprintf("project %q", r.Name))
	}
	r.Public = public
	return r, nil
}

// DeleteResource deletes a cloud or project and its bindings; a cloud with projects is
// ErrInvalid.
func (t *tx) DeleteResource(ctx context.Context, orgID, id string) (store.Resource, error) {
	if err := t.writableIn(ctx, "DeleteResource", orgID); err != nil {
		return store.Resource{}, err
	}
	r, err := t.Resource(ctx, orgID, id)
	if err != nil {
		return store.Resource{}, err
	}
	what := fmt.Sprintf("%s %q", r.Kind, r.Name)
	switch r.Kind {
	case store.KindOrganization:
		return store.Resource{}, fmt.Errorf("%w: the organization resource cannot be deleted", store.ErrInvalid)
	case store.KindCloud:
		has, err := t.exists(ctx, "SELECT 1 FROM resources WHERE org_id = $1 AND parent_id = $2", orgID, id)
		if err != nil {
			return store.Resource{}, t.d.mapErr(err, what)
		}
		if has {
			return store.Resource{}, fmt.Errorf("%w: cloud %q still has projects: delete them first", store.ErrInvalid, r.Name)
		}
	}
	if _, err := t.exec(ctx, "DELETE FROM bindings WHERE org_id = $1 AND resource_id = $2", orgID, id); err != nil {
		return store.Resource{}, t.d.mapErr(err, what)
	}
	if _, err := t.exec(ctx, "DELETE FROM resources WHERE org_id = $1 AND id = $2", orgID, id); err != nil {
		return store.Resource{}, t.d.mapErr(err, what)
	}
	return r, nil
}
