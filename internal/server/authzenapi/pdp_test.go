package authzenapi_test

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/rolecall/rolecall/internal/access"
	"github.com/rolecall/rolecall/internal/authzen"
	"github.com/rolecall/rolecall/internal/decision"
	"github.com/rolecall/rolecall/internal/server/authzenapi"
)

// scenarioOrg is the certification fixture mapped to rolecall: alice and bob are users,
// record-1 and record-2 projects. alice is a collaborator on record-1 through a nested
// group; bob a readonly there by a direct binding; both readonly on record-2 through a
// group holding everybody.
func scenarioOrg() *decision.Index { return decision.New(scenarioOrgState(), 41) }

func scenarioOrgState() *access.State {
	U, G := access.PrincipalUser, access.PrincipalGroup
	return &access.State{
		Users: []access.User{{ID: "u-alice", UserName: "alice", Active: true}, {ID: "u-bob", UserName: "bob", Active: true},
			{ID: "u-carl", UserName: "carl", Active: false}},
		Groups: []access.Group{{ID: "g-eng", DisplayName: "eng", Active: true}, {ID: "g-team", DisplayName: "team", Active: true},
			{ID: "g-all", DisplayName: "all", Active: true}},
		Memberships: []access.Membership{{GroupID: "g-team", MemberType: U, MemberID: "u-alice"},
			{GroupID: "g-eng", MemberType: G, MemberID: "g-team"},
			{GroupID: "g-all", MemberType: U, MemberID: "u-alice"}, {GroupID: "g-all", MemberType: U, MemberID: "u-bob"},
			{GroupID: "g-all", MemberType: U, MemberID: "u-carl"}},
		Resources: []access.Resource{{ID: "org", Kind: access.KindOrganization, Name: "acme"},
			{ID: "c", Kind: access.KindCloud, Name: "main"},
			{ID: "p1", Kind: access.KindProject, Name: "record-1", ParentID: "c"},
			{ID: "p2", Kind: access.KindProject, Name: "record-2", ParentID: "c"}},
		Bindings: []access.Binding{
			{ID: "b1", ResourceID: "p1", PrincipalType: G, PrincipalID: "g-eng", Role: access.RoleCollaborator},
			{ID: "b2", ResourceID: "p1", PrincipalType: U, PrincipalID: "u-bob", Role: access.RoleReadonly},
			{ID: "b3", ResourceID: "p2", PrincipalType: G, PrincipalID: "g-all", Role: access.RoleReadonly},
		},
	}
}

// mapped reads a scenario fixture with its record type mapped to rolecall's project.
func mapped(t *testing.T, name string) []byte {
	t.Helper()
	b := readFixture(t, name)
	return []byte(strings.ReplaceAll(string(b), `"type": "record"`, `"type": "project"`))
}

