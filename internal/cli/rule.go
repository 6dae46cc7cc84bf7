package cli

import (
	"context"
	"fmt"
	"strconv"

	"github.com/spf13/cobra"

	"github.com/rolecall/rolecall/internal/api"
	"github.com/rolecall/rolecall/internal/cli/enforcetext"
	"github.com/rolecall/rolecall/internal/client"
)

func init() { extraCommands = append(extraCommands, (*App).ruleCommand) }

const (
	msgRuleNoTerminal = "stdin is not a terminal: pass --yes to apply the rule change without a prompt, or --dry-run to preview"
	msgRuleAborted    = "Aborted: no rule was changed."
	promptRuleApply   = "Apply this rule change? [y/N]: "
)

// ruleCommand manages the org's group → role rules: bind roles to IdP groups automatically
// as they arrive or are renamed over SCIM. Every change shows its preview in enforce-groups'
// format and asks before it applies exactly what was shown.
func (a *App) ruleCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "rule",
		Short: "Group → role rules: bind roles to IdP groups by displayName, externalId or a pattern",
	}
	cmd.AddCommand(a.ruleAddCommand(), a.ruleListCommand(), a.rulePreviewCommand(), a.ruleMoveCommand(), a.ruleDeleteCommand(),
		a.ruleUndoCommand(), a.ruleChangesCommand())
	return cmd
}

type ruleChangeFlags struct {
	dryRun, yes bool
}

func (f *ruleChangeFlags) register(cmd *cobra.Command) {
	cmd.Flags().BoolVar(&f.dryRun, "dry-run", false, "show the preview and change nothing")
	cmd.Flags().BoolVarP(&f.yes, "yes", "y", false, "apply without asking for confirmation (needed when stdin is not a terminal)")
}

func (a *App) ruleAddCommand() *cobra.Command {
	var in api.RuleInput
	var cloud, project string
	var org bool
	var position int
	var f ruleChangeFlags
	cmd := &cobra.Command{
		Use:   "add NAME --match displayName|externalId|pattern --value V [--cloud C|--project P|--org] [--role R]",
		Short: "Add a rule: groups it matches get the role on the resource (previewed, then applied when you confirm)",
		Long: `Add a rule. A rule matches groups by exact displayName (ignoring case), by externalId,
or by a Go regular expression on the displayName whose named captures may pick the cloud
or project ((?P<cloud>…), (?P<project>…)) and the role ((?P<role>…)). Rules never create
clouds or projects: a group naming a missing one is reported in the preview.`,
		Example: `  rolecall rule add projects --match pattern --value '^rc-(?P<project>[a-z0-9-]+)-(?P<role>owner|write|readonly)$'
  rolecall rule add eng-clouds --match pattern --value '^eng-(?P<cloud>.+)$' --role readonly
  rolecall rule add admins --match displayName --value 'Platform Admins' --org --role owner --dry-run`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			in.Name = args[0]
			n := 0
			for _, set := range []bool{cloud != "", project != "", org} {
				if set {
					n++
				}
			}
			if n > 1 {
				return fmt.Errorf("give at most one of --cloud, --project and --org")
			}
			switch {
			case cloud != "":
				in.ResourceKind, in.ResourceName = "cloud", cloud
			case project != "":
				in.ResourceKind, in.ResourceName = "project", project
			case org:
				in.ResourceKind = "organization"
			}
			if position > 0 {
				in.Position = &position
			}
			return a.ruleChange(cmd, api.RuleChangeRequest{Add: &in}, f)
		},
	}
	cmd.Flags().StringVar(&in.Match, "match", "", "how the rule matches groups: displayName, externalId or pattern")
	cmd.Flags().StringVar(&in.Value, "value", "", "the displayName, externalId or pattern to match")
	cmd.Flags().StringVar(&cloud, "cloud", "", "bind on this cloud")
	cmd.Flags().StringVar(&project, "project", "", "bind on this project")
	cmd.Flags().BoolVar(&org, "org", false, "bind on the organization")
	cmd.Flags().StringVar(&in.Role, "role", "", "the role: owner, collaborator (write on projects) or readonly; leave out when the pattern captures (?P<role>…)")
	cmd.Flags().IntVar(&position, "position", 0, "where the rule goes (1 = first; default: last). The first rule to make a binding owns it")
	f.register(cmd)
	return cmd
}

func (a *App) ruleDeleteCommand() *cobra.Command {
	var f ruleChangeFlags
	cmd := &cobra.Command{
		Use:   "delete NAME|ID",
		Short: "Delete a rule and exactly the bindings it made (previewed, then applied when you confirm)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return a.ruleChange(cmd, api.RuleChangeRequest{Delete: args[0]}, f)
		},
	}
	f.register(cmd)
	return cmd
}

func (a *App) ruleMoveCommand() *cobra.Command {
	var f ruleChangeFlags
	var position int
	cmd := &cobra.Command{
		Use:   "move NAME|ID --position N",
		Short: "Move a rule (1 = first): where two rules make the same grant, the first owns it (previewed, then applied when you confirm)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if position < 1 {
				return fmt.Errorf("--position is required: where the rule goes, 1 being first")
			}
			return a.ruleChange(cmd, api.RuleChangeRequest{Change: args[0], Patch: &api.RulePatch{Position: &position}}, f)
		},
	}
	cmd.Flags().IntVar(&position, "position", 0, "the rule's new place, 1 being first")
	f.register(cmd)
	return cmd
}

