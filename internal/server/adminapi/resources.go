package adminapi

import (
	"net/http"

	"github.com/rolecall/rolecall/internal/api"
	"github.com/rolecall/rolecall/internal/server/respond"
	"github.com/rolecall/rolecall/internal/store"
)

// Clouds, projects and service accounts: create, list, get, rename, delete (the service
// deletes an object's grants with it).

func (s *API) listClouds(w http.ResponseWriter, r *http.Request) {
	out, err := s.svc.Clouds(r.Context(), orgOf(r))
	list(s, w, r, out, len(out), err)
}

func (s *API) createCloud(w http.ResponseWriter, r *http.Request) {
	var req api.CreateCloudRequest
	if err := respond.DecodeJSON(r, &req); err != nil {
		s.adminError(w, r, err)
		return
	}
	v, err := s.svc.CreateCloud(r.Context(), orgOf(r), req.Name)
	s.created(w, r, "/api/v1/clouds/"+v.ID, v, err)
}

func (s *API) getCloud(w http.ResponseWriter, r *http.Request) {
	v, err := s.svc.Cloud(r.Context(), orgOf(r), r.PathValue("cloud"))
	s.answer(w, r, http.StatusOK, v, err)
}

func (s *API) renameCloud(w http.ResponseWriter, r *http.Request) {
	s.renameResource(w, r, store.KindCloud, r.PathValue("cloud"))
}

// updateProject renames a project and/or changes its visibility.
func (s *API) updateProject(w http.ResponseWriter, r *http.Request) {
	var req api.UpdateProjectRequest
	if err := respond.DecodeJSON(r, &req); err != nil {
		s.adminError(w, r, err)
		return
	}
	v, err := s.svc.UpdateProject(r.Context(), orgOf(r), r.PathValue("project"), req.Name, req.Visibility)
	s.answer(w, r, http.StatusOK, v, err)
}

// renameResource renames a cloud.
func (s *API) renameResource(w http.ResponseWriter, r *http.Request, kind store.ResourceKind, ref string) {
	var req api.RenameRequest
	if err := respond.DecodeJSON(r, &req); err != nil {
		s.adminError(w, r, err)
		return
	}
	v, err := s.svc.RenameResource(r.Context(), orgOf(r), kind, ref, req.Name)
	s.answer(w, r, http.StatusOK, v, err)
}

func (s *API) deleteCloud(w http.ResponseWriter, r *http.Request) {
	v, err := s.svc.DeleteResource(r.Context(), orgOf(r), store.KindCloud, r.PathValue("cloud"))
	s.answer(w, r, http.StatusOK, v, err)
}

func (s *API) deleteProject(w http.ResponseWriter, r *http.Request) {
	v, err := s.svc.DeleteResource(r.Context(), orgOf(r), store.KindProject, r.PathValue("project"))
	s.answer(w, r, http.StatusOK, v, err)
}

func (s *API) listProjects(w http.ResponseWriter, r *http.Request) {
	out, err := s.svc.Projects(r.Context(), orgOf(r), r.URL.Query().Get("cloud"))
	list(s, w, r, out, len(out), err)
}

func (s *API) createProject(w http.ResponseWriter, r *http.Request) {
	var req api.CreateProjectRequest
	if err := respond.DecodeJSON(r, &req); err != nil {
		s.adminError(w, r, err)
		return
	}
	v, err := s.svc.CreateProject(r.Context(), orgOf(r), req.Name, req.Cloud, req.Visibility)
	s.created(w, r, "/api/v1/projects/"+v.ID, v, err)
}

func (s *API) getProject(w http.ResponseWriter, r *http.Request) {
	v, err := s.svc.Project(r.Context(), orgOf(r), r.PathValue("project"))
	s.answer(w, r, http.StatusOK, v, err)
}

func (s *API) listServiceAccounts(w http.ResponseWriter, r *http.Request) {
	out, err := s.svc.ServiceAccounts(r.Context(), orgOf(r))
	list(s, w, r, out, len(out), err)
}

func (s *API) createServiceAccount(w http.ResponseWriter, r *http.Request) {
	var req api.CreateServiceAccountRequest
	if err := respond.DecodeJSON(r, &req); err != nil {
		s.adminError(w, r, err)
		return
	}
	v, err := s.svc.CreateServiceAccount(r.Context(), orgOf(r), req.Name)
	s.created(w, r, "/api/v1/service-accounts/"+v.ID, v, err)
}

func (s *API) getServiceAccount(w http.ResponseWriter, r *http.Request) {
	v, err := s.svc.ServiceAccount(r.Context(), orgOf(r), r.PathValue("account"))
	s.answer(w, r, http.StatusOK, v, err)
}

func (s *API) deleteServiceAccount(w http.ResponseWriter, r *http.Request) {
	v, err := s.svc.DeleteServiceAccount(r.Context(), orgOf(r), r.PathValue("account"))
	s.answer(w, r, http.StatusOK, v, err)
}
