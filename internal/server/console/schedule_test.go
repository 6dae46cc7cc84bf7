package console_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/rolecall/rolecall/internal/api"
	"github.com/rolecall/rolecall/internal/audit"
	"github.com/rolecall/rolecall/internal/service"
	"github.com/rolecall/rolecall/internal/service/enforcegroups"
	"github.com/rolecall/rolecall/internal/store"
)

const schedulePage = "/ui/enforce/schedule"

// schedule reads the org's drift schedule from the store; ok is false when it has none.
func (e *uiEnv) schedule() (sc store.DriftSchedule, ok bool) {
	e.t.Helper()
	ctx := context.Background()
	err := e.st.View(ctx, func(tx store.Tx) (err error) { sc, err = tx.DriftSchedule(ctx, e.orgID); return err })
	if errors.Is(err, store.ErrNotFound) {
		return sc, false
	}
	if err != nil {
		e.t.Fatal(err)
	}
	return sc, true
}

// auditCount counts the org's audit events with action.
func (e *uiEnv) auditCount(action string) int {
	e.t.Helper()
	ctx := context.Background()
	var n int
	err := e.st.View(ctx, func(tx store.Tx) (err error) {
		_, n, err = tx.ListAudit(ctx, e.orgID, store.AuditQuery{Action: action, Page: store.Page{Limit: 1}})
		return err
	})
	if err != nil {
		e.t.Fatal(err)
	}
	return n
}

// scheduleForm is a filled schedule form.
func scheduleForm(csrf, every string, autoApply bool, maxRemoved, maxDeleted string) url.Values {
	f := url.Values{"csrf": {csrf}, "every": {every}, "maxUsersRemoved": {maxRemoved}, "maxBindingsDeleted": {maxDeleted}}
	if autoApply {
		f.Set("autoApply", "on")
	}
	return f
}

func containsAll(t *testing.T, what, body string, wants ...string) {
	t.Helper()
	for _, w := range wants {
		if !strings.Contains(body, w) {
			t.Errorf("%s lacks %q:\n%s", what, w, body)
		}
	}
}

