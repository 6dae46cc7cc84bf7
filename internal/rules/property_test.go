package rules

import (
	"fmt"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"

	"pgregory.net/rapid"

	"github.com/rolecall/rolecall/internal/access"
	"github.com/rolecall/rolecall/internal/access/accesstest"
	"github.com/rolecall/rolecall/internal/enforce"
)

// drawGroups gives the state's groups names and externalIds that rules can match: names
// built from the org's resource names (some of them missing, some with invalid roles), in
// mixed case, and a few externalIds. It renames s.Groups to match.
func drawGroups(t *rapid.T, s *access.State) []Group {
	var vocab []string
	for _, r := range s.Resources {
		switch r.Kind {
		case access.KindCloud:
			vocab = append(vocab, "eng-"+r.Name, "team-"+r.Name+"-x")
		case access.KindProject:
			for _, role := range []string{"owner", "write", "readonly", "admin"} {
				vocab = append(vocab, "rc-"+r.Name+"-"+role)
			}
		}
	}
	vocab = append(vocab, "eng-nope", "eng-", "rc-nope-owner", "Admins", "ADMINS", "other")
	groups := make([]Group, len(s.Groups))
	for i := range s.Groups {
		name := rapid.SampledFrom(vocab).Draw(t, "groupName")
		if rapid.IntRange(0, 4).Draw(t, "upper") == 0 {
			name = strings.ToUpper(name)
		}
		s.Groups[i].DisplayName = name
		groups[i] = Group{ID: s.Groups[i].ID, DisplayName: name, Active: s.Groups[i].Active,
			ExternalID: rapid.SampledFrom([]string{"", "", "x1", "x2"}).Draw(t, "externalId")}
	}
	return groups
}

// drawRules draws a valid rule set over s's resources, with position ties and rules that
// make the same bindings as each other.
func drawRules(t *rapid.T, s *access.State, label string) []Rule {
	n := rapid.IntRange(0, 6).Draw(t, label+"Rules")
	var rules []Rule
	for i := range n {
		r := Rule{ID: fmt.Sprintf("%s%d", label, i), Name: fmt.Sprintf("%s rule %d", label, i), Position: rapid.IntRange(0, 3).Draw(t, "position")}
		fixTarget := func() {
			res := rapid.SampledFrom(s.Resources).Draw(t, "target")
			r.ResourceKind = res.Kind
			if res.Kind != access.KindOrganization {
				r.ResourceName = res.Name
			}
			r.Role = rapid.SampledFrom(access.ValidRoles(res.Kind)).Draw(t, "role").String()
		}
		switch rapid.IntRange(0, 5).Draw(t, "template") {
		case 0:
			r.Match, r.Value = MatchPattern, `^rc-(?P<project>[a-z0-9-]+)-(?P<role>owner|write|readonly|admin)$`
		case 1:
			r.Match, r.Value = MatchPattern, `^(?i)eng-(?P<cloud>.*)$`
			r.Role = rapid.SampledFrom([]string{"owner", "collaborator", "readonly"}).Draw(t, "cloudRole")
		case 2:
			r.Match, r.Value = MatchDisplayName, rapid.SampledFrom([]string{"admins", "eng-cloud-0", "other"}).Draw(t, "displayName")
			fixTarget()
		case 3:
			r.Match, r.Value = MatchExternalID, rapid.SampledFrom([]string{"x1", "x2"}).Draw(t, "externalIdValue")
			fixTarget()
		case 4:
			r.Match, r.Value = MatchPattern, `(?P<cloud>cloud-\d)`
			r.Role = "readonly"
		case 5:
			r.Match, r.Value = MatchPattern, rapid.SampledFrom([]string{`^rc-`, `-x$`, `^RC-.*OWNER`}).Draw(t, "plain")
			fixTarget()
		}
		rules = append(rules, r)
	}
	return rules
}

func manualOf(s *access.State, current []Binding) []access.Binding {
	ids := map[string]bool{}
	for _, b := range current {
		ids[b.ID] = true
	}
	var out []access.Binding
	for _, b := range s.Bindings {
		if !ids[b.ID] {
			out = append(out, b)
		}
	}
	return out
}

