// Package enforcetext writes the enforce-groups command's text in the format of its
// reference page: the elapsed-time progress lines, the permission-changes preview, the
// confirmation box and the prompt. It is the CLI's presentation of the planner's enforce.Plan;
// the planner itself holds no CLI strings. It also writes the preview of a group → role rule
// change (rules.go), whose per-user part has the same format. It may import access, enforce,
// rules and the standard library.
package enforcetext

import (
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/rolecall/rolecall/internal/access"
	"github.com/rolecall/rolecall/internal/enforce"
)

// Section titles of the plan body: the same body is printed as a preview and, after apply,
// as what was applied.
const (
	TitlePreview = "Permission Changes Preview"
	TitleApplied = "Applied Permission Changes"
)

// The progress and prompt lines of enforce-groups, worded as the reference output. A
// command prints them after an Elapsed prefix (the prompt without one).
const (
	MsgDryRunStart  = "Running in dry-run mode. Analyzing permission changes..."
	MsgLiveStart    = "Analyzing permission changes..."
	MsgDryRunFooter = "(No changes were applied. Remove --dry-run to apply changes.)"
	MsgApplyStart   = "Starting SCIM permission migration..."
	MsgApplyDone    = "SCIM permission migration completed successfully."
	PromptProceed   = "Do you want to proceed? [y/N]: "
)

// Text of a plan without user changes and removals.
const (
	MsgNoChanges = "No permission changes: every user's access already comes from groups."
	// MsgNoChangesExempt is MsgNoChanges when exempt users keep direct grants.
	MsgNoChangesExempt = "No permission changes: every other user's access already comes from groups."
	// MsgNoUsers is the preview of an organization without users: nothing to enforce yet.
	MsgNoUsers   = "No permission changes: the organization has no users yet. Users and groups arrive from your identity provider over SCIM (/scim/v2)."
	removedTitle = "--- Users to be removed (not in any active user group) ---"
	exemptTitle  = "--- Exempt (kept as they are) ---"
)

// Elapsed returns the prefix of a progress line, e.g. "(rolecall +0.5s)": seconds since the
// command started, with one decimal.
func Elapsed(d time.Duration) string {
	return fmt.Sprintf("(rolecall +%.1fs)", max(d, 0).Seconds())
}

// RenderElapsed writes one progress line: the Elapsed prefix, a space, msg and a newline.
func RenderElapsed(w io.Writer, d time.Duration, msg string) error {
	_, err := fmt.Fprintf(w, "%s %s\n", Elapsed(d), msg)
	return err
}

// RenderPlan writes the plan body under "=== title ===", nested two spaces per level:
//
//	=== Permission Changes Preview ===
//
//	user1@example.com:
//	  - clouds:
//	    - prod-cloud: collaborator -> readonly
//	  - organization: owner -> collaborator
//
//	--- Users to be removed (not in any active user group) ---
//	- orphan-user@example.com
//
// It writes no blank line before the title or after the last line: the caller separates
// sections. A plan without user changes and removals says so (MsgNoChanges), and says how
// many redundant direct bindings it deletes, if any.
func RenderPlan(w io.Writer, title string, p *enforce.Plan) error {
	ew := &errWriter{w: w}
	ew.printf("=== %s ===\n", title)
	for _, u := range p.Users {
		ew.printf("\n%s:\n", u.UserName)
		renderKind(ew, "clouds", u.Changes.Clouds)
		renderKind(ew, "projects", u.Changes.Projects)
		if c := u.Changes.Organization; c != nil {
			ew.printf("  - organization: %s -> %s\n", c.Before, roleText(c.After))
		}
	}
	if len(p.RemovedUsers) > 0 {
		ew.printf("\n%s\n", removedTitle)
		for _, u := range p.RemovedUsers {
			ew.printf("- %s\n", u.UserName)
		}
	}
	if len(p.Exempt) > 0 {
		ew.printf("\n%s\n", exemptTitle)
		for _, u := range p.Exempt {
			note := plural(u.DirectGrants, "direct grant") + " kept"
			if !u.InGroup {
				note += "; in no active group"
			}
			ew.printf("- %s (%s)\n", u.UserName, note)
		}
	}
	if len(p.Users) == 0 && len(p.RemovedUsers) == 0 {
		switch {
		case p.Summary.Users == 0:
			ew.printf("\n%s\n", MsgNoUsers)
		case len(p.Exempt) > 0:
			ew.printf("\n%s\n", MsgNoChangesExempt)
		default:
			ew.printf("\n%s\n", MsgNoChanges)
		}
		if p.DeleteBindings > 0 {
			ew.printf("Direct user bindings that grant nothing beyond groups: %d.\n", p.DeleteBindings)
		}
	}
	return ew.err
}

