package api

import (
	"time"

	"github.com/rolecall/rolecall/internal/enforce"
)

// DriftReport answers GET /api/v1/enforce/drift: what a fresh enforce-groups preview would
// change now, measured against the last applied run.
type DriftReport struct {
	Org         string    `json:"org"`
	GeneratedAt time.Time `json:"generatedAt"`
	// LastRun is the last applied (not undone) enforce run; null when there is none, and
	// then every direct grant counts as new.
	LastRun *EnforceRun `json:"lastRun"`
	// NewDirectGrants are the direct user grants made since LastRun (exempt users' left out:
	// they are listed under Plan.Exempt).
	NewDirectGrants []DriftGrant `json:"newDirectGrants"`
	// UsersWithoutGroups are the users in no active group that enforce-groups would remove
	// (Plan.RemovedUsers).
	UsersWithoutGroups []enforce.RemovedUser `json:"usersWithoutGroups"`
	// UnboundGroups are active groups with active user members whose membership grants
	// nothing: no binding on the group nor on any active group it is nested in.
	UnboundGroups []DriftGroup `json:"unboundGroups"`
	// Plan is the fresh enforce-groups preview (its Exempt section lists exempt users apart).
	Plan    enforce.Plan `json:"plan"`
	Summary DriftSummary `json:"summary"`
}

// DriftGrant is a direct user grant made since the last run.
type DriftGrant struct {
	ID           string    `json:"id"`
	UserID       string    `json:"userId"`
	UserName     string    `json:"userName"`
	Role         string    `json:"role"`
	ResourceKind string    `json:"resourceKind"`
	ResourceID   string    `json:"resourceId"`
	ResourceName string    `json:"resourceName"`
	CreatedAt    time.Time `json:"createdAt"`
	CreatedBy    string    `json:"createdBy"`
}

// DriftGroup is an active group that grants its members nothing.
type DriftGroup struct {
	ID          string `json:"id"`
	DisplayName string `json:"displayName"`
	// ActiveMembers counts its direct members that are active users.
	ActiveMembers int `json:"activeMembers"`
}

// DriftSummary counts the report.
type DriftSummary struct {
	NewDirectGrants    int `json:"newDirectGrants"`
	UsersWithoutGroups int `json:"usersWithoutGroups"`
	UnboundGroups      int `json:"unboundGroups"`
	UsersExempt        int `json:"usersExempt"`
	// UsersChanged and BindingsDeleted are what applying enforce-groups now would do.
	UsersChanged    int `json:"usersChanged"`
	BindingsDeleted int `json:"bindingsDeleted"`
	// Drifted is true when applying enforce-groups now would change anything, or some
	// group binds nothing.
	Drifted bool `json:"drifted"`
}

// DriftSchedule is an org's schedule: GET/PUT /api/v1/enforce/schedule.
type DriftSchedule struct {
	// Every is the interval as a Go duration ("24h0m0s").
	Every string `json:"every"`
	// AutoApply lets a due run apply enforce-groups when the plan stays within the limits.
	AutoApply bool `json:"autoApply"`
	// MaxUsersRemoved and MaxBindingsDeleted are the limits of an automatic apply.
	MaxUsersRemoved    int        `json:"maxUsersRemoved"`
	MaxBindingsDeleted int        `json:"maxBindingsDeleted"`
	NextRunAt          time.Time  `json:"nextRunAt"`
	LastRunAt          *time.Time `json:"lastRunAt,omitempty"`
	// LastResult is what the last run did.
	LastResult *ScheduledRun `json:"lastResult,omitempty"`
	UpdatedAt  time.Time     `json:"updatedAt"`
	UpdatedBy  string        `json:"updatedBy"`
}

// SetDriftScheduleRequest is the body of PUT /api/v1/enforce/schedule.
type SetDriftScheduleRequest struct {
	// Every is a duration ("24h", "30m", "7d"), at least one minute.
	Every              string `json:"every"`
	AutoApply          bool   `json:"autoApply"`
	MaxUsersRemoved    int    `json:"maxUsersRemoved"`
	MaxBindingsDeleted int    `json:"maxBindingsDeleted"`
	// FirstRunIn is when the first run is due, as a duration from now ("0s": at once);
	// empty means one interval from now.
	FirstRunIn string `json:"firstRunIn,omitempty"`
}

// ScheduledRun is what one due run of a schedule did.
type ScheduledRun struct {
	RanAt   time.Time `json:"ranAt"`
	Applied bool      `json:"applied"`
	RunID   string    `json:"runId,omitempty"`
	// Reason says why it did not apply (nothing to change, not opted in, limits exceeded,
	// the organization changed meanwhile).
	Reason  string       `json:"reason,omitempty"`
	Summary DriftSummary `json:"summary"`
}
