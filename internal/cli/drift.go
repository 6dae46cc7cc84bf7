package cli

import (
	"context"
	"fmt"
	"strconv"

	"github.com/spf13/cobra"

	"github.com/rolecall/rolecall/internal/api"
	"github.com/rolecall/rolecall/internal/cli/enforcetext"
	"github.com/rolecall/rolecall/internal/client"
	"github.com/rolecall/rolecall/internal/csvsafe"
)

// driftCommand is `rolecall scim drift`: the drift report in the preview's text format, as
// JSON or as CSV.
func (a *App) driftCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "drift",
		Short: "Show what enforce-groups would change now, against the last applied run (-o text|json|csv)",
		Long: `Show the organization's drift from group-derived access: the direct user grants made since
the last applied enforce-groups run, the users in no active group, the groups whose members get
no role from them, and the enforce-groups preview as it stands now (exempt users in their own
section). It only reads; a report made by the drift schedule (rolecall scim schedule) also
emits the com.rolecall.drift.reported event, this one does not.`,
		Example: `  rolecall scim drift
  rolecall scim drift -o csv > drift.csv`,
		Annotations: map[string]string{csvAnnotation: "yes"},
		Args:        cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return a.withClient(cmd, func(ctx context.Context, c *client.Client) error {
				r, err := c.Drift(ctx)
				if err != nil {
					return err
				}
				d := driftText(r)
				switch {
				case a.json():
					return printJSON(a.Stdout, r)
				case a.csv():
					w := csvsafe.NewWriter(a.Stdout)
					if err := w.Write(enforcetext.DriftCSVHeader); err != nil {
						return err
					}
					if err := w.WriteAll(enforcetext.DriftCSV(d)); err != nil {
						return err
					}
					w.Flush()
					return w.Error()
				}
				return enforcetext.RenderDrift(a.Stdout, d)
			})
		},
	}
}

// driftText is the report in enforcetext's terms.
func driftText(r api.DriftReport) *enforcetext.Drift {
	d := &enforcetext.Drift{Org: r.Org, Plan: &r.Plan}
	if r.LastRun != nil {
		d.LastRunID, d.LastRunAt, d.LastRunActor = r.LastRun.ID, r.LastRun.CreatedAt, r.LastRun.Actor
	}
	for _, g := range r.NewDirectGrants {
		d.Grants = append(d.Grants, enforcetext.DriftGrant{UserName: g.UserName, Role: g.Role, ResourceKind: g.ResourceKind,
			Resource: g.ResourceName, CreatedBy: g.CreatedBy, CreatedAt: g.CreatedAt})
	}
	for _, u := range r.UsersWithoutGroups {
		d.UsersWithoutGroups = append(d.UsersWithoutGroups, u.UserName)
	}
	for _, g := range r.UnboundGroups {
		d.Groups = append(d.Groups, enforcetext.DriftGroup{Name: g.DisplayName, ActiveMembers: g.ActiveMembers})
	}
	return d
}

// scheduleCommand is `rolecall scim schedule set|show|off`.
func (a *App) scheduleCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "schedule",
		Short: "Run the drift report, and optionally enforce-groups within limits, on a schedule",
	}
	var req api.SetDriftScheduleRequest
	set := &cobra.Command{
		Use:   "set --every 24h [--auto-apply --max-removed N --max-bindings-deleted M]",
		Short: "Set the organization's drift schedule",
		Long: `Set the organization's drift schedule. Every interval one server computes the drift report
(and emits com.rolecall.drift.reported when it finds drift). With --auto-apply it then applies
enforce-groups as an ordinary run (a restore point, undoable, by "rolecall (schedule)") when the
plan removes at most --max-removed users and deletes at most --max-bindings-deleted direct
bindings and leaves an owner; otherwise it only reports. Every due run emits
com.rolecall.enforce.scheduled and is audited (enforce.scheduled).`,
		Example: `  rolecall scim schedule set --every 24h
  rolecall scim schedule set --every 24h --auto-apply --max-removed 5 --max-bindings-deleted 50`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if req.Every == "" {
				return fmt.Errorf("give the interval: --every 24h (at least 1m)")
			}
			return a.withClient(cmd, func(ctx context.Context, c *client.Client) error {
				out, err := c.SetSchedule(ctx, req)
				if err != nil {
					return err
				}
				return a.printed(out, func() error { return a.printSchedule(out) })
			})
		},
	}
	set.Flags().StringVar(&req.Every, "every", "", "interval: 24h, 90m, 7d (1m to 366d)")
	set.Flags().BoolVar(&req.AutoApply, "auto-apply", false, "apply enforce-groups when the plan stays within the limits (default: only report)")
	set.Flags().IntVar(&req.MaxUsersRemoved, "max-removed", 0, "most users an automatic run may remove")
	set.Flags().IntVar(&req.MaxBindingsDeleted, "max-bindings-deleted", 0, "most direct user bindings an automatic run may delete")
	set.Flags().StringVar(&req.FirstRunIn, "first-run-in", "", "when the first run is due, from now (0s: at once; default: one interval)")
	show := &cobra.Command{
		Use:   "show",
		Short: "Show the drift schedule and what its last run did",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return a.withClient(cmd, func(ctx context.Context, c *client.Client) error {
				out, err := c.Schedule(ctx)
				if err != nil {
					return err
				}
				return a.printed(out, func() error { return a.printSchedule(out) })
			})
		},
	}
	off := &cobra.Command{
		Use:   "off",
		Short: "Turn the drift schedule off",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return a.withClient(cmd, func(ctx context.Context, c *client.Client) error {
				out, err := c.DeleteSchedule(ctx)
				if err != nil {
					return err
				}
				return a.printed(out, func() error {
					_, err := fmt.Fprintf(a.Stdout, "Drift schedule off (it ran every %s).\n", out.Every)
					return err
				})
			})
		},
	}
	cmd.AddCommand(set, show, off)
	return cmd
}

func (a *App) printSchedule(s api.DriftSchedule) error {
	d := newDetails(a.Stdout)
	d.field("Every", s.Every)
	if s.AutoApply {
		d.field("Auto-apply", fmt.Sprintf("on, at most %d users removed and %d direct bindings deleted", s.MaxUsersRemoved, s.MaxBindingsDeleted))
	} else {
		d.field("Auto-apply", "off (reports only)")
	}
	d.field("Next run", when(&s.NextRunAt))
	d.field("Last run", when(s.LastRunAt))
	if r := s.LastResult; r != nil {
		what := "applied run " + r.RunID
		if !r.Applied {
			what = "reported only: " + r.Reason
		}
		d.field("Last result", what)
		d.field("Last drift", fmt.Sprintf("%s, %s, %s changed, %s",
			plural(r.Summary.NewDirectGrants, "new direct grant"), plural(r.Summary.UsersWithoutGroups, "user without groups"),
			plural(r.Summary.UsersChanged, "user"), plural(r.Summary.UnboundGroups, "unbound group")))
	}
	d.field("Updated", when(&s.UpdatedAt)+" by "+s.UpdatedBy)
	return d.flush()
}

func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	if noun == "user without groups" {
		return strconv.Itoa(n) + " users without groups"
	}
	return strconv.Itoa(n) + " " + noun + "s"
}
