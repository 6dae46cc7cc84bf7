package adminapi_test

import (
	"encoding/json"
	"net/http"
	"reflect"
	"strings"
	"testing"

	"github.com/rolecall/rolecall/internal/api"
)

// auditCount returns how many audit events the env's org holds.
func (e *adminEnv) auditCount() int {
	e.t.Helper()
	var l api.List[api.AuditEvent]
	e.must(http.StatusOK, "GET", "/api/v1/audit?limit=1", nil, &l)
	return l.Total
}

// mutation runs a request and checks its status and that it wrote exactly wantEvents audit
// events.
func (e *adminEnv) mutation(wantEvents, want int, method, path string, body, out any) []byte {
	e.t.Helper()
	before := e.auditCount()
	raw := e.must(want, method, path, body, out)
	if got := e.auditCount() - before; got != wantEvents {
		e.t.Fatalf("%s %s wrote %d audit events, want %d", method, path, got, wantEvents)
	}
	return raw
}

func TestAdminResourcesAndGrants(t *testing.T) {
	adminBackends(t, func(t *testing.T, e *adminEnv) {
		users, _ := seedDirectory(t, e.st, e.orgID, []string{"alice@example.com", "bob@example.com", "gone@example.com"},
			map[string]bool{"gone@example.com": true},
			map[string][]string{"eng": {"bob@example.com"}, "platform": {"eng"}})

		var prod api.Cloud
		e.mutation(1, 201, "POST", "/api/v1/clouds", api.CreateCloudRequest{Name: "prod"}, &prod)
		e.mutation(0, 409, "POST", "/api/v1/clouds", api.CreateCloudRequest{Name: "PROD"}, nil)
		raw := e.mutation(0, 400, "POST", "/api/v1/clouds", api.CreateCloudRequest{Name: "bad name"}, nil)
		if msg := apiError(t, raw).Message; !strings.Contains(msg, "bad name") {
			t.Errorf("bad name message = %q", msg)
		}
		var apiProj api.Project
		e.mutation(1, 201, "POST", "/api/v1/projects", api.CreateProjectRequest{Name: "api", Cloud: "prod"}, &apiProj)
		if apiProj.CloudID != prod.ID || apiProj.Cloud != "prod" {
			t.Errorf("project = %+v, want in cloud prod %s", apiProj, prod.ID)
		}
		raw = e.mutation(0, 404, "POST", "/api/v1/projects", api.CreateProjectRequest{Name: "web", Cloud: "nope"}, nil)
		if msg := apiError(t, raw).Message; !strings.Contains(msg, `cloud "nope"`) {
			t.Errorf("unknown cloud message = %q", msg)
		}
		var got api.Cloud
		e.must(200, "GET", "/api/v1/clouds/prod", nil, &got)
		e.must(200, "GET", "/api/v1/clouds/"+prod.ID, nil, &got)
		if got.Projects != 1 || got.ID != prod.ID {
			t.Errorf("cloud = %+v", got)
		}

		// Grants: new 201, same again 200 with the same grant and no event.
		req := api.GrantRequest{Role: "owner", PrincipalType: "user", Principal: "alice@example.com", ResourceKind: "cloud", Resource: "prod"}
		var g1, g2 api.Grant
		e.mutation(1, 201, "POST", "/api/v1/grants", req, &g1)
		e.mutation(0, 200, "POST", "/api/v1/grants", req, &g2)
		if g1.ID == "" || g1.ID != g2.ID || g1.PrincipalName != "alice@example.com" || g1.ResourceName != "prod" || g1.CreatedBy != "bootstrap" {
			t.Errorf("grants = %+v / %+v", g1, g2)
		}
		req.Principal = users["alice@example.com"] // by id
		e.mutation(0, 200, "POST", "/api/v1/grants", req, &g2)

		// Invalid role for the kind: 400 listing the valid roles in message and details.
		raw = e.mutation(0, 400, "POST", "/api/v1/grants", api.GrantRequest{Role: "readonly", PrincipalType: "user",
			Principal: "alice@example.com", ResourceKind: "organization"}, nil)
		ae := apiError(t, raw)
		if !strings.Contains(ae.Message, "valid roles: owner, collaborator") {
			t.Errorf("message = %q", ae.Message)
		}
		details, _ := json.Marshal(ae.Details)
		if !strings.Contains(string(details), `"validRoles":["owner","collaborator"]`) {
			t.Errorf("details = %s", details)
		}
		raw = e.mutation(0, 400, "POST", "/api/v1/grants", api.GrantRequest{Role: "admin", PrincipalType: "group",
			Principal: "eng", ResourceKind: "project", Resource: "api"}, nil)
		if ae := apiError(t, raw); !strings.Contains(ae.Message, "owner, collaborator, readonly") {
			t.Errorf("unknown role message = %q", ae.Message)
		}
		// Unknown principal and resource: 404 naming them.
		for _, c := range []struct {
			req  api.GrantRequest
			want string
		}{
			{api.GrantRequest{Role: "owner", PrincipalType: "user", Principal: "zed", ResourceKind: "cloud", Resource: "prod"}, `user "zed"`},
			{api.GrantRequest{Role: "owner", PrincipalType: "group", Principal: "ops", ResourceKind: "cloud", Resource: "prod"}, `group "ops"`},
			{api.GrantRequest{Role: "owner", PrincipalType: "service_account", Principal: "ci", ResourceKind: "cloud", Resource: "prod"}, `service account "ci"`},
			{api.GrantRequest{Role: "owner", PrincipalType: "user", Principal: "bob@example.com", ResourceKind: "project", Resource: "web"}, `project "web"`},
		} {
			raw := e.mutation(0, 404, "POST", "/api/v1/grants", c.req, nil)
			if msg := apiError(t, raw).Message; !strings.Contains(msg, c.want) {
				t.Errorf("%+v: message %q does not name %s", c.req, msg, c.want)
			}
		}
		// A grant to an inactive user is allowed and says it gives nothing yet.
		var gone api.Grant
		e.mutation(1, 201, "POST", "/api/v1/grants", api.GrantRequest{Role: "readonly", PrincipalType: "user",
			Principal: "gone@example.com", ResourceKind: "project", Resource: "api"}, &gone)
		if !strings.Contains(gone.Note, "holds nothing") {
			t.Errorf("note = %q", gone.Note)
		}
		// Groups and nesting: platform (which contains eng, which contains bob) owns the org.
		e.mutation(1, 201, "POST", "/api/v1/grants", api.GrantRequest{Role: "collaborator", PrincipalType: "group",
			Principal: "platform", ResourceKind: "cloud", Resource: "prod"}, nil)
		var ex api.Explanation
		e.must(200, "GET", "/api/v1/access/users/bob@example.com/explain?resourceKind=cloud&resource=prod", nil, &ex)
		if len(ex.Resources) != 1 || ex.Resources[0].Role != "collaborator" || len(ex.Resources[0].Sources) != 1 ||
			!reflect.DeepEqual(ex.Resources[0].Sources[0].Path, []string{"eng", "platform"}) {
			t.Errorf("explain = %+v", ex)
		}

		// Groups-only mode refuses new direct user grants with a pointer to groups.
		var settings api.OrgSettings
		e.mutation(1, 200, "PATCH", "/api/v1/org/settings", map[string]any{"groupsOnly": true}, &settings)
		e.mutation(0, 200, "PATCH", "/api/v1/org/settings", map[string]any{"groupsOnly": true}, &settings)
		if !settings.GroupsOnly {
			t.Errorf("settings = %+v", settings)
		}
		raw = e.mutation(0, 409, "POST", "/api/v1/grants", api.GrantRequest{Role: "readonly", PrincipalType: "user",
			Principal: "bob@example.com", ResourceKind: "cloud", Resource: "prod"}, nil)
		msg := apiError(t, raw).Message
		for _, want := range []string{"groups-only mode is on for this organization", "rolecall grant readonly --group G --cloud prod",
			"rolecall org set --groups-only=false", "bob@example.com is in: eng"} {
			if !strings.Contains(msg, want) {
				t.Errorf("groups-only message %q lacks %q", msg, want)
			}
		}
		e.mutation(0, 200, "POST", "/api/v1/grants", api.GrantRequest{Role: "owner", PrincipalType: "user",
			Principal: "alice@example.com", ResourceKind: "cloud", Resource: "prod"}, nil) // existing: still 200
		e.mutation(1, 201, "POST", "/api/v1/grants", api.GrantRequest{Role: "readonly", PrincipalType: "group",
			Principal: "eng", ResourceKind: "project", Resource: "api"}, nil)

		// Lists by resource and by principal.
		var l api.List[api.Grant]
		e.must(200, "GET", "/api/v1/grants?resourceKind=cloud&resource=prod", nil, &l)
		if l.Total != 2 || l.Items[0].PrincipalType != "user" || l.Items[1].PrincipalName != "platform" {
			t.Errorf("grants on prod = %+v", l.Items)
		}
		e.must(200, "GET", "/api/v1/grants?principalType=group&principal=eng", nil, &l)
		if l.Total != 1 || l.Items[0].ResourceName != "api" {
			t.Errorf("grants of eng = %+v", l.Items)
		}

		// Revoke by selectors; again: 404.
		e.mutation(1, 200, "POST", "/api/v1/grants/revoke", api.GrantRequest{Role: "owner", PrincipalType: "user",
			Principal: "alice@example.com", ResourceKind: "cloud", Resource: "prod"}, nil)
		e.mutation(0, 404, "POST", "/api/v1/grants/revoke", api.GrantRequest{Role: "owner", PrincipalType: "user",
			Principal: "alice@example.com", ResourceKind: "cloud", Resource: "prod"}, nil)

		// A cloud with projects cannot be deleted; deleting the project takes its grants.
		raw = e.mutation(0, 409, "DELETE", "/api/v1/clouds/prod", nil, nil)
		if msg := apiError(t, raw).Message; !strings.Contains(msg, "(api)") || !strings.Contains(msg, "rolecall project delete") {
			t.Errorf("delete cloud message = %q", msg)
		}
		e.mutation(1, 200, "DELETE", "/api/v1/projects/api", nil, nil)
		e.must(200, "GET", "/api/v1/grants?principalType=group&principal=eng", nil, &l)
		if l.Total != 0 {
			t.Errorf("grants of eng after project delete = %+v", l.Items)
		}
		var ev api.List[api.AuditEvent]
		e.must(200, "GET", "/api/v1/audit?action=project.delete", nil, &ev)
		if ev.Total != 1 || !strings.Contains(string(ev.Items[0].Before), `"principalName":"eng"`) || ev.Items[0].Actor != "bootstrap" {
			t.Errorf("project.delete event = %+v", ev.Items)
		}
		e.must(200, "GET", "/api/v1/audit?targetType=cloud&target=prod", nil, &ev)
		if ev.Total != 1 || ev.Items[0].Action != "cloud.create" {
			t.Errorf("events of cloud prod = %+v", ev.Items)
		}
		e.mutation(1, 200, "DELETE", "/api/v1/clouds/prod", nil, nil)
		e.mutation(0, 404, "DELETE", "/api/v1/clouds/prod", nil, nil)
	})
}
