package service_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/rolecall/rolecall/internal/access"
	"github.com/rolecall/rolecall/internal/api"
	"github.com/rolecall/rolecall/internal/audit"
	"github.com/rolecall/rolecall/internal/service"
	"github.com/rolecall/rolecall/internal/store"
	"github.com/rolecall/rolecall/internal/testenv"
)

// rulesBenchState is 10,000 groups (team-N, svc-N-pM, ops-N-x), 100 clouds, 500 projects and
// 2,000 users in two groups each.
func rulesBenchState() *access.State {
	s := &access.State{Resources: []access.Resource{{ID: "org", Kind: access.KindOrganization, Name: "bench"}}}
	for c := range 100 {
		s.Resources = append(s.Resources, access.Resource{ID: fmt.Sprint("c", c), Kind: access.KindCloud, Name: fmt.Sprint("cloud-", c)})
	}
	for p := range 500 {
		s.Resources = append(s.Resources, access.Resource{ID: fmt.Sprint("p", p), Kind: access.KindProject, Name: fmt.Sprint("p", p), ParentID: fmt.Sprint("c", p%100)})
	}
	for i := range 4000 {
		s.Groups = append(s.Groups, access.Group{ID: fmt.Sprint("gt", i), DisplayName: fmt.Sprint("team-", i), Active: true})
	}
	for i := range 3000 {
		s.Groups = append(s.Groups, access.Group{ID: fmt.Sprint("gs", i), DisplayName: fmt.Sprintf("svc-%d-p%d", i%300, (i/300)*50+i%50), Active: true})
	}
	for i := range 3000 {
		s.Groups = append(s.Groups, access.Group{ID: fmt.Sprint("go", i), DisplayName: fmt.Sprintf("ops-%d-x%d", i%100, i), Active: true})
	}
	for u := range 2000 {
		id := fmt.Sprint("u", u)
		s.Users = append(s.Users, access.User{ID: id, UserName: fmt.Sprintf("user%d@example.com", u), Active: true})
		s.Memberships = append(s.Memberships,
			access.Membership{GroupID: fmt.Sprint("gt", u*2%4000), MemberID: id, MemberType: access.PrincipalUser},
			access.Membership{GroupID: fmt.Sprint("gs", u%3000), MemberID: id, MemberType: access.PrincipalUser})
	}
	return s
}

// rulesBenchSet is 1,000 rules: 400 exact displayNames, 300 anchored patterns capturing the
// project, 200 externalIds, 100 unanchored patterns that every group is tried against.
func rulesBenchSet() []api.RuleInput {
	var rs []api.RuleInput
	for i := range 400 {
		rs = append(rs, api.RuleInput{Name: fmt.Sprint("team ", i), Match: "displayName", Value: fmt.Sprint("team-", i*10),
			ResourceKind: "cloud", ResourceName: fmt.Sprint("cloud-", i%100), Role: "readonly"})
	}
	for i := range 300 {
		rs = append(rs, api.RuleInput{Name: fmt.Sprint("svc ", i), Match: "pattern", Value: fmt.Sprintf(`^svc-%d-(?P<project>p[0-9]+)$`, i), Role: "collaborator"})
	}
	for i := range 200 {
		rs = append(rs, api.RuleInput{Name: fmt.Sprint("ext ", i), Match: "externalId", Value: fmt.Sprint("00g", i),
			ResourceKind: "project", ResourceName: fmt.Sprint("p", i), Role: "owner"})
	}
	for i := range 100 {
		rs = append(rs, api.RuleInput{Name: fmt.Sprint("ops ", i), Match: "pattern", Value: fmt.Sprintf(`ops-%d-x`, i),
			ResourceKind: "cloud", ResourceName: fmt.Sprint("cloud-", i), Role: "collaborator"})
	}
	return rs
}

