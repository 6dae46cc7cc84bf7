// Package testenv is what rolecall's tests share, after tailscale's setectest: a fresh store
// per backend (SQLite always, PostgreSQL when sqltest.EnvPostgres names a database), an org
// with an admin and a SCIM token made the way the server makes them, seeded organizations,
// an in-process server over HTTP, and the rolecall binary built once per test process.
//
// It may import the service layer, the server, auth, access, store, sqlstore/sqltest and the
// standard library; only tests import it. Because it imports service and server, tests in
// those packages (and in the packages they import, such as store, auth and access) that want
// it must be external _test packages; same-package tests there keep using sqltest directly.
package testenv

import (
	"context"
	"fmt"
	"log/slog"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"

	"github.com/rolecall/rolecall/internal/access"
	"github.com/rolecall/rolecall/internal/api"
	"github.com/rolecall/rolecall/internal/audit"
	"github.com/rolecall/rolecall/internal/auth"
	"github.com/rolecall/rolecall/internal/server"
	"github.com/rolecall/rolecall/internal/service"
	"github.com/rolecall/rolecall/internal/store"
	"github.com/rolecall/rolecall/internal/store/sqlstore/sqltest"
)

// Actor is the audit actor of everything testenv writes (orgs, tokens, seeded data), so a
// test can tell its set-up from what it does.
const Actor = "test-setup"

// EachStore runs fn as a subtest per backend, each with a fresh, empty, migrated store. The
// PostgreSQL subtest skips with sqltest.SkipMessage when no test database is configured.
func EachStore(t *testing.T, fn func(t *testing.T, st store.Store)) {
	t.Helper()
	for _, b := range sqltest.Backends() {
		t.Run(b.Name, func(t *testing.T) { fn(t, sqltest.Open(t, b.DSN(t))) })
	}
}

// SQLite opens a fresh SQLite store, for tests that do not depend on the backend.
func SQLite(t testing.TB) store.Store {
	t.Helper()
	return sqltest.Open(t, sqltest.SQLiteDSN(t))
}

// Options shape an Env.
type Options struct {
	// Config is the server's configuration (limits, rate limits).
	Config server.Config
	// AdminToken is the bootstrap admin token's secret; empty means a random one. Tests that
	// record golden output set it so that it does not change between runs.
	AdminToken string
	// SCIMTokenName, when set, makes Env.SCIMToken: a SCIM token of that name. Tests that
	// compare audit logs or token lists leave it empty so that only the bootstrap is there.
	SCIMTokenName string
}

// Env is one server on one store: the bootstrap org "default" with its admin token (as a
// first `rolecall serve` makes it) and, when asked for, a SCIM token.
type Env struct {
	Store      store.Store
	DSN        string // the store's database, for offline commands (`--db`) on the same data
	Service    *service.Service
	Server     *httptest.Server
	URL        string // the server's base URL
	OrgID      string // the default org
	AdminToken string // admin scope
	SCIMToken  string // scim scope; empty unless Options.SCIMTokenName is set
}

// New starts an Env on the database at dsn; everything is closed when the test ends.
func New(t testing.TB, dsn string, o Options) *Env {
	t.Helper()
	ctx := audit.WithActor(context.Background(), audit.Actor{Name: Actor})
	st := sqltest.Open(t, dsn)
	admin, created, err := auth.Bootstrap(ctx, st, o.AdminToken)
	if err != nil || !created {
		t.Fatalf("bootstrap: created=%v err=%v", created, err)
	}
	e := &Env{Store: st, DSN: dsn, Service: service.New(st), AdminToken: admin.Secret}
	err = st.View(ctx, func(tx store.Tx) error {
		org, err := tx.OrgByName(ctx, auth.DefaultOrg)
		e.OrgID = org.ID
		return err
	})
	if err != nil {
		t.Fatalf("default org: %v", err)
	}
	if o.SCIMTokenName != "" {
		e.SCIMToken = e.Token(t, e.OrgID, o.SCIMTokenName, store.ScopeSCIM)
	}
	e.Server = Serve(t, st, o.Config, nil)
	e.URL = e.Server.URL
	return e
}

