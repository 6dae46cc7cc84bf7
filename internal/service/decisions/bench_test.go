package decisions_test

import (
	"context"
	"fmt"
	"os"
	"runtime"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/rolecall/rolecall/internal/access"
	"github.com/rolecall/rolecall/internal/decision"
	"github.com/rolecall/rolecall/internal/population"
	"github.com/rolecall/rolecall/internal/service/decisions"
	"github.com/rolecall/rolecall/internal/testenv"
)

// Issue 15's many-organizations budgets, measured through the cache on a real SQLite store:
// a cold 1,000-user org answers its first decision in < 50 ms, and 10,000 small orgs fit in
// the memory cap without thrashing.
//
//	go test ./internal/service/decisions -run '^$' -bench 'ColdOrg|ManyOrgs' -benchtime 20x
//
// ROLECALL_BENCH_ORGS sets the number of small orgs (10000).

// BenchmarkColdOrg measures the first decision of an org no index is held for: reading its
// state from SQLite, building the index and evaluating. Two 1,000-user orgs: "1000users"
// scales every part of the budget population to 1,000 users (100 groups, 10,000
// memberships, 5,000 bindings, 10 clouds of 10 projects); "1000users-10kprojects" keeps
// the budget's 10,000 projects (population.Scaled), the largest resource tree an org of that
// size might have.
func BenchmarkColdOrg(b *testing.B) {
	proportional := population.Scaled(1000)
	proportional.Clouds, proportional.ProjectsPerCloud = 10, 10
	for _, tc := range []struct {
		name string
		spec population.Spec
	}{{"1000users", proportional}, {"1000users-10kprojects", population.Scaled(1000)}} {
		b.Run(tc.name, func(b *testing.B) {
			st := testenv.SQLite(b)
			s, err := population.Generate(tc.spec)
			if err != nil {
				b.Fatal(err)
			}
			org, _ := testenv.Seed(b, st, "cold", s)
			q := decision.Query{Subject: decision.Subject{Type: decision.SubjectUser, ID: population.UserName(7)},
				Action: "read", Resource: decision.Resource{Kind: access.KindProject, Name: population.ProjectName(3, 4)}}
			ctx := context.Background()
			b.ReportAllocs()
			c0 := cpuTime()
			for b.Loop() {
				c := decisions.New(st, decisions.Options{})
				ix, _, err := c.Index(ctx, org, 0)
				if err != nil {
					b.Fatal(err)
				}
				if d := ix.Evaluate(q); d.Reason == decision.ReasonUnknownResource || d.Reason == decision.ReasonUnknownSubject {
					b.Fatalf("the query names nothing: %s", d.Message())
				}
				c.Close()
			}
			b.ReportMetric(float64(b.Elapsed().Microseconds())/1000/float64(b.N), "ms/first-decision")
			b.ReportMetric(float64((cpuTime()-c0).Microseconds())/1000/float64(b.N), "cpu-ms/first-decision")
		})
	}
}

// BenchmarkManyOrgs seeds N small orgs (10 users, 3 groups, 2 clouds with 3 projects each,
// 20 bindings), then each iteration asks one decision of every org through one cache with
// the default cap: the first pass builds every index, later ones must find them all held
// (no eviction, no rebuild). It reports the memory the indexes take and the warm cost of
// a decision over all orgs.
func BenchmarkManyOrgs(b *testing.B) {
	n := 10000
	if v, err := strconv.Atoi(os.Getenv("ROLECALL_BENCH_ORGS")); err == nil && v > 0 {
		n = v
	}
	st := testenv.SQLite(b)
	small := population.Spec{OrgName: "org", Users: 10, Groups: 3, Memberships: 15, Bindings: 20, Clouds: 2,
		ProjectsPerCloud: 3, ServiceAccounts: 1, Ungrouped: 1, NestChain: 1, DirectPerUser: 1, SABindings: 1, Seed: 1}
	s, err := population.Generate(small)
	if err != nil {
		b.Fatal(err)
	}
	orgs := make([]string, n)
	t0 := time.Now()
	// Eight seeders at once: SQLite's group commit shares their commits' fsyncs.
	var wg sync.WaitGroup
	for w := range 8 {
		wg.Go(func() {
			for i := w; i < n; i += 8 {
				orgs[i], _ = testenv.Seed(b, st, fmt.Sprintf("org-%05d", i), s)
			}
		})
	}
	wg.Wait()
	b.Logf("seeded %d orgs in %s", n, time.Since(t0).Round(time.Millisecond))
	q := decision.Query{Subject: decision.Subject{Type: decision.SubjectUser, ID: population.UserName(1)},
		Action: "read", Resource: decision.Resource{Kind: access.KindCloud, Name: population.CloudName(1)}}
	ctx := context.Background()
	c := decisions.New(st, decisions.Options{})
	defer c.Close()
	var heap0 runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&heap0)
	pass := func() {
		for _, org := range orgs {
			ix, _, err := c.Index(ctx, org, 0)
			if err != nil {
				b.Fatal(err)
			}
			ix.Evaluate(q)
		}
	}
	t0 = time.Now()
	pass() // cold: builds every index
	cold := time.Since(t0)
	var heap1 runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&heap1)
	built := c.Stats()
	b.ResetTimer()
	for b.Loop() {
		pass()
	}
	b.StopTimer()
	st2 := c.Stats()
	if st2.Builds != built.Builds || st2.Evictions != 0 {
		b.Errorf("thrashing: %d builds after the first pass (%d before), %d evictions", st2.Builds, built.Builds, st2.Evictions)
	}
	b.ReportMetric(float64(cold.Milliseconds()), "ms/cold-pass")
	b.ReportMetric(float64(b.Elapsed().Microseconds())/float64(b.N*n), "µs/warm-decision")
	b.ReportMetric(float64(st2.Bytes)/float64(n), "index-bytes/org")
	b.ReportMetric(float64(int64(heap1.HeapAlloc)-int64(heap0.HeapAlloc))/float64(n), "heap-bytes/org")
	b.ReportMetric(float64(st2.Orgs), "orgs-held")
}
