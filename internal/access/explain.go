package access

import (
	"cmp"
	"fmt"
	"slices"
)

// SourceKind says where a role comes from.
type SourceKind uint8

// The sources of access, in the order Explain lists sources of equal rank.
const (
	SourceDirect        SourceKind = iota + 1 // a binding on the user itself
	SourceGroup                               // a binding on an active group the user belongs to
	SourceImplicitOwner                       // the user is an org owner, so owner everywhere
	SourcePublicProject                       // a public project, and the user holds a role on its cloud
)

var sourceNames = [...]string{SourceDirect: "direct", SourceGroup: "group", SourceImplicitOwner: "implicit_org_owner",
	SourcePublicProject: "public_project"}

// String returns the wire name of k.
func (k SourceKind) String() string {
	if k >= SourceDirect && k <= SourcePublicProject {
		return sourceNames[k]
	}
	return fmt.Sprintf("SourceKind(%d)", uint8(k))
}

// MarshalText makes SourceKind a JSON string.
func (k SourceKind) MarshalText() ([]byte, error) {
	if k < SourceDirect || k > SourcePublicProject {
		return nil, fmt.Errorf("cannot marshal invalid source kind %d", uint8(k))
	}
	return []byte(sourceNames[k]), nil
}

// UnmarshalText is the inverse of MarshalText.
func (k *SourceKind) UnmarshalText(b []byte) error {
	for v := SourceDirect; v <= SourcePublicProject; v++ {
		if string(b) == sourceNames[v] {
			*k = v
			return nil
		}
	}
	return fmt.Errorf("unknown source kind %q", b)
}

// Source is one reason a user holds a role on a resource.
type Source struct {
	Kind SourceKind `json:"kind"`
	Role Role       `json:"role"`
	// BindingID is the granting binding (direct and group sources).
	BindingID string `json:"bindingId,omitempty"`
	// GroupID and GroupName name the granting group (group sources).
	GroupID   string `json:"groupId,omitempty"`
	GroupName string `json:"groupName,omitempty"`
	// Path is how the user reaches the granting group: display names from a group the user
	// is directly in to the granting group, both included (one element when the user is
	// directly in it). It is a shortest path; ties go to the alphabetically first name.
	Path []string `json:"path,omitempty"`
	// Redundant marks a binding (direct or group source) that another source makes
	// unnecessary for this user on this resource: removing it would not change the user's
	// role here. CoveredBy names that source ("group engineering (owner)").
	Redundant bool   `json:"redundant,omitempty"`
	CoveredBy string `json:"coveredBy,omitempty"`
}

// Explanation is why a user holds (or does not hold) a role on a resource.
type Explanation struct {
	UserID       string `json:"userId"`
	UserName     string `json:"userName"`
	ResourceID   string `json:"resourceId"`
	ResourceName string `json:"resourceName"`
	ResourceKind Kind   `json:"resourceKind"`
	// Effective is the role the user holds; RoleNone when it holds nothing.
	Effective Access `json:"effective"`
	// HoldsAccess is false for an inactive or removed user: it holds nothing, and Sources
	// lists what would apply were it active.
	HoldsAccess bool `json:"holdsAccess"`
	// Sources lists every source, highest rank first, then direct, group, implicit org
	// owner, public project, then group name and binding ID.
	Sources []Source `json:"sources"`
	// Public reports that the resource is a public project (of a cloud the State holds).
	Public bool `json:"public,omitempty"`
	// CloudRole is, on a project, the user's explicit role on the project's cloud (direct or
	// through active groups; "would apply" for an inactive user), omitted when none. On a
	// public project it is what makes the user a collaborator; on a private one it reaches
	// nothing, which an explanation should say, since cloud roles do not reach projects.
	CloudRole Role `json:"cloudRole,omitempty"`
}

