package e2e

import (
	"os"
	"os/exec"
	"slices"
	"strings"
	"testing"

	"github.com/rolecall/rolecall/internal/testenv"
)

// TestRulesFromSCIM drives group → role rules from SCIM against the real binary on SQLite
// and PostgreSQL: rules added with the real CLI (preview, then --yes), a group POSTed over
// SCIM that matches a rule is bound at once; PATCHing its displayName out of the rule (into
// another) takes its bindings away (gives the other's); a manual grant to a matched group
// is untouched by everything; deleting the rules leaves exactly the manual grants; explain
// names the rule.
func TestRulesFromSCIM(t *testing.T) {
	for _, b := range backends(t) {
		t.Run(b.name, func(t *testing.T) {
			p := start(t, b.dsn)
			tok := scimToken(t, p, "okta")
			must(t, 201, "POST", p.URL+"/api/v1/clouds", bootstrapToken, map[string]string{"name": "prod"}, nil)
			must(t, 201, "POST", p.URL+"/api/v1/clouds", bootstrapToken, map[string]string{"name": "dev"}, nil)
			must(t, 201, "POST", p.URL+"/api/v1/projects", bootstrapToken, map[string]string{"name": "api", "cloud": "prod"}, nil)
			rolecall := func(args ...string) string {
				t.Helper()
				cmd := exec.Command(testenv.Binary(t), args...)
				cmd.Env = append(os.Environ(), "ROLECALL_URL="+p.URL, "ROLECALL_TOKEN="+bootstrapToken)
				out, err := cmd.CombinedOutput()
				if err != nil {
					t.Fatalf("rolecall %v: %v\n%s", args, err, out)
				}
				return string(out)
			}
			out := rolecall("rule", "add", "eng-clouds", "--match", "pattern", "--value", `^eng-(?P<cloud>[a-z]+)$`, "--role", "readonly", "--yes")
			if !strings.Contains(out, `Added rule "eng-clouds"`) {
				t.Fatalf("rule add: %s", out)
			}
			rolecall("rule", "add", "projects", "--match", "pattern", "--value", `^rc-(?P<project>[a-z0-9-]+)-(?P<role>owner|write|readonly)$`, "--yes")

			var alice struct{ ID string }
			must(t, 201, "POST", p.URL+"/scim/v2/Users", tok, map[string]any{"schemas": []string{userSchema}, "userName": "alice", "active": true}, &alice)
			var g struct{ ID string }
			must(t, 201, "POST", p.URL+"/scim/v2/Groups", tok, map[string]any{"schemas": []string{groupSchema}, "displayName": "eng-prod",
				"members": []map[string]string{{"value": alice.ID}}}, &g)
			grants := func() []string {
				t.Helper()
				var l struct {
					Items []struct{ PrincipalType, PrincipalName, Role, ResourceName, RuleName string }
				}
				must(t, 200, "GET", p.URL+"/api/v1/grants", bootstrapToken, nil, &l)
				var out []string
				for _, it := range l.Items {
					if it.PrincipalType != "group" {
						continue
					}
					out = append(out, strings.TrimSpace(it.PrincipalName+" "+it.Role+" "+it.ResourceName+" "+it.RuleName))
				}
				slices.Sort(out)
				return out
			}
			want := func(what string, w ...string) {
				t.Helper()
				slices.Sort(w)
				if got := grants(); !slices.Equal(got, w) {
					t.Fatalf("%s: group grants %q, want %q", what, got, w)
				}
			}
			want("group created over SCIM", "eng-prod readonly prod eng-clouds")
			// A manual grant to the same group, on another cloud: stays manual throughout.
			must(t, 201, "POST", p.URL+"/api/v1/grants", bootstrapToken, map[string]string{"role": "owner", "principalType": "group",
				"principal": "eng-prod", "resourceKind": "cloud", "resource": "dev"}, nil)
			want("manual grant", "eng-prod readonly prod eng-clouds", "eng-prod owner dev")
			if out := rolecall("access", "explain", "--user", "alice", "--cloud", "prod"); !strings.Contains(out, "group eng-prod, bound by rule eng-clouds") {
				t.Fatalf("explain: %s", out)
			}

			patch := func(name string) {
				t.Helper()
				must(t, 204, "PATCH", p.URL+"/scim/v2/Groups/"+g.ID, tok, map[string]any{"schemas": []string{"urn:ietf:params:scim:api:messages:2.0:PatchOp"},
					"Operations": []map[string]any{{"op": "replace", "path": "displayName", "value": name}}}, nil)
			}
			patch("platform")
			want("renamed out of the rule", "platform owner dev")
			patch("rc-api-write")
			want("renamed into the other rule", "rc-api-write owner dev", "rc-api-write collaborator api projects")
			// PUT with another name, as Entra sends a whole group.
			must(t, 200, "PUT", p.URL+"/scim/v2/Groups/"+g.ID, tok, map[string]any{"schemas": []string{groupSchema}, "displayName": "eng-dev",
				"members": []map[string]string{{"value": alice.ID}}}, nil)
			want("replaced over SCIM", "eng-dev owner dev", "eng-dev readonly dev eng-clouds")

			// Deleting both rules leaves exactly the manual grant.
			rolecall("rule", "delete", "projects", "--yes")
			rolecall("rule", "delete", "eng-clouds", "--yes")
			want("rules deleted", "eng-dev owner dev")
			if out := rolecall("rule", "list", "-o", "json"); !strings.Contains(out, `"total": 0`) {
				t.Fatalf("rule list: %s", out)
			}
			db := openSQL(t, b)
			if n := queryInt(t, db, "SELECT count(*) FROM rule_changes"); n != 4 {
				t.Errorf("%d rule changes recorded, want 4", n)
			}
			if o := orphans(t, db); len(o) > 0 {
				t.Errorf("inconsistent rows: %v", o)
			}
		})
	}
}
