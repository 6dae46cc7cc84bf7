package cli

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/rolecall/rolecall/internal/api"
	"github.com/rolecall/rolecall/internal/audit"
	"github.com/rolecall/rolecall/internal/client"
	"github.com/rolecall/rolecall/internal/service"
	"github.com/rolecall/rolecall/internal/store"
)

func (a *App) orgCommand() *cobra.Command {
	cmd := &cobra.Command{Use: "org", Short: "Manage organizations (create and list work offline with --db)"}
	var db string
	create := &cobra.Command{
		Use:   "create NAME",
		Short: "Create an organization (offline: opens the database named by --db)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := offlineActor(cmd.Context())
			// The one offline command that may start a database: setting up a database for
			// several organizations begins here, before any server ran on it. It says so.
			created := existingSQLite(db) != nil
			return a.openOffline(ctx, db, func(st store.Store) error {
				org, err := service.New(st).CreateOrg(ctx, args[0])
				if err != nil {
					return err
				}
				v := api.Org{ID: org.ID, Name: org.Name, CreatedAt: org.CreatedAt}
				if a.json() {
					return printJSON(a.Stdout, v)
				}
				if created {
					path, _ := filepath.Abs(strings.TrimPrefix(db, "sqlite:"))
					fmt.Fprintf(a.Stdout, "Created the database %s.\n", path)
				}
				fmt.Fprintf(a.Stdout, "Created organization %s (%s).\nIssue its first admin token: rolecall token create --db %s --org %s --name admin --scope admin\n", org.Name, org.ID, db, org.Name)
				return nil
			})
		},
	}
	list := &cobra.Command{
		Use:   "list",
		Short: "List organizations (offline: opens the database named by --db)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			return a.offline(ctx, db, func(st store.Store) error {
				orgs, err := service.New(st).Orgs(ctx)
				if err != nil {
					return err
				}
				out := make([]api.Org, len(orgs))
				for i, o := range orgs {
					out[i] = api.Org{ID: o.ID, Name: o.Name, CreatedAt: o.CreatedAt}
				}
				if a.json() {
					return printJSON(a.Stdout, api.List[api.Org]{Items: out, Total: len(out)})
				}
				t := newTable(a.Stdout, "NAME", "ID", "CREATED")
				for _, o := range out {
					t.row(o.Name, o.ID, o.CreatedAt.Format("2006-01-02T15:04:05Z"))
				}
				return t.flush()
			})
		},
	}
	for _, c := range []*cobra.Command{create, list} {
		c.Flags().StringVar(&db, "db", a.env("ROLECALL_DB", DefaultDB), "database: sqlite:PATH or postgres://… (env ROLECALL_DB)")
	}
	cmd.AddCommand(create, list, a.orgSetCommand(), a.orgSettingsCommand())
	return cmd
}

// orgSetCommand changes the settings of the token's org through the admin API.
func (a *App) orgSetCommand() *cobra.Command {
	var groupsOnly bool
	var maxExempt int
	cmd := &cobra.Command{
		Use:   "set [--groups-only=true|false] [--max-exemptions N]",
		Short: "Change the organization's settings (through the server)",
		Long: `Change the settings of the token's organization.

--groups-only=true turns on the drift guard: new direct user grants are refused, so access is
granted to groups (which your identity provider manages) rather than to single users; users
exempt from enforce-groups (rolecall user exempt) may still get direct grants.

--max-exemptions N sets how many users may be exempt from enforce-groups (default 5).`,
		Example: "  rolecall org set --groups-only=true",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			var req api.UpdateOrgSettingsRequest
			if cmd.Flags().Changed("groups-only") {
				req.GroupsOnly = &groupsOnly
			}
			if cmd.Flags().Changed("max-exemptions") {
				req.MaxExemptions = &maxExempt
			}
			if req.GroupsOnly == nil && req.MaxExemptions == nil {
				return fmt.Errorf("nothing to set: pass --groups-only=true or --groups-only=false, or --max-exemptions N")
			}
			return a.withClient(cmd, func(ctx context.Context, c *client.Client) error {
				out, err := c.UpdateOrgSettings(ctx, req)
				if err != nil {
					return err
				}
				return a.printed(out, func() error {
					if req.GroupsOnly != nil {
						if _, err := fmt.Fprintf(a.Stdout, "Groups-only mode is %s.\n", onOff(out.GroupsOnly)); err != nil {
							return err
						}
					}
					if req.MaxExemptions != nil {
						if _, err := fmt.Fprintf(a.Stdout, "At most %d users may be exempt from enforce-groups.\n", out.MaxExemptions); err != nil {
							return err
						}
					}
					return nil
				})
			})
		},
	}
	cmd.Flags().BoolVar(&groupsOnly, "groups-only", false, "refuse new direct user grants (true) or allow them (false)")
	cmd.Flags().IntVar(&maxExempt, "max-exemptions", 0, "most users that may be exempt from enforce-groups (1 to 100; default 5)")
	return cmd
}