// Explain lists every source of the user's access to the resource: its direct bindings, the
// bindings of each active group it belongs to (with the nesting path), implicit org-owner
// access, and, on a public project, the implicit collaborator its cloud role gives.
func (ix *Index) Explain(userID, resourceID string) (*Explanation, error) {
	u, err := ix.lookupUser(userID)
	if err != nil {
		return nil, err
	}
	r, err := ix.lookupResource(resourceID)
	if err != nil {
		return nil, err
	}
	user, res := ix.User(u), ix.Resource(r)
	ex := &Explanation{
		UserID: user.ID, UserName: user.UserName,
		ResourceID: res.ID, ResourceName: res.Name, ResourceKind: res.Kind,
		HoldsAccess: user.Holds(),
		Sources:     []Source{},
	}
	s := ix.state
	// cloud is the project's cloud (-1 for anything else); cloudRole the user's explicit
	// role there, gathered with the sources.
	cloud, cloudRole := ResourceRef(-1), RoleNone
	if res.Kind == KindProject {
		if c, ok := ix.resources[res.ParentID]; ok && s.Resources[c].Kind == KindCloud {
			cloud = c
		}
	}
	_, ex.Public = ix.publicCloud[r]
	for _, gr := range ix.userGrants.row(int32(u)) {
		if gr.res == r {
			ex.Sources = append(ex.Sources, Source{Kind: SourceDirect, Role: gr.role, BindingID: s.Bindings[gr.bind].ID})
		}
		if gr.res == cloud {
			cloudRole = MaxRole(cloudRole, gr.role)
		}
	}
	orgOwner := false
	for _, p := range ix.groupPaths(u) {
		g := p[len(p)-1]
		for _, gr := range ix.groupGrants.row(int32(g)) {
			if gr.res == ix.org && gr.role == RoleOwner {
				orgOwner = true
			}
			if gr.res == cloud {
				cloudRole = MaxRole(cloudRole, gr.role)
			}
			if gr.res != r {
				continue
			}
			names := make([]string, len(p))
			for i, pg := range p {
				names[i] = s.Groups[pg].DisplayName
			}
			ex.Sources = append(ex.Sources, Source{
				Kind: SourceGroup, Role: gr.role, BindingID: s.Bindings[gr.bind].ID,
				GroupID: s.Groups[g].ID, GroupName: s.Groups[g].DisplayName, Path: names,
			})
		}
	}
	for _, gr := range ix.userGrants.row(int32(u)) {
		if gr.res == ix.org && gr.role == RoleOwner {
			orgOwner = true
		}
	}
	if orgOwner && !ix.isOrg(r) {
		ex.Sources = append(ex.Sources, Source{Kind: SourceImplicitOwner, Role: RoleOwner})
	}
	ex.CloudRole = cloudRole
	if ex.Public && cloudRole != RoleNone {
		ex.Sources = append(ex.Sources, Source{Kind: SourcePublicProject, Role: RoleCollaborator})
	}
	slices.SortFunc(ex.Sources, func(a, b Source) int {
		return cmp.Or(cmp.Compare(b.Role, a.Role), cmp.Compare(a.Kind, b.Kind),
			cmp.Compare(a.GroupName, b.GroupName), cmp.Compare(a.BindingID, b.BindingID))
	})
	markRedundant(ex.Sources)
	if ex.HoldsAccess {
		for _, src := range ex.Sources {
			if src.Role > ex.Effective.Role {
				ex.Effective = Access{Role: src.Role, Implicit: src.Kind >= SourceImplicitOwner,
					Public: src.Kind == SourcePublicProject}
			}
		}
	}
	return ex, nil
}

// markRedundant marks each binding source that another source covers: one giving a higher
// role, or the same role from a source kept in preference. Of equal roles a group, org
// ownership or a public project is kept over a direct grant (group-derived access is what
// enforce-groups moves to, so the direct grant is the one to drop), org ownership or a
// public project over a group, and the first group (by name) over later ones. One source of
// the highest role always stays unmarked. Sources are sorted as Explain sorts them.
func markRedundant(srcs []Source) {
	for i := range srcs {
		s := &srcs[i]
		if s.Kind != SourceDirect && s.Kind != SourceGroup {
			continue
		}
		for j, o := range srcs {
			if j == i {
				continue
			}
			covers := o.Role > s.Role
			if o.Role == s.Role {
				switch s.Kind {
				case SourceDirect:
					covers = true // the only direct source of its role: any other is kept over it
				case SourceGroup:
					covers = o.Kind == SourceImplicitOwner || o.Kind == SourcePublicProject || (o.Kind == SourceGroup && j < i)
				}
			}
			if covers {
				s.Redundant, s.CoveredBy = true, o.describe()
				break
			}
		}
	}
}

// describe names a source for CoveredBy.
func (s Source) describe() string {
	var what string
	switch s.Kind {
	case SourceDirect:
		what = "a direct grant"
	case SourceGroup:
		what = "group " + s.GroupName
	case SourceImplicitOwner:
		what = "org ownership"
	case SourcePublicProject:
		what = "the public project"
	}
	return fmt.Sprintf("%s (%s)", what, s.Role)
}

// groupPaths returns, for every active group u belongs to, a shortest chain of groups from
// one u is directly in to it. Breadth-first over names in sorted order makes the chosen
// path deterministic; each group is visited once, so cycles end.
func (ix *Index) groupPaths(u UserRef) [][]GroupRef {
	s := ix.state
	return GroupPaths(ix.userGroups.row(int32(u)),
		func(g GroupRef) []GroupRef { return ix.groupParents.row(int32(g)) },
		func(a, b GroupRef) int {
			return cmp.Or(cmp.Compare(s.Groups[a].DisplayName, s.Groups[b].DisplayName), cmp.Compare(a, b))
		})
}