// reconcile applies rules to (s, current) as the service will: evaluate, diff, apply.
func reconcile(t *rapid.T, s *access.State, groups []Group, current []Binding, rules []Rule, next *int) (*access.State, []Binding) {
	res, err := Evaluate(rules, groups, s.Resources)
	if err != nil {
		t.Fatalf("drawn rules do not compile: %v", err)
	}
	c := Diff(current, res.Bindings, manualOf(s, current))
	return Apply(s, current, c, func(Binding) string { *next++; return fmt.Sprint("rb", *next) })
}

// TestPropertyApplyThenDelete: applying rule sets (with groups renamed in between) and then
// deleting every rule restores the bindings exactly; manual bindings are never touched; and
// reconciling twice changes nothing the second time.
func TestPropertyApplyThenDelete(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		s0 := accesstest.Draw(t, accesstest.Options{Storable: true})
		groups := drawGroups(t, s0)
		next := 0
		s, cur := s0, []Binding(nil)
		for step := range rapid.IntRange(1, 3).Draw(t, "steps") {
			rules := drawRules(t, s0, fmt.Sprint("s", step))
			s, cur = reconcile(t, s, groups, cur, rules, &next)
			for _, b := range s0.Bindings {
				if !slices.Contains(s.Bindings, b) {
					t.Fatalf("step %d: manual binding %+v was touched", step, b)
				}
			}
			res, _ := Evaluate(rules, groups, s.Resources)
			if c := Diff(cur, res.Bindings, manualOf(s, cur)); !c.Empty() {
				t.Fatalf("step %d: reconciling again changes %+v", step, c)
			}
			if rapid.Bool().Draw(t, "rename") && len(groups) > 0 {
				i := rapid.IntRange(0, len(groups)-1).Draw(t, "renamed")
				groups[i].DisplayName = rapid.SampledFrom([]string{"renamed", "rc-nope-owner", "Admins"}).Draw(t, "newName")
			}
		}
		s, cur = reconcile(t, s, groups, cur, nil, &next)
		if len(cur) != 0 {
			t.Fatalf("rule-made bindings left after deleting every rule: %+v", cur)
		}
		if !reflect.DeepEqual(s.Bindings, s0.Bindings) && (len(s.Bindings) != 0 || len(s0.Bindings) != 0) {
			t.Fatalf("bindings after apply+delete:\n%+v\nwant:\n%+v", s.Bindings, s0.Bindings)
		}
	})
}

// TestPropertyEvaluate checks Evaluate against the definitions: a rule matches a group
// exactly when its matcher says so (the index and prefilters lose nothing); each wanted
// binding is owned by the first rule, by position then ID, that makes it on its own; and the
// result does not depend on the order of rules or groups.
func TestPropertyEvaluate(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		s := accesstest.Draw(t, accesstest.Options{})
		groups := drawGroups(t, s)
		rules := drawRules(t, s, "r")
		set, err := Compile(rules)
		if err != nil {
			t.Fatal(err)
		}
		res := set.Evaluate(groups, NewResources(s.Resources))
		sorted := set.Rules()
		for i, r := range sorted {
			var want []string
			for _, g := range uniqueGroups(groups) {
				if naiveMatch(r, g) {
					want = append(want, g.ID)
				}
			}
			var got []string
			for _, g := range res.Matches[i].Groups {
				got = append(got, g.ID)
			}
			slices.Sort(want)
			slices.Sort(got)
			if !slices.Equal(got, want) {
				t.Fatalf("rule %+v matched %v, want %v", r, got, want)
			}
		}
		owner := map[key]string{}
		for _, r := range sorted {
			alone, err := Evaluate([]Rule{r}, groups, s.Resources)
			if err != nil {
				t.Fatal(err)
			}
			for _, b := range alone.Bindings {
				if _, ok := owner[b.key()]; !ok {
					owner[b.key()] = r.ID
				}
			}
		}
		if len(owner) != len(res.Bindings) {
			t.Fatalf("%d bindings, want %d", len(res.Bindings), len(owner))
		}
		for _, b := range res.Bindings {
			if owner[b.key()] != b.RuleID {
				t.Fatalf("binding %+v owned by %s, want %s", b, b.RuleID, owner[b.key()])
			}
		}
		perm := func(n int) []int { return rapid.Permutation(seq(n)).Draw(t, "perm") }
		var rules2 []Rule
		for _, i := range perm(len(rules)) {
			rules2 = append(rules2, rules[i])
		}
		var groups2 []Group
		for _, i := range perm(len(groups)) {
			groups2 = append(groups2, groups[i])
		}
		if len(uniqueGroups(groups)) != len(groups) {
			return // a duplicate ID: the first wins, which shuffling changes
		}
		res2, _ := Evaluate(rules2, groups2, s.Resources)
		if !reflect.DeepEqual(res, res2) {
			t.Fatalf("result depends on input order:\n%+v\n%+v", res, res2)
		}
	})
}

