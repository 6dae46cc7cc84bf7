package console_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/rolecall/rolecall/internal/audit"
	"github.com/rolecall/rolecall/internal/store"
)

func TestUIApplyWrongOrgName(t *testing.T) {
	e := newUIEnv(t)
	csrf := e.mustSignIn()
	fp := e.field(fingerprintField, e.get("/ui/enforce").body)
	for _, typed := range []string{"", "Example-Org", "example-org ", "default"} {
		r := e.post("/ui/enforce/apply", url.Values{"csrf": {csrf}, "fingerprint": {fp}, "confirm": {typed}})
		if r.status != http.StatusUnprocessableEntity || !strings.Contains(r.body, "Nothing was applied") || !strings.Contains(r.body, "example-org") {
			t.Errorf("typed %q: apply = %d\n%s", typed, r.status, r.body)
		}
	}
	if n := e.runs(); n != 0 {
		t.Fatalf("%d runs after refused applies", n)
	}
}

func TestUIApplyStaleFingerprint(t *testing.T) {
	e := newUIEnv(t)
	csrf := e.mustSignIn()
	fp := e.field(fingerprintField, e.get("/ui/enforce").body)
	// The org moves after the preview: admin@example.com gets a direct grant.
	ctx := audit.WithActor(context.Background(), audit.Actor{Name: "someone-else"})
	if err := e.st.Update(ctx, func(tx store.Tx) error {
		_, _, err := tx.CreateBinding(ctx, store.Binding{OrgID: e.orgID, ResourceID: e.ids["cloud-dev"],
			PrincipalType: store.PrincipalUser, PrincipalID: e.ids["user-admin"], Role: "readonly"})
		return err
	}); err != nil {
		t.Fatal(err)
	}
	r := e.post("/ui/enforce/apply", url.Values{"csrf": {csrf}, "fingerprint": {fp}, "confirm": {uiTestOrg}})
	if r.status != http.StatusConflict || !strings.Contains(r.body, "changed since your preview") {
		t.Fatalf("stale apply = %d\n%s", r.status, r.body)
	}
	if fresh := e.field(fingerprintField, r.body); fresh == fp {
		t.Fatal("the 409 page must carry the new preview's fingerprint")
	}
	if !strings.Contains(r.body, `<span class="n">7</span> direct user grants deleted`) {
		t.Error("the fresh preview does not count the new direct grant")
	}
	if n := e.runs(); n != 0 {
		t.Fatalf("%d runs after a stale apply", n)
	}
}

func TestUIApplyAndUndo(t *testing.T) {
	e := newUIEnv(t)
	csrf := e.mustSignIn()
	fp := e.field(fingerprintField, e.get("/ui/enforce").body)
	r := e.post("/ui/enforce/apply", url.Values{"csrf": {csrf}, "fingerprint": {fp}, "confirm": {uiTestOrg}})
	if r.status != http.StatusSeeOther || !strings.HasPrefix(r.location(), "/ui/enforce/runs/") {
		t.Fatalf("apply = %d %q\n%s", r.status, r.location(), r.body)
	}
	runPath, _, _ := strings.Cut(r.location(), "?")
	runID := strings.TrimPrefix(runPath, "/ui/enforce/runs/")
	page := e.get(r.location())
	for _, w := range []string{"Applied. Run " + runID, "orphan-user@example.com", "Undo…"} {
		if !strings.Contains(page.body, w) {
			t.Errorf("run page lacks %q", w)
		}
	}
	// Same transaction and audit event as the API, with the token's name as the actor.
	var events []store.AuditEvent
	err := e.st.View(context.Background(), func(tx store.Tx) (err error) {
		events, _, err = tx.ListAudit(context.Background(), e.orgID, store.AuditQuery{Action: "enforce.apply", Page: store.Page{Limit: 10}})
		return err
	})
	if err != nil || len(events) != 1 || events[0].Actor != uiTestTokenName || events[0].TargetID != runID {
		t.Fatalf("audit after apply: %+v %v", events, err)
	}
	if want := uiTestTokenName + " removed 1 user and 6 grants (enforce run " + runID + ")"; events[0].Summary != want {
		t.Errorf("enforce.apply summary %q, want %q", events[0].Summary, want)
	}
	if r := e.get("/ui/users?status=removed"); !strings.Contains(r.body, "orphan-user@example.com") {
		t.Error("the removed filter does not list the removed user")
	}
	if r := e.get("/ui/enforce"); !strings.Contains(r.body, "nothing to change") || !strings.Contains(r.body, runID) {
		t.Error("after apply the enforce page should say nothing is left and list the run")
	}

	confirm := e.get(runPath + "/undo")
	if confirm.status != http.StatusOK || !strings.Contains(confirm.body, "Yes, undo run") {
		t.Fatalf("undo confirmation = %d", confirm.status)
	}
	if r := e.post(runPath+"/undo", url.Values{}); r.status != http.StatusForbidden {
		t.Fatalf("undo without CSRF = %d", r.status)
	}
	r = e.post(runPath+"/undo", url.Values{"csrf": {csrf}})
	if r.status != http.StatusSeeOther || r.location() != runPath+"?result=undone" {
		t.Fatalf("undo = %d %q", r.status, r.location())
	}
	page = e.get(r.location())
	for _, w := range []string{"Undo result", "grants restored", "restored", "orphan-user@example.com", "undone"} {
		if !strings.Contains(page.body, w) {
			t.Errorf("undone run page lacks %q", w)
		}
	}
	if r := e.post(runPath+"/undo", url.Values{"csrf": {csrf}}); r.status != http.StatusConflict || !strings.Contains(r.body, "already undone") {
		t.Errorf("second undo = %d", r.status)
	}
	if r := e.get(runPath + "/undo"); r.status != http.StatusSeeOther {
		t.Errorf("undo confirmation of an undone run = %d, want a redirect to the run", r.status)
	}
}

func TestUIApplyNoOwner(t *testing.T) {
	e := newUIEnv(t)
	csrf := e.mustSignIn()
	// Without org-admins' owner grant no owner would remain after apply.
	ctx := audit.WithActor(context.Background(), audit.Actor{Name: "test"})
	if err := e.st.Update(ctx, func(tx store.Tx) error {
		b, err := tx.FindBinding(ctx, e.orgID, e.ids["org-example"], store.PrincipalGroup, e.ids["group-org-admins"], "owner")
		if err != nil {
			return err
		}
		_, err = tx.DeleteBinding(ctx, e.orgID, b.ID)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	page := e.get("/ui/enforce")
	if !strings.Contains(page.body, `name="allowNoOwner"`) {
		t.Fatal("the apply form lacks the allow-no-owner choice")
	}
	fp := e.field(fingerprintField, page.body)
	r := e.post("/ui/enforce/apply", url.Values{"csrf": {csrf}, "fingerprint": {fp}, "confirm": {uiTestOrg}})
	if r.status != http.StatusConflict || !strings.Contains(r.body, "no user or service account would be an owner") {
		t.Fatalf("apply leaving no owner = %d\n%s", r.status, r.body)
	}
	if e.runs() != 0 {
		t.Fatal("a refused apply recorded a run")
	}
	r = e.post("/ui/enforce/apply", url.Values{"csrf": {csrf}, "fingerprint": {fp}, "confirm": {uiTestOrg}, "allowNoOwner": {"on"}})
	if r.status != http.StatusSeeOther || e.runs() != 1 {
		t.Fatalf("apply allowing no owner = %d, runs %d", r.status, e.runs())
	}
}
