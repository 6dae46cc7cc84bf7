package cli

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/rolecall/rolecall/internal/api"
	"github.com/rolecall/rolecall/internal/client"
)

func init() { extraCommands = append(extraCommands, (*App).projectCommand) }

func (a *App) projectCommand() *cobra.Command {
	cmd := &cobra.Command{Use: "project", Short: "Create, list, rename and delete projects (each is in one cloud)"}
	var cloud string
	create := &cobra.Command{
		Use:     "create NAME --cloud CLOUD",
		Short:   "Create a project in a cloud",
		Example: "  rolecall project create api --cloud prod",
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return a.withClient(cmd, func(ctx context.Context, c *client.Client) error {
				out, err := c.CreateProject(ctx, args[0], cloud)
				if err != nil {
					return err
				}
				return a.printed(out, func() error {
					_, err := fmt.Fprintf(a.Stdout, "Created project %s in cloud %s (%s).\n", out.Name, out.Cloud, out.ID)
					return err
				})
			})
		},
	}
	create.Flags().StringVar(&cloud, "cloud", "", "the cloud the project is in (id or name) (required)")
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
	cmd.AddCommand(create, list, get, rename, del)
	return cmd
}

func (a *App) projectTable(ps ...api.Project) error {
	t := newTable(a.Stdout, "NAME", "CLOUD", "CREATED", "ID")
	for _, p := range ps {
		t.row(p.Name, p.Cloud, stamp(p.CreatedAt), p.ID)
	}
	return t.flush()
}
