package cli

import (
	"context"
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/rolecall/rolecall/internal/api"
	"github.com/rolecall/rolecall/internal/client"
)

func init() {
	extraCommands = append(extraCommands, (*App).grantCommand, (*App).revokeCommand)
}

// roleNames completes ROLE.
func roleNames(_ *cobra.Command, args []string, _ string) ([]string, cobra.ShellCompDirective) {
	if len(args) > 0 {
		return nil, cobra.ShellCompDirectiveNoFileComp
	}
	return []string{"owner", "collaborator", "readonly"}, cobra.ShellCompDirectiveNoFileComp
}

// grantRequest builds the request that ROLE and the selectors name. Role names are matched
// case-insensitively, as every other word the CLI takes from a fixed list (--scope, -o):
// "Owner" is owner.
func grantRequest(role string, s selectors) (api.GrantRequest, error) {
	role = strings.ToLower(role)
	pt, who, err := s.principal(true)
	if err != nil {
		return api.GrantRequest{}, err
	}
	kind, res, err := s.resource(true)
	if err != nil {
		return api.GrantRequest{}, err
	}
	return api.GrantRequest{Role: role, PrincipalType: pt, Principal: who, ResourceKind: kind, Resource: res}, nil
}

func (a *App) grantCommand() *cobra.Command {
	var s selectors
	var replace bool
	cmd := &cobra.Command{
		Use:   "grant ROLE (--user U | --group G | --service-account S) (--org | --cloud C | --project P)",
		Short: "Grant a role on the organization, a cloud or a project",
		Long: `Grant a role. Roles: on the organization owner or collaborator; on clouds and projects owner,
collaborator or readonly (on projects, write is accepted for collaborator). A role on a cloud
does not reach its projects, except public ones, where it makes the holder a collaborator
(rolecall project set-visibility). Granting what is already granted changes nothing.

A principal holds one direct role per resource. Granting another role where it already holds
one is refused (exit 1) with the existing role and who granted it, and nothing changes;
--replace changes the existing role into the new one in one step (one transaction, one
grant.change_role audit event). In groups-only mode
(rolecall org set --groups-only=true) roles go to groups, not directly to users.
A user that is inactive or removed may be granted a role; it holds nothing until its identity
provider reactivates it.`,
		Example: `  rolecall grant owner --group platform --cloud prod
  rolecall grant readonly --user alice@example.com --project api
  rolecall grant collaborator --service-account deploy --org
  rolecall grant readonly --user bob@example.com --cloud prod --replace   # bob held owner there`,
		Args:              cobra.ExactArgs(1),
		ValidArgsFunction: roleNames,
		RunE: func(cmd *cobra.Command, args []string) error {
			req, err := grantRequest(args[0], s)
			if err != nil {
				return err
			}
			req.Replace = replace
			return a.withClient(cmd, func(ctx context.Context, c *client.Client) error {
				g, created, err := c.CreateGrant(ctx, req)
				if err != nil {
					return err
				}
				return a.printed(g, func() error {
					what := fmt.Sprintf("%s on %s to %s", g.Role, describeResource(g.ResourceKind, g.ResourceName),
						describePrincipal(g.PrincipalType, g.PrincipalName))
					switch {
					case len(g.Replaced) > 0:
						var was []string
						for _, r := range g.Replaced {
							was = append(was, r.Role)
						}
						fmt.Fprintf(a.Stdout, "Replaced %s with %s on %s for %s.\n", strings.Join(was, " and "), g.Role,
							describeResource(g.ResourceKind, g.ResourceName), describePrincipal(g.PrincipalType, g.PrincipalName))
					case created:
						fmt.Fprintf(a.Stdout, "Granted %s.\n", what)
					default:
						fmt.Fprintf(a.Stdout, "Already granted: %s (nothing changed).\n", what)
					}
					if g.Note != "" {
						fmt.Fprintf(a.Stdout, "Note: %s.\n", g.Note)
					}
					return nil
				})
			})
		},
	}
	a.addPrincipal(cmd, &s, "grant to")
	a.addResource(cmd, &s, "grant on")
	cmd.Flags().BoolVar(&replace, "replace", false, "change the role the principal already holds on the resource into ROLE (one step)")
	cmd.AddCommand(a.grantListCommand())
	return cmd
}

func (a *App) grantListCommand() *cobra.Command {
	var s selectors
	cmd := &cobra.Command{
		Use:   "list [--user U | --group G | --service-account S] [--org | --cloud C | --project P]",
		Short: "List grants, all or those of one principal and/or on one resource",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			pt, who, err := s.principal(false)
			if err != nil {
				return err
			}
			kind, res, err := s.resource(false)
			if err != nil {
				return err
			}
			return a.withClient(cmd, func(ctx context.Context, c *client.Client) error {
				out, err := c.ListGrants(ctx, api.GrantFilter{PrincipalType: pt, Principal: who, ResourceKind: kind, Resource: res})
				if err != nil {
					return err
				}
				return a.printed(api.List[api.Grant]{Items: nonNilSlice(out), Total: len(out)}, func() error {
					t := newTable(a.Stdout, "RESOURCE", "PRINCIPAL", "ROLE", "CREATED", "BY", "ID")
					for _, g := range out {
						by := g.CreatedBy
						if g.RuleName != "" { // the rule owns it: that is who to change
							by = "rule " + g.RuleName
						}
						t.row(describeResource(g.ResourceKind, g.ResourceName), describePrincipal(g.PrincipalType, g.PrincipalName),
							g.Role, stamp(g.CreatedAt), by, g.ID)
					}
					return t.flush()
				})
			})
		},
	}
	a.addPrincipal(cmd, &s, "only grants to")
	a.addResource(cmd, &s, "only grants on")
	return cmd
}

func (a *App) revokeCommand() *cobra.Command {
	var s selectors
	cmd := &cobra.Command{
		Use:               "revoke ROLE (--user U | --group G | --service-account S) (--org | --cloud C | --project P)",
		Short:             "Revoke a role granted with rolecall grant",
		Example:           "  rolecall revoke owner --user alice@example.com --cloud prod",
		Args:              cobra.ExactArgs(1),
		ValidArgsFunction: roleNames,
		RunE: func(cmd *cobra.Command, args []string) error {
			req, err := grantRequest(args[0], s)
			if err != nil {
				return err
			}
			return a.withClient(cmd, func(ctx context.Context, c *client.Client) error {
				g, err := c.RevokeGrant(ctx, req)
				if err != nil {
					return err
				}
				return a.printed(g, func() error {
					_, err := fmt.Fprintf(a.Stdout, "Revoked %s on %s from %s.\n", g.Role, describeResource(g.ResourceKind, g.ResourceName),
						describePrincipal(g.PrincipalType, g.PrincipalName))
					return err
				})
			})
		},
	}
	a.addPrincipal(cmd, &s, "revoke from")
	a.addResource(cmd, &s, "revoke on")
	return cmd
}
