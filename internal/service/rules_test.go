package service_test

import (
	"errors"
	"fmt"
	"maps"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/rolecall/rolecall/internal/api"
	"github.com/rolecall/rolecall/internal/audit"
	"github.com/rolecall/rolecall/internal/scim"
	"github.com/rolecall/rolecall/internal/service"
	"github.com/rolecall/rolecall/internal/store"
)

// ruleGrants lists the group grants of the org as "group role resource [rule]" lines.
func (e *eventEnv) groupGrants() []string {
	e.t.Helper()
	gs, err := e.svc.Grants(e.ctx, e.org, service.GrantFilter{})
	if err != nil {
		e.t.Fatal(err)
	}
	var out []string
	for _, g := range gs {
		if g.PrincipalType != "group" {
			continue
		}
		line := fmt.Sprintf("%s %s %s", g.PrincipalName, g.Role, g.ResourceName)
		if g.RuleName != "" {
			line += " [" + g.RuleName + "]"
		}
		out = append(out, line)
	}
	slices.Sort(out)
	return out
}

func (e *eventEnv) wantGroupGrants(what string, want ...string) {
	e.t.Helper()
	slices.Sort(want)
	if got := e.groupGrants(); !slices.Equal(got, want) {
		e.t.Fatalf("%s: group grants\n got %q\nwant %q", what, got, want)
	}
}

func (e *eventEnv) createGroup(name string, members ...string) string {
	e.t.Helper()
	var ms []scim.Member
	for _, m := range members {
		ms = append(ms, scim.Member{Value: m})
	}
	w, err := e.svc.CreateGroup(e.ctx, e.org, map[string]any{"displayName": name}, ms, groupRender)
	if err != nil {
		e.t.Fatal(err)
	}
	return w.ID
}

// applyRule previews req and applies it with the preview's fingerprint.
func (e *eventEnv) applyRule(req api.RuleChangeRequest) (api.RulePreview, api.RuleApplyResult) {
	e.t.Helper()
	pv, err := e.svc.PreviewRuleChange(e.ctx, e.org, req)
	if err != nil {
		e.t.Fatalf("preview: %v", err)
	}
	req.Fingerprint = pv.Preview.Fingerprint
	res, err := e.svc.ApplyRuleChange(e.ctx, e.org, req)
	if err != nil {
		e.t.Fatalf("apply: %v", err)
	}
	return pv, res
}

