package uitest

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// chromiumPath is where Debian's chromium package puts the browser.
const chromiumPath = "/usr/bin/chromium"

// browser starts headless Chromium for the test, or skips the test when Chromium is not
// installed (fails instead when ROLECALL_REQUIRE_BROWSER=1, as in CI).
func browser(t *testing.T) context.Context {
	t.Helper()
	if testing.Short() {
		t.Skip("the console's browser test starts Chromium (about 10 s): it runs without -short")
	}
	if _, err := os.Stat(chromiumPath); err != nil {
		msg := chromiumPath + " not found: install Debian's chromium package (apt-get install -y chromium) to run the console's browser tests"
		if os.Getenv("ROLECALL_REQUIRE_BROWSER") == "1" {
			t.Fatal(msg + " (ROLECALL_REQUIRE_BROWSER=1)")
		}
		t.Skip(msg)
	}
	// The whole browser session is bounded, so a hung page fails the test instead of CI.
	base, cancelBase := context.WithTimeout(context.Background(), 3*time.Minute)
	t.Cleanup(cancelBase)
	alloc, cancelAlloc := chromedp.NewExecAllocator(base,
		chromedp.ExecPath(chromiumPath),
		chromedp.Flag("headless", true),
		chromedp.NoSandbox, // tests run as root, where Chromium's sandbox cannot start
		chromedp.DisableGPU,
		chromedp.Flag("disable-quic", true),
		chromedp.NoFirstRun,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("hide-scrollbars", true),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1280, 800),
	)
	t.Cleanup(cancelAlloc)
	ctx, cancel := chromedp.NewContext(alloc)
	t.Cleanup(cancel)
	if err := chromedp.Do(ctx, chromedp.Navigate("about:blank")); err != nil {
		t.Fatalf("starting Chromium: %v", err)
	}
	return ctx
}

// shots saves full-page screenshots into ROLECALL_SCREENSHOTS (or a temporary directory).
type shots struct {
	t   *testing.T
	dir string
}

func newShots(t *testing.T) *shots {
	dir := os.Getenv("ROLECALL_SCREENSHOTS")
	if dir == "" {
		dir = t.TempDir()
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	return &shots{t: t, dir: dir}
}

func (s *shots) take(ctx context.Context, name string) {
	s.t.Helper()
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		s.t.Fatalf("screenshot %s: %v", name, err)
	}
	path := filepath.Join(s.dir, name+".png")
	if err := os.WriteFile(path, png, 0o644); err != nil {
		s.t.Fatal(err)
	}
	s.t.Logf("screenshot %s", path)
}

// text returns the visible text of the first element matching css.
func text(t *testing.T, ctx context.Context, css string) string {
	t.Helper()
	s, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(css)))
	if err != nil {
		t.Fatalf("text of %s: %v", css, err)
	}
	return s
}

