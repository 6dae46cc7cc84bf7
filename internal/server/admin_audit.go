package server

import (
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/rolecall/rolecall/internal/api"
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

// auditTarget turns a target name into its id when targetType names a kind of object that
// exists under that name; otherwise the target is taken as an id (deleted objects have no
// live name).
func (l adminLookup) auditTarget(targetType, target string) (string, error) {
	var id string
	var err error
	switch targetType {
	case "cloud", "project":
		var r store.Resource
		r, err = l.resource(store.ResourceKind(targetType), target)
		id = r.ID
	case "service_account":
		var sa store.ServiceAccount
		sa, err = l.serviceAccount(target)
		id = sa.ID
	case "user":
		var u store.User
		u, err = l.user(target)
		id = u.ID
	case "group":
		var g store.Group
		g, err = l.group(target)
		id = g.ID
	default:
		return target, nil
	}
	var ae *api.Error
	if errors.As(err, &ae) && ae.Status == http.StatusNotFound {
		return target, nil
	}
	return id, err
}

func (s *Server) listAudit(w http.ResponseWriter, r *http.Request) {
	aq, err := auditQuery(r.URL.Query())
	if err != nil {
		s.adminError(w, r, err)
		return
	}
	s.adminView(w, r, func(l adminLookup) (any, error) {
		if aq.TargetType != "" && aq.TargetID != "" {
			if aq.TargetID, err = l.auditTarget(aq.TargetType, aq.TargetID); err != nil {
				return nil, err
			}
		}
		es, total, err := l.tx.ListAudit(l.ctx, l.orgID, aq)
		if err != nil {
			return nil, err
		}
		out := make([]api.AuditEvent, len(es))
		for i, e := range es {
			out[i] = api.AuditEvent{Seq: e.Seq, Time: e.Time, Actor: e.Actor, Action: e.Action, TargetType: e.TargetType,
				TargetID: e.TargetID, Before: nullable(e.Before), After: nullable(e.After), RequestID: e.RequestID}
		}
		return api.List[api.AuditEvent]{Items: out, Total: total}, nil
	})
}

// nullable drops a JSON null so that "before"/"after" are absent rather than null.
func nullable(m []byte) []byte {
	if string(m) == "null" {
		return nil
	}
	return m
}

func settingsView(st store.OrgSettings) api.OrgSettings {
	v := api.OrgSettings{GroupsOnly: st.GroupsOnly}
	if !st.UpdatedAt.IsZero() {
		t := st.UpdatedAt
		v.UpdatedAt = &t
	}
	return v
}

func (s *Server) getOrgSettings(w http.ResponseWriter, r *http.Request) {
	s.adminView(w, r, func(l adminLookup) (any, error) {
		st, err := l.tx.Settings(l.ctx, l.orgID)
		return settingsView(st), err
	})
}

// updateOrgSettings changes the settings that the request sets. A request that changes
// nothing records nothing.
func (s *Server) updateOrgSettings(w http.ResponseWriter, r *http.Request) {
	var req api.UpdateOrgSettingsRequest
	if err := decodeJSON(r, &req); err != nil {
		s.adminError(w, r, err)
		return
	}
	s.adminUpdate(w, r, func(l adminLookup) (int, any, error) {
		st, err := l.tx.Settings(l.ctx, l.orgID)
		if err != nil {
			return 0, nil, err
		}
		before := settingsView(st)
		if req.GroupsOnly == nil || *req.GroupsOnly == st.GroupsOnly {
			return http.StatusOK, before, nil
		}
		st.OrgID, st.GroupsOnly, st.UpdatedAt = l.orgID, *req.GroupsOnly, store.Now()
		if err := l.tx.PutSettings(l.ctx, st); err != nil {
			return 0, nil, err
		}
		after := settingsView(st)
		return http.StatusOK, after, l.audit("org.settings.update", "organization", l.orgID, before, after)
	})
}
