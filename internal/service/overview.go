package service

import (
	"context"

	"github.com/rolecall/rolecall/internal/api"
	"github.com/rolecall/rolecall/internal/store"
)

// Overviews of the access model that the console shows a page of each: clouds and projects
// with who holds which role on them (user grants apart from group and service-account
// grants), and service accounts with their grants. Each is read from one snapshot.

// ResourceSummary is one cloud or project with its counts.
type ResourceSummary struct {
	ID, Name, Cloud, CloudID string
	Projects, Grants         int
}

// ResourceSummaries lists the clouds or projects of the org with their grant (and, for
// clouds, project) counts.
func (s *Service) ResourceSummaries(ctx context.Context, org string, kind store.ResourceKind) (rows []ResourceSummary, err error) {
	err = s.view(ctx, org, func(l lookup) error {
		all, err := l.tx.ListResources(l.ctx, l.orgID, "", "")
		if err != nil {
			return err
		}
		grants := map[string]int{}
		err = l.tx.AllBindings(l.ctx, l.orgID, func(b store.Binding) error {
			grants[b.ResourceID]++
			return nil
		})
		if err != nil {
			return err
		}
		byID := map[string]store.Resource{}
		projects := map[string]int{}
		for _, r := range all {
			byID[r.ID] = r
			if r.Kind == store.KindProject {
				projects[r.ParentID]++
			}
		}
		for _, r := range all {
			if r.Kind != kind {
				continue
			}
			row := ResourceSummary{ID: r.ID, Name: r.Name, Grants: grants[r.ID], Projects: projects[r.ID]}
			if r.ParentID != "" {
				row.CloudID, row.Cloud = r.ParentID, byID[r.ParentID].Name
			}
			rows = append(rows, row)
		}
		return nil
	})
	return rows, err
}

// ResourceDetail is one cloud or project and who holds which role on it.
type ResourceDetail struct {
	Kind     string
	Resource store.Resource
	CloudID  string
	Cloud    string
	Projects []store.Resource
	// UserGrants are direct grants to users; GroupGrants carry each group's member count.
	UserGrants    []api.Grant
	GroupGrants   []GroupGrant
	AccountGrants []api.Grant
	// OrgOwners are the grants of owner on the organization: they act as owner here too.
	OrgOwners []api.Grant
}

// GroupGrant is a grant to a group, with the group's state and member count.
type GroupGrant struct {
	api.Grant
	Members int
	Active  bool
}

// ResourceDetail reads a cloud or project (id or name), its projects or cloud, its grants
// and the organization's owners.
func (s *Service) ResourceDetail(ctx context.Context, org string, kind store.ResourceKind, ref string) (d ResourceDetail, err error) {
	d.Kind = string(kind)
	err = s.view(ctx, org, func(l lookup) error {
		res, err := l.resource(kind, ref)
		if err != nil {
			return err
		}
		d.Resource = res
		if kind == store.KindCloud {
			if d.Projects, err = l.tx.ListResources(l.ctx, l.orgID, store.KindProject, res.ID); err != nil {
				return err
			}
		} else if res.ParentID != "" {
			parent, err := l.tx.Resource(l.ctx, l.orgID, res.ParentID)
			if err != nil {
				return err
			}
			d.CloudID, d.Cloud = parent.ID, parent.Name
		}
		grants, err := l.grants(store.BindingFilter{ResourceID: res.ID})
		if err != nil {
			return err
		}
		for _, g := range grants {
			switch g.PrincipalType {
			case api.PrincipalUser:
				d.UserGrants = append(d.UserGrants, g)
			case api.PrincipalGroup:
				gg := GroupGrant{Grant: g}
				if grp, err := l.tx.Group(l.ctx, l.orgID, g.PrincipalID); err == nil {
					gg.Active = grp.Active
					if gg.Members, err = l.memberCount(grp.ID); err != nil {
						return err
					}
				}
				d.GroupGrants = append(d.GroupGrants, gg)
			default:
				d.AccountGrants = append(d.AccountGrants, g)
			}
		}
		orgRes, err := l.tx.OrgResource(l.ctx, l.orgID)
		if err != nil {
			return err
		}
		orgGrants, err := l.grants(store.BindingFilter{ResourceID: orgRes.ID})
		for _, g := range orgGrants {
			if g.Role == "owner" {
				d.OrgOwners = append(d.OrgOwners, g)
			}
		}
		return err
	})
	return d, err
}

// AccountGrants is a service account with its grants.
type AccountGrants struct {
	api.ServiceAccount
	Grants []api.Grant
}

// ServiceAccountGrants lists the service accounts with their grants.
func (s *Service) ServiceAccountGrants(ctx context.Context, org string) (out []AccountGrants, err error) {
	err = s.view(ctx, org, func(l lookup) error {
		sas, err := l.tx.ListServiceAccounts(l.ctx, l.orgID)
		if err != nil {
			return err
		}
		grants, err := l.grants(store.BindingFilter{PrincipalType: store.PrincipalServiceAccount})
		if err != nil {
			return err
		}
		byAccount := map[string][]api.Grant{}
		for _, g := range grants {
			byAccount[g.PrincipalID] = append(byAccount[g.PrincipalID], g)
		}
		for _, sa := range sas {
			out = append(out, AccountGrants{ServiceAccount: serviceAccountView(sa), Grants: byAccount[sa.ID]})
		}
		return nil
	})
	return out, err
}
