package adminapi_test

import (
	"context"
	"net/http"
	"testing"

	"github.com/rolecall/rolecall/internal/access"
	"github.com/rolecall/rolecall/internal/api"
	"github.com/rolecall/rolecall/internal/audit"
	"github.com/rolecall/rolecall/internal/auth"
	"github.com/rolecall/rolecall/internal/enforce"
	"github.com/rolecall/rolecall/internal/service"
	"github.com/rolecall/rolecall/internal/store"
)

// seedEnforce seeds s into the env's org through the store.
func seedEnforce(t *testing.T, e *adminEnv, s *access.State) map[string]string {
	t.Helper()
	ids, err := service.Seed(audit.WithActor(context.Background(), audit.Actor{Name: "seed"}), e.st, e.orgID, s, 0)
	if err != nil {
		t.Fatal(err)
	}
	return ids
}

// TestEnforceAPI walks the enforce-groups routes: preview (no write), apply's refusals (no
// fingerprint, unknown field, stale fingerprint), apply (one event, 201 + Location), the
// run documents, undo (one event) and the refused second undo.
func TestEnforceAPI(t *testing.T) {
	adminBackends(t, func(t *testing.T, e *adminEnv) {
		seedEnforce(t, e, enforce.ReferenceState())
		var pv api.EnforcePreview
		e.mutation(0, http.StatusOK, "POST", "/api/v1/enforce/preview", nil, &pv)
		if pv.Org != auth.DefaultOrg || len(pv.Plan.Users) != 2 || len(pv.Plan.RemovedUsers) != 1 || pv.Plan.Fingerprint == "" {
			t.Fatalf("preview = %+v", pv)
		}

		refusals := []struct {
			body any
			code string
			want int
		}{
			{map[string]any{}, api.CodeBadRequest, http.StatusBadRequest},
			{map[string]any{"fingerprint": pv.Plan.Fingerprint, "allowNoOwners": true}, api.CodeBadRequest, http.StatusBadRequest},
			{api.EnforceApplyRequest{Fingerprint: "0123abcd"}, api.CodeStalePlan, http.StatusConflict},
		}
		for _, r := range refusals {
			raw := e.mutation(0, r.want, "POST", "/api/v1/enforce/apply", r.body, nil)
			if ae := apiError(t, raw); ae.Code != r.code {
				t.Errorf("apply %v: code %q (%s), want %q", r.body, ae.Code, ae.Message, r.code)
			}
		}

		var res api.EnforceApplyResult
		before := e.auditCount()
		status, raw := e.do(e.token, "POST", "/api/v1/enforce/apply", api.EnforceApplyRequest{Fingerprint: pv.Plan.Fingerprint}, &res)
		if status != http.StatusCreated || !res.Applied || res.RunID == "" || res.Run == nil || res.Run.DeletedBindings != 6 {
			t.Fatalf("apply = %d %s", status, raw)
		}
		if n := e.auditCount() - before; n != 1 {
			t.Errorf("apply wrote %d audit events, want 1", n)
		}

		var again api.EnforcePreview
		e.must(http.StatusOK, "POST", "/api/v1/enforce/preview", nil, &again)
		if !again.Plan.Empty() {
			t.Errorf("preview after apply: %+v", again.Plan)
		}
		var empty api.EnforceApplyResult
		e.mutation(0, http.StatusOK, "POST", "/api/v1/enforce/apply", api.EnforceApplyRequest{Fingerprint: again.Plan.Fingerprint}, &empty)
		if empty.Applied || empty.Run != nil {
			t.Errorf("apply of an empty plan = %+v", empty)
		}

		var runs api.List[api.EnforceRun]
		e.must(http.StatusOK, "GET", "/api/v1/enforce/runs", nil, &runs)
		if runs.Total != 1 || len(runs.Items) != 1 || runs.Items[0].ID != res.RunID || runs.Items[0].Plan != nil {
			t.Errorf("runs = %+v", runs)
		}
		var run api.EnforceRun
		e.must(http.StatusOK, "GET", "/api/v1/enforce/runs/"+res.RunID, nil, &run)
		if run.Plan == nil || run.Plan.Fingerprint != pv.Plan.Fingerprint || run.Actor != "bootstrap" {
			t.Errorf("run = %+v", run)
		}
		e.must(http.StatusNotFound, "GET", "/api/v1/enforce/runs/nope", nil, nil)
		e.must(http.StatusBadRequest, "GET", "/api/v1/enforce/runs?limit=x", nil, nil)

		var undo api.EnforceUndoResult
		e.mutation(1, http.StatusOK, "POST", "/api/v1/enforce/runs/"+res.RunID+"/undo", nil, &undo)
		if undo.RestoredBindings != 6 || undo.RestoredUsers != 1 || undo.RunID != res.RunID {
			t.Errorf("undo = %+v", undo)
		}
		raw = e.mutation(0, http.StatusConflict, "POST", "/api/v1/enforce/runs/"+res.RunID+"/undo", nil, nil)
		if ae := apiError(t, raw); ae.Code != api.CodeAlreadyUndone {
			t.Errorf("second undo: %+v", ae)
		}
		e.must(http.StatusNotFound, "POST", "/api/v1/enforce/runs/nope/undo", nil, nil)
	})
}

func TestEnforceAPINoOwner(t *testing.T) {
	adminBackends(t, func(t *testing.T, e *adminEnv) {
		s := enforce.ReferenceState()
		for i := range s.Groups {
			if s.Groups[i].DisplayName == "org-admins" {
				s.Groups[i].Active = false
			}
		}
		seedEnforce(t, e, s)
		var pv api.EnforcePreview
		e.must(http.StatusOK, "POST", "/api/v1/enforce/preview", nil, &pv)
		raw := e.mutation(0, http.StatusConflict, "POST", "/api/v1/enforce/apply", api.EnforceApplyRequest{Fingerprint: pv.Plan.Fingerprint}, nil)
		if ae := apiError(t, raw); ae.Code != api.CodeNoOwner {
			t.Fatalf("apply without owner: %+v", ae)
		}
		var res api.EnforceApplyResult
		e.mutation(1, http.StatusCreated, "POST", "/api/v1/enforce/apply",
			api.EnforceApplyRequest{Fingerprint: pv.Plan.Fingerprint, AllowNoOwner: true, EnableGroupsOnly: true}, &res)
		if !res.Applied || !res.GroupsOnly || res.Plan.OwnerAfter {
			t.Errorf("apply with allowNoOwner = %+v", res)
		}
		var set store.OrgSettings
		if err := e.st.View(context.Background(), func(tx store.Tx) (err error) {
			set, err = tx.Settings(context.Background(), e.orgID)
			return err
		}); err != nil || !set.GroupsOnly {
			t.Errorf("settings after apply: %+v, %v", set, err)
		}
	})
}
