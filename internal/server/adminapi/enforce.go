package adminapi

import (
	"errors"
	"net/http"

	"github.com/rolecall/rolecall/internal/api"
	"github.com/rolecall/rolecall/internal/auth"
	"github.com/rolecall/rolecall/internal/server/respond"
	"github.com/rolecall/rolecall/internal/service/enforcegroups"
)

// enforceRoutes registers the enforce-groups admin API.
func (s *API) enforceRoutes(mux *http.ServeMux) {
	mux.HandleFunc("POST /api/v1/enforce/preview", s.cfg.Authenticate(s.enforcePreview))
	mux.HandleFunc("POST /api/v1/enforce/apply", s.cfg.Authenticate(s.enforceApply))
	mux.HandleFunc("GET /api/v1/enforce/runs", s.cfg.Authenticate(s.enforceRuns))
	mux.HandleFunc("GET /api/v1/enforce/runs/{run}", s.cfg.Authenticate(s.enforceRun))
	mux.HandleFunc("POST /api/v1/enforce/runs/{run}/undo", s.cfg.Authenticate(s.enforceUndo))
	mux.HandleFunc("GET /api/v1/enforce/drift", s.cfg.Authenticate(s.enforceDrift))
	mux.HandleFunc("GET /api/v1/enforce/schedule", s.cfg.Authenticate(s.getSchedule))
	mux.HandleFunc("PUT /api/v1/enforce/schedule", s.cfg.Authenticate(s.setSchedule))
	mux.HandleFunc("DELETE /api/v1/enforce/schedule", s.cfg.Authenticate(s.deleteSchedule))
}

// enforcePreview answers the plan and its fingerprint. It reads one snapshot and never
// writes. It is a POST because it is the first half of an operation, not a resource.
func (s *API) enforcePreview(w http.ResponseWriter, r *http.Request) {
	out, err := s.enforce.Preview(r.Context(), auth.PrincipalFrom(r.Context()).OrgID)
	if err != nil {
		s.adminError(w, r, enforceError(err))
		return
	}
	respond.JSON(w, http.StatusOK, "application/json", out)
}

func (s *API) enforceApply(w http.ResponseWriter, r *http.Request) {
	var req api.EnforceApplyRequest
	if err := respond.DecodeJSON(r, &req); err != nil {
		s.adminError(w, r, err)
		return
	}
	out, err := s.enforce.Apply(r.Context(), auth.PrincipalFrom(r.Context()).OrgID, req)
	if err != nil {
		s.adminError(w, r, enforceError(err))
		return
	}
	status := http.StatusOK
	if out.Applied {
		status = http.StatusCreated
		w.Header().Set("Location", "/api/v1/enforce/runs/"+out.RunID)
	}
	respond.JSON(w, status, "application/json", out)
}

func (s *API) enforceRuns(w http.ResponseWriter, r *http.Request) {
	p, err := adminPage(r.URL.Query())
	if err != nil {
		s.adminError(w, r, err)
		return
	}
	out, total, err := s.enforce.Runs(r.Context(), auth.PrincipalFrom(r.Context()).OrgID, p)
	if err != nil {
		s.adminError(w, r, enforceError(err))
		return
	}
	respond.JSON(w, http.StatusOK, "application/json", api.List[api.EnforceRun]{Items: nonNil(out), Total: total})
}

func (s *API) enforceRun(w http.ResponseWriter, r *http.Request) {
	out, err := s.enforce.Run(r.Context(), auth.PrincipalFrom(r.Context()).OrgID, r.PathValue("run"))
	if err != nil {
		s.adminError(w, r, enforceError(err))
		return
	}
	respond.JSON(w, http.StatusOK, "application/json", out)
}

func (s *API) enforceUndo(w http.ResponseWriter, r *http.Request) {
	out, err := s.enforce.Undo(r.Context(), auth.PrincipalFrom(r.Context()).OrgID, r.PathValue("run"))
	if err != nil {
		s.adminError(w, r, enforceError(err))
		return
	}
	respond.JSON(w, http.StatusOK, "application/json", out)
}

// enforceError gives the enforcement refusals their statuses and stable codes; other errors
// go through the common table (respond.go).
func enforceError(err error) error {
	var stale *enforcegroups.StaleError
	var noOwner *enforcegroups.NoOwnerError
	switch {
	case errors.As(err, &stale):
		return &api.Error{Status: http.StatusConflict, Code: api.CodeStalePlan, Message: err.Error(),
			Details: map[string]string{"previewedFingerprint": stale.Previewed, "currentFingerprint": stale.Current}}
	case errors.As(err, &noOwner):
		return &api.Error{Status: http.StatusConflict, Code: api.CodeNoOwner,
			Message: err.Error() + " (set allowNoOwner: true)", Details: map[string]string{"org": noOwner.Org}}
	case errors.Is(err, enforcegroups.ErrAlreadyUndone):
		return &api.Error{Status: http.StatusConflict, Code: api.CodeAlreadyUndone, Message: err.Error()}
	case errors.Is(err, enforcegroups.ErrNoFingerprint):
		return &api.Error{Status: http.StatusBadRequest, Code: api.CodeBadRequest, Message: err.Error()}
	}
	return err
}
