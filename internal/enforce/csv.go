package enforce

import (
	"io"
	"strconv"

	"github.com/rolecall/rolecall/internal/access"
	"github.com/rolecall/rolecall/internal/csvsafe"
)

// PlanCSVHeader is the header row of a plan's CSV export, in column order (docs/enforce-json.md):
// one line per change a user experiences, then one per removed user, then one per exempt
// user.
var PlanCSVHeader = []string{"user", "user_id", "change", "resource_kind", "resource", "resource_id", "before", "after"}

// WritePlanCSV writes p as CSV (RFC 4180) with PlanCSVHeader first. change is "role" for a
// role that drops on a resource (after "none" when nothing remains), "removed" for a user
// apply removes from the organization (before is "active" or "inactive"), and "exempt" for
// a break-glass user apply leaves as it is (before is its number of direct grants). Like the
// JSON plan, it is data: how a plan reads is up to each interface.
func WritePlanCSV(w io.Writer, p *Plan) error {
	cw := csvsafe.NewWriter(w) // names come from the IdP: no cell may be a formula
	if err := cw.Write(PlanCSVHeader); err != nil {
		return err
	}
	for _, u := range p.Users {
		change := func(kind access.Kind, c Change) error {
			return cw.Write([]string{u.UserName, u.UserID, "role", kind.String(), c.Resource, c.ResourceID, c.Before.String(), c.After.String()})
		}
		if c := u.Changes.Organization; c != nil {
			if err := change(access.KindOrganization, *c); err != nil {
				return err
			}
		}
		for _, c := range u.Changes.Clouds {
			if err := change(access.KindCloud, c); err != nil {
				return err
			}
		}
		for _, c := range u.Changes.Projects {
			if err := change(access.KindProject, c); err != nil {
				return err
			}
		}
	}
	for _, u := range p.RemovedUsers {
		state := "inactive"
		if u.Active {
			state = "active"
		}
		if err := cw.Write([]string{u.UserName, u.UserID, "removed", "", "", "", state, "removed"}); err != nil {
			return err
		}
	}
	for _, u := range p.Exempt {
		if err := cw.Write([]string{u.UserName, u.UserID, "exempt", "", "", "", strconv.Itoa(u.DirectGrants), "kept"}); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}
