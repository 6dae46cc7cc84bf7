package rules

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/rolecall/rolecall/internal/access"
)

// The budget: 1,000 rules over 10,000 groups preview in < 1 s (2 cores). The org
// around them: 200 clouds, 2,000 projects, 20,000 users in 3–5 groups each (nested groups
// included), 20,000 direct user grants and 2,000 manual group grants.
const (
	benchRules    = 1_000
	benchGroups   = 10_000
	benchUsers    = 20_000
	benchClouds   = 200
	benchProjects = 2_000
)

type benchOrg struct {
	state  *access.State
	groups []Group
	rules  []Rule
}

// newBenchOrg builds the org deterministically. Rules: 300 exact displayNames, 100 exact
// externalIds, 580 patterns anchored with a distinct literal prefix (one per department,
// capturing project and role) and 20 patterns without a prefix (capturing a cloud). Groups:
// team, department-project-role and ops groups those rules match (some naming missing
// projects or invalid roles), and 1,500 groups no rule matches.
func newBenchOrg() *benchOrg {
	r := rand.New(rand.NewPCG(3, 5))
	o := &benchOrg{state: &access.State{}}
	s := o.state
	s.Resources = append(s.Resources, access.Resource{ID: "org", Name: "bench", Kind: access.KindOrganization})
	for i := range benchClouds {
		s.Resources = append(s.Resources, access.Resource{ID: fmt.Sprint("c", i), Name: fmt.Sprintf("cloud-%03d", i), Kind: access.KindCloud})
	}
	for i := range benchProjects {
		s.Resources = append(s.Resources, access.Resource{ID: fmt.Sprint("p", i), Name: fmt.Sprintf("proj-%04d", i),
			Kind: access.KindProject, ParentID: fmt.Sprint("c", i%benchClouds)})
	}
	for i := range benchRules {
		rule := Rule{ID: fmt.Sprintf("r%04d", i), Name: fmt.Sprintf("rule %d", i), Position: i}
		switch {
		case i < 300:
			rule.Match, rule.Value = MatchDisplayName, fmt.Sprintf("Team-%04d", i)
			rule.ResourceKind, rule.ResourceName, rule.Role = access.KindProject, fmt.Sprintf("proj-%04d", i*5), "collaborator"
		case i < 400:
			rule.Match, rule.Value = MatchExternalID, fmt.Sprintf("ext-%04d", i)
			rule.ResourceKind, rule.ResourceName, rule.Role = access.KindCloud, fmt.Sprintf("cloud-%03d", i%benchClouds), "readonly"
		case i < 980:
			rule.Match, rule.Value = MatchPattern, fmt.Sprintf(`^dept%03d-(?P<project>[a-z0-9-]+)-(?P<role>owner|write|readonly|admin)$`, i-400)
		default:
			rule.Match, rule.Value = MatchPattern, fmt.Sprintf(`-ops%02d-(?P<cloud>cloud-\d{3})$`, i-980)
			rule.Role = "readonly"
		}
		o.rules = append(o.rules, rule)
	}
	// Names are unique, as the store keeps them: the combinations below never repeat.
	name := func(i int) (string, string) {
		switch {
		case i < 3_000: // 300 match a displayName rule, 100 an externalId rule
			return fmt.Sprintf("team-%04d", i), fmt.Sprintf("ext-%04d", i)
		case i < 8_000: // departments 580–599 have no rule; projects 2000–2049 do not exist
			role := []string{"owner", "write", "readonly", "admin"}[r.IntN(4)]
			return fmt.Sprintf("dept%03d-proj-%04d-%s", i%600, (i-3_000)%(benchProjects+50), role), ""
		case i < 8_500: // ops groups: clouds 200–209 do not exist
			return fmt.Sprintf("site%d-ops%02d-cloud-%03d", i, i%25, (i*3)%(benchClouds+10)), ""
		}
		return fmt.Sprintf("misc-%05d", i), ""
	}
	for i := range benchGroups {
		n, ext := name(i)
		g := Group{ID: fmt.Sprint("g", i), DisplayName: n, ExternalID: ext, Active: i%50 != 7}
		o.groups = append(o.groups, g)
		s.Groups = append(s.Groups, access.Group{ID: g.ID, DisplayName: g.DisplayName, Active: g.Active})
	}
	for i := range benchUsers {
		s.Users = append(s.Users, access.User{ID: fmt.Sprint("u", i), UserName: fmt.Sprintf("user%05d@example.com", i), Active: i%100 != 1})
		for range 3 + r.IntN(3) {
			s.Memberships = append(s.Memberships, access.Membership{GroupID: fmt.Sprint("g", r.IntN(benchGroups)),
				MemberID: fmt.Sprint("u", i), MemberType: access.PrincipalUser})
		}
		res := s.Resources[1+r.IntN(len(s.Resources)-1)]
		s.Bindings = append(s.Bindings, access.Binding{ID: fmt.Sprint("bu", i), ResourceID: res.ID, PrincipalID: fmt.Sprint("u", i),
			PrincipalType: access.PrincipalUser, Role: access.RoleReadonly})
	}
	for range 1_000 { // nesting: misc groups contain other groups
		s.Memberships = append(s.Memberships, access.Membership{GroupID: fmt.Sprint("g", 8_500+r.IntN(1_500)),
			MemberID: fmt.Sprint("g", r.IntN(8_500)), MemberType: access.PrincipalGroup})
	}
	for i := range 2_000 {
		s.Bindings = append(s.Bindings, access.Binding{ID: fmt.Sprint("bg", i), ResourceID: fmt.Sprint("p", r.IntN(benchProjects)),
			PrincipalID: fmt.Sprint("g", r.IntN(benchGroups)), PrincipalType: access.PrincipalGroup, Role: access.RoleReadonly})
	}
	return o
}

