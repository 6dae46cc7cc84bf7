package authzenapi_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rolecall/rolecall/internal/access"
	"github.com/rolecall/rolecall/internal/api"
	"github.com/rolecall/rolecall/internal/audit"
	"github.com/rolecall/rolecall/internal/server"
	"github.com/rolecall/rolecall/internal/service"
	"github.com/rolecall/rolecall/internal/store/sqlstore/sqltest"
)

// env is a real server (every middleware, the real routes) on a fresh database with two
// orgs: acme holds the certification scenario's fixture mapped to rolecall (alice and bob
// users, record-1 and record-2 projects), other holds nothing of it.
type env struct {
	t                      *testing.T
	url                    string
	svc                    *service.Service
	acme                   string
	decideA, adminA, scimA string
	decideB                string
}

func newEnv(t *testing.T, dsn string) *env {
	t.Helper()
	ctx := audit.WithActor(context.Background(), audit.Actor{Name: "tester"})
	st := sqltest.Open(t, dsn)
	svc := service.New(st)
	e := &env{t: t, svc: svc}
	tok := func(org, scope string) string {
		c, err := svc.CreateToken(ctx, org, api.CreateTokenRequest{Name: scope + "-" + org[:8], Scope: scope}, "")
		if err != nil {
			t.Fatal(err)
		}
		return c.Secret
	}
	a, err := svc.CreateOrg(ctx, "acme")
	if err != nil {
		t.Fatal(err)
	}
	b, err := svc.CreateOrg(ctx, "other")
	if err != nil {
		t.Fatal(err)
	}
	e.acme = a.ID
	if _, err := service.Seed(ctx, st, a.ID, scenarioOrgState(), 0); err != nil {
		t.Fatal(err)
	}
	// The other org has a user and a project of its own, with different names.
	if _, err := service.Seed(ctx, st, b.ID, &access.State{
		Users:     []access.User{{ID: "z", UserName: "zed", Active: true}},
		Resources: []access.Resource{{ID: "o", Kind: access.KindOrganization, Name: "other"}, {ID: "c", Kind: access.KindCloud, Name: "zc"}, {ID: "p", Kind: access.KindProject, Name: "zp", ParentID: "c"}},
		Bindings:  []access.Binding{{ID: "b", ResourceID: "p", PrincipalType: access.PrincipalUser, PrincipalID: "z", Role: access.RoleOwner}},
	}, 0); err != nil {
		t.Fatal(err)
	}
	e.decideA, e.adminA, e.scimA, e.decideB = tok(a.ID, "decision"), tok(a.ID, "admin"), tok(a.ID, "scim"), tok(b.ID, "decision")
	srv := httptest.NewServer(server.New(server.Config{}, st, nil, nil).Handler())
	t.Cleanup(srv.Close)
	e.url = srv.URL
	return e
}

