package rules

import (
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"

	"pgregory.net/rapid"

	"github.com/rolecall/rolecall/internal/access"
	"github.com/rolecall/rolecall/internal/access/accesstest"
)

// on restricts c to the bindings on the resources ids: what ReconcileResources must return.
func onResources(c Changes, ids []string) Changes {
	keep := func(b Binding) bool { return slices.Contains(ids, b.ResourceID) }
	out := Changes{Add: []Binding{}, Remove: []Binding{}, Reassign: []Reassignment{}, Covered: []Binding{}}
	for _, b := range c.Add {
		if keep(b) {
			out.Add = append(out.Add, b)
		}
	}
	for _, b := range c.Remove {
		if keep(b) {
			out.Remove = append(out.Remove, b)
		}
	}
	for _, r := range c.Reassign {
		if keep(r.Binding) {
			out.Reassign = append(out.Reassign, r)
		}
	}
	for _, b := range c.Covered {
		if keep(b) {
			out.Covered = append(out.Covered, b)
		}
	}
	return out
}

// TestPropertyReconcileResources: for any rule set, groups (some left out, as deleted ones
// are), rule-made bindings made by another rule set (so that there is much to change) and
// resources, ReconcileResources on some resources is exactly Reconcile restricted to them,
// order included.
func TestPropertyReconcileResources(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		s0 := accesstest.Draw(t, accesstest.Options{Storable: true})
		groups := drawGroups(t, s0)
		next := 0
		s1, cur1 := reconcile(t, s0, groups, nil, drawRules(t, s0, "old"), &next)
		set, err := Compile(drawRules(t, s0, "new"))
		if err != nil {
			t.Fatal(err)
		}
		var passed []Group
		for _, g := range groups {
			if rapid.IntRange(0, 5).Draw(t, "leftOut") != 0 {
				passed = append(passed, g)
			}
		}
		var on []string
		for _, r := range s0.Resources {
			if rapid.IntRange(0, 3).Draw(t, "on") == 0 {
				on = append(on, r.ID)
			}
		}
		if rapid.Bool().Draw(t, "unknownID") {
			on = append(on, "no-such-resource")
		}
		res := NewResources(s0.Resources)
		full, _ := set.Reconcile(passed, res, cur1, manualOf(s1, cur1))
		got := set.ReconcileResources(passed, res, on, cur1, manualOf(s1, cur1))
		if want := onResources(full, on); !reflect.DeepEqual(got, want) {
			t.Fatalf("on %v:\nReconcileResources %+v\nReconcile restricted %+v", on, got, want)
		}
		if !set.CanBind(res, on) && len(got.Add)+len(got.Reassign)+len(got.Covered) != 0 {
			t.Fatalf("CanBind is false on %v, yet the rules want %+v", on, got)
		}
	})
}

// TestPropertyResourceCreateRename: after a cloud or project is created or renamed in an org
// whose rule-made bindings were reconciled, ReconcileResources on NamedLike(its kind, new
// name, old name) changes exactly what reconciling every group changes (Covered, which is
// no change, restricted to those resources). Renames include a
// case variant of another resource's name (rules keep the first resource of a name, so the
// other one can lose or gain bindings), names groups refer to that no resource has, and
// the resource's own name in another case.
func TestPropertyResourceCreateRename(t *testing.T) {
	runs, changed := 0, 0
	rapid.Check(t, func(t *rapid.T) {
		runs++
		s0 := accesstest.Draw(t, accesstest.Options{Storable: true})
		groups := drawGroups(t, s0)
		set, err := Compile(drawRules(t, s0, "r"))
		if err != nil {
			t.Fatal(err)
		}
		i := rapid.IntRange(1, len(s0.Resources)-1).Draw(t, "resource") // 0 is the organization
		target := s0.Resources[i]
		before, after := *s0, *s0
		oldName := ""
		if rapid.Bool().Draw(t, "create") {
			// Before: the resource and the bindings on it do not exist yet.
			before.Resources = slices.Delete(slices.Clone(s0.Resources), i, i+1)
			before.Bindings = slices.DeleteFunc(slices.Clone(s0.Bindings), func(b access.Binding) bool { return b.ResourceID == target.ID })
			after.Bindings = before.Bindings
		} else {
			var names []string
			for _, r := range s0.Resources {
				if r.Kind == target.Kind && r.ID != target.ID {
					names = append(names, strings.ToUpper(r.Name), r.Name+"-old")
				}
			}
			names = append(names, strings.ToUpper(target.Name), "nope", "Nope", "renamed")
			oldName = target.Name
			after.Resources = slices.Clone(s0.Resources)
			after.Resources[i].Name = rapid.SampledFrom(names).Draw(t, "newName")
		}
		next := 0
		cur0 := []Binding(nil)
		c0, _ := set.Reconcile(groups, NewResources(before.Resources), cur0, manualOf(&before, cur0))
		s1, cur1 := Apply(&before, cur0, c0, func(Binding) string { next++; return fmt.Sprint("rb", next) })
		s1.Resources = after.Resources

		res := NewResources(after.Resources)
		full, _ := set.Reconcile(groups, res, cur1, manualOf(s1, cur1))
		on := NamedLike(after.Resources, target.Kind, after.Resources[i].Name, oldName)
		if !slices.Contains(on, target.ID) {
			t.Fatalf("NamedLike(%q, %q) = %v leaves out %s", after.Resources[i].Name, oldName, on, target.ID)
		}
		got := set.ReconcileResources(groups, res, on, cur1, manualOf(s1, cur1))
		// Covered is no change (a wanted binding a manual grant holds, on any resource); what
		// the service applies (Add, Remove, Reassign) must be the full reconcile's, all of it.
		want := full
		want.Covered = onResources(full, on).Covered
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("%s %s %q (was %q), on %v:\nincremental %+v\nfull        %+v", target.Kind, target.ID, after.Resources[i].Name, oldName, on, got, full)
		}
		if !got.Empty() {
			changed++
		}
	})
	// The property is only worth something if creates and renames do change bindings (about
	// 15% of draws do). Checked over 100 draws or more: with -short's 20, none changing has a
	// 4% chance and would fail runs that are fine.
	if runs >= 100 && changed*20 < runs {
		t.Fatalf("only %d of %d creates and renames changed a binding", changed, runs)
	}
	t.Logf("%d of %d creates and renames changed bindings", changed, runs)
}

