package enforcetext

import (
	"fmt"
	"io"
	"strings"

	"github.com/rolecall/rolecall/internal/access"
	"github.com/rolecall/rolecall/internal/enforce"
	"github.com/rolecall/rolecall/internal/rules"
)

// Titles and fixed lines of a rule-change preview (rolecall rule add|delete|preview).
const (
	TitleRulePreview = "Rule Changes Preview"
	TitleRuleApplied = "Applied Rule Changes"
	MsgNoRuleChanges = "No binding changes: the rules' bindings are already in place."
	MsgNoUserChanges = "No user's access changes."
	problemsTitle    = "--- Problems ---"
	// maxGroupNames caps the matched-group list of one rule: a pattern can match thousands.
	maxGroupNames = 10
)

// RenderRulePreview writes a rule change's preview: under "=== title ===" each rule whose
// bindings change (or that is added, changed or removed) with what it matches and its
// binding lines ("+" appears, "-" goes, "~" stays but changes rule, "=" already granted by
// hand and left manual), then the problems, then the per-user effect under
// "=== Permission Changes Preview ===" in the enforce-groups format. A role rule changes can
// raise a role, so a line may read "(none) -> readonly" as well as "owner -> (removed)":
//
//	=== Rule Changes Preview ===
//
//	rule "clouds" (changed): pattern ^eng-(?P<cloud>.+)$ → collaborator on the captured cloud
//	  matches 1 group: eng-prod
//	  + eng-prod: collaborator on cloud prod
//	  - eng-prod: readonly on cloud prod
//
//	=== Permission Changes Preview ===
//
//	bob@example.com:
//	  - clouds:
//	    - prod: readonly -> collaborator
//
// Like RenderPlan it writes no blank line before the first title or after the last line.
func RenderRulePreview(w io.Writer, title string, p *rules.Preview) error {
	ew := &errWriter{w: w}
	ew.printf("=== %s ===\n", title)
	names := map[string]string{}
	for _, r := range p.Rules {
		names[r.Rule.ID] = r.Rule.Name
	}
	shown := 0
	for _, r := range p.Rules {
		if r.Status == rules.RuleUnchanged && len(r.Add)+len(r.Remove)+len(r.Reassign) == 0 {
			continue
		}
		shown++
		ew.printf("\nrule %q (%s): %s\n", r.Rule.Name, r.Status, r.Rule.Describe())
		if r.Status != rules.RuleRemoved {
			ew.printf("  matches %s\n", groupList(r.Groups))
		}
		for _, b := range r.Add {
			ew.printf("  + %s\n", bindingText(b))
		}
		for _, b := range r.Remove {
			ew.printf("  - %s\n", bindingText(b))
		}
		for _, b := range r.Reassign {
			ew.printf("  ~ %s (bound by rule %q until now)\n", bindingText(b), ruleName(names, b.FromRuleID))
		}
		for _, b := range r.Covered {
			ew.printf("  = %s (already granted by hand; stays manual)\n", bindingText(b))
		}
	}
	if shown == 0 || p.Changes.Empty() {
		ew.printf("\n%s\n", MsgNoRuleChanges)
	}
	if len(p.Problems) > 0 {
		ew.printf("\n%s\n", problemsTitle)
		for _, pr := range p.Problems {
			ew.printf("- rule %q: %s\n", pr.RuleName, pr.Msg)
		}
	}
	if p.Changes.Empty() {
		return ew.err
	}
	ew.printf("\n=== %s ===\n", TitlePreview)
	if len(p.Users) == 0 {
		ew.printf("\n%s\n", MsgNoUserChanges)
	}
	for _, u := range p.Users {
		ew.printf("\n%s:\n", u.UserName)
		renderRuleKind(ew, "clouds", u.Changes.Clouds)
		renderRuleKind(ew, "projects", u.Changes.Projects)
		if c := u.Changes.Organization; c != nil {
			ew.printf("  - organization: %s -> %s\n", beforeText(c.Before), roleText(c.After))
		}
	}
	return ew.err
}

func ruleName(names map[string]string, id string) string {
	if n, ok := names[id]; ok {
		return n
	}
	return id
}

func renderRuleKind(ew *errWriter, kind string, cs []enforce.Change) {
	if len(cs) == 0 {
		return
	}
	ew.printf("  - %s:\n", kind)
	for _, c := range cs {
		ew.printf("    - %s: %s -> %s\n", c.Resource, beforeText(c.Before), roleText(c.After))
	}
}

// beforeText is a Before role; RoleNone, which only a rule preview shows (a user gains a
// role it did not hold), reads "(none)".
func beforeText(r access.Role) string {
	if r == access.RoleNone {
		return "(none)"
	}
	return r.String()
}

func bindingText(b rules.BindingView) string {
	if b.ResourceKind == access.KindOrganization {
		return fmt.Sprintf("%s: %s on the organization", b.GroupName, b.Role)
	}
	kind := "resource"
	if b.ResourceKind != 0 {
		kind = b.ResourceKind.String()
	}
	return fmt.Sprintf("%s: %s on %s %s", b.GroupName, b.Role, kind, b.ResourceName)
}

func groupList(gs []rules.Group) string {
	if len(gs) == 0 {
		return "no group"
	}
	var b strings.Builder
	b.WriteString(plural(len(gs), "group") + ": ")
	for i, g := range gs {
		if i == maxGroupNames {
			fmt.Fprintf(&b, ", … and %d more", len(gs)-maxGroupNames)
			break
		}
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(g.DisplayName)
		if !g.Active {
			b.WriteString(" (inactive)")
		}
	}
	return b.String()
}