// applied returns the org with every rule applied, and the rule-made bindings.
func (o *benchOrg) applied(tb testing.TB) (*access.State, []Binding) {
	res, err := Evaluate(o.rules, o.groups, o.state.Resources)
	if err != nil {
		tb.Fatal(err)
	}
	c := Diff(nil, res.Bindings, o.state.Bindings)
	n := 0
	return Apply(o.state, nil, c, func(Binding) string { n++; return fmt.Sprint("rb", n) })
}

func TestBenchOrgShape(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a 20,000-user org")
	}
	o := newBenchOrg()
	res, err := Evaluate(o.rules, o.groups, o.state.Resources)
	if err != nil {
		t.Fatal(err)
	}
	matched := 0
	for _, m := range res.Matches {
		matched += len(m.Groups)
	}
	// The benchmark is only meaningful if the rules really match most groups.
	if matched < 5_000 || len(res.Bindings) < 4_000 || len(res.Problems) == 0 {
		t.Fatalf("bench org: %d matches, %d bindings, %d problems", matched, len(res.Bindings), len(res.Problems))
	}
	t.Logf("bench org: %d matches, %d bindings, %d problems", matched, len(res.Bindings), len(res.Problems))
}

// BenchmarkMatch: evaluating 1,000 rules over 10,000 groups through the index.
func BenchmarkMatch(b *testing.B) {
	o := newBenchOrg()
	set, err := Compile(o.rules)
	if err != nil {
		b.Fatal(err)
	}
	res := NewResources(o.state.Resources)
	b.ReportAllocs()
	for b.Loop() {
		set.Evaluate(o.groups, res)
	}
}

// BenchmarkMatchNaive is the baseline the index beats: every rule tried on every group
// (10 million comparisons and regexp runs). Run it alone: -bench MatchNaive -benchtime 1x.
func BenchmarkMatchNaive(b *testing.B) {
	o := newBenchOrg()
	set, err := Compile(o.rules)
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		n := 0
		for i := range o.groups {
			g := &o.groups[i]
			for _, c := range set.rules {
				var ok bool
				switch c.Match {
				case MatchDisplayName:
					ok = strings.EqualFold(c.Value, g.DisplayName)
				case MatchExternalID:
					ok = c.Value == g.ExternalID
				default:
					ok = c.re.MatchString(g.DisplayName)
				}
				if ok {
					n++
				}
			}
		}
	}
}

