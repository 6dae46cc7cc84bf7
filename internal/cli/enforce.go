package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"sync"
	"time"

	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/rolecall/rolecall/internal/api"
	"github.com/rolecall/rolecall/internal/cli/enforcetext"
	"github.com/rolecall/rolecall/internal/client"
	"github.com/rolecall/rolecall/internal/enforce"
)

// Exit codes of enforce-groups beyond 0 (done, or nothing to do) and 1 (refused or failed).
const (
	// exitAborted: the admin answered no at the prompt; nothing changed.
	exitAborted = 1
	// exitNoPrompt: a live run could not ask (stdin is not a terminal, or JSON output)
	// and was not told --yes; nothing changed.
	exitNoPrompt = 2
)

// Messages of the refusals that do not come from the server.
const (
	msgNoTerminal = "stdin is not a terminal: pass --yes to apply without a prompt, or --dry-run to preview"
	msgJSONLive   = "--output json cannot be mixed with a prompt: pass --yes to apply, or --dry-run to preview"
	msgAborted    = "Aborted: no changes were applied."
)

type enforceFlags struct {
	dryRun, yes, allowNoOwner, enableGroupsOnly bool
}

func (a *App) enforceGroupsCommand() *cobra.Command {
	var f enforceFlags
	cmd := &cobra.Command{
		Use:   "enforce-groups",
		Short: "Remove every direct user role binding so that users get access from their groups only",
		Long: `Enforce group-based access: remove ALL direct user role bindings, so that users derive their
access from their (active) user groups only, and remove users who are in no active group
(deactivated, bindings deleted, record kept: the identity provider can bring them back).
Bindings of groups and service accounts are never changed.

It first previews what every user will experience. --dry-run stops there and never writes.
A live run asks for confirmation (or takes --yes), then applies exactly the previewed plan in
one transaction (it refuses, changing nothing, if the organization changed meanwhile) and
keeps a restore point: "rolecall scim enforce-groups undo RUN_ID" puts it back.`,
		Example: `  rolecall scim enforce-groups --dry-run
  rolecall scim enforce-groups --dry-run -o csv > preview.csv   # one line per change (docs/enforce-json.md)
  rolecall scim enforce-groups
  rolecall scim enforce-groups --yes --enable-groups-only -o json
  rolecall scim enforce-groups undo 0b6f…`,
		Args:        cobra.NoArgs,
		Annotations: map[string]string{csvAnnotation: "dry-run"},
		RunE:        func(cmd *cobra.Command, _ []string) error { return a.enforceGroups(cmd.Context(), time.Now(), f) },
	}
	fl := cmd.Flags()
	fl.BoolVar(&f.dryRun, "dry-run", false, "preview the permission changes without applying them")
	fl.BoolVarP(&f.yes, "yes", "y", false, "apply without asking for confirmation (needed when stdin is not a terminal)")
	fl.BoolVar(&f.allowNoOwner, "allow-no-owner", false, "apply even if no user or service account would remain an owner of the organization")
	fl.BoolVar(&f.enableGroupsOnly, "enable-groups-only", false, "also turn on groups-only mode: new direct user grants are refused afterwards")
	cmd.AddCommand(a.enforceUndoCommand())
	return cmd
}

// enforceGroups runs enforce-groups; start is when the command started (the elapsed-time
// prefix counts from it).
func (a *App) enforceGroups(ctx context.Context, start time.Time, f enforceFlags) error {
	elapsed := func() time.Duration { return time.Since(start) }
	if a.csv() && !f.dryRun {
		return errors.New("--output csv exports the preview: add --dry-run (an apply answers in table or json)")
	}
	jsonOut := a.json() || a.csv()
	if a.json() && !f.dryRun && !f.yes {
		return &exitError{code: exitNoPrompt, msg: msgJSONLive}
	}
	if f.dryRun && f.enableGroupsOnly {
		return errors.New("--enable-groups-only changes the organization: it cannot be combined with --dry-run")
	}
	c, err := a.client()
	if err != nil {
		return err
	}
	w := &stickyWriter{w: a.Stdout}
	if !jsonOut {
		msg := enforcetext.MsgLiveStart
		if f.dryRun {
			msg = enforcetext.MsgDryRunStart
		}
		w.check(enforcetext.RenderElapsed(w, elapsed(), msg))
		w.printf("\n")
	}
	stop := a.enforceProgress(start, "Analyzing permission changes")
	pv, err := c.EnforcePreview(ctx)
	stop()
	if err != nil {
		return err
	}
	plan := &pv.Plan

	if f.dryRun {
		if a.csv() {
			return enforce.WritePlanCSV(a.Stdout, &pv.Plan)
		}
		if jsonOut {
			return printJSON(a.Stdout, pv.Plan)
		}
		w.check(enforcetext.RenderPlan(w, enforcetext.TitlePreview, plan))
		w.printf("\n%s\n", enforcetext.MsgDryRunFooter)
		if !plan.OwnerAfter && !plan.Empty() {
			fmt.Fprintf(a.Stderr, "Warning: %s.\n", noOwnerMessage(pv.Org))
		}
		return w.err
	}

	if !jsonOut {
		w.check(enforcetext.RenderPlan(w, enforcetext.TitlePreview, plan))
	}
	if plan.Empty() {
		return a.enforceNothing(ctx, c, w, pv, f)
	}
	if !plan.OwnerAfter && !f.allowNoOwner {
		return errors.New(noOwnerMessage(pv.Org))
	}
	if !jsonOut {
		w.printf("\n")
		w.check(enforcetext.RenderConfirmation(w, plan))
	}
	if w.err != nil {
		return w.err
	}
	if !f.yes {
		if err := a.confirmEnforce(); err != nil {
			return err
		}
	}
	if !jsonOut {
		w.check(enforcetext.RenderElapsed(w, elapsed(), enforcetext.MsgApplyStart))
	}
	stop = a.enforceProgress(start, "Applying permission changes")
	res, err := c.EnforceApply(ctx, api.EnforceApplyRequest{Fingerprint: pv.Plan.Fingerprint,
		AllowNoOwner: f.allowNoOwner, EnableGroupsOnly: f.enableGroupsOnly})
	stop()
	if ae := (*api.Error)(nil); errors.As(err, &ae) && ae.Code == api.CodeNoOwner {
		return errors.New(noOwnerMessage(pv.Org))
	}
	if err != nil {
		return err
	}
	if jsonOut {
		return printJSON(a.Stdout, res)
	}
	w.printf("\n")
	w.check(enforcetext.RenderPlan(w, enforcetext.TitleApplied, &res.Plan))
	w.printf("\n")
	w.check(enforcetext.RenderElapsed(w, elapsed(), enforcetext.MsgApplyDone))
	if res.Applied {
		w.printf("Restore point kept as run %s: undo it with `rolecall scim enforce-groups undo %s`.\n", res.RunID, res.RunID)
	}
	if f.enableGroupsOnly && res.GroupsOnly {
		w.printf("%s\n", msgGroupsOnlyOn)
	}
	return w.err
}

