package server

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rolecall/rolecall/internal/api"
	"github.com/rolecall/rolecall/internal/audit"
	"github.com/rolecall/rolecall/internal/auth"
	"github.com/rolecall/rolecall/internal/store"
	"github.com/rolecall/rolecall/internal/store/sqlstore"
	"github.com/rolecall/rolecall/internal/store/sqlstore/sqltest"
	"github.com/rolecall/rolecall/internal/token"
)

// lockedBuffer is a log sink shared by the server's goroutines.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}
func (l *lockedBuffer) String() string { l.mu.Lock(); defer l.mu.Unlock(); return l.b.String() }

// tokenFixture is a server whose log is captured, with tokens in every state.
type tokenFixture struct {
	url                                    string
	st                                     store.Store
	orgID                                  string
	log                                    *lockedBuffer
	scim, admin, expired, revoked, unknown string
	expiredName, revokedName               string
	server                                 *Server
}

func newTokenFixture(t *testing.T, dsn string) *tokenFixture {
	t.Helper()
	return newTokenFixtureWith(t, dsn, Config{})
}

// newTokenFixtureWith is newTokenFixture with a server configured by cfg; server is the
// server it runs.
func newTokenFixtureWith(t *testing.T, dsn string, cfg Config) *tokenFixture {
	t.Helper()
	ctx := audit.WithActor(context.Background(), audit.Actor{Name: "test"})
	st, err := sqlstore.Open(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	adminTok, _, err := auth.Bootstrap(ctx, st, "")
	if err != nil {
		t.Fatal(err)
	}
	f := &tokenFixture{st: st, log: &lockedBuffer{}, admin: adminTok.Secret, expiredName: "old-okta", revokedName: "gone-okta"}
	err = st.Update(ctx, func(tx store.Tx) error {
		org, err := tx.OrgByName(ctx, auth.DefaultOrg)
		if err != nil {
			return err
		}
		f.orgID = org.ID
		tok, err := auth.CreateToken(ctx, tx, org.ID, api.CreateTokenRequest{Name: "okta", Scope: "scim"}, "")
		if err != nil {
			return err
		}
		f.scim = tok.Secret
		// An expired token cannot be created through the API (expiry must be in the
		// future); write it as it will look once its time has passed.
		var h []byte
		f.expired, h = token.Generate()
		past := store.Now().Add(-time.Hour)
		if _, err := tx.CreateToken(ctx, store.Token{OrgID: org.ID, Name: f.expiredName, Scope: store.ScopeSCIM, Hash: h,
			CreatedAt: past.Add(-time.Hour), ExpiresAt: &past}); err != nil {
			return err
		}
		rv, err := auth.CreateToken(ctx, tx, org.ID, api.CreateTokenRequest{Name: f.revokedName, Scope: "scim"}, "")
		if err != nil {
			return err
		}
		f.revoked = rv.Secret
		_, err = auth.RevokeToken(ctx, tx, org.ID, f.revokedName)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	f.unknown, _ = token.Generate()
	log := slog.New(slog.NewJSONHandler(f.log, &slog.HandlerOptions{Level: slog.LevelDebug}))
	f.server = New(cfg, st, log, nil)
	srv := httptest.NewServer(f.server.Handler())
	t.Cleanup(srv.Close)
	f.url = srv.URL
	return f
}

func (f *tokenFixture) send(t *testing.T, method, path, authz, body string) (int, http.Header, []byte) {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, f.url+path, rd)
	if err != nil {
		t.Fatal(err)
	}
	if authz != "" {
		req.Header.Set("Authorization", authz)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, res.Header, b
}

// TestTokenRefusals sends every kind of bad credential to SCIM and admin routes, reads and
// writes: each is refused with the right status (401, or 403 for a valid token of the wrong
// scope), in the route's own error format, with a reason a person can act on; a refused
// write writes nothing; and no secret, good or bad, reaches the server's log.
func TestTokenRefusals(t *testing.T) {
	for _, b := range sqltest.Backends() {
		t.Run(b.Name, func(t *testing.T) {
			f := newTokenFixture(t, b.DSN(t))
			type route struct{ method, path, body string }
			scimRoutes := []route{
				{"GET", "/scim/v2/Users", ""},
				{"GET", "/scim/v2/ServiceProviderConfig", ""},
				{"POST", "/scim/v2/Users", `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"intruder@example.com"}`},
				{"POST", "/scim/v2/Bulk", `{"schemas":["urn:ietf:params:scim:api:messages:2.0:BulkRequest"],"Operations":[{"method":"POST","path":"/Users","bulkId":"x","data":{"userName":"intruder2@example.com"}}]}`},
			}
			adminRoutes := []route{
				{"GET", "/api/v1/clouds", ""},
				{"GET", "/api/v1/audit", ""},
				{"POST", "/api/v1/clouds", `{"name":"intruder"}`},
				{"POST", "/api/v1/tokens", `{"name":"intruder","scope":"admin"}`},
				{"POST", "/api/v1/enforce/apply", `{"fingerprint":"x"}`},
			}
			cases := []struct {
				name                string
				authz, query        string
				scimWant, adminWant int
				reason              string
			}{
				{"no header", "", "", 401, 401, "missing bearer token"},
				{"basic auth", "Basic dXNlcjpwYXNzd29yZA==", "", 401, 401, "malformed"},
				{"bearer without token", "Bearer", "", 401, 401, "malformed"},
				{"bearer two words", "Bearer " + f.scim + " extra", "", 401, 401, "malformed"},
				{"other scheme", "Token " + f.scim, "", 401, 401, "malformed"},
				{"too short", "Bearer abc", "", 401, 401, "unknown or revoked token"},
				{"non-ASCII bytes", "Bearer " + f.scim[:20] + "é" + f.scim[21:], "", 401, 401, "unknown or revoked token"},
				{"unknown", "Bearer " + f.unknown, "", 401, 401, "unknown or revoked token"},
				{"expired", "Bearer " + f.expired, "", 401, 401, "expired"},
				{"revoked", "Bearer " + f.revoked, "", 401, 401, "revoked"},
				{"in query string", "", "access_token=" + f.scim, 401, 401, "URL query"},
				{"in query string with header", "Bearer " + f.scim, "token=" + f.admin, 401, 401, "URL query"},
			}
			for _, c := range cases {
				for api, routes := range map[string][]route{"scim": scimRoutes, "admin": adminRoutes} {
					want := c.scimWant
					if api == "admin" {
						want = c.adminWant
					}
					for _, r := range routes {
						path := r.path
						if c.query != "" {
							path += "?" + c.query
						}
						status, hdr, body := f.send(t, r.method, path, c.authz, r.body)
						if status != want {
							t.Errorf("%s: %s %s = %d %s, want %d", c.name, r.method, r.path, status, body, want)
							continue
						}
						if status == 401 && hdr.Get("WWW-Authenticate") == "" {
							t.Errorf("%s: %s %s: 401 without WWW-Authenticate", c.name, r.method, r.path)
						}
						checkErrorFormat(t, api, c.name+" "+r.method+" "+r.path, status, body, c.reason)
					}
				}
			}
			// Wrong scope: a valid token, the other API.
			for _, r := range scimRoutes {
				status, _, body := f.send(t, r.method, r.path, "Bearer "+f.admin, r.body)
				if status != 403 {
					t.Errorf("admin token on %s %s = %d %s, want 403", r.method, r.path, status, body)
				}
				checkErrorFormat(t, "scim", "admin token on "+r.path, status, body, `scope "admin"`)
			}
			for _, r := range adminRoutes {
				status, _, body := f.send(t, r.method, r.path, "Bearer "+f.scim, r.body)
				if status != 403 {
					t.Errorf("scim token on %s %s = %d %s, want 403", r.method, r.path, status, body)
				}
				checkErrorFormat(t, "admin", "scim token on "+r.path, status, body, `scope "scim"`)
			}
			// The scheme is case-insensitive (RFC 7235 §2.1): a lower-case "bearer" works.
			if status, _, body := f.send(t, "GET", "/scim/v2/Users", "bearer "+f.scim, ""); status != 200 {
				t.Errorf("lower-case bearer scheme: %d %s", status, body)
			}
			// No refused write wrote anything.
			ctx := context.Background()
			_ = f.st.View(ctx, func(tx store.Tx) error {
				us, _, err := tx.ListUsers(ctx, f.orgID, store.Query{Page: store.Page{Limit: 10}})
				if err != nil {
					t.Fatal(err)
				}
				if len(us) != 0 {
					t.Errorf("refused requests created %d users", len(us))
				}
				rs, _ := tx.ListResources(ctx, f.orgID, store.KindCloud, "")
				if len(rs) != 0 {
					t.Errorf("refused requests created %d clouds", len(rs))
				}
				return nil
			})
			// Secrets never reach the log, whether they authenticated or not.
			logText := f.log.String()
			if !strings.Contains(logText, `"status":401`) || !strings.Contains(logText, `"status":403`) {
				t.Fatalf("the log does not show the refused requests; is it captured?\n%.2000s", logText)
			}
			for name, s := range map[string]string{"scim": f.scim, "admin": f.admin, "expired": f.expired, "revoked": f.revoked, "unknown": f.unknown} {
				for _, part := range []string{s, s[len(token.Prefix):], s[len(s)-16:]} {
					if strings.Contains(logText, part) {
						t.Errorf("the server log holds the %s token (%q)", name, part)
					}
				}
			}
		})
	}
}

// checkErrorFormat checks an error body is the API's format with a status and a reason.
func checkErrorFormat(t *testing.T, apiName, what string, status int, body []byte, reason string) {
	t.Helper()
	var doc map[string]any
	if err := json.Unmarshal(body, &doc); err != nil {
		t.Errorf("%s: error body is not JSON: %s", what, body)
		return
	}
	var msg string
	if apiName == "scim" {
		schemas, _ := doc["schemas"].([]any)
		if len(schemas) != 1 || schemas[0] != "urn:ietf:params:scim:api:messages:2.0:Error" || doc["status"] != itoa3(status) {
			t.Errorf("%s: not a SCIM error of status %d: %s", what, status, body)
		}
		msg, _ = doc["detail"].(string)
	} else {
		if n, _ := doc["status"].(float64); int(n) != status || doc["code"] == "" {
			t.Errorf("%s: not an admin API error of status %d: %s", what, status, body)
		}
		msg, _ = doc["message"].(string)
	}
	if !strings.Contains(msg, reason) {
		t.Errorf("%s: reason %q does not say %q", what, msg, reason)
	}
}

func itoa3(n int) string { return strconv.Itoa(n) }

// TestRevokedTokenStopsAtOnce: a token used a moment ago (so cached by the authenticator)
// and then revoked through the admin API is refused on its very next request.
func TestRevokedTokenStopsAtOnce(t *testing.T) {
	f := newTokenFixture(t, sqltest.SQLiteDSN(t))
	if code, _, body := f.send(t, "GET", "/scim/v2/Users", "Bearer "+f.scim, ""); code != 200 {
		t.Fatalf("scim token before revocation: %d %s", code, body)
	}
	if code, _, body := f.send(t, "DELETE", "/api/v1/tokens/okta", "Bearer "+f.admin, ""); code != 200 {
		t.Fatalf("revoke: %d %s", code, body)
	}
	if code, _, body := f.send(t, "GET", "/scim/v2/Users", "Bearer "+f.scim, ""); code != 401 || !strings.Contains(string(body), "revoked") {
		t.Errorf("scim token right after revocation: %d %s, want 401 naming the revocation", code, body)
	}
}
