package server

import (
	"errors"
	"net/http"
	"strings"

	"github.com/rolecall/rolecall/internal/api"
	"github.com/rolecall/rolecall/internal/audit"
	"github.com/rolecall/rolecall/internal/auth"
	"github.com/rolecall/rolecall/internal/store"
)

// Clouds, projects and service accounts: create, list, get, rename, delete. Deleting one
// deletes its grants in the same transaction, and the audit event's "before" lists them, so
// the log alone says what access went away.

// audit records the one event of a mutation in the same transaction.
func (l adminLookup) audit(action, targetType, targetID string, before, after any) error {
	return audit.Log(l.ctx, l.tx, l.orgID, action, targetType, targetID, before, after)
}

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
	return adminConflict("a %s named %q already exists in %s; names are case-insensitive", what, name, scope)
}

func cloudView(r store.Resource, projects int) api.Cloud {
	return api.Cloud{ID: r.ID, Name: r.Name, Projects: projects, CreatedAt: r.CreatedAt}
}

func projectView(r store.Resource, cloud store.Resource) api.Project {
	return api.Project{ID: r.ID, Name: r.Name, CloudID: r.ParentID, Cloud: cloud.Name, CreatedAt: r.CreatedAt}
}

// cloudWithCount is a cloud's view with its project count.
func (l adminLookup) cloudWithCount(c store.Resource) (api.Cloud, error) {
	ps, err := l.tx.ListResources(l.ctx, l.orgID, store.KindProject, c.ID)
	return cloudView(c, len(ps)), err
}

func (s *Server) listClouds(w http.ResponseWriter, r *http.Request) {
	s.adminView(w, r, func(l adminLookup) (any, error) {
		clouds, err := l.tx.ListResources(l.ctx, l.orgID, store.KindCloud, "")
		if err != nil {
			return nil, err
		}
		projects, err := l.tx.ListResources(l.ctx, l.orgID, store.KindProject, "")
		if err != nil {
			return nil, err
		}
		count := map[string]int{}
		for _, p := range projects {
			count[p.ParentID]++
		}
		out := make([]api.Cloud, len(clouds))
		for i, c := range clouds {
			out[i] = cloudView(c, count[c.ID])
		}
		return api.List[api.Cloud]{Items: out, Total: len(out)}, nil
	})
}

func (s *Server) createCloud(w http.ResponseWriter, r *http.Request) {
	var req api.CreateCloudRequest
	if err := decodeJSON(r, &req); err != nil {
		s.adminError(w, r, err)
		return
	}
	s.adminUpdate(w, r, func(l adminLookup) (int, any, error) {
		name := strings.TrimSpace(req.Name)
		if err := auth.ValidName("cloud", name); err != nil {
			return 0, nil, err
		}
		c, err := l.tx.CreateResource(l.ctx, store.Resource{OrgID: l.orgID, Kind: store.KindCloud, Name: name, CreatedAt: store.Now()})
		if err != nil {
			return 0, nil, nameTaken(err, "cloud", name)
		}
		v := cloudView(c, 0)
		return http.StatusCreated, located{"/api/v1/clouds/" + c.ID, v}, l.audit("cloud.create", "cloud", c.ID, nil, v)
	})
}

func (s *Server) getCloud(w http.ResponseWriter, r *http.Request) {
	s.adminView(w, r, func(l adminLookup) (any, error) {
		c, err := l.resource(store.KindCloud, r.PathValue("cloud"))
		if err != nil {
			return nil, err
		}
		return l.cloudWithCount(c)
	})
}

func (s *Server) renameCloud(w http.ResponseWriter, r *http.Request) {
	s.renameResource(w, r, store.KindCloud, r.PathValue("cloud"))
}

func (s *Server) renameProject(w http.ResponseWriter, r *http.Request) {
	s.renameResource(w, r, store.KindProject, r.PathValue("project"))
}

