package access

// State is one organization's authorization data: the snapshot every question in this
// package is answered from. The server fills it from storage inside one read transaction.
//
// IDs are unique within their slice; on a duplicate ID the first record wins and later ones
// are ignored. References to IDs that do not exist (a binding on an unknown resource, a
// membership of an unknown user) grant nothing. The State must not change while an Index
// built from it is in use.
//
// The types are kept small and flat (slices of structs of strings and bytes) because an
// organization may hold 100,000 users, 1,000,000 memberships and 500,000 bindings.
type State struct {
	Users           []User           `json:"users"`
	Groups          []Group          `json:"groups"`
	Memberships     []Membership     `json:"memberships"`
	ServiceAccounts []ServiceAccount `json:"serviceAccounts"`
	// Resources holds the organization (exactly one resource of KindOrganization), its
	// clouds and its projects.
	Resources []Resource `json:"resources"`
	Bindings  []Binding  `json:"bindings"`
}

// User is a SCIM user as far as access is concerned.
type User struct {
	ID       string `json:"id"`
	UserName string `json:"userName"`
	// Active false means the user holds no access at all.
	Active bool `json:"active"`
	// Removed marks a user enforce-groups removed from the org; it holds nothing.
	Removed bool `json:"removed"`
	// Exempt marks a break-glass user: enforce-groups keeps its direct bindings and never
	// removes it. It changes nothing about the user's access, only what enforcement does.
	Exempt bool `json:"exempt,omitempty"`
}

// Holds reports whether u can hold any access: active and not removed.
func (u *User) Holds() bool { return u.Active && !u.Removed }

// Group is a SCIM group. Active is false once it was deactivated or (soft-)deleted: such a
// group neither grants nor passes membership on.
type Group struct {
	ID          string `json:"id"`
	DisplayName string `json:"displayName"`
	Active      bool   `json:"active"`
}

// Membership says MemberID (a user or a group, per MemberType) is a direct member of GroupID.
type Membership struct {
	GroupID    string        `json:"groupId"`
	MemberID   string        `json:"memberId"`
	MemberType PrincipalType `json:"memberType"`
}

// ServiceAccount is a non-human principal. It is always (implicitly) an org collaborator.
type ServiceAccount struct {
	ID   string `json:"id"`
	Name string `json:"name"`
}

// Resource is the organization, a cloud or a project.
type Resource struct {
	ID   string `json:"id"`
	Name string `json:"name"`
	// ParentID is a project's cloud; empty for clouds and the organization.
	ParentID string `json:"parentId,omitempty"`
	Kind     Kind   `json:"kind"`
	// Public marks a public project: every principal holding an explicit role (direct or
	// through an active group) on its cloud is an implicit collaborator on it. It means
	// nothing on a cloud or the organization, nor on a project whose parent is not a cloud
	// of the State. A private project (the default) is reached by no cloud role.
	Public bool `json:"public,omitempty"`
}

// Binding grants Role on ResourceID to a principal. A binding whose PrincipalType is
// PrincipalUser is a direct user binding.
type Binding struct {
	ID            string        `json:"id"`
	ResourceID    string        `json:"resourceId"`
	PrincipalID   string        `json:"principalId"`
	PrincipalType PrincipalType `json:"principalType"`
	Role          Role          `json:"role"`
}
