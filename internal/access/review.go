package access

import (
	"cmp"
	"slices"
)

// Review is the access-review export: who can do what in the organization. Org owners are
// owner everywhere, so they are listed apart instead of on every cloud and project.
type Review struct {
	// OrgOwners lists active users (by userName) and then service accounts (by name) that
	// are org owners. They do not appear in Users or ServiceAccounts.
	OrgOwners []Principal `json:"orgOwners"`
	// Users lists every other active, non-removed user that holds something, by userName.
	Users []PrincipalReview `json:"users"`
	// ServiceAccounts lists every other service account, by name (each is at least an org
	// collaborator).
	ServiceAccounts []PrincipalReview `json:"serviceAccounts"`
}

// Principal names a user (Name is its userName) or a service account.
type Principal struct {
	Type PrincipalType `json:"type"`
	ID   string        `json:"id"`
	Name string        `json:"name"`
}

// PrincipalReview is one principal's effective access.
type PrincipalReview struct {
	Principal
	// Organization is the role on the organization ("none" when nothing).
	Organization Role `json:"organization"`
	// Clouds lists, by name, each cloud on which the principal holds a role or holds a role
	// on one of its projects (then Role is "none").
	Clouds []CloudReview `json:"clouds"`
}

// CloudReview is a principal's role on one cloud and on the projects under it.
type CloudReview struct {
	ResourceID string `json:"resourceId"`
	Name       string `json:"name"`
	Role       Role   `json:"role"`
	// Projects lists, by name, the projects of this cloud on which the principal holds a role,
	// the collaborator a public project gives included.
	Projects []ProjectReview `json:"projects"`
}

// ProjectReview is a principal's role on one project.
type ProjectReview struct {
	ResourceID string `json:"resourceId"`
	Name       string `json:"name"`
	Role       Role   `json:"role"`
}

// Review builds the access-review export of the whole organization. Projects whose cloud is
// not in the State are grouped under a cloud entry with an empty ID and name.
func (ix *Index) Review() *Review {
	rv := &Review{OrgOwners: []Principal{}, Users: []PrincipalReview{}, ServiceAccounts: []PrincipalReview{}}
	e := ix.evaluator()
	defer ix.release(e)
	var buf []ResourceRef
	for _, u := range ix.usersByName {
		user := ix.User(u)
		if !user.Holds() {
			continue
		}
		e.Load(u)
		p := Principal{Type: PrincipalUser, ID: user.ID, Name: user.UserName}
		if ix.org >= 0 && e.Role(ix.org) == RoleOwner {
			rv.OrgOwners = append(rv.OrgOwners, p)
			continue
		}
		// Not an org owner, so the only implicit access is that of public projects.
		role := func(r ResourceRef) Role { return ix.effective(e.Role(r), r, RoleNone, ix.cloudRole(r, e.Role)).Role }
		buf = ix.withPublic(append(buf[:0], e.Resources()...), e.Role)
		if pr, ok := ix.reviewOf(p, buf, role); ok {
			rv.Users = append(rv.Users, pr)
		}
	}
	accounts := make([]ServiceAccountRef, 0, len(ix.accounts))
	for _, a := range ix.accounts {
		accounts = append(accounts, a)
	}
	slices.SortFunc(accounts, func(a, b ServiceAccountRef) int {
		sa, sb := ix.ServiceAccount(a), ix.ServiceAccount(b)
		return cmp.Or(cmp.Compare(sa.Name, sb.Name), cmp.Compare(sa.ID, sb.ID))
	})
	for _, a := range accounts {
		sa := ix.ServiceAccount(a)
		p := Principal{Type: PrincipalServiceAccount, ID: sa.ID, Name: sa.Name}
		if ix.org >= 0 && ix.ServiceAccountDirectRole(a, ix.org) == RoleOwner {
			rv.OrgOwners = append(rv.OrgOwners, p)
			continue
		}
		buf = buf[:0]
		for _, gr := range ix.saGrants.row(int32(a)) {
			buf = append(buf, gr.res)
		}
		buf = ix.withPublic(buf, func(c ResourceRef) Role { return ix.ServiceAccountDirectRole(a, c) })
		role := func(r ResourceRef) Role { return ix.serviceAccountAccess(a, r).Role }
		pr, _ := ix.reviewOf(p, buf, role)
		if ix.org >= 0 {
			pr.Organization = role(ix.org)
		}
		rv.ServiceAccounts = append(rv.ServiceAccounts, pr)
	}
	return rv
}

// withPublic appends to touched (the resources a principal's bindings name) the public
// projects of every touched cloud on which explicit gives a role: the only resources a
// principal holds something on without a binding there, org ownership aside.
func (ix *Index) withPublic(touched []ResourceRef, explicit func(ResourceRef) Role) []ResourceRef {
	if len(ix.publicProjects) == 0 {
		return touched
	}
	for _, r := range touched {
		if ps := ix.publicProjects[r]; len(ps) > 0 && explicit(r) != RoleNone {
			touched = append(touched, ps...)
		}
	}
	return touched
}

// reviewOf arranges the roles on touched resources (which may repeat) as org, clouds and
// their projects; ok is false when the principal holds nothing.
func (ix *Index) reviewOf(p Principal, touched []ResourceRef, role func(ResourceRef) Role) (PrincipalReview, bool) {
	pr := PrincipalReview{Principal: p, Clouds: []CloudReview{}}
	cloudAt := map[string]int{}
	cloud := func(id string) *CloudReview {
		i, ok := cloudAt[id]
		if !ok {
			i = len(pr.Clouds)
			cloudAt[id] = i
			c := CloudReview{ResourceID: id, Projects: []ProjectReview{}}
			if r, ok := ix.resources[id]; ok && id != "" {
				c.Name = ix.Resource(r).Name
			} else {
				c.ResourceID = ""
			}
			pr.Clouds = append(pr.Clouds, c)
		}
		return &pr.Clouds[i]
	}
	seen := map[ResourceRef]bool{}
	holds := false
	for _, r := range touched {
		rl := role(r)
		if rl == RoleNone || seen[r] {
			continue
		}
		seen[r] = true
		holds = true
		res := ix.Resource(r)
		switch res.Kind {
		case KindOrganization:
			pr.Organization = rl
		case KindCloud:
			cloud(res.ID).Role = rl
		case KindProject:
			parent := res.ParentID
			if _, ok := ix.resources[parent]; !ok {
				parent = ""
			}
			c := cloud(parent)
			c.Projects = append(c.Projects, ProjectReview{ResourceID: res.ID, Name: res.Name, Role: rl})
		}
	}
	slices.SortFunc(pr.Clouds, func(a, b CloudReview) int {
		return cmp.Or(cmp.Compare(a.Name, b.Name), cmp.Compare(a.ResourceID, b.ResourceID))
	})
	for i := range pr.Clouds {
		slices.SortFunc(pr.Clouds[i].Projects, func(a, b ProjectReview) int {
			return cmp.Or(cmp.Compare(a.Name, b.Name), cmp.Compare(a.ResourceID, b.ResourceID))
		})
	}
	return pr, holds
}