// renameResource renames a cloud or project. Renaming to the current name changes nothing
// and records nothing.
func (s *Server) renameResource(w http.ResponseWriter, r *http.Request, kind store.ResourceKind, ref string) {
	var req api.RenameRequest
	if err := decodeJSON(r, &req); err != nil {
		s.adminError(w, r, err)
		return
	}
	s.adminUpdate(w, r, func(l adminLookup) (int, any, error) {
		name := strings.TrimSpace(req.Name)
		if err := auth.ValidName(string(kind), name); err != nil {
			return 0, nil, err
		}
		res, err := l.resource(kind, ref)
		if err != nil {
			return 0, nil, err
		}
		before, err := l.resourceView(res)
		if err != nil || res.Name == name {
			return http.StatusOK, before, err
		}
		res, err = l.tx.RenameResource(l.ctx, l.orgID, res.ID, name)
		if err != nil {
			return 0, nil, nameTaken(err, string(kind), name)
		}
		after, err := l.resourceView(res)
		if err != nil {
			return 0, nil, err
		}
		return http.StatusOK, after, l.audit(string(kind)+".rename", string(kind), res.ID, before, after)
	})
}

// resourceView is the API view of a cloud (api.Cloud) or a project (api.Project).
func (l adminLookup) resourceView(res store.Resource) (any, error) {
	if res.Kind == store.KindCloud {
		return l.cloudWithCount(res)
	}
	cloud, err := l.tx.Resource(l.ctx, l.orgID, res.ParentID)
	return projectView(res, cloud), err
}

func (s *Server) deleteCloud(w http.ResponseWriter, r *http.Request) {
	s.deleteResource(w, r, store.KindCloud, r.PathValue("cloud"))
}

func (s *Server) deleteProject(w http.ResponseWriter, r *http.Request) {
	s.deleteResource(w, r, store.KindProject, r.PathValue("project"))
}

// deleteResource deletes a cloud or project and its grants. A cloud that still has projects
// is refused: deleting the access to every project in it as a side effect is not what
// anyone means by deleting a cloud.
func (s *Server) deleteResource(w http.ResponseWriter, r *http.Request, kind store.ResourceKind, ref string) {
	s.adminUpdate(w, r, func(l adminLookup) (int, any, error) {
		res, err := l.resource(kind, ref)
		if err != nil {
			return 0, nil, err
		}
		if kind == store.KindCloud {
			ps, err := l.tx.ListResources(l.ctx, l.orgID, store.KindProject, res.ID)
			if err != nil {
				return 0, nil, err
			}
			if len(ps) > 0 {
				names := make([]string, len(ps))
				for i, p := range ps {
					names[i] = p.Name
				}
				e := adminConflict("cloud %q still has %d project(s) (%s): delete them first (rolecall project delete NAME)",
					res.Name, len(ps), strings.Join(names, ", "))
				e.Details = map[string]any{"projects": names}
				return 0, nil, e
			}
		}
		view, err := l.resourceView(res)
		if err != nil {
			return 0, nil, err
		}
		grants, err := l.grants(store.BindingFilter{ResourceID: res.ID})
		if err != nil {
			return 0, nil, err
		}
		if _, err := l.tx.DeleteResource(l.ctx, l.orgID, res.ID); err != nil {
			return 0, nil, err
		}
		return http.StatusOK, view, l.audit(string(kind)+".delete", string(kind), res.ID, deletedWithGrants{view, grants}, nil)
	})
}

func (s *Server) listProjects(w http.ResponseWriter, r *http.Request) {
	s.adminView(w, r, func(l adminLookup) (any, error) {
		parent := ""
		if ref := r.URL.Query().Get("cloud"); ref != "" {
			c, err := l.resource(store.KindCloud, ref)
			if err != nil {
				return nil, err
			}
			parent = c.ID
		}
		projects, err := l.tx.ListResources(l.ctx, l.orgID, store.KindProject, parent)
		if err != nil {
			return nil, err
		}
		clouds, err := l.tx.ListResources(l.ctx, l.orgID, store.KindCloud, "")
		if err != nil {
			return nil, err
		}
		byID := make(map[string]store.Resource, len(clouds))
		for _, c := range clouds {
			byID[c.ID] = c
		}
		out := make([]api.Project, len(projects))
		for i, p := range projects {
			out[i] = projectView(p, byID[p.ParentID])
		}
		return api.List[api.Project]{Items: out, Total: len(out)}, nil
	})
}