func seq(n int) []int {
	out := make([]int, n)
	for i := range out {
		out[i] = i
	}
	return out
}

func uniqueGroups(gs []Group) []Group {
	seen := map[string]bool{}
	var out []Group
	for _, g := range gs {
		if !seen[g.ID] {
			seen[g.ID] = true
			out = append(out, g)
		}
	}
	return out
}

func naiveMatch(r Rule, g Group) bool {
	switch r.Match {
	case MatchDisplayName:
		return strings.EqualFold(r.Value, g.DisplayName)
	case MatchExternalID:
		return r.Value == g.ExternalID
	}
	return regexp.MustCompile(r.Value).MatchString(g.DisplayName)
}

// TestPropertyPreviewUsers: the preview's per-user lines equal a full comparison of every
// user's explicit roles before and after (no shortcut through changed groups), with
// enforce's presentation rules: active users only, no cloud or project line for an org
// owner afterwards.
func TestPropertyPreviewUsers(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		// Not only storable states: cycles and repeated bindings must not fool the shortcut.
		s0 := accesstest.Draw(t, accesstest.Options{Storable: rapid.Bool().Draw(t, "storable")})
		groups := drawGroups(t, s0)
		next := 0
		old := drawRules(t, s0, "old")
		s, cur := reconcile(t, s0, groups, nil, old, &next)
		nu := drawRules(t, s0, "new")
		p, err := NewPreview(Input{State: s, Groups: groups, Current: cur, Old: old, New: nu})
		if err != nil {
			t.Fatal(err)
		}
		after, _ := reconcile(t, s, groups, cur, nu, &next)
		want := fullUserLines(s, after)
		if got := userLines(p.Users); !slices.Equal(got, want) {
			t.Fatalf("preview users:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
		}
		for _, u := range p.Users {
			if u.Changes.Clouds == nil || u.Changes.Projects == nil {
				t.Fatalf("nil change lists for %s", u.UserName)
			}
		}
	})
}

func fullUserLines(before, after *access.State) []string {
	ixB, ixA := access.NewIndex(before), access.NewIndex(after)
	eB, eA := ixB.NewEvaluator(), ixA.NewEvaluator()
	org, hasOrg := ixB.Organization()
	var out []enforce.UserChanges
	for _, u := range ixB.UsersByName() {
		user := ixB.User(u)
		if !user.Holds() {
			continue
		}
		eB.Load(u)
		eA.Load(u)
		ownerAfter := hasOrg && eA.Role(org) == access.RoleOwner
		uc := enforce.UserChanges{UserName: user.UserName}
		for r := range ixB.NumResources() {
			ref := access.ResourceRef(r)
			b, a := eB.Role(ref), eA.Role(ref)
			if b == a {
				continue
			}
			res := ixB.Resource(ref)
			c := enforce.Change{Resource: res.Name, Before: b, After: a}
			switch {
			case res.Kind == access.KindOrganization:
				uc.Changes.Organization = &c
			case ownerAfter:
			case res.Kind == access.KindCloud:
				uc.Changes.Clouds = append(uc.Changes.Clouds, c)
			default:
				uc.Changes.Projects = append(uc.Changes.Projects, c)
			}
		}
		out = append(out, uc)
	}
	lines := userLines(out)
	if lines == nil {
		return nil
	}
	// userLines lists per user clouds, projects, org; resources are drawn in name order
	// (cloud-0…, proj-0…), so State order is name order.
	return lines
}