// TestReconcileResourcesCreate is the common case by hand: a project created after the
// groups that name it gets the bindings of the capturing rule and of a fixed rule, the
// first rule by position owning a binding two rules make, and nothing else changes.
func TestReconcileResourcesCreate(t *testing.T) {
	set, err := Compile([]Rule{
		{ID: "a", Name: "capture", Position: 1, Match: MatchPattern, Value: `^rc-(?P<project>[a-z0-9-]+)-(?P<role>owner|write|readonly)$`},
		{ID: "b", Name: "fixed", Position: 2, Match: MatchDisplayName, Value: "rc-web-write", ResourceKind: access.KindProject, ResourceName: "web", Role: "collaborator"},
		{ID: "c", Name: "cloud", Position: 3, Match: MatchDisplayName, Value: "ops", ResourceKind: access.KindCloud, ResourceName: "main", Role: "readonly"},
	})
	if err != nil {
		t.Fatal(err)
	}
	groups := []Group{{ID: "g1", DisplayName: "rc-web-write"}, {ID: "g2", DisplayName: "rc-web-owner"}, {ID: "g3", DisplayName: "rc-api-owner"}, {ID: "g4", DisplayName: "ops"}}
	rs := []access.Resource{{ID: "org", Kind: access.KindOrganization}, {ID: "c1", Kind: access.KindCloud, Name: "main"},
		{ID: "p-api", Kind: access.KindProject, Name: "api", ParentID: "c1"}, {ID: "p-web", Kind: access.KindProject, Name: "Web", ParentID: "c1"}}
	// The bindings on api and main exist already; web was just created.
	current := []Binding{{ID: "x1", GroupID: "g3", ResourceID: "p-api", Role: access.RoleOwner, RuleID: "a"},
		{ID: "x2", GroupID: "g4", ResourceID: "c1", Role: access.RoleReadonly, RuleID: "c"}}
	res := NewResources(rs)
	on := NamedLike(rs, access.KindProject, "Web")
	if !slices.Equal(on, []string{"p-web"}) || !set.CanBind(res, on) {
		t.Fatalf("NamedLike = %v, CanBind %v", on, set.CanBind(res, on))
	}
	got := set.ReconcileResources(groups, res, on, current, nil)
	want := []Binding{{GroupID: "g2", ResourceID: "p-web", Role: access.RoleOwner, RuleID: "a"},
		{GroupID: "g1", ResourceID: "p-web", Role: access.RoleCollaborator, RuleID: "a"}}
	if !reflect.DeepEqual(got.Add, want) || len(got.Remove)+len(got.Reassign)+len(got.Covered) != 0 {
		t.Fatalf("changes %+v, want Add %+v", got, want)
	}
	if on := NamedLike(rs, access.KindCloud, "other"); set.CanBind(res, on) || len(on) != 0 {
		t.Fatalf("a cloud no rule names: on %v, CanBind %v", on, set.CanBind(res, on))
	}
}

// TestPropertySelectFor: ReconcileResources over the groups SelectFor selects, plus any
// others (the store may return more), changes exactly what it changes over every group.
func TestPropertySelectFor(t *testing.T) {
	narrowed := 0
	rapid.Check(t, func(t *rapid.T) {
		s0 := accesstest.Draw(t, accesstest.Options{Storable: true})
		groups := drawGroups(t, s0)
		next := 0
		s1, cur1 := reconcile(t, s0, groups, nil, drawRules(t, s0, "old"), &next)
		set, err := Compile(drawRules(t, s0, "new"))
		if err != nil {
			t.Fatal(err)
		}
		var on []string
		for _, r := range s0.Resources {
			if rapid.IntRange(0, 3).Draw(t, "on") == 0 {
				on = append(on, r.ID)
			}
		}
		res := NewResources(s0.Resources)
		sel := set.SelectFor(res, on, cur1)
		var some []Group
		for _, g := range groups {
			if sel.Selects(g) || rapid.IntRange(0, 4).Draw(t, "extra") == 0 {
				some = append(some, g)
			}
		}
		if len(some) < len(groups) {
			narrowed++
		}
		want := set.ReconcileResources(groups, res, on, cur1, manualOf(s1, cur1))
		got := set.ReconcileResources(some, res, on, cur1, manualOf(s1, cur1))
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("on %v, selector %+v:\nover the selected groups %+v\nover every group       %+v", on, sel, got, want)
		}
	})
	if narrowed == 0 {
		t.Fatal("the selector never left a group out: the property was not exercised")
	}
}
