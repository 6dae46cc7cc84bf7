package api

import (
	"time"

	"github.com/rolecall/rolecall/internal/enforce"
)

// The enforce-groups documents. A plan travels as the planner's own enforce.Plan: its JSON
// form is the documented one (docs/enforce-json.md), and roles encode as their names.

// EnforcePreview answers POST /api/v1/enforce/preview.
type EnforcePreview struct {
	// Org is the organization's name (messages name it).
	Org string `json:"org"`
	// GroupsOnly is the org's groups-only setting now.
	GroupsOnly bool         `json:"groupsOnly"`
	Plan       enforce.Plan `json:"plan"`
}

// EnforceApplyRequest is the body of POST /api/v1/enforce/apply.
type EnforceApplyRequest struct {
	// Fingerprint is the plan's fingerprint from the preview the admin confirmed; apply
	// refuses (409 stale_plan) when the organization no longer has it.
	Fingerprint string `json:"fingerprint"`
	// AllowNoOwner lets apply leave the organization without any owner.
	AllowNoOwner bool `json:"allowNoOwner"`
	// EnableGroupsOnly turns on the org's groups-only setting in the same transaction.
	EnableGroupsOnly bool `json:"enableGroupsOnly"`
}

// EnforceApplyResult answers POST /api/v1/enforce/apply.
type EnforceApplyResult struct {
	// Applied is false when the plan was empty: nothing changed and no run was recorded
	// (GroupsOnly may still have been turned on, as asked).
	Applied bool `json:"applied"`
	// RunID names the recorded run (its restore point); empty when Applied is false.
	RunID string `json:"runId"`
	// Run is the recorded run without its plan; null when Applied is false.
	Run *EnforceRun `json:"run"`
	// Plan is what was applied, computed inside the apply transaction.
	Plan enforce.Plan `json:"plan"`
	// GroupsOnly is the org's groups-only setting after apply.
	GroupsOnly bool `json:"groupsOnly"`
}

// EnforceRun is a recorded live run: GET /api/v1/enforce/runs and /runs/{run}.
type EnforceRun struct {
	ID          string    `json:"id"`
	CreatedAt   time.Time `json:"createdAt"`
	Actor       string    `json:"actor"`
	Fingerprint string    `json:"fingerprint"`
	// DeletedBindings and RemovedUsers size the restore point.
	DeletedBindings int        `json:"deletedBindings"`
	RemovedUsers    int        `json:"removedUsers"`
	UndoneAt        *time.Time `json:"undoneAt,omitempty"`
	UndoneBy        string     `json:"undoneBy,omitempty"`
	// Plan is the applied plan; only GET /runs/{run} includes it.
	Plan *enforce.Plan `json:"plan,omitempty"`
	// Undo is what the undo did; only GET /runs/{run} of an undone run includes it.
	Undo *EnforceUndoResult `json:"undo,omitempty"`
}

// Reasons an undo leaves something as it is now.
const (
	// UndoRegranted: an equal binding (resource, principal, role) exists now.
	UndoRegranted = "regranted"
	// UndoResourceGone: the binding's cloud or project was deleted since.
	UndoResourceGone = "resource_gone"
	// UndoPrincipalGone: the binding's user was deleted since.
	UndoPrincipalGone = "principal_gone"
	// UndoUserGone: the removed user was deleted since.
	UndoUserGone = "user_gone"
	// UndoUserChanged: the removed user changed since the run (the IdP reactivated or
	// updated it): its version differs from the one the run left.
	UndoUserChanged = "user_changed"
)

// Status of an item in an undo answer.
const (
	UndoStatusRestored = "restored"
	UndoStatusSkipped  = "skipped"
)

// MaxUndoDetails bounds the item lists of an undo answer; the counts are always complete.
const MaxUndoDetails = 1000

// EnforceUndoResult answers POST /api/v1/enforce/runs/{run}/undo.
type EnforceUndoResult struct {
	RunID            string    `json:"runId"`
	UndoneAt         time.Time `json:"undoneAt"`
	UndoneBy         string    `json:"undoneBy"`
	RestoredBindings int       `json:"restoredBindings"`
	SkippedBindings  int       `json:"skippedBindings"`
	RestoredUsers    int       `json:"restoredUsers"`
	SkippedUsers     int       `json:"skippedUsers"`
	// Bindings lists skipped bindings first, then restored ones, at most MaxUndoDetails.
	Bindings []EnforceUndoBinding `json:"bindings"`
	// Users lists skipped users first, then restored ones, at most MaxUndoDetails.
	Users []EnforceUndoUser `json:"users"`
	// Truncated is true when a list was cut at MaxUndoDetails.
	Truncated bool `json:"truncated"`
	// GroupsOnly is the org's groups-only setting, which undo leaves as it is.
	GroupsOnly bool `json:"groupsOnly"`
}

// EnforceUndoBinding is one binding of a run's restore point and what undo did with it.
type EnforceUndoBinding struct {
	ID            string `json:"id"`
	ResourceID    string `json:"resourceId"`
	ResourceKind  string `json:"resourceKind,omitempty"`
	ResourceName  string `json:"resourceName,omitempty"`
	PrincipalType string `json:"principalType"`
	PrincipalID   string `json:"principalId"`
	PrincipalName string `json:"principalName,omitempty"`
	Role          string `json:"role"`
	Status        string `json:"status"`
	Reason        string `json:"reason,omitempty"`
}

// EnforceUndoUser is one user of a run's restore point and what undo did with it.
type EnforceUndoUser struct {
	ID       string `json:"id"`
	UserName string `json:"userName"`
	// Active is the flag undo restored (the user's flag before the run).
	Active bool   `json:"active"`
	Status string `json:"status"`
	Reason string `json:"reason,omitempty"`
}

// Error codes of enforce-groups (409 answers).
const (
	// CodeStalePlan: the organization changed since the preview; nothing was applied.
	CodeStalePlan = "stale_plan"
	// CodeNoOwner: apply would leave the organization without an owner.
	CodeNoOwner = "no_owner"
	// CodeAlreadyUndone: the run was undone before.
	CodeAlreadyUndone = "already_undone"
)