func must(t *testing.T, ctx context.Context, what string, steps ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	if err := chromedp.Do(ctx, steps...); err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

func contains(t *testing.T, where, got string, want ...string) {
	t.Helper()
	for _, w := range want {
		if !strings.Contains(got, w) {
			t.Errorf("%s lacks %q; it reads:\n%s", where, w, got)
		}
	}
}

// TestConsoleEndToEnd is an administrator's session: sign in, find a user and read why they
// have their access, look at the directory and the audit log, review and apply the
// enforce-groups plan (a wrong organization name first), then undo the run.
func TestConsoleEndToEnd(t *testing.T) {
	ctx := browser(t)
	e := newEnv(t)
	shot := newShots(t)

	// Any page sends an anonymous browser to sign in.
	must(t, ctx, "open the console", chromedp.Navigate(e.url+"/ui/users"), chromedp.WaitVisible(chromedp.CSS("#token")))
	shot.take(ctx, "01-signin")

	must(t, ctx, "sign in",
		chromedp.SendKeys(chromedp.CSS("#token"), adminToken),
		chromedp.Click(chromedp.CSS("form.stack button[type=submit]")),
		chromedp.WaitVisible(chromedp.CSS("form.filters #q")))
	contains(t, "users page", text(t, ctx, "main"), "user1@example.com", "orphan-user@example.com", "Showing 1–4 of 4")
	contains(t, "header", text(t, ctx, "header"), adminTokenName, orgName)
	shot.take(ctx, "02-users")
	// The first Tab lands on the skip link, and Enter on it moves focus past the navigation.
	must(t, ctx, "tab to the skip link", chromedp.KeyEvent("\t"))
	if got, _ := chromedp.Run(ctx, chromedp.Evaluate[string]("document.activeElement.textContent")); got != "Skip to main content" {
		t.Errorf("first Tab focuses %q, want the skip link", got)
	}
	must(t, ctx, "follow the skip link", chromedp.KeyEvent("\r"))
	if got, _ := chromedp.Run(ctx, chromedp.Evaluate[string]("document.activeElement.id")); got != "main" {
		t.Errorf("after the skip link focus is on %q, want main", got)
	}

	// Find a user by prefix and open them.
	must(t, ctx, "search users",
		chromedp.SendKeys(chromedp.CSS("#q"), "user1"),
		chromedp.Click(chromedp.CSS("form.filters button")),
		chromedp.WaitVisible(chromedp.Search(`//nav[@class="pager"]/span[text()="Showing 1–1 of 1"]`)))
	contains(t, "search result", text(t, ctx, "main table"), "user1@example.com")
	must(t, ctx, "open user1",
		chromedp.Click(chromedp.Search(`//td/a[text()="user1@example.com"]`)),
		chromedp.WaitVisible(chromedp.CSS("table.access")))
	access := text(t, ctx, "table.access")
	contains(t, "user1's explained access", access,
		"staging-cloud", "owner", "direct grant to the user",
		"via group engineering (member through backend → engineering)", "proj-1")
	shot.take(ctx, "03-user-access")

	// Check access from the user's page: the box comes half filled with the user, and
	// answers with the decision API's verdict, its sources and its revision.
	must(t, ctx, "check access",
		chromedp.Click(chromedp.Search(`//a[contains(., "Check an action of this user")]`)),
		chromedp.WaitVisible(chromedp.CSS("#check-form")),
		chromedp.SetValue(chromedp.CSS(`select[name="action"]`), "write"),
		chromedp.SetValue(chromedp.CSS(`select[name="resourceType"]`), "project"),
		chromedp.SendKeys(chromedp.CSS(`input[name="resource"]`), "proj-1"),
		chromedp.Click(chromedp.CSS("#check-form button[type=submit]")),
		chromedp.WaitVisible(chromedp.CSS("#decision")))
	contains(t, "check access decision", text(t, ctx, "#decision"), "allow", "user user1@example.com · write · project proj-1",
		"direct grant", "via group engineering (member through backend → engineering)", "implicit: owner of the organization", "Revision")
	shot.take(ctx, "03b-check-access")
	must(t, ctx, "check a deny",
		chromedp.SetValue(chromedp.CSS(`input[name="subject"]`), "user2@example.com"),
		chromedp.Click(chromedp.CSS("#check-form button[type=submit]")),
		chromedp.WaitVisible(chromedp.Search(`//section[@id="decision"]//span[text()="deny"]`)))
	contains(t, "check access deny", text(t, ctx, "#decision"), "insufficient_role", `action "write" on project "proj-1" needs role collaborator or more`)

	must(t, ctx, "admin", chromedp.Navigate(e.url+"/ui/users/admin@example.com"), chromedp.WaitVisible(chromedp.CSS("table.access")))
	contains(t, "admin's access", text(t, ctx, "table.access"), "implicit: owner of the organization", "via group org-admins")

	must(t, ctx, "groups", chromedp.Navigate(e.url+"/ui/groups/engineering"), chromedp.WaitVisible(chromedp.CSS("main h1")))
	contains(t, "engineering", text(t, ctx, "main"), "backend", "prod-cloud", "readonly")
	shot.take(ctx, "04-group")

	must(t, ctx, "cloud", chromedp.Navigate(e.url+"/ui/clouds/prod-cloud"), chromedp.WaitVisible(chromedp.CSS("main h1")))
	contains(t, "prod-cloud", text(t, ctx, "main"), "Direct grants to users", "user1@example.com", "Grants to groups", "engineering", "Implicit owners")
	shot.take(ctx, "05-cloud")

	must(t, ctx, "service accounts", chromedp.Navigate(e.url+"/ui/service-accounts"), chromedp.WaitVisible(chromedp.CSS("main h1")))
	contains(t, "service accounts", text(t, ctx, "main"), "ci-deployer", "collaborator on project proj-1")

	// The enforce-groups preview.
	must(t, ctx, "enforce", chromedp.Navigate(e.url+"/ui/enforce"), chromedp.WaitVisible(chromedp.CSS("table.plan")))
	preview := text(t, ctx, "table.plan")
	contains(t, "preview", preview, "user1@example.com", "staging-cloud", "owner", "(removed)", "user2@example.com", "dev-cloud")
	contains(t, "removed users", text(t, ctx, "main"), "Users to be removed (1)", "orphan-user@example.com")
	shot.take(ctx, "06-enforce-preview")

	// On a narrow screen the page does not scroll sideways: wide tables scroll in their box.
	must(t, ctx, "narrow screen", chromedp.EmulateViewport(560, 900), chromedp.Navigate(e.url+"/ui/enforce"), chromedp.WaitVisible(chromedp.CSS("table.plan")))
	if over, _ := chromedp.Run(ctx, chromedp.Evaluate[bool]("document.documentElement.scrollWidth > window.innerWidth")); over {
		wide, _ := chromedp.Run(ctx, chromedp.Evaluate[[]string](`Array.from(document.querySelectorAll("body *")).filter(e => e.getBoundingClientRect().right > window.innerWidth && !e.closest(".table-wrap")).map(e => e.tagName + "." + e.className + " " + Math.round(e.getBoundingClientRect().right))`))
		t.Errorf("at 560 px the page scrolls sideways; too wide: %v", wide)
	}
	shot.take(ctx, "12-enforce-narrow")
	must(t, ctx, "laptop screen", chromedp.EmulateViewport(1280, 800), chromedp.Navigate(e.url+"/ui/enforce"), chromedp.WaitVisible(chromedp.CSS("table.plan")))

	// A wrong organization name applies nothing.
	must(t, ctx, "apply with a wrong name",
		chromedp.SendKeys(chromedp.CSS("#confirm"), "example"),
		chromedp.WaitVisible(chromedp.Search(`//p[contains(., "Does not match yet")]`)),
		chromedp.Click(chromedp.CSS("form.apply button")),
		chromedp.WaitVisible(chromedp.CSS(".banner.error")))
	contains(t, "wrong-name error", text(t, ctx, ".banner.error"), "not the organization's name", "Nothing was applied")
	shot.take(ctx, "07-enforce-wrong-name")

	// The right name applies the plan and shows the run.
	must(t, ctx, "apply",
		chromedp.SendKeys(chromedp.CSS("#confirm"), orgName),
		chromedp.WaitVisible(chromedp.Search(`//p[contains(., "Matches the organization")]`)),
		chromedp.Click(chromedp.CSS("form.apply button")),
		chromedp.WaitVisible(chromedp.CSS(".banner.notice")))
	run := e.run(t)
	contains(t, "apply result", text(t, ctx, ".banner.notice"), "Applied. Run "+run.ID)
	if run.Actor != adminTokenName || run.DeletedBindings != 6 || run.RemovedUsers != 1 {
		t.Errorf("run = actor %q, %d grants deleted, %d users removed; want %s, 6, 1", run.Actor, run.DeletedBindings, run.RemovedUsers, adminTokenName)
	}
	shot.take(ctx, "08-run-applied")

	must(t, ctx, "removed users", chromedp.Navigate(e.url+"/ui/users?status=removed"), chromedp.WaitVisible(chromedp.CSS("main table")))
	contains(t, "removed users", text(t, ctx, "main table"), "orphan-user@example.com", "removed")

	// Undo, in two steps.
	must(t, ctx, "open the run", chromedp.Navigate(e.url+"/ui/enforce"), chromedp.WaitVisible(chromedp.CSS("main")))
	contains(t, "after apply", text(t, ctx, "main"), "nothing to change", run.ID)
	must(t, ctx, "undo step 1",
		chromedp.Click(chromedp.Search(`//a[contains(., "Undo…")]`)),
		chromedp.WaitVisible(chromedp.CSS("form.stack button.danger")))
	shot.take(ctx, "09-undo-confirm")
	must(t, ctx, "undo step 2",
		chromedp.Click(chromedp.CSS("form.stack button.danger")),
		chromedp.WaitVisible(chromedp.Search(`//h2[text()="Undo result"]`)))
	main := text(t, ctx, "main")
	contains(t, "undo result", main, "6\ngrants restored", "1\nusers restored", "orphan-user@example.com", "undone")
	shot.take(ctx, "10-run-undone")
	if e.run(t).UndoneAt == nil {
		t.Fatal("the run is not recorded as undone")
	}

	must(t, ctx, "audit", chromedp.Navigate(e.url+"/ui/audit?action=enforce."), chromedp.WaitVisible(chromedp.CSS("table.audit")))
	must(t, ctx, "audit filter", chromedp.Navigate(e.url+"/ui/audit"), chromedp.WaitVisible(chromedp.CSS("table.audit")))
	contains(t, "audit log", text(t, ctx, "table.audit"), "enforce.undo", "enforce.apply", adminTokenName)
	shot.take(ctx, "11-audit")

	// Sign out ends the session.
	must(t, ctx, "sign out",
		chromedp.Click(chromedp.CSS("form.signout button")),
		chromedp.WaitVisible(chromedp.CSS("#token")))
	contains(t, "signed out", text(t, ctx, "main"), "You signed out.")
}
