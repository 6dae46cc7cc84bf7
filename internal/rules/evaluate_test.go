package rules

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/rolecall/rolecall/internal/access"
)

// exampleResources: the org, clouds prod and dev, projects web (in prod) and api (in dev).
func exampleResources() []access.Resource {
	return []access.Resource{
		{ID: "org", Name: "acme", Kind: access.KindOrganization},
		{ID: "c-prod", Name: "prod", Kind: access.KindCloud},
		{ID: "c-dev", Name: "dev", Kind: access.KindCloud},
		{ID: "p-web", Name: "web", Kind: access.KindProject, ParentID: "c-prod"},
		{ID: "p-api", Name: "api", Kind: access.KindProject, ParentID: "c-dev"},
	}
}

func exampleRules() []Rule {
	return []Rule{
		{ID: "r-proj", Name: "projects", Position: 1, Match: MatchPattern,
			Value: `^rc-(?P<project>[a-z0-9-]+)-(?P<role>owner|write|readonly|admin)$`},
		{ID: "r-eng", Name: "clouds", Position: 2, Match: MatchPattern, Value: `^eng-(?P<cloud>.*)$`, Role: "readonly"},
		{ID: "r-admins", Name: "admins", Position: 3, Match: MatchDisplayName, Value: "platform admins",
			ResourceKind: access.KindOrganization, Role: "owner"},
		{ID: "r-ext", Name: "by externalId", Position: 4, Match: MatchExternalID, Value: "00gWEB",
			ResourceKind: access.KindProject, ResourceName: "web", Role: "write"},
		{ID: "r-gone", Name: "gone cloud", Position: 5, Match: MatchDisplayName, Value: "legacy",
			ResourceKind: access.KindCloud, ResourceName: "legacy", Role: "owner"},
		// Same binding as r-proj makes for rc-web-write: r-proj owns it, this one is shadowed.
		{ID: "r-dup", Name: "dup", Position: 6, Match: MatchPattern, Value: `-web-write$`,
			ResourceKind: access.KindProject, ResourceName: "WEB", Role: "collaborator"},
	}
}

func exampleGroups() []Group {
	return []Group{
		{ID: "g1", DisplayName: "rc-web-owner", Active: true},
		{ID: "g2", DisplayName: "rc-web-write", ExternalID: "00gWEB", Active: true},
		{ID: "g3", DisplayName: "rc-api-readonly", Active: false},
		{ID: "g4", DisplayName: "rc-missing-owner", Active: true},
		{ID: "g5", DisplayName: "rc-api-admin", Active: true},
		{ID: "g6", DisplayName: "eng-Prod", Active: true},
		{ID: "g7", DisplayName: "eng-", Active: true},
		{ID: "g8", DisplayName: "Platform Admins", Active: true},
		{ID: "g9", DisplayName: "unrelated", ExternalID: "00gOTHER", Active: true},
		{ID: "g1", DisplayName: "duplicate id, ignored", Active: true},
	}
}

func bindingLines(bs []Binding) []string {
	var out []string
	for _, b := range bs {
		out = append(out, fmt.Sprintf("%s %s %s %s", b.RuleID, b.GroupID, b.ResourceID, b.Role))
	}
	return out
}