func TestScenarioOverDecision(t *testing.T) {
	ctx := context.Background()
	p := authzenapi.NewPDP(scenarioOrg())
	for file, want := range map[string]bool{
		"scenario/c-2-2-1-1": true, "scenario/c-2-2-2-1": false, "scenario/c-2-2-3-1": true,
		"scenario/c-2-2-8-1": true, "scenario/c-2-2-9-1": true,
	} {
		req, err := authzen.DecodeEvaluation(mapped(t, file))
		if err != nil {
			t.Fatal(err)
		}
		d, err := authzen.Evaluate(ctx, p, req)
		if err != nil || d.Decision != want {
			t.Errorf("%s: %v %s %v, want %v", file, d.Decision, d.Context, err, want)
		}
	}
	for file, want := range map[string]string{
		"scenario/c-3-2-2-1": "TF", "scenario/c-3-2-5-1": "TF", "scenario/c-3-4-1-1": "TF", "scenario/c-3-2-1-1": "TT",
	} {
		req, err := authzen.DecodeEvaluations(mapped(t, file))
		if err != nil {
			t.Fatal(err)
		}
		resp, err := authzen.Evaluations(ctx, p, req)
		if err != nil {
			t.Fatal(err)
		}
		got := ""
		for _, d := range resp.Evaluations {
			got += map[bool]string{true: "T", false: "F"}[d.Decision]
		}
		if got != want {
			t.Errorf("%s: %s, want %s", file, got, want)
		}
	}
	req, _ := authzen.DecodeSearch(authzen.SearchSubject, mapped(t, "scenario/c-4-2-1-1"))
	subjects, err := authzen.SearchSubjects(ctx, p, "acme", req)
	if err != nil || len(subjects.Results) != 2 || subjects.Results[0].ID != "alice" || subjects.Results[1].ID != "bob" {
		t.Errorf("subject search: %+v %v", subjects, err)
	}
	req, _ = authzen.DecodeSearch(authzen.SearchAction, mapped(t, "scenario/c-4-4-1-1"))
	actions, err := authzen.SearchActions(ctx, p, "acme", req)
	var names []string
	for _, a := range actions.Results {
		names = append(names, a.Name)
	}
	if err != nil || !slices.Contains(names, "read") || !slices.Contains(names, "write") || slices.Contains(names, "delete") {
		t.Errorf("action search: %q %v", names, err)
	}
	req, _ = authzen.DecodeSearch(authzen.SearchSubject, mapped(t, "scenario/c-4-6-2-1"))
	if none, err := authzen.SearchSubjects(ctx, p, "acme", req); err != nil || len(none.Results) != 0 {
		t.Errorf("unknown subject type: %+v %v", none, err)
	}
}

func TestAdapterContext(t *testing.T) {
	ctx := context.Background()
	ix := scenarioOrg()
	p := authzenapi.NewPDP(ix)
	eval := func(body string) authzenapi.DecisionContext {
		t.Helper()
		req, err := authzen.DecodeEvaluation([]byte(body))
		if err != nil {
			t.Fatal(err)
		}
		d, err := authzen.Evaluate(ctx, p, req)
		if err != nil {
			t.Fatal(err)
		}
		var c authzenapi.DecisionContext
		if err := json.Unmarshal(d.Context, &c); err != nil {
			t.Fatal(err)
		}
		return c
	}
	c := eval(`{"subject":{"type":"user","id":"ALICE"},"action":{"name":"write"},"resource":{"type":"project","id":"record-1"},"context":{"explain":true}}`)
	if c.Revision != 41 || c.Reason != "" || c.Role == nil || *c.Role != access.RoleCollaborator || len(c.Sources) != 1 ||
		!slices.Equal(c.Sources[0].Path, []string{"team", "eng"}) {
		t.Errorf("explained allow: %+v", c)
	}
	c = eval(`{"subject":{"type":"user","id":"u-bob","properties":{"scim_id":true}},"action":{"name":"write"},"resource":{"type":"project","id":"record-1"}}`)
	if c.Reason != decision.ReasonInsufficientRole || !strings.Contains(c.ReasonAdmin["en"], "needs role collaborator") {
		t.Errorf("deny by SCIM id: %+v", c)
	}
	c = eval(`{"subject":{"type":"user","id":"carl"},"action":{"name":"read"},"resource":{"type":"project","id":"record-2"}}`)
	if c.Reason != decision.ReasonSubjectInactive {
		t.Errorf("inactive: %+v", c)
	}
	c = eval(`{"subject":{"type":"robot","id":"r2"},"action":{"name":"read"},"resource":{"type":"project","id":"record-2"}}`)
	if c.Reason != decision.ReasonUnknownSubjectType {
		t.Errorf("unknown subject type: %+v", c)
	}
	if err := ix.Apply(42, decision.BindingRemoved{ID: "b1"}); err != nil {
		t.Fatal(err)
	}
	c = eval(`{"subject":{"type":"user","id":"alice"},"action":{"name":"write"},"resource":{"type":"project","id":"record-1"}}`)
	if c.Revision != 42 || c.Reason != decision.ReasonInsufficientRole {
		t.Errorf("after the revoke: %+v", c)
	}
}

func readFixture(t *testing.T, name string) []byte {
	t.Helper()
	b, err := readTestdata(name)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func readTestdata(name string) ([]byte, error) {
	return os.ReadFile(filepath.Join("..", "..", "authzen", "testdata", name+".json"))
}
