package enforcegroups_test

import (
	"fmt"
	"math/rand/v2"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/rolecall/rolecall/internal/access"
	"github.com/rolecall/rolecall/internal/api"
	"github.com/rolecall/rolecall/internal/store"
	"github.com/rolecall/rolecall/internal/testenv"
)

// Size of the benchmark organization: the enforce-groups budget of DESIGN.md.
const (
	benchUsers       = 100_000
	benchGroups      = 5_000
	benchMemberships = 1_000_000
	benchBindings    = 500_000
	benchClouds      = 50
	benchProjects    = 10 // per cloud
	// benchUngrouped users (the last ones) are in no group: apply removes them (and the
	// few others that the random memberships leave out).
	benchUngrouped = 5_000
)

// largeState builds the benchmark organization, deterministically: every grouped user is in
// ten groups on average; groups hold 100,000 bindings, users 400,000 direct ones (four
// each); one group owns the org, so an owner remains.
func largeState() *access.State {
	r := rand.New(rand.NewPCG(1, 2))
	s := &access.State{Resources: []access.Resource{{ID: "org", Kind: access.KindOrganization, Name: "bench-org"}}}
	for c := range benchClouds {
		cid := "c" + strconv.Itoa(c)
		s.Resources = append(s.Resources, access.Resource{ID: cid, Kind: access.KindCloud, Name: "cloud-" + strconv.Itoa(c)})
		for p := range benchProjects {
			s.Resources = append(s.Resources, access.Resource{ID: fmt.Sprintf("p%d-%d", c, p), Kind: access.KindProject,
				Name: fmt.Sprintf("proj-%d-%d", c, p), ParentID: cid})
		}
	}
	sub := s.Resources[1:] // clouds and projects
	roles := []access.Role{access.RoleOwner, access.RoleCollaborator, access.RoleReadonly}
	for u := range benchUsers {
		s.Users = append(s.Users, access.User{ID: "u" + strconv.Itoa(u), UserName: fmt.Sprintf("user%06d@example.com", u), Active: true})
	}
	for g := range benchGroups {
		s.Groups = append(s.Groups, access.Group{ID: "g" + strconv.Itoa(g), DisplayName: "group-" + strconv.Itoa(g), Active: g%50 != 49})
	}
	seen := map[[2]int32]bool{}
	for len(s.Memberships) < benchMemberships {
		g, u := int32(r.IntN(benchGroups)), int32(r.IntN(benchUsers-benchUngrouped))
		if seen[[2]int32{g, u}] {
			continue
		}
		seen[[2]int32{g, u}] = true
		s.Memberships = append(s.Memberships, access.Membership{GroupID: "g" + strconv.Itoa(int(g)), MemberType: access.PrincipalUser, MemberID: "u" + strconv.Itoa(int(u))})
	}
	n := 0
	bind := func(res string, t access.PrincipalType, p string, role access.Role) {
		s.Bindings = append(s.Bindings, access.Binding{ID: "b" + strconv.Itoa(n), ResourceID: res, PrincipalType: t, PrincipalID: p, Role: role})
		n++
	}
	bind("org", access.PrincipalGroup, "g0", access.RoleOwner)
	// Group g's k-th binding is on resource g*13+k: distinct for each group.
	for k := 0; len(s.Bindings) < benchBindings-4*benchUsers; k++ {
		g := k % benchGroups
		bind(sub[(g*13+k/benchGroups)%len(sub)].ID, access.PrincipalGroup, "g"+strconv.Itoa(g), roles[r.IntN(3)])
	}
	for u := range benchUsers {
		start := r.IntN(len(sub))
		for k := range 4 {
			res := sub[(start+k*37)%len(sub)]
			bind(res.ID, access.PrincipalUser, "u"+strconv.Itoa(u), roles[r.IntN(3)])
		}
	}
	return s
}

// BenchmarkApplyLarge seeds the budget-sized organization once per backend (SQLite; and
// PostgreSQL when ROLECALL_TEST_POSTGRES is set), then per iteration previews (plan), applies
// (one transaction) and undoes. It reports the seconds of each step and the process's peak
// RSS. It runs only with -bench:
//
//	go test -run '^$' -bench ApplyLarge/sqlite -benchtime 1x -timeout 60m ./internal/service/enforcegroups/
//	ROLECALL_TEST_POSTGRES=postgres://… go test -run '^$' -bench ApplyLarge/postgres -benchtime 1x -timeout 60m ./internal/service/enforcegroups/
func BenchmarkApplyLarge(b *testing.B) {
	if testing.Short() {
		b.Skip("seeding 1.6 million rows takes minutes")
	}
	b.Run("sqlite", func(b *testing.B) { benchApplyLarge(b, testenv.SQLite(b)) })
	b.Run("postgres", func(b *testing.B) { benchApplyLarge(b, openPostgres(b)) })
}

func benchApplyLarge(b *testing.B, st store.Store) {
	s := largeState()
	t0 := time.Now()
	orgID, _ := testenv.Seed(b, st, "bench", s)
	b.Logf("seeded %d users, %d groups, %d memberships, %d bindings in %s", len(s.Users), len(s.Groups),
		len(s.Memberships), len(s.Bindings), time.Since(t0).Round(time.Millisecond))
	s = nil
	// Each step's time per store method is logged, so that a slow bulk method shows.
	tm := &timings{m: map[string]time.Duration{}}
	svc := newService(timedStore{st, tm})
	var plan, apply, undo time.Duration
	b.ResetTimer()
	for range b.N {
		t := time.Now()
		pv, err := svc.Preview(ctxAs("bench"), orgID)
		if err != nil {
			b.Fatal(err)
		}
		plan += time.Since(t)
		tm.report(b, "plan")
		t = time.Now()
		res, err := svc.Apply(ctxAs("bench"), orgID, api.EnforceApplyRequest{Fingerprint: pv.Plan.Fingerprint})
		if err != nil {
			b.Fatal(err)
		}
		apply += time.Since(t)
		tm.report(b, "apply")
		if res.Run.DeletedBindings != 4*benchUsers || res.Run.RemovedUsers != len(pv.Plan.RemovedUsers) || res.Run.RemovedUsers < benchUngrouped {
			b.Fatalf("run deleted %d bindings and removed %d users", res.Run.DeletedBindings, res.Run.RemovedUsers)
		}
		b.StopTimer()
		t = time.Now()
		u, err := svc.Undo(ctxAs("bench"), orgID, res.RunID)
		if err != nil {
			b.Fatal(err)
		}
		undo += time.Since(t)
		tm.report(b, "undo")
		if u.RestoredBindings != 4*benchUsers || u.RestoredUsers != res.Run.RemovedUsers {
			b.Fatalf("undo restored %d bindings and %d users", u.RestoredBindings, u.RestoredUsers)
		}
		b.StartTimer()
	}
	b.ReportMetric(plan.Seconds()/float64(b.N), "plan-s")
	b.ReportMetric(apply.Seconds()/float64(b.N), "apply-s")
	b.ReportMetric(undo.Seconds()/float64(b.N), "undo-s")
	b.ReportMetric(peakRSSMiB(), "peakRSS-MiB")
}

// peakRSSMiB reads the process's peak resident set size (Linux); 0 elsewhere.
func peakRSSMiB() float64 {
	data, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(data), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			kb, _ := strconv.ParseFloat(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 64)
			return kb / 1024
		}
	}
	return 0
}
