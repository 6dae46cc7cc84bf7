package store

import (
	"context"
	"encoding/json"
	"time"
)

// GroupRule is a stored group → role rule (package rules validates and evaluates it; the
// store keeps its fields as strings). Match is "displayName", "externalId" or "pattern";
// ResourceKind is "organization", "cloud", "project" or "" (captured by the pattern); Role is
// a role name or "" (captured).
type GroupRule struct {
	OrgID        string
	ID           string
	Position     int
	Name         string
	Match        string
	Value        string
	ResourceKind string
	ResourceName string
	Role         string
	CreatedAt    time.Time
	CreatedBy    string
	UpdatedAt    time.Time
	UpdatedBy    string
}

// RuleChange is the record of one applied rule change and its restore point: the rule set
// before (OldRules) and after (NewRules), and the binding changes applied (Changes, the
// rules package's Changes with the IDs the added bindings got), so that undo can put both
// back. The JSON documents are the service's; the store keeps them as they are.
type RuleChange struct {
	OrgID     string
	ID        string
	CreatedAt time.Time
	Actor     string
	// Action is the audit action of the change (rule.added, rule.deleted, …).
	Action string
	// Summary says in one line what changed, for lists.
	Summary     string
	Fingerprint string
	OldRules    json.RawMessage
	NewRules    json.RawMessage
	Changes     json.RawMessage
	// UndoOf is the change this one undid; "" for a change made by a person.
	UndoOf   string
	UndoneAt *time.Time
	UndoneBy string
}

// RuleTx stores an organization's group rules, which bindings they made, and the restore
// points of rule changes.
type RuleTx interface {
	// GroupRules lists the org's rules by position, then ID.
	GroupRules(ctx context.Context, orgID string) ([]GroupRule, error)
	// ReplaceGroupRules replaces the org's whole rule set with rules (IDs kept, positions as
	// given). Validation is the caller's (package rules); the store refuses an empty ID or
	// name and a repeated ID (ErrInvalid).
	ReplaceGroupRules(ctx context.Context, orgID string, rules []GroupRule) error
	// RuleBindings lists the rule-made bindings of the org, or of one rule when ruleID is
	// not "", in (resource, principal, role) order.
	RuleBindings(ctx context.Context, orgID, ruleID string) ([]Binding, error)
	// SetBindingRule sets the rule that owns binding id; "" makes it manual. ErrNotFound
	// when the binding does not exist.
	SetBindingRule(ctx context.Context, orgID, bindingID, ruleID string) error

	// CreateRuleChange records a rule change (ID and CreatedAt set when empty).
	CreateRuleChange(ctx context.Context, c RuleChange) (RuleChange, error)
	// RuleChange returns a rule change by ID.
	RuleChange(ctx context.Context, orgID, id string) (RuleChange, error)
	// ListRuleChanges lists rule changes newest first, with the total.
	ListRuleChanges(ctx context.Context, orgID string, p Page) ([]RuleChange, int, error)
	// MarkRuleChangeUndone records an undo; ErrConflict when it was undone already.
	MarkRuleChangeUndone(ctx context.Context, orgID, id string, at time.Time, by string) (RuleChange, error)
}
