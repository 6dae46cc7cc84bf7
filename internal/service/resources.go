package service

import (
	"context"
	"errors"
	"strings"

	"github.com/rolecall/rolecall/internal/api"
	"github.com/rolecall/rolecall/internal/audit"
	"github.com/rolecall/rolecall/internal/auth"
	"github.com/rolecall/rolecall/internal/events"
	"github.com/rolecall/rolecall/internal/store"
)

// Clouds, projects and service accounts: create, list, get, rename, delete, and a project's
// visibility. Deleting one
// deletes its grants in the same transaction, and the audit event's "before" lists them, so
// the log alone says what access went away.

// deletedWithGrants is the audit "before" of a deletion: the object and the grants that went
// with it.
type deletedWithGrants struct {
	Object any         `json:"object"`
	Grants []api.Grant `json:"grants"`
}

// nameTaken words a uniqueness conflict for a person: names are unique per org and kind,
// case-insensitively (project names across all clouds, since plans name projects alone).
func nameTaken(err error, what, name string) error {
	if !errors.Is(err, store.ErrConflict) {
		return err
	}
	scope := "this organization"
	if what == "project" {
		scope = "this organization (project names are unique across clouds)"
	}
	return conflict("a %s named %q already exists in %s; names are case-insensitive", what, name, scope)
}

// resourceActions are the audit actions of renaming and deleting each kind of resource.
var resourceActions = map[store.ResourceKind]struct{ rename, delete string }{
	store.KindCloud:   {audit.ActionCloudRename, audit.ActionCloudDelete},
	store.KindProject: {audit.ActionProjectRename, audit.ActionProjectDelete},
}

func cloudView(r store.Resource, projects int) api.Cloud {
	return api.Cloud{ID: r.ID, Name: r.Name, Projects: projects, CreatedAt: r.CreatedAt}
}

func projectView(r store.Resource, cloud store.Resource) api.Project {
	return api.Project{ID: r.ID, Name: r.Name, CloudID: r.ParentID, Cloud: cloud.Name, Visibility: visibility(r.Public),
		CreatedAt: r.CreatedAt}
}

// visibility is the wire name of a project's visibility.
func visibility(public bool) string {
	if public {
		return api.VisibilityPublic
	}
	return api.VisibilityPrivate
}

// parseVisibility reads a wire visibility; empty is private, the default of new projects.
func parseVisibility(v string) (public bool, err error) {
	switch strings.TrimSpace(v) {
	case "", api.VisibilityPrivate:
		return false, nil
	case api.VisibilityPublic:
		return true, nil
	}
	return false, badRequest("unknown visibility %q; valid visibilities: private (the default: no cloud role reaches the project), "+
		"public (everyone with a role on the project's cloud is a collaborator)", v)
}

func serviceAccountView(sa store.ServiceAccount) api.ServiceAccount {
	return api.ServiceAccount{ID: sa.ID, Name: sa.Name, CreatedAt: sa.CreatedAt}
}

// cloudWithCount is a cloud's view with its project count.
func (l lookup) cloudWithCount(c store.Resource) (api.Cloud, error) {
	ps, err := l.tx.ListResources(l.ctx, l.orgID, store.KindProject, c.ID)
	return cloudView(c, len(ps)), err
}

// resourceView is the API view of a cloud (api.Cloud) or a project (api.Project).
func (l lookup) resourceView(res store.Resource) (any, error) {
	if res.Kind == store.KindCloud {
		return l.cloudWithCount(res)
	}
	cloud, err := l.tx.Resource(l.ctx, l.orgID, res.ParentID)
	return projectView(res, cloud), err
}

// Clouds lists the org's clouds with their project counts.
func (s *Service) Clouds(ctx context.Context, org string) (out []api.Cloud, err error) {
	err = s.view(ctx, org, func(l lookup) error {
		clouds, err := l.tx.ListResources(l.ctx, l.orgID, store.KindCloud, "")
		if err != nil {
			return err
		}
		projects, err := l.tx.ListResources(l.ctx, l.orgID, store.KindProject, "")
		if err != nil {
			return err
		}
		count := map[string]int{}
		for _, p := range projects {
			count[p.ParentID]++
		}
		out = make([]api.Cloud, len(clouds))
		for i, c := range clouds {
			out[i] = cloudView(c, count[c.ID])
		}
		return nil
	})
	return out, err
}

