package api

import (
	"encoding/json"
	"time"

	"github.com/rolecall/rolecall/internal/access"
)

// Grant is a role binding: Role on a resource, granted to a principal.
type Grant struct {
	ID            string    `json:"id"`
	Role          string    `json:"role"`
	ResourceKind  string    `json:"resourceKind"`
	ResourceID    string    `json:"resourceId"`
	ResourceName  string    `json:"resourceName"`
	PrincipalType string    `json:"principalType"`
	PrincipalID   string    `json:"principalId"`
	PrincipalName string    `json:"principalName"`
	CreatedAt     time.Time `json:"createdAt"`
	CreatedBy     string    `json:"createdBy,omitempty"`
	// RuleID and RuleName name the group rule that made the grant; empty for a manual one.
	RuleID   string `json:"ruleId,omitempty"`
	RuleName string `json:"ruleName,omitempty"`
	// Note, on creation only, says why the grant gives nothing yet (an inactive or removed
	// user holds nothing until its identity provider reactivates it).
	Note string `json:"note,omitempty"`
	// Replaced, on a creation with replace only, lists the grants of other roles the
	// principal held on the resource and that this grant replaced.
	Replaced []Grant `json:"replaced,omitempty"`
}

// GrantRequest names a grant to create or revoke. Principal and Resource are ids or names
// (userName for users, displayName for groups); Resource is empty for the organization.
type GrantRequest struct {
	Role          string `json:"role"`
	PrincipalType string `json:"principalType"`
	Principal     string `json:"principal"`
	ResourceKind  string `json:"resourceKind"`
	Resource      string `json:"resource,omitempty"`
	// Replace, on a creation, replaces the roles the principal already holds directly on
	// the resource with Role, in one transaction. Without it such a grant is refused (409)
	// with the existing grant named: a principal holds one role per resource.
	Replace bool `json:"replace,omitempty"`
}

// GrantFilter narrows a grant list: by principal, by resource, or both. Empty fields match
// everything.
type GrantFilter struct {
	PrincipalType string
	Principal     string
	ResourceKind  string
	Resource      string
}

// AccessReviewRows is GET /api/v1/access/rows: the access review as one row per principal
// and resource with the source of the role (the CSV export's rows).
type AccessReviewRows = List[access.ReviewRow]

// UserRef names a user and says whether it can hold access.
type UserRef struct {
	ID       string `json:"id"`
	UserName string `json:"userName"`
	Active   bool   `json:"active"`
	Removed  bool   `json:"removed"`
}

// ResourceAccess is a principal's effective role on one resource.
type ResourceAccess struct {
	ResourceID string `json:"resourceId"`
	Kind       string `json:"kind"`
	Name       string `json:"name"`
	// CloudID and Cloud name a project's cloud.
	CloudID string `json:"cloudId,omitempty"`
	Cloud   string `json:"cloud,omitempty"`
	Role    string `json:"role"`
	// Implicit: the role comes only from implicit access: being an org owner (owner
	// everywhere) or, with Public, the project being public and the principal holding a role
	// on its cloud (collaborator).
	Implicit bool `json:"implicit"`
	Public   bool `json:"public,omitempty"`
}

// UserAccess is one user's effective access.
type UserAccess struct {
	User UserRef `json:"user"`
	// HoldsAccess is false for an inactive or removed user: Access is then empty.
	HoldsAccess bool `json:"holdsAccess"`
	// Groups lists the active groups the user belongs to, transitively, by name.
	Groups []GroupRef `json:"groups"`
	// Access lists the organization, then clouds, then projects, each by name.
	Access []ResourceAccess `json:"access"`
}

// Explanation is every source of a user's access to resources.
type Explanation struct {
	User UserRef `json:"user"`
	// HoldsAccess is false for an inactive or removed user: it holds nothing, and the
	// sources say what would apply were it active.
	HoldsAccess bool                  `json:"holdsAccess"`
	Resources   []ResourceExplanation `json:"resources"`
}

