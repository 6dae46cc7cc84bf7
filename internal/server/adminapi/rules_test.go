package adminapi_test

import (
	"net/http"
	"net/url"
	"testing"

	"github.com/rolecall/rolecall/internal/api"
	"github.com/rolecall/rolecall/internal/store"
)

// TestRulesAPI walks the group-rule routes on both backends: preview (no write), apply's
// refusals (no fingerprint, stale fingerprint, invalid rule), apply (201), the list, DELETE
// with dryRun then with the fingerprint, the changes and undo.
func TestRulesAPI(t *testing.T) {
	adminBackends(t, func(t *testing.T, e *adminEnv) {
		e.must(http.StatusCreated, "POST", "/api/v1/clouds", api.CreateCloudRequest{Name: "prod"}, nil)
		if err := e.st.Update(t.Context(), func(tx store.Tx) error {
			_, err := tx.CreateGroup(t.Context(), store.Group{OrgID: e.orgID, DisplayName: "eng-prod", Active: true, Doc: []byte(`{}`)})
			return err
		}); err != nil {
			t.Fatal(err)
		}
		add := api.RuleChangeRequest{Add: &api.RuleInput{Name: "eng clouds", Match: "pattern", Value: `^eng-(?P<cloud>.+)$`, Role: "readonly"}}
		var pv api.RulePreview
		e.must(http.StatusOK, "POST", "/api/v1/rules/preview", add, &pv)
		if pv.Preview.Summary.BindingsAdded != 1 || pv.Preview.Fingerprint == "" || len(pv.Rules) != 1 {
			t.Fatalf("preview = %+v", pv)
		}
		for _, r := range []struct {
			fp   string
			want int
			code string
		}{{"", http.StatusBadRequest, api.CodeBadRequest}, {"0123abcd", http.StatusConflict, api.CodeStalePlan}} {
			req := add
			req.Fingerprint = r.fp
			raw := e.must(r.want, "POST", "/api/v1/rules", req, nil)
			if ae := apiError(t, raw); ae.Code != r.code {
				t.Errorf("apply with fingerprint %q: code %q (%s), want %q", r.fp, ae.Code, ae.Message, r.code)
			}
		}
		bad := api.RuleChangeRequest{Add: &api.RuleInput{Name: "bad", Match: "pattern", Value: "^x-(?P<projet>.+)$", Role: "owner"}}
		if ae := apiError(t, e.must(http.StatusBadRequest, "POST", "/api/v1/rules/preview", bad, nil)); ae.Code != api.CodeBadRequest {
			t.Errorf("invalid rule: %+v", ae)
		}

		add.Fingerprint = pv.Preview.Fingerprint
		var res api.RuleApplyResult
		e.must(http.StatusCreated, "POST", "/api/v1/rules", add, &res)
		if !res.Applied || res.Change == nil || res.Change.BindingsAdded != 1 {
			t.Fatalf("apply = %+v", res)
		}
		var rules api.List[api.Rule]
		e.must(http.StatusOK, "GET", "/api/v1/rules", nil, &rules)
		if rules.Total != 1 || rules.Items[0].Name != "eng clouds" || rules.Items[0].Description == "" {
			t.Fatalf("rules = %+v", rules)
		}
		var grants api.List[api.Grant]
		e.must(http.StatusOK, "GET", "/api/v1/grants?principalType=group&principal=eng-prod", nil, &grants)
		if grants.Total != 1 || grants.Items[0].RuleName != "eng clouds" {
			t.Fatalf("grants of eng-prod = %+v", grants)
		}

		path := "/api/v1/rules/" + url.PathEscape("eng clouds")
		var dry api.RulePreview
		e.must(http.StatusOK, "DELETE", path+"?dryRun=true", nil, &dry)
		if dry.Preview.Summary.BindingsRemoved != 1 || dry.Preview.Summary.RulesRemoved != 1 {
			t.Fatalf("delete dry run = %+v", dry.Preview.Summary)
		}
		e.must(http.StatusOK, "GET", "/api/v1/rules", nil, &rules)
		if rules.Total != 1 {
			t.Fatalf("a dry run deleted the rule: %+v", rules)
		}
		var del api.RuleApplyResult
		e.must(http.StatusCreated, "DELETE", path+"?fingerprint="+dry.Preview.Fingerprint, nil, &del)
		e.must(http.StatusOK, "GET", "/api/v1/grants?principalType=group&principal=eng-prod", nil, &grants)
		if grants.Total != 0 {
			t.Fatalf("grants after delete = %+v", grants)
		}
		var changes api.List[api.RuleChange]
		e.must(http.StatusOK, "GET", "/api/v1/rules/changes", nil, &changes)
		if changes.Total != 2 || changes.Items[0].ID != del.Change.ID {
			t.Fatalf("changes = %+v", changes)
		}
		e.must(http.StatusOK, "POST", "/api/v1/rules/changes/"+del.Change.ID+"/undo", nil, nil)
		e.must(http.StatusConflict, "POST", "/api/v1/rules/changes/"+del.Change.ID+"/undo", nil, nil)
		e.must(http.StatusOK, "GET", "/api/v1/grants?principalType=group&principal=eng-prod", nil, &grants)
		if grants.Total != 1 || grants.Items[0].RuleName != "eng clouds" {
			t.Fatalf("grants after undo = %+v", grants)
		}
		// A manual revoke of the rule-made grant is refused, naming the rule.
		raw := e.must(http.StatusConflict, "DELETE", "/api/v1/grants/"+grants.Items[0].ID, nil, nil)
		if ae := apiError(t, raw); ae.Code != api.CodeConflict {
			t.Errorf("manual revoke: %+v", ae)
		}
	})
}
