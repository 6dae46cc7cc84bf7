package auth_test

import (
	"context"
	"errors"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rolecall/rolecall/internal/api"
	"github.com/rolecall/rolecall/internal/auth"
	"github.com/rolecall/rolecall/internal/store"
	"github.com/rolecall/rolecall/internal/store/sqlstore"
)

// countingStore counts the read transactions authentication opens.
type countingStore struct {
	store.Store
	views atomic.Int64
}

func (s *countingStore) View(ctx context.Context, fn func(store.Tx) error) error {
	s.views.Add(1)
	return s.Store.View(ctx, fn)
}

// clock is a settable test clock.
type clock struct{ t time.Time }

func (c *clock) now() time.Time { return c.t }

type tokenEnv struct {
	st     *countingStore
	clk    *clock
	a      *auth.Authenticator
	org    string
	tok    api.CreatedToken
	header string
}

func newTokenEnv(t *testing.T, cacheFor time.Duration, expires *time.Time) *tokenEnv {
	t.Helper()
	ctx := context.Background()
	raw, err := sqlstore.Open(ctx, "sqlite:"+filepath.Join(t.TempDir(), "auth.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { raw.Close() })
	e := &tokenEnv{st: &countingStore{Store: raw}, clk: &clock{t: store.Now()}}
	err = raw.Update(ctx, func(tx store.Tx) error {
		o, err := auth.CreateOrg(ctx, tx, "acme")
		if err != nil {
			return err
		}
		e.org = o.ID
		e.tok, err = auth.CreateToken(ctx, tx, o.ID, api.CreateTokenRequest{Name: "okta", Scope: "scim", ExpiresAt: expires}, "")
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	e.header = "Bearer " + e.tok.Secret
	e.a = &auth.Authenticator{Store: e.st, Now: e.clk.now, CacheFor: cacheFor, TouchEvery: time.Hour}
	return e
}

func (e *tokenEnv) revoke(t *testing.T) {
	t.Helper()
	ctx := context.Background()
	if err := e.st.Store.Update(ctx, func(tx store.Tx) error {
		_, err := auth.RevokeToken(ctx, tx, e.org, e.tok.ID)
		return err
	}); err != nil {
		t.Fatal(err)
	}
}

func status(err error) int {
	var f *auth.Failure
	if errors.As(err, &f) {
		return f.Status
	}
	if err != nil {
		return -1
	}
	return 200
}

// TestAuthenticateCache: a token read from the store is trusted for CacheFor without reading
// it again; after that a revocation made elsewhere is seen; Forget makes a revocation made
// through this server immediate; scope is checked on every request.
func TestAuthenticateCache(t *testing.T) {
	ctx := context.Background()
	e := newTokenEnv(t, time.Second, nil)
	for range 5 {
		if _, err := e.a.Authenticate(ctx, e.header, store.ScopeSCIM); err != nil {
			t.Fatal(err)
		}
	}
	if n := e.st.views.Load(); n != 1 {
		t.Errorf("5 requests within CacheFor read the token %d times, want 1", n)
	}
	if _, err := e.a.Authenticate(ctx, e.header, store.ScopeAdmin); status(err) != 403 {
		t.Errorf("cached scim token on an admin endpoint: %v, want 403", err)
	}

	// Revoked by another process: seen once the cached record is older than CacheFor.
	e.revoke(t)
	if _, err := e.a.Authenticate(ctx, e.header, store.ScopeSCIM); err != nil {
		t.Errorf("within CacheFor of the read, the cached record is used: %v", err)
	}
	e.clk.t = e.clk.t.Add(time.Second)
	if _, err := e.a.Authenticate(ctx, e.header, store.ScopeSCIM); status(err) != 401 {
		t.Errorf("revoked elsewhere, after CacheFor: %v, want 401", err)
	}

	// Revoked through this server: Forget makes it immediate.
	f := newTokenEnv(t, time.Hour, nil)
	if _, err := f.a.Authenticate(ctx, f.header, store.ScopeSCIM); err != nil {
		t.Fatal(err)
	}
	f.revoke(t)
	f.a.Forget(f.tok.ID)
	if _, err := f.a.Authenticate(ctx, f.header, store.ScopeSCIM); status(err) != 401 {
		t.Errorf("revoked and forgotten: %v, want 401", err)
	}
}

// TestAuthenticateCacheExpiry: expiry is checked against the clock on every request, so a
// cached token stops working the moment it expires.
func TestAuthenticateCacheExpiry(t *testing.T) {
	ctx := context.Background()
	exp := store.Now().Add(time.Minute)
	e := newTokenEnv(t, time.Hour, &exp)
	if _, err := e.a.Authenticate(ctx, e.header, store.ScopeSCIM); err != nil {
		t.Fatal(err)
	}
	e.clk.t = exp
	if _, err := e.a.Authenticate(ctx, e.header, store.ScopeSCIM); status(err) != 401 {
		t.Errorf("cached token at its expiry: %v, want 401", err)
	}
	if n := e.st.views.Load(); n != 1 {
		t.Errorf("read the token %d times, want 1 (expiry needs no read)", n)
	}
}

// TestAuthenticateNoCache: a negative CacheFor reads the token on every request.
func TestAuthenticateNoCache(t *testing.T) {
	ctx := context.Background()
	e := newTokenEnv(t, -1, nil)
	for range 3 {
		if _, err := e.a.Authenticate(ctx, e.header, store.ScopeSCIM); err != nil {
			t.Fatal(err)
		}
	}
	if n := e.st.views.Load(); n != 3 {
		t.Errorf("read the token %d times, want 3", n)
	}
	e.revoke(t)
	if _, err := e.a.Authenticate(ctx, e.header, store.ScopeSCIM); status(err) != 401 {
		t.Errorf("revoked, uncached: %v, want 401", err)
	}
}

// TestDecisionScope: a decision token reaches the decision endpoints and nothing else; an
// admin token reaches them too; a SCIM token does not.
func TestDecisionScope(t *testing.T) {
	ctx := context.Background()
	e := newTokenEnv(t, time.Second, nil)
	headers := map[store.Scope]string{store.ScopeSCIM: e.header}
	for _, sc := range []store.Scope{store.ScopeAdmin, store.ScopeDecision} {
		var tok api.CreatedToken
		if err := e.st.Store.Update(ctx, func(tx store.Tx) (err error) {
			tok, err = auth.CreateToken(ctx, tx, e.org, api.CreateTokenRequest{Name: "t-" + string(sc), Scope: string(sc)}, "")
			return err
		}); err != nil {
			t.Fatal(err)
		}
		headers[sc] = "Bearer " + tok.Secret
	}
	cases := []struct {
		have, want store.Scope
		status     int
	}{
		{store.ScopeDecision, store.ScopeDecision, 200},
		{store.ScopeDecision, store.ScopeAdmin, 403},
		{store.ScopeDecision, store.ScopeSCIM, 403},
		{store.ScopeAdmin, store.ScopeDecision, 200},
		{store.ScopeSCIM, store.ScopeDecision, 403},
	}
	for _, c := range cases {
		p, err := e.a.Authenticate(ctx, headers[c.have], c.want)
		if status(err) != c.status {
			t.Errorf("%s token on a %s endpoint: %v, want %d", c.have, c.want, err, c.status)
		}
		if err == nil && p.OrgID != e.org {
			t.Errorf("%s token: principal org %q, want the token's org %q", c.have, p.OrgID, e.org)
		}
	}
	if _, err := auth.ParseScope("Decision"); err != nil {
		t.Errorf("ParseScope(Decision): %v", err)
	}
}

func TestRequestLine(t *testing.T) {
	for _, tc := range []struct{ method, path, want string }{
		{"PATCH", "/scim/v2/Groups/2f1c-77", "PATCH /Groups/…"},
		{"GET", "/scim/v2/Users", "GET /Users"},
		{"get", "/scim/v2/Users?filter=userName+eq+%22a%22", "GET /Users"},
		{"POST", "/scim/v2/Bulk", "POST /Bulk"},
		{"POST", "/api/v1/grants", "POST /api/v1/grants"},
		{"GET", "/api/v1/users/alice@example.com/access", "GET /api/v1/users/…"},
		{"POST", "/access/v1/evaluation", "POST /access/v1/evaluation"},
	} {
		if got := auth.RequestLine(tc.method, tc.path); got != tc.want {
			t.Errorf("RequestLine(%s %s) = %q, want %q", tc.method, tc.path, got, tc.want)
		}
	}
}

// TestLastSeenCoalesced: what a token sent is recorded with its last use, at most once per
// TouchEvery: requests inside the window cost no write, the first after it is recorded.
func TestLastSeenCoalesced(t *testing.T) {
	ctx := context.Background()
	e := newTokenEnv(t, time.Hour, nil)
	e.a.TouchEvery = time.Minute
	send := func(method, path string) {
		t.Helper()
		if _, err := e.a.Authenticate(auth.WithRequest(ctx, method, path), e.header, store.ScopeSCIM); err != nil {
			t.Fatal(err)
		}
	}
	seen := func() (string, time.Time) {
		t.Helper()
		var tk store.Token
		if err := e.st.Store.View(ctx, func(tx store.Tx) (err error) { tk, err = tx.Token(ctx, e.org, e.tok.ID); return err }); err != nil {
			t.Fatal(err)
		}
		if tk.LastUsedAt == nil {
			return tk.LastRequest, time.Time{}
		}
		return tk.LastRequest, *tk.LastUsedAt
	}
	start := e.clk.t
	send("POST", "/scim/v2/Users")
	e.clk.t = start.Add(30 * time.Second)
	send("PATCH", "/scim/v2/Groups/g-1") // inside the minute: not written
	if req, at := seen(); req != "POST /Users" || !at.Equal(start.Truncate(time.Microsecond)) {
		t.Errorf("after two requests within a minute: %q at %v, want the first", req, at)
	}
	e.clk.t = start.Add(61 * time.Second)
	send("PATCH", "/scim/v2/Groups/g-1")
	if req, at := seen(); req != "PATCH /Groups/…" || !at.Equal(e.clk.t.Truncate(time.Microsecond)) {
		t.Errorf("after the window: %q at %v, want PATCH /Groups/… at %v", req, at, e.clk.t)
	}
}
