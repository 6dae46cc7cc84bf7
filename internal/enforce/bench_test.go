package enforce

import (
	"fmt"
	"math/rand/v2"
	"runtime"
	"strings"
	"testing"

	"github.com/rolecall/rolecall/internal/access"
)

// Sizes of the DESIGN.md performance budget: plan < 3 s and < 1 GiB RSS.
const (
	benchUsers       = 100_000
	benchGroups      = 5_000
	benchMemberships = 1_000_000
	benchBindings    = 500_000
	benchClouds      = 200
	benchProjects    = 2_000
	benchAccounts    = 1_000
)

// largeState generates a big org deterministically. Every reference is a freshly allocated
// string, as rows scanned from a database would be, so memory figures are not flattered by
// sharing. Groups nest three levels deep (500 departments, 1,000 teams in them, 500
// squads in teams); 2% of users are in no group, 1% are inactive, 0.5% already removed, 2%
// of groups inactive.
func largeState() *access.State {
	r := rand.New(rand.NewPCG(7, 11))
	uuid := func() string {
		return fmt.Sprintf("%08x-%04x-%04x-%04x-%012x", r.Uint32(), r.Uint32()&0xffff, r.Uint32()&0xffff,
			r.Uint32()&0xffff, r.Uint64()&0xffffffffffff)
	}
	s := &access.State{}
	org := uuid()
	s.Resources = append(s.Resources, access.Resource{ID: org, Kind: access.KindOrganization, Name: "big-org"})
	clouds := make([]string, benchClouds)
	for i := range clouds {
		clouds[i] = uuid()
		s.Resources = append(s.Resources, access.Resource{ID: clouds[i], Kind: access.KindCloud, Name: fmt.Sprintf("cloud-%03d", i)})
	}
	for i := range benchProjects {
		s.Resources = append(s.Resources, access.Resource{ID: uuid(), Kind: access.KindProject,
			Name: fmt.Sprintf("proj-%04d", i), ParentID: strings.Clone(clouds[i%benchClouds])})
	}
	for i := range benchUsers {
		s.Users = append(s.Users, access.User{ID: uuid(), UserName: fmt.Sprintf("user%06d@example.com", i),
			Active: i%100 != 1, Removed: i%200 == 3})
	}
	for i := range benchGroups {
		s.Groups = append(s.Groups, access.Group{ID: uuid(), DisplayName: fmt.Sprintf("group-%04d", i), Active: i%50 != 7})
	}
	for _, i := range r.Perm(benchAccounts) {
		s.ServiceAccounts = append(s.ServiceAccounts, access.ServiceAccount{ID: uuid(), Name: fmt.Sprintf("sa-%04d", i)})
	}
	gid := func(i int) string { return strings.Clone(s.Groups[i].ID) }
	uid := func(i int) string { return strings.Clone(s.Users[i].ID) }
	s.Memberships = make([]access.Membership, 0, benchMemberships)
	for c := 500; c < 1500; c++ { // teams in departments
		s.Memberships = append(s.Memberships, member(gid(r.IntN(500)), G, gid(c)))
	}
	for c := 1500; c < 2000; c++ { // squads in teams
		s.Memberships = append(s.Memberships, member(gid(500+r.IntN(1000)), G, gid(c)))
	}
	grouped := benchUsers * 98 / 100
	for k := 0; len(s.Memberships) < benchMemberships; k++ {
		u := k % grouped
		g := (u*7919 + (k/grouped)*487) % benchGroups
		s.Memberships = append(s.Memberships, member(gid(g), U, uid(u)))
	}
	s.Bindings = make([]access.Binding, 0, benchBindings)
	resource := func() (string, access.Kind) {
		switch n := r.IntN(100); {
		case n < 80:
			p := s.Resources[1+benchClouds+r.IntN(benchProjects)]
			return strings.Clone(p.ID), access.KindProject
		case n < 99:
			return strings.Clone(clouds[r.IntN(benchClouds)]), access.KindCloud
		default:
			return strings.Clone(org), access.KindOrganization
		}
	}
	add := func(t access.PrincipalType, pid string) {
		res, kind := resource()
		valid := access.ValidRoles(kind)
		s.Bindings = append(s.Bindings, access.Binding{ID: uuid(), ResourceID: res, PrincipalType: t, PrincipalID: pid,
			Role: valid[r.IntN(len(valid))]})
	}
	for g := range benchGroups {
		for range 20 {
			add(G, gid(g))
		}
	}
	for a := range benchAccounts {
		for range 5 {
			add(SA, strings.Clone(s.ServiceAccounts[a].ID))
		}
	}
	for len(s.Bindings) < benchBindings {
		add(U, uid(r.IntN(benchUsers)))
	}
	return s
}

// BenchmarkPlan measures what enforce-groups does per run: index, plan and fingerprint.
//
//	go test ./internal/enforce -run '^$' -bench BenchmarkPlan -benchmem
func BenchmarkPlan(b *testing.B) {
	s := largeState()
	b.ReportAllocs()
	var p *Plan
	for b.Loop() {
		p = Compute(s)
	}
	b.ReportMetric(float64(p.Summary.Changes), "changes")
	b.ReportMetric(float64(p.Summary.UsersRemoved), "removed")
	b.ReportMetric(float64(p.DeleteBindings), "deletions")
	var ms runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&ms)
	b.ReportMetric(float64(ms.HeapAlloc)/(1<<20), "liveMiB") // the State plus the last plan
	runtime.KeepAlive(s)
	runtime.KeepAlive(p)
}

// BenchmarkFingerprint isolates the fingerprint (part of BenchmarkPlan).
func BenchmarkFingerprint(b *testing.B) {
	ix := access.NewIndex(largeState())
	b.ReportAllocs()
	for b.Loop() {
		Fingerprint(ix)
	}
}

// BenchmarkIndex isolates building the index (part of BenchmarkPlan).
func BenchmarkIndex(b *testing.B) {
	s := largeState()
	b.ReportAllocs()
	for b.Loop() {
		access.NewIndex(s)
	}
}
