package access

import (
	"cmp"
	"slices"
)

// RoleDiff is one resource on which a user's role differs between two snapshots.
type RoleDiff struct {
	ResourceID string
	Name       string
	Kind       Kind
	Before     Role
	After      Role
}

// roleOn is a user's role on one resource of one snapshot, with what names the resource.
type roleOn struct {
	role Role
	name string
	kind Kind
}

// DiffUser lists the resources on which userID's role differs between the snapshots before
// and after (a user absent from one, inactive or removed there holds nothing in it), in the
// terms of the enforce-groups preview: the organization's line compares the org role; the
// lines of clouds and projects compare the roles bindings give there, a public project
// raised to collaborator for whoever holds a role on its cloud. Org ownership is not
// expanded into a line per cloud and project (the organization's line says it), and a user
// who is an org owner after the change is owner everywhere, so no cloud or project line of
// it is a real change and none is listed. The lines come organization first, then clouds,
// then projects, each by name then id.
//
// Its cost is one evaluation of the user per snapshot: the resources it holds something on,
// never the whole org's resources, so a caller can diff thousands of users of a big org.
func DiffUser(before, after *Index, userID string) []RoleDiff {
	b, _ := before.heldRoles(userID)
	a, aOrg := after.heldRoles(userID)
	ownerAfter := aOrg == RoleOwner
	var out []RoleDiff
	add := func(id string, was, is roleOn) {
		if was.role == is.role {
			return
		}
		k, name := is.kind, is.name
		if is.role == RoleNone {
			k, name = was.kind, was.name
		}
		if ownerAfter && k != KindOrganization {
			return
		}
		out = append(out, RoleDiff{ResourceID: id, Name: name, Kind: k, Before: was.role, After: is.role})
	}
	for id, was := range b {
		add(id, was, a[id])
	}
	for id, is := range a {
		if _, ok := b[id]; !ok {
			add(id, roleOn{}, is)
		}
	}
	slices.SortFunc(out, func(x, y RoleDiff) int {
		return cmp.Or(cmp.Compare(x.Kind, y.Kind), cmp.Compare(x.Name, y.Name), cmp.Compare(x.ResourceID, y.ResourceID))
	})
	return out
}

// heldRoles is the user's role on every resource where bindings (or a public project of a
// cloud it holds a role on) give it something, by resource id, and its org role. A user
// unknown to the snapshot, inactive or removed holds nothing.
func (ix *Index) heldRoles(userID string) (map[string]roleOn, Role) {
	u, ok := ix.users[userID]
	if !ok || !ix.User(u).Holds() {
		return nil, RoleNone
	}
	e := ix.evaluator()
	defer ix.release(e)
	e.Load(u)
	out := make(map[string]roleOn, len(e.Resources()))
	add := func(r ResourceRef) {
		role := e.Role(r)
		if c, ok := ix.publicCloud[r]; ok && e.Role(c) != RoleNone {
			role = MaxRole(role, RoleCollaborator)
		}
		if role != RoleNone {
			res := ix.Resource(r)
			out[res.ID] = roleOn{role: role, name: res.Name, kind: res.Kind}
		}
	}
	for _, r := range e.Resources() {
		add(r)
	}
	// The public projects of its clouds on which it holds no role of its own.
	for _, c := range e.Resources() {
		for _, p := range ix.publicProjects[c] {
			if e.Role(p) == RoleNone {
				add(p)
			}
		}
	}
	var org Role
	if ix.org >= 0 {
		org = e.Role(ix.org)
	}
	return out, org
}