const msgGroupsOnlyOn = "Groups-only mode is on: new direct user grants are refused; grant roles to groups."

// enforceNothing finishes a live run whose plan is empty: nothing to apply, exit 0. Only
// --enable-groups-only still has something to do, and it does not need a confirmation.
func (a *App) enforceNothing(ctx context.Context, c *client.Client, w *stickyWriter, pv api.EnforcePreview, f enforceFlags) error {
	res := api.EnforceApplyResult{Plan: pv.Plan, GroupsOnly: pv.GroupsOnly}
	if f.enableGroupsOnly && !pv.GroupsOnly {
		var err error
		res, err = c.EnforceApply(ctx, api.EnforceApplyRequest{Fingerprint: pv.Plan.Fingerprint, EnableGroupsOnly: true})
		if err != nil {
			return err
		}
	}
	if a.json() {
		return printJSON(a.Stdout, res)
	}
	if f.enableGroupsOnly && res.GroupsOnly {
		w.printf("\n%s\n", msgGroupsOnlyOn)
	}
	return w.err
}

// confirmEnforce asks the enforce-groups question, in the reference page's words.
func (a *App) confirmEnforce() error {
	return a.ask(enforcetext.PromptProceed, msgNoTerminal, msgAborted)
}

func (a *App) enforceUndoCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "undo RUN_ID",
		Short: "Restore what an enforce-groups run removed, except what was re-granted or changed since",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := a.client()
			if err != nil {
				return err
			}
			stop := a.enforceProgress(time.Now(), "Restoring run "+args[0])
			res, err := c.EnforceUndo(cmd.Context(), args[0])
			stop()
			if err != nil {
				return err
			}
			if a.json() {
				return printJSON(a.Stdout, res)
			}
			return renderUndo(a.Stdout, res)
		},
	}
}

// stickyWriter keeps the first write error so that the output code reads straight.
type stickyWriter struct {
	w   io.Writer
	err error
}

func (e *stickyWriter) Write(p []byte) (int, error) {
	if e.err != nil {
		return 0, e.err
	}
	n, err := e.w.Write(p)
	e.err = err
	return n, err
}

func (e *stickyWriter) printf(format string, args ...any) { _, _ = fmt.Fprintf(e, format, args...) }

func (e *stickyWriter) check(err error) {
	if e.err == nil {
		e.err = err
	}
}

// terminalChecker is implemented by streams that know whether they are a terminal. Tests
// inject one to exercise the prompt or the progress line; a real stream is an *os.File.
type terminalChecker interface{ IsTerminal() bool }

// streamIsTerminal reports whether a stream is an interactive terminal. Anything that is
// neither an *os.File nor a terminalChecker (a buffer, a pipe wrapper) is not one.
func streamIsTerminal(s any) bool {
	switch v := s.(type) {
	case terminalChecker:
		return v.IsTerminal()
	case *os.File:
		return term.IsTerminal(int(v.Fd()))
	}
	return false
}

// progressDelay keeps quick steps free of a progress line that would only flicker.
const progressDelay = 300 * time.Millisecond

var spinnerFrames = []string{"⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏"}

// enforceProgress shows, on stderr, a spinner with msg and the time since start, redrawn in
// place, until the returned stop is called; stop erases it. It shows nothing unless stderr
// is a terminal and the output is for people (not JSON), so logs and scripts never see it.
func (a *App) enforceProgress(start time.Time, msg string) (stop func()) {
	if a.json() || !streamIsTerminal(a.Stderr) {
		return func() {}
	}
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		timer := time.NewTimer(progressDelay)
		defer timer.Stop()
		select {
		case <-done:
			return
		case <-timer.C:
		}
		tick := time.NewTicker(100 * time.Millisecond)
		defer tick.Stop()
		for i := 0; ; i++ {
			fmt.Fprintf(a.Stderr, "\r%s %s... %.1fs", spinnerFrames[i%len(spinnerFrames)], msg, time.Since(start).Seconds())
			select {
			case <-done:
				fmt.Fprint(a.Stderr, "\r\033[K")
				return
			case <-tick.C:
			}
		}
	}()
	var once sync.Once
	return func() { once.Do(func() { close(done); wg.Wait() }) }
}

// noOwnerMessage explains the no-owner refusal in the CLI's terms.
func noOwnerMessage(org string) string {
	return fmt.Sprintf("after enforce-groups no user or service account would be an owner of organization %q: grant owner on the organization to a group first, or pass --allow-no-owner", org)
}
