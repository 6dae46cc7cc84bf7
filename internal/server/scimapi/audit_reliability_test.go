package scimapi_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/rolecall/rolecall/internal/api"
	"github.com/rolecall/rolecall/internal/server"
	"github.com/rolecall/rolecall/internal/store"
)

// TestEveryMutationAuditedOnce sends every mutating SCIM, admin and enforce request and
// checks that each one that succeeds appends exactly one audit event (a Bulk request: one
// per successful operation) naming the actor (the token's name), the action, the target,
// and the state before and after as the change requires (creation: after only; deletion:
// before; change: both). A refused request appends none.
func TestEveryMutationAuditedOnce(t *testing.T) {
	forEachBackend(t, server.Config{}, func(t *testing.T, e *scimEnv) {
		adm := []string{"Authorization", "Bearer " + e.admin}
		ctx := context.Background()
		events := func() []store.AuditEvent {
			var out []store.AuditEvent
			if err := e.st.View(ctx, func(tx store.Tx) (err error) {
				out, _, err = tx.ListAudit(ctx, e.org, store.AuditQuery{Page: store.Page{Limit: 100000}})
				return err
			}); err != nil {
				t.Fatal(err)
			}
			return out
		}
		type step struct {
			name, method, path string
			body               any
			admin              bool
			want               int    // status
			events             int    // events appended
			shape              string // create, delete, change (of the newest event)
			actor              string
		}
		run := func(s step) map[string]any {
			t.Helper()
			before := len(events())
			hdr := []string{}
			if s.admin {
				hdr = adm
			}
			r := e.do(s.method, s.path, s.body, hdr...)
			if r.status != s.want {
				t.Fatalf("%s: %s %s = %d %s, want %d", s.name, s.method, s.path, r.status, r.body, s.want)
			}
			evs := events()
			if got := len(evs) - before; got != s.events {
				t.Errorf("%s: %d audit events, want %d", s.name, got, s.events)
				return r.doc
			}
			if s.events == 0 {
				return r.doc
			}
			for _, ev := range evs[:s.events] {
				if ev.Actor != s.actor || ev.Action == "" || ev.TargetID == "" || ev.TargetType == "" || ev.RequestID == "" {
					t.Errorf("%s: event lacks actor/action/target/request: %+v", s.name, ev)
				}
				has := func(m json.RawMessage) bool { return len(m) > 0 && string(m) != "null" }
				switch s.shape {
				case "create":
					if has(ev.Before) || !has(ev.After) {
						t.Errorf("%s (%s): a creation has after only: before=%s after=%s", s.name, ev.Action, ev.Before, ev.After)
					}
				case "delete":
					if !has(ev.Before) {
						t.Errorf("%s (%s): a deletion keeps before: %s", s.name, ev.Action, ev.Before)
					}
				case "change":
					if !has(ev.Before) || !has(ev.After) {
						t.Errorf("%s (%s): a change has before and after: before=%s after=%s", s.name, ev.Action, ev.Before, ev.After)
					}
				}
			}
			return r.doc
		}
		scimUser := map[string]any{"schemas": []string{"urn:ietf:params:scim:schemas:core:2.0:User"}}
		with := func(m map[string]any, kv ...any) map[string]any {
			out := map[string]any{}
			for k, v := range m {
				out[k] = v
			}
			for i := 0; i+1 < len(kv); i += 2 {
				out[kv[i].(string)] = kv[i+1]
			}
			return out
		}
		u1 := jstr(run(step{"scim user create", "POST", "/scim/v2/Users", with(scimUser, "userName", "a@example.com"), false, 201, 1, "create", "okta"}), "id")
		run(step{"scim user create conflict", "POST", "/scim/v2/Users", with(scimUser, "userName", "A@example.com"), false, 409, 0, "", ""})
		u2 := jstr(run(step{"scim user create 2", "POST", "/scim/v2/Users", with(scimUser, "userName", "b@example.com"), false, 201, 1, "create", "okta"}), "id")
		run(step{"scim user replace", "PUT", "/scim/v2/Users/" + u1, with(scimUser, "userName", "a@example.com", "displayName", "A"), false, 200, 1, "change", "okta"})
		run(step{"scim user patch", "PATCH", "/scim/v2/Users/" + u1, scimPatchBody(scimOp("replace", "displayName", "AA")), false, 200, 1, "change", "okta"})
		run(step{"scim user patch bad", "PATCH", "/scim/v2/Users/" + u1, scimPatchBody(scimOp("replace", "nope.nope", 1)), false, 400, 0, "", ""})
		g1 := jstr(run(step{"scim group create", "POST", "/scim/v2/Groups", map[string]any{"schemas": []string{"urn:ietf:params:scim:schemas:core:2.0:Group"},
			"displayName": "eng", "members": []map[string]any{{"value": u1}}}, false, 201, 1, "create", "okta"}), "id")
		run(step{"scim group patch", "PATCH", "/scim/v2/Groups/" + g1, scimPatchBody(scimOp("add", "members", []map[string]any{{"value": u2}})), false, 204, 1, "change", "okta"})
		run(step{"scim group replace", "PUT", "/scim/v2/Groups/" + g1, map[string]any{"schemas": []string{"urn:ietf:params:scim:schemas:core:2.0:Group"},
			"displayName": "eng", "members": []map[string]any{{"value": u1}}}, false, 200, 1, "change", "okta"})
		run(step{"scim bulk", "POST", "/scim/v2/Bulk", map[string]any{"schemas": []string{"urn:ietf:params:scim:api:messages:2.0:BulkRequest"},
			"Operations": []map[string]any{
				{"method": "POST", "path": "/Users", "bulkId": "x", "data": with(scimUser, "userName", "c@example.com")},
				{"method": "PATCH", "path": "/Users/" + u2, "data": scimPatchBody(scimOp("replace", "displayName", "B"))},
				{"method": "POST", "path": "/Users", "bulkId": "y", "data": with(scimUser, "userName", "a@example.com")}, // conflict
			}}, false, 200, 2, "", "okta"})
		for _, s := range []step{
			{"cloud create", "POST", "/api/v1/clouds", map[string]string{"name": "prod"}, true, 201, 1, "create", "bootstrap"},
			{"cloud create conflict", "POST", "/api/v1/clouds", map[string]string{"name": "PROD"}, true, 409, 0, "", ""},
			{"cloud rename", "PATCH", "/api/v1/clouds/prod", map[string]string{"name": "production"}, true, 200, 1, "change", "bootstrap"},
			{"project create", "POST", "/api/v1/projects", map[string]string{"name": "web", "cloud": "production"}, true, 201, 1, "create", "bootstrap"},
			{"project rename", "PATCH", "/api/v1/projects/web", map[string]string{"name": "www"}, true, 200, 1, "change", "bootstrap"},
			{"service account create", "POST", "/api/v1/service-accounts", map[string]string{"name": "robot"}, true, 201, 1, "create", "bootstrap"},
			{"grant create", "POST", "/api/v1/grants", api.GrantRequest{Role: "owner", PrincipalType: "group", Principal: "eng", ResourceKind: "organization"}, true, 201, 1, "create", "bootstrap"},
			{"grant create direct", "POST", "/api/v1/grants", api.GrantRequest{Role: "readonly", PrincipalType: "user", Principal: "b@example.com", ResourceKind: "project", Resource: "www"}, true, 201, 1, "create", "bootstrap"},
			{"grant create again", "POST", "/api/v1/grants", api.GrantRequest{Role: "readonly", PrincipalType: "user", Principal: "b@example.com", ResourceKind: "project", Resource: "www"}, true, 200, 0, "", ""},
			{"grant sa", "POST", "/api/v1/grants", api.GrantRequest{Role: "collaborator", PrincipalType: "service_account", Principal: "robot", ResourceKind: "cloud", Resource: "production"}, true, 201, 1, "create", "bootstrap"},
			{"grant revoke", "POST", "/api/v1/grants/revoke", api.GrantRequest{Role: "collaborator", PrincipalType: "service_account", Principal: "robot", ResourceKind: "cloud", Resource: "production"}, true, 200, 1, "delete", "bootstrap"},
			{"settings", "PATCH", "/api/v1/org/settings", map[string]bool{"groupsOnly": false}, true, 200, 0, "", ""},
			{"token create", "POST", "/api/v1/tokens", map[string]string{"name": "ci", "scope": "admin"}, true, 201, 1, "create", "bootstrap"},
			{"token revoke", "DELETE", "/api/v1/tokens/ci", nil, true, 200, 1, "change", "bootstrap"},
		} {
			run(s)
		}
		var pv api.EnforcePreview
		if _, err := send(e.srv.URL, e.admin, "POST", "/api/v1/enforce/preview", map[string]any{}, &pv); err != nil {
			t.Fatal(err)
		}
		run(step{"enforce apply stale", "POST", "/api/v1/enforce/apply", map[string]string{"fingerprint": "stale"}, true, 409, 0, "", ""})
		res := run(step{"enforce apply", "POST", "/api/v1/enforce/apply", map[string]string{"fingerprint": pv.Plan.Fingerprint}, true, 201, 1, "change", "bootstrap"})
		run(step{"enforce undo", "POST", fmt.Sprintf("/api/v1/enforce/runs/%s/undo", res["runId"]), map[string]any{}, true, 200, 1, "", "bootstrap"})
		run(step{"enforce undo again", "POST", fmt.Sprintf("/api/v1/enforce/runs/%s/undo", res["runId"]), map[string]any{}, true, 409, 0, "", ""})
		run(step{"settings on", "PATCH", "/api/v1/org/settings", map[string]bool{"groupsOnly": true}, true, 200, 1, "change", "bootstrap"})
		for _, s := range []step{
			{"grant delete", "DELETE", "/api/v1/grants/" + grantID(t, e, "b@example.com"), nil, true, 200, 1, "delete", "bootstrap"},
			{"project delete", "DELETE", "/api/v1/projects/www", nil, true, 200, 1, "delete", "bootstrap"},
			{"service account delete", "DELETE", "/api/v1/service-accounts/robot", nil, true, 200, 1, "delete", "bootstrap"},
		} {
			run(s)
		}
		run(step{"scim group delete", "DELETE", "/scim/v2/Groups/" + g1, nil, false, 204, 1, "delete", "okta"})
		run(step{"scim user delete", "DELETE", "/scim/v2/Users/" + u1, nil, false, 204, 1, "delete", "okta"})
		run(step{"scim user delete again", "DELETE", "/scim/v2/Users/" + u1, nil, false, 404, 0, "", ""})
		run(step{"cloud delete", "DELETE", "/api/v1/clouds/production", nil, true, 200, 1, "delete", "bootstrap"})
		// Every action seen is named in the scim./grant./enforce. … families, never empty.
		for _, ev := range events() {
			if !strings.Contains(ev.Action, ".") {
				t.Errorf("action %q is not a family.verb name", ev.Action)
			}
		}
	})
}

// grantID finds the direct grant of a user through the admin API.
func grantID(t *testing.T, e *scimEnv, user string) string {
	t.Helper()
	var l api.List[api.Grant]
	if _, err := send(e.srv.URL, e.admin, "GET", "/api/v1/grants?user="+user, nil, &l); err != nil {
		t.Fatal(err)
	}
	for _, g := range l.Items {
		if g.PrincipalType == "user" {
			return g.ID
		}
	}
	t.Fatalf("no direct grant of %s: %+v", user, l)
	return ""
}