// BenchmarkRulesPreview1000x10000 previews adding one rule to 1,000 applied rules over
// 10,000 groups through the service on SQLite: one read transaction that loads the state,
// the groups and the rule-made bindings, compiles the set, evaluates it and computes every
// user's change. The budget is < 1 s.
//
//	go test -run '^$' -bench RulesPreview -benchtime 5x ./internal/service/
func BenchmarkRulesPreview1000x10000(b *testing.B) {
	st := testenv.SQLite(b)
	org, _ := testenv.Seed(b, st, "bench", rulesBenchState())
	ctx := audit.WithActor(context.Background(), audit.Actor{Name: "bench", RequestID: "bench"})
	svc := service.New(st)
	set := service.RulesReq(rulesBenchSet())
	pv, err := svc.PreviewRuleChange(ctx, org, set)
	if err != nil {
		b.Fatal(err)
	}
	set.Fingerprint = pv.Preview.Fingerprint
	start := time.Now()
	res, err := svc.ApplyRuleChange(ctx, org, set)
	if err != nil {
		b.Fatal(err)
	}
	b.Logf("applying 1,000 rules over 10,000 groups: %d bindings made in %v", res.Change.BindingsAdded, time.Since(start).Round(time.Millisecond))
	if res.Change.BindingsAdded < 3000 {
		b.Fatalf("the rules made only %d bindings", res.Change.BindingsAdded)
	}
	add := api.RuleChangeRequest{Add: &api.RuleInput{Name: "new", Match: "pattern", Value: `^team-1`, ResourceKind: "cloud", ResourceName: "cloud-2", Role: "collaborator"}}
	var last api.RulePreview
	for b.Loop() {
		if last, err = svc.PreviewRuleChange(ctx, org, add); err != nil {
			b.Fatal(err)
		}
	}
	if last.Preview.Summary.BindingsAdded == 0 || last.Preview.Summary.GroupsMatched < 3000 {
		b.Fatalf("preview summary %+v", last.Preview.Summary)
	}
	b.Logf("the preview: %+v", last.Preview.Summary)
	var n int
	_ = st.View(ctx, func(tx store.Tx) (err error) { rs, err := tx.GroupRules(ctx, org); n = len(rs); return err })
	if n != 1000 {
		b.Fatalf("%d rules stored", n)
	}
}

// BenchmarkRulesResourceWrite1000x10000 creates clouds and projects and renames a project in
// an org with 10,000 groups and 1,000 applied rules (rulesBenchState, rulesBenchSet), through
// the service on SQLite. Each of these writes takes the org lock and reconciles the rules for
// the resource; the time is what the org's SCIM writes wait.
//
//	go test -run '^$' -bench RulesResourceWrite -benchtime 20x ./internal/service/
//
// "rename project" renames project p7 to p7-renamed and back, so that every iteration moves
// the bindings the 300 project-capturing patterns make on it (6 of them: svc-7-p7, svc-57-p7, …, svc-257-p7).
func BenchmarkRulesResourceWrite1000x10000(b *testing.B) {
	st := testenv.SQLite(b)
	org, _ := testenv.Seed(b, st, "bench", rulesBenchState())
	ctx := audit.WithActor(context.Background(), audit.Actor{Name: "bench", RequestID: "bench"})
	svc := service.New(st)
	set := service.RulesReq(rulesBenchSet())
	pv, err := svc.PreviewRuleChange(ctx, org, set)
	if err != nil {
		b.Fatal(err)
	}
	set.Fingerprint = pv.Preview.Fingerprint
	if _, err := svc.ApplyRuleChange(ctx, org, set); err != nil {
		b.Fatal(err)
	}
	ruleMadeOn := func(name string) int {
		var n int
		err := st.View(ctx, func(tx store.Tx) error {
			r, err := tx.ResourceByName(ctx, org, store.KindProject, name)
			if err != nil {
				return err
			}
			bs, err := tx.ListBindings(ctx, org, store.BindingFilter{ResourceID: r.ID})
			for _, x := range bs {
				if x.RuleID != "" {
					n++
				}
			}
			return err
		})
		if err != nil {
			b.Fatal(err)
		}
		return n
	}
	clouds, projects := 0, 0 // across runs (-count): names stay new
	b.Run("create cloud", func(b *testing.B) {
		for b.Loop() {
			if _, err := svc.CreateCloud(ctx, org, fmt.Sprint("new-cloud-", clouds)); err != nil {
				b.Fatal(err)
			}
			clouds++
		}
	})
	b.Run("create project", func(b *testing.B) {
		for b.Loop() {
			if _, err := svc.CreateProject(ctx, org, fmt.Sprint("new-project-", projects), "cloud-3", ""); err != nil {
				b.Fatal(err)
			}
			projects++
		}
	})
	b.Run("rename project", func(b *testing.B) {
		names := [2]string{"p7", "p7-renamed"}
		if n := ruleMadeOn("p7"); n != 6 {
			b.Fatalf("%d rule-made bindings on p7 before renaming, want 6", n)
		}
		i := 0
		for b.Loop() {
			if _, err := svc.RenameResource(ctx, org, store.KindProject, names[i%2], names[(i+1)%2]); err != nil {
				b.Fatal(err)
			}
			i++
		}
		name := names[i%2]
		want := 0
		if name == "p7" {
			want = 6
		}
		if n := ruleMadeOn(name); n != want {
			b.Fatalf("%d rule-made bindings on %s after renaming, want %d", n, name, want)
		}
	})
}
