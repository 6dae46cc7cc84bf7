package uitest

import (
	"context"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/rolecall/rolecall/internal/store"
)

// TestConsoleRules is an administrator managing group rules from the console: add a rule
// through its preview (the group it matches, the grant it makes, the user whose access
// changes), see the rule-made grant badged on the group's page, delete the rule through its
// preview, undo the delete, and find each step in the audit log under the console user.
func TestConsoleRules(t *testing.T) {
	ctx := browser(t)
	e := newEnv(t)
	shot := newShots(t)

	must(t, ctx, "sign in",
		chromedp.Navigate(e.url+"/ui/rules"),
		chromedp.WaitVisible(chromedp.CSS("#token")),
		chromedp.SendKeys(chromedp.CSS("#token"), adminToken),
		chromedp.Click(chromedp.CSS("form.stack button[type=submit]")),
		chromedp.WaitVisible(chromedp.CSS("#rule-name")))
	contains(t, "rules page", text(t, ctx, "main"), "No rule yet.", "Add a rule")

	must(t, ctx, "fill the add form",
		chromedp.SendKeys(chromedp.CSS("#rule-name"), "devs-staging"),
		chromedp.SetValue(chromedp.CSS("#rule-match"), "displayName"),
		chromedp.SendKeys(chromedp.CSS("#rule-value"), "developers"),
		chromedp.SetValue(chromedp.CSS("#rule-target"), "cloud"),
		chromedp.SendKeys(chromedp.CSS("#rule-resource"), "staging-cloud"),
		chromedp.SetValue(chromedp.CSS("#rule-role"), "collaborator"),
		chromedp.Click(chromedp.Search(inForm("Add a rule", "button"))),
		chromedp.WaitVisible(chromedp.CSS("form.apply button")))
	contains(t, "add preview", text(t, ctx, "main"), "Add a rule: preview", "developers", "+ grant",
		"collaborator on cloud staging-cloud", "user2@example.com")
	shot.take(ctx, "30-rule-add-preview")

	must(t, ctx, "apply the add",
		chromedp.Click(chromedp.CSS("form.apply button")),
		banner("Added rule"))
	contains(t, "rules after add", text(t, ctx, "main table"), "devs-staging", `displayName "developers" → collaborator on cloud staging-cloud`)
	shot.take(ctx, "31-rule-added")

	must(t, ctx, "the group's page badges the rule-made grant",
		chromedp.Navigate(e.url+"/ui/groups/developers"),
		chromedp.WaitVisible(chromedp.CSS("span.badge.rule")))
	contains(t, "group page", text(t, ctx, "main"), "rule devs-staging", "Managed by rule devs-staging")
	shot.take(ctx, "32-group-rule-badge")

	must(t, ctx, "delete, step 1: the preview",
		chromedp.Navigate(e.url+"/ui/rules"),
		chromedp.Click(chromedp.Search(`//tr[td[text()="devs-staging"]]//a[contains(., "Delete")]`)),
		chromedp.WaitVisible(chromedp.CSS("form.apply button.danger")))
	contains(t, "delete preview", text(t, ctx, "main"), "Delete a rule: preview", "− grant", "user2@example.com")
	shot.take(ctx, "33-rule-delete-preview")
	must(t, ctx, "delete, step 2",
		chromedp.Click(chromedp.CSS("form.apply button.danger")),
		banner("Deleted rule"))
	contains(t, "rules after delete", text(t, ctx, "main"), "No rule yet.")

	must(t, ctx, "undo the delete",
		chromedp.Click(chromedp.Search(`//tr[td[contains(., "deleted rule")]]//button[text()="Undo"]`)),
		banner("Undone: 1 grant(s) re-created"))
	contains(t, "rules after undo", text(t, ctx, "main table"), "devs-staging")
	shot.take(ctx, "34-rule-undone")

	bg := context.Background()
	var rb []store.Binding
	if err := e.st.View(bg, func(tx store.Tx) (err error) { rb, err = tx.RuleBindings(bg, e.orgID, ""); return err }); err != nil || len(rb) != 1 {
		t.Fatalf("rule-made bindings after the undo: %v (err %v), want one", rb, err)
	}
	must(t, ctx, "audit", chromedp.Navigate(e.url+"/ui/audit"), chromedp.WaitVisible(chromedp.CSS("table.audit")))
	contains(t, "audit log", text(t, ctx, "table.audit"), "rule.added", "rule.deleted", "rule.undone", adminTokenName)
}
