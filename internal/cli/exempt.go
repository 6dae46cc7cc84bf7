package cli

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/rolecall/rolecall/internal/api"
	"github.com/rolecall/rolecall/internal/client"
)

// exemptionCommands are `rolecall user exempt|unexempt|exemptions`: break-glass users that
// enforce-groups leaves as they are.
func (a *App) exemptionCommands() []*cobra.Command {
	var reason string
	exempt := &cobra.Command{
		Use:   "exempt USERNAME|ID --reason \"…\"",
		Short: "Exempt a user from enforce-groups (break-glass): its direct grants are kept and it is never removed",
		Long: `Exempt a user from enforce-groups: a break-glass account whose direct grants stay and that
is never removed, listed apart in the enforce-groups preview ("Exempt (kept as they are)").
In groups-only mode it may still receive direct grants. The reason is required and audited;
an organization may have at most a few exempt users (rolecall org set --max-exemptions).`,
		Example:           `  rolecall user exempt oncall@example.com --reason "on-call break-glass account"`,
		Args:              cobra.ExactArgs(1),
		ValidArgsFunction: a.completeArg(a.userNames),
		RunE: func(cmd *cobra.Command, args []string) error {
			if reason == "" {
				return fmt.Errorf("give a reason: rolecall user exempt %s --reason \"why this user stays outside group control\"", args[0])
			}
			return a.withClient(cmd, func(ctx context.Context, c *client.Client) error {
				out, err := c.ExemptUser(ctx, args[0], reason)
				if err != nil {
					return err
				}
				return a.printed(out, func() error {
					_, err := fmt.Fprintf(a.Stdout, "%s is exempt from enforce-groups: %s\n", out.UserName, out.Reason)
					return err
				})
			})
		},
	}
	exempt.Flags().StringVar(&reason, "reason", "", "why this user stays outside group control (required)")
	unexempt := &cobra.Command{
		Use:               "unexempt USERNAME|ID",
		Short:             "Lift a user's exemption: the next enforce-groups run treats it like every other user",
		Args:              cobra.ExactArgs(1),
		ValidArgsFunction: a.completeArg(a.userNames),
		RunE: func(cmd *cobra.Command, args []string) error {
			return a.withClient(cmd, func(ctx context.Context, c *client.Client) error {
				out, err := c.UnexemptUser(ctx, args[0])
				if err != nil {
					return err
				}
				return a.printed(out, func() error {
					_, err := fmt.Fprintf(a.Stdout, "%s is no longer exempt from enforce-groups.\n", out.UserName)
					return err
				})
			})
		},
	}
	list := &cobra.Command{
		Use:   "exemptions",
		Short: "List the users exempt from enforce-groups, with their reasons",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return a.withClient(cmd, func(ctx context.Context, c *client.Client) error {
				out, err := c.Exemptions(ctx)
				if err != nil {
					return err
				}
				if out.Exemptions == nil {
					out.Exemptions = []api.Exemption{}
				}
				return a.printed(out, func() error {
					t := newTable(a.Stdout, "USERNAME", "REASON", "BY", "SINCE")
					for _, e := range out.Exemptions {
						t.row(e.UserName, e.Reason, e.CreatedBy, when(&e.CreatedAt))
					}
					if err := t.flush(); err != nil {
						return err
					}
					_, err := fmt.Fprintf(a.Stdout, "(%d of at most %d exempt users)\n", len(out.Exemptions), out.Max)
					return err
				})
			})
		},
	}
	return []*cobra.Command{exempt, unexempt, list}
}
