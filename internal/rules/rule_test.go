package rules

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/rolecall/rolecall/internal/access"
)

func TestValidate(t *testing.T) {
	pat := func(v, role string) Rule {
		return Rule{ID: "r1", Name: "one", Match: MatchPattern, Value: v, Role: role}
	}
	fixedOn := func(r Rule, k access.Kind, name string) Rule { r.ResourceKind, r.ResourceName = k, name; return r }
	for _, tc := range []struct {
		name  string
		rule  Rule
		field string // "" = valid
		msg   string // substring of the message
	}{
		{"issue project pattern", pat(`^rc-(?P<project>[a-z0-9-]+)-(?P<role>owner|write|readonly)$`, ""), "", ""},
		{"issue cloud pattern", pat(`^eng-(?P<cloud>.+)$`, "readonly"), "", ""},
		{"display name on org", fixedOn(Rule{ID: "r", Name: "n", Match: MatchDisplayName, Value: "Admins", Role: "owner"}, access.KindOrganization, ""), "", ""},
		{"external id on project, write alias", fixedOn(Rule{ID: "r", Name: "n", Match: MatchExternalID, Value: "00g1", Role: "write"}, access.KindProject, "web"), "", ""},
		{"pattern without captures, all fixed", fixedOn(pat(`^ops$`, "collaborator"), access.KindCloud, "prod"), "", ""},
		{"unknown capture", pat(`^x-(?P<projet>.+)$`, "owner"), "value", `unknown capture name "projet"`},
		{"capture twice", pat(`^(?P<project>a)-(?P<project>b)$`, "owner"), "value", "captures \"project\" twice"},
		{"cloud and project", pat(`^(?P<cloud>a)-(?P<project>b)$`, "owner"), "value", "both cloud and project"},
		{"does not compile", pat(`^rc-(?P<project>[a-z$`, "owner"), "value", "does not compile"},
		{"perl lookahead", pat(`^(?=x)(?P<project>.+)$`, "owner"), "value", "RE2"},
		{"neither fixed nor captured resource", pat(`^ops$`, "owner"), "resourceKind", "names no resource"},
		{"fixed and captured resource", fixedOn(pat(`^(?P<cloud>.+)$`, "owner"), access.KindCloud, "prod"), "resourceKind", "must not also fix"},
		{"neither fixed nor captured role", pat(`^(?P<cloud>.+)$`, ""), "role", "names no role"},
		{"fixed and captured role", pat(`^(?P<cloud>.+)-(?P<role>.+)$`, "owner"), "role", "must not also fix"},
		{"readonly on org", fixedOn(Rule{ID: "r", Name: "n", Match: MatchDisplayName, Value: "x", Role: "readonly"}, access.KindOrganization, ""), "role", "valid roles: owner, collaborator"},
		{"write on cloud", pat(`^eng-(?P<cloud>.+)$`, "write"), "role", "projects only"},
		{"unknown role", pat(`^eng-(?P<cloud>.+)$`, "admin"), "role", `unknown role "admin"`},
		{"cloud without name", fixedOn(Rule{ID: "r", Name: "n", Match: MatchDisplayName, Value: "x", Role: "owner"}, access.KindCloud, ""), "resourceName", "needs the cloud's name"},
		{"org with name", fixedOn(Rule{ID: "r", Name: "n", Match: MatchDisplayName, Value: "x", Role: "owner"}, access.KindOrganization, "acme"), "resourceName", "takes no name"},
		{"no value", Rule{ID: "r", Name: "n", Match: MatchExternalID, Role: "owner", ResourceKind: access.KindOrganization}, "value", "needs a value"},
		{"no match kind", Rule{ID: "r", Name: "n", Role: "owner", ResourceKind: access.KindOrganization}, "match", "unknown match"},
		{"no id", Rule{Name: "n"}, "id", "needs an id"},
		{"blank name", Rule{ID: "r", Name: " "}, "name", "needs a name"},
		{"long value", pat("^"+strings.Repeat("a", MaxValueLen), "owner"), "value", "longer than"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := Validate(tc.rule)
			if tc.field == "" {
				if err != nil {
					t.Fatalf("Validate: %v", err)
				}
				return
			}
			var e *Error
			if !errors.As(err, &e) || !errors.Is(err, ErrInvalidRule) {
				t.Fatalf("Validate = %v, want an *Error wrapping ErrInvalidRule", err)
			}
			if e.Field != tc.field || !strings.Contains(e.Msg, tc.msg) {
				t.Fatalf("Validate = field %q, %q; want field %q containing %q", e.Field, e.Msg, tc.field, tc.msg)
			}
		})
	}
}

