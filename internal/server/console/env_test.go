package console_test

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/rolecall/rolecall/internal/enforce"
	"github.com/rolecall/rolecall/internal/server"
	"github.com/rolecall/rolecall/internal/store"
	"github.com/rolecall/rolecall/internal/testenv"
)

// uiEnv is a real server on a fresh SQLite database holding the enforce-groups reference
// organization (named example-org, as on the reference page) and an admin token, with a
// browser-like client (cookie jar) that does not follow redirects, so tests see them.
type uiEnv struct {
	t      *testing.T
	st     store.Store
	srv    *httptest.Server
	orgID  string
	ids    map[string]string // reference-state id → stored id
	client *http.Client
}

const (
	uiTestToken     = "rc_ui_admin_token_0123456789abcdef"
	uiTestTokenName = "console-admin"
	uiTestOrg       = "example-org"
)

func newUIEnv(t *testing.T) *uiEnv {
	t.Helper()
	return newUIEnvConfig(t, server.Config{})
}

// newUIEnvConfig is newUIEnv with a server configured by cfg.
func newUIEnvConfig(t *testing.T, cfg server.Config) *uiEnv {
	t.Helper()
	return newUIEnvOn(t, testenv.SQLite(t), cfg)
}

// eachUIEnv runs fn as a subtest per backend (SQLite, PostgreSQL), each with a fresh uiEnv;
// the PostgreSQL subtest skips, saying so, when ROLECALL_TEST_POSTGRES is not set.
func eachUIEnv(t *testing.T, fn func(t *testing.T, e *uiEnv)) {
	t.Helper()
	testenv.EachStore(t, func(t *testing.T, st store.Store) { fn(t, newUIEnvOn(t, st, server.Config{})) })
}

// newUIEnvOn is newUIEnv on the store st.
func newUIEnvOn(t *testing.T, st store.Store, cfg server.Config) *uiEnv {
	t.Helper()
	orgID, ids := testenv.SeedWithAdmin(t, st, uiTestOrg, enforce.ReferenceState(), uiTestTokenName, uiTestToken)
	log := slog.New(slog.NewTextHandler(uiTestLog{t}, &slog.HandlerOptions{Level: slog.LevelWarn}))
	srv := testenv.Serve(t, st, cfg, log)
	jar, _ := cookiejar.New(nil)
	client := &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	return &uiEnv{t: t, st: st, srv: srv, orgID: orgID, ids: ids, client: client}
}

// uiTestLog sends the server's warnings and errors to the test log.
type uiTestLog struct{ t *testing.T }

func (l uiTestLog) Write(b []byte) (int, error) {
	l.t.Log(strings.TrimSpace(string(b)))
	return len(b), nil
}

// uiResp is an answer: status, headers, body.
type uiResp struct {
	status int
	header http.Header
	body   string
}

func (r uiResp) location() string { return r.header.Get("Location") }

func (e *uiEnv) do(req *http.Request) uiResp {
	e.t.Helper()
	resp, err := e.client.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return uiResp{status: resp.StatusCode, header: resp.Header, body: string(b)}
}

func (e *uiEnv) get(path string) uiResp {
	e.t.Helper()
	req, _ := http.NewRequest(http.MethodGet, e.srv.URL+path, nil)
	return e.do(req)
}

func (e *uiEnv) post(path string, form url.Values) uiResp {
	e.t.Helper()
	req, _ := http.NewRequest(http.MethodPost, e.srv.URL+path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return e.do(req)
}

var (
	csrfField        = regexp.MustCompile(`name="csrf" value="([^"]+)"`)
	fingerprintField = regexp.MustCompile(`name="fingerprint" value="([^"]+)"`)
)

// field returns the first submatch of re in body, failing the test when absent.
func (e *uiEnv) field(re *regexp.Regexp, body string) string {
	e.t.Helper()
	m := re.FindStringSubmatch(body)
	if m == nil {
		e.t.Fatalf("no %s in page:\n%s", re, body)
	}
	return m[1]
}

// signIn signs the client in with secret and returns the answer to the sign-in POST.
func (e *uiEnv) signIn(secret string) uiResp {
	e.t.Helper()
	page := e.get("/ui/signin")
	if page.status != http.StatusOK {
		e.t.Fatalf("GET /ui/signin = %d", page.status)
	}
	return e.post("/ui/signin", url.Values{"csrf": {e.field(csrfField, page.body)}, "token": {secret}})
}

// mustSignIn signs in with the test token and returns the session's CSRF token.
func (e *uiEnv) mustSignIn() string {
	e.t.Helper()
	if r := e.signIn(uiTestToken); r.status != http.StatusSeeOther {
		e.t.Fatalf("sign-in = %d, want 303:\n%s", r.status, r.body)
	}
	return e.field(csrfField, e.get("/ui/users").body)
}

// runs counts the org's enforce-groups runs.
func (e *uiEnv) runs() int {
	e.t.Helper()
	var n int
	err := e.st.View(context.Background(), func(tx store.Tx) (err error) {
		_, n, err = tx.ListRuns(context.Background(), e.orgID, store.Page{Limit: 0})
		return err
	})
	if err != nil {
		e.t.Fatal(err)
	}
	return n
}
