package cli

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/rolecall/rolecall/internal/api"
	"github.com/rolecall/rolecall/internal/authzen"
	"github.com/rolecall/rolecall/internal/client"
)

func init() { extraCommands = append(extraCommands, (*App).checkCommand) }

// exitDenied is check's exit status for a deny (0 is allow), so that scripts can branch on
// it; other failures exit 1 too but print an error.
const exitDenied = 1

// checkContext is what check reads of a decision's context (authzenapi.DecisionContext).
type checkContext struct {
	Revision    uint64            `json:"revision"`
	Reason      string            `json:"reason"`
	ReasonAdmin map[string]string `json:"reason_admin"`
	Role        string            `json:"role"`
	Sources     []json.RawMessage `json:"sources"`
}

// checkCommand asks the decision API what a platform would ask: may this user do this?
func (a *App) checkCommand() *cobra.Command {
	var s selectors
	var action, account string
	var explain bool
	cmd := &cobra.Command{
		Use:   "check (--user U | --service-account S) --action A (--org | --cloud C | --project P) [--explain]",
		Short: "Ask for an access decision as the platform would (AuthZEN); exit status 0 allow, 1 deny",
		Long: `Ask the decision API (POST /access/v1/evaluation) whether a user or service account may do an
action on a resource, and print allow or deny with the reason. Exit status: 0 allow, 1 deny
(or an error, which is printed). The token needs scope decision or admin.`,
		Example: `  rolecall check --user alice@example.com --action write --project payments
  rolecall check --user bob --action deploy --project api --explain`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if action == "" {
				return &usageError{msg: "--action is required (read, write, delete, manage, a role name, or a custom action)"}
			}
			sub := authzen.Subject{Type: "user", ID: s.user}
			switch {
			case s.user != "" && account != "":
				return &usageError{msg: "choose one of --user or --service-account"}
			case account != "":
				sub = authzen.Subject{Type: "service_account", ID: account}
			case s.user == "":
				return &usageError{msg: "choose one of --user or --service-account"}
			}
			kind, ref, err := s.resource(true)
			if err != nil {
				return &usageError{msg: err.Error()}
			}
			return a.withClient(cmd, func(ctx context.Context, c *client.Client) error {
				if kind == api.KindOrganization {
					org, err := c.Org(ctx)
					if err != nil {
						return err
					}
					ref = org.Name
				}
				req := authzen.EvaluationRequest{Subject: &sub, Action: &authzen.Action{Name: action},
					Resource: &authzen.Resource{Type: kind, ID: ref}}
				if explain {
					req.Context = json.RawMessage(`{"explain":true}`)
				}
				d, err := c.Evaluate(ctx, req)
				if err != nil {
					return err
				}
				var dc checkContext
				_ = json.Unmarshal(d.Context, &dc)
				err = a.printed(d, func() error {
					verdict := "deny"
					if d.Decision {
						verdict = "allow"
					}
					what := fmt.Sprintf("%s %q %s %s", sub.Type, sub.ID, action, describeResource(kind, ref))
					if d.Decision {
						fmt.Fprintf(a.Stdout, "%s: %s (revision %d)\n", verdict, what, dc.Revision)
					} else {
						fmt.Fprintf(a.Stdout, "%s: %s: %s (revision %d)\n", verdict, what, dc.ReasonAdmin["en"], dc.Revision)
					}
					if explain {
						if dc.Role != "" {
							fmt.Fprintf(a.Stdout, "  effective role: %s\n", dc.Role)
						}
						for _, src := range dc.Sources {
							fmt.Fprintf(a.Stdout, "  source: %s\n", src)
						}
					}
					return nil
				})
				if err == nil && !d.Decision {
					return &exitError{code: exitDenied}
				}
				return err
			})
		},
	}
	cmd.Flags().StringVar(&s.user, "user", "", "the user (userName, case-insensitive)")
	cmd.Flags().StringVar(&account, "service-account", "", "the service account (name)")
	cmd.Flags().StringVar(&action, "action", "", "the action: read, write, delete, manage, owner, collaborator, readonly, or a custom action (rolecall action list)")
	cmd.Flags().BoolVar(&explain, "explain", false, "also print the effective role and its sources")
	a.completeFlag(cmd, "user", a.userNames)
	a.addResource(cmd, &s, "on")
	return cmd
}