// CreateCloud creates a cloud.
func (s *Service) CreateCloud(ctx context.Context, org, name string) (v api.Cloud, err error) {
	name = strings.TrimSpace(name)
	if err := auth.ValidName("cloud", name); err != nil {
		return v, err
	}
	err = s.update(ctx, org, func(l lookup) error {
		if err := lockForRules(l.ctx, l.tx, l.orgID); err != nil {
			return err
		}
		// The rules' bindings on it carry access: the access lock before any row lock.
		if err := lockAccess(l.ctx, l.tx, l.orgID); err != nil {
			return err
		}
		c, err := l.tx.CreateResource(l.ctx, store.Resource{OrgID: l.orgID, Kind: store.KindCloud, Name: name, CreatedAt: store.Now()})
		if err != nil {
			return nameTaken(err, "cloud", name)
		}
		v = cloudView(c, 0)
		l.ob.Add(events.ResourceCreated, events.ResourceData{Resource: EventResource(c)})
		if _, err := s.reconcileResource(l.ctx, l.tx, l.orgID, l.ob, store.KindCloud, c.Name, ""); err != nil {
			return err
		}
		return l.audit(audit.ActionCloudCreate, audit.TargetCloud, c.ID, nil, v)
	})
	return v, err
}

// Cloud reads a cloud by id or name, with its project count.
func (s *Service) Cloud(ctx context.Context, org, ref string) (v api.Cloud, err error) {
	err = s.view(ctx, org, func(l lookup) error {
		c, err := l.resource(store.KindCloud, ref)
		if err != nil {
			return err
		}
		v, err = l.cloudWithCount(c)
		return err
	})
	return v, err
}

// RenameResource renames a cloud or project and returns its view (api.Cloud or
// api.Project). Renaming to the current name changes nothing and records nothing.
func (s *Service) RenameResource(ctx context.Context, org string, kind store.ResourceKind, ref, name string) (out any, err error) {
	name = strings.TrimSpace(name)
	if err := auth.ValidName(string(kind), name); err != nil {
		return nil, err
	}
	err = s.update(ctx, org, func(l lookup) error {
		if err := lockForRules(l.ctx, l.tx, l.orgID); err != nil {
			return err
		}
		// The rules' bindings on it carry access: the access lock before any row lock.
		if err := lockAccess(l.ctx, l.tx, l.orgID); err != nil {
			return err
		}
		res, err := l.resource(kind, ref)
		if err != nil {
			return err
		}
		before, err := l.resourceView(res)
		if err != nil || res.Name == name {
			out = before
			return err
		}
		oldName := res.Name
		res, err = l.tx.RenameResource(l.ctx, l.orgID, res.ID, name)
		if err != nil {
			return nameTaken(err, string(kind), name)
		}
		if out, err = l.resourceView(res); err != nil {
			return err
		}
		l.ob.Add(events.ResourceRenamed, events.ResourceData{Resource: EventResource(res), PreviousName: oldName})
		if _, err := s.reconcileResource(l.ctx, l.tx, l.orgID, l.ob, kind, res.Name, oldName); err != nil {
			return err
		}
		return l.audit(resourceActions[kind].rename, string(kind), res.ID, before, out)
	})
	return out, err
}

// DeleteResource deletes a cloud or project and its grants, and returns its view. A cloud
// that still has projects is refused: deleting the access to every project in it as a side
// effect is not what anyone means by deleting a cloud.
func (s *Service) DeleteResource(ctx context.Context, org string, kind store.ResourceKind, ref string) (view any, err error) {
	err = s.update(ctx, org, func(l lookup) error {
		if err := lockAccess(l.ctx, l.tx, l.orgID); err != nil {
			return err
		}
		res, err := l.resource(kind, ref)
		if err != nil {
			return err
		}
		if kind == store.KindCloud {
			ps, err := l.tx.ListResources(l.ctx, l.orgID, store.KindProject, res.ID)
			if err != nil {
				return err
			}
			if len(ps) > 0 {
				names := make([]string, len(ps))
				for i, p := range ps {
					names[i] = p.Name
				}
				e := conflict("cloud %q still has %d project(s) (%s): delete them first (rolecall project delete NAME)",
					res.Name, len(ps), strings.Join(names, ", "))
				e.Details = map[string]any{"projects": names}
				return e
			}
		}
		if view, err = l.resourceView(res); err != nil {
			return err
		}
		grants, err := l.grants(store.BindingFilter{ResourceID: res.ID})
		if err != nil {
			return err
		}
		if err := l.revokeCascade(store.BindingFilter{ResourceID: res.ID}); err != nil {
			return err
		}
		lost, err := resourceDeleteAccess(l.ctx, l.tx, l.orgID, res)
		if err != nil {
			return err
		}
		if _, err := l.tx.DeleteResource(l.ctx, l.orgID, res.ID); err != nil {
			return err
		}
		l.ob.Add(events.ResourceDeleted, events.ResourceData{Resource: EventResource(res), Access: lost})
		return l.audit(resourceActions[kind].delete, string(kind), res.ID, deletedWithGrants{view, grants}, nil)
	})
	return view, err
}

