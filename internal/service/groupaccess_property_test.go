package service_test

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"testing"

	"pgregory.net/rapid"

	"github.com/rolecall/rolecall/internal/access"
	"github.com/rolecall/rolecall/internal/access/accesstest"
	"github.com/rolecall/rolecall/internal/api"
	"github.com/rolecall/rolecall/internal/audit"
	"github.com/rolecall/rolecall/internal/events"
	"github.com/rolecall/rolecall/internal/scim"
	"github.com/rolecall/rolecall/internal/service"
	"github.com/rolecall/rolecall/internal/store"
	"github.com/rolecall/rolecall/internal/store/sqlstore/sqltest"
)

// TestGroupWriteAccessMatchesWholeOrg: for a random org seeded into a real store and a
// random group-level or resource write through the service (members added, removed or
// replaced, a group's grant created or revoked, a group deleted, a cloud or project deleted,
// a project made public or private), the effective-role changes its events
// carry, all events together, are exactly what the whole org read before and after the write
// says changed for each user (access.DiffUser over LoadState). The events compute them
// from a slice of the org (the users reached and the groups above them); this checks that the
// slice is always enough and never too much, on SQLite and PostgreSQL.
//
// It runs twice per backend: with the slice read by index lookups (small orgs, as here) and
// with every slice read as the whole org (what a write reaching most of a big org does).
func TestGroupWriteAccessMatchesWholeOrg(t *testing.T) {
	for _, run := range []struct{ backend, read string }{{"sqlite", "slice"}, {"sqlite", "whole"}, {"postgres", "slice"}, {"postgres", "whole"}} {
		backend := run.backend
		t.Run(backend+"/"+run.read, func(t *testing.T) {
			if run.read == "whole" {
				defer service.SetWholeOrgFloor(0)()
			}
			dsn := sqltest.SQLiteDSN(t)
			if backend == "postgres" {
				dsn = sqltest.PostgresDSN(t)
			}
			st := sqltest.Open(t, dsn)
			svc := service.New(st)
			ctx := audit.WithActor(context.Background(), audit.Actor{Name: "tester"})
			n := 0
			// Several rounds of rapid's default 100 draws: resource deletes and visibility
			// changes that reach someone are a small share of the draws. Fewer on
			// PostgreSQL, where a draw costs five times as much.
			rounds := 5
			if backend == "postgres" {
				rounds = 2
			}
			for range rounds {
				rapid.Check(t, func(t *rapid.T) {
					n++
					checkGroupWrite(ctx, t, st, svc, n)
				})
			}
		})
	}
}

