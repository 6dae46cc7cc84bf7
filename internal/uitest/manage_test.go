package uitest

import (
	"context"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/rolecall/rolecall/internal/store"
)

// banner waits for the banner that contains want: each step's answer is a redirect to a
// page whose flash says what happened, so waiting on its words also waits for the page.
func banner(want string) chromedp.Action[chromedp.Void] {
	return chromedp.WaitVisible(chromedp.Search(`//div[contains(@class, "banner") and contains(., "` + want + `")]`))
}

// inForm is the XPath of field in the form whose legend contains legend.
func inForm(legend, field string) string {
	return `//form[.//legend[contains(., "` + legend + `")]]//` + field
}

// TestConsoleManagesAccess is an administrator managing access from the console alone:
// sign in, create a cloud and a project in it, grant a group a role on the project, change
// that role, revoke it, create a SCIM token (its secret shown once) and revoke it; then the
// audit log names the console user for each step, and on a 375 px phone the access table's
// "Why" column is on screen.
func TestConsoleManagesAccess(t *testing.T) {
	ctx := browser(t)
	e := newEnv(t)
	shot := newShots(t)

	must(t, ctx, "sign in",
		chromedp.Navigate(e.url+"/ui/clouds"),
		chromedp.WaitVisible(chromedp.CSS("#token")),
		chromedp.SendKeys(chromedp.CSS("#token"), adminToken),
		chromedp.Click(chromedp.CSS("form.stack button[type=submit]")),
		chromedp.WaitVisible(chromedp.Search(inForm("Create a cloud", `input[@name="name"]`))))

	must(t, ctx, "create a cloud",
		chromedp.SendKeys(chromedp.Search(inForm("Create a cloud", `input[@name="name"]`)), "lab-cloud"),
		chromedp.Click(chromedp.Search(inForm("Create a cloud", "button"))),
		banner("Created cloud “lab-cloud”"))
	shot.take(ctx, "13-cloud-created")

	must(t, ctx, "create a project in it",
		chromedp.SendKeys(chromedp.Search(inForm("Create a project in this cloud", `input[@name="name"]`)), "lab-proj"),
		chromedp.Click(chromedp.Search(inForm("Create a project in this cloud", "button"))),
		banner("Created project “lab-proj” in cloud “lab-cloud”"))

	must(t, ctx, "grant a group a role",
		chromedp.SetValue(chromedp.Search(inForm("Grant a role on this project", `select[@name="role"]`)), "readonly"),
		chromedp.SetValue(chromedp.Search(inForm("Grant a role on this project", `select[@name="principalType"]`)), "group"),
		chromedp.SendKeys(chromedp.Search(inForm("Grant a role on this project", `input[@name="principal"]`)), "backend"),
		chromedp.Click(chromedp.Search(inForm("Grant a role on this project", "button"))),
		banner("Granted readonly on project “lab-proj” to group “backend”"))
	shot.take(ctx, "14-project-granted")

	row := `//tr[td/a[text()="backend"]]`
	must(t, ctx, "change its role",
		chromedp.SetValue(chromedp.Search(row+`//select[@name="role"]`), "collaborator"),
		chromedp.Click(chromedp.Search(row+`//button[text()="Change role"]`)),
		banner("Changed the role of group “backend” on project “lab-proj” from readonly to collaborator"))
	if got := e.groupRoles(t, "lab-proj", "backend"); len(got) != 1 || got[0] != "collaborator" {
		t.Errorf("after the change backend holds %v on lab-proj, want exactly [collaborator]", got)
	}
	shot.take(ctx, "15-role-changed")

	must(t, ctx, "revoke it",
		chromedp.Click(chromedp.Search(row+`//button[text()="Revoke"]`)),
		banner("Revoked collaborator on project “lab-proj” from group “backend”"))
	if got := e.groupRoles(t, "lab-proj", "backend"); len(got) != 0 {
		t.Errorf("after the revoke backend holds %v on lab-proj", got)
	}

	// A SCIM token: its secret on the page after creating it, and never again.
	must(t, ctx, "create a token",
		chromedp.Navigate(e.url+"/ui/tokens"),
		chromedp.SendKeys(chromedp.Search(inForm("Create a token", `input[@name="name"]`)), "okta-scim"),
		chromedp.Click(chromedp.Search(inForm("Create a token", "button"))),
		chromedp.WaitVisible(chromedp.CSS("#secret")))
	secret, err := chromedp.Run(ctx, chromedp.Value(chromedp.CSS("#secret")))
	if err != nil || len(secret) < 20 {
		t.Fatalf("secret %q (err %v)", secret, err)
	}
	shot.take(ctx, "16-token-created")
	must(t, ctx, "reload the token's page", chromedp.Reload(), banner("shown only once"))
	if html, _ := chromedp.Run(ctx, chromedp.OuterHTML(chromedp.CSS("html"))); strings.Contains(html, secret) {
		t.Error("the secret is shown again after a reload")
	}
	must(t, ctx, "tokens list", chromedp.Navigate(e.url+"/ui/tokens"), chromedp.WaitVisible(chromedp.CSS("main table")))
	contains(t, "tokens list", text(t, ctx, "main table"), "okta-scim", "scim", "never", adminTokenName)
	shot.take(ctx, "17-tokens")
	must(t, ctx, "revoke the token, step 1",
		chromedp.Click(chromedp.Search(`//tr[th[contains(., "okta-scim")]]//a[contains(., "Revoke")]`)),
		chromedp.WaitVisible(chromedp.CSS("form.stack button.danger")))
	shot.take(ctx, "18-token-revoke-confirm")
	must(t, ctx, "revoke the token, step 2",
		chromedp.Click(chromedp.CSS("form.stack button.danger")),
		banner("Revoked token “okta-scim”"))
	contains(t, "tokens after revoke", text(t, ctx, "main table"), "revoked")

	must(t, ctx, "audit", chromedp.Navigate(e.url+"/ui/audit"), chromedp.WaitVisible(chromedp.CSS("table.audit")))
	contains(t, "audit log", text(t, ctx, "table.audit"), "cloud.create", "project.create", "grant.create",
		"grant.change_role", "grant.revoke", "token.create", "token.revoke", adminTokenName)

	// A phone: the "Why" column of the access table is on screen, and nothing scrolls sideways.
	must(t, ctx, "phone", chromedp.EmulateViewport(375, 800),
		chromedp.Navigate(e.url+"/ui/users/user1@example.com"), chromedp.WaitVisible(chromedp.CSS("table.access")))
	if ok, _ := chromedp.Run(ctx, chromedp.Evaluate[bool](`Array.from(document.querySelectorAll('table.access td[data-label="Why"]')).every(c => c.getBoundingClientRect().right <= window.innerWidth && c.getBoundingClientRect().width > 100)`)); !ok {
		t.Error(`at 375 px a "Why" cell is off-screen or squeezed`)
	}
	if over, _ := chromedp.Run(ctx, chromedp.Evaluate[bool]("document.documentElement.scrollWidth > window.innerWidth")); over {
		wide, _ := chromedp.Run(ctx, chromedp.Evaluate[[]string](`Array.from(document.querySelectorAll("body *")).filter(e => e.getBoundingClientRect().right > window.innerWidth && !e.closest(".table-wrap")).map(e => e.tagName + "." + e.className + " " + Math.round(e.getBoundingClientRect().right))`))
		t.Errorf("at 375 px the user page scrolls sideways; too wide: %v", wide)
	}
	contains(t, "access on a phone", text(t, ctx, "table.access"), "via group engineering")
	// Each cell says which column it is (a CSS label, since the header row is hidden there).
	if label, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`getComputedStyle(document.querySelector('table.access td[data-label="Why"]'), "::before").content`)); label != `"Why: "` {
		t.Errorf(`at 375 px the "Why" cell is labelled %s`, label)
	}
	shot.take(ctx, "19-user-375")
	must(t, ctx, "cloud on a phone", chromedp.Navigate(e.url+"/ui/clouds/prod-cloud"), chromedp.WaitVisible(chromedp.CSS("main h1")))
	// The grant tables are cards there too: each row's change-role and revoke buttons on screen.
	if ok, _ := chromedp.Run(ctx, chromedp.Evaluate[bool](`(() => { const b = Array.from(document.querySelectorAll("table.cards td.actions button")); return b.length >= 4 && b.every(e => e.getBoundingClientRect().right <= window.innerWidth); })()`)); !ok {
		t.Error("at 375 px a grant's change-role or revoke button is off-screen")
	}
	shot.take(ctx, "20-cloud-375")
}

// groupRoles lists the roles group holds on the project named project, from the store.
func (e *env) groupRoles(t *testing.T, project, group string) []string {
	t.Helper()
	ctx := context.Background()
	var roles []string
	err := e.st.View(ctx, func(tx store.Tx) error {
		p, err := tx.ResourceByName(ctx, e.orgID, store.KindProject, project)
		if err != nil {
			return err
		}
		g, err := tx.GroupByName(ctx, e.orgID, group)
		if err != nil {
			return err
		}
		bs, err := tx.ListBindings(ctx, e.orgID, store.BindingFilter{ResourceID: p.ID, PrincipalType: store.PrincipalGroup, PrincipalID: g.ID})
		for _, b := range bs {
			roles = append(roles, b.Role)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return roles
}
