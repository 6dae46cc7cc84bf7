package rules

import (
	"encoding/json"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"

	"pgregory.net/rapid"

	"github.com/rolecall/rolecall/internal/access"
	"github.com/rolecall/rolecall/internal/access/accesstest"
	"github.com/rolecall/rolecall/internal/enforce"
)

// previewInput is a small org with one rule applied (eng clouds readonly) and a change that
// raises it to collaborator, adds a project rule and an org-owner rule, and adds a rule a
// manual grant already covers.
func previewInput() Input {
	U, G := access.PrincipalUser, access.PrincipalGroup
	s := &access.State{
		Resources: exampleResources(),
		Users: []access.User{
			{ID: "u-alice", UserName: "alice@example.com", Active: true},
			{ID: "u-bob", UserName: "bob@example.com", Active: true},
			{ID: "u-carol", UserName: "carol@example.com", Active: true},
			{ID: "u-dave", UserName: "dave@example.com", Active: false},
			{ID: "u-erin", UserName: "erin@example.com", Active: true},
		},
		Groups: []access.Group{
			{ID: "g-web", DisplayName: "rc-web-owner", Active: true},
			{ID: "g-eng", DisplayName: "eng-prod", Active: true},
			{ID: "g-team", DisplayName: "team-b", Active: true},
			{ID: "g-admins", DisplayName: "Platform Admins", Active: true},
			{ID: "g-ops", DisplayName: "ops", Active: true},
		},
		Memberships: []access.Membership{
			{GroupID: "g-web", MemberID: "u-alice", MemberType: U},
			{GroupID: "g-team", MemberID: "u-bob", MemberType: U},
			{GroupID: "g-eng", MemberID: "g-team", MemberType: G}, // bob is in eng-prod through team-b
			{GroupID: "g-admins", MemberID: "u-carol", MemberType: U},
			{GroupID: "g-web", MemberID: "u-carol", MemberType: U},
			{GroupID: "g-web", MemberID: "u-dave", MemberType: U},
			{GroupID: "g-ops", MemberID: "u-erin", MemberType: U},
		},
		Bindings: []access.Binding{
			{ID: "b-carol", ResourceID: "org", PrincipalID: "u-carol", PrincipalType: U, Role: access.RoleCollaborator},
			{ID: "b-ops", ResourceID: "p-web", PrincipalID: "g-ops", PrincipalType: G, Role: access.RoleOwner},
			{ID: "rb-eng", ResourceID: "c-prod", PrincipalID: "g-eng", PrincipalType: G, Role: access.RoleReadonly},
		},
	}
	var groups []Group
	for _, g := range s.Groups {
		groups = append(groups, Group{ID: g.ID, DisplayName: g.DisplayName, Active: g.Active})
	}
	eng := Rule{ID: "r-eng", Name: "clouds", Position: 1, Match: MatchPattern, Value: `^eng-(?P<cloud>.+)$`, Role: "readonly"}
	eng2 := eng
	eng2.Role = "collaborator"
	return Input{
		State:   s,
		Groups:  groups,
		Current: []Binding{{ID: "rb-eng", GroupID: "g-eng", ResourceID: "c-prod", Role: access.RoleReadonly, RuleID: "r-eng"}},
		Old:     []Rule{eng},
		New: []Rule{eng2,
			{ID: "r-proj", Name: "projects", Position: 2, Match: MatchPattern, Value: `^rc-(?P<project>[a-z]+)-(?P<role>owner|write|readonly)$`},
			{ID: "r-admins", Name: "admins", Position: 3, Match: MatchDisplayName, Value: "platform admins", ResourceKind: access.KindOrganization, Role: "owner"},
			{ID: "r-ops", Name: "ops", Position: 4, Match: MatchDisplayName, Value: "ops", ResourceKind: access.KindProject, ResourceName: "web", Role: "owner"},
		},
	}
}

func userLines(us []enforce.UserChanges) []string {
	var out []string
	for _, u := range us {
		for _, c := range u.Changes.Clouds {
			out = append(out, fmt.Sprintf("%s cloud %s %s->%s", u.UserName, c.Resource, c.Before, c.After))
		}
		for _, c := range u.Changes.Projects {
			out = append(out, fmt.Sprintf("%s project %s %s->%s", u.UserName, c.Resource, c.Before, c.After))
		}
		if c := u.Changes.Organization; c != nil {
			out = append(out, fmt.Sprintf("%s org %s->%s", u.UserName, c.Before, c.After))
		}
	}
	return out
}

