package adminapi_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/rolecall/rolecall/internal/api"
)

// POST /api/v1/grants with another role where the principal holds one: 409 with the
// existing grants in details.existing and nothing written; with replace: true, 201, one
// grant.change_role event, the replaced grants in the answer. The audit list reads as
// sentences and filters by action prefix and by the principal's plain name; explain marks the
// covered grant redundant.
func TestAdminGrantReplaceAndReadableAudit(t *testing.T) {
	adminBackends(t, func(t *testing.T, e *adminEnv) {
		seedDirectory(t, e.st, e.orgID, []string{"bob@example.com"}, nil, map[string][]string{"eng": {"bob@example.com"}})
		e.mutation(1, 201, "POST", "/api/v1/clouds", api.CreateCloudRequest{Name: "prod"}, nil)
		req := api.GrantRequest{Role: "owner", PrincipalType: "user", Principal: "bob@example.com", ResourceKind: "cloud", Resource: "prod"}
		var owner api.Grant
		e.mutation(1, 201, "POST", "/api/v1/grants", req, &owner)

		req.Role = "readonly"
		raw := e.mutation(0, 409, "POST", "/api/v1/grants", req, nil)
		var body struct {
			Status  int    `json:"status"`
			Code    string `json:"code"`
			Message string `json:"message"`
			Details struct {
				Existing []api.Grant `json:"existing"`
			} `json:"details"`
		}
		if err := json.Unmarshal(raw, &body); err != nil || body.Code != api.CodeConflict || len(body.Details.Existing) != 1 ||
			body.Details.Existing[0].ID != owner.ID || !strings.Contains(body.Message, "bob@example.com already holds owner on cloud prod (granted by bootstrap at ") {
			t.Fatalf("second role: %s", raw)
		}

		req.Replace = true
		var v api.Grant
		e.mutation(1, 201, "POST", "/api/v1/grants", req, &v)
		if v.Role != "readonly" || len(v.Replaced) != 1 || v.Replaced[0].Role != "owner" {
			t.Fatalf("replace answer: %+v", v)
		}

		// A group grant that gives more makes bob's direct readonly redundant.
		e.mutation(1, 201, "POST", "/api/v1/grants", api.GrantRequest{Role: "collaborator", PrincipalType: "group", Principal: "eng",
			ResourceKind: "cloud", Resource: "prod"}, nil)
		var ex api.Explanation
		e.must(200, "GET", "/api/v1/access/users/bob@example.com/explain?resourceKind=cloud&resource=prod", nil, &ex)
		if len(ex.Resources) != 1 || len(ex.Resources[0].Sources) != 2 || ex.Resources[0].Sources[0].Redundant ||
			!ex.Resources[0].Sources[1].Redundant || ex.Resources[0].Sources[1].CoveredBy != "group eng (collaborator)" {
			t.Errorf("explain: %+v", ex)
		}

		var l api.List[api.AuditEvent]
		e.must(200, "GET", "/api/v1/audit?target=bob%40example.com&action=grant.", nil, &l)
		var got []string
		for _, ev := range l.Items {
			got = append(got, ev.Summary+" | "+ev.Target)
		}
		want := []string{
			"bootstrap changed bob@example.com's role on prod from owner to readonly | grant readonly on prod to bob@example.com",
			"bootstrap granted owner on prod to bob@example.com | grant owner on prod to bob@example.com",
		}
		if strings.Join(got, "\n") != strings.Join(want, "\n") {
			t.Errorf("bob's grant events:\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
		}
		if l.Items[0].SubjectName != "bob@example.com" || l.Items[0].SubjectType != "user" || l.Items[0].TargetName == "" {
			t.Errorf("event JSON: %+v", l.Items[0])
		}
		e.must(400, "GET", "/api/v1/audit?action=,", nil, nil)
	})
}
