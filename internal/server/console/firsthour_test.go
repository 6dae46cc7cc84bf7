package console_test

import (
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strings"
	"testing"

	"github.com/rolecall/rolecall/internal/service"
	"github.com/rolecall/rolecall/internal/store/sqlstore/sqltest"
	"github.com/rolecall/rolecall/internal/testenv"
)

// The console's side of a first hour without an identity provider: an unknown user or group
// says where users and groups come from and where to look (console pages, not CLI
// commands), and an empty organization's enforce preview says there is nothing to enforce
// because there are no users.

func TestUIUnknownPrincipalSaysSCIM(t *testing.T) {
	e := newUIEnv(t)
	csrf := e.mustSignIn()
	cloud := e.ids["cloud-dev"]
	back := "/ui/clouds/" + cloud
	for _, who := range []url.Values{
		{"principalType": {"group"}, "principal": {"no-such-group"}},
		{"principalType": {"user"}, "principal": {"nobody@example.com"}},
	} {
		form := url.Values{"csrf": {csrf}, "back": {back}, "resourceKind": {"cloud"}, "resource": {cloud}, "role": {"readonly"}}
		for k, v := range who {
			form[k] = v
		}
		r := e.post("/ui/grants", form)
		if r.status != http.StatusSeeOther {
			t.Fatalf("grant to %s: %d", who.Get("principal"), r.status)
		}
		page := e.get(back).body
		for _, want := range []string{service.SCIMOrigin, "The Audit log page shows what it sent", "page)"} {
			if !strings.Contains(page, htmlEscape(want)) {
				t.Errorf("grant to unknown %s: the page does not say %q:\n%s", who.Get("principalType"), want, page)
			}
		}
		if strings.Contains(page, "rolecall audit list") || strings.Contains(page, "rolecall seed") {
			t.Errorf("the console speaks of CLI commands:\n%s", page)
		}
	}
}

func TestUIEnforceEmptyOrg(t *testing.T) {
	env := testenv.New(t, sqltest.SQLiteDSN(t), testenv.Options{AdminToken: uiTestToken})
	jar, _ := cookiejar.New(nil)
	e := &uiEnv{t: t, st: env.Store, srv: env.Server, orgID: env.OrgID,
		client: &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
	e.mustSignIn()
	page := e.get("/ui/enforce").body
	if !strings.Contains(page, "There is nothing to enforce: the organization has no users yet.") ||
		strings.Contains(page, "every user&#39;s access already comes from groups") {
		t.Errorf("empty org's enforce page:\n%s", page)
	}
}

// htmlEscape escapes what html/template escapes in the texts above.
func htmlEscape(s string) string {
	return strings.NewReplacer("'", "&#39;", "\"", "&#34;", "<", "&lt;", ">", "&gt;").Replace(s)
}
