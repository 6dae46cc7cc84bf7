package cli

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/rolecall/rolecall/internal/api"
	"github.com/rolecall/rolecall/internal/client"
)

func init() { extraCommands = append(extraCommands, (*App).serviceAccountCommand) }

func (a *App) serviceAccountCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:     "service-account",
		Aliases: []string{"sa"},
		Short:   "Create, list and delete service accounts (non-human principals, not managed over SCIM)",
	}
	create := &cobra.Command{
		Use:   "create NAME",
		Short: "Create a service account (it is an org collaborator; grant it more with rolecall grant)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return a.withClient(cmd, func(ctx context.Context, c *client.Client) error {
				out, err := c.CreateServiceAccount(ctx, args[0])
				if err != nil {
					return err
				}
				return a.printed(out, func() error {
					_, err := fmt.Fprintf(a.Stdout, "Created service account %s (%s).\n", out.Name, out.ID)
					return err
				})
			})
		},
	}
	list := &cobra.Command{
		Use:   "list",
		Short: "List service accounts",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return a.withClient(cmd, func(ctx context.Context, c *client.Client) error {
				out, err := c.ListServiceAccounts(ctx)
				if err != nil {
					return err
				}
				return a.printed(api.List[api.ServiceAccount]{Items: nonNilSlice(out), Total: len(out)}, func() error {
					return a.serviceAccountTable(out...)
				})
			})
		},
	}
	get := &cobra.Command{
		Use:               "get NAME|ID",
		Short:             "Show a service account",
		Args:              cobra.ExactArgs(1),
		ValidArgsFunction: a.completeArg(a.serviceAccountNames),
		RunE: func(cmd *cobra.Command, args []string) error {
			return a.withClient(cmd, func(ctx context.Context, c *client.Client) error {
				out, err := c.ServiceAccount(ctx, args[0])
				if err != nil {
					return err
				}
				return a.printed(out, func() error { return a.serviceAccountTable(out) })
			})
		},
	}
	var yes bool
	del := &cobra.Command{
		Use:               "delete NAME|ID",
		Short:             "Delete a service account and its grants",
		Args:              cobra.ExactArgs(1),
		ValidArgsFunction: a.completeArg(a.serviceAccountNames),
		RunE: func(cmd *cobra.Command, args []string) error {
			return a.withClient(cmd, func(ctx context.Context, c *client.Client) error {
				sa, err := c.ServiceAccount(ctx, args[0])
				if err != nil {
					return err
				}
				if err := a.confirmDelete(ctx, c, "service account "+sa.Name,
					api.GrantFilter{PrincipalType: api.PrincipalServiceAccount, Principal: sa.ID}, yes); err != nil {
					return err
				}
				out, err := c.DeleteServiceAccount(ctx, sa.ID)
				if err != nil {
					return err
				}
				return a.printed(out, func() error {
					_, err := fmt.Fprintf(a.Stdout, "Deleted service account %s and its grants.\n", out.Name)
					return err
				})
			})
		},
	}
	del.Flags().BoolVarP(&yes, "yes", "y", false, "delete without asking (needed when stdin is not a terminal, and with -o json)")
	cmd.AddCommand(create, list, get, del)
	return cmd
}

func (a *App) serviceAccountTable(sas ...api.ServiceAccount) error {
	t := newTable(a.Stdout, "NAME", "CREATED", "ID")
	for _, sa := range sas {
		t.row(sa.Name, stamp(sa.CreatedAt), sa.ID)
	}
	return t.flush()
}
