package adminapi

import (
	"net/http"

	"github.com/rolecall/rolecall/internal/api"
	"github.com/rolecall/rolecall/internal/auth"
	"github.com/rolecall/rolecall/internal/server/respond"
)

// Drift report, drift schedule and break-glass exemptions. The service layer (enforcegroups
// for drift and the schedule, service for exemptions) validates, audits and emits events.

// enforceDrift answers the org's drift report. It only reads: an on-demand report emits no
// event (the schedule's reports do).
func (s *API) enforceDrift(w http.ResponseWriter, r *http.Request) {
	out, err := s.enforce.Drift(r.Context(), auth.PrincipalFrom(r.Context()).OrgID)
	s.answer(w, r, http.StatusOK, out, err)
}

func (s *API) getSchedule(w http.ResponseWriter, r *http.Request) {
	out, err := s.enforce.Schedule(r.Context(), orgOf(r))
	s.answer(w, r, http.StatusOK, out, err)
}

func (s *API) setSchedule(w http.ResponseWriter, r *http.Request) {
	var req api.SetDriftScheduleRequest
	if err := respond.DecodeJSON(r, &req); err != nil {
		s.adminError(w, r, err)
		return
	}
	out, err := s.enforce.SetSchedule(r.Context(), orgOf(r), req)
	s.answer(w, r, http.StatusOK, out, err)
}

func (s *API) deleteSchedule(w http.ResponseWriter, r *http.Request) {
	out, err := s.enforce.DeleteSchedule(r.Context(), orgOf(r))
	s.answer(w, r, http.StatusOK, out, err)
}

func (s *API) listExemptions(w http.ResponseWriter, r *http.Request) {
	out, err := s.svc.Exemptions(r.Context(), orgOf(r))
	s.answer(w, r, http.StatusOK, out, err)
}

// exemptUser marks the user exempt (201 when new, 200 when its reason was replaced).
func (s *API) exemptUser(w http.ResponseWriter, r *http.Request) {
	var req api.ExemptUserRequest
	if err := respond.DecodeJSON(r, &req); err != nil {
		s.adminError(w, r, err)
		return
	}
	v, created, err := s.svc.ExemptUser(r.Context(), orgOf(r), r.PathValue("user"), req.Reason)
	if created {
		s.created(w, r, "/api/v1/users/"+v.UserID+"/exemption", v, err)
		return
	}
	s.answer(w, r, http.StatusOK, v, err)
}

func (s *API) unexemptUser(w http.ResponseWriter, r *http.Request) {
	v, err := s.svc.UnexemptUser(r.Context(), orgOf(r), r.PathValue("user"))
	s.answer(w, r, http.StatusOK, v, err)
}