func (e *env) post(token, path, body string, hdr ...string) (int, http.Header, []byte) {
	e.t.Helper()
	req, err := http.NewRequest(http.MethodPost, e.url+path, strings.NewReader(body))
	if err != nil {
		e.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header, b
}

type decisionBody struct {
	Decision bool `json:"decision"`
	Context  struct {
		Revision    uint64 `json:"revision"`
		Reason      string `json:"reason"`
		ReasonAdmin struct {
			En string `json:"en"`
		} `json:"reason_admin"`
	} `json:"context"`
}

func (e *env) decide(token, body string) decisionBody {
	e.t.Helper()
	status, _, b := e.post(token, "/access/v1/evaluation", body)
	if status != 200 {
		e.t.Fatalf("evaluation %s: %d %s", body, status, b)
	}
	var d decisionBody
	if err := json.Unmarshal(b, &d); err != nil {
		e.t.Fatal(err)
	}
	return d
}

func fixture(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", "authzen", "testdata", name+".json"))
	if err != nil {
		t.Fatal(err)
	}
	return strings.ReplaceAll(string(b), `"type": "record"`, `"type": "project"`)
}

func backends(t *testing.T, fn func(t *testing.T, e *env)) {
	for _, b := range sqltest.Backends() {
		t.Run(b.Name, func(t *testing.T) { fn(t, newEnv(t, b.DSN(t))) })
	}
}

// TestScenarioOverHTTP runs the certification scenario's core requests (Basic, Batch,
// Search) against the real routes.
func TestScenarioOverHTTP(t *testing.T) {
	backends(t, func(t *testing.T, e *env) {
		for file, want := range map[string]bool{
			"scenario/c-2-2-1-1": true, "scenario/c-2-2-2-1": false, "scenario/c-2-2-3-1": true,
			"scenario/c-2-2-8-1": true, "scenario/c-2-2-9-1": true,
		} {
			if d := e.decide(e.decideA, fixture(t, file)); d.Decision != want {
				t.Errorf("%s: %+v, want %v", file, d, want)
			}
		}
		for file, want := range map[string]string{
			"scenario/c-3-2-2-1": "TF", "scenario/c-3-2-5-1": "TF", "scenario/c-3-4-1-1": "TF", "scenario/c-3-2-1-1": "TT",
		} {
			status, _, b := e.post(e.decideA, "/access/v1/evaluations", fixture(t, file))
			var resp struct{ Evaluations []decisionBody }
			if status != 200 || json.Unmarshal(b, &resp) != nil {
				t.Fatalf("%s: %d %s", file, status, b)
			}
			got := ""
			for _, d := range resp.Evaluations {
				got += map[bool]string{true: "T", false: "F"}[d.Decision]
			}
			if got != want {
				t.Errorf("%s: %s, want %s", file, got, want)
			}
		}
		status, _, b := e.post(e.decideA, "/access/v1/search/subject", fixture(t, "scenario/c-4-2-1-1"))
		if status != 200 || !bytes.Contains(b, []byte(`"id":"alice"`)) || !bytes.Contains(b, []byte(`"id":"bob"`)) {
			t.Errorf("subject search: %d %s", status, b)
		}
		status, _, b = e.post(e.decideA, "/access/v1/search/action", fixture(t, "scenario/c-4-4-1-1"))
		if status != 200 || !bytes.Contains(b, []byte(`"name":"read"`)) || bytes.Contains(b, []byte(`"name":"delete"`)) {
			t.Errorf("action search: %d %s", status, b)
		}
		status, _, b = e.post(e.decideA, "/access/v1/search/resource",
			`{"subject":{"type":"user","id":"alice"},"action":{"name":"read"},"resource":{"type":"project"}}`)
		if status != 200 || !bytes.Contains(b, []byte(`"record-1"`)) || !bytes.Contains(b, []byte(`"record-2"`)) {
			t.Errorf("resource search: %d %s", status, b)
		}
	})
}

// TestWireRules: metadata without a token, 400 naming the field, unknown members ignored,
// X-Request-ID echoed, scopes enforced.
func TestWireRules(t *testing.T) {
	e := newEnv(t, sqltest.SQLiteDSN(t))
	resp, err := http.Get(e.url + "/.well-known/authzen-configuration")
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	_ = json.NewDecoder(resp.Body).Decode(&m)
	resp.Body.Close()
	if resp.StatusCode != 200 || m["policy_decision_point"] != e.url || m["access_evaluation_endpoint"] != e.url+"/access/v1/evaluation" ||
		m["search_action_endpoint"] != e.url+"/access/v1/search/action" {
		t.Errorf("metadata: %d %v", resp.StatusCode, m)
	}
	status, _, b := e.post(e.decideA, "/access/v1/evaluation", `{"action":{"name":"read"},"resource":{"type":"project","id":"record-1"}}`)
	if status != 400 || !strings.Contains(string(b), "subject") {
		t.Errorf("missing subject: %d %s, want 400 naming subject", status, b)
	}
	status, hdr, b := e.post(e.decideA, "/access/v1/evaluation",
		`{"subject":{"type":"user","id":"alice","x":1},"action":{"name":"read"},"resource":{"type":"project","id":"record-1"},"future":true}`,
		"X-Request-ID", "req-abc-123")
	if status != 200 || !strings.Contains(string(b), `"decision":true`) || hdr.Get("X-Request-ID") != "req-abc-123" {
		t.Errorf("unknown members, request id: %d %s %q", status, b, hdr.Get("X-Request-ID"))
	}
	if d := e.decide(e.decideA, `{"subject":{"type":"user","id":"bob"},"action":{"name":"write"},"resource":{"type":"project","id":"record-1"}}`); d.Decision || d.Context.Reason == "" {
		t.Errorf("deny: %+v, want false with a reason", d)
	}
	for name, c := range map[string]struct {
		token, path string
		want        int
	}{
		"admin token decides":       {e.adminA, "/access/v1/evaluation", 200},
		"scim token refused":        {e.scimA, "/access/v1/evaluation", 403},
		"no token":                  {"", "/access/v1/evaluation", 401},
		"decision token, admin API": {e.decideA, "/api/v1/grants", 403},
		"decision token, SCIM":      {e.decideA, "/scim/v2/Users", 403},
	} {
		method := http.MethodPost
		body := `{"subject":{"type":"user","id":"alice"},"action":{"name":"read"},"resource":{"type":"project","id":"record-1"}}`
		if !strings.HasPrefix(c.path, "/access/") {
			method, body = http.MethodGet, ""
		}
		req, _ := http.NewRequest(method, e.url+c.path, strings.NewReader(body))
		if c.token != "" {
			req.Header.Set("Authorization", "Bearer "+c.token)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != c.want {
			t.Errorf("%s: %d, want %d", name, resp.StatusCode, c.want)
		}
	}
}

// TestIsolation: a token of org B learns nothing about org A through any endpoint: A's
// users and projects are unknown to it, its searches list only B's, and A's page tokens
// are refused.
func TestIsolation(t *testing.T) {
	e := newEnv(t, sqltest.SQLiteDSN(t))
	if d := e.decide(e.decideB, `{"subject":{"type":"user","id":"alice"},"action":{"name":"read"},"resource":{"type":"project","id":"record-1"}}`); d.Decision {
		t.Error("org B's token: alice may read record-1")
	}
	for _, c := range []struct{ path, body, leak string }{
		{"/access/v1/search/subject", `{"subject":{"type":"user"},"action":{"name":"read"},"resource":{"type":"project","id":"record-1"}}`, "alice"},
		{"/access/v1/search/resource", `{"subject":{"type":"user","id":"alice"},"action":{"name":"read"},"resource":{"type":"project"}}`, "record"},
		{"/access/v1/search/action", `{"subject":{"type":"user","id":"alice"},"resource":{"type":"project","id":"record-1"}}`, "read"},
	} {
		status, _, b := e.post(e.decideB, c.path, c.body)
		if status != 200 || strings.Contains(string(b), c.leak) {
			t.Errorf("org B %s: %d %s", c.path, status, b)
		}
	}
	// A page token issued to A is refused for B, even for the same request.
	req := `{"subject":{"type":"user"},"action":{"name":"read"},"resource":{"type":"project","id":"record-2"},"page":{"limit":1}}`
	status, _, b := e.post(e.decideA, "/access/v1/search/subject", req)
	var page struct {
		Page struct {
			NextToken string `json:"next_token"`
		} `json:"page"`
	}
	if status != 200 || json.Unmarshal(b, &page) != nil || page.Page.NextToken == "" {
		t.Fatalf("A's first page: %d %s", status, b)
	}
	withToken := strings.Replace(req, `"limit":1`, `"limit":1,"token":"`+page.Page.NextToken+`"`, 1)
	if status, _, b := e.post(e.decideB, "/access/v1/search/subject", withToken); status != 400 {
		t.Errorf("A's page token used by B: %d %s, want 400", status, b)
	}
	if status, _, b := e.post(e.decideA, "/access/v1/search/subject", withToken); status != 200 || !strings.Contains(string(b), `"bob"`) {
		t.Errorf("A's page token used by A: %d %s", status, b)
	}
}

// TestWriteVisibleToNextDecision: a grant made through the admin API is in the very next
// decision, whose context reports a newer revision.
func TestWriteVisibleToNextDecision(t *testing.T) {
	backends(t, func(t *testing.T, e *env) {
		q := `{"subject":{"type":"user","id":"bob"},"action":{"name":"delete"},"resource":{"type":"project","id":"record-2"}}`
		before := e.decide(e.decideA, q)
		if before.Decision {
			t.Fatal("bob may delete record-2 before the grant")
		}
		req, _ := http.NewRequest(http.MethodPost, e.url+"/api/v1/grants", strings.NewReader(
			`{"role":"owner","principalType":"user","principal":"bob","resourceKind":"project","resource":"record-2"}`))
		req.Header.Set("Authorization", "Bearer "+e.adminA)
		req.Header.Set("Content-Type", "application/json")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode/100 != 2 {
			t.Fatalf("grant: %d", resp.StatusCode)
		}
		after := e.decide(e.decideA, q)
		if !after.Decision || after.Context.Revision <= before.Context.Revision {
			t.Errorf("right after the grant: %+v (before at revision %d)", after, before.Context.Revision)
		}
	})
}