func renderKind(ew *errWriter, kind string, cs []enforce.Change) {
	if len(cs) == 0 {
		return
	}
	ew.printf("  - %s:\n", kind)
	for _, c := range cs {
		ew.printf("    - %s: %s -> %s\n", c.Resource, c.Before, roleText(c.After))
	}
}

func roleText(r access.Role) string {
	if r == access.RoleNone {
		return "(removed)"
	}
	return r.String()
}

// ConfirmationLines returns the text of the confirmation box for p: what apply does, truly,
// including that a restore point is kept.
func ConfirmationLines(p *enforce.Plan) []string {
	lines := []string{
		"WARNING: This is a destructive operation.",
		"",
		deletedLine(p),
		"Role bindings on user groups and service accounts are unchanged.",
	}
	if n := len(p.RemovedUsers); n > 0 {
		verb := "users in no active group will be"
		if n == 1 {
			verb = "user in no active group will be"
		}
		lines = append(lines, fmt.Sprintf("%d %s deactivated and removed.", n, verb))
	}
	if !p.OwnerAfter {
		lines = append(lines, "The organization will be left with no owner.")
	}
	return append(lines, "A restore point is kept: undo with `rolecall scim enforce-groups undo RUN_ID`.")
}

// deletedLine says which user bindings go: all of them, or all but exempt users'.
func deletedLine(p *enforce.Plan) string {
	if len(p.Exempt) == 0 {
		return fmt.Sprintf("All role bindings on users will be removed (%s).", plural(p.DeleteBindings, "binding"))
	}
	return fmt.Sprintf("Role bindings on users will be removed (%s), except those of %s.",
		plural(p.DeleteBindings, "binding"), plural(len(p.Exempt), "exempt user"))
}

func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}

// RenderConfirmation writes the confirmation box for p (see RenderBox).
func RenderConfirmation(w io.Writer, p *enforce.Plan) error {
	return RenderBox(w, "⚠️ Confirmation Required", ConfirmationLines(p))
}

// RenderBox writes lines in a rounded box with title centred in the top border, every line
// of the same terminal width:
//
//	╭──── ⚠️ Confirmation Required ────╮
//	│ text                             │
//	╰──────────────────────────────────╯
func RenderBox(w io.Writer, title string, lines []string) error {
	title = " " + title + " "
	tw := DisplayWidth(title)
	inner := tw + 4 // at least two rules each side of the title
	for _, l := range lines {
		inner = max(inner, DisplayWidth(l)+2)
	}
	left := (inner - tw) / 2
	var b strings.Builder
	b.WriteString("╭" + strings.Repeat("─", left) + title + strings.Repeat("─", inner-tw-left) + "╮\n")
	for _, l := range lines {
		b.WriteString("│ " + l + strings.Repeat(" ", inner-2-DisplayWidth(l)) + " │\n")
	}
	b.WriteString("╰" + strings.Repeat("─", inner) + "╯\n")
	_, err := io.WriteString(w, b.String())
	return err
}

// DisplayWidth returns the number of terminal columns s occupies. It knows the characters
// rolecall prints: combining marks, zero-width joiners and variation selectors take none; a
// character followed by VARIATION SELECTOR-16 (emoji presentation, as in "⚠️") and East
// Asian wide characters and emoji take two; everything else takes one.
func DisplayWidth(s string) int {
	rs := []rune(s)
	n := 0
	for i, r := range rs {
		switch {
		case zeroWidth(r):
		case i+1 < len(rs) && rs[i+1] == '\uFE0F', wide(r):
			n += 2
		default:
			n++
		}
	}
	return n
}

func zeroWidth(r rune) bool {
	return r < 0x20 || (r >= 0x7F && r < 0xA0) ||
		(r >= 0x0300 && r <= 0x036F) || (r >= 0x200B && r <= 0x200F) ||
		(r >= 0x20D0 && r <= 0x20FF) || (r >= 0xFE00 && r <= 0xFE0F)
}

func wide(r rune) bool {
	return (r >= 0x1100 && r <= 0x115F) || (r >= 0x2E80 && r <= 0x303E) || (r >= 0x3041 && r <= 0xA4CF) ||
		(r >= 0xAC00 && r <= 0xD7A3) || (r >= 0xF900 && r <= 0xFAFF) || (r >= 0xFE30 && r <= 0xFE4F) ||
		(r >= 0xFF00 && r <= 0xFF60) || (r >= 0xFFE0 && r <= 0xFFE6) || (r >= 0x1F300 && r <= 0x1F64F) ||
		(r >= 0x1F900 && r <= 0x1FAFF) || (r >= 0x20000 && r <= 0x3FFFD)
}

// errWriter keeps the first write error so that rendering code reads straight.
type errWriter struct {
	w   io.Writer
	err error
}

func (e *errWriter) printf(format string, a ...any) {
	if e.err == nil {
		_, e.err = fmt.Fprintf(e.w, format, a...)
	}
}
