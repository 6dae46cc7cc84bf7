package enforcetext

import (
	"fmt"
	"io"
	"time"

	"github.com/rolecall/rolecall/internal/enforce"
)

// TitleDrift is the title of the drift report, printed before the preview it contains.
const TitleDrift = "Drift Report"

// Drift is what RenderDrift prints: the drift report's findings (the admin API's
// api.DriftReport, in this package's terms) and the fresh preview.
type Drift struct {
	Org string
	// LastRunID, LastRunAt and LastRunActor name the last applied run ("" when none).
	LastRunID    string
	LastRunAt    time.Time
	LastRunActor string
	Grants       []DriftGrant
	// UsersWithoutGroups are userNames.
	UsersWithoutGroups []string
	Groups             []DriftGroup
	Plan               *enforce.Plan
}

// DriftGrant is a direct grant made since the last run.
type DriftGrant struct {
	UserName, Role, ResourceKind, Resource, CreatedBy string
	CreatedAt                                         time.Time
}

// DriftGroup is a group its members get nothing from.
type DriftGroup struct {
	Name          string
	ActiveMembers int
}

// Messages of the drift report.
const (
	MsgNoDrift = "No drift: the organization's access comes from groups as enforce-groups left it."
	MsgNoRun   = "Last applied run: none (every direct grant counts as new)"
)

// RenderDrift writes the drift report: the findings, each in a "---" section like the
// preview's, then the preview itself (RenderPlan with TitlePreview, exempt users in their
// own section):
//
//	=== Drift Report ===
//	Organization: default
//	Last applied run: 0190… (2026-12-04T10:00:00Z, by carol)
//
//	--- New direct grants since the last run ---
//	- alice@example.com: owner on cloud prod-cloud (granted by bootstrap, 2026-12-04T11:00:00Z)
//
//	--- Users without groups ---
//	- orphan-user@example.com
//
//	--- Groups bound by nothing (their members get no role from them) ---
//	- eng-new (3 active members)
//
//	=== Permission Changes Preview ===
//	…
func RenderDrift(w io.Writer, d *Drift) error {
	ew := &errWriter{w: w}
	ew.printf("=== %s ===\n", TitleDrift)
	ew.printf("Organization: %s\n", d.Org)
	if d.LastRunID == "" {
		ew.printf("%s\n", MsgNoRun)
	} else {
		ew.printf("Last applied run: %s (%s, by %s)\n", d.LastRunID, d.LastRunAt.UTC().Format(time.RFC3339), d.LastRunActor)
	}
	if len(d.Grants) > 0 {
		ew.printf("\n--- New direct grants since the last run ---\n")
		for _, g := range d.Grants {
			on := g.ResourceKind + " " + g.Resource
			if g.ResourceKind == "organization" {
				on = "the organization"
			}
			ew.printf("- %s: %s on %s (granted by %s, %s)\n", g.UserName, g.Role, on, g.CreatedBy, g.CreatedAt.UTC().Format(time.RFC3339))
		}
	}
	if len(d.UsersWithoutGroups) > 0 {
		ew.printf("\n--- Users without groups ---\n")
		for _, u := range d.UsersWithoutGroups {
			ew.printf("- %s\n", u)
		}
	}
	if len(d.Groups) > 0 {
		ew.printf("\n--- Groups bound by nothing (their members get no role from them) ---\n")
		for _, g := range d.Groups {
			ew.printf("- %s (%s)\n", g.Name, plural(g.ActiveMembers, "active member"))
		}
	}
	if d.Plan.Empty() && len(d.Groups) == 0 {
		ew.printf("\n%s\n", MsgNoDrift)
	}
	if ew.err != nil {
		return ew.err
	}
	ew.printf("\n")
	if ew.err != nil {
		return ew.err
	}
	return RenderPlan(w, TitlePreview, d.Plan)
}

// DriftCSVHeader is the header row of the drift report's CSV form (DriftCSV).
var DriftCSVHeader = []string{"finding", "user", "group", "role", "resource_kind", "resource", "before", "after", "detail"}

// DriftCSV returns the drift report as CSV rows under DriftCSVHeader: one row per finding —
// new_direct_grant, user_without_groups, unbound_group, exempt_user — and one per role change
// the preview lists (change).
func DriftCSV(d *Drift) [][]string {
	rows := [][]string{}
	for _, g := range d.Grants {
		rows = append(rows, []string{"new_direct_grant", g.UserName, "", g.Role, g.ResourceKind, g.Resource, "", "",
			fmt.Sprintf("granted by %s at %s", g.CreatedBy, g.CreatedAt.UTC().Format(time.RFC3339))})
	}
	for _, u := range d.UsersWithoutGroups {
		rows = append(rows, []string{"user_without_groups", u, "", "", "", "", "", "", "removed by enforce-groups"})
	}
	for _, g := range d.Groups {
		rows = append(rows, []string{"unbound_group", "", g.Name, "", "", "", "", "", plural(g.ActiveMembers, "active member")})
	}
	for _, x := range d.Plan.Exempt {
		rows = append(rows, []string{"exempt_user", x.UserName, "", "", "", "", "", "", plural(x.DirectGrants, "direct grant") + " kept"})
	}
	for _, u := range d.Plan.Users {
		add := func(kind string, c enforce.Change) {
			rows = append(rows, []string{"change", u.UserName, "", "", kind, c.Resource, c.Before.String(), roleText(c.After), ""})
		}
		for _, c := range u.Changes.Clouds {
			add("cloud", c)
		}
		for _, c := range u.Changes.Projects {
			add("project", c)
		}
		if c := u.Changes.Organization; c != nil {
			add("organization", *c)
		}
	}
	return rows
}