func sortedBindings(bs []access.Binding) []access.Binding {
	out := slices.Clone(bs)
	slices.SortFunc(out, func(a, b access.Binding) int { return strings.Compare(a.ID, b.ID) })
	return out
}

// TestPropertyUndo: applying a rule change's Inverse restores the bindings and the rule-made
// bindings (IDs and rules included) as they were before the change.
func TestPropertyUndo(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		s0 := accesstest.Draw(t, accesstest.Options{Storable: true})
		groups := drawGroups(t, s0)
		next := 0
		s1, cur1 := reconcile(t, s0, groups, nil, drawRules(t, s0, "old"), &next)
		res, err := Evaluate(drawRules(t, s0, "new"), groups, s0.Resources)
		if err != nil {
			t.Fatal(err)
		}
		c := Diff(cur1, res.Bindings, manualOf(s1, cur1))
		s2, cur2 := Apply(s1, cur1, c, func(Binding) string { next++; return fmt.Sprint("rb", next) })
		applied := c
		applied.Add = cur2[len(cur2)-len(c.Add):]
		s3, cur3 := Apply(s2, cur2, applied.Inverse(), func(Binding) string { t.Fatal("undo made a new ID"); return "" })
		if !reflect.DeepEqual(sortedBindings(s3.Bindings), sortedBindings(s1.Bindings)) {
			t.Fatalf("undo: bindings\n%+v\nwant\n%+v", s3.Bindings, s1.Bindings)
		}
		key := func(a, b Binding) int { return strings.Compare(a.ID, b.ID) }
		slices.SortFunc(cur3, key)
		cur1 = slices.Clone(cur1)
		slices.SortFunc(cur1, key)
		if !slices.Equal(cur3, cur1) {
			t.Fatalf("undo: rule-made\n%+v\nwant\n%+v", cur3, cur1)
		}
	})
}

// TestPropertyReconcileOneGroup: reconciling groups one at a time (as SCIM creates and
// renames them) reaches the same bindings as reconciling them all at once, and never
// touches another group's bindings.
func TestPropertyReconcileOneGroup(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		s0 := accesstest.Draw(t, accesstest.Options{Storable: true})
		groups := uniqueGroups(drawGroups(t, s0))
		next := 0
		s1, cur1 := reconcile(t, s0, groups, nil, drawRules(t, s0, "old"), &next)
		set, err := Compile(drawRules(t, s0, "new"))
		if err != nil {
			t.Fatal(err)
		}
		res := NewResources(s0.Resources)
		all, _ := set.Reconcile(groups, res, cur1, manualOf(s1, cur1))
		sAll, curAll := Apply(s1, cur1, all, func(Binding) string { next++; return fmt.Sprint("rb", next) })
		s, cur := s1, cur1
		for _, g := range groups {
			c, _ := set.Reconcile([]Group{g}, res, cur, manualOf(s, cur))
			for _, b := range append(append([]Binding{}, c.Add...), c.Remove...) {
				if b.GroupID != g.ID {
					t.Fatalf("reconciling %s changes %+v", g.ID, b)
				}
			}
			s, cur = Apply(s, cur, c, func(Binding) string { next++; return fmt.Sprint("rb", next) })
		}
		keys := func(bs []Binding) []string {
			var out []string
			for _, b := range bs {
				out = append(out, fmt.Sprintf("%s %s %s %s", b.GroupID, b.ResourceID, b.Role, b.RuleID))
			}
			slices.Sort(out)
			return out
		}
		if !slices.Equal(keys(cur), keys(curAll)) {
			t.Fatalf("one at a time:\n%v\nall at once:\n%v", keys(cur), keys(curAll))
		}
		if len(s.Bindings) != len(sAll.Bindings) {
			t.Fatalf("%d bindings one at a time, %d all at once", len(s.Bindings), len(sAll.Bindings))
		}
	})
}
