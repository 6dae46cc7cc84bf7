package events

import "time"

// Type is an event type: "com.rolecall.<noun>.<verb>", the verb in the past tense.
type Type string

// The event types. Each committed change emits one event per thing it changed, in the same
// transaction (a PATCH adding 10,000 members emits 10,000 membership.added events; an
// enforce run emits enforce.applied and an event per user it removed).
const (
	UserCreated     Type = "com.rolecall.user.created"
	UserUpdated     Type = "com.rolecall.user.updated"
	UserDeactivated Type = "com.rolecall.user.deactivated"
	UserReactivated Type = "com.rolecall.user.reactivated"
	UserRemoved     Type = "com.rolecall.user.removed"
	UserDeleted     Type = "com.rolecall.user.deleted"
	// UserExempted and UserUnexempted: a user was marked, or no longer is, a break-glass
	// exemption from enforce-groups (its direct grants are kept, it is never removed).
	UserExempted   Type = "com.rolecall.user.exempted"
	UserUnexempted Type = "com.rolecall.user.unexempted"

	GroupCreated     Type = "com.rolecall.group.created"
	GroupRenamed     Type = "com.rolecall.group.renamed"
	GroupDeactivated Type = "com.rolecall.group.deactivated"
	GroupDeleted     Type = "com.rolecall.group.deleted"

	MembershipAdded   Type = "com.rolecall.membership.added"
	MembershipRemoved Type = "com.rolecall.membership.removed"

	GrantCreated Type = "com.rolecall.grant.created"
	GrantRevoked Type = "com.rolecall.grant.revoked"

	ResourceCreated Type = "com.rolecall.resource.created"
	ResourceRenamed Type = "com.rolecall.resource.renamed"
	ResourceDeleted Type = "com.rolecall.resource.deleted"
	// ResourceVisibilityChanged: a project became public or private (resource.public says
	// which).
	ResourceVisibilityChanged Type = "com.rolecall.resource.visibility_changed"

	ServiceAccountCreated Type = "com.rolecall.service_account.created"
	ServiceAccountDeleted Type = "com.rolecall.service_account.deleted"

	EnforceApplied   Type = "com.rolecall.enforce.applied"
	EnforceUndone    Type = "com.rolecall.enforce.undone"
	EnforceScheduled Type = "com.rolecall.enforce.scheduled"
	DriftReported    Type = "com.rolecall.drift.reported"

	SettingsChanged Type = "com.rolecall.settings.changed"

	// ActionsChanged: the org's custom decision actions changed; the data holds the whole
	// new set, so that a reader (another server's decision index) replaces its copy.
	ActionsChanged Type = "com.rolecall.actions.changed"

	// RulesChanged: the org's group → role rules changed (a rule added, changed, deleted,
	// reordered, or a change undone); the bindings it made or removed have their own
	// grant.created and grant.revoked events.
	RulesChanged Type = "com.rolecall.rules.changed"

	TokenCreated Type = "com.rolecall.token.created"
	TokenRevoked Type = "com.rolecall.token.revoked"
)

// Info describes one event type.
type Info struct {
	Type Type
	// Meaning says in one line when the event is emitted.
	Meaning string
	// Access is true when the data carries the affected users' effective-role changes
	// (AccessChanges): the events a platform must react to.
	Access bool
	// Example is an example payload; its Go type is the payload type of Type (New checks it).
	Example Data
}

// Catalogue returns every event type, grouped by noun, in documentation order.
func Catalogue() []Info { return append([]Info(nil), catalogue...) }

// Lookup returns the catalogue entry of t.
func Lookup(t Type) (Info, bool) {
	i, ok := byType[t]
	if !ok {
		return Info{}, false
	}
	return catalogue[i], true
}

var byType = func() map[Type]int {
	m := make(map[Type]int, len(catalogue))
	for i, in := range catalogue {
		m[in.Type] = i
	}
	return m
}()

