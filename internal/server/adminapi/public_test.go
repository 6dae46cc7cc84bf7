package adminapi_test

import (
	"strings"
	"testing"

	"github.com/rolecall/rolecall/internal/api"
)

// TestAdminPublicProjects: visibility on create (private by default) and by PATCH, each
// change audited once; a public project gives collaborator to the cloud's role holders in
// access listings and explanations, and a private one says the cloud role reaches nothing;
// "write" is accepted as collaborator on projects and shown as collaborator.
func TestAdminPublicProjects(t *testing.T) {
	adminBackends(t, func(t *testing.T, e *adminEnv) {
		seedDirectory(t, e.st, e.orgID, []string{"alice@example.com", "bob@example.com"}, nil,
			map[string][]string{"eng": {"bob@example.com"}})
		e.mutation(1, 201, "POST", "/api/v1/clouds", api.CreateCloudRequest{Name: "prod"}, nil)
		var api1, web api.Project
		e.mutation(1, 201, "POST", "/api/v1/projects", api.CreateProjectRequest{Name: "api", Cloud: "prod"}, &api1)
		e.mutation(1, 201, "POST", "/api/v1/projects", api.CreateProjectRequest{Name: "web", Cloud: "prod", Visibility: "public"}, &web)
		if api1.Visibility != "private" || web.Visibility != "public" {
			t.Fatalf("visibilities %q, %q; want private, public", api1.Visibility, web.Visibility)
		}
		raw := e.mutation(0, 400, "POST", "/api/v1/projects", api.CreateProjectRequest{Name: "x", Cloud: "prod", Visibility: "open"}, nil)
		if msg := apiError(t, raw).Message; !strings.Contains(msg, `unknown visibility "open"`) {
			t.Errorf("bad visibility message = %q", msg)
		}

		// alice holds readonly on the cloud directly, bob collaborator through eng.
		e.mutation(1, 201, "POST", "/api/v1/grants", api.GrantRequest{Role: "readonly", PrincipalType: "user",
			Principal: "alice@example.com", ResourceKind: "cloud", Resource: "prod"}, nil)
		e.mutation(1, 201, "POST", "/api/v1/grants", api.GrantRequest{Role: "collaborator", PrincipalType: "group",
			Principal: "eng", ResourceKind: "cloud", Resource: "prod"}, nil)
		var ua api.UserAccess
		e.must(200, "GET", "/api/v1/access/users/alice@example.com", nil, &ua)
		var onWeb, onAPI *api.ResourceAccess
		for i, a := range ua.Access {
			switch a.Name {
			case "web":
				onWeb = &ua.Access[i]
			case "api":
				onAPI = &ua.Access[i]
			}
		}
		if onWeb == nil || onWeb.Role != "collaborator" || !onWeb.Implicit || !onWeb.Public || onAPI != nil {
			t.Errorf("alice's access: web %+v, api %+v; want implicit public collaborator on web only", onWeb, onAPI)
		}
		var ex api.Explanation
		e.must(200, "GET", "/api/v1/access/users/bob@example.com/explain?resourceKind=project&resource=web", nil, &ex)
		if r := ex.Resources[0]; r.Role != "collaborator" || !r.Public || r.Visibility != "public" || r.CloudRole != "collaborator" ||
			len(r.Sources) != 1 || r.Sources[0].Kind != "public_project" {
			t.Errorf("bob on web: %+v", r)
		}
		e.must(200, "GET", "/api/v1/access/users/bob@example.com/explain?resourceKind=project&resource=api", nil, &ex)
		if r := ex.Resources[0]; r.Role != "none" || r.Visibility != "private" || r.CloudRole != "collaborator" || len(r.Sources) != 0 {
			t.Errorf("bob on private api: %+v", r)
		}
		// Explaining everything lists the public project, reached by no binding on it.
		e.must(200, "GET", "/api/v1/access/users/alice@example.com/explain", nil, &ex)
		var names []string
		for _, r := range ex.Resources {
			names = append(names, r.Name)
		}
		if strings.Join(names, ",") != "prod,web" {
			t.Errorf("alice's explained resources = %v, want prod,web", names)
		}

		// PATCH: visibility, name, both; the same value again records nothing.
		var p api.Project
		e.mutation(1, 200, "PATCH", "/api/v1/projects/api", api.UpdateProjectRequest{Visibility: "public"}, &p)
		if p.Visibility != "public" || p.Name != "api" {
			t.Errorf("after PATCH visibility: %+v", p)
		}
		e.mutation(0, 200, "PATCH", "/api/v1/projects/api", api.UpdateProjectRequest{Visibility: "public"}, nil)
		e.mutation(2, 200, "PATCH", "/api/v1/projects/api", api.UpdateProjectRequest{Name: "api2", Visibility: "private"}, &p)
		if p.Visibility != "private" || p.Name != "api2" {
			t.Errorf("after PATCH both: %+v", p)
		}
		e.mutation(0, 400, "PATCH", "/api/v1/projects/api2", api.UpdateProjectRequest{}, nil)
		e.mutation(0, 400, "PATCH", "/api/v1/projects/api2", api.UpdateProjectRequest{Visibility: "secret"}, nil)
		var audit api.List[api.AuditEvent]
		e.must(200, "GET", "/api/v1/audit?action=project.visibility", nil, &audit)
		if audit.Total != 2 {
			t.Errorf("%d project.visibility events, want 2", audit.Total)
		}

		// "write" is collaborator on projects, and only there.
		var g api.Grant
		e.mutation(1, 201, "POST", "/api/v1/grants", api.GrantRequest{Role: "write", PrincipalType: "user",
			Principal: "alice@example.com", ResourceKind: "project", Resource: "api2"}, &g)
		if g.Role != "collaborator" {
			t.Errorf("write granted as %q, want collaborator", g.Role)
		}
		e.mutation(0, 200, "POST", "/api/v1/grants", api.GrantRequest{Role: "collaborator", PrincipalType: "user",
			Principal: "alice@example.com", ResourceKind: "project", Resource: "api2"}, nil)
		e.mutation(0, 400, "POST", "/api/v1/grants", api.GrantRequest{Role: "write", PrincipalType: "user",
			Principal: "alice@example.com", ResourceKind: "cloud", Resource: "prod"}, nil)
		e.mutation(1, 200, "POST", "/api/v1/grants/revoke", api.GrantRequest{Role: "write", PrincipalType: "user",
			Principal: "alice@example.com", ResourceKind: "project", Resource: "api2"}, nil)
	})
}