func TestPreview(t *testing.T) {
	p, err := NewPreview(previewInput())
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		"alice@example.com project web none->owner",
		"bob@example.com cloud prod readonly->collaborator", // nested membership counts
		// carol becomes org owner: owner everywhere, so her web line is not shown.
		"carol@example.com org collaborator->owner",
		// dave is inactive; erin's ops group already holds owner on web by hand.
	}
	if got := userLines(p.Users); !slices.Equal(got, want) {
		t.Errorf("users:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if got := bindingLines(p.Changes.Add); !slices.Equal(got, []string{
		"r-eng g-eng c-prod collaborator", "r-proj g-web p-web owner", "r-admins g-admins org owner"}) {
		t.Errorf("add: %v", got)
	}
	if got := bindingLines(p.Changes.Remove); !slices.Equal(got, []string{"r-eng g-eng c-prod readonly"}) {
		t.Errorf("remove: %v", got)
	}
	if got := bindingLines(p.Changes.Covered); !slices.Equal(got, []string{"r-ops g-ops p-web owner"}) {
		t.Errorf("covered: %v", got)
	}
	var statuses []string
	for _, r := range p.Rules {
		statuses = append(statuses, fmt.Sprintf("%s %s groups=%d add=%d remove=%d", r.Rule.ID, r.Status, len(r.Groups), len(r.Add), len(r.Remove)))
	}
	if want := []string{
		"r-eng changed groups=1 add=1 remove=1",
		"r-proj added groups=1 add=1 remove=0",
		"r-admins added groups=1 add=1 remove=0",
		"r-ops added groups=1 add=0 remove=0",
	}; !slices.Equal(statuses, want) {
		t.Errorf("rules:\n%s\nwant:\n%s", strings.Join(statuses, "\n"), strings.Join(want, "\n"))
	}
	s := p.Summary
	if s.RulesAdded != 3 || s.RulesChanged != 1 || s.BindingsAdded != 3 || s.BindingsRemoved != 1 || s.BindingsCovered != 1 ||
		s.UsersChanged != 3 || s.Raised != 3 || s.Lowered != 0 || s.GroupsMatched != 4 {
		t.Errorf("summary %+v", s)
	}
}

// TestPreviewDeleteAll: deleting every rule lowers exactly what the rules raised, and the
// deleted rules are listed with the bindings they take away.
func TestPreviewDeleteAll(t *testing.T) {
	in := previewInput()
	in.Old = []Rule{in.Old[0], {ID: "r-x", Name: "x", Position: 9, Match: MatchExternalID, Value: "none", ResourceKind: access.KindOrganization, Role: "owner"}}
	in.New = nil
	p, err := NewPreview(in)
	if err != nil {
		t.Fatal(err)
	}
	if got := userLines(p.Users); !slices.Equal(got, []string{"bob@example.com cloud prod readonly->none"}) {
		t.Errorf("users: %v", got)
	}
	if len(p.Rules) != 2 || p.Rules[0].Status != RuleRemoved || len(p.Rules[0].Remove) != 1 || p.Rules[1].Rule.ID != "r-x" {
		t.Errorf("rules: %+v", p.Rules)
	}
	if p.Summary.Lowered != 1 || p.Summary.RulesRemoved != 2 {
		t.Errorf("summary %+v", p.Summary)
	}
}

func TestPreviewNoChange(t *testing.T) {
	in := previewInput()
	in.New = in.Old
	p, err := NewPreview(in)
	if err != nil {
		t.Fatal(err)
	}
	if !p.Empty() || len(p.Users) != 0 || p.Rules[0].Status != RuleUnchanged {
		t.Errorf("preview of no change: %+v", p)
	}
}

func TestPreviewInvalidNew(t *testing.T) {
	in := previewInput()
	in.New = []Rule{{ID: "bad", Name: "bad", Match: MatchPattern, Value: "(?P<foo>x)", Role: "owner"}}
	if _, err := NewPreview(in); err == nil || !strings.Contains(err.Error(), "unknown capture name") {
		t.Fatalf("NewPreview = %v", err)
	}
}

