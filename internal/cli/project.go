package cli

import (
	"context"
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/rolecall/rolecall/internal/api"
	"github.com/rolecall/rolecall/internal/client"
)

func init() { extraCommands = append(extraCommands, (*App).projectCommand) }

func (a *App) projectCommand() *cobra.Command {
	cmd := &cobra.Command{Use: "project", Short: "Create, list, rename and delete projects (each is in one cloud)",
		Long: `Projects live in clouds. A role on a cloud does not reach its projects, with one exception:
a public project makes everyone holding a role on its cloud a collaborator on it. Projects are
private unless created with --public or changed with set-visibility.`}
	var (
		cloud  string
		public bool
	)
	create := &cobra.Command{
		Use:   "create NAME --cloud CLOUD [--public]",
		Short: "Create a project in a cloud (private unless --public)",
		Example: `  rolecall project create api --cloud prod
  rolecall project create sandbox --cloud prod --public`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return a.withClient(cmd, func(ctx context.Context, c *client.Client) error {
				req := api.CreateProjectRequest{Name: args[0], Cloud: cloud}
				if public {
					req.Visibility = api.VisibilityPublic
				}
				out, err := c.CreateProjectWith(ctx, req)
				if err != nil {
					return err
				}
				return a.printed(out, func() error {
					if _, err := fmt.Fprintf(a.Stdout, "Created project %s in cloud %s (%s).\n", out.Name, out.Cloud, out.ID); err != nil {
						return err
					}
					if out.Visibility == api.VisibilityPublic {
						_, err = fmt.Fprintf(a.Stdout, "It is public: everyone with a role on cloud %s is a collaborator on it.\n", out.Cloud)
					}
					return err
				})
			})
		},
	}
	create.Flags().StringVar(&cloud, "cloud", "", "the cloud the project is in (id or name) (required)")
	create.Flags().BoolVar(&public, "public", false, "make the project public: everyone with a role on its cloud is a collaborator")
	_ = create.MarkFlagRequired("cloud")
	a.completeFlag(create, "cloud", a.cloudNames)

	list := &cobra.Command{
		Use:   "list [--cloud CLOUD]",
		Short: "List projects, all or those of one cloud",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return a.withClient(cmd, func(ctx context.Context, c *client.Client) error {
				out, err := c.ListProjects(ctx, cloud)
				if err != nil {
					return err
				}
				return a.printed(api.List[api.Project]{Items: nonNilSlice(out), Total: len(out)}, func() error {
					return a.projectTable(out...)
				})
			})
		},
	}
	list.Flags().StringVar(&cloud, "cloud", "", "only the projects of this cloud (id or name)")
	a.completeFlag(list, "cloud", a.cloudNames)

	get := &cobra.Command{
		Use:               "get NAME|ID",
		Short:             "Show a project",
		Args:              cobra.ExactArgs(1),
		ValidArgsFunction: a.completeArg(a.projectNames),
		RunE: func(cmd *cobra.Command, args []string) error {
			return a.withClient(cmd, func(ctx context.Context, c *client.Client) error {
				out, err := c.Project(ctx, args[0])
				if err != nil {
					return err
				}
				return a.printed(out, func() error { return a.projectTable(out) })
			})
		},
	}
	rename := &cobra.Command{
		Use:               "rename NAME|ID NEW_NAME",
		Short:             "Rename a project (its grants stay)",
		Args:              cobra.ExactArgs(2),
		ValidArgsFunction: a.completeArg(a.projectNames),
		RunE: func(cmd *cobra.Command, args []string) error {
			return a.withClient(cmd, func(ctx context.Context, c *client.Client) error {
				out, err := c.RenameProject(ctx, args[0], args[1])
				if err != nil {
					return err
				}
				return a.printed(out, func() error {
					_, err := fmt.Fprintf(a.Stdout, "Renamed project %s to %s.\n", args[0], out.Name)
					return err
				})
			})
		},
	}
	visibility := &cobra.Command{
		Use:   "set-visibility NAME|ID public|private",
		Short: "Make a project public (its cloud's role holders are collaborators) or private",
		Example: `  rolecall project set-visibility sandbox public
  rolecall project set-visibility api private`,
		Args:              cobra.ExactArgs(2),
		ValidArgsFunction: a.completeArg(a.projectNames),
		RunE: func(cmd *cobra.Command, args []string) error {
			v := strings.ToLower(args[1])
			if v != api.VisibilityPublic && v != api.VisibilityPrivate {
				return fmt.Errorf("unknown visibility %q: say public or private", args[1])
			}
			return a.withClient(cmd, func(ctx context.Context, c *client.Client) error {
				out, err := c.SetProjectVisibility(ctx, args[0], v)
				if err != nil {
					return err
				}
				return a.printed(out, func() error {
					msg := fmt.Sprintf("Project %s is public: everyone with a role on cloud %s is a collaborator on it.", out.Name, out.Cloud)
					if out.Visibility == api.VisibilityPrivate {
						msg = fmt.Sprintf("Project %s is private: only roles granted on it reach it (roles on cloud %s do not).", out.Name, out.Cloud)
					}
					_, err := fmt.Fprintln(a.Stdout, msg)
					return err
				})
			})
		},
	}
	var yes bool
	del := &cobra.Command{
		Use:               "delete NAME|ID",
		Short:             "Delete a project and its grants",
		Args:              cobra.ExactArgs(1),
		ValidArgsFunction: a.completeArg(a.projectNames),
		RunE: func(cmd *cobra.Command, args []string) error {
			return a.withClient(cmd, func(ctx context.Context, c *client.Client) error {
				p, err := c.Project(ctx, args[0])
				if err != nil {
					return err
				}
				if err := a.confirmDelete(ctx, c, fmt.Sprintf("project %s (cloud %s)", p.Name, p.Cloud),
					api.GrantFilter{ResourceKind: api.KindProject, Resource: p.ID}, yes); err != nil {
					return err
				}
				out, err := c.DeleteProject(ctx, p.ID)
				if err != nil {
					return err
				}
				return a.printed(out, func() error {
					_, err := fmt.Fprintf(a.Stdout, "Deleted project %s (cloud %s) and the grants on it.\n", out.Name, out.Cloud)
					return err
				})
			})
		},
	}
	del.Flags().BoolVarP(&yes, "yes", "y", false, "delete without asking (needed when stdin is not a terminal, and with -o json)")
	cmd.AddCommand(create, list, get, rename, visibility, del)
	return cmd
}

func (a *App) projectTable(ps ...api.Project) error {
	t := newTable(a.Stdout, "NAME", "CLOUD", "VISIBILITY", "CREATED", "ID")
	for _, p := range ps {
		t.row(p.Name, p.Cloud, p.Visibility, stamp(p.CreatedAt), p.ID)
	}
	return t.flush()
}
