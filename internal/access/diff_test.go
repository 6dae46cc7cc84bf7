package access_test

import (
	"cmp"
	"fmt"
	"slices"
	"testing"

	"pgregory.net/rapid"

	"github.com/rolecall/rolecall/internal/access"
	"github.com/rolecall/rolecall/internal/access/accesstest"
)

// diffState is a small org for the table: a cloud with a private and a public project, a
// second cloud, users u1 (in group eng, which is in group all) and u2 (direct grants only).
func diffState() *access.State {
	return &access.State{
		Resources: []access.Resource{
			{ID: "org", Kind: access.KindOrganization, Name: "acme"},
			{ID: "c1", Kind: access.KindCloud, Name: "prod"},
			{ID: "c2", Kind: access.KindCloud, Name: "dev"},
			{ID: "p1", Kind: access.KindProject, Name: "billing", ParentID: "c1"},
			{ID: "p2", Kind: access.KindProject, Name: "wiki", ParentID: "c1", Public: true},
		},
		Users: []access.User{
			{ID: "u1", UserName: "alice", Active: true},
			{ID: "u2", UserName: "bob", Active: true},
		},
		Groups: []access.Group{{ID: "eng", DisplayName: "eng", Active: true}, {ID: "all", DisplayName: "all", Active: true}},
		Memberships: []access.Membership{
			{GroupID: "eng", MemberID: "u1", MemberType: access.PrincipalUser},
			{GroupID: "all", MemberID: "eng", MemberType: access.PrincipalGroup},
		},
		Bindings: []access.Binding{
			{ID: "b1", ResourceID: "p1", PrincipalID: "eng", PrincipalType: access.PrincipalGroup, Role: access.RoleReadonly},
			{ID: "b2", ResourceID: "c2", PrincipalID: "u2", PrincipalType: access.PrincipalUser, Role: access.RoleCollaborator},
		},
	}
}

func TestDiffUser(t *testing.T) {
	type edit func(s *access.State)
	bind := func(id, res, who string, pt access.PrincipalType, r access.Role) edit {
		return func(s *access.State) {
			s.Bindings = append(s.Bindings, access.Binding{ID: id, ResourceID: res, PrincipalID: who, PrincipalType: pt, Role: r})
		}
	}
	unbind := func(id string) edit {
		return func(s *access.State) {
			s.Bindings = slices.DeleteFunc(s.Bindings, func(b access.Binding) bool { return b.ID == id })
		}
	}
	leave := func(group, member string) edit {
		return func(s *access.State) {
			s.Memberships = slices.DeleteFunc(s.Memberships, func(m access.Membership) bool { return m.GroupID == group && m.MemberID == member })
		}
	}
	user := func(id string, f func(u *access.User)) edit {
		return func(s *access.State) {
			for i := range s.Users {
				if s.Users[i].ID == id {
					f(&s.Users[i])
				}
			}
		}
	}
	for _, tc := range []struct {
		name  string
		setup []edit // applied to both sides
		after []edit // applied to the after side
		user  string
		want  []string
	}{
		{"nothing changes", nil, nil, "u1", nil},
		{"a grant to a group above the user reaches it", nil,
			[]edit{bind("b3", "c1", "all", access.PrincipalGroup, access.RoleReadonly)}, "u1",
			[]string{"cloud prod none→readonly", "project wiki none→collaborator"}},
		{"a grant the user already holds more of changes nothing", []edit{bind("b3", "p1", "u1", access.PrincipalUser, access.RoleOwner)},
			[]edit{bind("b4", "p1", "all", access.PrincipalGroup, access.RoleCollaborator)}, "u1", nil},
		{"leaving the nested group loses what came through it", nil, []edit{leave("eng", "u1")}, "u1",
			[]string{"project billing readonly→none"}},
		{"a group's deactivation", nil, []edit{func(s *access.State) { s.Groups[0].Active = false }}, "u1",
			[]string{"project billing readonly→none"}},
		{"an inactive user holds nothing on either side", []edit{user("u1", func(u *access.User) { u.Active = false })},
			[]edit{bind("b3", "c1", "u1", access.PrincipalUser, access.RoleOwner)}, "u1", nil},
		{"a removed user coming back regains its roles", []edit{user("u2", func(u *access.User) { u.Removed = true })},
			[]edit{user("u2", func(u *access.User) { u.Removed = false })}, "u2",
			[]string{"cloud dev none→collaborator"}},
		{"becoming org owner lists only the organization", []edit{bind("b3", "c1", "u2", access.PrincipalUser, access.RoleReadonly)},
			[]edit{bind("b4", "org", "u2", access.PrincipalUser, access.RoleOwner)}, "u2",
			[]string{"organization acme none→owner"}},
		{"losing org ownership lists what bindings still give", []edit{bind("b3", "org", "u2", access.PrincipalUser, access.RoleOwner)},
			[]edit{unbind("b3"), unbind("b2")}, "u2",
			[]string{"organization acme owner→none", "cloud dev collaborator→none"}},
		{"a public project follows its cloud", []edit{bind("b3", "c1", "u2", access.PrincipalUser, access.RoleReadonly)},
			[]edit{unbind("b3")}, "u2",
			[]string{"cloud prod readonly→none", "project wiki collaborator→none"}},
		{"an own role on a public project above collaborator stays", []edit{
			bind("b3", "c1", "u2", access.PrincipalUser, access.RoleReadonly), bind("b4", "p2", "u2", access.PrincipalUser, access.RoleOwner)},
			[]edit{unbind("b3")}, "u2", []string{"cloud prod readonly→none"}},
		{"a user unknown to the after side loses everything", nil,
			[]edit{func(s *access.State) { s.Users = s.Users[:1] }}, "u2", []string{"cloud dev collaborator→none"}},
		{"a user unknown to both", nil, nil, "nobody", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before, after := diffState(), diffState()
			for _, e := range tc.setup {
				e(before)
				e(after)
			}
			for _, e := range tc.after {
				e(after)
			}
			var got []string
			for _, d := range access.DiffUser(access.NewIndex(before), access.NewIndex(after), tc.user) {
				got = append(got, fmt.Sprintf("%s %s %s→%s", d.Kind, d.Name, d.Before, d.After))
			}
			if !slices.Equal(got, tc.want) {
				t.Errorf("DiffUser = %q, want %q", got, tc.want)
			}
		})
	}
}