func TestCompileReportsEveryRule(t *testing.T) {
	ok := Rule{ID: "a", Name: "Same", Match: MatchDisplayName, Value: "x", Role: "owner", ResourceKind: access.KindOrganization}
	dupID, dupName := ok, ok
	dupID.Name = "other"
	dupName.ID = "b"
	dupName.Name = "same"
	bad := Rule{ID: "c", Name: "bad", Match: MatchPattern, Value: "(", Role: "owner", ResourceKind: access.KindOrganization}
	_, err := Compile([]Rule{ok, dupID, dupName, bad})
	if err == nil {
		t.Fatal("Compile accepted duplicates and a broken pattern")
	}
	for _, want := range []string{"same id", "same name", "does not compile"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("Compile error %q lacks %q", err, want)
		}
	}
}

func TestParseRoleOn(t *testing.T) {
	for _, tc := range []struct {
		kind access.Kind
		in   string
		want access.Role
		ok   bool
	}{
		{access.KindProject, "write", access.RoleCollaborator, true},
		{access.KindProject, "Owner", access.RoleOwner, true},
		{access.KindCloud, "readonly", access.RoleReadonly, true},
		{access.KindCloud, "write", 0, false},
		{access.KindOrganization, "readonly", 0, false},
		{access.KindOrganization, "collaborator", access.RoleCollaborator, true},
		{access.KindProject, "none", 0, false},
		{access.KindProject, "", 0, false},
	} {
		got, err := ParseRoleOn(tc.kind, tc.in)
		if (err == nil) != tc.ok || got != tc.want {
			t.Errorf("ParseRoleOn(%s, %q) = %v, %v; want %v, ok=%v", tc.kind, tc.in, got, err, tc.want, tc.ok)
		}
	}
}

func TestRuleJSON(t *testing.T) {
	r := Rule{ID: "r1", Name: "clouds", Position: 2, Match: MatchPattern, Value: `^eng-(?P<cloud>.+)$`, Role: "readonly"}
	b, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	const want = `{"id":"r1","name":"clouds","position":2,"match":"pattern","value":"^eng-(?P\u003ccloud\u003e.+)$","role":"readonly"}`
	if string(b) != want {
		t.Fatalf("JSON = %s\nwant   %s", b, want)
	}
	var back Rule
	if err := json.Unmarshal(b, &back); err != nil || back != r {
		t.Fatalf("round trip = %+v, %v", back, err)
	}
	if _, err := ParseResourceKind("org"); err != nil {
		t.Error(err)
	}
}

func TestPrefilter(t *testing.T) {
	for _, tc := range []struct{ pattern, prefix, need string }{
		{`^rc-(?P<project>[a-z0-9-]+)-(?P<role>owner|write|readonly)$`, "rc-", "rc-"},
		{`^eng-(?P<cloud>.+)$`, "eng-", "eng-"},
		{`\Aops-team$`, "ops-team", "ops-team"},
		{`eng-(?P<cloud>.+)`, "", "eng-"},
		{`(?m)^eng-`, "", "eng-"},
		{`(?i)^eng-`, "", ""},
		{`^(?:a|b)-x`, "", "-x"},
		{`^(?P<cloud>abc)d`, "abcd", "abc"},
		{`^a*b`, "", "b"},
		{`.*`, "", ""},
	} {
		p, n := prefilter(tc.pattern)
		if p != tc.prefix || n != tc.need {
			t.Errorf("prefilter(%q) = %q, %q; want %q, %q", tc.pattern, p, n, tc.prefix, tc.need)
		}
	}
}
