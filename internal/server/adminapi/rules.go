package adminapi

import (
	"errors"
	"net/http"

	"github.com/rolecall/rolecall/internal/api"
	"github.com/rolecall/rolecall/internal/server/respond"
	"github.com/rolecall/rolecall/internal/service"
)

// ruleRoutes registers the group → role rules admin API. Every change has a preview and is
// applied with the preview's fingerprint, as enforce-groups is: POST /rules/preview (a whole
// set or one rule to add) then POST /rules; PATCH and DELETE /rules/{rule} answer their
// preview with ?dryRun=true and apply with the fingerprint (body or ?fingerprint=).
func (s *API) ruleRoutes(mux *http.ServeMux) {
	mux.HandleFunc("GET /api/v1/rules", s.cfg.Authenticate(s.listRules))
	mux.HandleFunc("POST /api/v1/rules/preview", s.cfg.Authenticate(s.previewRules))
	mux.HandleFunc("POST /api/v1/rules", s.cfg.Authenticate(s.applyRules))
	mux.HandleFunc("PATCH /api/v1/rules/{rule}", s.cfg.Authenticate(s.patchRule))
	mux.HandleFunc("DELETE /api/v1/rules/{rule}", s.cfg.Authenticate(s.deleteRule))
	mux.HandleFunc("GET /api/v1/rules/changes", s.cfg.Authenticate(s.listRuleChanges))
	mux.HandleFunc("POST /api/v1/rules/changes/{change}/undo", s.cfg.Authenticate(s.undoRuleChange))
}

func (s *API) listRules(w http.ResponseWriter, r *http.Request) {
	out, err := s.svc.Rules(r.Context(), orgOf(r))
	list(s, w, r, out, len(out), err)
}

func (s *API) previewRules(w http.ResponseWriter, r *http.Request) {
	var req api.RuleChangeRequest
	if err := respond.DecodeJSON(r, &req); err != nil {
		s.adminError(w, r, err)
		return
	}
	out, err := s.svc.PreviewRuleChange(r.Context(), orgOf(r), req)
	s.answer(w, r, http.StatusOK, out, ruleError(err))
}

// ruleChange previews req (dryRun) or applies it: 201 when a change was recorded, 200 when
// there was nothing to change.
func (s *API) ruleChange(w http.ResponseWriter, r *http.Request, req api.RuleChangeRequest) {
	if dry := r.URL.Query().Get("dryRun"); dry == "true" || dry == "1" {
		out, err := s.svc.PreviewRuleChange(r.Context(), orgOf(r), req)
		s.answer(w, r, http.StatusOK, out, ruleError(err))
		return
	}
	out, err := s.svc.ApplyRuleChange(r.Context(), orgOf(r), req)
	status := http.StatusOK
	if err == nil && out.Applied {
		status = http.StatusCreated
	}
	s.answer(w, r, status, out, ruleError(err))
}

func (s *API) applyRules(w http.ResponseWriter, r *http.Request) {
	var req api.RuleChangeRequest
	if err := respond.DecodeJSON(r, &req); err != nil {
		s.adminError(w, r, err)
		return
	}
	if req.Rules == nil && req.Add == nil {
		s.adminError(w, r, adminBadRequest("POST /api/v1/rules takes rules (the whole new set) or add (one rule), with the preview's fingerprint; change or delete a rule with PATCH or DELETE /api/v1/rules/{rule}"))
		return
	}
	s.ruleChange(w, r, req)
}

func (s *API) patchRule(w http.ResponseWriter, r *http.Request) {
	var body api.RulePatchRequest
	if err := respond.DecodeJSON(r, &body); err != nil {
		s.adminError(w, r, err)
		return
	}
	fp := body.Fingerprint
	if fp == "" {
		fp = r.URL.Query().Get("fingerprint")
	}
	patch := body.RulePatch
	s.ruleChange(w, r, api.RuleChangeRequest{Change: r.PathValue("rule"), Patch: &patch, Fingerprint: fp})
}

func (s *API) deleteRule(w http.ResponseWriter, r *http.Request) {
	s.ruleChange(w, r, api.RuleChangeRequest{Delete: r.PathValue("rule"), Fingerprint: r.URL.Query().Get("fingerprint")})
}

func (s *API) listRuleChanges(w http.ResponseWriter, r *http.Request) {
	p, err := adminPage(r.URL.Query())
	if err != nil {
		s.adminError(w, r, err)
		return
	}
	out, total, err := s.svc.RuleChanges(r.Context(), orgOf(r), p)
	list(s, w, r, out, total, err)
}

func (s *API) undoRuleChange(w http.ResponseWriter, r *http.Request) {
	out, err := s.svc.UndoRuleChange(r.Context(), orgOf(r), r.PathValue("change"))
	s.answer(w, r, http.StatusOK, out, ruleError(err))
}

// ruleError gives a moved preview the stable code enforce-groups uses (409 stale_plan);
// other errors go through the common table.
func ruleError(err error) error {
	var stale *service.RuleStaleError
	if errors.As(err, &stale) {
		return &api.Error{Status: http.StatusConflict, Code: api.CodeStalePlan, Message: err.Error(),
			Details: map[string]string{"previewedFingerprint": stale.Previewed, "currentFingerprint": stale.Current}}
	}
	return err
}