func (s *Server) createProject(w http.ResponseWriter, r *http.Request) {
	var req api.CreateProjectRequest
	if err := decodeJSON(r, &req); err != nil {
		s.adminError(w, r, err)
		return
	}
	s.adminUpdate(w, r, func(l adminLookup) (int, any, error) {
		name := strings.TrimSpace(req.Name)
		if err := auth.ValidName("project", name); err != nil {
			return 0, nil, err
		}
		if strings.TrimSpace(req.Cloud) == "" {
			return 0, nil, adminBadRequest("a project needs a cloud (id or name): every project is in exactly one cloud")
		}
		cloud, err := l.resource(store.KindCloud, strings.TrimSpace(req.Cloud))
		if err != nil {
			return 0, nil, err
		}
		p, err := l.tx.CreateResource(l.ctx, store.Resource{OrgID: l.orgID, Kind: store.KindProject, Name: name,
			ParentID: cloud.ID, CreatedAt: store.Now()})
		if err != nil {
			return 0, nil, nameTaken(err, "project", name)
		}
		v := projectView(p, cloud)
		return http.StatusCreated, located{"/api/v1/projects/" + p.ID, v}, l.audit("project.create", "project", p.ID, nil, v)
	})
}

func (s *Server) getProject(w http.ResponseWriter, r *http.Request) {
	s.adminView(w, r, func(l adminLookup) (any, error) {
		p, err := l.resource(store.KindProject, r.PathValue("project"))
		if err != nil {
			return nil, err
		}
		return l.resourceView(p)
	})
}

func serviceAccountView(sa store.ServiceAccount) api.ServiceAccount {
	return api.ServiceAccount{ID: sa.ID, Name: sa.Name, CreatedAt: sa.CreatedAt}
}

func (s *Server) listServiceAccounts(w http.ResponseWriter, r *http.Request) {
	s.adminView(w, r, func(l adminLookup) (any, error) {
		sas, err := l.tx.ListServiceAccounts(l.ctx, l.orgID)
		if err != nil {
			return nil, err
		}
		out := make([]api.ServiceAccount, len(sas))
		for i, sa := range sas {
			out[i] = serviceAccountView(sa)
		}
		return api.List[api.ServiceAccount]{Items: out, Total: len(out)}, nil
	})
}

func (s *Server) createServiceAccount(w http.ResponseWriter, r *http.Request) {
	var req api.CreateServiceAccountRequest
	if err := decodeJSON(r, &req); err != nil {
		s.adminError(w, r, err)
		return
	}
	s.adminUpdate(w, r, func(l adminLookup) (int, any, error) {
		name := strings.TrimSpace(req.Name)
		if err := auth.ValidName("service account", name); err != nil {
			return 0, nil, err
		}
		sa, err := l.tx.CreateServiceAccount(l.ctx, store.ServiceAccount{OrgID: l.orgID, Name: name, CreatedAt: store.Now()})
		if err != nil {
			return 0, nil, nameTaken(err, "service account", name)
		}
		v := serviceAccountView(sa)
		return http.StatusCreated, located{"/api/v1/service-accounts/" + sa.ID, v}, l.audit("service_account.create", "service_account", sa.ID, nil, v)
	})
}

func (s *Server) getServiceAccount(w http.ResponseWriter, r *http.Request) {
	s.adminView(w, r, func(l adminLookup) (any, error) {
		sa, err := l.serviceAccount(r.PathValue("account"))
		return serviceAccountView(sa), err
	})
}

// deleteServiceAccount deletes a service account and its grants.
func (s *Server) deleteServiceAccount(w http.ResponseWriter, r *http.Request) {
	s.adminUpdate(w, r, func(l adminLookup) (int, any, error) {
		sa, err := l.serviceAccount(r.PathValue("account"))
		if err != nil {
			return 0, nil, err
		}
		grants, err := l.grants(store.BindingFilter{PrincipalType: store.PrincipalServiceAccount, PrincipalID: sa.ID})
		if err != nil {
			return 0, nil, err
		}
		if _, err := l.tx.DeleteServiceAccount(l.ctx, l.orgID, sa.ID); err != nil {
			return 0, nil, err
		}
		v := serviceAccountView(sa)
		return http.StatusOK, v, l.audit("service_account.delete", "service_account", sa.ID, deletedWithGrants{v, grants}, nil)
	})
}