// ResourceExplanation is why a user holds (or does not hold) a role on one resource.
type ResourceExplanation struct {
	ResourceID string `json:"resourceId"`
	Kind       string `json:"kind"`
	Name       string `json:"name"`
	// Role is the effective role ("none" when nothing); Implicit when only implicit access
	// gives it (org ownership, or with Public a public project).
	Role     string `json:"role"`
	Implicit bool   `json:"implicit"`
	Public   bool   `json:"public,omitempty"`
	// Visibility is a project's: "private" or "public" (empty for clouds and the org).
	Visibility string `json:"visibility,omitempty"`
	// CloudRole is, on a project, the user's role on the project's cloud (direct or through
	// groups), empty when none. A public project makes it collaborator; on a private project
	// it gives nothing: cloud roles reach projects only through public projects.
	CloudRole string         `json:"cloudRole,omitempty"`
	Sources   []AccessSource `json:"sources"`
}

// AccessSource is one reason for a role: a direct binding, a group binding reached through
// Path (group names from one the user is directly in to the granting group), implicit org
// ownership, or a public project whose cloud the user holds a role on (collaborator).
type AccessSource struct {
	Kind      string   `json:"kind"` // "direct", "group", "implicit_org_owner", "public_project"
	Role      string   `json:"role"`
	GrantID   string   `json:"grantId,omitempty"`
	GroupID   string   `json:"groupId,omitempty"`
	GroupName string   `json:"groupName,omitempty"`
	Path      []string `json:"path,omitempty"`
	// Redundant marks a grant (direct or group) that another source covers for this user on
	// this resource, CoveredBy naming it ("group engineering (owner)"): revoking it would
	// not change the user's role here.
	Redundant bool   `json:"redundant,omitempty"`
	CoveredBy string `json:"coveredBy,omitempty"`
	// RuleID and RuleName name the group rule that made the group's grant ("via group X,
	// bound by rule R"); empty for a manual grant.
	RuleID   string `json:"ruleId,omitempty"`
	RuleName string `json:"ruleName,omitempty"`
}

// AuditEvent is one recorded change.
type AuditEvent struct {
	Seq        int64     `json:"seq"`
	Time       time.Time `json:"time"`
	Actor      string    `json:"actor"`
	Action     string    `json:"action"`
	TargetType string    `json:"targetType"`
	TargetID   string    `json:"targetId"`
	// TargetName is what the target was called when the event was written ("alice@example.com",
	// "collaborator on prod-cloud to bob@example.com"); empty when nothing names it.
	TargetName string `json:"targetName,omitempty"`
	// Target is the target as people read it: type and name, or type and id when unnamed
	// ("user alice@example.com", "grant collaborator on prod-cloud to bob@example.com").
	Target string `json:"target"`
	// Summary is the event in one line ("okta deactivated alice@example.com").
	Summary string `json:"summary"`
	// SubjectType, SubjectID and SubjectName name the principal of a grant event.
	SubjectType string          `json:"subjectType,omitempty"`
	SubjectID   string          `json:"subjectId,omitempty"`
	SubjectName string          `json:"subjectName,omitempty"`
	Before      json.RawMessage `json:"before,omitempty"`
	After       json.RawMessage `json:"after,omitempty"`
	RequestID   string          `json:"requestId,omitempty"`
}

// AuditFilter narrows an audit list. Action is an action, a prefix ending in "." or "*"
// ("enforce."), or a comma-separated list of both. Target is an id or a name (a user's
// userName, a group's, resource's, token's or service account's name): the events about
// that object and, for a principal, the grants to and from it; TargetType narrows what the
// name is looked up as.
type AuditFilter struct {
	Since, Until time.Time
	Actor        string
	Action       string
	TargetType   string
	Target       string
	// After, when set, lists the events after that seq oldest first (a cursor for export)
	// instead of newest first.
	After int64
	Page
}

// Page selects a window of a list: Offset items skipped, at most Limit returned (0: the
// server's default).
type Page struct {
	Offset int
	Limit  int
}

// Paging limits of list endpoints.
const (
	DefaultLimit = 100
	MaxLimit     = 1000
)

// CustomAction is an organization's own decision action (AuthZEN): a name its platform asks
// about ("deploy") and the minimum role it needs on each kind of resource ("owner",
// "collaborator", "readonly"; empty where the action is not defined: asking for it there is
// a deny that says so).
type CustomAction struct {
	Name         string `json:"name"`
	Organization string `json:"organization,omitempty"`
	Cloud        string `json:"cloud,omitempty"`
	Project      string `json:"project,omitempty"`
}
