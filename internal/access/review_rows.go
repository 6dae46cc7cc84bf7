package access

import (
	"io"
	"strings"

	"github.com/rolecall/rolecall/internal/csvsafe"
)

// ReviewRow is one line of the access review as a flat table, for spreadsheets and audits:
// a principal's effective role on one resource and what gives it.
type ReviewRow struct {
	PrincipalType PrincipalType `json:"principalType"`
	PrincipalID   string        `json:"principalId"`
	Principal     string        `json:"principal"`
	ResourceKind  Kind          `json:"resourceKind"`
	ResourceID    string        `json:"resourceId"`
	Resource      string        `json:"resource"`
	// Cloud is a project's cloud (empty for clouds and the organization).
	Cloud string `json:"cloud"`
	Role  Role   `json:"role"`
	// Source says what gives the role: "direct", "group NAME", "org owner" (owner on
	// everything), "public project", "every service account" (a service account's implicit
	// org collaborator); several joined with "; " when more than one gives it.
	Source string `json:"source"`
}

// ReviewCSVHeader is the header row of the access review's CSV, in column order.
var ReviewCSVHeader = []string{"principal_type", "principal", "principal_id", "resource_kind", "resource", "resource_id", "cloud", "role", "source"}

// ReviewRows flattens rv (built by this index) into one row per principal and resource it
// holds a role on, in rv's order. An org owner has one row, on the organization, with
// source org owner: it is owner on everything. A grant another source covers is not named as
// a source (Explain's Redundant).
func (ix *Index) ReviewRows(rv *Review) []ReviewRow {
	var rows []ReviewRow
	orgName, orgID := "", ""
	if ix.org >= 0 {
		o := ix.Resource(ix.org)
		orgName, orgID = o.Name, o.ID
	}
	for _, p := range rv.OrgOwners {
		rows = append(rows, ReviewRow{PrincipalType: p.Type, PrincipalID: p.ID, Principal: p.Name,
			ResourceKind: KindOrganization, ResourceID: orgID, Resource: orgName, Role: RoleOwner,
			Source: ix.reviewSource(p, orgID, RoleOwner)})
	}
	for _, group := range [][]PrincipalReview{rv.Users, rv.ServiceAccounts} {
		for _, p := range group {
			row := func(kind Kind, id, name, cloud string, role Role) {
				rows = append(rows, ReviewRow{PrincipalType: p.Type, PrincipalID: p.ID, Principal: p.Name,
					ResourceKind: kind, ResourceID: id, Resource: name, Cloud: cloud, Role: role,
					Source: ix.reviewSource(p.Principal, id, role)})
			}
			if p.Organization != RoleNone {
				row(KindOrganization, orgID, orgName, "", p.Organization)
			}
			for _, c := range p.Clouds {
				if c.Role != RoleNone {
					row(KindCloud, c.ResourceID, c.Name, "", c.Role)
				}
				for _, pr := range c.Projects {
					row(KindProject, pr.ResourceID, pr.Name, c.Name, pr.Role)
				}
			}
		}
	}
	return rows
}

// reviewSource names what gives p role on resource id.
func (ix *Index) reviewSource(p Principal, id string, role Role) string {
	var out []string
	switch p.Type {
	case PrincipalUser:
		ex, err := ix.Explain(p.ID, id)
		if err != nil {
			return ""
		}
		for _, s := range ex.Sources {
			if s.Role != role || s.Redundant {
				continue
			}
			switch s.Kind {
			case SourceDirect:
				out = append(out, "direct")
			case SourceGroup:
				out = append(out, "group "+s.GroupName)
			case SourceImplicitOwner:
				out = append(out, "org owner")
			case SourcePublicProject:
				out = append(out, "public project")
			}
		}
	case PrincipalServiceAccount:
		a, ok := ix.accounts[p.ID]
		r, rok := ix.resources[id]
		if !ok || !rok {
			return ""
		}
		switch {
		case ix.ServiceAccountDirectRole(a, r) == role:
			out = append(out, "direct")
		case ix.isOrg(r):
			out = append(out, "every service account")
		case ix.org >= 0 && ix.ServiceAccountDirectRole(a, ix.org) == RoleOwner:
			out = append(out, "org owner")
		default:
			out = append(out, "public project")
		}
	}
	return strings.Join(out, "; ")
}

// WriteReviewCSV writes rows as CSV (RFC 4180) with ReviewCSVHeader first.
func WriteReviewCSV(w io.Writer, rows []ReviewRow) error {
	cw := csvsafe.NewWriter(w) // names come from the IdP: no cell may be a formula
	if err := cw.Write(ReviewCSVHeader); err != nil {
		return err
	}
	for _, r := range rows {
		if err := cw.Write([]string{r.PrincipalType.String(), r.Principal, r.PrincipalID, r.ResourceKind.String(),
			r.Resource, r.ResourceID, r.Cloud, r.Role.String(), r.Source}); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}
