package console_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/rolecall/rolecall/internal/api"
	"github.com/rolecall/rolecall/internal/audit"
	"github.com/rolecall/rolecall/internal/auth"
	"github.com/rolecall/rolecall/internal/server/console"
	"github.com/rolecall/rolecall/internal/store"
)

func TestUISignIn(t *testing.T) {
	e := newUIEnv(t)

	// Without a session every page sends the browser to sign in, remembering where it went.
	r := e.get("/ui/users?q=user1")
	if r.status != http.StatusSeeOther || r.location() != "/ui/signin?next=%2Fui%2Fusers%3Fq%3Duser1" {
		t.Fatalf("anonymous GET = %d %q", r.status, r.location())
	}

	cases := []struct {
		name, secret string
		status       int
		want         string
	}{
		{"empty", "", http.StatusBadRequest, "Enter an admin token"},
		{"unknown", "rc_not_a_real_token_00000000000", http.StatusUnauthorized, "unknown or revoked token"},
		{"scim scope", "rc_ui_scim_token_0123456789abcdef", http.StatusForbidden, "has scope"},
	}
	ctx := audit.WithActor(context.Background(), audit.Actor{Name: "test"})
	if err := e.st.Update(ctx, func(tx store.Tx) error {
		_, err := auth.CreateToken(ctx, tx, e.orgID, api.CreateTokenRequest{Name: "idp", Scope: "scim"}, "rc_ui_scim_token_0123456789abcdef")
		return err
	}); err != nil {
		t.Fatal(err)
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := e.signIn(c.secret)
			if r.status != c.status || !strings.Contains(r.body, c.want) {
				t.Fatalf("sign-in = %d, want %d with %q:\n%s", r.status, c.status, c.want, r.body)
			}
			if strings.Contains(r.body, c.secret) && c.secret != "" {
				t.Fatal("the sign-in page echoes the token")
			}
		})
	}

	r = e.signIn(uiTestToken)
	if r.status != http.StatusSeeOther || r.location() != "/ui/users" {
		t.Fatalf("sign-in = %d %q", r.status, r.location())
	}
	var session *http.Cookie
	for _, ck := range (&http.Response{Header: r.header}).Cookies() {
		if ck.Name == console.SessionCookie && ck.Value != "" {
			session = ck
		}
	}
	if session == nil || !session.HttpOnly || session.SameSite != http.SameSiteLaxMode || session.Path != "/ui" || session.Secure {
		t.Fatalf("session cookie = %+v; want HttpOnly, SameSite=Lax, Path=/ui, not Secure over plain HTTP", session)
	}
	if page := e.get("/ui/users"); page.status != http.StatusOK || !strings.Contains(page.body, uiTestTokenName) {
		t.Fatalf("after sign-in GET /ui/users = %d", page.status)
	}
}

func TestUISecureCookieBehindTLS(t *testing.T) {
	e := newUIEnv(t)
	req, _ := http.NewRequest(http.MethodGet, e.srv.URL+"/ui/signin", nil)
	req.Header.Set("X-Forwarded-Proto", "https")
	r := e.do(req)
	cks := (&http.Response{Header: r.header}).Cookies()
	if len(cks) == 0 || !cks[0].Secure {
		t.Fatalf("behind a TLS proxy the cookie must be Secure: %v", r.header["Set-Cookie"])
	}
}

func TestUISecurityHeaders(t *testing.T) {
	e := newUIEnv(t)
	e.mustSignIn()
	for _, path := range []string{"/ui/signin", "/ui/users", "/ui/no-such-page", "/ui/static/console.css"} {
		r := e.get(path)
		for h, want := range map[string]string{
			"Content-Security-Policy": "script-src 'self'", "X-Frame-Options": "DENY",
			"Referrer-Policy": "same-origin", "X-Content-Type-Options": "nosniff",
		} {
			if got := r.header.Get(h); !strings.Contains(got, want) {
				t.Errorf("%s: %s = %q, want %q", path, h, got, want)
			}
		}
		if csp := r.header.Get("Content-Security-Policy"); !strings.Contains(csp, "frame-ancestors 'none'") || strings.Contains(csp, "unsafe-inline") {
			t.Errorf("%s: CSP %q", path, csp)
		}
	}
	if r := e.get("/ui/no-such-page"); r.status != http.StatusNotFound {
		t.Errorf("unknown page = %d", r.status)
	}
	// No inline script or style anywhere: the CSP would block it.
	for _, path := range []string{"/ui/users", "/ui/enforce", "/ui/audit"} {
		body := e.get(path).body
		if regexp.MustCompile(`<script>|<script [^>]*>[^<]|style=|<style`).MatchString(body) {
			t.Errorf("%s has inline script or style", path)
		}
	}
}