// ruleChange previews req, and unless --dry-run asks (or takes --yes) and applies it with
// the preview's fingerprint.
func (a *App) ruleChange(cmd *cobra.Command, req api.RuleChangeRequest, f ruleChangeFlags) error {
	return a.withClient(cmd, func(ctx context.Context, c *client.Client) error {
		pv, err := c.PreviewRules(ctx, req)
		if err != nil {
			return err
		}
		w := &stickyWriter{w: a.Stdout}
		if f.dryRun {
			if a.json() {
				return printJSON(a.Stdout, pv)
			}
			w.check(enforcetext.RenderRulePreview(w, enforcetext.TitleRulePreview, &pv.Preview))
			w.printf("\n(No changes were applied. Remove --dry-run to apply the rule change.)\n")
			return w.err
		}
		if !a.json() {
			w.check(enforcetext.RenderRulePreview(w, enforcetext.TitleRulePreview, &pv.Preview))
			w.printf("\n")
		}
		if w.err != nil {
			return w.err
		}
		if !f.yes {
			if err := a.ask(promptRuleApply, msgRuleNoTerminal, msgRuleAborted); err != nil {
				return err
			}
		}
		req.Fingerprint = pv.Preview.Fingerprint
		res, err := c.ApplyRules(ctx, req)
		if err != nil {
			return err
		}
		if a.json() {
			return printJSON(a.Stdout, res)
		}
		if !res.Applied {
			w.printf("Nothing to change.\n")
			return w.err
		}
		w.printf("%s: %d binding(s) added, %d removed, %d moved.\n", capitalise(res.Change.Summary),
			res.Change.BindingsAdded, res.Change.BindingsRemoved, res.Change.BindingsMoved)
		w.printf("Restore point kept as change %s: undo it with `rolecall rule undo %s`.\n", res.Change.ID, res.Change.ID)
		return w.err
	})
}

func (a *App) ruleListCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "list",
		Short: "List the rules in order (the first rule to make a binding owns it)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return a.withClient(cmd, func(ctx context.Context, c *client.Client) error {
				out, err := c.Rules(ctx)
				if err != nil {
					return err
				}
				return a.printed(api.List[api.Rule]{Items: nonNilSlice(out), Total: len(out)}, func() error {
					t := newTable(a.Stdout, "#", "NAME", "RULE", "ID")
					for _, r := range out {
						t.row(strconv.Itoa(r.Position), r.Name, r.Description, r.ID)
					}
					return t.flush()
				})
			})
		},
	}
}

func (a *App) rulePreviewCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "preview",
		Short: "Show what the current rules would change now (bindings missing or left over, e.g. after a project was created)",
		Long: `Show what the current rules would change now: the bindings they want but that do not
exist, and rule-made bindings no rule wants any more. To preview a proposed rule, use
rolecall rule add … --dry-run (or rule delete … --dry-run).`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return a.withClient(cmd, func(ctx context.Context, c *client.Client) error {
				cur, err := c.Rules(ctx)
				if err != nil {
					return err
				}
				set := make([]api.RuleInput, len(cur))
				for i, r := range cur {
					set[i] = api.RuleInput{ID: r.ID, Name: r.Name, Position: &r.Position, Match: r.Match, Value: r.Value,
						ResourceKind: r.ResourceKind, ResourceName: r.ResourceName, Role: r.Role}
				}
				pv, err := c.PreviewRules(ctx, api.RuleChangeRequest{Rules: set})
				if err != nil {
					return err
				}
				if a.json() {
					return printJSON(a.Stdout, pv)
				}
				return enforcetext.RenderRulePreview(a.Stdout, enforcetext.TitleRulePreview, &pv.Preview)
			})
		},
	}
}

func (a *App) ruleChangesCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "changes",
		Short: "List recorded rule changes, newest first (each is a restore point: rolecall rule undo ID)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return a.withClient(cmd, func(ctx context.Context, c *client.Client) error {
				out, total, err := c.RuleChanges(ctx, 0, 0)
				if err != nil {
					return err
				}
				return a.printed(api.List[api.RuleChange]{Items: nonNilSlice(out), Total: total}, func() error {
					t := newTable(a.Stdout, "ID", "WHEN", "BY", "CHANGE", "+", "-", "UNDONE")
					for _, ch := range out {
						undone := "-"
						if ch.UndoneAt != nil {
							undone = ch.UndoneAt.Format("2006-01-02 15:04:05")
						}
						t.row(ch.ID, ch.CreatedAt.Format("2006-01-02 15:04:05"), ch.Actor, ch.Summary,
							strconv.Itoa(ch.BindingsAdded), strconv.Itoa(ch.BindingsRemoved), undone)
					}
					return t.flush()
				})
			})
		},
	}
}

func (a *App) ruleUndoCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "undo CHANGE_ID",
		Short: "Undo a rule change: the rules and their bindings as they were before it",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return a.withClient(cmd, func(ctx context.Context, c *client.Client) error {
				res, err := c.UndoRuleChange(ctx, args[0])
				if err != nil {
					return err
				}
				return a.printed(res, func() error {
					_, err := fmt.Fprintf(a.Stdout, "Undone: %d binding(s) re-created, %d removed, %d handed back; %d rule(s) now. Recorded as change %s.\n",
						res.Change.BindingsAdded, res.Change.BindingsRemoved, res.Change.BindingsMoved, len(res.Rules), res.Change.ID)
					return err
				})
			})
		},
	}
}
