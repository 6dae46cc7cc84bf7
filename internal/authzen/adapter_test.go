package authzen_test

// This file holds the adapter between the AuthZEN wire layer and the decision index: the
// PDP the HTTP layer is expected to serve (it belongs in the server's decision API package,
// which may import both), and tests that run the certification scenario's core requests,
// mapped to rolecall's entities, through both packages together.
//
// Mapping, as docs/authzen.md should state it:
//   - subject {"type":"user","id":<userName>} (case-insensitive); the SCIM id instead with
//     {"type":"user","id":<SCIM id>,"properties":{"scim_id":true}}; service accounts
//     {"type":"service_account","id":<name>}.
//   - resource {"type":"organization"|"cloud"|"project","id":<name>}.
//   - context {"explain":true} adds the sources; every decision's context has "revision".
//   - a deny's context has "reason" (a stable code) and "reason_admin" {"en": message}.

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
)

// pdp serves AuthZEN over one organization's decision index.
type pdp struct{ ix *decision.Index }

// subject maps a wire subject; ok is false for a type rolecall does not know.
func subject(s *authzen.Subject) (decision.Subject, bool) {
	t, ok := decision.ParseSubjectType(s.Type)
	if !ok {
		return decision.Subject{}, false
	}
	var p struct {
		SCIMID bool `json:"scim_id"`
	}
	if len(s.Properties) > 0 {
		json.Unmarshal(s.Properties, &p) // a scim_id that is not a boolean counts as false
	}
	return decision.Subject{Type: t, ID: s.ID, ByID: p.SCIMID && t == decision.SubjectUser}, true
}

func kind(t string) (access.Kind, bool) {
	k, err := access.ParseKind(t)
	return k, err == nil
}

// decisionContext is the context of every decision.
type decisionContext struct {
	Revision             uint64            `json:"revision"`
	Reason               decision.Reason   `json:"reason,omitempty"`
	ReasonAdmin          map[string]string `json:"reason_admin,omitempty"`
	Role                 *access.Role      `json:"role,omitempty"`
	Sources              []access.Source   `json:"sources,omitempty"`
	ImplicitCollaborator bool              `json:"implicit_collaborator,omitempty"`
}

func (p pdp) Evaluate(_ context.Context, reqs []authzen.EvaluationRequest, yield func(int, authzen.Decision) bool) error {
	p.ix.Read(func(v decision.View) {
		for i, r := range reqs {
			c := decisionContext{Revision: v.Revision()}
			sub, okS := subject(r.Subject)
			k, okK := kind(r.Resource.Type)
			var d decision.Decision
			switch {
			case !okS:
				c.Reason, c.ReasonAdmin = decision.ReasonUnknownSubjectType, map[string]string{"en": "unknown subject type " + r.Subject.Type}
			case !okK:
				c.Reason, c.ReasonAdmin = decision.ReasonUnknownResourceType, map[string]string{"en": "unknown resource type " + r.Resource.Type}
			default:
				rc, _ := authzen.ParseContext(r.Context) // validated by the decoder
				d = v.Evaluate(decision.Query{Subject: sub, Action: r.Action.Name,
					Resource: decision.Resource{Kind: k, Name: r.Resource.ID}, Explain: rc.Explain})
				if !d.Allowed {
					c.Reason, c.ReasonAdmin = d.Reason, map[string]string{"en": d.Message()}
				}
				if rc.Explain {
					c.Role, c.Sources, c.ImplicitCollaborator = &d.Role, d.Sources, d.ImplicitCollaborator
				}
			}
			b, _ := json.Marshal(c)
			if !yield(i, authzen.Decision{Decision: d.Allowed, Context: b}) {
				return
			}
		}
	})
	return nil
}

func (p pdp) SearchSubjects(_ context.Context, r *authzen.SearchRequest, after string, limit int) (authzen.SearchPage[authzen.Subject], error) {
	t, ok := decision.ParseSubjectType(r.Subject.Type)
	k, okK := kind(r.Resource.Type)
	if !ok || !okK {
		return authzen.SearchPage[authzen.Subject]{}, nil
	}
	res := p.ix.SearchSubjects(t, r.Action.Name, decision.Resource{Kind: k, Name: r.Resource.ID}, decision.Page{After: after, Limit: limit})
	out := authzen.SearchPage[authzen.Subject]{Next: res.Next}
	for _, s := range res.Items {
		out.Results = append(out.Results, authzen.Subject{Type: s.Type.String(), ID: s.Name})
	}
	return out, nil
}

func (p pdp) SearchResources(_ context.Context, r *authzen.SearchRequest, after string, limit int) (authzen.SearchPage[authzen.Resource], error) {
	sub, ok := subject(r.Subject)
	k, okK := kind(r.Resource.Type)
	if !ok || !okK {
		return authzen.SearchPage[authzen.Resource]{}, nil
	}
	res := p.ix.SearchResources(sub, r.Action.Name, k, decision.Page{After: after, Limit: limit})
	out := authzen.SearchPage[authzen.Resource]{Next: res.Next}
	for _, it := range res.Items {
		out.Results = append(out.Results, authzen.Resource{Type: it.Kind.String(), ID: it.Name})
	}
	return out, nil
}

func (p pdp) SearchActions(_ context.Context, r *authzen.SearchRequest, after string, limit int) (authzen.SearchPage[authzen.Action], error) {
	sub, ok := subject(r.Subject)
	k, okK := kind(r.Resource.Type)
	if !ok || !okK {
		return authzen.SearchPage[authzen.Action]{}, nil
	}
	res := p.ix.SearchActions(sub, decision.Resource{Kind: k, Name: r.Resource.ID}, decision.Page{After: after, Limit: limit})
	out := authzen.SearchPage[authzen.Action]{Next: res.Next}
	for _, a := range res.Items {
		out.Results = append(out.Results, authzen.Action{Name: a})
	}
	return out, nil
}

// scenarioOrg is the certification fixture mapped to rolecall: alice and bob are users,
// record-1 and record-2 projects. alice is a collaborator on record-1 through a nested
// group; bob a readonly there by a direct binding; both readonly on record-2 through a
// group holding everybody.
func scenarioOrg() *decision.Index {
	U, G := access.PrincipalUser, access.PrincipalGroup
	return decision.New(&access.State{
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
	}, 41)
}

// mapped reads a scenario fixture with its record type mapped to rolecall's project.
func mapped(t *testing.T, name string) []byte {
	t.Helper()
	b := readFixture(t, name)
	return []byte(strings.ReplaceAll(string(b), `"type": "record"`, `"type": "project"`))
}

func TestScenarioOverDecision(t *testing.T) {
	ctx := context.Background()
	p := pdp{scenarioOrg()}
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
	p := pdp{ix}
	eval := func(body string) decisionContext {
		t.Helper()
		req, err := authzen.DecodeEvaluation([]byte(body))
		if err != nil {
			t.Fatal(err)
		}
		d, err := authzen.Evaluate(ctx, p, req)
		if err != nil {
			t.Fatal(err)
		}
		var c decisionContext
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
	return os.ReadFile(filepath.Join("testdata", name+".json"))
}