// Example values: stable ids, so that docs/events.md does not change from one generation to
// the next.
var (
	exAlice = UserRef{ID: "0190f4a2-1b7c-7c4e-8a51-3c2d9e0f1a01", UserName: "alice@example.com", ExternalID: "00u1a2b3c4", Active: true}
	exEng   = GroupRef{ID: "0190f4a2-1b7c-7c4e-8a51-3c2d9e0f1b02", DisplayName: "engineering", ExternalID: "00g9z8y7", Active: true}
	exCloud = ResourceRef{Kind: "cloud", ID: "0190f4a2-1b7c-7c4e-8a51-3c2d9e0f1c03", Name: "prod"}
	exProj  = ResourceRef{Kind: "project", ID: "0190f4a2-1b7c-7c4e-8a51-3c2d9e0f1d04", Name: "billing", ParentID: exCloud.ID}
	exRunID = "0190f4a2-1b7c-7c4e-8a51-3c2d9e0f1e05"

	exLoses = []RoleChange{{UserID: exAlice.ID, UserName: exAlice.UserName, ResourceKind: "project",
		ResourceID: exProj.ID, ResourceName: exProj.Name, Before: "collaborator", After: "none"}}
	exGains = []RoleChange{{UserID: exAlice.ID, UserName: exAlice.UserName, ResourceKind: "project",
		ResourceID: exProj.ID, ResourceName: exProj.Name, Before: "none", After: "collaborator"}}
)

func exAccess(cs []RoleChange) *AccessChanges { a := NewAccessChanges(cs); return &a }

func exUser(active, removed bool) UserRef {
	u := exAlice
	u.Active, u.Removed = active, removed
	return u
}

func exGroup(active bool) GroupRef { g := exEng; g.Active = active; return g }

func exServiceAccount() ServiceAccountData {
	var d ServiceAccountData
	d.ServiceAccount.ID, d.ServiceAccount.Name = "0190f4a2-1b7c-7c4e-8a51-3c2d9e0f1f06", "deploy-bot"
	return d
}

func exToken() TokenData {
	var d TokenData
	exp := time.Date(2027, 6, 1, 0, 0, 0, 0, time.UTC)
	d.Token.ID, d.Token.Name, d.Token.Scope, d.Token.ExpiresAt = "0190f4a2-1b7c-7c4e-8a51-3c2d9e0f2007", "okta-provisioning", "scim", &exp
	return d
}

