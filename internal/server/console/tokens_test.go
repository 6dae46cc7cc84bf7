package console_test

import (
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/rolecall/rolecall/internal/audit"
)

var (
	createdTokenPage = regexp.MustCompile(`^/ui/tokens/([^/]+)/created$`)
	secretField      = regexp.MustCompile(`id="secret"[^>]* value="([^"]+)"`)
)

func TestUITokens(t *testing.T) {
	e := newUIEnv(t)
	csrf := e.mustSignIn()

	r := e.post("/ui/tokens", url.Values{"csrf": {csrf}, "name": {"okta-scim"}, "scope": {"scim"}, "expiresDays": {"30"}})
	m := createdTokenPage.FindStringSubmatch(r.location())
	if r.status != http.StatusSeeOther || m == nil {
		t.Fatalf("create token = %d → %q\n%s", r.status, r.location(), r.body)
	}
	page := e.get(r.location())
	secret := e.field(secretField, page.body)
	if !strings.Contains(page.body, "only time it is shown") {
		t.Errorf("created page:\n%s", page.body)
	}
	// The secret works (a SCIM request with it), and it is shown once only.
	req, _ := http.NewRequest(http.MethodGet, e.srv.URL+"/scim/v2/Users?count=1", nil)
	req.Header.Set("Authorization", "Bearer "+secret)
	if resp := e.do(req); resp.status != http.StatusOK {
		t.Fatalf("SCIM with the new token = %d", resp.status)
	}
	again := e.get(r.location())
	if strings.Contains(again.body, secret) || !strings.Contains(again.body, "shown only once") {
		t.Fatalf("the secret is shown a second time:\n%s", again.body)
	}
	list := e.get("/ui/tokens")
	if strings.Contains(list.body, secret) || !strings.Contains(list.body, "okta-scim") {
		t.Fatalf("tokens page:\n%s", list.body)
	}
	// Last seen: what the IdP sent (method and resource type, no id or query) and when.
	if !regexp.MustCompile(`<span title="20[^"]+">GET /Users (just now|\d+ seconds? ago)</span>`).MatchString(list.body) {
		t.Errorf("the tokens page does not show what the SCIM token last sent:\n%s", list.body)
	}
	if ev := e.lastAudit(audit.ActionTokenCreate); ev.Actor != uiTestTokenName {
		t.Errorf("token creation audited as %q", ev.Actor)
	}

	// Refusals keep the form and speak of the form.
	r = e.post("/ui/tokens", url.Values{"csrf": {csrf}, "name": {"x"}, "scope": {"scim"}, "expiresDays": {"soon"}})
	if r.status != http.StatusBadRequest || !strings.Contains(r.body, "whole number of days") {
		t.Fatalf("bad expiry = %d\n%s", r.status, r.body)
	}
	r = e.post("/ui/tokens", url.Values{"csrf": {csrf}, "name": {"y"}, "scope": {"root"}})
	if r.status != http.StatusBadRequest || !strings.Contains(r.body, "use scim, admin") || !strings.Contains(r.body, `value="y"`) {
		t.Fatalf("bad scope = %d\n%s", r.status, r.body)
	}

	// Revoke: confirm page first, then the POST; the secret stops working.
	id := m[1]
	if p := e.get("/ui/tokens/" + id + "/revoke"); !strings.Contains(p.body, "Yes, revoke token okta-scim") || !strings.Contains(p.body, "Last used: 20") {
		t.Fatalf("revoke confirmation:\n%s", p.body)
	}
	r = e.post("/ui/tokens/"+id+"/revoke", url.Values{"csrf": {csrf}})
	e.followFlash(r, "/ui/tokens", "Revoked token “okta-scim”")
	if resp := e.do(req); resp.status != http.StatusUnauthorized {
		t.Fatalf("SCIM with the revoked token = %d", resp.status)
	}
	if ev := e.lastAudit(audit.ActionTokenRevoke); ev.Actor != uiTestTokenName {
		t.Errorf("token revocation audited as %q", ev.Actor)
	}
}

func TestUISettingsGroupsOnly(t *testing.T) {
	e := newUIEnv(t)
	csrf := e.mustSignIn()
	if p := e.get("/ui/settings"); !strings.Contains(p.body, "Groups-only mode is <strong>off</strong>") || !strings.Contains(p.body, "are <em>not</em> removed") {
		t.Fatalf("settings page:\n%s", p.body)
	}
	r := e.post("/ui/settings", url.Values{"csrf": {csrf}, "groupsOnly": {"on"}})
	e.followFlash(r, "/ui/settings", "Groups-only mode is now on")
	if ev := e.lastAudit(audit.ActionOrgSettingsUpdate); ev.Actor != uiTestTokenName {
		t.Errorf("settings change audited as %q", ev.Actor)
	}
	// Now a direct user grant is refused.
	cloud := e.ids["cloud-dev"]
	r = e.post("/ui/grants", url.Values{"csrf": {csrf}, "back": {"/ui/clouds/" + cloud}, "resourceKind": {"cloud"}, "resource": {cloud},
		"principalType": {"user"}, "principal": {"user2@example.com"}, "role": {"readonly"}})
	e.followFlash(r, "/ui/clouds/"+cloud, "groups-only mode is on")
	r = e.post("/ui/settings", url.Values{"csrf": {csrf}, "groupsOnly": {"off"}})
	e.followFlash(r, "/ui/settings", "Groups-only mode is now off")
}