// TestRules drives group → role rules through the service on both backends: a pattern rule
// with captures previewed then applied (bindings marked with the rule, events, audit), a
// stale fingerprint refused, SCIM group create and rename reconciling in the same
// transaction, a project created that a rule names, manual grant and revoke of a rule-made
// binding refused naming the rule, explain naming the rule, delete and undo.
func TestRules(t *testing.T) {
	forBackends(t, func(t *testing.T, e *eventEnv) {
		alice := e.createUser("alice")
		for _, c := range []string{"prod", "dev"} {
			if _, err := e.svc.CreateCloud(e.ctx, e.org, c); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := e.svc.CreateProject(e.ctx, e.org, "api", "prod", ""); err != nil {
			t.Fatal(err)
		}
		e.createGroup("rc-api-owner", alice)
		e.createGroup("rc-web-readonly")
		e.createGroup("eng-prod")
		e.createGroup("sales")
		if _, _, err := e.svc.CreateGrant(e.ctx, e.org, api.GrantRequest{Role: "readonly", PrincipalType: "group", Principal: "sales", ResourceKind: "cloud", Resource: "dev"}); err != nil {
			t.Fatal(err)
		}
		e.seen = e.revision()

		// Preview a captured project+role rule: rc-api-owner binds, rc-web-readonly names a
		// missing project (a problem, nothing created).
		add := api.RuleChangeRequest{Add: &api.RuleInput{Name: "projects", Match: "pattern", Value: `^rc-(?P<project>[a-z0-9-]+)-(?P<role>owner|write|readonly)$`}}
		pv, err := e.svc.PreviewRuleChange(e.ctx, e.org, add)
		if err != nil {
			t.Fatal(err)
		}
		p := pv.Preview
		if p.Summary.RulesAdded != 1 || p.Summary.BindingsAdded != 1 || p.Summary.Problems != 1 || p.Problems[0].Value != "web" ||
			p.Summary.UsersChanged != 1 || p.Users[0].UserName != "alice" {
			t.Fatalf("preview summary %+v problems %+v users %+v", p.Summary, p.Problems, p.Users)
		}
		if len(pv.Rules) != 1 || pv.Rules[0].ID != service.RuleIDFor(e.org, "projects") || pv.Rules[0].Position != 1 {
			t.Fatalf("proposed rules %+v", pv.Rules)
		}
		e.expect("preview writes nothing")

		// A wrong fingerprint is refused and changes nothing.
		stale := add
		stale.Fingerprint = "0000"
		if _, err := e.svc.ApplyRuleChange(e.ctx, e.org, stale); !errors.Is(err, service.ErrRuleStale) {
			t.Fatalf("stale apply: %v", err)
		}
		if _, err := e.svc.ApplyRuleChange(e.ctx, e.org, add); err == nil {
			t.Fatal("apply without a fingerprint accepted")
		}
		e.expect("refused applies")
		e.wantGroupGrants("refused applies", "sales readonly dev")

		_, res := e.applyRule(add)
		if !res.Applied || res.Change == nil || res.Change.Action != audit.ActionRuleAdded || res.Change.BindingsAdded != 1 {
			t.Fatalf("apply result %+v", res)
		}
		evs := e.next()
		var types []string
		for _, ev := range evs {
			types = append(types, strings.TrimPrefix(ev.Type, "com.rolecall."))
		}
		if !slices.Equal(types, []string{"grant.created", "rules.changed"}) {
			t.Fatalf("apply events %v", types)
		}
		e.wantGroupGrants("rule added", "rc-api-owner owner api [projects]", "sales readonly dev")
		es, total, err := e.svc.AuditLog(e.ctx, e.org, store.AuditQuery{Action: audit.ActionRuleAdded, Page: store.Page{Limit: 10}})
		if err != nil || total != 1 || es[0].TargetID != res.Change.ID {
			t.Fatalf("rule.added audit %+v total %d err %v", es, total, err)
		}

		// Explain says which rule made alice's access.
		ex, err := e.svc.Explain(e.ctx, e.org, "alice", "project", "api")
		if err != nil {
			t.Fatal(err)
		}
		if src := ex.Resources[0].Sources; len(src) != 1 || src[0].GroupName != "rc-api-owner" || src[0].RuleName != "projects" {
			t.Fatalf("explain sources %+v", src)
		}

		// Manual grant or revoke of the rule-made binding: refused, naming the rule.
		g := api.GrantRequest{Role: "owner", PrincipalType: "group", Principal: "rc-api-owner", ResourceKind: "project", Resource: "api"}
		if _, err := e.svc.RevokeGrant(e.ctx, e.org, g); err == nil || !strings.Contains(err.Error(), `rule "projects"`) {
			t.Fatalf("manual revoke of a rule-made grant: %v", err)
		}
		if _, _, err := e.svc.CreateGrant(e.ctx, e.org, g); err == nil || !strings.Contains(err.Error(), `rule "projects"`) {
			t.Fatalf("manual grant of a rule-made grant: %v", err)
		}

		// A second rule: eng-<cloud> → readonly on the cloud.
		e.applyRule(api.RuleChangeRequest{Add: &api.RuleInput{Name: "eng clouds", Match: "pattern", Value: `^eng-(?P<cloud>.+)$`, Role: "readonly"}})
		e.wantGroupGrants("second rule", "rc-api-owner owner api [projects]", "eng-prod readonly prod [eng clouds]", "sales readonly dev")
		e.seen = e.revision()

		// SCIM: a new group matching a rule is bound in the same transaction as its creation.
		devID := e.createGroup("eng-dev")
		e.expect("group created", "group.created groups/"+devID, "grant.created bindings/"+e.bindingID("eng-dev", "dev"))
		// Renamed out of the rule: its binding goes; renamed into another: it gets that one.
		if err := e.patchGroup(devID, patchOp("replace", "displayName", "rc-api-readonly")); err != nil {
			t.Fatal(err)
		}
		e.wantGroupGrants("renamed", "rc-api-owner owner api [projects]", "rc-api-readonly readonly api [projects]",
			"eng-prod readonly prod [eng clouds]", "sales readonly dev")
		// A group named for a project that does not exist yet binds once it is created.
		e.createGroup("rc-web-owner")
		if _, err := e.svc.CreateProject(e.ctx, e.org, "web", "dev", ""); err != nil {
			t.Fatal(err)
		}
		e.wantGroupGrants("project created", "rc-api-owner owner api [projects]", "rc-api-readonly readonly api [projects]",
			"rc-web-owner owner web [projects]", "rc-web-readonly readonly web [projects]",
			"eng-prod readonly prod [eng clouds]", "sales readonly dev")
		before := e.groupGrants()
		beforeIDs := e.ruleBindingIDs()

		// Delete the first rule: exactly its bindings go; the manual grant stays. Undo
		// restores them under their old IDs.
		_, del := e.applyRule(api.RuleChangeRequest{Delete: "projects"})
		e.wantGroupGrants("rule deleted", "eng-prod readonly prod [eng clouds]", "sales readonly dev")
		if _, err := e.svc.UndoRuleChange(e.ctx, e.org, del.Change.ID); err != nil {
			t.Fatal(err)
		}
		if got := e.groupGrants(); !slices.Equal(got, before) {
			t.Fatalf("after undo\n got %q\nwant %q", got, before)
		}
		if got := e.ruleBindingIDs(); !slices.Equal(got, beforeIDs) {
			t.Fatalf("undo re-created bindings under new IDs: %v, want %v", got, beforeIDs)
		}
		if _, err := e.svc.UndoRuleChange(e.ctx, e.org, del.Change.ID); err == nil {
			t.Fatal("a second undo was accepted")
		}
		rs, err := e.svc.Rules(e.ctx, e.org)
		if err != nil || len(rs) != 2 || rs[0].Name != "projects" || rs[1].Name != "eng clouds" {
			t.Fatalf("rules after undo: %+v %v", rs, err)
		}
		chs, total, err := e.svc.RuleChanges(e.ctx, e.org, store.Page{Limit: 10})
		if err != nil || total != 4 || chs[0].Action != audit.ActionRuleUndone || chs[0].UndoOf != del.Change.ID || chs[1].UndoneAt == nil {
			t.Fatalf("rule changes %+v total %d err %v", chs, total, err)
		}

		// Change a rule (move it first, fix its role): the bindings follow.
		_, ch := e.applyRule(api.RuleChangeRequest{Change: "eng clouds", Patch: &api.RulePatch{Role: ptr("collaborator"), Position: ptr(1)}})
		if ch.Change.Action != audit.ActionRuleChanged || ch.Rules[0].Name != "eng clouds" {
			t.Fatalf("change result %+v", ch)
		}
		if got := e.groupGrants(); !slices.Contains(got, "eng-prod collaborator prod [eng clouds]") {
			t.Fatalf("after change: %q", got)
		}
		// Invalid rules are refused with a message that names the field.
		_, err = e.svc.PreviewRuleChange(e.ctx, e.org, api.RuleChangeRequest{Add: &api.RuleInput{Name: "bad", Match: "pattern", Value: `^x-(?P<projet>.+)$`, Role: "owner"}})
		if err == nil || !strings.Contains(err.Error(), `unknown capture name "projet"`) {
			t.Fatalf("invalid rule: %v", err)
		}
	})
}

func ptr[T any](v T) *T { return &v }

func (e *eventEnv) bindingID(group, resource string) string {
	e.t.Helper()
	gs, err := e.svc.Grants(e.ctx, e.org, service.GrantFilter{PrincipalType: "group", Principal: group})
	if err != nil {
		e.t.Fatal(err)
	}
	for _, g := range gs {
		if g.ResourceName == resource {
			return g.ID
		}
	}
	e.t.Fatalf("no grant of group %s on %s", group, resource)
	return ""
}

func (e *eventEnv) ruleBindingIDs() []string {
	e.t.Helper()
	var out []string
	err := e.st.View(e.ctx, func(tx store.Tx) error {
		bs, err := tx.RuleBindings(e.ctx, e.org, "")
		for _, b := range bs {
			out = append(out, b.ID+"@"+b.RuleID)
		}
		return err
	})
	if err != nil {
		e.t.Fatal(err)
	}
	slices.Sort(out)
	return out
}

// TestRulesApplyThenDeleteRestores is the property over the real store: on random groups,
// resources and manual grants, applying a random rule set and then deleting every rule
// leaves exactly the bindings there were (same IDs, roles, principals, resources).
func TestRulesApplyThenDeleteRestores(t *testing.T) {
	forBackends(t, func(t *testing.T, e *eventEnv) {
		rng := rand.New(rand.NewPCG(18, 2026))
		clouds := []string{"prod", "dev", "stage"}
		projects := []string{"api", "web", "db", "ml"}
		for i, c := range clouds {
			if _, err := e.svc.CreateCloud(e.ctx, e.org, c); err != nil {
				t.Fatal(err)
			}
			for _, p := range projects[i:min(i+2, len(projects))] {
				if _, err := e.svc.CreateProject(e.ctx, e.org, p, c, ""); err != nil && !strings.Contains(err.Error(), "already exists") {
					t.Fatal(err)
				}
			}
		}
		roles := []string{"owner", "write", "readonly", "admin"}
		var groups []string
		for i := range 24 {
			var name string
			switch rng.IntN(3) {
			case 0:
				name = fmt.Sprintf("rc-%s-%s", projects[rng.IntN(len(projects))], roles[rng.IntN(len(roles))])
			case 1:
				name = fmt.Sprintf("eng-%s", clouds[rng.IntN(len(clouds))])
			default:
				name = fmt.Sprintf("team-%d", rng.IntN(5))
			}
			name = fmt.Sprintf("%s-%d", name, i)
			if rng.IntN(2) == 0 {
				name = strings.TrimSuffix(name, fmt.Sprintf("-%d", i)) // exact names, some repeated: skip those
				if slices.Contains(groups, name) {
					continue
				}
			}
			e.createGroup(name)
			groups = append(groups, name)
		}
		// Manual grants, some of which rules will want too (covered: must stay manual).
		held := map[string]bool{} // a principal holds one role per resource
		for range 10 {
			g := groups[rng.IntN(len(groups))]
			c := clouds[rng.IntN(len(clouds))]
			if held[g+" "+c] {
				continue
			}
			held[g+" "+c] = true
			role := []string{"readonly", "collaborator", "owner"}[rng.IntN(3)]
			if _, _, err := e.svc.CreateGrant(e.ctx, e.org, api.GrantRequest{Role: role, PrincipalType: "group", Principal: g, ResourceKind: "cloud", Resource: c}); err != nil {
				t.Fatal(err)
			}
		}
		snapshot := func() []string {
			var out []string
			err := e.st.View(e.ctx, func(tx store.Tx) error {
				return tx.AllBindings(e.ctx, e.org, func(b store.Binding) error {
					out = append(out, strings.Join([]string{b.ID, b.ResourceID, string(b.PrincipalType), b.PrincipalID, b.Role, b.RuleID}, " "))
					return nil
				})
			})
			if err != nil {
				t.Fatal(err)
			}
			slices.Sort(out)
			return out
		}
		before := snapshot()
		candidates := []api.RuleInput{
			{Match: "pattern", Value: `^rc-(?P<project>[a-z]+)-(?P<role>[a-z]+)`},
			{Match: "pattern", Value: `^eng-(?P<cloud>[a-z]+)`, Role: "readonly"},
			{Match: "pattern", Value: `^eng-(?P<cloud>[a-z]+)`, Role: "owner"},
			{Match: "pattern", Value: `^team-`, ResourceKind: "organization", Role: "collaborator"},
			{Match: "pattern", Value: `team-[0-2]`, ResourceKind: "cloud", ResourceName: "prod", Role: "collaborator"},
			{Match: "displayName", Value: "team-1", ResourceKind: "project", ResourceName: "api", Role: "write"},
			{Match: "displayName", Value: "eng-dev", ResourceKind: "cloud", ResourceName: "dev", Role: "readonly"},
			{Match: "pattern", Value: `^rc-`, ResourceKind: "cloud", ResourceName: "missing", Role: "owner"},
		}
		made, covered := 0, 0
		for round := range 6 {
			var set []api.RuleInput
			for i, c := range candidates {
				if rng.IntN(2) == 0 {
					c.Name = fmt.Sprintf("r%d-%d", round, i)
					set = append(set, c)
				}
			}
			rng.Shuffle(len(set), func(i, j int) { set[i], set[j] = set[j], set[i] })
			pv, _ := e.applyRule(api.RuleChangeRequest{Rules: set})
			made += pv.Preview.Summary.BindingsAdded
			covered += pv.Preview.Summary.BindingsCovered
			// Churn through SCIM while the rules are on: a group created and renamed.
			id := e.createGroup(fmt.Sprintf("rc-web-owner-churn%d", round))
			if err := e.patchGroup(id, patchOp("replace", "displayName", fmt.Sprintf("eng-prod-churn%d", round))); err != nil {
				t.Fatal(err)
			}
			// Delete every rule: the bindings are exactly those before, the churned group's
			// rule-made ones included (gone: it had no other).
			e.applyRule(api.RuleChangeRequest{Rules: []api.RuleInput{}})
			after := snapshot()
			if !slices.Equal(after, before) {
				t.Fatalf("round %d: bindings after deleting every rule differ\nbefore %q\nafter  %q", round, before, after)
			}
		}
		// The property means something only if the rules made bindings, some covered by hand.
		if made == 0 || covered == 0 {
			t.Fatalf("the random rule sets made %d bindings and found %d covered; the property was not exercised", made, covered)
		}
	})
}

// TestRulesConcurrentGroupAndCloud creates groups and the clouds their names capture at the
// same moment, pair by pair: whichever commits first, the other's reconcile must bind the
// group (on PostgreSQL both run at once under READ COMMITTED; resource creation takes the
// org lock when the org has rules, so that neither misses the other).
func TestRulesConcurrentGroupAndCloud(t *testing.T) {
	forBackends(t, func(t *testing.T, e *eventEnv) {
		e.applyRule(api.RuleChangeRequest{Add: &api.RuleInput{Name: "eng", Match: "pattern", Value: `^eng-(?P<cloud>c[0-9]+)$`, Role: "readonly"}})
		const n = 20
		errs := make(chan error, 2*n)
		for i := range n {
			start := make(chan struct{})
			done := make(chan struct{}, 2)
			go func() {
				<-start
				_, err := e.svc.CreateGroup(e.ctx, e.org, map[string]any{"displayName": fmt.Sprintf("eng-c%d", i)}, nil, groupRender)
				errs <- err
				done <- struct{}{}
			}()
			go func() {
				<-start
				_, err := e.svc.CreateCloud(e.ctx, e.org, fmt.Sprintf("c%d", i))
				errs <- err
				done <- struct{}{}
			}()
			close(start)
			<-done
			<-done
		}
		for range 2 * n {
			if err := <-errs; err != nil {
				t.Fatal(err)
			}
		}
		var want []string
		for i := range n {
			want = append(want, fmt.Sprintf("eng-c%d readonly c%d [eng]", i, i))
		}
		e.wantGroupGrants("concurrent creates", want...)
	})
}

// TestRulesResourceWritesIncremental creates and renames clouds and projects at random in an
// org with rules of every kind (captured project and role, captured cloud, fixed resources
// that do not exist yet, a fixed rule and a capturing one making the same binding, an
// externalId rule, a manual grant a rule also wants) on both backends. Each write reconciles
// only the resource it touches; after each one, reconciling every group (the path every
// resource write took before) must change nothing, and the write's events must be its
// resource event, then grant.revoked for exactly the rule-made bindings that went, then
// grant.created for exactly those that came.
func TestRulesResourceWritesIncremental(t *testing.T) {
	forBackends(t, func(t *testing.T, e *eventEnv) {
		rng := rand.New(rand.NewPCG(18, 4))
		for _, c := range []string{"prod", "dev"} {
			if _, err := e.svc.CreateCloud(e.ctx, e.org, c); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := e.svc.CreateProject(e.ctx, e.org, "api", "prod", ""); err != nil {
			t.Fatal(err)
		}
		for _, p := range []string{"api", "web", "ml", "db", "new"} {
			for _, r := range []string{"owner", "write", "readonly", "admin"} {
				e.createGroup(fmt.Sprintf("rc-%s-%s", p, r))
			}
		}
		// Upper case the store lower-cases alike (Eng-QA), and a Kelvin sign, whose lower case
		// is an ASCII k: the group reads "eng-kube" to the rules, and the store returns every
		// name with a non-ASCII character so as not to miss it.
		for _, c := range []string{"prod", "dev", "stage", "QA", "other-old", "\u212Aube"} {
			e.createGroup("Eng-" + c)
		}
		e.createGroup("admins")
		if _, err := e.svc.CreateGroup(e.ctx, e.org, map[string]any{"displayName": "team-x", "externalId": "ext-1"}, nil, groupRender); err != nil {
			t.Fatal(err)
		}
		if _, err := e.svc.CreateProject(e.ctx, e.org, "web", "dev", ""); err != nil {
			t.Fatal(err)
		}
		// A manual grant the "web readers" rule wants too: it stays manual (covered).
		if _, _, err := e.svc.CreateGrant(e.ctx, e.org, api.GrantRequest{Role: "readonly", PrincipalType: "group", Principal: "rc-web-owner", ResourceKind: "project", Resource: "web"}); err != nil {
			t.Fatal(err)
		}
		for _, r := range []api.RuleInput{
			{Name: "projects", Match: "pattern", Value: `^rc-(?P<project>[a-z0-9-]+)-(?P<role>owner|write|readonly|admin)$`},
			{Name: "clouds", Match: "pattern", Value: `^(?i)eng-(?P<cloud>.+)$`, Role: "readonly"},
			{Name: "admins", Match: "displayName", Value: "admins", ResourceKind: "cloud", ResourceName: "stage", Role: "owner"},
			{Name: "web readers", Match: "pattern", Value: `^rc-web-`, ResourceKind: "project", ResourceName: "web", Role: "readonly"},
			{Name: "ml team", Match: "externalId", Value: "ext-1", ResourceKind: "project", ResourceName: "ml", Role: "collaborator"},
		} {
			e.applyRule(api.RuleChangeRequest{Add: &r})
		}
		if c, err := e.svc.ReconcileAll(e.ctx, e.org); err != nil || !c.Empty() {
			t.Fatalf("set-up not reconciled: %+v %v", c, err)
		}
		ruleMade := func() map[string]string { // binding ID → "group role resource [rule]"
			out := map[string]string{}
			gs, err := e.svc.Grants(e.ctx, e.org, service.GrantFilter{})
			if err != nil {
				t.Fatal(err)
			}
			for _, g := range gs {
				if g.PrincipalType == "group" && g.RuleName != "" {
					out[g.ID] = fmt.Sprintf("%s %s %s [%s]", g.PrincipalName, g.Role, g.ResourceName, g.RuleName)
				}
			}
			return out
		}
		e.seen = e.revision()
		cloudNames := []string{"stage", "qa", "Stage", "QA", "prod", "dev", "other", "kube"}
		projectNames := []string{"api", "web", "ml", "db", "new", "WEB", "Db", "gone"}
		created, revoked, writes := 0, 0, 0
		// check holds the write just made (err: its error) to its events and to a full
		// reconcile, given the rule-made bindings before it.
		check := func(what string, err error, before map[string]string) {
			t.Helper()
			if err != nil && !strings.Contains(err.Error(), "already exists") {
				t.Fatalf("%s: %v", what, err)
			}
			after := ruleMade()
			evs := e.next()
			if err != nil || len(evs) == 0 { // a name taken, or a rename to the same name
				if len(evs) != 0 || len(after) != len(before) {
					t.Fatalf("%s: refused or no-op, yet %d events and %d → %d rule-made bindings", what, len(evs), len(before), len(after))
				}
				return
			}
			writes++
			if ty := strings.TrimPrefix(evs[0].Type, "com.rolecall."); ty != "resource.created" && ty != "resource.renamed" {
				t.Fatalf("%s: first event %s", what, ty)
			}
			var gotRevoked, gotCreated, wantRevoked, wantCreated []string
			phase := "grant.revoked"
			for _, ev := range evs[1:] {
				ty := strings.TrimPrefix(ev.Type, "com.rolecall.")
				id := strings.TrimPrefix(ev.Subject, "bindings/")
				switch {
				case ty == "grant.revoked" && phase == "grant.revoked":
					gotRevoked = append(gotRevoked, before[id])
				case ty == "grant.created":
					phase = ty
					gotCreated = append(gotCreated, after[id])
				default:
					t.Fatalf("%s: unexpected event %s after %s", what, ty, phase)
				}
			}
			for id, b := range before {
				if _, ok := after[id]; !ok {
					wantRevoked = append(wantRevoked, b)
				}
			}
			for id, b := range after {
				if _, ok := before[id]; !ok {
					wantCreated = append(wantCreated, b)
				}
			}
			for _, l := range [][]string{gotRevoked, gotCreated, wantRevoked, wantCreated} {
				slices.Sort(l)
			}
			if !slices.Equal(gotRevoked, wantRevoked) || !slices.Equal(gotCreated, wantCreated) {
				t.Fatalf("%s: events revoke %q create %q; bindings gone %q, made %q", what, gotRevoked, gotCreated, wantRevoked, wantCreated)
			}
			created, revoked = created+len(wantCreated), revoked+len(wantRevoked)
			if c, err := e.svc.ReconcileAll(e.ctx, e.org); err != nil || !c.Empty() {
				t.Fatalf("%s: reconciling every group afterwards changes %+v (%v)", what, c, err)
			}
		}
		for step := range 40 {
			before := ruleMade()
			var what string
			var err error
			clouds, _ := e.svc.Clouds(e.ctx, e.org)
			projects, _ := e.svc.Projects(e.ctx, e.org, "")
			switch op := rng.IntN(4); {
			case op == 0:
				name := cloudNames[rng.IntN(len(cloudNames))]
				what = "create cloud " + name
				_, err = e.svc.CreateCloud(e.ctx, e.org, name)
			case op == 1:
				name, cloud := projectNames[rng.IntN(len(projectNames))], clouds[rng.IntN(len(clouds))].Name
				what = "create project " + name
				_, err = e.svc.CreateProject(e.ctx, e.org, name, cloud, "")
			case op == 2:
				c := clouds[rng.IntN(len(clouds))].Name
				name := cloudNames[rng.IntN(len(cloudNames))]
				if rng.IntN(3) == 0 {
					name = c + "-old"
				}
				what = "rename cloud " + c + " to " + name
				_, err = e.svc.RenameResource(e.ctx, e.org, store.KindCloud, c, name)
			default:
				p := projects[rng.IntN(len(projects))].Name
				name := projectNames[rng.IntN(len(projectNames))]
				if rng.IntN(3) == 0 {
					name = p + "-old"
				}
				what = "rename project " + p + " to " + name
				if rng.IntN(2) == 0 {
					_, err = e.svc.UpdateProject(e.ctx, e.org, p, name, "")
				} else {
					_, err = e.svc.RenameResource(e.ctx, e.org, store.KindProject, p, name)
				}
			}
			check(fmt.Sprintf("step %d: %s", step, what), err, before)
		}

		// The Kelvin-sign group names cloud kube to the rules: creating it binds the group.
		before := ruleMade()
		_, err := e.svc.CreateCloud(e.ctx, e.org, "kube")
		check("create cloud kube", err, before)
		kelvin := "Eng-\u212Aube readonly kube [clouds]"
		if got := slices.Collect(maps.Values(ruleMade())); !slices.Contains(got, kelvin) {
			t.Fatalf("%q not bound: %q", kelvin, got)
		}

		// Without the cloud-capturing rule, only the fixed "admins" rule binds on a cloud,
		// and only on stage: renaming stage away must still take its binding.
		e.applyRule(api.RuleChangeRequest{Delete: "clouds"})
		e.seen = e.revision()
		stage := "stage"
		clouds, err := e.svc.Clouds(e.ctx, e.org)
		if err != nil {
			t.Fatal(err)
		}
		if i := slices.IndexFunc(clouds, func(c api.Cloud) bool { return strings.EqualFold(c.Name, stage) }); i >= 0 {
			stage = clouds[i].Name // the random steps left it under this name
		} else {
			before := ruleMade()
			_, err := e.svc.CreateCloud(e.ctx, e.org, stage)
			check("create cloud stage without the cloud rule", err, before)
		}
		before = ruleMade()
		if !slices.Contains(slices.Collect(maps.Values(before)), "admins owner "+stage+" [admins]") {
			t.Fatalf("admins not bound on %s: %q", stage, slices.Collect(maps.Values(before)))
		}
		n := revoked
		_, err = e.svc.RenameResource(e.ctx, e.org, store.KindCloud, stage, "stage-away")
		check("rename cloud stage away without the cloud rule", err, before)
		if revoked != n+1 {
			t.Fatalf("renaming stage away revoked %d bindings, want admins' one", revoked-n)
		}
		t.Logf("%d resource writes made %d and removed %d rule-made bindings", writes, created, revoked)
		if writes < 15 || created < 10 || revoked < 5 {
			t.Fatalf("%d writes, %d bindings made, %d removed: the scenario did not exercise the reconcile", writes, created, revoked)
		}
	})
}
