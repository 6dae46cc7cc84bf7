package store

import (
	"context"
	"time"
)

// ResourceKind is the kind of a resource that roles are granted on.
type ResourceKind string

// Resource kinds.
const (
	KindOrganization ResourceKind = "organization"
	KindCloud        ResourceKind = "cloud"
	KindProject      ResourceKind = "project"
)

// Resource is the organization itself, a cloud, or a project (in exactly one cloud). Names
// are unique per org and kind, case-insensitively: enforce-groups output names resources by
// name, so a name must mean one thing.
type Resource struct {
	OrgID    string
	ID       string
	Kind     ResourceKind
	Name     string
	ParentID string // a project's cloud; empty otherwise
	// Public marks a public project: every principal holding a role on its cloud is an
	// implicit collaborator on it. Projects are private unless created public; clouds and
	// the organization are never public.
	Public    bool
	CreatedAt time.Time
}

// ResourceTx reads and writes clouds and projects. The organization resource is created with
// the org and cannot be renamed or deleted here.
type ResourceTx interface {
	// CreateResource creates a cloud or a project. ErrConflict when the name is taken;
	// ErrNotFound when a project's cloud does not exist; ErrInvalid for a bad kind/parent or
	// a public cloud.
	CreateResource(ctx context.Context, r Resource) (Resource, error)
	Resource(ctx context.Context, orgID, id string) (Resource, error)
	ResourceByName(ctx context.Context, orgID string, kind ResourceKind, name string) (Resource, error)
	// OrgResource returns the org's organization resource.
	OrgResource(ctx context.Context, orgID string) (Resource, error)
	// ListResources lists resources of a kind ("" = all), optionally only those under
	// parentID, ordered by kind then name.
	ListResources(ctx context.Context, orgID string, kind ResourceKind, parentID string) ([]Resource, error)
	RenameResource(ctx context.Context, orgID, id, name string) (Resource, error)
	// SetResourcePublic makes a project public or private and returns it. ErrNotFound for
	// an unknown resource; ErrInvalid for a cloud or the organization (only projects have a
	// visibility).
	SetResourcePublic(ctx context.Context, orgID, id string, public bool) (Resource, error)
	// DeleteResource deletes a cloud or project and its bindings. A cloud that still has
	// projects → ErrInvalid (delete them first: deleting access silently is not a side effect
	// anyone wants).
	DeleteResource(ctx context.Context, orgID, id string) (Resource, error)
}
