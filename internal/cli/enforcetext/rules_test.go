package enforcetext

import (
	"bytes"
	"testing"

	"github.com/rolecall/rolecall/internal/access"
	"github.com/rolecall/rolecall/internal/rules"
)

// ruleInput: rule "clouds" (eng-* readonly) is applied; the change raises it to collaborator,
// adds a project rule that raises alice, meets a missing project and a manual grant, and
// deletes rule "legacy", which lowers carol.
func ruleInput() rules.Input {
	U, G := access.PrincipalUser, access.PrincipalGroup
	s := &access.State{
		Resources: baseResources(),
		Users: []access.User{
			{ID: "alice", UserName: "alice@example.com", Active: true},
			{ID: "bob", UserName: "bob@example.com", Active: true},
			{ID: "carol", UserName: "carol@example.com", Active: true},
		},
		Groups: []access.Group{
			{ID: "g-web", DisplayName: "rc-proj-a-owner", Active: true},
			{ID: "g-missing", DisplayName: "rc-nope-write", Active: true},
			{ID: "g-eng", DisplayName: "eng-cloud-a", Active: true},
			{ID: "g-old", DisplayName: "legacy", Active: true},
			{ID: "g-hand", DisplayName: "rc-proj-b-readonly", Active: false},
		},
		Memberships: []access.Membership{
			{GroupID: "g-web", MemberID: "alice", MemberType: U},
			{GroupID: "g-eng", MemberID: "bob", MemberType: U},
			{GroupID: "g-old", MemberID: "carol", MemberType: U},
		},
		Bindings: []access.Binding{
			{ID: "rb1", ResourceID: "c1", PrincipalID: "g-eng", PrincipalType: G, Role: access.RoleReadonly},
			{ID: "rb2", ResourceID: "org", PrincipalID: "g-old", PrincipalType: G, Role: access.RoleOwner},
			{ID: "m1", ResourceID: "p2", PrincipalID: "g-hand", PrincipalType: G, Role: access.RoleReadonly},
		},
	}
	var groups []rules.Group
	for _, g := range s.Groups {
		groups = append(groups, rules.Group{ID: g.ID, DisplayName: g.DisplayName, Active: g.Active})
	}
	clouds := rules.Rule{ID: "r1", Name: "clouds", Position: 1, Match: rules.MatchPattern, Value: `^eng-(?P<cloud>.+)$`, Role: "readonly"}
	legacy := rules.Rule{ID: "r0", Name: "legacy", Position: 0, Match: rules.MatchDisplayName, Value: "legacy", ResourceKind: access.KindOrganization, Role: "owner"}
	raised := clouds
	raised.Role = "collaborator"
	return rules.Input{
		State:  s,
		Groups: groups,
		Current: []rules.Binding{
			{ID: "rb1", GroupID: "g-eng", ResourceID: "c1", Role: access.RoleReadonly, RuleID: "r1"},
			{ID: "rb2", GroupID: "g-old", ResourceID: "org", Role: access.RoleOwner, RuleID: "r0"},
		},
		Old: []rules.Rule{legacy, clouds},
		New: []rules.Rule{raised, {ID: "r2", Name: "projects", Position: 2, Match: rules.MatchPattern,
			Value: `^rc-(?P<project>[a-z0-9-]+)-(?P<role>owner|write|readonly)$`}},
	}
}

func TestRenderRulePreview(t *testing.T) {
	p, err := rules.NewPreview(ruleInput())
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	if err := RenderRulePreview(&b, TitleRulePreview, p); err != nil {
		t.Fatal(err)
	}
	golden(t, "rules_preview.txt", b.Bytes())
}

func TestRenderRulePreviewNoChange(t *testing.T) {
	in := ruleInput()
	in.New = in.Old
	p, err := rules.NewPreview(in)
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	if err := RenderRulePreview(&b, TitleRulePreview, p); err != nil {
		t.Fatal(err)
	}
	golden(t, "rules_nochange.txt", b.Bytes())
}