func TestUIPages(t *testing.T) {
	e := newUIEnv(t)
	e.mustSignIn()
	cases := []struct {
		path string
		want []string
		not  []string
	}{
		{"/ui/users", []string{"admin@example.com", "orphan-user@example.com", "user1@example.com", "Showing 1–4 of 4"}, nil},
		{"/ui/users?q=USER1", []string{"user1@example.com", "Showing 1–1 of 1"}, []string{"user2@example.com"}},
		{"/ui/users?status=inactive", []string{"No user matches"}, nil},
		{"/ui/users?status=removed", []string{"No user matches"}, nil},
		{"/ui/users/user1@example.com", []string{
			"<h1>user1@example.com", "direct grant to the user", "via group <a href=\"/ui/groups/" + e.ids["group-engineering"] + "\">engineering</a>",
			"member through backend → engineering", "staging-cloud", "proj-1"}, nil},
		{"/ui/users/admin@example.com", []string{"implicit: owner of the organization", "via group"}, nil},
		{"/ui/users/" + e.ids["user-2"], []string{"user2@example.com", "developers", "dev-cloud"}, []string{"including nested ones:</strong> <a href=\"/ui/groups/" + e.ids["group-contractors"]}},
		{"/ui/groups", []string{"engineering", "contractors", "inactive"}, nil},
		{"/ui/groups/engineering", []string{"backend", "Grants of this group", "prod-cloud"}, nil},
		{"/ui/groups/contractors", []string{"inactive: grants nothing", "orphan-user@example.com", "user2@example.com"}, nil},
		{"/ui/clouds", []string{"prod-cloud", "staging-cloud", "dev-cloud"}, nil},
		{"/ui/clouds/prod-cloud", []string{"Direct grants to users", "user1@example.com", "Grants to groups", "engineering", "proj-1", "Implicit owners", "org-admins"}, nil},
		{"/ui/projects", []string{"proj-1", "proj-2", "prod-cloud"}, nil},
		{"/ui/projects/proj-1", []string{"ci-deployer", "collaborator", "prod-cloud"}, nil},
		{"/ui/service-accounts", []string{"ci-deployer", "proj-1"}, nil},
		{"/ui/audit", []string{"org.create", "token.create", "test-setup"}, nil},
		{"/ui/audit?action=token.create", []string{"token.create", "Showing 1–1 of 1"}, []string{"org.create</code>"}},
		{"/ui/enforce", []string{"Preview", "orphan-user@example.com", "staging-cloud", "(removed)", "name=\"fingerprint\"", "No run yet"}, nil},
	}
	for _, c := range cases {
		t.Run(c.path, func(t *testing.T) {
			r := e.get(c.path)
			if r.status != http.StatusOK {
				t.Fatalf("GET %s = %d\n%s", c.path, r.status, r.body)
			}
			if !strings.Contains(r.body, `<html lang="en">`) || !strings.Contains(r.body, `href="#main"`) {
				t.Error("page lacks lang or the skip link")
			}
			for _, w := range c.want {
				if !strings.Contains(r.body, w) {
					t.Errorf("GET %s lacks %q", c.path, w)
				}
			}
			for _, n := range c.not {
				if strings.Contains(r.body, n) {
					t.Errorf("GET %s shows %q", c.path, n)
				}
			}
		})
	}
	for _, path := range []string{"/ui/users/nobody", "/ui/groups/nothing", "/ui/clouds/none", "/ui/enforce/runs/no-run"} {
		if r := e.get(path); r.status != http.StatusNotFound {
			t.Errorf("GET %s = %d, want 404", path, r.status)
		}
	}
	if r := e.get("/ui/audit?since=yesterday"); r.status != http.StatusBadRequest || !strings.Contains(r.body, "use a date and time") {
		t.Errorf("bad audit time = %d", r.status)
	}
}