// Each runs fn as a subtest per backend, each with a fresh Env.
func Each(t *testing.T, o Options, fn func(t *testing.T, e *Env)) {
	t.Helper()
	for _, b := range sqltest.Backends() {
		t.Run(b.Name, func(t *testing.T) { fn(t, New(t, b.DSN(t), o)) })
	}
}

// Token creates a token of the org through the service layer and returns its secret.
func (e *Env) Token(t testing.TB, orgID, name string, scope store.Scope) string {
	t.Helper()
	ctx := audit.WithActor(context.Background(), audit.Actor{Name: Actor})
	tok, err := e.Service.CreateToken(ctx, orgID, api.CreateTokenRequest{Name: name, Scope: string(scope)}, "")
	if err != nil {
		t.Fatalf("create %s token %q: %v", scope, name, err)
	}
	return tok.Secret
}

// Seed creates the org name and seeds s into it through the service layer; it returns the
// org's id and the mapping from s's ids to stored ids.
func Seed(t testing.TB, st store.Store, name string, s *access.State) (orgID string, ids map[string]string) {
	t.Helper()
	return seed(t, st, name, s, "", "")
}

// SeedWithAdmin is Seed with an admin token of the org, named tokenName with the given
// secret, created before the seeding (as a person would: org, token, then the IdP's data).
func SeedWithAdmin(t testing.TB, st store.Store, name string, s *access.State, tokenName, secret string) (orgID string, ids map[string]string) {
	t.Helper()
	return seed(t, st, name, s, tokenName, secret)
}

func seed(t testing.TB, st store.Store, name string, s *access.State, tokenName, secret string) (string, map[string]string) {
	t.Helper()
	ctx := audit.WithActor(context.Background(), audit.Actor{Name: Actor, RequestID: "test"})
	svc := service.New(st)
	org, err := svc.CreateOrg(ctx, name)
	if err != nil {
		t.Fatalf("create org %q: %v", name, err)
	}
	if tokenName != "" {
		if _, err := svc.CreateToken(ctx, org.ID, api.CreateTokenRequest{Name: tokenName, Scope: string(store.ScopeAdmin)}, secret); err != nil {
			t.Fatalf("create token %q: %v", tokenName, err)
		}
	}
	ids, err := service.Seed(ctx, st, org.ID, s, 0)
	if err != nil {
		t.Fatalf("seed %q: %v", name, err)
	}
	return org.ID, ids
}

// Serve serves st over HTTP (server.New with cfg; log nil discards the server's log) until
// the test ends.
func Serve(t testing.TB, st store.Store, cfg server.Config, log *slog.Logger) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(server.New(cfg, st, log, nil).Handler())
	t.Cleanup(srv.Close)
	return srv
}

var (
	buildOnce sync.Once
	binDir    string
	binPath   string
	buildErr  error
)

// Binary returns the path of the rolecall binary, built (CGO_ENABLED=0, as released) the
// first time a test of the process asks for it and reused after that. Main removes it.
func Binary(t testing.TB) string {
	t.Helper()
	buildOnce.Do(func() {
		binDir, buildErr = os.MkdirTemp("", "rolecall-bin-")
		if buildErr != nil {
			return
		}
		binPath = filepath.Join(binDir, "rolecall")
		// The import path, not a relative directory, so that it builds from any package.
		cmd := exec.Command("go", "build", "-o", binPath, "github.com/rolecall/rolecall/cmd/rolecall")
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
		if out, err := cmd.CombinedOutput(); err != nil {
			buildErr = fmt.Errorf("building rolecall: %v\n%s", err, out)
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return binPath
}

// Main runs a package's tests and then removes what Binary built: use it as the package's
// TestMain when its tests call Binary (a t.Cleanup cannot do it, the binary outlives tests).
func Main(m *testing.M) {
	code := m.Run()
	if binDir != "" {
		os.RemoveAll(binDir)
	}
	os.Exit(code)
}
