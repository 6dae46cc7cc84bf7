package service

import (
	"cmp"
	"context"
	"slices"

	"github.com/rolecall/rolecall/internal/access"
	"github.com/rolecall/rolecall/internal/events"
	"github.com/rolecall/rolecall/internal/store"
)

// The effective-role changes of a direct user grant or revocation (events.AccessChanges),
// computed from the user's slice of the org: the user, the groups it is in (transitively),
// their grants and the org's resources. That costs a few small reads, whatever the size of
// the org, which is what makes it affordable in the write's transaction. Changes that reach
// many users (a group's grant, a membership) would need the whole org and are not computed
// here: their events carry no access (absent, not "no change").

// userSlice reads the part of the org's state that decides userID's access.
func userSlice(ctx context.Context, tx store.Tx, org, userID string) (*access.State, error) {
	u, err := tx.User(ctx, org, userID)
	if err != nil {
		return nil, err
	}
	st := &access.State{Users: []access.User{{ID: u.ID, UserName: u.UserName, Active: u.Active, Removed: u.Removed}}}
	rs, err := tx.ListResources(ctx, org, "", "")
	if err != nil {
		return nil, err
	}
	for _, r := range rs {
		k, err := access.ParseKind(string(r.Kind))
		if err != nil {
			return nil, err
		}
		st.Resources = append(st.Resources, access.Resource{ID: r.ID, Name: r.Name, ParentID: r.ParentID, Kind: k, Public: r.Public})
	}
	addBindings := func(pt store.PrincipalType, id string) error {
		bs, err := tx.ListBindings(ctx, org, store.BindingFilter{PrincipalType: pt, PrincipalID: id})
		if err != nil {
			return err
		}
		for _, b := range bs {
			if err := addBinding(st, b); err != nil {
				return err
			}
		}
		return nil
	}
	if err := addBindings(store.PrincipalUser, u.ID); err != nil {
		return nil, err
	}
	// The groups above the user, level by level (GroupsOfMember leaves deleted groups out).
	seen := map[string]bool{}
	type edge struct {
		id  string
		typ access.PrincipalType
	}
	frontier := []edge{{u.ID, access.PrincipalUser}}
	for len(frontier) > 0 {
		var next []edge
		for _, m := range frontier {
			gs, err := tx.GroupsOfMember(ctx, org, m.id)
			if err != nil {
				return nil, err
			}
			for _, g := range gs {
				st.Memberships = append(st.Memberships, access.Membership{GroupID: g.ID, MemberID: m.id, MemberType: m.typ})
				if seen[g.ID] {
					continue
				}
				seen[g.ID] = true
				st.Groups = append(st.Groups, access.Group{ID: g.ID, DisplayName: g.DisplayName, Active: g.Active && !g.Deleted})
				if err := addBindings(store.PrincipalGroup, g.ID); err != nil {
					return nil, err
				}
				next = append(next, edge{g.ID, access.PrincipalGroup})
			}
		}
		frontier = next
	}
	return st, nil
}

func addBinding(st *access.State, b store.Binding) error {
	pt, err := access.ParsePrincipalType(string(b.PrincipalType))
	if err != nil {
		return err
	}
	role, err := access.ParseRole(b.Role)
	if err != nil {
		return err
	}
	st.Bindings = append(st.Bindings, access.Binding{ID: b.ID, ResourceID: b.ResourceID, PrincipalID: b.PrincipalID, PrincipalType: pt, Role: role})
	return nil
}

// roleAt is one effective role as the enforce preview lists it.
type roleAt struct {
	kind, name, role string
}

// rolesOf is the user's effective roles by resource id. Implicit roles that only restate an
// org ownership on every cloud and project are left out, as the enforce preview leaves them
// out: the organization's own change says it.
func rolesOf(st *access.State, userID string) (map[string]roleAt, error) {
	gs, err := access.NewIndex(st).UserAccess(userID)
	if err != nil {
		return nil, err
	}
	out := make(map[string]roleAt, len(gs))
	for _, g := range gs {
		if g.Implicit && !g.Public {
			continue
		}
		out[g.ResourceID] = roleAt{kind: g.Kind.String(), name: g.Name, role: g.Role.String()}
	}
	return out, nil
}