// TestDiffUserMatchesEffectiveRoles checks DiffUser, which evaluates only what a user holds,
// against the definition evaluated on every resource: the org line from EffectiveRole; a
// cloud or project line from EffectiveRole in the snapshot where org ownership is taken
// away (org-owner bindings lowered to collaborator, which gives nothing below the org), so
// that it is what bindings and public projects give; no cloud or project line when the
// user is an org owner after.
func TestDiffUserMatchesEffectiveRoles(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		before := accesstest.Draw(t, accesstest.Options{Public: true})
		after := accesstest.Draw(t, accesstest.Options{Public: true})
		after.Resources = before.Resources // one org, two moments: same resources
		bi, ai := access.NewIndex(before), access.NewIndex(after)
		lowered := func(s *access.State) *access.Index {
			c := *s
			c.Bindings = slices.Clone(s.Bindings)
			for i := range c.Bindings {
				if c.Bindings[i].ResourceID == "org" && c.Bindings[i].Role == access.RoleOwner {
					c.Bindings[i].Role = access.RoleCollaborator
				}
			}
			return access.NewIndex(&c)
		}
		bl, al := lowered(before), lowered(after)
		role := func(ix, low *access.Index, user string, r access.Resource) access.Role {
			if _, ok := ix.LookupUser(user); !ok {
				return access.RoleNone
			}
			src := low
			if r.Kind == access.KindOrganization {
				src = ix
			}
			a, err := src.EffectiveRole(user, r.ID)
			if err != nil {
				t.Fatal(err)
			}
			return a.Role
		}
		differ := access.NewDiffer(bi, ai) // one Differ for every user: its buffers are reused
		reordered := *after
		reordered.Resources = slices.Clone(after.Resources)
		slices.Reverse(reordered.Resources)
		byID := access.NewDiffer(bi, access.NewIndex(&reordered))
		users := map[string]bool{}
		for _, u := range append(slices.Clone(before.Users), after.Users...) {
			users[u.ID] = true
		}
		for id := range users {
			var want []access.RoleDiff
			ownerAfter := role(ai, al, id, before.Resources[0]) == access.RoleOwner
			for _, r := range before.Resources {
				was, is := role(bi, bl, id, r), role(ai, al, id, r)
				if was == is || (ownerAfter && r.Kind != access.KindOrganization) {
					continue
				}
				want = append(want, access.RoleDiff{ResourceID: r.ID, Name: r.Name, Kind: r.Kind, Before: was, After: is})
			}
			slices.SortFunc(want, func(x, y access.RoleDiff) int {
				return cmp.Or(cmp.Compare(x.Kind, y.Kind), cmp.Compare(x.Name, y.Name), cmp.Compare(x.ResourceID, y.ResourceID))
			})
			if got := differ.User(id); !slices.Equal(got, want) {
				t.Fatalf("Differ.User(%s) = %+v\nwant %+v", id, got, want)
			}
			// Resources listed in another order: matched by id, same answer.
			if got := byID.User(id); !slices.Equal(got, want) {
				t.Fatalf("Differ.User(%s) over reordered resources = %+v\nwant %+v", id, got, want)
			}
		}
	})
}
