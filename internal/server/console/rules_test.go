package console_test

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/rolecall/rolecall/internal/audit"
	"github.com/rolecall/rolecall/internal/store"
)

// TestUIRules: the rules page adds a rule through its preview (groups matched, the grant it
// makes, the user it changes), the apply is audited with the console's token name, the group
// page badges the rule-made grant (and offers no revoke), a delete shows its preview and
// applies, the change can be undone, a stale preview applies nothing, and a form without the
// CSRF token is refused.
func TestUIRules(t *testing.T) {
	e := newUIEnv(t)
	csrf := e.mustSignIn()
	if r := e.get("/ui/rules"); r.status != 200 || !strings.Contains(r.body, "No rule yet.") {
		t.Fatalf("rules page = %d\n%s", r.status, r.body)
	}
	form := url.Values{"csrf": {csrf}, "name": {"devs-staging"}, "match": {"displayName"}, "value": {"developers"},
		"target": {"cloud"}, "resource": {"staging-cloud"}, "role": {"collaborator"}}
	pv := e.post("/ui/rules/preview", form)
	if pv.status != 200 || !strings.Contains(pv.body, "+ grant</span> developers: collaborator on cloud staging-cloud") ||
		!strings.Contains(pv.body, "user2@example.com") {
		t.Fatalf("preview = %d\n%s", pv.status, pv.body)
	}
	fp := e.field(fingerprintField, pv.body)
	// An invalid rule: the form again, with what is wrong and what was typed.
	bad := url.Values{"csrf": {csrf}, "name": {"bad"}, "match": {"pattern"}, "value": {`^x-(?P<projet>.+)$`}, "target": {"captured"}, "role": {"owner"}}
	if r := e.post("/ui/rules/preview", bad); r.status != http.StatusUnprocessableEntity ||
		!strings.Contains(r.body, "unknown capture name") || !strings.Contains(r.body, `value="^x-(?P&lt;projet&gt;.&#43;)$"`) {
		t.Fatalf("invalid rule preview = %d\n%s", r.status, r.body)
	}
	// Without CSRF: refused, nothing added.
	noCSRF := url.Values{}
	for k, v := range form {
		noCSRF[k] = v
	}
	noCSRF.Del("csrf")
	noCSRF.Set("fingerprint", fp)
	noCSRF.Set("action", "add")
	if r := e.post("/ui/rules/apply", noCSRF); r.status != http.StatusForbidden {
		t.Fatalf("apply without CSRF = %d", r.status)
	}
	// A stale fingerprint: nothing applied, the fresh preview shown.
	apply := url.Values{}
	for k, v := range form {
		apply[k] = v
	}
	apply.Set("action", "add")
	apply.Set("fingerprint", "0000")
	if r := e.post("/ui/rules/apply", apply); r.status != http.StatusConflict || !strings.Contains(r.body, "changed since your preview") {
		t.Fatalf("stale apply = %d\n%s", r.status, r.body)
	}
	apply.Set("fingerprint", fp)
	r := e.post("/ui/rules/apply", apply)
	if r.status != http.StatusSeeOther || r.location() != "/ui/rules" {
		t.Fatalf("apply = %d %s\n%s", r.status, r.location(), r.body)
	}
	page := e.get("/ui/rules")
	if !strings.Contains(page.body, "Added rule “devs-staging”") && !strings.Contains(page.body, "Added rule &#34;devs-staging&#34;") {
		t.Fatalf("rules page after apply:\n%s", page.body)
	}
	if !strings.Contains(page.body, "devs-staging") || !strings.Contains(page.body, "collaborator on cloud staging-cloud") {
		t.Fatalf("the rule is not listed:\n%s", page.body)
	}
	ctx := context.Background()
	var es []store.AuditEvent
	if err := e.st.View(ctx, func(tx store.Tx) (err error) {
		es, _, err = tx.ListAudit(ctx, e.orgID, store.AuditQuery{Action: audit.ActionRuleAdded, Page: store.Page{Limit: 5}})
		return err
	}); err != nil {
		t.Fatal(err)
	}
	if len(es) != 1 || es[0].Actor != uiTestTokenName {
		t.Fatalf("rule.added audit: %+v", es)
	}
	g := e.get("/ui/groups/" + e.ids["group-developers"])
	if !strings.Contains(g.body, "rule devs-staging</span>") || !strings.Contains(g.body, "Managed by rule devs-staging") {
		t.Fatalf("group page does not badge the rule-made grant:\n%s", g.body)
	}

	if u := e.get("/ui/users/user2@example.com"); !strings.Contains(u.body, `bound by rule <a href="/ui/rules">devs-staging</a>`) {
		t.Fatalf("the user's page does not name the rule:\n%s", u.body)
	}

	// Delete: preview, then apply.
	ruleID := e.field(ruleDeleteLink, page.body)
	del := e.get("/ui/rules/" + ruleID + "/delete")
	if del.status != 200 || !strings.Contains(del.body, "− grant</span> developers: collaborator on cloud staging-cloud") {
		t.Fatalf("delete preview = %d\n%s", del.status, del.body)
	}
	r = e.post("/ui/rules/apply", url.Values{"csrf": {csrf}, "action": {"delete"}, "rule": {ruleID}, "fingerprint": {e.field(fingerprintField, del.body)}})
	if r.status != http.StatusSeeOther {
		t.Fatalf("delete apply = %d\n%s", r.status, r.body)
	}
	page = e.get("/ui/rules")
	if !strings.Contains(page.body, "No rule yet.") {
		t.Fatalf("rule still listed after delete:\n%s", page.body)
	}
	change := e.field(undoForm, page.body)
	if r := e.post("/ui/rules/changes/"+change+"/undo", url.Values{"csrf": {csrf}}); r.status != http.StatusSeeOther {
		t.Fatalf("undo = %d\n%s", r.status, r.body)
	}
	if page = e.get("/ui/rules"); !strings.Contains(page.body, "Undone: 1 grant(s) re-created") || strings.Contains(page.body, "No rule yet.") {
		t.Fatalf("after undo:\n%s", page.body)
	}
}

var (
	ruleDeleteLink = regexp.MustCompile(`href="/ui/rules/([^/"]+)/delete"`)
	undoForm       = regexp.MustCompile(`action="/ui/rules/changes/([^/"]+)/undo"`)
)
