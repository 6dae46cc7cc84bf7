package uitest

import (
	"context"
	"net/http/httptest"
	"path/filepath"
	"testing"

	"github.com/rolecall/rolecall/internal/api"
	"github.com/rolecall/rolecall/internal/audit"
	"github.com/rolecall/rolecall/internal/auth"
	"github.com/rolecall/rolecall/internal/enforce"
	"github.com/rolecall/rolecall/internal/server"
	"github.com/rolecall/rolecall/internal/service"
	"github.com/rolecall/rolecall/internal/store"
	"github.com/rolecall/rolecall/internal/store/sqlstore"
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
	ctx := audit.WithActor(context.Background(), audit.Actor{Name: "test-setup"})
	st, err := sqlstore.Open(ctx, "sqlite:"+filepath.Join(t.TempDir(), "rolecall.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	var orgID string
	err = st.Update(ctx, func(tx store.Tx) error {
		org, err := auth.CreateOrg(ctx, tx, orgName)
		if err != nil {
			return err
		}
		orgID = org.ID
		_, err = auth.CreateToken(ctx, tx, org.ID, api.CreateTokenRequest{Name: adminTokenName, Scope: "admin"}, adminToken)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := service.Seed(ctx, st, orgID, enforce.ReferenceState(), 0); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(server.New(server.Config{}, st, nil, nil).Handler())
	t.Cleanup(srv.Close)
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
