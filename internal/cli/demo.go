package cli

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"time"

	"github.com/spf13/cobra"

	"github.com/rolecall/rolecall/internal/access"
	"github.com/rolecall/rolecall/internal/api"
	"github.com/rolecall/rolecall/internal/audit"
	"github.com/rolecall/rolecall/internal/enforce"
	"github.com/rolecall/rolecall/internal/server"
	"github.com/rolecall/rolecall/internal/service"
	"github.com/rolecall/rolecall/internal/store"
	"github.com/rolecall/rolecall/internal/store/sqlstore"
)

// DemoOrg is the organization `rolecall demo` creates: the one of the enforce-groups
// reference page.
const DemoOrg = "example-org"

func (a *App) demoCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "demo",
		Short: "Show enforce-groups on the reference organization (temporary database, nothing to set up)",
		Long: `Start rolecall in-process on a temporary SQLite database, seed it with the organization of
the enforce-groups reference (users, groups, clouds, projects and role bindings), and run
"rolecall scim enforce-groups --dry-run" against it through the admin API, exactly as the CLI
does against a real server. The database is removed afterwards.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return a.demo(cmd.Context(), time.Now()) },
	}
}

func (a *App) demo(ctx context.Context, start time.Time) (err error) {
	dir, err := os.MkdirTemp("", "rolecall-demo-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	st, err := sqlstore.Open(ctx, "sqlite:"+filepath.Join(dir, "demo.db"))
	if err != nil {
		return fmt.Errorf("opening the demo database: %w", err)
	}
	defer st.Close()
	_, secret, _, err := seedOrg(ctx, st, DemoOrg, enforce.ReferenceState())
	if err != nil {
		return fmt.Errorf("seeding the demo organization: %w", err)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	srv := server.New(server.Config{}, st, nil, nil)
	sctx, cancel := context.WithCancel(ctx)
	served := make(chan error, 1)
	go func() { served <- srv.Serve(sctx, l) }()
	defer func() {
		cancel()
		if serr := <-served; serr != nil && !errors.Is(serr, http.ErrServerClosed) && err == nil {
			err = serr
		}
	}()
	url := "http://" + l.Addr().String()
	fmt.Fprintf(a.Stderr, "rolecall demo: serving organization %q (the enforce-groups reference) at %s on a temporary database.\n"+
		"Running: rolecall scim enforce-groups --dry-run\n\n", DemoOrg, url)
	demo := *a
	demo.server, demo.token = url, secret
	return demo.enforceGroups(ctx, start, enforceFlags{dryRun: true})
}

// seedOrg creates the organization name with an admin token on st and seeds it with the
// organization s through the store. It returns the org's id, the token's secret and the
// stored ID of each ID in s.
func seedOrg(ctx context.Context, st store.Store, name string, s *access.State) (orgID, secret string, ids map[string]string, err error) {
	ctx = audit.WithActor(ctx, audit.Actor{Name: "demo"})
	org, tok, err := service.New(st).CreateOrgWithToken(ctx, name, api.CreateTokenRequest{Name: "demo", Scope: string(store.ScopeAdmin)})
	orgID, secret = org.ID, tok.Secret
	if err != nil {
		return "", "", nil, err
	}
	ids, err = service.Seed(ctx, st, orgID, s, 0)
	return orgID, secret, ids, err
}