func TestDiff(t *testing.T) {
	cur := []Binding{
		{ID: "1", GroupID: "g", ResourceID: "r", Role: access.RoleOwner, RuleID: "a"},    // stays
		{ID: "2", GroupID: "g", ResourceID: "r", Role: access.RoleReadonly, RuleID: "a"}, // moves to b
		{ID: "3", GroupID: "h", ResourceID: "r", Role: access.RoleOwner, RuleID: "a"},    // goes
		{ID: "4", GroupID: "g", ResourceID: "r", Role: access.RoleOwner, RuleID: "a"},    // duplicate of 1: goes
	}
	want := []Binding{
		{GroupID: "g", ResourceID: "r", Role: access.RoleOwner, RuleID: "a"},
		{GroupID: "g", ResourceID: "r", Role: access.RoleReadonly, RuleID: "b"},
		{GroupID: "k", ResourceID: "r", Role: access.RoleOwner, RuleID: "b"},        // new
		{GroupID: "m", ResourceID: "r", Role: access.RoleOwner, RuleID: "b"},        // manual
		{GroupID: "k", ResourceID: "r", Role: access.RoleOwner, RuleID: "c"},        // repeated: ignored
		{GroupID: "u", ResourceID: "r", Role: access.RoleCollaborator, RuleID: "c"}, // a user binding is not manual for groups
	}
	manual := []access.Binding{
		{ID: "m1", PrincipalType: access.PrincipalGroup, PrincipalID: "m", ResourceID: "r", Role: access.RoleOwner},
		{ID: "m2", PrincipalType: access.PrincipalUser, PrincipalID: "u", ResourceID: "r", Role: access.RoleCollaborator},
	}
	c := Diff(cur, want, manual)
	if got := bindingLines(c.Add); !slices.Equal(got, []string{"b k r owner", "c u r collaborator"}) {
		t.Errorf("add %v", got)
	}
	var ids []string
	for _, b := range c.Remove {
		ids = append(ids, b.ID)
	}
	if !slices.Equal(ids, []string{"3", "4"}) {
		t.Errorf("remove %v", ids)
	}
	if len(c.Reassign) != 1 || c.Reassign[0].ID != "2" || c.Reassign[0].RuleID != "b" || c.Reassign[0].FromRuleID != "a" {
		t.Errorf("reassign %+v", c.Reassign)
	}
	if got := bindingLines(c.Covered); !slices.Equal(got, []string{"b m r owner"}) {
		t.Errorf("covered %v", got)
	}
	if c.Empty() {
		t.Error("Empty")
	}
	if c := Diff(nil, nil, nil); !c.Empty() {
		t.Error("Diff of nothing is not empty")
	}
}

// TestPreviewFingerprint: the fingerprint is the same for the same preview, whatever the
// input order, and differs when what apply does differs: a binding or a user's change.
func TestPreviewFingerprint(t *testing.T) {
	fp := func(in Input) string {
		p, err := NewPreview(in)
		if err != nil {
			t.Fatal(err)
		}
		if len(p.Fingerprint) != 64 {
			t.Fatalf("fingerprint %q", p.Fingerprint)
		}
		return p.Fingerprint
	}
	base := fp(previewInput())
	if fp(previewInput()) != base {
		t.Error("same input, different fingerprint")
	}
	in := previewInput()
	slices.Reverse(in.Groups)
	slices.Reverse(in.New)
	if fp(in) != base {
		t.Error("input order changes the fingerprint")
	}
	in = previewInput()
	in.State.Memberships = in.State.Memberships[1:] // alice leaves rc-web-owner: her line goes
	if fp(in) == base {
		t.Error("a user's change does not change the fingerprint")
	}
	in = previewInput()
	in.New[1].Position = 7 // same bindings, another rule order: the stored set differs
	if fp(in) == base {
		t.Error("the rule set does not change the fingerprint")
	}
}

// TestPreviewGroupLeftOut: a group the caller does not pass (say, a deleted one) keeps its
// rule-made bindings, even when its rule is deleted.
func TestPreviewGroupLeftOut(t *testing.T) {
	in := previewInput()
	in.Groups = slices.DeleteFunc(in.Groups, func(g Group) bool { return g.ID == "g-eng" })
	in.New = nil
	p, err := NewPreview(in)
	if err != nil {
		t.Fatal(err)
	}
	if !p.Empty() || len(p.Users) != 0 {
		t.Fatalf("changes for a group left out: %+v", p.Changes)
	}
}

