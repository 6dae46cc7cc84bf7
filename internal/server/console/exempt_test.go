package console_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/rolecall/rolecall/internal/api"
	"github.com/rolecall/rolecall/internal/audit"
	"github.com/rolecall/rolecall/internal/service/enforcegroups"
)

// TestUIExemption: the user page marks and lifts an exemption (a reason required, CSRF
// checked, audited as the console user), the badge shows on the page and in the users list,
// the settings page lists exempt users and sets the limit, and the enforce page shows the
// drift section and the user among the exempt.
func TestUIExemption(t *testing.T) {
	e := newUIEnv(t)
	csrf := e.mustSignIn()
	page := "/ui/users/user1@example.com"

	if r := e.post(page+"/exempt", url.Values{"reason": {"x"}}); r.status != http.StatusForbidden {
		t.Errorf("exempt without the CSRF token = %d, want 403", r.status)
	}
	r := e.post(page+"/exempt", url.Values{"csrf": {csrf}, "reason": {"  "}})
	e.followFlash(r, page, "give a reason")
	r = e.post(page+"/exempt", url.Values{"csrf": {csrf}, "reason": {"on-call break-glass"}})
	e.followFlash(r, page, "user1@example.com is exempt from enforce-groups")
	if ev := e.lastAudit(audit.ActionUserExempted); ev.Actor != uiTestTokenName {
		t.Errorf("exemption audited as %+v", ev)
	}
	body := e.get(page).body
	for _, want := range []string{`<span class="badge exempt"`, "Reason: on-call break-glass", "Remove the exemption"} {
		if !strings.Contains(body, want) {
			t.Errorf("user page lacks %q", want)
		}
	}
	if list := e.get("/ui/users").body; strings.Count(list, `class="badge exempt"`) != 1 {
		t.Errorf("users list shows %d exempt badges, want 1", strings.Count(list, `class="badge exempt"`))
	}
	enforcePage := e.get("/ui/enforce").body
	for _, want := range []string{`<section class="drift"`, "No run applied yet", `<table class="exempt-users">`, "Exempt (kept as they are) (1)", "No drift schedule"} {
		if !strings.Contains(enforcePage, want) {
			t.Errorf("enforce page lacks %q", want)
		}
	}

	// With a schedule, the drift section says what it does.
	if _, err := enforcegroups.New(e.st).SetSchedule(context.Background(), e.orgID, api.SetDriftScheduleRequest{Every: "24h", AutoApply: true, MaxUsersRemoved: 2}); err != nil {
		t.Fatal(err)
	}
	if body := e.get("/ui/enforce").body; !strings.Contains(body, "Drift schedule: every 24h, applies enforce-groups without asking when it removes at most 2 users") {
		t.Error("enforce page does not describe the schedule")
	}

	settings := e.get("/ui/settings").body
	if !strings.Contains(settings, "on-call break-glass") || !strings.Contains(settings, `value="5"`) {
		t.Errorf("settings page lacks the exemption or the limit")
	}
	r = e.post("/ui/settings/exemptions", url.Values{"csrf": {csrf}, "maxExemptions": {"0"}})
	e.followFlash(r, "/ui/settings", "use 1 to 100")
	r = e.post("/ui/settings/exemptions", url.Values{"csrf": {csrf}, "maxExemptions": {"2"}})
	e.followFlash(r, "/ui/settings", "At most 2 users may be exempt")

	r = e.post(page+"/unexempt", url.Values{"csrf": {csrf}})
	e.followFlash(r, page, "is no longer exempt")
	if ev := e.lastAudit(audit.ActionUserUnexempted); ev.Actor != uiTestTokenName {
		t.Errorf("lifting audited as %+v", ev)
	}
	r = e.post(page+"/unexempt", url.Values{"csrf": {csrf}})
	e.followFlash(r, page, "is not exempt")
}