// Projects lists the org's projects, or those of one cloud (id or name) when cloudRef is
// set.
func (s *Service) Projects(ctx context.Context, org, cloudRef string) (out []api.Project, err error) {
	err = s.view(ctx, org, func(l lookup) error {
		parent := ""
		if cloudRef != "" {
			c, err := l.resource(store.KindCloud, cloudRef)
			if err != nil {
				return err
			}
			parent = c.ID
		}
		projects, err := l.tx.ListResources(l.ctx, l.orgID, store.KindProject, parent)
		if err != nil {
			return err
		}
		clouds, err := l.tx.ListResources(l.ctx, l.orgID, store.KindCloud, "")
		if err != nil {
			return err
		}
		byID := make(map[string]store.Resource, len(clouds))
		for _, c := range clouds {
			byID[c.ID] = c
		}
		out = make([]api.Project, len(projects))
		for i, p := range projects {
			out[i] = projectView(p, byID[p.ParentID])
		}
		return nil
	})
	return out, err
}

// CreateProject creates a project in a cloud (id or name), private unless visibility is
// "public".
func (s *Service) CreateProject(ctx context.Context, org, name, cloudRef, visibility string) (v api.Project, err error) {
	name = strings.TrimSpace(name)
	if err := auth.ValidName("project", name); err != nil {
		return v, err
	}
	public, err := parseVisibility(visibility)
	if err != nil {
		return v, err
	}
	if strings.TrimSpace(cloudRef) == "" {
		return v, badRequest("a project needs a cloud (id or name): every project is in exactly one cloud")
	}
	err = s.update(ctx, org, func(l lookup) error {
		if err := lockForRules(l.ctx, l.tx, l.orgID); err != nil {
			return err
		}
		// The rules' bindings on it carry access: the access lock before any row lock.
		if err := lockAccess(l.ctx, l.tx, l.orgID); err != nil {
			return err
		}
		cloud, err := l.resource(store.KindCloud, strings.TrimSpace(cloudRef))
		if err != nil {
			return err
		}
		p, err := l.tx.CreateResource(l.ctx, store.Resource{OrgID: l.orgID, Kind: store.KindProject, Name: name,
			ParentID: cloud.ID, Public: public, CreatedAt: store.Now()})
		if err != nil {
			return nameTaken(err, "project", name)
		}
		v = projectView(p, cloud)
		d := events.ResourceData{Resource: EventResource(p)}
		if p.Public {
			// Whoever holds a role on its cloud is a collaborator on it from now on.
			if d.Access, err = projectCreateAccess(l.ctx, l.tx, l.orgID, p); err != nil {
				return err
			}
		}
		l.ob.Add(events.ResourceCreated, d)
		if _, err := s.reconcileResource(l.ctx, l.tx, l.orgID, l.ob, store.KindProject, p.Name, ""); err != nil {
			return err
		}
		return l.audit(audit.ActionProjectCreate, audit.TargetProject, p.ID, nil, v)
	})
	return v, err
}

// UpdateProject changes a project (id or name), PATCH-like: a non-empty name renames it, a
// non-empty visibility makes it public or private. Both happen in one transaction, each
// change with its own audit event; a field equal to the current value changes nothing and
// records nothing.
func (s *Service) UpdateProject(ctx context.Context, org, ref, name, visibility string) (v api.Project, err error) {
	name = strings.TrimSpace(name)
	if name == "" && strings.TrimSpace(visibility) == "" {
		return v, badRequest("nothing to change: give a new name, a visibility (private or public), or both")
	}
	if name != "" {
		if err := auth.ValidName("project", name); err != nil {
			return v, err
		}
	}
	public, err := parseVisibility(visibility)
	if err != nil {
		return v, err
	}
	err = s.update(ctx, org, func(l lookup) error {
		if name != "" {
			if err := lockForRules(l.ctx, l.tx, l.orgID); err != nil {
				return err
			}
		}
		// A rename reconciles rules, a visibility change gives or takes collaborator: both
		// carry access, computed under the access lock, taken before any row lock.
		if err := lockAccess(l.ctx, l.tx, l.orgID); err != nil {
			return err
		}
		p, err := l.resource(store.KindProject, ref)
		if err != nil {
			return err
		}
		cloud, err := l.tx.Resource(l.ctx, l.orgID, p.ParentID)
		if err != nil {
			return err
		}
		v = projectView(p, cloud)
		if name != "" && name != p.Name {
			before, oldName := v, p.Name
			if p, err = l.tx.RenameResource(l.ctx, l.orgID, p.ID, name); err != nil {
				return nameTaken(err, "project", name)
			}
			l.ob.Add(events.ResourceRenamed, events.ResourceData{Resource: EventResource(p), PreviousName: oldName})
			if _, err := s.reconcileResource(l.ctx, l.tx, l.orgID, l.ob, store.KindProject, p.Name, oldName); err != nil {
				return err
			}
			v = projectView(p, cloud)
			if err := l.audit(audit.ActionProjectRename, audit.TargetProject, p.ID, before, v); err != nil {
				return err
			}
		}
		if strings.TrimSpace(visibility) != "" && public != p.Public {
			before := v
			changed, err := visibilityAccess(l.ctx, l.tx, l.orgID, p, public)
			if err != nil {
				return err
			}
			if p, err = l.tx.SetResourcePublic(l.ctx, l.orgID, p.ID, public); err != nil {
				return err
			}
			v = projectView(p, cloud)
			l.ob.Add(events.ResourceVisibilityChanged, events.ResourceData{Resource: EventResource(p), Access: changed})
			return l.audit(audit.ActionProjectVisibility, audit.TargetProject, p.ID, before, v)
		}
		return nil
	})
	return v, err
}

