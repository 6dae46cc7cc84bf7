package server

import (
	"errors"
	"net/http"

	"github.com/rolecall/rolecall/internal/api"
	"github.com/rolecall/rolecall/internal/enforcement"
	"github.com/rolecall/rolecall/internal/store"
)

// enforceRoutes registers the enforce-groups admin API.
func (s *Server) enforceRoutes(mux *http.ServeMux) {
	mux.HandleFunc("POST /api/v1/enforce/preview", s.admin(s.enforcePreview))
	mux.HandleFunc("POST /api/v1/enforce/apply", s.admin(s.enforceApply))
	mux.HandleFunc("GET /api/v1/enforce/runs", s.admin(s.enforceRuns))
	mux.HandleFunc("GET /api/v1/enforce/runs/{run}", s.admin(s.enforceRun))
	mux.HandleFunc("POST /api/v1/enforce/runs/{run}/undo", s.admin(s.enforceUndo))
}

func (s *Server) enforcement() *enforcement.Service { return EnforcementService(s.store) }

// EnforcementService returns the enforce-groups service the server runs on st, with the
// server's own access-state loader: tests and benchmarks use it to exercise exactly the
// production path without HTTP.
func EnforcementService(st store.Store) *enforcement.Service {
	return &enforcement.Service{Store: st, Load: loadAccessState}
}

// enforcePreview answers the plan and its fingerprint. It reads one snapshot and never
// writes. It is a POST because it is the first half of an operation, not a resource.
func (s *Server) enforcePreview(w http.ResponseWriter, r *http.Request) {
	out, err := s.enforcement().Preview(r.Context(), principal(r.Context()).OrgID)
	if err != nil {
		s.adminError(w, r, enforceError(err))
		return
	}
	writeJSON(w, http.StatusOK, "application/json", out)
}

func (s *Server) enforceApply(w http.ResponseWriter, r *http.Request) {
	var req api.EnforceApplyRequest
	if err := decodeJSON(r, &req); err != nil {
		s.adminError(w, r, err)
		return
	}
	out, err := s.enforcement().Apply(r.Context(), principal(r.Context()).OrgID, req)
	if err != nil {
		s.adminError(w, r, enforceError(err))
		return
	}
	status := http.StatusOK
	if out.Applied {
		status = http.StatusCreated
		w.Header().Set("Location", "/api/v1/enforce/runs/"+out.RunID)
	}
	writeJSON(w, status, "application/json", out)
}

func (s *Server) enforceRuns(w http.ResponseWriter, r *http.Request) {
	p, err := adminPage(r.URL.Query())
	if err != nil {
		s.adminError(w, r, err)
		return
	}
	out, total, err := s.enforcement().Runs(r.Context(), principal(r.Context()).OrgID, p)
	if err != nil {
		s.adminError(w, r, enforceError(err))
		return
	}
	writeJSON(w, http.StatusOK, "application/json", api.List[api.EnforceRun]{Items: nonNil(out), Total: total})
}

func (s *Server) enforceRun(w http.ResponseWriter, r *http.Request) {
	out, err := s.enforcement().Run(r.Context(), principal(r.Context()).OrgID, r.PathValue("run"))
	if err != nil {
		s.adminError(w, r, enforceError(err))
		return
	}
	writeJSON(w, http.StatusOK, "application/json", out)
}

func (s *Server) enforceUndo(w http.ResponseWriter, r *http.Request) {
	out, err := s.enforcement().Undo(r.Context(), principal(r.Context()).OrgID, r.PathValue("run"))
	if err != nil {
		s.adminError(w, r, enforceError(err))
		return
	}
	writeJSON(w, http.StatusOK, "application/json", out)
}

// enforceError gives the enforcement refusals their statuses and stable codes; other errors
// go through the common table (respond.go).
func enforceError(err error) error {
	var stale *enforcement.StaleError
	var noOwner *enforcement.NoOwnerError
	switch {
	case errors.As(err, &stale):
		return &api.Error{Status: http.StatusConflict, Code: api.CodeStalePlan, Message: err.Error(),
			Details: map[string]string{"previewedFingerprint": stale.Previewed, "currentFingerprint": stale.Current}}
	case errors.As(err, &noOwner):
		return &api.Error{Status: http.StatusConflict, Code: api.CodeNoOwner,
			Message: err.Error() + " (set allowNoOwner: true)", Details: map[string]string{"org": noOwner.Org}}
	case errors.Is(err, enforcement.ErrAlreadyUndone):
		return &api.Error{Status: http.StatusConflict, Code: api.CodeAlreadyUndone, Message: err.Error()}
	case errors.Is(err, enforcement.ErrNoFingerprint):
		return &api.Error{Status: http.StatusBadRequest, Code: api.CodeBadRequest, Message: err.Error()}
	}
	return err
}
