package cli

import (
	"context"
	"fmt"
	"strconv"

	"github.com/spf13/cobra"

	"github.com/rolecall/rolecall/internal/api"
	"github.com/rolecall/rolecall/internal/client"
)

func init() { extraCommands = append(extraCommands, (*App).cloudCommand) }

func (a *App) cloudCommand() *cobra.Command {
	cmd := &cobra.Command{Use: "cloud", Short: "Create, list, rename and delete clouds"}
	create := &cobra.Command{
		Use:   "create NAME",
		Short: "Create a cloud",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return a.withClient(cmd, func(ctx context.Context, c *client.Client) error {
				out, err := c.CreateCloud(ctx, args[0])
				if err != nil {
					return err
				}
				return a.printed(out, func() error {
					_, err := fmt.Fprintf(a.Stdout, "Created cloud %s (%s).\n", out.Name, out.ID)
					return err
				})
			})
		},
	}
	list := &cobra.Command{
		Use:   "list",
		Short: "List clouds",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return a.withClient(cmd, func(ctx context.Context, c *client.Client) error {
				out, err := c.ListClouds(ctx)
				if err != nil {
					return err
				}
				return a.printed(api.List[api.Cloud]{Items: nonNilSlice(out), Total: len(out)}, func() error {
					return a.cloudTable(out...)
				})
			})
		},
	}
	get := &cobra.Command{
		Use:               "get NAME|ID",
		Short:             "Show a cloud",
		Args:              cobra.ExactArgs(1),
		ValidArgsFunction: a.completeArg(a.cloudNames),
		RunE: func(cmd *cobra.Command, args []string) error {
			return a.withClient(cmd, func(ctx context.Context, c *client.Client) error {
				out, err := c.Cloud(ctx, args[0])
				if err != nil {
					return err
				}
				return a.printed(out, func() error { return a.cloudTable(out) })
			})
		},
	}
	rename := &cobra.Command{
		Use:               "rename NAME|ID NEW_NAME",
		Short:             "Rename a cloud (its grants and projects stay)",
		Args:              cobra.ExactArgs(2),
		ValidArgsFunction: a.completeArg(a.cloudNames),
		RunE: func(cmd *cobra.Command, args []string) error {
			return a.withClient(cmd, func(ctx context.Context, c *client.Client) error {
				out, err := c.RenameCloud(ctx, args[0], args[1])
				if err != nil {
					return err
				}
				return a.printed(out, func() error {
					_, err := fmt.Fprintf(a.Stdout, "Renamed cloud %s to %s.\n", args[0], out.Name)
					return err
				})
			})
		},
	}
	var yes bool
	del := &cobra.Command{
		Use:               "delete NAME|ID",
		Short:             "Delete a cloud and its grants (delete its projects first)",
		Args:              cobra.ExactArgs(1),
		ValidArgsFunction: a.completeArg(a.cloudNames),
		RunE: func(cmd *cobra.Command, args []string) error {
			return a.withClient(cmd, func(ctx context.Context, c *client.Client) error {
				cl, err := c.Cloud(ctx, args[0])
				if err != nil {
					return err
				}
				// A cloud with projects is refused by the server (delete them first): ask only
				// when the delete can happen.
				ps, err := c.ListProjects(ctx, cl.ID)
				if err != nil {
					return err
				}
				if len(ps) == 0 {
					if err := a.confirmDelete(ctx, c, "cloud "+cl.Name,
						api.GrantFilter{ResourceKind: api.KindCloud, Resource: cl.ID}, yes); err != nil {
						return err
					}
				}
				out, err := c.DeleteCloud(ctx, cl.ID)
				if err != nil {
					return err
				}
				return a.printed(out, func() error {
					_, err := fmt.Fprintf(a.Stdout, "Deleted cloud %s and the grants on it.\n", out.Name)
					return err
				})
			})
		},
	}
	del.Flags().BoolVarP(&yes, "yes", "y", false, "delete without asking (needed when stdin is not a terminal, and with -o json)")
	cmd.AddCommand(create, list, get, rename, del)
	return cmd
}

func (a *App) cloudTable(cs ...api.Cloud) error {
	t := newTable(a.Stdout, "NAME", "PROJECTS", "CREATED", "ID")
	for _, c := range cs {
		t.row(c.Name, strconv.Itoa(c.Projects), stamp(c.CreatedAt), c.ID)
	}
	return t.flush()
}
