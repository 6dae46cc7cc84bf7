package uitest

import (
	"context"
	"testing"

	"github.com/rolecall/rolecall/internal/enforce"
	"github.com/rolecall/rolecall/internal/server"
	"github.com/rolecall/rolecall/internal/store"
	"github.com/rolecall/rolecall/internal/testenv"
)

// env is a real server over HTTP on a fresh SQLite database that holds the enforce-groups
// reference organization, named example-org as on the reference page, and an admin token.
type env struct {
	url   string
	st    store.Store
	orgID string
}

const (
	adminToken     = "rc_browser_admin_token_0123456789"
	adminTokenName = "alice-console"
	orgName        = "example-org"
)

func newEnv(t *testing.T) *env {
	t.Helper()
	return newEnvConfig(t, server.Config{})
}

// newEnvConfig is newEnv with a server configured by cfg.
func newEnvConfig(t *testing.T, cfg server.Config) *env {
	t.Helper()
	st := testenv.SQLite(t)
	orgID, _ := testenv.SeedWithAdmin(t, st, orgName, enforce.ReferenceState(), adminTokenName, adminToken)
	srv := testenv.Serve(t, st, cfg, nil)
	return &env{url: srv.URL, st: st, orgID: orgID}
}

// run returns the org's only enforce-groups run.
func (e *env) run(t *testing.T) store.Run {
	t.Helper()
	ctx := context.Background()
	var runs []store.Run
	err := e.st.View(ctx, func(tx store.Tx) (err error) {
		runs, _, err = tx.ListRuns(ctx, e.orgID, store.Page{Limit: 10})
		return err
	})
	if err != nil || len(runs) != 1 {
		t.Fatalf("runs: %v (err %v), want exactly one", runs, err)
	}
	return runs[0]
}
