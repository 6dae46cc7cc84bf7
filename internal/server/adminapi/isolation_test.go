package adminapi_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/rolecall/rolecall/internal/api"
	"github.com/rolecall/rolecall/internal/audit"
	"github.com/rolecall/rolecall/internal/auth"
	"github.com/rolecall/rolecall/internal/store"
)

// orgB is a second organization with one object of every kind, all named so that org A has
// nothing of the same name.
type orgB struct {
	id, token                     string
	cloud                         api.Cloud
	projectID, accountID, grantID string
	userID, groupID, tokenID      string
	webhookID                     string
	runID                         string
	ruleID, ruleChangeID          string
}

// Names of org B's objects; org A uses none of them.
const (
	bCloud   = "b-cloud"
	bProject = "b-project"
	bAccount = "b-robot"
	bUser    = "bob@b.example"
	bGroup   = "b-team"
	bToken   = "b-admin"
	bOrg     = "org-b"
	bAction  = "b-deploy"
	bReason  = "b-break-glass-reason"
	bRule    = "b-rule"
	bHookURL = "https://b-hooks.example/receive"
)

func newOrgB(t *testing.T, e *adminEnv) *orgB {
	t.Helper()
	ctx := audit.WithActor(context.Background(), audit.Actor{Name: "test"})
	b := &orgB{}
	err := e.st.Update(ctx, func(tx store.Tx) error {
		org, err := auth.CreateOrg(ctx, tx, bOrg)
		if err != nil {
			return err
		}
		b.id = org.ID
		tok, err := auth.CreateToken(ctx, tx, org.ID, api.CreateTokenRequest{Name: bToken, Scope: "admin"}, "")
		b.token, b.tokenID = tok.Secret, tok.ID
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	users, groups := seedDirectory(t, e.st, b.id, []string{bUser}, nil, map[string][]string{bGroup: {bUser}})
	b.userID, b.groupID = users[bUser], groups[bGroup]
	asB := func(want int, method, path string, body, out any) {
		t.Helper()
		if got, raw := e.do(b.token, method, path, body, out); got != want {
			t.Fatalf("as B: %s %s = %d %s", method, path, got, raw)
		}
	}
	var p api.Project
	var sa api.ServiceAccount
	var g api.Grant
	asB(201, "POST", "/api/v1/clouds", api.CreateCloudRequest{Name: bCloud}, &b.cloud)
	asB(201, "POST", "/api/v1/projects", api.CreateProjectRequest{Name: bProject, Cloud: bCloud}, &p)
	asB(201, "POST", "/api/v1/service-accounts", api.CreateServiceAccountRequest{Name: bAccount}, &sa)
	asB(201, "POST", "/api/v1/grants", api.GrantRequest{Role: "owner", PrincipalType: "group", Principal: bGroup,
		ResourceKind: "project", Resource: bProject}, &g)
	asB(201, "POST", "/api/v1/grants", api.GrantRequest{Role: "readonly", PrincipalType: "user", Principal: bUser,
		ResourceKind: "cloud", Resource: bCloud}, nil)
	asB(201, "POST", "/api/v1/grants", api.GrantRequest{Role: "owner", PrincipalType: "service_account", Principal: bAccount,
		ResourceKind: "organization"}, nil)
	asB(201, "PUT", "/api/v1/actions/"+bAction, api.CustomAction{Project: "owner"}, nil)
	asB(201, "PUT", "/api/v1/users/"+url.PathEscape(bUser)+"/exemption", api.ExemptUserRequest{Reason: bReason}, nil)
	asB(200, "PUT", "/api/v1/enforce/schedule", api.SetDriftScheduleRequest{Every: "24h"}, nil)
	var hook api.CreatedWebhook
	asB(201, "POST", "/api/v1/webhooks", api.CreateWebhookRequest{URL: bHookURL}, &hook)
	b.webhookID = hook.Endpoint.ID
	b.projectID, b.accountID, b.grantID = p.ID, sa.ID, g.ID
	add := api.RuleChangeRequest{Add: &api.RuleInput{Name: bRule, Match: "displayName", Value: bGroup, ResourceKind: "cloud", ResourceName: bCloud, Role: "readonly"}}
	var rpv api.RulePreview
	asB(200, "POST", "/api/v1/rules/preview", add, &rpv)
	add.Fingerprint = rpv.Preview.Fingerprint
	var rres api.RuleApplyResult
	asB(201, "POST", "/api/v1/rules", add, &rres)
	b.ruleID, b.ruleChangeID = rres.Rules[0].ID, rres.Change.ID
	err = e.st.Update(ctx, func(tx store.Tx) error {
		r, err := tx.CreateRun(ctx, store.Run{OrgID: b.id, CreatedAt: store.Now(), Actor: "test", Fingerprint: "fp", Plan: []byte(`{}`)}, nil, nil)
		b.runID = r.ID
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// secrets are strings that must never appear in an answer to org A: B's ids and names.
func (b *orgB) secrets() []string {
	return []string{b.id, b.cloud.ID, b.projectID, b.accountID, b.grantID, b.userID, b.groupID, b.tokenID, b.runID,
		bCloud, bProject, bAccount, bUser, bGroup, bToken, bOrg, bAction, bReason, b.webhookID, "b-hooks.example", b.ruleID, b.ruleChangeID, bRule}
}

// TestAdminOrgIsolation uses org A's admin token on org B's objects, by id and by name,
// through every admin route: each answers 404, lists never show B's objects, and B's data
// and audit log stay as they were. Every documented route must have a case here.
func TestAdminOrgIsolation(t *testing.T) {
	adminBackends(t, func(t *testing.T, e *adminEnv) {
		seedDirectory(t, e.st, e.orgID, []string{"alice@a.example"}, nil, map[string][]string{"a-team": {"alice@a.example"}})
		e.must(201, "POST", "/api/v1/clouds", api.CreateCloudRequest{Name: "a-cloud"}, nil)
		e.must(201, "POST", "/api/v1/projects", api.CreateProjectRequest{Name: "a-project", Cloud: "a-cloud"}, nil)
		e.must(201, "POST", "/api/v1/grants", api.GrantRequest{Role: "owner", PrincipalType: "user", Principal: "alice@a.example",
			ResourceKind: "cloud", Resource: "a-cloud"}, nil)
		b := newOrgB(t, e)
		var bAudit api.List[api.AuditEvent]
		if got, raw := e.do(b.token, "GET", "/api/v1/audit?limit=1", nil, &bAudit); got != 200 {
			t.Fatalf("B audit: %d %s", got, raw)
		}

		doc, _ := loadOpenAPI(t)
		covered := map[string]bool{}
		// noLeak fails when an answer holds one of B's ids or names that the request did not
		// itself send (a 404 naming what was asked for tells nothing).
		noLeak := func(route, path string, body any, raw []byte) {
			t.Helper()
			sent, _ := json.Marshal(body)
			sent = append(sent, path...)
			for _, s := range b.secrets() {
				if strings.Contains(string(raw), s) && !strings.Contains(string(sent), s) && !strings.Contains(string(sent), url.PathEscape(s)) && !strings.Contains(string(sent), url.QueryEscape(s)) {
					t.Errorf("%s (%s) as A shows org B's %q: %s", route, path, s, raw)
				}
			}
		}
		expect := func(route string, want int, method, path string, body any) {
			t.Helper()
			covered[route] = true
			got, raw := e.do(e.token, method, path, body, nil)
			if got != want {
				t.Errorf("%s: A's %s %s = %d %s, want %d", route, method, path, got, raw, want)
			}
			noLeak(route, path, body, raw)
		}

		// Routes with a path parameter: B's object by id and by name → 404.
		params := map[string][]string{
			"cloud":   {b.cloud.ID, bCloud},
			"project": {b.projectID, bProject},
			"account": {b.accountID, bAccount},
			"user":    {b.userID, bUser},
			"group":   {b.groupID, bGroup},
			"grant":   {b.grantID},
			"token":   {b.tokenID, bToken},
			"run":     {b.runID},
			"action":  {bAction},
			"webhook": {b.webhookID},
			"rule":    {b.ruleID, bRule},
			"change":  {b.ruleChangeID},
		}
		bodies := map[string]any{
			"PATCH /api/v1/clouds/{cloud}":              api.RenameRequest{Name: "stolen"},
			"PATCH /api/v1/projects/{project}":          api.RenameRequest{Name: "stolen"},
			"PATCH /api/v1/webhooks/{webhook}":          api.UpdateWebhookRequest{Description: adminPtr("stolen")},
			"POST /api/v1/webhooks/{webhook}/redeliver": api.RedeliverRequest{Revision: 1},
			"PUT /api/v1/users/{user}/exemption":        api.ExemptUserRequest{Reason: "stolen"},
			"PATCH /api/v1/rules/{rule}":                api.RulePatchRequest{RulePatch: api.RulePatch{Role: adminPtr("owner")}, Fingerprint: "x"},
		}
		wildcard := regexp.MustCompile(`\{([^}]+)\}`)
		for route := range documentedRoutes(doc) {
			method, path, _ := strings.Cut(route, " ")
			m := wildcard.FindStringSubmatch(path)
			if m == nil || route == "PUT /api/v1/actions/{action}" { // a name free in A: below
				continue
			}
			values, ok := params[m[1]]
			if !ok {
				t.Errorf("%s: no org B value for {%s}", route, m[1])
				continue
			}
			for _, v := range values {
				expect(route, 404, method, strings.Replace(path, m[0], url.PathEscape(v), 1), bodies[route])
			}
		}

		// Lists and other reads without a path parameter: nothing of B.
		for _, route := range []string{"GET /api/v1/org", "GET /api/v1/org/settings", "GET /api/v1/tokens", "GET /api/v1/clouds",
			"GET /api/v1/projects", "GET /api/v1/service-accounts", "GET /api/v1/users", "GET /api/v1/groups",
			"GET /api/v1/grants", "GET /api/v1/access", "GET /api/v1/audit", "GET /api/v1/enforce/runs", "GET /api/v1/events", "GET /api/v1/actions", "GET /api/v1/webhooks",
			"GET /api/v1/exemptions", "GET /api/v1/enforce/drift", "GET /api/v1/rules", "GET /api/v1/rules/changes"} {
			_, path, _ := strings.Cut(route, " ")
			expect(route, 200, "GET", path, nil)
		}
		expect("POST /api/v1/enforce/preview", 200, "POST", "/api/v1/enforce/preview", nil)
		// B has a drift schedule, A none; A's own schedule leaves B's as it was.
		expect("GET /api/v1/enforce/schedule", 404, "GET", "/api/v1/enforce/schedule", nil)
		expect("PUT /api/v1/enforce/schedule", 200, "PUT", "/api/v1/enforce/schedule", api.SetDriftScheduleRequest{Every: "1h", AutoApply: true})
		expect("DELETE /api/v1/enforce/schedule", 200, "DELETE", "/api/v1/enforce/schedule", nil)
		var bSched api.DriftSchedule
		if got, raw := e.do(b.token, "GET", "/api/v1/enforce/schedule", nil, &bSched); got != 200 || bSched.Every != "24h0m0s" || bSched.AutoApply {
			t.Errorf("B's schedule after A set and deleted its own: %d %s", got, raw)
		}
		expect("GET /api/v1/access/rows", 200, "GET", "/api/v1/access/rows", nil)

		// Queries and bodies that name B's objects: 404 naming what was asked for.
		for _, q := range []string{"cloud=" + bCloud, "cloud=" + b.cloud.ID} {
			expect("GET /api/v1/projects", 404, "GET", "/api/v1/projects?"+q, nil)
		}
		for _, q := range []string{"principalType=user&principal=" + url.QueryEscape(bUser), "principalType=group&principal=" + b.groupID,
			"principalType=service_account&principal=" + bAccount, "resourceKind=cloud&resource=" + bCloud,
			"resourceKind=project&resource=" + b.projectID, "resourceKind=organization&resource=" + bOrg} {
			expect("GET /api/v1/grants", 404, "GET", "/api/v1/grants?"+q, nil)
		}
		expect("GET /api/v1/access/users/{user}/explain", 404, "GET",
			"/api/v1/access/users/alice@a.example/explain?resourceKind=cloud&resource="+bCloud, nil)
		var events api.List[api.AuditEvent]
		for _, target := range []string{"targetType=cloud&target=" + bCloud, "target=" + b.cloud.ID, "actor=" + bToken} {
			e.must(200, "GET", "/api/v1/audit?"+target, nil, &events)
			if events.Total != 0 {
				t.Errorf("A's audit?%s shows %d events of B", target, events.Total)
			}
		}
		expect("POST /api/v1/projects", 404, "POST", "/api/v1/projects", api.CreateProjectRequest{Name: "x", Cloud: bCloud})
		for _, route := range []string{"POST /api/v1/grants", "POST /api/v1/grants/revoke"} {
			_, path, _ := strings.Cut(route, " ")
			for _, req := range []api.GrantRequest{
				{Role: "owner", PrincipalType: "user", Principal: "alice@a.example", ResourceKind: "cloud", Resource: bCloud},
				{Role: "owner", PrincipalType: "user", Principal: "alice@a.example", ResourceKind: "project", Resource: b.projectID},
				{Role: "owner", PrincipalType: "user", Principal: "alice@a.example", ResourceKind: "organization", Resource: bOrg},
				{Role: "owner", PrincipalType: "user", Principal: bUser, ResourceKind: "cloud", Resource: "a-cloud"},
				{Role: "owner", PrincipalType: "group", Principal: bGroup, ResourceKind: "cloud", Resource: "a-cloud"},
				{Role: "owner", PrincipalType: "service_account", Principal: b.accountID, ResourceKind: "cloud", Resource: "a-cloud"},
				{Role: "owner", PrincipalType: "group", Principal: bGroup, ResourceKind: "project", Resource: bProject},
			} {
				expect(route, 404, "POST", path, req)
			}
		}

		// Changes to A alone: settings, apply, and names that B uses are free in A.
		expect("PATCH /api/v1/org/settings", 200, "PATCH", "/api/v1/org/settings", api.UpdateOrgSettingsRequest{GroupsOnly: adminPtr(true)})
		var bs api.OrgSettings
		e.do(b.token, "GET", "/api/v1/org/settings", nil, &bs)
		if bs.GroupsOnly {
			t.Error("A's settings change reached B")
		}
		var preview api.EnforcePreview
		e.must(200, "POST", "/api/v1/enforce/preview", nil, &preview)
		covered["POST /api/v1/enforce/apply"] = true
		if got, raw := e.do(e.token, "POST", "/api/v1/enforce/apply", api.EnforceApplyRequest{Fingerprint: preview.Plan.Fingerprint, AllowNoOwner: true}, nil); got >= 300 {
			t.Errorf("A's apply = %d %s", got, raw)
		} else {
			noLeak("POST /api/v1/enforce/apply", "", nil, raw)
		}
		expect("POST /api/v1/clouds", 201, "POST", "/api/v1/clouds", api.CreateCloudRequest{Name: bCloud})
		expect("POST /api/v1/service-accounts", 201, "POST", "/api/v1/service-accounts", api.CreateServiceAccountRequest{Name: bAccount})
		// A custom action named like B's is A's own: B's keeps its roles.
		expect("PUT /api/v1/actions/{action}", 201, "PUT", "/api/v1/actions/"+bAction, api.CustomAction{Project: "readonly"})
		var bActions api.List[api.CustomAction]
		e.do(b.token, "GET", "/api/v1/actions", nil, &bActions)
		if len(bActions.Items) != 1 || bActions.Items[0].Project != "owner" {
			t.Errorf("B's actions after A set one of the same name: %+v", bActions.Items)
		}
		expect("POST /api/v1/webhooks", 201, "POST", "/api/v1/webhooks", api.CreateWebhookRequest{URL: "https://a-hooks.example/"})
		// A rule named like B's, matching B's group's name, is A's own and binds nothing of B.
		rule := api.RuleChangeRequest{Add: &api.RuleInput{Name: bRule, Match: "displayName", Value: bGroup, ResourceKind: "organization", Role: "owner"}}
		var rpv api.RulePreview
		expect("POST /api/v1/rules/preview", 200, "POST", "/api/v1/rules/preview", rule)
		e.must(200, "POST", "/api/v1/rules/preview", rule, &rpv)
		if rpv.Preview.Summary.GroupsMatched != 0 {
			t.Errorf("A's rule preview matches B's group: %+v", rpv.Preview.Summary)
		}
		rule.Fingerprint = rpv.Preview.Fingerprint
		expect("POST /api/v1/rules", 201, "POST", "/api/v1/rules", rule)
		covered["POST /api/v1/tokens"] = true
		if got, raw := e.do(e.token, "POST", "/api/v1/tokens", api.CreateTokenRequest{Name: bToken, Scope: "admin"}, nil); got != 201 {
			t.Errorf("A's token named like B's = %d %s", got, raw)
		}

		for route := range documentedRoutes(doc) {
			if !covered[route] {
				t.Errorf("%s has no isolation case", route)
			}
		}
		// B is as it was: its objects, its grants and its audit log.
		var after api.List[api.AuditEvent]
		e.do(b.token, "GET", "/api/v1/audit?limit=1", nil, &after)
		if after.Total != bAudit.Total {
			t.Errorf("B's audit log went from %d to %d events", bAudit.Total, after.Total)
		}
		for _, path := range []string{"/api/v1/clouds/" + bCloud, "/api/v1/projects/" + bProject, "/api/v1/service-accounts/" + bAccount,
			"/api/v1/grants/" + b.grantID, "/api/v1/enforce/runs/" + b.runID} {
			if got, raw := e.do(b.token, "GET", path, nil, nil); got != http.StatusOK {
				t.Errorf("B's %s = %d %s after A's attempts", path, got, raw)
			}
		}
		var grants api.List[api.Grant]
		e.do(b.token, "GET", "/api/v1/grants", nil, &grants)
		if grants.Total != 4 { // three by hand, one by B's rule
			t.Errorf("B holds %d grants after A's attempts, want 4", grants.Total)
		}
	})
}

func adminPtr[T any](v T) *T { return &v }
