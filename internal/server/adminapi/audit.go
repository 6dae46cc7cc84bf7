package adminapi

import (
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/rolecall/rolecall/internal/api"
	"github.com/rolecall/rolecall/internal/server/respond"
	"github.com/rolecall/rolecall/internal/service"
	"github.com/rolecall/rolecall/internal/store"
)

// The audit log (read-only, newest first, paged) and the org settings.

// auditQuery parses the audit list's query: since/until (RFC 3339), actor, action,
// targetType, target, offset, limit, after.
func auditQuery(q url.Values) (store.AuditQuery, error) {
	var aq store.AuditQuery
	for _, p := range []struct {
		name string
		t    *time.Time
	}{{"since", &aq.Since}, {"until", &aq.Until}} {
		if v := q.Get(p.name); v != "" {
			t, err := time.Parse(time.RFC3339Nano, v)
			if err != nil {
				return aq, adminBadRequest("%s %q: use an RFC 3339 time such as 2025-01-31T09:00:00Z", p.name, v)
			}
			*p.t = t.UTC()
		}
	}
	if !aq.Since.IsZero() && !aq.Until.IsZero() && aq.Until.Before(aq.Since) {
		return aq, adminBadRequest("until (%s) is before since (%s)", aq.Until.Format(time.RFC3339), aq.Since.Format(time.RFC3339))
	}
	aq.Actor, aq.Action, aq.TargetType, aq.TargetID = q.Get("actor"), q.Get("action"), q.Get("targetType"), q.Get("target")
	page, err := adminPage(q)
	aq.Page = page
	if err != nil {
		return aq, err
	}
	// after is a cursor for export: the events after that seq, oldest first, so that a
	// reader can page through a log that grows while it reads without gaps or repeats.
	if v := q.Get("after"); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n < 1 {
			return aq, adminBadRequest("after %q: use the seq (a whole number ≥ 1) of the last event you read", v)
		}
		aq.Page.After = n
	}
	return aq, nil
}

func (s *API) listAudit(w http.ResponseWriter, r *http.Request) {
	aq, err := auditQuery(r.URL.Query())
	if err != nil {
		s.adminError(w, r, err)
		return
	}
	es, total, err := s.svc.AuditLog(r.Context(), orgOf(r), aq)
	out := make([]api.AuditEvent, len(es))
	for i, e := range es {
		out[i] = service.AuditEventView(e)
	}
	list(s, w, r, out, total, err)
}

func (s *API) getOrgSettings(w http.ResponseWriter, r *http.Request) {
	v, err := s.svc.Settings(r.Context(), orgOf(r))
	s.answer(w, r, http.StatusOK, v, err)
}

// updateOrgSettings changes the settings that the request sets.
func (s *API) updateOrgSettings(w http.ResponseWriter, r *http.Request) {
	var req api.UpdateOrgSettingsRequest
	if err := respond.DecodeJSON(r, &req); err != nil {
		s.adminError(w, r, err)
		return
	}
	v, err := s.svc.UpdateSettings(r.Context(), orgOf(r), req)
	s.answer(w, r, http.StatusOK, v, err)
}
