package adminapi

import (
	"net/http"

	"github.com/rolecall/rolecall/internal/api"
	"github.com/rolecall/rolecall/internal/server/respond"
	"github.com/rolecall/rolecall/internal/service"
)

// Grants (role bindings): create (idempotent), revoke, get, list by resource and/or
// principal. The service checks roles, resolves names and applies the groups-only rule.

// createGrant grants a role: 201 for a new grant, 200 with the existing one for the same
// grant again.
func (s *API) createGrant(w http.ResponseWriter, r *http.Request) {
	var req api.GrantRequest
	if err := respond.DecodeJSON(r, &req); err != nil {
		s.adminError(w, r, err)
		return
	}
	v, created, err := s.svc.CreateGrant(r.Context(), orgOf(r), req)
	if created {
		s.created(w, r, "/api/v1/grants/"+v.ID, v, err)
		return
	}
	s.answer(w, r, http.StatusOK, v, err)
}

// revokeGrant revokes the grant named by a GrantRequest (role, principal, resource).
func (s *API) revokeGrant(w http.ResponseWriter, r *http.Request) {
	var req api.GrantRequest
	if err := respond.DecodeJSON(r, &req); err != nil {
		s.adminError(w, r, err)
		return
	}
	v, err := s.svc.RevokeGrant(r.Context(), orgOf(r), req)
	s.answer(w, r, http.StatusOK, v, err)
}

func (s *API) getGrant(w http.ResponseWriter, r *http.Request) {
	v, err := s.svc.Grant(r.Context(), orgOf(r), r.PathValue("grant"))
	s.answer(w, r, http.StatusOK, v, err)
}

// deleteGrant revokes a grant by id.
func (s *API) deleteGrant(w http.ResponseWriter, r *http.Request) {
	v, err := s.svc.DeleteGrant(r.Context(), orgOf(r), r.PathValue("grant"))
	s.answer(w, r, http.StatusOK, v, err)
}

// listGrants lists grants, narrowed by principal (principalType + principal) and/or by
// resource (resourceKind + resource).
func (s *API) listGrants(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	gs, err := s.svc.Grants(r.Context(), orgOf(r), service.GrantFilter{
		PrincipalType: q.Get("principalType"), Principal: q.Get("principal"),
		ResourceKind: q.Get("resourceKind"), Resource: q.Get("resource")})
	list(s, w, r, gs, len(gs), err)
}