var catalogue = []Info{
	{UserCreated, "A user was created (SCIM POST /Users, or a Bulk request).", false,
		UserData{User: exAlice}},
	{UserUpdated, "A user's attributes changed other than active (userName, name, emails, externalId…); changed lists them.", false,
		UserData{User: exAlice, Changed: []string{"displayName", "emails"}}},
	{UserDeactivated, "A user became inactive (active=false): it holds no access from now on.", true,
		UserData{User: exUser(false, false), Access: exAccess(exLoses)}},
	{UserReactivated, "An inactive or removed user became active again (the IdP set active=true or added it to a group).", true,
		UserData{User: exAlice, Access: exAccess(exGains)}},
	{UserRemoved, "enforce-groups removed the user from the org: deactivated, direct grants deleted, record kept for undo.", true,
		UserData{User: exUser(false, true), Access: exAccess(exLoses)}},
	{UserDeleted, "A user was deleted (SCIM DELETE): its memberships and grants are gone and its userName is free.", true,
		UserData{User: exUser(false, false), Access: exAccess(exLoses)}},
	{UserExempted, "A user was marked exempt from enforce-groups (break-glass): its direct grants are kept and it is never removed.", false,
		ExemptionData{User: exAlice, Reason: "on-call break-glass account"}},
	{UserUnexempted, "A user's exemption from enforce-groups was lifted: the next enforce run treats it like every other user.", false,
		ExemptionData{User: exAlice, Reason: "on-call break-glass account"}},

	{GroupCreated, "A group was created.", false,
		GroupData{Group: exEng}},
	{GroupRenamed, "A group's displayName changed; previousName is the old one (group → role rules match names).", false,
		GroupData{Group: exEng, PreviousName: "eng"}},
	{GroupDeactivated, "A group stopped granting access (deactivated); its record and grants stay. Reserved: no write deactivates a group today (SCIM groups have no active attribute); a deleted group sends group.deleted.", true,
		GroupData{Group: exGroup(false), Access: exAccess(exLoses)}},
	{GroupDeleted, "A group was deleted (SCIM DELETE, a soft delete): it grants nothing any more.", true,
		GroupData{Group: exGroup(false), Access: exAccess(exLoses)}},

	{MembershipAdded, "A user or group became a member of a group; one event per member.", true,
		MembershipData{Group: exEng, Member: MemberRef{Type: "user", ID: exAlice.ID, Name: exAlice.UserName}, Access: exAccess(exGains)}},
	{MembershipRemoved, "A user or group stopped being a member of a group; one event per member.", true,
		MembershipData{Group: exEng, Member: MemberRef{Type: "user", ID: exAlice.ID, Name: exAlice.UserName}, Access: exAccess(exLoses)}},

	{GrantCreated, "A role was granted on a resource to a user, group or service account.", true,
		GrantData{BindingID: "0190f4a2-1b7c-7c4e-8a51-3c2d9e0f2108", Role: "collaborator", Resource: exProj,
			Principal: PrincipalRef{Type: "group", ID: exEng.ID, Name: exEng.DisplayName}, Access: exAccess(exGains)}},
	{GrantRevoked, "A role grant was revoked.", true,
		GrantData{BindingID: "0190f4a2-1b7c-7c4e-8a51-3c2d9e0f2108", Role: "collaborator", Resource: exProj,
			Principal: PrincipalRef{Type: "group", ID: exEng.ID, Name: exEng.DisplayName}, Access: exAccess(exLoses)}},

	{ResourceCreated, "A cloud or project was created; a public project makes the holders of its cloud's roles collaborators on it.", true,
		ResourceData{Resource: func() ResourceRef { p := exProj; p.Public = true; return p }(), Access: exAccess(exGains)}},
	{ResourceRenamed, "A cloud or project was renamed; previousName is the old name.", false,
		ResourceData{Resource: exProj, PreviousName: "payments"}},
	{ResourceVisibilityChanged, "A project became public (every member of the org reads it, cloud roles reach it) or private again; resource.public says which.", true,
		ResourceData{Resource: func() ResourceRef { p := exProj; p.Public = true; return p }(), Access: exAccess(exGains)}},
	{ResourceDeleted, "A cloud or project was deleted, and every grant on it.", true,
		ResourceData{Resource: exProj, Access: exAccess(exLoses)}},

	{ServiceAccountCreated, "A service account was created.", false,
		exServiceAccount()},
	{ServiceAccountDeleted, "A service account was deleted, and its grants.", false,
		func() ServiceAccountData { d := exServiceAccount(); d.BindingsDeleted = 2; return d }()},

	{EnforceApplied, "enforce-groups was applied: direct grants deleted and users removed, with a restore point (runId).", true,
		EnforceRunData{RunID: exRunID, BindingsDeleted: 1, UsersRemoved: 1, Access: exAccess(exLoses)}},
	{EnforceUndone, "An enforce run was undone: what it deleted and removed was restored, except what was re-granted since.", true,
		EnforceRunData{RunID: exRunID, BindingsRestored: 1, UsersRestored: 1, Access: exAccess(exGains)}},
	{EnforceScheduled, "The org's enforce-groups schedule came due: it applied a run (runId) or only reported, saying why.", false,
		ScheduledRunData{Applied: false, Reason: "would remove 12 users, more than the limit of 5"}},
	{DriftReported, "A drift report found the org no longer group-derived: new direct grants, users without groups, unbound groups.", true,
		DriftData{LastRunID: exRunID, NewDirectGrants: 1, UsersWithoutGroups: 0, UnboundGroups: 2, Access: NewAccessChanges(exLoses)}},

	{SettingsChanged, "The org's settings changed (groups-only mode, the most exempt users).", false,
		SettingsData{Before: Settings{GroupsOnly: false, MaxExemptions: 5}, After: Settings{GroupsOnly: true, MaxExemptions: 5}}},
	{ActionsChanged, "The org's custom decision actions changed (set or deleted); actions is the whole new set.", false,
		ActionsData{Changed: "deploy", Actions: []ActionRef{{Name: "deploy", Project: "collaborator", Cloud: "owner"}}}},
	{RulesChanged, "The org's group → role rules changed (added, changed, deleted, reordered or undone), with a restore point (changeId).", true,
		RulesData{ChangeID: exRunID, Action: "rule.added", Summary: `added rule "eng clouds"`, Rules: []RuleRef{{ID: "rule-1a2b", Name: "eng clouds", Position: 1}},
			BindingsAdded: 1, Access: exAccess(exGains)}},

	{TokenCreated, "An API token was created (its secret is never in an event).", false,
		exToken()},
	{TokenRevoked, "An API token was revoked.", false,
		exToken()},
}