// grantAccess is the effect on the user of adding (add) or removing binding b, a direct
// grant to the user; st is the user's slice with b in it.
func grantAccess(st *access.State, b store.Binding, userName string) (*events.AccessChanges, error) {
	with, err := rolesOf(st, b.PrincipalID)
	if err != nil {
		return nil, err
	}
	without := *st
	without.Bindings = nil
	for _, x := range st.Bindings {
		if x.ID != b.ID {
			without.Bindings = append(without.Bindings, x)
		}
	}
	before, err := rolesOf(&without, b.PrincipalID)
	if err != nil {
		return nil, err
	}
	var cs []events.RoleChange
	none := access.RoleNone.String()
	for id, a := range with {
		if w := before[id]; w.role != a.role {
			was := w.role
			if was == "" {
				was = none
			}
			cs = append(cs, events.RoleChange{UserID: b.PrincipalID, UserName: userName, ResourceKind: a.kind, ResourceID: id,
				ResourceName: a.name, Before: was, After: a.role})
		}
	}
	for id, w := range before {
		if _, ok := with[id]; !ok {
			cs = append(cs, events.RoleChange{UserID: b.PrincipalID, UserName: userName, ResourceKind: w.kind, ResourceID: id,
				ResourceName: w.name, Before: w.role, After: none})
		}
	}
	sortChanges(cs)
	ac := events.NewAccessChanges(cs)
	return &ac, nil
}

// sortChanges orders changes as the preview lists them: organization, clouds, projects, then
// by name.
func sortChanges(cs []events.RoleChange) {
	rank := map[string]int{"organization": 0, "cloud": 1, "project": 2}
	slices.SortFunc(cs, func(a, b events.RoleChange) int {
		return cmp.Or(cmp.Compare(rank[a.ResourceKind], rank[b.ResourceKind]), cmp.Compare(a.ResourceName, b.ResourceName))
	})
}

// directGrantAccess computes the access changes of binding b, a direct user grant that the
// transaction has just created (add) or is about to delete (!add): in both cases b is still
// in the store when it reads. Grants to groups and service accounts answer nil.
func directGrantAccess(ctx context.Context, tx store.Tx, org string, b store.Binding, add bool) (*events.AccessChanges, error) {
	if b.PrincipalType != store.PrincipalUser {
		return nil, nil
	}
	st, err := userSlice(ctx, tx, org, b.PrincipalID)
	if err != nil {
		return nil, err
	}
	ac, err := grantAccess(st, b, st.Users[0].UserName)
	if err != nil || add || ac == nil {
		return ac, err
	}
	// A revocation: the same changes, the other way round.
	for i, c := range ac.Changes {
		ac.Changes[i].Before, ac.Changes[i].After = c.After, c.Before
	}
	return ac, nil
}

// holdingAccess is the effect on userID of starting (gains) or stopping to hold any access
// (a reactivation, a deactivation, a delete): every role it holds when active, from or to
// none. It reads the user's slice as the transaction sees it.
func holdingAccess(ctx context.Context, tx store.Tx, org, userID string, gains bool) (*events.AccessChanges, error) {
	st, err := userSlice(ctx, tx, org, userID)
	if err != nil {
		return nil, err
	}
	u := &st.Users[0]
	u.Active, u.Removed = true, false
	roles, err := rolesOf(st, userID)
	if err != nil {
		return nil, err
	}
	none := access.RoleNone.String()
	cs := make([]events.RoleChange, 0, len(roles))
	for id, r := range roles {
		c := events.RoleChange{UserID: userID, UserName: u.UserName, ResourceKind: r.kind, ResourceID: id, ResourceName: r.name,
			Before: r.role, After: none}
		if gains {
			c.Before, c.After = none, r.role
		}
		cs = append(cs, c)
	}
	sortChanges(cs)
	ac := events.NewAccessChanges(cs)
	return &ac, nil
}