func checkGroupWrite(ctx context.Context, t *rapid.T, st store.Store, svc *service.Service, n int) {
	s := accesstest.Draw(t, accesstest.Options{Storable: true, Public: true})
	op := rapid.SampledFrom([]string{"add", "remove", "replace", "add+remove", "grant", "revoke", "delete",
		"delete resource", "delete resource", "visibility", "visibility", "public project"}).Draw(t, "op")
	if len(s.Groups) == 0 && op != "delete resource" && op != "visibility" && op != "public project" {
		return
	}
	o, err := svc.CreateOrg(ctx, fmt.Sprint("org-", n))
	if err != nil {
		t.Fatal(err)
	}
	org := o.ID
	ids, err := service.Seed(ctx, st, org, s, 0)
	if err != nil {
		t.Fatal(err)
	}
	load := func() (*access.State, int64) {
		var ls *access.State
		var rev int64
		err := st.View(ctx, func(tx store.Tx) (err error) {
			if ls, err = service.LoadState(ctx, tx, org); err != nil {
				return err
			}
			rev, err = tx.Revision(ctx, org)
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		return ls, rev
	}
	before, rev := load()
	var g access.Group
	if len(s.Groups) > 0 {
		g = s.Groups[rapid.IntRange(0, len(s.Groups)-1).Draw(t, "group")]
	}
	gid := ids[g.ID]
	// Members to name: any users and groups of the org (the store refuses a cycle, the
	// service ignores ids that are not members when removing).
	var pool []string
	for _, u := range s.Users {
		pool = append(pool, ids[u.ID])
	}
	for _, x := range s.Groups {
		pool = append(pool, ids[x.ID])
	}
	pick := func(label string) []string {
		var out []string
		for _, id := range pool {
			if rapid.IntRange(0, 2).Draw(t, label) == 0 {
				out = append(out, id)
			}
		}
		return out
	}
	members := func(op string, ms []string) scim.PatchOperation {
		vs := make([]map[string]string, len(ms))
		for i, id := range ms {
			vs[i] = map[string]string{"value": id}
		}
		return patchOp(op, "members", vs)
	}
	render := service.GroupRender{Render: func(g store.Group, doc map[string]any, _ []store.Member, _ map[string]string) map[string]any {
		doc["id"], doc["displayName"] = g.ID, g.DisplayName
		return doc
	}}
	var opErr error
	switch op {
	case "public project":
		// Created public: the holders of its cloud's roles become collaborators on it.
		var clouds []access.Resource
		for _, r := range s.Resources {
			if r.Kind == access.KindCloud {
				clouds = append(clouds, r)
			}
		}
		c := clouds[rapid.IntRange(0, len(clouds)-1).Draw(t, "cloud")]
		_, opErr = svc.CreateProject(ctx, org, "new-project", ids[c.ID], "public")
	case "delete resource":
		// A project, or a cloud (refused while it has projects: then nothing is written).
		r := s.Resources[rapid.IntRange(1, len(s.Resources)-1).Draw(t, "resource")]
		_, opErr = svc.DeleteResource(ctx, org, store.ResourceKind(r.Kind.String()), ids[r.ID])
	case "visibility":
		var projects []access.Resource
		for _, r := range s.Resources {
			if r.Kind == access.KindProject {
				projects = append(projects, r)
			}
		}
		if len(projects) == 0 {
			return
		}
		p := projects[rapid.IntRange(0, len(projects)-1).Draw(t, "project")]
		vis := "public"
		if p.Public {
			vis = "private"
		}
		_, opErr = svc.UpdateProject(ctx, org, ids[p.ID], "", vis)
	case "add", "remove", "replace":
		_, opErr = svc.PatchGroup(ctx, org, gid, "", []scim.PatchOperation{members(op, pick("member"))}, render)
	case "add+remove":
		ms := pick("member")
		_, opErr = svc.PatchGroup(ctx, org, gid, "", []scim.PatchOperation{members("add", ms), members("remove", ms[:len(ms)/2])}, render)
	case "grant":
		r := s.Resources[rapid.IntRange(0, len(s.Resources)-1).Draw(t, "resource")]
		roles := access.ValidRoles(r.Kind)
		role := roles[rapid.IntRange(0, len(roles)-1).Draw(t, "role")]
		_, _, opErr = svc.CreateGrant(ctx, org, api.GrantRequest{Role: role.String(), PrincipalType: "group", Principal: gid,
			ResourceKind: r.Kind.String(), Resource: ids[r.ID]})
	case "revoke":
		var mine []access.Binding
		for _, b := range s.Bindings {
			if b.PrincipalID == g.ID && b.PrincipalType == access.PrincipalGroup {
				mine = append(mine, b)
			}
		}
		if len(mine) == 0 {
			return
		}
		b := mine[rapid.IntRange(0, len(mine)-1).Draw(t, "binding")]
		var kind access.Kind
		for _, r := range s.Resources {
			if r.ID == b.ResourceID {
				kind = r.Kind
			}
		}
		_, opErr = svc.RevokeGrant(ctx, org, api.GrantRequest{Role: b.Role.String(), PrincipalType: "group", Principal: gid,
			ResourceKind: kind.String(), Resource: ids[b.ResourceID]})
	case "delete":
		opErr = svc.DeleteGroup(ctx, org, gid, "", render)
	}
	after, _ := load()
	var evs []store.Event
	err = st.View(ctx, func(tx store.Tx) error {
		p, err := tx.EventsAfter(ctx, org, store.EventQuery{After: rev, Limit: store.MaxEventPage})
		evs = p.Events
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if opErr != nil {
		// Refused (a cycle, a grant the group holds another role of…): nothing written.
		var se *scim.Error
		var ae *api.Error
		if !errors.As(opErr, &se) && !errors.As(opErr, &ae) {
			t.Fatalf("write failed: %v", opErr)
		}
		if len(evs) != 0 {
			t.Fatalf("a refused write left %d events", len(evs))
		}
		return
	}
	got := map[string]map[string]bool{}
	// The lines replayed in order, from the roles held before: they must chain and end at the
	// roles held after (checked for users that are org owners at neither end: an owner's
	// cloud and project lines are not listed).
	held, owners := heldRoles(before), map[string]bool{}
	for _, st := range []*access.State{before, after} {
		for k, r := range heldRoles(st) {
			if u, res, _ := strings.Cut(k, " "); res == orgResourceID(st) && r == "owner" {
				owners[u] = true
			}
		}
	}
	for _, ev := range evs {
		var d struct {
			Access *struct {
				Changes []struct {
					UserID, ResourceID, Before, After string
				} `json:"changes"`
				Omitted int `json:"omitted"`
			} `json:"access"`
		}
		if err := json.Unmarshal(ev.Data, &d); err != nil {
			t.Fatal(err)
		}
		if d.Access == nil {
			if ev.Type == "com.rolecall.membership.added" || ev.Type == "com.rolecall.membership.removed" ||
				ev.Type == "com.rolecall.grant.created" || ev.Type == "com.rolecall.group.deleted" ||
				ev.Type == "com.rolecall.resource.deleted" || ev.Type == "com.rolecall.resource.visibility_changed" ||
				(ev.Type == "com.rolecall.resource.created" && op == "public project") {
				t.Fatalf("%s carries no access", ev.Type)
			}
			continue
		}
		for _, c := range d.Access.Changes {
			if got[c.UserID] == nil {
				got[c.UserID] = map[string]bool{}
			}
			got[c.UserID][c.ResourceID+" "+c.Before+"→"+c.After] = true
			if owners[c.UserID] {
				continue
			}
			k := c.UserID + " " + c.ResourceID
			if was := cmp.Or(held[k], "none"); was != c.Before {
				t.Fatalf("%s %s: %s→%s on %s, but the events before it leave %s\nevents %s", ev.Type, ev.Subject, c.Before, c.After,
					c.ResourceID, was, eventTypes(evs))
			}
			if held[k] = c.After; c.After == "none" {
				delete(held, k)
			}
		}
	}
	end := heldRoles(after)
	for k := range owners {
		for _, m := range []map[string]string{held, end} {
			maps.DeleteFunc(m, func(key, _ string) bool { return strings.HasPrefix(key, k+" ") })
		}
	}
	if !maps.Equal(held, end) {
		t.Fatalf("the events replayed end at %v, the org holds %v\nevents %s", held, end, eventTypes(evs))
	}
	bi, ai := access.NewIndex(before), access.NewIndex(after)
	want := map[string]map[string]bool{}
	for _, u := range before.Users {
		for _, d := range access.DiffUser(bi, ai, u.ID) {
			if want[u.ID] == nil {
				want[u.ID] = map[string]bool{}
			}
			want[u.ID][d.ResourceID+" "+d.Before.String()+"→"+d.After.String()] = true
		}
	}
	if !maps.EqualFunc(got, want, maps.Equal) {
		t.Fatalf("events say %v\nthe whole org says %v\nevents %s", describe(got), describe(want), eventTypes(evs))
	}
}

// heldRoles is every role the users of s hold, by "user resource", as lines from none list
// them (DiffUser against s without its users).
func heldRoles(s *access.State) map[string]string {
	none := *s
	none.Users = nil
	d := access.NewDiffer(access.NewIndex(&none), access.NewIndex(s))
	out := map[string]string{}
	for _, u := range s.Users {
		for _, x := range d.User(u.ID) {
			out[u.ID+" "+x.ResourceID] = x.After.String()
		}
	}
	return out
}

// orgResourceID is the id of the organization resource of s.
func orgResourceID(s *access.State) string {
	for _, r := range s.Resources {
		if r.Kind == access.KindOrganization {
			return r.ID
		}
	}
	return ""
}

func describe(m map[string]map[string]bool) []string {
	var out []string
	for u, lines := range m {
		for l := range lines {
			out = append(out, u+": "+l)
		}
	}
	slices.Sort(out)
	return out
}

func eventTypes(evs []store.Event) []string {
	out := make([]string, len(evs))
	for i, ev := range evs {
		out[i] = ev.Type + " " + ev.Subject
	}
	return out
}

// TestRuleMadeGrantAccess: the grant events of bindings a rule makes or takes away when a
// SCIM group is created or renamed, or a cloud created, carry what they change for the users
// below the group; those of a rule change itself carry none (rules.changed carries it all).
func TestRuleMadeGrantAccess(t *testing.T) {
	forBackends(t, func(t *testing.T, e *eventEnv) {
		alice, bob := e.createUser("alice"), e.createUser("bob")
		if _, err := e.svc.CreateCloud(e.ctx, e.org, "prod"); err != nil {
			t.Fatal(err)
		}
		if _, err := e.svc.CreateProject(e.ctx, e.org, "wiki", "prod", "public"); err != nil {
			t.Fatal(err)
		}
		_, res := e.applyRule(api.RuleChangeRequest{Add: &api.RuleInput{Name: "ops", Match: "pattern", Value: `^ops-`,
			ResourceKind: "cloud", ResourceName: "prod", Role: "readonly"}})
		if res.Change.BindingsAdded != 0 {
			t.Fatalf("no group yet, the rule made %d bindings", res.Change.BindingsAdded)
		}
		access := func(ev store.Event) []string {
			var d events.GrantData
			if err := json.Unmarshal(ev.Data, &d); err != nil {
				t.Fatal(err)
			}
			if d.Access == nil {
				return nil
			}
			out := []string{}
			for _, c := range d.Access.Changes {
				out = append(out, c.UserName+" "+c.ResourceKind+" "+c.ResourceName+" "+c.Before+"→"+c.After)
			}
			return out
		}
		grantEvents := func() []store.Event {
			t.Helper()
			var out []store.Event
			for _, ev := range e.next() {
				if strings.HasPrefix(ev.Type, "com.rolecall.grant.") {
					out = append(out, ev)
				}
			}
			return out
		}
		e.next()
		// A SCIM group the rule names, with members: they gain the cloud and its public project.
		g := e.createGroup("ops-eu", alice, bob)
		evs := grantEvents()
		want := []string{"alice cloud prod none→readonly", "alice project wiki none→collaborator",
			"bob cloud prod none→readonly", "bob project wiki none→collaborator"}
		if len(evs) != 1 || evs[0].Type != "com.rolecall.grant.created" || !slices.Equal(access(evs[0]), want) {
			t.Fatalf("group create: %d grant events, access %q, want one grant.created with %q", len(evs), access(evs[0]), want)
		}
		// Renamed out of the rule: the binding goes, and so do their roles.
		if err := e.patchGroup(g, replaceOp("displayName", "dev-eu")); err != nil {
			t.Fatal(err)
		}
		evs = grantEvents()
		want = []string{"alice cloud prod readonly→none", "alice project wiki collaborator→none",
			"bob cloud prod readonly→none", "bob project wiki collaborator→none"}
		if len(evs) != 1 || evs[0].Type != "com.rolecall.grant.revoked" || !slices.Equal(access(evs[0]), want) {
			t.Fatalf("rename: %d grant events, want one grant.revoked with %q", len(evs), want)
		}
		// A rule change: its grant events carry none, rules.changed carries the users'.
		_, devRule := e.applyRule(api.RuleChangeRequest{Add: &api.RuleInput{Name: "dev", Match: "pattern", Value: `^dev-`,
			ResourceKind: "cloud", ResourceName: "prod", Role: "collaborator"}})
		var sawGrant, sawRules bool
		for _, ev := range e.next() {
			switch ev.Type {
			case "com.rolecall.grant.created":
				sawGrant = true
				if a := access(ev); a != nil {
					t.Errorf("a rule change's grant event carries access %q", a)
				}
			case "com.rolecall.rules.changed":
				sawRules = true
				var d events.RulesData
				if err := json.Unmarshal(ev.Data, &d); err != nil {
					t.Fatal(err)
				}
				if d.Access == nil || len(d.Access.Changes) != 4 {
					t.Errorf("rules.changed access %+v, want alice's and bob's prod and wiki", d.Access)
				}
			}
		}
		if !sawGrant || !sawRules {
			t.Fatalf("rule change: grant.created %v, rules.changed %v", sawGrant, sawRules)
		}
		e.applyRule(api.RuleChangeRequest{Add: &api.RuleInput{Name: "dev stage", Match: "pattern", Value: `^dev-`,
			ResourceKind: "cloud", ResourceName: "stage", Role: "collaborator"}})
		e.next()
		// A cloud the new rule names: created, its rule-made binding gives the members a role.
		if _, err := e.svc.CreateCloud(e.ctx, e.org, "stage"); err != nil {
			t.Fatal(err)
		}
		evs = grantEvents()
		want = []string{"alice cloud stage none→collaborator", "bob cloud stage none→collaborator"}
		if len(evs) != 1 || !slices.Equal(access(evs[0]), want) {
			t.Fatalf("cloud create: %d grant events, want one with %q", len(evs), want)
		}
		// Undoing the rule change "dev" needs the rule added after it undone first; then
		// its undo's rules.changed says what the members lose.
		changes, _, err := e.svc.RuleChanges(e.ctx, e.org, store.Page{Limit: 10})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := e.svc.UndoRuleChange(e.ctx, e.org, changes[0].ID); err != nil {
			t.Fatal(err)
		}
		e.next()
		if _, err := e.svc.UndoRuleChange(e.ctx, e.org, devRule.Change.ID); err != nil {
			t.Fatal(err)
		}
		var undone []string
		for _, ev := range e.next() {
			if ev.Type != "com.rolecall.rules.changed" {
				continue
			}
			var d events.RulesData
			if err := json.Unmarshal(ev.Data, &d); err != nil {
				t.Fatal(err)
			}
			if d.Access == nil {
				t.Fatal("the undo's rules.changed carries no access")
			}
			for _, c := range d.Access.Changes {
				undone = append(undone, c.UserName+" "+c.ResourceKind+" "+c.ResourceName+" "+c.Before+"→"+c.After)
			}
		}
		slices.Sort(undone)
		want = []string{"alice cloud prod collaborator→none", "alice project wiki collaborator→none",
			"bob cloud prod collaborator→none", "bob project wiki collaborator→none"}
		if !slices.Equal(undone, want) {
			t.Fatalf("undo of the rule change: %q, want %q", undone, want)
		}
	})
}

// TestConcurrentWritesEventsAddUp: writers running at once on one org (membership PATCHes,
// group and user grants and revocations, users deactivated and reactivated) leave a feed
// whose access changes, replayed in order from the roles every user held before, chain
// (each line's before is the role the replay holds) and end at the roles every user holds
// after. On PostgreSQL the writers' transactions overlap: without the org's access lock,
// a grant to a parent group and a member added to its subgroup each compute from a view
// without the other and the feed misses or invents a role. No org-level grant is drawn, so
// that every line is a binding's role (org ownership would hide cloud and project lines).
func TestConcurrentWritesEventsAddUp(t *testing.T) {
	forBackends(t, func(t *testing.T, e *eventEnv) {
		var users []string
		for i := range 6 {
			users = append(users, e.createUser(fmt.Sprint("user", i)))
		}
		for _, c := range []string{"c0", "c1"} {
			if _, err := e.svc.CreateCloud(e.ctx, e.org, c); err != nil {
				t.Fatal(err)
			}
		}
		for _, p := range [][3]string{{"p0", "c0", "public"}, {"p1", "c0", ""}, {"p2", "c1", "public"}} {
			if _, err := e.svc.CreateProject(e.ctx, e.org, p[0], p[1], p[2]); err != nil {
				t.Fatal(err)
			}
		}
		team := e.createGroup("team")
		other := e.createGroup("other")
		e.createGroup("parent", team)
		groups := []string{"team", "other", "parent"}
		groupIDs := map[string]string{"team": team, "other": other}
		start, err := e.svc.State(e.ctx, e.org)
		if err != nil {
			t.Fatal(err)
		}
		e.seen = e.revision()

		const workers, ops = 4, 40
		var wg sync.WaitGroup
		for w := range workers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				rnd := rand.New(rand.NewPCG(uint64(w), 7))
				for range ops {
					u := users[rnd.IntN(len(users))]
					res := []string{"c0", "c1", "p0", "p1", "p2"}[rnd.IntN(5)]
					kind := "cloud"
					if res[0] == 'p' {
						kind = "project"
					}
					role := []string{"owner", "collaborator", "readonly"}[rnd.IntN(3)]
					var err error
					switch rnd.IntN(6) {
					case 0, 1:
						g := []string{"team", "other"}[rnd.IntN(2)]
						op := []string{"add", "remove"}[rnd.IntN(2)]
						_, err = e.svc.PatchGroup(e.ctx, e.org, groupIDs[g], "", []scim.PatchOperation{membersOp(op, u)}, groupRender)
					case 2:
						_, _, err = e.svc.CreateGrant(e.ctx, e.org, api.GrantRequest{Role: role, PrincipalType: "group",
							Principal: groups[rnd.IntN(3)], ResourceKind: kind, Resource: res, Replace: true})
					case 3:
						_, _, err = e.svc.CreateGrant(e.ctx, e.org, api.GrantRequest{Role: role, PrincipalType: "user",
							Principal: u, ResourceKind: kind, Resource: res, Replace: true})
					case 4:
						_, err = e.svc.RevokeGrant(e.ctx, e.org, api.GrantRequest{Role: role, PrincipalType: "group",
							Principal: groups[rnd.IntN(3)], ResourceKind: kind, Resource: res})
					case 5:
						_, err = e.svc.PatchUser(e.ctx, e.org, u, "", []scim.PatchOperation{replaceOp("active", rnd.IntN(2) == 0)}, userRender)
					}
					var ae *api.Error
					if err != nil && !(errors.As(err, &ae) && (ae.Status == 404 || ae.Status == 409)) {
						t.Errorf("write: %v", err)
					}
				}
			}()
		}
		wg.Wait()
		end, err := e.svc.State(e.ctx, e.org)
		if err != nil {
			t.Fatal(err)
		}
		roles := heldRoles
		held := roles(start)
		lines := 0
		for {
			evs := e.next()
			if len(evs) == 0 {
				break
			}
			for _, ev := range evs {
				var d struct {
					Access *events.AccessChanges `json:"access"`
				}
				if err := json.Unmarshal(ev.Data, &d); err != nil {
					t.Fatal(err)
				}
				if d.Access == nil {
					continue
				}
				if d.Access.Omitted > 0 {
					t.Fatalf("%s omitted %d changes", ev.Type, d.Access.Omitted)
				}
				for _, c := range d.Access.Changes {
					lines++
					k := c.UserID + " " + c.ResourceID
					was := held[k]
					if was == "" {
						was = "none"
					}
					if was != c.Before {
						t.Fatalf("event %d (%s %s): %s %s %s→%s, but the feed so far says %s", ev.Seq, ev.Type, ev.Subject,
							c.UserName, c.ResourceName, c.Before, c.After, was)
					}
					held[k] = c.After
					if c.After == "none" {
						delete(held, k)
					}
				}
			}
		}
		if want := roles(end); !maps.Equal(held, want) {
			t.Fatalf("the feed replayed ends at %v\nthe org holds %v", held, want)
		}
		if lines == 0 {
			t.Fatal("no access change in the whole run")
		}
		t.Logf("%d writers × %d writes: %d role lines replayed", workers, ops, lines)
	})
}

// TestMembershipEventsReportEachUserOnce: one PATCH adds two groups that both hold alice to a
// group with a cloud role: her change is on the first member's event only, so that the
// events add up; a removed user the same PATCH brings back regains its roles on its
// user.reactivated, after a membership event that (it being removed) changed nothing.
func TestMembershipEventsReportEachUserOnce(t *testing.T) {
	forBackends(t, func(t *testing.T, e *eventEnv) {
		alice, bob := e.createUser("alice"), e.createUser("bob")
		if _, err := e.svc.CreateCloud(e.ctx, e.org, "prod"); err != nil {
			t.Fatal(err)
		}
		h1, h2 := e.createGroup("h1", alice), e.createGroup("h2", alice)
		g := e.createGroup("g")
		if _, _, err := e.svc.CreateGrant(e.ctx, e.org, api.GrantRequest{Role: "readonly", PrincipalType: "group", Principal: "g",
			ResourceKind: "cloud", Resource: "prod"}); err != nil {
			t.Fatal(err)
		}
		if _, _, err := e.svc.CreateGrant(e.ctx, e.org, api.GrantRequest{Role: "owner", PrincipalType: "user", Principal: "bob",
			ResourceKind: "cloud", Resource: "prod"}); err != nil {
			t.Fatal(err)
		}
		// bob is removed (as enforce-groups removes): the PATCH that adds him brings him back.
		if err := e.st.Update(e.ctx, func(tx store.Tx) error {
			_, err := tx.SetUserRemoved(e.ctx, e.org, bob, true, false)
			return err
		}); err != nil {
			t.Fatal(err)
		}
		e.next()
		if err := e.patchGroup(g, membersOp("add", h1, h2, bob)); err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, ev := range e.next() {
			var d struct {
				Access *events.AccessChanges `json:"access"`
			}
			if err := json.Unmarshal(ev.Data, &d); err != nil {
				t.Fatal(err)
			}
			line := strings.TrimPrefix(ev.Type, "com.rolecall.") + ":"
			if d.Access != nil {
				for _, c := range d.Access.Changes {
					line += " " + c.UserName + " " + c.ResourceName + " " + c.Before + "→" + c.After
				}
			}
			got = append(got, line)
		}
		// Members come in id order; h1 and h2 are created in that order (UUIDv7).
		want := []string{"membership.added:", "membership.added: alice prod none→readonly", "membership.added:",
			"user.reactivated: bob prod none→owner"}
		slices.Sort(got[:3])
		slices.Sort(want[:3])
		if !slices.Equal(got, want) {
			t.Fatalf("events:\n got %q\nwant %q", got, want)
		}
	})
}
