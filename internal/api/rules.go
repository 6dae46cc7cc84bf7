package api

import (
	"time"

	"github.com/rolecall/rolecall/internal/rules"
)

// The group → role rules documents. A preview travels as the rules package's own
// rules.Preview (its per-user lines are enforce's, so both previews share one shape).

// Rule is a stored group → role rule: GET /api/v1/rules.
type Rule struct {
	ID       string `json:"id"`
	Name     string `json:"name"`
	Position int    `json:"position"`
	// Match is displayName, externalId or pattern; Value what it matches.
	Match string `json:"match"`
	Value string `json:"value"`
	// ResourceKind is organization, cloud or project, or empty when the pattern captures
	// the cloud or project; ResourceName names a fixed cloud or project.
	ResourceKind string `json:"resourceKind,omitempty"`
	ResourceName string `json:"resourceName,omitempty"`
	// Role is the fixed role, or empty when the pattern captures it.
	Role string `json:"role,omitempty"`
	// Description says in one line what the rule does.
	Description string    `json:"description"`
	CreatedAt   time.Time `json:"createdAt"`
	CreatedBy   string    `json:"createdBy,omitempty"`
	UpdatedAt   time.Time `json:"updatedAt"`
	UpdatedBy   string    `json:"updatedBy,omitempty"`
}

// RuleInput is a rule as a client proposes it. ID is optional: a new rule without one gets
// an ID derived from its name, so that a preview and the apply that follows it agree.
// Position is optional too: a new rule goes last, an existing one keeps its place.
type RuleInput struct {
	ID           string `json:"id,omitempty"`
	Name         string `json:"name"`
	Position     *int   `json:"position,omitempty"`
	Match        string `json:"match"`
	Value        string `json:"value"`
	ResourceKind string `json:"resourceKind,omitempty"`
	ResourceName string `json:"resourceName,omitempty"`
	Role         string `json:"role,omitempty"`
}

// RulePatch changes some fields of a rule (PATCH /api/v1/rules/{rule}); absent fields stay.
type RulePatch struct {
	Name         *string `json:"name,omitempty"`
	Position     *int    `json:"position,omitempty"`
	Match        *string `json:"match,omitempty"`
	Value        *string `json:"value,omitempty"`
	ResourceKind *string `json:"resourceKind,omitempty"`
	ResourceName *string `json:"resourceName,omitempty"`
	Role         *string `json:"role,omitempty"`
}

// RuleChangeRequest proposes one rule change; exactly one of Rules, Add, Change or Delete
// is set. The admin API builds it from the route: POST /api/v1/rules/preview and
// POST /api/v1/rules take Rules or Add in the body, PATCH and DELETE /api/v1/rules/{rule}
// take Change and Delete from the path.
type RuleChangeRequest struct {
	// Rules is the whole new rule set, in order (a reorder or a bulk edit).
	Rules []RuleInput `json:"rules,omitempty"`
	// Add is one rule to add.
	Add *RuleInput `json:"add,omitempty"`
	// Change names a rule (ID or name) and Patch what changes in it.
	Change string     `json:"change,omitempty"`
	Patch  *RulePatch `json:"patch,omitempty"`
	// Delete names the rule (ID or name) to delete.
	Delete string `json:"delete,omitempty"`
	// Fingerprint is the preview's fingerprint the admin confirmed; apply refuses
	// (409 stale_plan) when the change would now do something else. Required to apply.
	Fingerprint string `json:"fingerprint,omitempty"`
}

// RulePreview answers a rule-change preview: the preview and the rule set it would store.
type RulePreview struct {
	// Rules is the proposed rule set, in order, with the IDs apply will use.
	Rules   []Rule        `json:"rules"`
	Preview rules.Preview `json:"preview"`
}

// RuleApplyResult answers an applied rule change.
type RuleApplyResult struct {
	// Applied is false when the change changed nothing (same rules, no binding to change):
	// no change is recorded.
	Applied bool `json:"applied"`
	// Change is the recorded change (its restore point); null when Applied is false.
	Change *RuleChange `json:"change"`
	// Rules is the org's rule set afterwards.
	Rules   []Rule        `json:"rules"`
	Preview rules.Preview `json:"preview"`
}

// RuleChange is a recorded rule change: GET /api/v1/rules/changes.
type RuleChange struct {
	ID        string    `json:"id"`
	CreatedAt time.Time `json:"createdAt"`
	Actor     string    `json:"actor"`
	// Action is the audit action: rule.added, rule.changed, rule.deleted, rule.replaced,
	// rule.undone.
	Action      string `json:"action"`
	Summary     string `json:"summary"`
	Fingerprint string `json:"fingerprint"`
	// UndoOf names the change an undo undid.
	UndoOf          string     `json:"undoOf,omitempty"`
	BindingsAdded   int        `json:"bindingsAdded"`
	BindingsRemoved int        `json:"bindingsRemoved"`
	BindingsMoved   int        `json:"bindingsMoved"`
	UndoneAt        *time.Time `json:"undoneAt,omitempty"`
	UndoneBy        string     `json:"undoneBy,omitempty"`
}

// RulePatchRequest is the body of PATCH /api/v1/rules/{rule}: the fields to change and the
// fingerprint of the preview confirmed (the same request with ?dryRun=true answers it).
type RulePatchRequest struct {
	RulePatch
	Fingerprint string `json:"fingerprint,omitempty"`
}
