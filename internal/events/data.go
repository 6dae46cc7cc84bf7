package events

import "time"

// Payloads: the data of each event type (Catalogue says which type carries which). They hold
// names and ids, as a receiver needs them to act without calling back; JSON field names are
// camelCase like the admin API's. Adding a field is a compatible change; renaming or removing
// one is not.

// UserRef names a SCIM user, with the flags that decide whether it holds access (so that a
// reader, such as another server's decision index, can apply the change from the event).
type UserRef struct {
	ID         string `json:"id"`
	UserName   string `json:"userName"`
	ExternalID string `json:"externalId,omitempty"`
	Active     bool   `json:"active"`
	// Removed: enforce-groups removed the user from the org (it holds nothing).
	Removed bool `json:"removed"`
}

// GroupRef names a group. Active is false once it was deactivated or deleted.
type GroupRef struct {
	ID          string `json:"id"`
	DisplayName string `json:"displayName"`
	ExternalID  string `json:"externalId,omitempty"`
	Active      bool   `json:"active"`
}

// MemberRef names a group member: a user or (nested) a group.
type MemberRef struct {
	Type string `json:"type"` // "user" or "group"
	ID   string `json:"id"`
	Name string `json:"name"` // userName or displayName
}

// ResourceRef names the organization, a cloud or a project.
type ResourceRef struct {
	Kind     string `json:"kind"` // "organization", "cloud" or "project"
	ID       string `json:"id"`
	Name     string `json:"name"`
	ParentID string `json:"parentId,omitempty"` // a project's cloud
	// Public marks a public project: every org member reads it, and cloud roles reach it
	// (absent: private, or not a project).
	Public bool `json:"public,omitempty"`
}

// PrincipalRef names who a grant is for: a user, a group or a service account.
type PrincipalRef struct {
	Type string `json:"type"` // "user", "group" or "serviceAccount"
	ID   string `json:"id"`
	Name string `json:"name"`
}

// RoleChange is one change of one user's effective role on one resource, as the
// enforce-groups preview computes it: Before and After are "owner", "collaborator",
// "readonly" or "none". Only real changes are listed.
type RoleChange struct {
	UserID       string `json:"userId"`
	UserName     string `json:"userName"`
	ResourceKind string `json:"resourceKind"`
	ResourceID   string `json:"resourceId"`
	ResourceName string `json:"resourceName"`
	Before       string `json:"before"`
	After        string `json:"after"`
}

// MaxAccessChanges caps AccessChanges.Changes in one event, so that a change reaching a
// whole org (an enforce run, deleting a big group) still makes an event of bounded size.
// Beyond it the list is cut and Omitted says how many were left out; the full picture is in
// the enforce run or from the admin API's access listing.
const MaxAccessChanges = 1000

// AccessChanges is the effect of an access-relevant change on users' effective roles.
type AccessChanges struct {
	Changes []RoleChange `json:"changes"`
	// Omitted counts the changes beyond MaxAccessChanges left out of Changes.
	Omitted int `json:"omitted,omitempty"`
}

// NewAccessChanges returns cs capped at MaxAccessChanges (nil as an empty list).
func NewAccessChanges(cs []RoleChange) AccessChanges {
	if cs == nil {
		cs = []RoleChange{}
	}
	if len(cs) > MaxAccessChanges {
		return AccessChanges{Changes: cs[:MaxAccessChanges], Omitted: len(cs) - MaxAccessChanges}
	}
	return AccessChanges{Changes: cs}
}

// UserData is the data of the user.* events.
type UserData struct {
	User UserRef `json:"user"`
	// Changed lists the SCIM attributes an update changed (user.updated only).
	Changed []string `json:"changed,omitempty"`
	// Access is the effect on the user's roles (deactivated, reactivated, removed, deleted).
	Access *AccessChanges `json:"access,omitempty"`
}

// GroupData is the data of the group.* events.
type GroupData struct {
	Group GroupRef `json:"group"`
	// PreviousName is the displayName before a rename (group.renamed only).
	PreviousName string `json:"previousName,omitempty"`
	// Access is the effect on the roles of the users below the group (group.deleted).
	Access *AccessChanges `json:"access,omitempty"`
}

// MembershipData is the data of membership.added and membership.removed: one member of one
// group (a PATCH of 10,000 members emits 10,000 events).
type MembershipData struct {
	Group  GroupRef  `json:"group"`
	Member MemberRef `json:"member"`
	// Access is the effect on the member's roles, or those of the users below a group
	// member (docs/events.md says which users each event covers).
	Access *AccessChanges `json:"access,omitempty"`
}

// GrantData is the data of grant.created and grant.revoked.
type GrantData struct {
	BindingID string       `json:"bindingId"`
	Role      string       `json:"role"`
	Resource  ResourceRef  `json:"resource"`
	Principal PrincipalRef `json:"principal"`
	// Access is the effect on the user's roles, or those of the users below the group;
	// absent for a service account's grant and for the grants a deletion, an enforce run or
	// a rule change takes or restores (the event that did it carries the change).
	Access *AccessChanges `json:"access,omitempty"`
}

