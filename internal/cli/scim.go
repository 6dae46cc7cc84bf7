package cli

import (
	"fmt"
	"io"
	"strconv"
	"time"

	"github.com/spf13/cobra"

	"github.com/rolecall/rolecall/internal/api"
	"github.com/rolecall/rolecall/internal/cli/enforcetext"
)

func init() {
	extraCommands = append(extraCommands, (*App).scimCommand, (*App).demoCommand)
}

func (a *App) scimCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "scim",
		Short: "SCIM-provisioned access: enforce group-based permissions, list enforcement runs",
	}
	cmd.AddCommand(a.enforceGroupsCommand(), a.runsCommand(), a.driftCommand(), a.scheduleCommand())
	return cmd
}

func (a *App) runsCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "runs",
		Short: "List and show enforce-groups runs (each is a restore point)",
	}
	var offset, limit int
	list := &cobra.Command{
		Use:   "list",
		Short: "List enforce-groups runs, newest first",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := a.client()
			if err != nil {
				return err
			}
			l, err := c.EnforceRuns(cmd.Context(), offset, limit)
			if err != nil {
				return err
			}
			if a.json() {
				l.Items = nonNilSlice(l.Items)
				return printJSON(a.Stdout, l)
			}
			t := newTable(a.Stdout, "ID", "CREATED", "ACTOR", "BINDINGS DELETED", "USERS REMOVED", "UNDONE")
			for _, r := range l.Items {
				t.row(r.ID, when(&r.CreatedAt), r.Actor, strconv.Itoa(r.DeletedBindings), strconv.Itoa(r.RemovedUsers), when(r.UndoneAt))
			}
			if err := t.flush(); err != nil {
				return err
			}
			if len(l.Items) < l.Total {
				fmt.Fprintf(a.Stdout, "(%d of %d runs; see more with --offset %d)\n", len(l.Items), l.Total, offset+len(l.Items))
			}
			return nil
		},
	}
	list.Flags().IntVar(&offset, "offset", 0, "skip this many runs")
	list.Flags().IntVar(&limit, "limit", 0, "show at most this many runs (default: the server's page, 100)")
	show := &cobra.Command{
		Use:     "get RUN_ID",
		Aliases: []string{"show"}, // the verb of earlier releases; every other noun says get
		Short:   "Show an enforce-groups run: what it applied and, once undone, what the undo did",
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := a.client()
			if err != nil {
				return err
			}
			r, err := c.EnforceRun(cmd.Context(), args[0])
			if err != nil {
				return err
			}
			if a.json() {
				return printJSON(a.Stdout, r)
			}
			return renderRun(a.Stdout, r)
		},
	}
	cmd.AddCommand(list, show)
	return cmd
}

// renderRun writes a run for people: its record, the plan it applied, and its undo.
func renderRun(out io.Writer, r api.EnforceRun) error {
	w := &stickyWriter{w: out}
	t := newTable(w, "FIELD", "VALUE")
	t.row("Run", r.ID)
	t.row("Created", r.CreatedAt.UTC().Format(time.RFC3339)+" by "+r.Actor)
	t.row("Fingerprint", r.Fingerprint)
	t.row("Bindings deleted", strconv.Itoa(r.DeletedBindings))
	t.row("Users removed", strconv.Itoa(r.RemovedUsers))
	undone := "no (undo with `rolecall scim enforce-groups undo " + r.ID + "`)"
	if r.UndoneAt != nil {
		undone = r.UndoneAt.UTC().Format(time.RFC3339) + " by " + r.UndoneBy
	}
	t.row("Undone", undone)
	w.check(t.flush())
	if r.Plan != nil {
		w.printf("\n")
		w.check(enforcetext.RenderPlan(w, enforcetext.TitleApplied, r.Plan))
	}
	if r.Undo != nil {
		w.printf("\n=== Undo ===\n\n")
		w.check(renderUndo(w, *r.Undo))
	}
	return w.err
}

// undoReasons explains, for people, why undo left something as it is now.
var undoReasons = map[string]string{
	api.UndoRegranted:     "an equal binding exists now (re-granted since the run)",
	api.UndoResourceGone:  "its resource was deleted since the run",
	api.UndoPrincipalGone: "its user was deleted since the run",
	api.UndoUserGone:      "the user was deleted since the run",
	api.UndoUserChanged:   "the user changed since the run (the identity provider updated or reactivated it); left as it is now",
}

func reason(code string) string {
	if r, ok := undoReasons[code]; ok {
		return r
	}
	return code
}

// renderUndo writes what an undo restored and what it skipped, with the reasons.
func renderUndo(out io.Writer, r api.EnforceUndoResult) error {
	w := &stickyWriter{w: out}
	w.printf("Undid enforce-groups run %s.\n", r.RunID)
	w.printf("Restored %s and %s.\n", countOf(r.RestoredBindings, "direct user binding"), countOf(r.RestoredUsers, "user"))
	for _, u := range r.Users {
		if u.Status == api.UndoStatusRestored {
			w.printf("  + user %s (%s)\n", u.UserName, restoredState(u.Active))
		}
	}
	for _, b := range r.Bindings {
		if b.Status == api.UndoStatusRestored {
			w.printf("  + %s\n", bindingText(b))
		}
	}
	if r.SkippedBindings+r.SkippedUsers > 0 {
		w.printf("Skipped %s and %s:\n", countOf(r.SkippedBindings, "binding"), countOf(r.SkippedUsers, "user"))
		for _, u := range r.Users {
			if u.Status == api.UndoStatusSkipped {
				w.printf("  - user %s: %s\n", u.UserName, reason(u.Reason))
			}
		}
		for _, b := range r.Bindings {
			if b.Status == api.UndoStatusSkipped {
				w.printf("  - %s: %s\n", bindingText(b), reason(b.Reason))
			}
		}
	}
	if r.Truncated {
		w.printf("(The lists stop at %d items each; the counts are complete. `rolecall scim runs get %s -o json` has the same lists.)\n", api.MaxUndoDetails, r.RunID)
	}
	if r.GroupsOnly {
		w.printf("Groups-only mode stays on: the restored bindings stand, but new direct user grants are refused (`rolecall org set --groups-only=false` turns it off).\n")
	}
	return w.err
}

func bindingText(b api.EnforceUndoBinding) string {
	who := b.PrincipalName
	if who == "" {
		who = b.PrincipalType + " " + b.PrincipalID
	}
	on := b.ResourceKind + " " + b.ResourceName
	if b.ResourceKind == "" {
		on = "resource " + b.ResourceID
	}
	if b.ResourceKind == "organization" {
		on = "the organization"
	}
	return fmt.Sprintf("%s: %s on %s", who, b.Role, on)
}

// restoredState says what a restored user is again.
func restoredState(active bool) string {
	if active {
		return "active again"
	}
	return "no longer removed; inactive, as before the run"
}

func countOf(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return strconv.Itoa(n) + " " + noun + "s"
}
