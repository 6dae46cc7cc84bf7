package store

import (
	"context"
	"encoding/json"
	"time"
)

// DriftSchedule is an org's schedule of drift reports and, when AutoApply, of enforce-groups
// runs kept within limits. A server runs a due schedule (NextRunAt passed) after claiming its
// lease (ClaimDueSchedules), and records the run with FinishScheduleRun.
type DriftSchedule struct {
	OrgID string
	Every time.Duration
	// AutoApply lets a due run apply enforce-groups when the plan stays within the limits.
	AutoApply bool
	// MaxUsersRemoved and MaxBindingsDeleted are the limits of an automatic apply: a plan
	// that removes more users or deletes more direct bindings is only reported.
	MaxUsersRemoved    int
	MaxBindingsDeleted int
	NextRunAt          time.Time
	// LastRunAt and LastResult record the last run (nil before the first).
	LastRunAt  *time.Time
	LastResult json.RawMessage
	// LeaseOwner and LeaseUntil name the server running the schedule now, if any.
	LeaseOwner string
	LeaseUntil *time.Time
	UpdatedAt  time.Time
	UpdatedBy  string
}

// ScheduleTx stores drift schedules.
type ScheduleTx interface {
	// DriftSchedule returns the org's schedule; ErrNotFound when it has none.
	DriftSchedule(ctx context.Context, orgID string) (DriftSchedule, error)
	// PutDriftSchedule creates or replaces the org's schedule settings (Every, AutoApply,
	// the limits, NextRunAt, UpdatedAt, UpdatedBy). The last run is kept; the lease is freed,
	// so that a run still going under the old settings cannot record itself (FinishScheduleRun
	// answers ErrConflict and its transaction rolls back): the new settings win.
	PutDriftSchedule(ctx context.Context, s DriftSchedule) error
	// DeleteDriftSchedule turns the org's schedule off; ErrNotFound when it has none.
	DeleteDriftSchedule(ctx context.Context, orgID string) error
	// ClaimDueSchedules takes the lease of up to limit schedules, of any org, that are due at
	// now (NextRunAt <= now) and whose lease is free or expired: it sets LeaseOwner = owner and
	// LeaseUntil = until and returns them. Two transactions claiming at once never claim the
	// same schedule (PostgreSQL: FOR UPDATE SKIP LOCKED; SQLite: one writer).
	ClaimDueSchedules(ctx context.Context, now time.Time, owner string, until time.Time, limit int) ([]DriftSchedule, error)
	// FinishScheduleRun records a run of the org's schedule by the lease holder: LastRunAt,
	// LastResult, NextRunAt, and frees the lease. ErrConflict when owner does not hold the
	// lease (it expired and another server took it, or the schedule was replaced);
	// ErrNotFound when the schedule is gone.
	FinishScheduleRun(ctx context.Context, orgID, owner string, ranAt, next time.Time, result json.RawMessage) error
}
