package store

import (
	"context"
	"time"
)

// CustomAction is an organization's own decision action (AuthZEN): a name a platform chose
// ("deploy") and the minimum role it needs on each kind of resource, as a role name
// ("owner", "collaborator", "readonly") or "" where the action is not defined. Names are
// unique per org and compared exactly (they are identifiers, not names people type).
type CustomAction struct {
	OrgID        string
	Name         string
	Organization string
	Cloud        string
	Project      string
	UpdatedAt    time.Time
}

// ActionTx stores custom actions.
type ActionTx interface {
	// CustomActions lists the org's custom actions by name.
	CustomActions(ctx context.Context, orgID string) ([]CustomAction, error)
	// PutCustomAction creates or replaces the action of that name; created says which.
	PutCustomAction(ctx context.Context, a CustomAction) (created bool, err error)
	// DeleteCustomAction deletes the named action; ErrNotFound when there is none.
	DeleteCustomAction(ctx context.Context, orgID, name string) error
}