// BenchmarkCompile: validating and indexing 1,000 rules.
func BenchmarkCompile(b *testing.B) {
	o := newBenchOrg()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Compile(o.rules); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkPreviewAll: the worst case, adding all 1,000 rules at once to an org without
// rule-made bindings: every matched group changes, most users with it.
func BenchmarkPreviewAll(b *testing.B) {
	o := newBenchOrg()
	in := Input{State: o.state, Groups: o.groups, New: o.rules}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := NewPreview(in); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkPreviewOne: the everyday case, changing one pattern rule of the 1,000 applied.
func BenchmarkPreviewOne(b *testing.B) {
	o := newBenchOrg()
	s, cur := o.applied(b)
	nu := append([]Rule(nil), o.rules...)
	nu[500].Value = `^dept100-(?P<project>[a-z0-9-]+)-(?P<role>owner|readonly)$`
	in := Input{State: s, Groups: o.groups, Current: cur, Old: o.rules, New: nu}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := NewPreview(in); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkPreviewDeleteAll: deleting all 1,000 rules.
func BenchmarkPreviewDeleteAll(b *testing.B) {
	o := newBenchOrg()
	s, cur := o.applied(b)
	in := Input{State: s, Groups: o.groups, Current: cur, Old: o.rules}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := NewPreview(in); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkReconcileOneGroup: the SCIM path, a group created or renamed under 1,000 rules.
func BenchmarkReconcileOneGroup(b *testing.B) {
	o := newBenchOrg()
	s, cur := o.applied(b)
	set, err := Compile(o.rules)
	if err != nil {
		b.Fatal(err)
	}
	res := NewResources(s.Resources)
	g := o.groups[5_000]
	g.DisplayName = "dept123-proj-0042-owner"
	// The service reads just this group's bindings (the store indexes them by principal).
	var gcur []Binding
	for _, x := range cur {
		if x.GroupID == g.ID {
			gcur = append(gcur, x)
		}
	}
	var gman []access.Binding
	for _, x := range s.Bindings {
		if x.PrincipalID == g.ID {
			gman = append(gman, x)
		}
	}
	b.ReportAllocs()
	for b.Loop() {
		c, _ := set.Reconcile([]Group{g}, res, gcur, gman)
		if len(c.Add) != 1 {
			b.Fatalf("changes %+v", c)
		}
	}
}

// reconcileResourceBench is the bench org with every rule applied except on project
// proj-0042, as if it had just been created (the rule-made bindings on it not made yet).
func reconcileResourceBench(b *testing.B) (*Set, *Resources, []Binding, []access.Binding, []string) {
	o := newBenchOrg()
	s, cur := o.applied(b)
	set, err := Compile(o.rules)
	if err != nil {
		b.Fatal(err)
	}
	var kept []Binding
	gone := map[string]bool{}
	for _, x := range cur {
		if x.ResourceID == "p42" {
			gone[x.ID] = true
		} else {
			kept = append(kept, x)
		}
	}
	var manual []access.Binding
	for _, x := range manualOf(s, cur) {
		if !gone[x.ID] {
			manual = append(manual, x)
		}
	}
	on := NamedLike(s.Resources, access.KindProject, "proj-0042")
	if len(on) != 1 || len(gone) == 0 {
		b.Fatalf("on %v; %d rule-made bindings on proj-0042", on, len(gone))
	}
	return set, NewResources(s.Resources), kept, manual, on
}

// BenchmarkReconcileResourceAllGroups: a project created under 1,000 rules over 10,000
// groups, the way it was reconciled before ReconcileResources: every group.
func BenchmarkReconcileResourceAllGroups(b *testing.B) {
	o := newBenchOrg()
	set, res, cur, man, _ := reconcileResourceBench(b)
	for b.Loop() {
		if c, _ := set.Reconcile(o.groups, res, cur, man); len(c.Add) == 0 {
			b.Fatalf("changes %+v", c)
		}
	}
}

// BenchmarkReconcileResource: the same project created, reconciled on itself alone: only
// the rules that can bind there (the 580 project-capturing patterns and a fixed rule), each
// group probed only in their part of the index.
func BenchmarkReconcileResource(b *testing.B) {
	o := newBenchOrg()
	set, res, cur, man, on := reconcileResourceBench(b)
	full, _ := set.Reconcile(o.groups, res, cur, man)
	b.ReportAllocs()
	for b.Loop() {
		c := set.ReconcileResources(o.groups, res, on, cur, man)
		if len(c.Add) != len(full.Add) || len(c.Remove) != len(full.Remove) {
			b.Fatalf("changes %+v, the full reconcile's %+v", c, full)
		}
	}
}
