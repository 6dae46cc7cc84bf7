package cli

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/rolecall/rolecall/internal/api"
	"github.com/rolecall/rolecall/internal/client"
)

func init() { extraCommands = append(extraCommands, (*App).actionCommand) }

// actionCommand manages the org's custom decision actions: the operations its platform
// asks the AuthZEN API about, each mapped to the minimum role it needs per kind of resource.
func (a *App) actionCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "action",
		Short: "Define the org's custom decision actions (AuthZEN): a name and the minimum role per kind of resource",
	}
	var roles api.CustomAction
	set := &cobra.Command{
		Use:   "set NAME [--project ROLE] [--cloud ROLE] [--org ROLE]",
		Short: "Create or replace a custom action; kinds left out do not define it (asking there is a deny)",
		Example: `  rolecall action set deploy --project collaborator
  rolecall action set view-logs --project readonly --cloud readonly
  rolecall action set billing.admin --org owner`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			req := roles
			req.Name = args[0]
			return a.withClient(cmd, func(ctx context.Context, c *client.Client) error {
				out, err := c.SetCustomAction(ctx, req)
				if err != nil {
					return err
				}
				return a.printed(out, func() error {
					_, err := fmt.Fprintf(a.Stdout, "Action %s: %s.\n", out.Name, actionRoles(out))
					return err
				})
			})
		},
	}
	set.Flags().StringVar(&roles.Project, "project", "", "minimum role on a project: owner, collaborator (write) or readonly")
	set.Flags().StringVar(&roles.Cloud, "cloud", "", "minimum role on a cloud: owner, collaborator or readonly")
	set.Flags().StringVar(&roles.Organization, "org", "", "minimum role on the organization: owner or collaborator")
	list := &cobra.Command{
		Use:   "list",
		Short: "List the custom actions (the built-in ones are read, write, delete, manage and the role names)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return a.withClient(cmd, func(ctx context.Context, c *client.Client) error {
				out, err := c.CustomActions(ctx)
				if err != nil {
					return err
				}
				return a.printed(api.List[api.CustomAction]{Items: nonNilSlice(out), Total: len(out)}, func() error {
					t := newTable(a.Stdout, "NAME", "ORGANIZATION", "CLOUD", "PROJECT")
					for _, ca := range out {
						t.row(ca.Name, dash(ca.Organization), dash(ca.Cloud), dash(ca.Project))
					}
					return t.flush()
				})
			})
		},
	}
	del := &cobra.Command{
		Use:   "delete NAME",
		Short: "Delete a custom action: decisions asking for it become denies (unknown action)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return a.withClient(cmd, func(ctx context.Context, c *client.Client) error {
				out, err := c.DeleteCustomAction(ctx, args[0])
				if err != nil {
					return err
				}
				return a.printed(out, func() error {
					_, err := fmt.Fprintf(a.Stdout, "Deleted action %s.\n", out.Name)
					return err
				})
			})
		},
	}
	cmd.AddCommand(set, list, del)
	return cmd
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// actionRoles describes a custom action's roles, e.g. "project: collaborator, cloud: owner".
func actionRoles(ca api.CustomAction) string {
	out := ""
	for _, p := range [][2]string{{"organization", ca.Organization}, {"cloud", ca.Cloud}, {"project", ca.Project}} {
		if p[1] == "" {
			continue
		}
		if out != "" {
			out += ", "
		}
		out += p[0] + " needs " + p[1]
	}
	return out
}
