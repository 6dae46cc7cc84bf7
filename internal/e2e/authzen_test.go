package e2e

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/rolecall/rolecall/internal/store/sqlstore/sqltest"
	"github.com/rolecall/rolecall/internal/testenv"
)

// The AuthZEN decision API against the real binary: the certification scenario's core
// requests with its fixture mapped to rolecall (alice and bob are SCIM users, record-1 and
// record-2 projects), provisioned the way a customer would (SCIM for people and groups, the
// admin API for resources and grants), and asked with a decision-scope token.

// scenario provisions the mapped fixture on p and returns a decision token: alice is a
// collaborator on record-1 through team ⊂ eng; bob readonly there by a direct grant;
// everyone (group all, carl inactive) readonly on record-2.
func scenario(t *testing.T, p *testenv.Proc) string {
	t.Helper()
	tok := scimToken(t, p, "okta")
	must(t, 201, "POST", p.URL+"/api/v1/clouds", bootstrapToken, map[string]string{"name": "main"}, nil)
	for _, name := range []string{"record-1", "record-2"} {
		must(t, 201, "POST", p.URL+"/api/v1/projects", bootstrapToken, map[string]string{"name": name, "cloud": "main"}, nil)
	}
	ids := map[string]string{}
	for _, u := range []struct {
		name   string
		active bool
	}{{"alice", true}, {"bob", true}, {"carl", false}} {
		var out struct{ ID string }
		must(t, 201, "POST", p.URL+"/scim/v2/Users", tok, map[string]any{"schemas": []string{userSchema}, "userName": u.name, "active": u.active}, &out)
		ids[u.name] = out.ID
	}
	group := func(name string, members ...string) {
		var ms []map[string]string
		for _, m := range members {
			ms = append(ms, map[string]string{"value": ids[m]})
		}
		var out struct{ ID string }
		must(t, 201, "POST", p.URL+"/scim/v2/Groups", tok, map[string]any{"schemas": []string{groupSchema}, "displayName": name, "members": ms}, &out)
		ids[name] = out.ID
	}
	group("team", "alice")
	group("eng", "team")
	group("all", "alice", "bob", "carl")
	for _, g := range []map[string]string{
		{"role": "collaborator", "principalType": "group", "principal": "eng", "resourceKind": "project", "resource": "record-1"},
		{"role": "readonly", "principalType": "user", "principal": "bob", "resourceKind": "project", "resource": "record-1"},
		{"role": "readonly", "principalType": "group", "principal": "all", "resourceKind": "project", "resource": "record-2"},
	} {
		must(t, 201, "POST", p.URL+"/api/v1/grants", bootstrapToken, g, nil)
	}
	var dt struct{ Secret string }
	must(t, 201, "POST", p.URL+"/api/v1/tokens", bootstrapToken, map[string]string{"name": "gateway", "scope": "decision"}, &dt)
	return dt.Secret
}

func fixture(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "authzen", "testdata", name+".json"))
	if err != nil {
		t.Fatal(err)
	}
	return strings.ReplaceAll(string(b), `"type": "record"`, `"type": "project"`)
}

