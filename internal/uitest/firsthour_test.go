package uitest

import (
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/rolecall/rolecall/internal/testenv"
)

// TestMain removes the binary TestFirstHour built (testenv.Binary).
func TestMain(m *testing.M) { testenv.Main(m) }

// TestFirstHour is issue 17's "done when": a newcomer's first hour without an identity
// provider, from an empty database. `rolecall demo --serve` (the real binary) seeds the
// example organization on a new SQLite file, its users and groups sent over SCIM; then, in
// the console, signed in with the token it printed: grant a role, change it, revoke it;
// preview enforce-groups, apply it, undo it; and the audit log shows each step.
func TestFirstHour(t *testing.T) {
	ctx := browser(t)
	shot := newShots(t)
	dir := t.TempDir()
	p := testenv.Start(t, dir, nil, "demo", "--serve", "--db", "sqlite:"+filepath.Join(dir, "first-hour.db"), "--listen", "127.0.0.1:0")
	m := regexp.MustCompile(`Admin token:\s+(rc_\S+)`).FindStringSubmatch(p.Log())
	if m == nil {
		t.Fatalf("demo --serve printed no admin token:\n%s", p.Log())
	}
	token := m[1]
	console := p.URL + "/ui"
	if !strings.Contains(p.Log(), "Console:      "+console) {
		t.Errorf("demo --serve does not print the console URL %s:\n%s", console, p.Log())
	}

	must(t, ctx, "open the printed console URL and sign in",
		chromedp.Navigate(console),
		chromedp.WaitVisible(chromedp.CSS("#token")),
		chromedp.SendKeys(chromedp.CSS("#token"), token),
		chromedp.Click(chromedp.CSS("form.stack button[type=submit]")),
		chromedp.WaitVisible(chromedp.CSS("form.filters #q")))
	contains(t, "users page", text(t, ctx, "main"), "user1@example.com", "user2@example.com", "orphan-user@example.com", "admin@example.com")
	contains(t, "header", text(t, ctx, "header"), "example-org", "demo")
	shot.take(ctx, "21-first-hour-users")

	// Grant user2 a role on staging-cloud, change it, revoke it.
	must(t, ctx, "open staging-cloud", chromedp.Navigate(console+"/clouds/staging-cloud"),
		chromedp.WaitVisible(chromedp.Search(inForm("Grant a role on this cloud", `input[@name="principal"]`))))
	must(t, ctx, "grant",
		chromedp.SetValue(chromedp.Search(inForm("Grant a role on this cloud", `select[@name="role"]`)), "readonly"),
		chromedp.SetValue(chromedp.Search(inForm("Grant a role on this cloud", `select[@name="principalType"]`)), "user"),
		chromedp.SendKeys(chromedp.Search(inForm("Grant a role on this cloud", `input[@name="principal"]`)), "user2@example.com"),
		chromedp.Click(chromedp.Search(inForm("Grant a role on this cloud", "button"))),
		banner("Granted readonly on cloud “staging-cloud” to user “user2@example.com”"))
	shot.take(ctx, "22-first-hour-granted")
	row := `//tr[td/a[text()="user2@example.com"]]`
	must(t, ctx, "change the role",
		chromedp.SetValue(chromedp.Search(row+`//select[@name="role"]`), "collaborator"),
		chromedp.Click(chromedp.Search(row+`//button[text()="Change role"]`)),
		banner("Changed the role of user “user2@example.com” on cloud “staging-cloud” from readonly to collaborator"))
	contains(t, "staging-cloud after the change", text(t, ctx, "main"), "collaborator")
	must(t, ctx, "revoke",
		chromedp.Click(chromedp.Search(row+`//button[text()="Revoke"]`)),
		banner("Revoked collaborator on cloud “staging-cloud” from user “user2@example.com”"))
	if html, _ := chromedp.Run(ctx, chromedp.OuterHTML(chromedp.CSS("main"))); strings.Contains(html, ">user2@example.com<") {
		t.Error("user2 still listed on staging-cloud after the revoke")
	}

	// Enforce groups: the reference preview, applied by typing the org's name, then undone.
	must(t, ctx, "enforce preview", chromedp.Navigate(console+"/enforce"), chromedp.WaitVisible(chromedp.CSS("table.plan")))
	contains(t, "preview", text(t, ctx, "table.plan"), "user1@example.com", "staging-cloud", "(removed)", "user2@example.com", "dev-cloud")
	contains(t, "removed users", text(t, ctx, "main"), "Users to be removed (1)", "orphan-user@example.com")
	shot.take(ctx, "23-first-hour-preview")
	must(t, ctx, "apply",
		chromedp.SendKeys(chromedp.CSS("#confirm"), "example-org"),
		chromedp.WaitVisible(chromedp.Search(`//p[contains(., "Matches the organization")]`)),
		chromedp.Click(chromedp.CSS("form.apply button")),
		chromedp.WaitVisible(chromedp.CSS(".banner.notice")))
	applied := text(t, ctx, ".banner.notice")
	run := regexp.MustCompile(`Run ([0-9a-f-]{36})`).FindStringSubmatch(applied)
	if run == nil {
		t.Fatalf("apply banner names no run: %q", applied)
	}
	must(t, ctx, "open the enforce page", chromedp.Navigate(console+"/enforce"), chromedp.WaitVisible(chromedp.CSS("main")))
	contains(t, "after apply", text(t, ctx, "main"), "nothing to change", run[1])
	must(t, ctx, "undo, step 1",
		chromedp.Click(chromedp.Search(`//a[contains(., "Undo…")]`)),
		chromedp.WaitVisible(chromedp.CSS("form.stack button.danger")))
	must(t, ctx, "undo, step 2",
		chromedp.Click(chromedp.CSS("form.stack button.danger")),
		chromedp.WaitVisible(chromedp.Search(`//h2[text()="Undo result"]`)))
	contains(t, "undo result", text(t, ctx, "main"), "6\ngrants restored", "1\nusers restored", "undone")
	shot.take(ctx, "24-first-hour-undone")

	// The audit log, newest first: the five steps as sentences by the console user, then the
	// example as it arrived: the IdP's users and groups, the admin API's grants.
	must(t, ctx, "audit", chromedp.Navigate(console+"/audit"), chromedp.WaitVisible(chromedp.CSS("table.audit")))
	rows, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](`Array.from(document.querySelectorAll("table.audit tbody tr")).map(tr => tr.innerText)`))
	if err != nil || len(rows) < 5 {
		t.Fatalf("audit rows: %v (err %v)", rows, err)
	}
	for i, want := range [][]string{
		{"demo undid enforce run " + run[1] + ": restored 6 grants and 1 user", "enforce.undo"},
		{"demo removed 1 user and 6 grants (enforce run " + run[1] + ")", "enforce.apply"},
		{"demo revoked collaborator on staging-cloud from user2@example.com", "grant.revoke"},
		{"demo changed user2@example.com's role on staging-cloud from readonly to collaborator", "grant.change_role"},
		{"demo granted readonly on staging-cloud to user2@example.com", "grant.create"},
	} {
		contains(t, "audit row "+want[1], rows[i], want...)
	}
	all := strings.Join(rows, "\n")
	contains(t, "the seeding in the audit log", all,
		"example-idp created user user1@example.com", "example-idp created user orphan-user@example.com",
		"example-idp created group engineering with 1 member", "example-idp deleted group contractors",
		"demo created cloud prod-cloud", "demo granted owner on staging-cloud to user1@example.com")
	shot.take(ctx, "25-first-hour-audit")

	// What the IdP sent, filtered by action prefix.
	must(t, ctx, "audit of what the IdP sent", chromedp.Navigate(console+"/audit?action=scim.user."), chromedp.WaitVisible(chromedp.CSS("table.audit")))
	users, _ := chromedp.Run(ctx, chromedp.Evaluate[[]string](`Array.from(document.querySelectorAll("table.audit tbody tr")).map(tr => tr.innerText)`))
	if len(users) != 4 {
		t.Errorf("scim.user. events: %q, want the example's 4 users", users)
	}
	for _, r := range users {
		contains(t, "scim.user. row", r, "example-idp created user ", "scim.user.create")
	}
}