// ResourceData is the data of the resource.* events.
type ResourceData struct {
	Resource ResourceRef `json:"resource"`
	// PreviousName is the name before a rename (resource.renamed only).
	PreviousName string `json:"previousName,omitempty"`
	// Access is the roles gained with a public project created, lost with a deleted
	// resource, or gained or lost with a project's visibility (resource.created of a public
	// project, resource.deleted, resource.visibility_changed).
	Access *AccessChanges `json:"access,omitempty"`
}

// ServiceAccountData is the data of the service_account.* events.
type ServiceAccountData struct {
	ServiceAccount struct {
		ID   string `json:"id"`
		Name string `json:"name"`
	} `json:"serviceAccount"`
	// BindingsDeleted counts the grants that went with a deleted account.
	BindingsDeleted int `json:"bindingsDeleted,omitempty"`
}

// EnforceRunData is the data of enforce.applied and enforce.undone.
type EnforceRunData struct {
	RunID string `json:"runId"`
	// Scheduled is true for a run made by the org's schedule rather than by a person.
	Scheduled bool `json:"scheduled"`
	// BindingsDeleted and UsersRemoved count what the run removed (applied) or what undo
	// restored of it (undone: BindingsRestored, UsersRestored).
	BindingsDeleted  int `json:"bindingsDeleted,omitempty"`
	UsersRemoved     int `json:"usersRemoved,omitempty"`
	BindingsRestored int `json:"bindingsRestored,omitempty"`
	UsersRestored    int `json:"usersRestored,omitempty"`
	// Access is the effect on the roles of the users the run keeps (applied) or gives
	// back (undone).
	Access *AccessChanges `json:"access,omitempty"`
}

// Settings are the org settings an event reports.
type Settings struct {
	GroupsOnly bool `json:"groupsOnly"`
	// MaxExemptions is how many users may be exempt from enforce-groups.
	MaxExemptions int `json:"maxExemptions,omitempty"`
}

// ExemptionData is the data of user.exempted and user.unexempted.
type ExemptionData struct {
	User UserRef `json:"user"`
	// Reason is why the user is (or was) exempt, as the admin gave it.
	Reason string `json:"reason"`
}

// SettingsData is the data of settings.changed.
type SettingsData struct {
	Before Settings `json:"before"`
	After  Settings `json:"after"`
}

// TokenData is the data of token.created and token.revoked. The secret never appears.
type TokenData struct {
	Token struct {
		ID        string     `json:"id"`
		Name      string     `json:"name"`
		Scope     string     `json:"scope"`
		ExpiresAt *time.Time `json:"expiresAt,omitempty"`
	} `json:"token"`
}

// DriftData is the data of drift.reported: what a fresh enforce-groups preview would change,
// compared with the last applied run.
type DriftData struct {
	// LastRunID is the last applied enforce run the drift is measured from ("" if none).
	LastRunID          string `json:"lastRunId,omitempty"`
	NewDirectGrants    int    `json:"newDirectGrants"`
	UsersWithoutGroups int    `json:"usersWithoutGroups"`
	UnboundGroups      int    `json:"unboundGroups"`
	// UsersExempt counts the exempt users, whose direct grants are kept outside group control.
	UsersExempt int `json:"usersExempt"`
	// Scheduled is true when the org's schedule computed the report (on-demand reports, from
	// the CLI, the admin API or the console, emit no event).
	Scheduled bool `json:"scheduled"`
	// Access is what applying enforce-groups now would change.
	Access AccessChanges `json:"access"`
}

// ScheduledRunData is the data of enforce.scheduled: the org's schedule came due and either
// applied enforce-groups (RunID set; an enforce.applied event follows in the same
// transaction) or only reported, saying why.
type ScheduledRunData struct {
	Applied bool   `json:"applied"`
	RunID   string `json:"runId,omitempty"`
	// Reason says why a due run did not apply (nothing to change, limits exceeded, not
	// opted in).
	Reason string `json:"reason,omitempty"`
}

// ActionRef is one custom decision action: the minimum role per kind of resource ("" where
// it is not defined).
type ActionRef struct {
	Name         string `json:"name"`
	Organization string `json:"organization,omitempty"`
	Cloud        string `json:"cloud,omitempty"`
	Project      string `json:"project,omitempty"`
}

// ActionsData is the data of actions.changed: the action set or deleted (Changed) and the
// org's whole set of custom actions afterwards.
type ActionsData struct {
	Changed string      `json:"changed"`
	Actions []ActionRef `json:"actions"`
}

// RuleRef names a group → role rule.
type RuleRef struct {
	ID       string `json:"id"`
	Name     string `json:"name"`
	Position int    `json:"position"`
}

// RulesData is the data of rules.changed: the recorded change (its restore point), what it
// did to the org's bindings, the org's whole rule set afterwards, and the users' changes.
type RulesData struct {
	ChangeID string `json:"changeId"`
	// Action is the audit action (rule.added, rule.changed, rule.deleted, rule.replaced,
	// rule.undone); UndoOf names the change an undo undid.
	Action          string    `json:"action"`
	Summary         string    `json:"summary"`
	UndoOf          string    `json:"undoOf,omitempty"`
	Rules           []RuleRef `json:"rules"`
	BindingsAdded   int       `json:"bindingsAdded"`
	BindingsRemoved int       `json:"bindingsRemoved"`
	BindingsMoved   int       `json:"bindingsMoved"`
	// Access is the rule change's (or its undo's) effect on every user's roles.
	Access *AccessChanges `json:"access,omitempty"`
}
