package cli

import (
	"context"
	"strings"

	"github.com/spf13/cobra"

	"github.com/rolecall/rolecall/internal/api"
	"github.com/rolecall/rolecall/internal/client"
)

func init() { extraCommands = append(extraCommands, (*App).userCommand) }

// pageFlags select a window of a paged list; limit 0 means every page.
type pageFlags struct {
	prefix        string
	offset, limit int
}

func (p *pageFlags) add(cmd *cobra.Command, prefixHelp string) {
	if prefixHelp != "" {
		cmd.Flags().StringVar(&p.prefix, "prefix", "", prefixHelp)
	}
	cmd.Flags().IntVar(&p.offset, "offset", 0, "skip this many")
	cmd.Flags().IntVar(&p.limit, "limit", 0, "show at most this many (default: all)")
}

// fetch returns the window the flags select, and the total.
func fetch[T any](ctx context.Context, p pageFlags, list func(context.Context, api.Page) (api.List[T], error)) (api.List[T], error) {
	if p.limit > 0 {
		l, err := list(ctx, api.Page{Offset: p.offset, Limit: min(p.limit, api.MaxLimit)})
		l.Items = nonNilSlice(l.Items)
		return l, err
	}
	var out api.List[T]
	for {
		l, err := list(ctx, api.Page{Offset: p.offset + len(out.Items), Limit: api.MaxLimit})
		if err != nil {
			return out, err
		}
		out.Items, out.Total = append(out.Items, l.Items...), l.Total
		if len(l.Items) == 0 || p.offset+len(out.Items) >= l.Total {
			out.Items = nonNilSlice(out.Items)
			return out, nil
		}
	}
}

func (a *App) userCommand() *cobra.Command {
	cmd := &cobra.Command{Use: "user", Short: "Show users (provisioned by your identity provider over SCIM) and mark break-glass exemptions"}
	var p pageFlags
	list := &cobra.Command{
		Use:   "list",
		Short: "List users by userName",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return a.withClient(cmd, func(ctx context.Context, c *client.Client) error {
				out, err := fetch(ctx, p, func(ctx context.Context, pg api.Page) (api.List[api.User], error) {
					return c.ListUsers(ctx, p.prefix, pg)
				})
				if err != nil {
					return err
				}
				return a.printed(out, func() error {
					t := newTable(a.Stdout, "USERNAME", "DISPLAY NAME", "STATUS", "CREATED", "ID")
					for _, u := range out.Items {
						status := userStatus(u.Active, u.Removed)
						if u.Exempt {
							status += " (exempt)"
						}
						t.row(u.UserName, u.DisplayName, status, stamp(u.Created), u.ID)
					}
					return t.flush()
				})
			})
		},
	}
	p.add(list, "only userNames that start with this")
	get := &cobra.Command{
		Use:               "get USERNAME|ID",
		Short:             "Show a user and the groups it is directly in",
		Args:              cobra.ExactArgs(1),
		ValidArgsFunction: a.completeArg(a.userNames),
		RunE: func(cmd *cobra.Command, args []string) error {
			return a.withClient(cmd, func(ctx context.Context, c *client.Client) error {
				u, err := c.User(ctx, args[0])
				if err != nil {
					return err
				}
				return a.printed(u, func() error {
					d := newDetails(a.Stdout)
					d.field("User name", u.UserName)
					d.field("Display name", u.DisplayName)
					d.field("Status", userStatus(u.Active, u.Removed))
					if u.Exempt {
						d.field("Enforce-groups", "exempt (break-glass): direct grants kept, never removed")
					}
					emails := make([]string, len(u.Emails))
					for i, e := range u.Emails {
						emails[i] = e.Value
					}
					d.field("Emails", strings.Join(emails, ", "))
					d.field("External ID", u.ExternalID)
					d.field("Groups", groupNamesOf(u.Groups))
					d.field("Created", stamp(u.Created))
					d.field("Last modified", stamp(u.LastModified))
					d.field("ID", u.ID)
					return d.flush()
				})
			})
		},
	}
	cmd.AddCommand(list, get)
	cmd.AddCommand(a.exemptionCommands()...)
	return cmd
}

// userStatus says whether a user can hold access.
func userStatus(active, removed bool) string {
	switch {
	case removed:
		return "removed"
	case !active:
		return "inactive"
	}
	return "active"
}

func groupNamesOf(gs []api.GroupRef) string {
	names := make([]string, len(gs))
	for i, g := range gs {
		names[i] = g.DisplayName
	}
	return strings.Join(names, ", ")
}
