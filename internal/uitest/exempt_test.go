package uitest

import (
	"context"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/rolecall/rolecall/internal/audit"
	"github.com/rolecall/rolecall/internal/store"
)

// TestConsoleExemptionAndDrift is an administrator keeping a break-glass account out of
// enforce-groups from the console: a reason is required; marking user1 exempt shows the
// Exempt badge on its page and in the users list, the audit log names the console user, and
// the enforce page's drift section and exempt table list it apart from the changes; from
// there a drift schedule that applies within limits is set and shown.
func TestConsoleExemptionAndDrift(t *testing.T) {
	ctx := browser(t)
	e := newEnv(t)
	shot := newShots(t)

	must(t, ctx, "sign in on user1's page",
		chromedp.Navigate(e.url+"/ui/users/user1@example.com"),
		chromedp.WaitVisible(chromedp.CSS("#token")),
		chromedp.SendKeys(chromedp.CSS("#token"), adminToken),
		chromedp.Click(chromedp.CSS("form.stack button[type=submit]")),
		chromedp.WaitVisible(chromedp.CSS("form.exempt-form #reason")))
	contains(t, "user1's page before", text(t, ctx, "main"), "Enforce-groups exemption", "0 of at most 5 users are exempt")

	must(t, ctx, "mark exempt",
		chromedp.SendKeys(chromedp.CSS("form.exempt-form #reason"), "on-call break-glass account"),
		chromedp.Click(chromedp.CSS("form.exempt-form button")),
		banner("user1@example.com is exempt from enforce-groups"))
	contains(t, "user1's heading", text(t, ctx, "main h1 .badge.exempt"), "exempt")
	contains(t, "user1's page after", text(t, ctx, "main"), "Reason: on-call break-glass account", adminTokenName, "Remove the exemption")
	shot.take(ctx, "20-user-exempt")

	must(t, ctx, "users list", chromedp.Navigate(e.url+"/ui/users"), chromedp.WaitVisible(chromedp.CSS("form.filters #q")))
	contains(t, "user1's row", text(t, ctx, `tr:has(a[href$="/ui/users/`+e.userID(t, "user1@example.com")+`"])`), "exempt")

	must(t, ctx, "enforce page", chromedp.Navigate(e.url+"/ui/enforce"), chromedp.WaitVisible(chromedp.CSS("section.drift")))
	drift := text(t, ctx, "section.drift")
	contains(t, "drift section", drift, "Drift", "No run applied yet", "drifted from group-derived access",
		"new direct grants", "users without groups", "exempt users")
	contains(t, "drift's new grants", text(t, ctx, "table.drift-grants"), "user2@example.com", "dev-cloud")
	contains(t, "exempt table", text(t, ctx, "table.exempt-users"), "user1@example.com")
	if plan := text(t, ctx, "table.plan"); strings.Contains(plan, "user1@example.com") {
		t.Errorf("the plan lists the exempt user1 as changed:\n%s", plan)
	}
	shot.take(ctx, "21-enforce-drift")

	// From the drift section, set a schedule that applies within limits; both pages show it.
	must(t, ctx, "open the drift schedule", chromedp.Click(chromedp.CSS("a.schedule-link")),
		chromedp.WaitVisible(chromedp.CSS("form.schedule-form #every")))
	contains(t, "schedule page before", text(t, ctx, "main"), "No drift schedule", "An interval from 1m to 366d", "applies enforce-groups without asking anyone")
	must(t, ctx, "set the schedule",
		chromedp.SetValue(chromedp.CSS("form.schedule-form #every"), "12h"),
		chromedp.Click(chromedp.CSS("form.schedule-form #autoApply")),
		chromedp.SetValue(chromedp.CSS("form.schedule-form #maxUsersRemoved"), "1"),
		chromedp.SetValue(chromedp.CSS("form.schedule-form #maxBindingsDeleted"), "3"),
		chromedp.Click(chromedp.CSS("form.schedule-form button[type=submit]")),
		banner("Drift schedule set: every 12h"))
	contains(t, "schedule shown", text(t, ctx, "dl.schedule-details"), "12h",
		"applies enforce-groups without asking when it removes at most 1 users and deletes at most 3 direct grants", "Next run due", "not run yet", adminTokenName)
	shot.take(ctx, "22-drift-schedule")
	must(t, ctx, "back to the enforce page", chromedp.Navigate(e.url+"/ui/enforce"), chromedp.WaitVisible(chromedp.CSS("p.schedule")))
	contains(t, "enforce page's schedule", text(t, ctx, "p.schedule"),
		"Drift schedule: every 12h, applies enforce-groups without asking when it removes at most 1 users and deletes at most 3 direct grants")

	// The audit log holds the exemption by the console user.
	bg := context.Background()
	var evs []store.AuditEvent
	err := e.st.View(bg, func(tx store.Tx) (err error) {
		evs, _, err = tx.ListAudit(bg, e.orgID, store.AuditQuery{Action: audit.ActionUserExempted, Page: store.Page{Limit: 10}})
		return err
	})
	if err != nil || len(evs) != 1 || evs[0].Actor != adminTokenName {
		t.Errorf("user.exempted audit events: %+v (%v)", evs, err)
	}

	must(t, ctx, "remove the exemption",
		chromedp.Navigate(e.url+"/ui/users/user1@example.com"),
		chromedp.WaitVisible(chromedp.CSS("main h1")),
		chromedp.Click(chromedp.Search(`//button[text()="Remove the exemption"]`)),
		banner("is no longer exempt"))
}

// userID returns the id of the user named userName.
func (e *env) userID(t *testing.T, userName string) string {
	t.Helper()
	bg := context.Background()
	var u store.User
	err := e.st.View(bg, func(tx store.Tx) (err error) { u, err = tx.UserByUserName(bg, e.orgID, userName); return err })
	if err != nil {
		t.Fatal(err)
	}
	return u.ID
}