// TestPreviewJSON: a preview is its own wire form: it marshals (zero kinds are omitted, not
// refused) and round-trips.
func TestPreviewJSON(t *testing.T) {
	in := previewInput()
	in.Current = append(in.Current, Binding{ID: "rb-x", GroupID: "g-x", ResourceID: "gone", Role: access.RoleOwner, RuleID: "r-unknown"})
	in.Groups = append(in.Groups, Group{ID: "g-x", DisplayName: "x"})
	p, err := NewPreview(in)
	if err != nil {
		t.Fatal(err)
	}
	b, err := json.Marshal(p)
	if err != nil {
		t.Fatalf("marshal: %v", err)
	}
	var back Preview
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatalf("unmarshal: %v", err)
	}
	if !reflect.DeepEqual(&back, p) {
		t.Errorf("round trip differs:\n%+v\n%+v", back, *p)
	}
	last := p.Rules[len(p.Rules)-1]
	if last.Rule.ID != "r-unknown" || last.Status != RuleRemoved || len(last.Remove) != 1 || last.Remove[0].ResourceName != "gone" {
		t.Errorf("binding of an unknown rule: %+v", last)
	}
}

func TestDescribe(t *testing.T) {
	for _, tc := range []struct {
		r    Rule
		want string
	}{
		{Rule{Match: MatchPattern, Value: `^eng-(?P<cloud>.+)$`, Role: "readonly"}, "pattern ^eng-(?P<cloud>.+)$ → readonly on the captured cloud"},
		{Rule{Match: MatchPattern, Value: `^rc-(?P<project>.+)-(?P<role>.+)$`}, "pattern ^rc-(?P<project>.+)-(?P<role>.+)$ → the captured role on the captured project"},
		{Rule{Match: MatchDisplayName, Value: "Platform Admins", ResourceKind: access.KindOrganization, Role: "owner"}, `displayName "Platform Admins" → owner on the organization`},
		{Rule{Match: MatchExternalID, Value: "00g1", ResourceKind: access.KindProject, ResourceName: "web", Role: "write"}, `externalId "00g1" → write on project web`},
	} {
		if got := tc.r.Describe(); got != tc.want {
			t.Errorf("Describe = %q, want %q", got, tc.want)
		}
	}
}

// TestUserChangesMatchDiffUser: the preview's per-user lines, computed from a per-group table
// of bindings, are what access.DiffUser (checked against EffectiveRole on every resource)
// says for the state before and after the changes: public projects reached through a cloud
// included, and a user who is org owner afterwards with its organization line only.
func TestUserChangesMatchDiffUser(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		s := accesstest.Draw(t, accesstest.Options{Storable: true, Public: true})
		var c Changes
		for _, b := range s.Bindings {
			if b.PrincipalType == access.PrincipalGroup && rapid.Bool().Draw(t, "remove") {
				c.Remove = append(c.Remove, Binding{ID: b.ID, GroupID: b.PrincipalID, ResourceID: b.ResourceID, Role: b.Role})
			}
		}
		if len(s.Groups) > 0 {
			for range rapid.IntRange(0, 3).Draw(t, "adds") {
				g := s.Groups[rapid.IntRange(0, len(s.Groups)-1).Draw(t, "group")]
				r := s.Resources[rapid.IntRange(0, len(s.Resources)-1).Draw(t, "resource")]
				roles := access.ValidRoles(r.Kind)
				c.Add = append(c.Add, Binding{GroupID: g.ID, ResourceID: r.ID, Role: roles[rapid.IntRange(0, len(roles)-1).Draw(t, "role")]})
			}
		}
		n := 0
		after, _ := Apply(s, nil, c, func(Binding) string { n++; return fmt.Sprint("new", n) })
		got := map[string][]string{}
		for _, u := range userChanges(s, c) {
			add := func(ch enforce.Change) {
				got[u.UserID] = append(got[u.UserID], fmt.Sprintf("%s %s→%s", ch.ResourceID, ch.Before, ch.After))
			}
			if u.Changes.Organization != nil {
				add(*u.Changes.Organization)
			}
			for _, ch := range u.Changes.Clouds {
				add(ch)
			}
			for _, ch := range u.Changes.Projects {
				add(ch)
			}
		}
		d := access.NewDiffer(access.NewIndex(s), access.NewIndex(after))
		for _, u := range s.Users {
			var want []string
			for _, x := range d.User(u.ID) {
				want = append(want, fmt.Sprintf("%s %s→%s", x.ResourceID, x.Before, x.After))
			}
			slices.Sort(want)
			g := got[u.ID]
			slices.Sort(g)
			if !slices.Equal(g, want) {
				t.Fatalf("user %s: preview %q, DiffUser %q (changes %+v)", u.ID, g, want, c)
			}
		}
	})
}
