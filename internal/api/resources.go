package api

import "time"

// Resource kinds as they appear on the wire (grant requests, grants, access documents).
const (
	KindOrganization = "organization"
	KindCloud        = "cloud"
	KindProject      = "project"
)

// Principal types as they appear on the wire.
const (
	PrincipalUser           = "user"
	PrincipalGroup          = "group"
	PrincipalServiceAccount = "service_account"
)

// Cloud is a cloud of the organization.
type Cloud struct {
	ID   string `json:"id"`
	Name string `json:"name"`
	// Projects is how many projects the cloud holds.
	Projects  int       `json:"projects"`
	CreatedAt time.Time `json:"createdAt"`
}

// CreateCloudRequest creates a cloud.
type CreateCloudRequest struct {
	Name string `json:"name"`
}

// Project visibilities. A public project gives collaborator to every user and service
// account holding a role on its cloud; a private one (the default) is reached by no cloud
// role.
const (
	VisibilityPrivate = "private"
	VisibilityPublic  = "public"
)

// Project is a project, in exactly one cloud.
type Project struct {
	ID      string `json:"id"`
	Name    string `json:"name"`
	CloudID string `json:"cloudId"`
	// Cloud is the cloud's name.
	Cloud string `json:"cloud"`
	// Visibility is "private" or "public".
	Visibility string    `json:"visibility"`
	CreatedAt  time.Time `json:"createdAt"`
}

// CreateProjectRequest creates a project in a cloud named by id or name. Visibility is
// "private" (the default when empty) or "public".
type CreateProjectRequest struct {
	Name       string `json:"name"`
	Cloud      string `json:"cloud"`
	Visibility string `json:"visibility,omitempty"`
}

// UpdateProjectRequest changes a project (PATCH): each field that is set. Name renames it
// (its grants stay); Visibility ("private" or "public") changes who its cloud's roles reach.
type UpdateProjectRequest struct {
	Name       string `json:"name,omitempty"`
	Visibility string `json:"visibility,omitempty"`
}

// RenameRequest renames a cloud (PATCH); projects take UpdateProjectRequest, of which it
// is a subset.
type RenameRequest struct {
	Name string `json:"name"`
}

// ServiceAccount is a non-human principal; it is always an org collaborator.
type ServiceAccount struct {
	ID        string    `json:"id"`
	Name      string    `json:"name"`
	CreatedAt time.Time `json:"createdAt"`
}

// CreateServiceAccountRequest creates a service account.
type CreateServiceAccountRequest struct {
	Name string `json:"name"`
}

// OrgSettings are the organization's switches.
type OrgSettings struct {
	// GroupsOnly is the drift guard: when on, new direct user grants are refused.
	GroupsOnly bool `json:"groupsOnly"`
	// MaxExemptions is how many users may be exempt from enforce-groups (default 5).
	MaxExemptions int        `json:"maxExemptions"`
	UpdatedAt     *time.Time `json:"updatedAt,omitempty"`
}

// UpdateOrgSettingsRequest changes the fields that are set (PATCH semantics).
type UpdateOrgSettingsRequest struct {
	GroupsOnly *bool `json:"groupsOnly,omitempty"`
	// MaxExemptions, 1 to 100, may not go below the number of users exempt now.
	MaxExemptions *int `json:"maxExemptions,omitempty"`
}

// User is a read-only view of a SCIM user.
type User struct {
	ID          string `json:"id"`
	UserName    string `json:"userName"`
	DisplayName string `json:"displayName,omitempty"`
	ExternalID  string `json:"externalId,omitempty"`
	// Active false: the user holds no access at all.
	Active bool `json:"active"`
	// Removed: enforce-groups removed the user from the org (it holds nothing).
	Removed bool `json:"removed"`
	// Exempt: the user is a break-glass exemption from enforce-groups (see Exemption).
	Exempt       bool      `json:"exempt"`
	Emails       []Email   `json:"emails,omitempty"`
	Created      time.Time `json:"created"`
	LastModified time.Time `json:"lastModified"`
	// Groups lists the groups the user is directly in (single-user reads only).
	Groups []GroupRef `json:"groups,omitempty"`
}

// Email is one of a user's e-mail addresses.
type Email struct {
	Value   string `json:"value"`
	Type    string `json:"type,omitempty"`
	Primary bool   `json:"primary,omitempty"`
}

// GroupRef names a group.
type GroupRef struct {
	ID          string `json:"id"`
	DisplayName string `json:"displayName"`
}

// Group is a read-only view of a SCIM group.
type Group struct {
	ID          string `json:"id"`
	DisplayName string `json:"displayName"`
	ExternalID  string `json:"externalId,omitempty"`
	// Active false: the group was deactivated and grants nothing.
	Active       bool      `json:"active"`
	Members      int       `json:"members"`
	Created      time.Time `json:"created"`
	LastModified time.Time `json:"lastModified"`
	// MemberOf lists the groups this group is directly in (single-group reads only).
	MemberOf []GroupRef `json:"memberOf,omitempty"`
}

// Member is a direct member of a group: a user (Display is its userName) or a group (its
// displayName).
type Member struct {
	Type    string `json:"type"`
	ID      string `json:"id"`
	Display string `json:"display"`
}
