// Package accesstest draws random organizations (access.State values) for property tests: the
// planner's, the decision and explain checks over the real store, and enforce-groups' crash
// and undo checks all draw from this one generator, so that a state shape one of them learns
// to handle (nesting, inactive groups, removed users) is exercised by all of them. It may
// import access, pgregory.net/rapid and the standard library; only tests import it.
package accesstest

import (
	"fmt"

	"pgregory.net/rapid"

	"github.com/rolecall/rolecall/internal/access"
)

// Options shape what Draw produces.
type Options struct {
	// Storable restricts the state to what a store accepts: group nesting without cycles
	// (the store refuses them; edges go only from a later to an earlier group), and no
	// membership or binding twice. Otherwise nesting is arbitrary, cycles included, which
	// the pure packages must tolerate.
	Storable bool
	// Exempt lets users be drawn as break-glass exemptions (access.User.Exempt), which only
	// enforce-groups planning looks at; off, every user is drawn not exempt.
	Exempt bool
	// Public lets projects be drawn public (access.Resource.Public); off, every project is
	// private. Off by default because a state drawn for the store must be storable, and a
	// store without project visibility would lose the flag.
	Public bool
}

// Draw draws a small random organization: one to three clouds and up to four projects (some
// public with Options.Public), users in every state (active, inactive, removed), groups
// (some inactive) with nesting, service accounts, and bindings of every principal type with
// roles valid for their resource. IDs are short and stable ("u0", "g1", "c0", "p2", "sa0",
// "b3"); names are derived from them.
func Draw(t *rapid.T, o Options) *access.State {
	s := &access.State{Resources: []access.Resource{{ID: "org", Kind: access.KindOrganization, Name: "org"}}}
	nClouds := rapid.IntRange(1, 3).Draw(t, "clouds")
	for i := range nClouds {
		s.Resources = append(s.Resources, access.Resource{ID: fmt.Sprint("c", i), Kind: access.KindCloud, Name: fmt.Sprint("cloud-", i)})
	}
	for i := range rapid.IntRange(0, 4).Draw(t, "projects") {
		s.Resources = append(s.Resources, access.Resource{ID: fmt.Sprint("p", i), Kind: access.KindProject, Name: fmt.Sprint("proj-", i),
			ParentID: fmt.Sprint("c", rapid.IntRange(0, nClouds-1).Draw(t, "parent")),
			Public:   o.Public && rapid.Bool().Draw(t, "public")})
	}
	for i := range rapid.IntRange(0, 6).Draw(t, "users") {
		s.Users = append(s.Users, access.User{ID: fmt.Sprint("u", i), UserName: fmt.Sprintf("user%d@example.com", i),
			Active: rapid.IntRange(0, 3).Draw(t, "active") > 0, Removed: rapid.IntRange(0, 4).Draw(t, "removed") == 0,
			Exempt: o.Exempt && rapid.IntRange(0, 3).Draw(t, "exempt") == 0})
	}
	for i := range rapid.IntRange(0, 4).Draw(t, "groups") {
		s.Groups = append(s.Groups, access.Group{ID: fmt.Sprint("g", i), DisplayName: fmt.Sprint("group-", i),
			Active: rapid.IntRange(0, 3).Draw(t, "groupActive") > 0})
	}
	seen := map[string]bool{}
	if len(s.Groups) > 0 {
		for range rapid.IntRange(0, 12).Draw(t, "memberships") {
			gi := rapid.IntRange(0, len(s.Groups)-1).Draw(t, "group")
			m := access.Membership{GroupID: s.Groups[gi].ID}
			switch {
			case len(s.Users) > 0 && rapid.Bool().Draw(t, "userMember"):
				m.MemberType, m.MemberID = access.PrincipalUser, s.Users[rapid.IntRange(0, len(s.Users)-1).Draw(t, "member")].ID
			case !o.Storable:
				m.MemberType, m.MemberID = access.PrincipalGroup, s.Groups[rapid.IntRange(0, len(s.Groups)-1).Draw(t, "member")].ID
			case gi > 0:
				m.MemberType, m.MemberID = access.PrincipalGroup, s.Groups[rapid.IntRange(0, gi-1).Draw(t, "member")].ID
			default:
				continue
			}
			if k := "m/" + m.GroupID + "/" + m.MemberID; o.Storable {
				if seen[k] {
					continue
				}
				seen[k] = true
			}
			s.Memberships = append(s.Memberships, m)
		}
	}
	for i := range rapid.IntRange(0, 2).Draw(t, "accounts") {
		s.ServiceAccounts = append(s.ServiceAccounts, access.ServiceAccount{ID: fmt.Sprint("sa", i), Name: fmt.Sprint("sa-", i)})
	}
	for i := range rapid.IntRange(0, 15).Draw(t, "bindings") {
		res := s.Resources[rapid.IntRange(0, len(s.Resources)-1).Draw(t, "resource")]
		valid := access.ValidRoles(res.Kind)
		role := valid[rapid.IntRange(0, len(valid)-1).Draw(t, "role")]
		var pt access.PrincipalType
		var pid string
		switch k := rapid.IntRange(0, 2).Draw(t, "principalType"); {
		case k == 0 && len(s.Users) > 0:
			pt, pid = access.PrincipalUser, s.Users[rapid.IntRange(0, len(s.Users)-1).Draw(t, "principal")].ID
		case k == 1 && len(s.Groups) > 0:
			pt, pid = access.PrincipalGroup, s.Groups[rapid.IntRange(0, len(s.Groups)-1).Draw(t, "principal")].ID
		case len(s.ServiceAccounts) > 0:
			pt, pid = access.PrincipalServiceAccount, s.ServiceAccounts[rapid.IntRange(0, len(s.ServiceAccounts)-1).Draw(t, "principal")].ID
		default:
			continue
		}
		if k := "b/" + res.ID + "/" + pt.String() + "/" + pid + "/" + role.String(); o.Storable {
			if seen[k] {
				continue
			}
			seen[k] = true
		}
		s.Bindings = append(s.Bindings, access.Binding{ID: fmt.Sprint("b", i), ResourceID: res.ID, PrincipalType: pt, PrincipalID: pid, Role: role})
	}
	return s
}