// TestUISchedule: from the console an admin sets the drift schedule, changes it (auto-apply
// with limits) and turns it off, each one audited transaction by the console user; bad input
// shows the service's refusal with the form as typed and writes nothing; the page shows the
// next due time and the last run's outcome; a form without the CSRF token and a browser that
// is not signed in with an admin token change nothing. On SQLite and PostgreSQL.
func TestUISchedule(t *testing.T) {
	eachUIEnv(t, func(t *testing.T, e *uiEnv) {
		csrf := e.mustSignIn()
		containsAll(t, "enforce page", e.get("/ui/enforce").body, "No drift schedule", `href="/ui/enforce/schedule"`, "Set a drift schedule…")
		page := e.get(schedulePage)
		if page.status != http.StatusOK {
			t.Fatalf("GET %s = %d", schedulePage, page.status)
		}
		containsAll(t, "schedule page without one", page.body, "No drift schedule: nothing runs by itself", `name="every" type="text"`,
			`value="24h"`, "An interval from 1m to 366d", "applies enforce-groups without asking anyone", "Set the schedule")
		if strings.Contains(page.body, "Turn the schedule off") {
			t.Error("the page offers to turn off a schedule that does not exist")
		}

		// Without the form's CSRF token nothing is written.
		if r := e.post(schedulePage, scheduleForm("", "24h", false, "0", "0")); r.status != http.StatusForbidden {
			t.Errorf("POST without the CSRF token = %d, want 403", r.status)
		}

		// Bad input: the refusal on the page, the form as typed, nothing written.
		bad := []struct {
			name       string
			form       url.Values
			want, kept string
		}{
			{"too short", scheduleForm(csrf, "30s", true, "3", "7"), "use 1m to 366d", `value="30s"`},
			{"too long", scheduleForm(csrf, "400d", false, "0", "0"), "use 1m to 366d", `value="400d"`},
			{"unparseable", scheduleForm(csrf, "every day", false, "0", "0"), "“Run every”: &#34;every day&#34; is not a duration: use e.g. 24h, 90m or 7d", `value="every day"`},
			{"empty", scheduleForm(csrf, " ", false, "0", "0"), "give the interval: “Run every”, e.g. 24h (at least 1m)", `value=""`},
			{"negative", scheduleForm(csrf, "12h", true, "-1", "5"), "the limits (“Most users removed”, “Most direct grants deleted”) cannot be negative", `value="-1"`},
			{"not a number", scheduleForm(csrf, "12h", true, "2", "lots"), "“Most direct grants deleted” must be a whole number, 0 or more (you typed “lots”)", `value="lots"`},
		}
		for _, b := range bad {
			r := e.post(schedulePage, b.form)
			if r.status != http.StatusBadRequest {
				t.Errorf("%s: POST = %d, want 400", b.name, r.status)
			}
			containsAll(t, b.name+": page", r.body, `<div class="banner error" role="alert">Nothing was changed: `, b.want, b.kept)
			if b.form.Get("autoApply") == "on" && !strings.Contains(r.body, `id="autoApply" name="autoApply" type="checkbox" checked`) {
				t.Errorf("%s: the auto-apply box was not kept ticked", b.name)
			}
			if _, ok := e.schedule(); ok {
				t.Fatalf("%s: a refused form wrote a schedule", b.name)
			}
		}
		if n := e.auditCount(audit.ActionScheduleSet); n != 0 {
			t.Fatalf("%d %s audit events after refused forms, want 0", n, audit.ActionScheduleSet)
		}

		// Set: reports only.
		r := e.post(schedulePage, scheduleForm(csrf, "24h", false, "", ""))
		e.followFlash(r, schedulePage, "Drift schedule set: every 24h, reports drift only. The next run is due ")
		sc, ok := e.schedule()
		if !ok || sc.Every != 24*time.Hour || sc.AutoApply || sc.MaxUsersRemoved != 0 || sc.MaxBindingsDeleted != 0 || sc.UpdatedBy != uiTestTokenName {
			t.Fatalf("stored schedule after set = %+v (found %v)", sc, ok)
		}
		if d := time.Until(sc.NextRunAt); d < 23*time.Hour || d > 25*time.Hour {
			t.Errorf("next run due in %s, want about 24h", d)
		}
		if ev := e.lastAudit(audit.ActionScheduleSet); ev.Actor != uiTestTokenName || ev.Summary != uiTestTokenName+" set the drift schedule: every 24h0m0s, reporting only" {
			t.Errorf("set audited as %+v", ev)
		}
		page = e.get(schedulePage)
		containsAll(t, "schedule page after set", page.body, "<dt>Runs every</dt><dd>24h</dd>", "<dd>reports drift only</dd>",
			"<dt>Next run due</dt><dd>"+sc.NextRunAt.UTC().Format("2006-01-02 15:04:05 UTC")+"</dd>", "<dt>Last run</dt><dd>not run yet</dd>",
			"by "+uiTestTokenName, "Change the schedule", "Save the schedule", "Turn the schedule off")

		// Auto-apply with both limits at 0 is accepted, and the page says it can never apply.
		r = e.post(schedulePage, scheduleForm(csrf, "24h", true, "0", "0"))
		e.followFlash(r, schedulePage, "Drift schedule set: every 24h, auto-apply is on, but with both limits at 0 no run can change anything, so it reports only")

		// Change: auto-apply within limits.
		r = e.post(schedulePage, scheduleForm(csrf, "7d", true, "2", "10"))
		e.followFlash(r, schedulePage, "Drift schedule set: every 7d, applies enforce-groups without asking when it removes at most 2 users and deletes at most 10 direct grants")
		sc, ok = e.schedule()
		if !ok || sc.Every != 7*24*time.Hour || !sc.AutoApply || sc.MaxUsersRemoved != 2 || sc.MaxBindingsDeleted != 10 {
			t.Fatalf("stored schedule after change = %+v (found %v)", sc, ok)
		}
		if n := e.auditCount(audit.ActionScheduleSet); n != 3 {
			t.Errorf("%d %s audit events after set and two changes, want 3", n, audit.ActionScheduleSet)
		}
		page = e.get(schedulePage)
		containsAll(t, "schedule page after change", page.body, `value="7d"`, `type="checkbox" checked`, `id="maxUsersRemoved" name="maxUsersRemoved" type="number" min="0" step="1" inputmode="numeric" value="2"`, `value="10"`)
		containsAll(t, "enforce page after change", e.get("/ui/enforce").body,
			"Drift schedule: every 7d, applies enforce-groups without asking when it removes at most 2 users and deletes at most 10 direct grants", "Change or turn off the schedule…")

		// A refused change leaves the schedule as it was.
		r = e.post(schedulePage, scheduleForm(csrf, "0m", false, "0", "0"))
		containsAll(t, "refused change", r.body, "use 1m to 366d", `value="0m"`)
		if after, _ := e.schedule(); after.Every != sc.Every || !after.AutoApply || after.MaxUsersRemoved != 2 || !after.UpdatedAt.Equal(sc.UpdatedAt) {
			t.Fatalf("a refused change wrote the schedule: %+v, was %+v", after, sc)
		}

		// The last run's outcome: a run due at once (reports only) is shown on both pages.
		svc := enforcegroups.New(e.st)
		ctx := audit.WithActor(context.Background(), audit.Actor{Name: "test-setup"})
		if _, err := svc.SetSchedule(ctx, e.orgID, api.SetDriftScheduleRequest{Every: "36h", FirstRunIn: "0s"}); err != nil {
			t.Fatal(err)
		}
		ran, err := svc.RunDue(ctx, "console-test")
		if err != nil || ran[e.orgID].RanAt.IsZero() {
			t.Fatalf("RunDue = %+v, %v", ran, err)
		}
		page = e.get(schedulePage)
		containsAll(t, "schedule page after a run", page.body, "<dt>Runs every</dt><dd>36h</dd>",
			"<dt>Last run</dt><dd>"+ran[e.orgID].RanAt.UTC().Format("2006-01-02 15:04:05 UTC")+": reported only — auto-apply is off: reported only (drift found:")
		containsAll(t, "enforce page after a run", e.get("/ui/enforce").body, "reported only (auto-apply is off: reported only)")

		// Turn it off, then again: nothing to turn off.
		r = e.post(schedulePage+"/off", url.Values{"csrf": {csrf}})
		e.followFlash(r, schedulePage, "Drift schedule turned off (it ran every 36h).")
		if _, ok := e.schedule(); ok {
			t.Fatal("the schedule is still stored after turning it off")
		}
		if ev := e.lastAudit(audit.ActionScheduleDelete); ev.Actor != uiTestTokenName || ev.Summary != uiTestTokenName+" turned the drift schedule off" {
			t.Errorf("turning off audited as %+v", ev)
		}
		containsAll(t, "schedule page after off", e.get(schedulePage).body, "No drift schedule: nothing runs by itself")
		r = e.post(schedulePage+"/off", url.Values{"csrf": {csrf}})
		e.followFlash(r, schedulePage, "Nothing was changed: this organization has no drift schedule to turn off.")
		if n := e.auditCount(audit.ActionScheduleDelete); n != 1 {
			t.Errorf("%d %s audit events, want 1", n, audit.ActionScheduleDelete)
		}

		// Tokens that are not admin tokens cannot sign in, so their browser cannot post the
		// form: it is sent to sign in and nothing is written.
		for _, scope := range []store.Scope{store.ScopeSCIM, store.ScopeEvents, store.ScopeDecision} {
			secret := "rc_ui_" + string(scope) + "_token_0123456789abcdef"
			if _, err := service.New(e.st).CreateToken(ctx, e.orgID, api.CreateTokenRequest{Name: "not-admin-" + string(scope), Scope: string(scope)}, secret); err != nil {
				t.Fatal(err)
			}
			other := e.stranger()
			if r := other.signIn(secret); r.status != http.StatusForbidden {
				t.Errorf("%s token sign-in = %d, want 403", scope, r.status)
			}
			r := other.post(schedulePage, scheduleForm(csrf, "1h", true, "100", "100"))
			if r.status != http.StatusSeeOther || !strings.HasPrefix(r.location(), "/ui/signin") {
				t.Errorf("%s token's POST = %d → %q, want 303 to sign in", scope, r.status, r.location())
			}
			if r := other.get(schedulePage); r.status != http.StatusSeeOther || !strings.HasPrefix(r.location(), "/ui/signin") {
				t.Errorf("%s token's GET = %d → %q, want 303 to sign in", scope, r.status, r.location())
			}
		}
		if _, ok := e.schedule(); ok {
			t.Fatal("a browser without an admin session wrote a schedule")
		}
		if n := e.auditCount(audit.ActionScheduleSet); n != 4 {
			t.Errorf("%d %s audit events, want 4 (set and two changes here, one by the test's service call)", n, audit.ActionScheduleSet)
		}
	})
}

// stranger is another browser on the same server: its own cookie jar, signed in as nobody.
func (e *uiEnv) stranger() *uiEnv {
	jar, _ := cookiejar.New(nil)
	o := *e
	o.client = &http.Client{Jar: jar, CheckRedirect: e.client.CheckRedirect}
	return &o
}
