package cli

import (
	"context"
	"strconv"

	"github.com/spf13/cobra"

	"github.com/rolecall/rolecall/internal/api"
	"github.com/rolecall/rolecall/internal/client"
)

func init() { extraCommands = append(extraCommands, (*App).groupCommand) }

func (a *App) groupCommand() *cobra.Command {
	cmd := &cobra.Command{Use: "group", Short: "Show groups and their members (provisioned over SCIM; read-only here)"}
	var lp, mp pageFlags
	list := &cobra.Command{
		Use:   "list",
		Short: "List groups by name",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return a.withClient(cmd, func(ctx context.Context, c *client.Client) error {
				out, err := fetch(ctx, lp, func(ctx context.Context, pg api.Page) (api.List[api.Group], error) {
					return c.ListGroups(ctx, lp.prefix, pg)
				})
				if err != nil {
					return err
				}
				return a.printed(out, func() error {
					t := newTable(a.Stdout, "NAME", "MEMBERS", "STATUS", "CREATED", "ID")
					for _, g := range out.Items {
						t.row(g.DisplayName, strconv.Itoa(g.Members), groupStatus(g.Active), stamp(g.Created), g.ID)
					}
					return t.flush()
				})
			})
		},
	}
	lp.add(list, "only names that start with this")
	get := &cobra.Command{
		Use:               "get NAME|ID",
		Short:             "Show a group",
		Args:              cobra.ExactArgs(1),
		ValidArgsFunction: a.completeArg(a.groupNames),
		RunE: func(cmd *cobra.Command, args []string) error {
			return a.withClient(cmd, func(ctx context.Context, c *client.Client) error {
				g, err := c.Group(ctx, args[0])
				if err != nil {
					return err
				}
				return a.printed(g, func() error {
					d := newDetails(a.Stdout)
					d.field("Name", g.DisplayName)
					d.field("Status", groupStatus(g.Active))
					d.field("Members", strconv.Itoa(g.Members))
					d.field("Member of", groupNamesOf(g.MemberOf))
					d.field("External ID", g.ExternalID)
					d.field("Created", stamp(g.Created))
					d.field("Last modified", stamp(g.LastModified))
					d.field("ID", g.ID)
					return d.flush()
				})
			})
		},
	}
	members := &cobra.Command{
		Use:               "members NAME|ID",
		Short:             "List a group's direct members (users and groups)",
		Args:              cobra.ExactArgs(1),
		ValidArgsFunction: a.completeArg(a.groupNames),
		RunE: func(cmd *cobra.Command, args []string) error {
			return a.withClient(cmd, func(ctx context.Context, c *client.Client) error {
				out, err := fetch(ctx, mp, func(ctx context.Context, pg api.Page) (api.List[api.Member], error) {
					return c.GroupMembers(ctx, args[0], pg)
				})
				if err != nil {
					return err
				}
				return a.printed(out, func() error {
					t := newTable(a.Stdout, "TYPE", "NAME", "ID")
					for _, m := range out.Items {
						t.row(m.Type, m.Display, m.ID)
					}
					return t.flush()
				})
			})
		},
	}
	mp.add(members, "")
	cmd.AddCommand(list, get, members)
	return cmd
}

func groupStatus(active bool) string {
	if active {
		return "active"
	}
	return "inactive"
}