// Project reads a project by id or name.
func (s *Service) Project(ctx context.Context, org, ref string) (v any, err error) {
	err = s.view(ctx, org, func(l lookup) error {
		p, err := l.resource(store.KindProject, ref)
		if err != nil {
			return err
		}
		v, err = l.resourceView(p)
		return err
	})
	return v, err
}

// ServiceAccounts lists the org's service accounts.
func (s *Service) ServiceAccounts(ctx context.Context, org string) (out []api.ServiceAccount, err error) {
	err = s.view(ctx, org, func(l lookup) error {
		sas, err := l.tx.ListServiceAccounts(l.ctx, l.orgID)
		if err != nil {
			return err
		}
		out = make([]api.ServiceAccount, len(sas))
		for i, sa := range sas {
			out[i] = serviceAccountView(sa)
		}
		return nil
	})
	return out, err
}

// CreateServiceAccount creates a service account.
func (s *Service) CreateServiceAccount(ctx context.Context, org, name string) (v api.ServiceAccount, err error) {
	name = strings.TrimSpace(name)
	if err := auth.ValidName("service account", name); err != nil {
		return v, err
	}
	err = s.update(ctx, org, func(l lookup) error {
		sa, err := l.tx.CreateServiceAccount(l.ctx, store.ServiceAccount{OrgID: l.orgID, Name: name, CreatedAt: store.Now()})
		if err != nil {
			return nameTaken(err, "service account", name)
		}
		v = serviceAccountView(sa)
		l.ob.Add(events.ServiceAccountCreated, serviceAccountEvent(sa, 0))
		return l.audit(audit.ActionServiceAccountCreate, audit.TargetServiceAccount, sa.ID, nil, v)
	})
	return v, err
}

// ServiceAccount reads a service account by id or name.
func (s *Service) ServiceAccount(ctx context.Context, org, ref string) (v api.ServiceAccount, err error) {
	err = s.view(ctx, org, func(l lookup) error {
		sa, err := l.serviceAccount(ref)
		v = serviceAccountView(sa)
		return err
	})
	return v, err
}

// DeleteServiceAccount deletes a service account and its grants.
func (s *Service) DeleteServiceAccount(ctx context.Context, org, ref string) (v api.ServiceAccount, err error) {
	err = s.update(ctx, org, func(l lookup) error {
		sa, err := l.serviceAccount(ref)
		if err != nil {
			return err
		}
		grants, err := l.grants(store.BindingFilter{PrincipalType: store.PrincipalServiceAccount, PrincipalID: sa.ID})
		if err != nil {
			return err
		}
		if err := l.revokeCascade(store.BindingFilter{PrincipalType: store.PrincipalServiceAccount, PrincipalID: sa.ID}); err != nil {
			return err
		}
		if _, err := l.tx.DeleteServiceAccount(l.ctx, l.orgID, sa.ID); err != nil {
			return err
		}
		l.ob.Add(events.ServiceAccountDeleted, serviceAccountEvent(sa, len(grants)))
		v = serviceAccountView(sa)
		return l.audit(audit.ActionServiceAccountDelete, audit.TargetServiceAccount, sa.ID, deletedWithGrants{v, grants}, nil)
	})
	return v, err
}

// revokeCascade adds a grant.revoked event for each binding f selects, before a delete that
// takes them with it.
func (l lookup) revokeCascade(f store.BindingFilter) error {
	bs, err := l.tx.ListBindings(l.ctx, l.orgID, f)
	if err != nil {
		return err
	}
	return revokeCascade(l.ctx, l.tx, l.orgID, l.ob, bs)
}

func serviceAccountEvent(sa store.ServiceAccount, bindingsDeleted int) events.ServiceAccountData {
	var d events.ServiceAccountData
	d.ServiceAccount.ID, d.ServiceAccount.Name, d.BindingsDeleted = sa.ID, sa.Name, bindingsDeleted
	return d
}
