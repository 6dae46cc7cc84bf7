package access

import (
	"fmt"
	"strconv"
	"testing"
)

// benchState is a mid-size org for evaluation benchmarks: 10,000 users in 500 groups (ten
// groups each, groups nested three deep), 50 clouds of 10 projects, and four direct and
// about ten group grants per user.
func benchState() *State {
	s := &State{Resources: []Resource{{ID: "org", Kind: KindOrganization, Name: "org"}}}
	var sub []string
	for c := range 50 {
		cid := "c" + strconv.Itoa(c)
		s.Resources = append(s.Resources, Resource{ID: cid, Kind: KindCloud, Name: cid})
		sub = append(sub, cid)
		for p := range 10 {
			pid := fmt.Sprintf("p%d-%d", c, p)
			s.Resources = append(s.Resources, Resource{ID: pid, Kind: KindProject, Name: pid, ParentID: cid})
			sub = append(sub, pid)
		}
	}
	roles := []Role{RoleOwner, RoleCollaborator, RoleReadonly}
	for g := range 500 {
		gid := "g" + strconv.Itoa(g)
		s.Groups = append(s.Groups, Group{ID: gid, DisplayName: gid, Active: true})
		if g >= 3 && g%3 != 0 { // nesting: g ⊂ g-1 for two of every three groups
			s.Memberships = append(s.Memberships, Membership{GroupID: "g" + strconv.Itoa(g-1), MemberType: PrincipalGroup, MemberID: gid})
		}
		for k := range 10 {
			s.Bindings = append(s.Bindings, Binding{ID: fmt.Sprintf("bg%d-%d", g, k), ResourceID: sub[(g*7+k)%len(sub)],
				PrincipalType: PrincipalGroup, PrincipalID: gid, Role: roles[(g+k)%3]})
		}
	}
	for u := range 10000 {
		uid := "u" + strconv.Itoa(u)
		s.Users = append(s.Users, User{ID: uid, UserName: uid + "@example.com", Active: true})
		for k := range 10 {
			s.Memberships = append(s.Memberships, Membership{GroupID: "g" + strconv.Itoa((u*13+k*31)%500), MemberType: PrincipalUser, MemberID: uid})
		}
		for k := range 4 {
			s.Bindings = append(s.Bindings, Binding{ID: fmt.Sprintf("bu%d-%d", u, k), ResourceID: sub[(u+k*37)%len(sub)],
				PrincipalType: PrincipalUser, PrincipalID: uid, Role: roles[(u+k)%3]})
		}
	}
	return s
}

// BenchmarkIndexBuild measures building the index behind every access question.
func BenchmarkIndexBuild(b *testing.B) {
	s := benchState()
	b.ReportAllocs()
	for b.Loop() {
		NewIndex(s)
	}
}

// BenchmarkEffectiveRole measures one access check: a user's effective role on a project
// (direct grants, ten groups with nesting, the cloud and the org above it).
func BenchmarkEffectiveRole(b *testing.B) {
	ix := NewIndex(benchState())
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		if _, err := ix.EffectiveRole("u"+strconv.Itoa(i%10000), "p"+strconv.Itoa(i%50)+"-3"); err != nil {
			b.Fatal(err)
		}
		i++
	}
}

// BenchmarkUserAccess measures listing everything one user can reach (access list).
func BenchmarkUserAccess(b *testing.B) {
	ix := NewIndex(benchState())
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		if _, err := ix.UserAccess("u" + strconv.Itoa(i%10000)); err != nil {
			b.Fatal(err)
		}
		i++
	}
}