func TestUIEscapesDirectoryData(t *testing.T) {
	e := newUIEnv(t)
	e.mustSignIn()
	ctx := context.Background()
	evil := `<script>alert(1)</script>"onmouseover=x`
	if err := e.st.Update(ctx, func(tx store.Tx) error {
		_, err := tx.CreateUser(ctx, store.User{OrgID: e.orgID, UserName: evil, DisplayName: evil, Active: true, Doc: json.RawMessage(`{}`)})
		return err
	}); err != nil {
		t.Fatal(err)
	}
	body := e.get("/ui/users").body
	if strings.Contains(body, "<script>alert") || strings.Contains(body, `"onmouseover`) {
		t.Fatal("directory data reaches the page unescaped")
	}
	if !strings.Contains(body, "&lt;script&gt;alert(1)&lt;/script&gt;") {
		t.Fatal("the escaped user name is missing")
	}
}

func TestUICSRF(t *testing.T) {
	e := newUIEnv(t)
	csrf := e.mustSignIn()
	fp := e.field(fingerprintField, e.get("/ui/enforce").body)
	for name, form := range map[string]url.Values{
		"missing": {"fingerprint": {fp}, "confirm": {uiTestOrg}},
		"wrong":   {"csrf": {"x" + csrf}, "fingerprint": {fp}, "confirm": {uiTestOrg}},
	} {
		r := e.post("/ui/enforce/apply", form)
		if r.status != http.StatusForbidden || !strings.Contains(r.body, "CSRF") {
			t.Errorf("%s CSRF token: apply = %d", name, r.status)
		}
	}
	if r := e.post("/ui/signout", nil); r.status != http.StatusForbidden {
		t.Errorf("sign-out without CSRF = %d", r.status)
	}
	if e.runs() != 0 {
		t.Fatal("a refused form applied a plan")
	}
	if r := e.get("/ui/users"); r.status != http.StatusOK {
		t.Fatalf("the session must survive refused forms: %d", r.status)
	}
	// The sign-in form has its own token (double submit): without the cookie's value, no
	// sign-in, even with a valid admin token.
	fresh := newUIEnv(t)
	if r := fresh.post("/ui/signin", url.Values{"csrf": {"forged"}, "token": {uiTestToken}}); r.status != http.StatusForbidden {
		t.Errorf("sign-in with a forged CSRF token = %d", r.status)
	}
}

func TestUISignOut(t *testing.T) {
	e := newUIEnv(t)
	csrf := e.mustSignIn()
	r := e.post("/ui/signout", url.Values{"csrf": {csrf}})
	if r.status != http.StatusSeeOther || !strings.HasPrefix(r.location(), "/ui/signin") {
		t.Fatalf("sign-out = %d %q", r.status, r.location())
	}
	if r := e.get(r.location()); !strings.Contains(r.body, "You signed out") {
		t.Error("the sign-in page does not say the admin signed out")
	}
	if r := e.get("/ui/users"); r.status != http.StatusSeeOther {
		t.Fatalf("after sign-out GET /ui/users = %d, want a redirect to sign in", r.status)
	}
}

func TestUISessionEndsWhenTokenRevoked(t *testing.T) {
	e := newUIEnv(t)
	e.mustSignIn()
	ctx := audit.WithActor(context.Background(), audit.Actor{Name: "test"})
	if err := e.st.Update(ctx, func(tx store.Tx) error {
		_, err := auth.RevokeToken(ctx, tx, e.orgID, uiTestTokenName)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	r := e.get("/ui/users")
	if r.status != http.StatusSeeOther || !strings.Contains(r.location(), "ended=revoked") {
		t.Fatalf("after revocation GET /ui/users = %d %q", r.status, r.location())
	}
	if page := e.get(r.location()); !strings.Contains(page.body, "was revoked") {
		t.Error("the sign-in page does not say why the session ended")
	}
	if r := e.get("/ui/users"); r.status != http.StatusSeeOther {
		t.Fatalf("the session must stay ended: %d", r.status)
	}
}
