package store

import (
	"context"
	"encoding/json"
	"time"
)

// Run is a live enforce-groups run: its plan and its restore point (the deleted bindings and
// removed users, kept in their own tables so that a 500,000-binding run stays cheap).
type Run struct {
	OrgID           string
	ID              string
	CreatedAt       time.Time
	Actor           string
	Fingerprint     string
	Plan            json.RawMessage
	DeletedBindings int
	RemovedUsers    int
	UndoneAt        *time.Time
	UndoneBy        string
	UndoResult      json.RawMessage
}

// RunUser is a user removed by a run, with what undo needs to put it back and to notice that
// it changed since.
type RunUser struct {
	UserID    string
	UserName  string
	WasActive bool
	// VersionAfter is the user's version right after the removal; a different version at
	// undo time means someone (the IdP) changed the user since, and undo leaves it alone.
	VersionAfter int64
}

// RunTx records and reads enforce-groups runs.
type RunTx interface {
	CreateRun(ctx context.Context, r Run, bindings []Binding, users []RunUser) (Run, error)
	Run(ctx context.Context, orgID, id string) (Run, error)
	// ListRuns lists runs newest first, with the total.
	ListRuns(ctx context.Context, orgID string, p Page) ([]Run, int, error)
	// MoveUserBindings deletes every direct user binding of the org, except those of exempt
	// users (ExemptionTx) that are not removed, and keeps each, exactly
	// as it was, in the restore point of run runID (ErrNotFound unless the run exists), as
	// CreateRun keeps the bindings it is given. It works set-based: a 400,000-binding move
	// never passes the rows through the caller. It adds the number moved to the run's
	// DeletedBindings and returns it.
	MoveUserBindings(ctx context.Context, orgID, runID string) (int, error)
	// RestoreRunBindings inserts the bindings kept in run runID's restore point, with their
	// ID, CreatedAt and CreatedBy, except those whose binding ID is in skip, and returns how
	// many it inserted. ErrNotFound when the run does not exist or one of them names a
	// resource or principal that is not a live object of the org; ErrConflict when one
	// exists (same id or same grant). On error the caller must return it from Update, which
	// rolls everything back.
	RestoreRunBindings(ctx context.Context, orgID, runID string, skip []string) (int, error)
	RunBindings(ctx context.Context, orgID, runID string, fn func(Binding) error) error
	RunUsers(ctx context.Context, orgID, runID string) ([]RunUser, error)
	// MarkRunUndone records an undo; ErrConflict when the run was already undone.
	MarkRunUndone(ctx context.Context, orgID, id string, at time.Time, by string, result json.RawMessage) (Run, error)
}