// orgSettingsCommand shows the token's org's settings.
func (a *App) orgSettingsCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "settings",
		Short: "Show the organization's settings (through the server)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return a.withClient(cmd, func(ctx context.Context, c *client.Client) error {
				st, err := c.OrgSettings(ctx)
				if err != nil {
					return err
				}
				return a.printed(st, func() error {
					d := newDetails(a.Stdout)
					d.field("Groups-only mode", onOff(st.GroupsOnly))
					d.field("Updated", when(st.UpdatedAt))
					return d.flush()
				})
			})
		},
	}
}

func onOff(b bool) string {
	if b {
		return "on"
	}
	return "off"
}

// offline opens the database for an offline admin command and closes it after fn. An
// SQLite file must exist: opening would otherwise create an empty database, and a mistyped
// path would quietly get an organization or a token of its own that no server ever reads.
func (a *App) offline(ctx context.Context, db string, fn func(store.Store) error) error {
	if err := existingSQLite(db); err != nil {
		return err
	}
	return a.openOffline(ctx, db, fn)
}

// openOffline opens db, creating an SQLite file that does not exist, and closes it after fn.
func (a *App) openOffline(ctx context.Context, db string, fn func(store.Store) error) error {
	st, err := openStore(ctx, db)
	if err != nil {
		return err
	}
	defer st.Close()
	return fn(st)
}

// offlineActor names offline CLI changes in the audit log.
func offlineActor(ctx context.Context) context.Context {
	return audit.WithActor(ctx, audit.Actor{Name: "cli"})
}

// resolveOrg finds the org for an offline command: the named one, or the only one.
func resolveOrg(ctx context.Context, svc *service.Service, name string) (store.Org, error) {
	if name != "" {
		org, err := svc.OrgByName(ctx, name)
		if err != nil {
			return org, fmt.Errorf("organization %q: %w (list them with `rolecall org list --db …`)", name, err)
		}
		return org, nil
	}
	orgs, err := svc.Orgs(ctx)
	if err != nil {
		return store.Org{}, err
	}
	switch len(orgs) {
	case 0:
		return store.Org{}, fmt.Errorf("the database has no organization yet: start `rolecall serve` once, or run `rolecall org create NAME --db …`")
	case 1:
		return orgs[0], nil
	}
	names := make([]string, len(orgs))
	for i, o := range orgs {
		names[i] = o.Name
	}
	return store.Org{}, fmt.Errorf("the database has several organizations (%s): choose one with --org", strings.Join(names, ", "))
}

// existingSQLite refuses a sqlite: DSN whose file does not exist, naming the absolute path it
// looked at (a relative path is relative to the current directory, which is easy to get
// wrong). Other DSNs pass.
func existingSQLite(db string) error {
	path, ok := strings.CutPrefix(db, "sqlite:")
	if !ok || path == "" {
		return nil
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		abs = path
	}
	if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("no rolecall database at %s (from --db %s): check the path, or create the database by starting the server once with `rolecall serve --db %s`", abs, db, db)
	} else if err != nil {
		return fmt.Errorf("--db %s: %w", db, err)
	}
	return nil
}