func TestEvaluate(t *testing.T) {
	res, err := Evaluate(exampleRules(), exampleGroups(), exampleResources())
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		"r-proj g3 p-api readonly", // inactive groups are matched too
		"r-proj g1 p-web owner",
		"r-proj g2 p-web collaborator", // write is collaborator on a project
		"r-eng g6 c-prod readonly",     // resource names compare ignoring case
		"r-admins g8 org owner",        // displayName ignoring case
		// r-ext makes g2 collaborator on web too: a different rule, the same binding. r-proj
		// owns it, so r-ext and r-dup are shadowed.
	}
	if got := bindingLines(res.Bindings); !slices.Equal(got, want) {
		t.Errorf("bindings:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	var problems []string
	for _, p := range res.Problems {
		problems = append(problems, fmt.Sprintf("%s %s %s %q", p.RuleID, p.GroupID, p.Kind, p.Value))
	}
	wantProblems := []string{
		`r-proj g5 invalidRole "admin"`,
		`r-proj g4 missingResource "missing"`,
		`r-eng g7 emptyCapture ""`,
		`r-gone  missingResource "legacy"`,
	}
	if !slices.Equal(problems, wantProblems) {
		t.Errorf("problems:\n%s\nwant:\n%s", strings.Join(problems, "\n"), strings.Join(wantProblems, "\n"))
	}
	for _, p := range res.Problems {
		if p.Msg == "" {
			t.Errorf("problem %+v has no message", p)
		}
	}
	matched := map[string]string{}
	for _, m := range res.Matches {
		var ids []string
		for _, g := range m.Groups {
			ids = append(ids, g.ID)
		}
		matched[m.RuleID] = fmt.Sprintf("%v owned=%d shadowed=%d", ids, m.Owned, m.Shadowed)
	}
	for rule, want := range map[string]string{
		"r-proj":   "[g5 g3 g4 g1 g2] owned=3 shadowed=0",
		"r-eng":    "[g7 g6] owned=1 shadowed=0",
		"r-admins": "[g8] owned=1 shadowed=0",
		"r-ext":    "[g2] owned=0 shadowed=1",
		"r-gone":   "[] owned=0 shadowed=0",
		"r-dup":    "[g2] owned=0 shadowed=1",
	} {
		if matched[rule] != want {
			t.Errorf("rule %s matched %s, want %s", rule, matched[rule], want)
		}
	}
}

// TestEvaluateFirstRuleOwns: the lower position owns a shared binding, whatever the order
// the rules are given in, and IDs break position ties.
func TestEvaluateFirstRuleOwns(t *testing.T) {
	mk := func(id string, pos int) Rule {
		return Rule{ID: id, Name: id, Position: pos, Match: MatchDisplayName, Value: "ops", ResourceKind: access.KindOrganization, Role: "owner"}
	}
	groups := []Group{{ID: "g", DisplayName: "OPS", Active: true}}
	for _, tc := range []struct {
		rules []Rule
		owner string
	}{
		{[]Rule{mk("a", 2), mk("b", 1)}, "b"},
		{[]Rule{mk("b", 1), mk("a", 2)}, "b"},
		{[]Rule{mk("b", 1), mk("a", 1)}, "a"},
	} {
		res, err := Evaluate(tc.rules, groups, exampleResources())
		if err != nil {
			t.Fatal(err)
		}
		if len(res.Bindings) != 1 || res.Bindings[0].RuleID != tc.owner {
			t.Errorf("%v: bindings %v, want one owned by %s", tc.rules, res.Bindings, tc.owner)
		}
	}
}

// TestEvaluateUnanchored: a pattern is anchored only as written.
func TestEvaluateUnanchored(t *testing.T) {
	rules := []Rule{{ID: "r", Name: "r", Match: MatchPattern, Value: `eng-(?P<cloud>[a-z]+)`, Role: "collaborator"}}
	groups := []Group{{ID: "g1", DisplayName: "team-eng-dev-x"}, {ID: "g2", DisplayName: "eng"}}
	res, err := Evaluate(rules, groups, exampleResources())
	if err != nil {
		t.Fatal(err)
	}
	if got := bindingLines(res.Bindings); !slices.Equal(got, []string{"r g1 c-dev collaborator"}) {
		t.Errorf("bindings %v", got)
	}
}

func TestEvaluateEmpty(t *testing.T) {
	res, err := Evaluate(nil, exampleGroups(), exampleResources())
	if err != nil || len(res.Bindings) != 0 || len(res.Problems) != 0 || len(res.Matches) != 0 {
		t.Fatalf("Evaluate(no rules) = %+v, %v", res, err)
	}
}