// TestAuthZENScenario runs the Basic, Batch and Search levels of the scenario (the core
// sub-levels rolecall applies to) on SQLite and PostgreSQL.
func TestAuthZENScenario(t *testing.T) {
	for _, b := range backends(t) {
		t.Run(b.name, func(t *testing.T) {
			p := start(t, b.dsn)
			dt := scenario(t, p)
			var meta map[string]any
			must(t, 200, "GET", p.URL+"/.well-known/authzen-configuration", "", nil, &meta)
			if meta["access_evaluation_endpoint"] != p.URL+"/access/v1/evaluation" {
				t.Errorf("metadata: %v", meta)
			}
			for file, want := range map[string]bool{
				"scenario/c-2-2-1-1": true, "scenario/c-2-2-2-1": false, "scenario/c-2-2-3-1": true,
				"scenario/c-2-2-8-1": true, "scenario/c-2-2-9-1": true,
			} {
				var d struct{ Decision bool }
				must(t, 200, "POST", p.URL+"/access/v1/evaluation", dt, fixture(t, file), &d)
				if d.Decision != want {
					t.Errorf("%s: %v, want %v", file, d.Decision, want)
				}
			}
			for file, want := range map[string]string{
				"scenario/c-3-2-2-1": "TF", "scenario/c-3-2-5-1": "TF", "scenario/c-3-4-1-1": "TF", "scenario/c-3-2-1-1": "TT",
			} {
				var resp struct{ Evaluations []struct{ Decision bool } }
				must(t, 200, "POST", p.URL+"/access/v1/evaluations", dt, fixture(t, file), &resp)
				got := ""
				for _, d := range resp.Evaluations {
					got += map[bool]string{true: "T", false: "F"}[d.Decision]
				}
				if got != want {
					t.Errorf("%s: %s, want %s", file, got, want)
				}
			}
			var subjects struct{ Results []struct{ ID string } }
			must(t, 200, "POST", p.URL+"/access/v1/search/subject", dt, fixture(t, "scenario/c-4-2-1-1"), &subjects)
			if len(subjects.Results) != 2 || subjects.Results[0].ID != "alice" || subjects.Results[1].ID != "bob" {
				t.Errorf("subject search: %+v (carl is inactive: never listed)", subjects)
			}
			var actions struct{ Results []struct{ Name string } }
			must(t, 200, "POST", p.URL+"/access/v1/search/action", dt, fixture(t, "scenario/c-4-4-1-1"), &actions)
			names := ""
			for _, a := range actions.Results {
				names += a.Name + " "
			}
			if !strings.Contains(names, "read ") || !strings.Contains(names, "write ") || strings.Contains(names, "delete") {
				t.Errorf("action search: %s", names)
			}
			if status, body, _ := call("POST", p.URL+"/access/v1/evaluation", dt, `{"subject":{"type":"user"}}`); status != 400 || !strings.Contains(string(body), "subject.id") {
				t.Errorf("malformed: %d %s, want 400 naming subject.id", status, body)
			}
			if status, _, _ := call("GET", p.URL+"/api/v1/grants", dt, nil); status != 403 {
				t.Errorf("decision token on the admin API: %d, want 403", status)
			}
		})
	}
}

// TestAuthZENTwoServers: with two servers on one PostgreSQL database, a grant made through
// one is in the other's decisions within a second.
func TestAuthZENTwoServers(t *testing.T) {
	dsn := sqltest.PostgresDSN(t) // skips without PostgreSQL
	s1 := start(t, dsn)
	s2 := start(t, dsn)
	dt := scenario(t, s1)
	q := `{"subject":{"type":"user","id":"bob"},"action":{"name":"delete"},"resource":{"type":"project","id":"record-2"}}`
	var d struct {
		Decision bool
		Context  struct{ Revision int64 }
	}
	must(t, 200, "POST", s2.URL+"/access/v1/evaluation", dt, q, &d) // s2 builds its index
	if d.Decision {
		t.Fatal("bob may delete record-2 before the grant")
	}
	// Grant, revoke, grant again: each is polled for on s2 from the moment s1 answered.
	for round := range 3 {
		path := "/api/v1/grants"
		if round == 1 {
			path = "/api/v1/grants/revoke"
		}
		must(t, map[int]int{0: 201, 1: 200, 2: 201}[round], "POST", s1.URL+path, bootstrapToken,
			map[string]string{"role": "owner", "principalType": "user", "principal": "bob", "resourceKind": "project", "resource": "record-2"}, nil)
		committed := time.Now()
		want := round != 1
		for {
			must(t, 200, "POST", s2.URL+"/access/v1/evaluation", dt, q, &d)
			if d.Decision == want {
				break
			}
			if time.Since(committed) > 2*time.Second {
				t.Fatalf("round %d: s2 still answers %v 2s after s1's commit", round, d.Decision)
			}
			time.Sleep(5 * time.Millisecond)
		}
		lag := time.Since(committed)
		t.Logf("round %d: s2 decided %v %v after s1's write (revision %d)", round, want, lag.Round(time.Millisecond), d.Context.Revision)
		if lag > time.Second {
			t.Errorf("round %d: %v, want < 1s", round, lag)
		}
	}
}
