package cli

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/spf13/cobra"

	"github.com/rolecall/rolecall/internal/access"
	"github.com/rolecall/rolecall/internal/api"
	"github.com/rolecall/rolecall/internal/audit"
	"github.com/rolecall/rolecall/internal/client"
	"github.com/rolecall/rolecall/internal/enforce"
	"github.com/rolecall/rolecall/internal/server"
	"github.com/rolecall/rolecall/internal/service"
	"github.com/rolecall/rolecall/internal/store"
	"github.com/rolecall/rolecall/internal/store/sqlstore"
)

// DemoOrg is the organization `rolecall demo` creates: the one of the enforce-groups
// reference page.
const DemoOrg = "example-org"

// DemoDB is where `rolecall demo --serve` keeps its database unless told otherwise: a file
// of its own in the working directory, so that the demo never writes into rolecall.db.
const DemoDB = "sqlite:rolecall-demo.db"

// DemoListen is the address `rolecall demo --serve` listens on by default: the CLI's
// default server, so that the CLI reaches the demo with only ROLECALL_TOKEN set.
const DemoListen = "127.0.0.1:8080"

// demoFlags are the flags of `rolecall demo`.
type demoFlags struct {
	serve      bool
	db, listen string
}

func (a *App) demoCommand() *cobra.Command {
	var f demoFlags
	cmd := &cobra.Command{
		Use:   "demo",
		Short: "Show enforce-groups on the reference organization (temporary database, nothing to set up); --serve keeps it running",
		Long: `Start rolecall in-process on a temporary SQLite database, seed it with the organization of
the enforce-groups reference (users, groups, clouds, projects and role bindings), and run
"rolecall scim enforce-groups --dry-run" against it through the admin API, exactly as the CLI
does against a real server. The database is removed afterwards.

With --serve, the same organization is seeded into a database that stays (--db, default
` + DemoDB + `) and served at --listen until Ctrl-C: the users and groups arrive over SCIM
as an identity provider would send them, the rest through the admin API. It prints the console
URL and an admin token to sign in with. Start it again on the same file with
"rolecall serve --db sqlite:PATH" (the token stays valid); --serve refuses a database whose
organization "` + DemoOrg + `" already holds data.`,
		Example: `  rolecall demo
  rolecall demo --serve
  rolecall demo --serve --db sqlite:/tmp/demo.db --listen 127.0.0.1:9090`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if f.serve {
				return a.demoServe(cmd.Context(), f)
			}
			if cmd.Flags().Changed("db") || cmd.Flags().Changed("listen") {
				return errors.New("--db and --listen go with --serve: without it the demo runs on a temporary database and stops")
			}
			return a.demo(cmd.Context(), time.Now())
		},
	}
	cmd.Flags().BoolVar(&f.serve, "serve", false, "keep the demo organization in a database (--db) and serve it until Ctrl-C")
	cmd.Flags().StringVar(&f.db, "db", DemoDB, "with --serve: the database to seed and keep (sqlite:PATH or postgres://…)")
	cmd.Flags().StringVar(&f.listen, "listen", DemoListen, "with --serve: the address to listen on")
	return cmd
}

// demoServe seeds the reference organization into f.db and serves it until ctx ends.
func (a *App) demoServe(ctx context.Context, f demoFlags) error {
	// Listen first: a port in use must fail before anything is written to the database.
	l, err := net.Listen("tcp", f.listen)
	if err != nil {
		return fmt.Errorf("listening on %s: %w (is another server using that port? choose one with --listen)", f.listen, err)
	}
	defer l.Close()
	st, err := openStore(ctx, f.db)
	if err != nil {
		return err
	}
	defer st.Close()
	secret, err := prepareOrg(ctx, st, DemoOrg, "demo")
	if err != nil {
		return fmt.Errorf("%s: %w", redactDSN(f.db), err)
	}
	// The seeding's own requests are not logged: the newcomer sees the banner, then what
	// they do.
	var level slog.LevelVar
	level.Set(slog.LevelWarn)
	log := slog.New(slog.NewTextHandler(a.Stderr, &slog.HandlerOptions{Level: &level}))
	srv := server.New(server.Config{}, st, log, prometheus.NewRegistry())
	sctx, cancel := context.WithCancel(ctx)
	defer cancel()
	served := make(chan error, 1)
	go func() { served <- srv.Serve(sctx, l) }()
	url := "http://" + l.Addr().String()
	c, err := client.New(url, secret)
	if err != nil {
		return err
	}
	sum, err := seedExample(ctx, c, enforce.ReferenceState())
	if err != nil {
		cancel()
		<-served
		return fmt.Errorf("seeding the demo organization: %w", err)
	}
	db := redactDSN(f.db)
	fmt.Fprintf(a.Stderr, `
rolecall demo: organization %q is seeded (%d users and %d groups over SCIM as the IdP %q, %d clouds, %d projects, %d grants)
in %s, which stays after you stop.

  Console:      %s/ui   (sign in with the admin token)
  Admin token:  %s
  CLI:          export ROLECALL_URL=%s ROLECALL_TOKEN=%s
  Try:          rolecall user list
                rolecall access explain --user user1@example.com --cloud prod-cloud
                rolecall scim enforce-groups --dry-run

Ctrl-C stops it; "rolecall serve --db %s --addr %s" serves it again with the same token.
`, DemoOrg, sum.Users, sum.Groups, ExampleIdP, sum.Clouds, sum.Projects, sum.Grants, db, url, secret, url, secret, db, l.Addr().String())
	level.Set(slog.LevelInfo)
	log.Info("rolecall listening", "addr", l.Addr().String(), "console", url+"/ui", "db", redactDSN(f.db), "version", Version())
	err = <-served
	if errors.Is(err, http.ErrServerClosed) {
		err = nil
	}
	return err
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
