package console

import (
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/rolecall/rolecall/internal/api"
	"github.com/rolecall/rolecall/internal/service"
	"github.com/rolecall/rolecall/internal/store"
)

// Console pages of the resources and the audit log: clouds and projects with who holds which
// role on them (user grants apart from group and service-account grants), service accounts
// with their grants, and the audit log with its filters.

type uiResourcesData struct {
	Kind  string
	Q     string
	Rows  []service.ResourceSummary
	Pager uiPager
	// Clouds are what the new-project form offers (projects page only).
	Clouds []service.ResourceSummary
}

func (c *console) clouds(w http.ResponseWriter, r *http.Request) {
	c.resourceList(w, r, store.KindCloud, "Clouds", "clouds")
}

func (c *console) projects(w http.ResponseWriter, r *http.Request) {
	c.resourceList(w, r, store.KindProject, "Projects", "projects")
}

func (c *console) resourceList(w http.ResponseWriter, r *http.Request, kind store.ResourceKind, title, nav string) {
	d := uiResourcesData{Kind: string(kind), Q: strings.TrimSpace(r.URL.Query().Get("q"))}
	var err error
	d.Rows, err = c.cfg.Service.ResourceSummaries(r.Context(), orgOf(r), kind)
	// Clouds and projects are read whole for their counts, so the search (substring of the
	// name, or for projects of their cloud's name) and the paging are done here.
	d.Rows = slices.DeleteFunc(d.Rows, func(row service.ResourceSummary) bool {
		return !containsFold(row.Name, d.Q) && !(kind == store.KindProject && containsFold(row.Cloud, d.Q))
	})
	d.Rows, d.Pager = pageOf(r, d.Rows)
	if err == nil && kind == store.KindProject {
		d.Clouds, err = c.cfg.Service.ResourceSummaries(r.Context(), orgOf(r), store.KindCloud)
	}
	if err != nil {
		c.failErr(w, r, err)
		return
	}
	c.render(w, r, http.StatusOK, "resources", uiView{Title: title, Nav: nav, Data: d})
}

func (c *console) cloud(w http.ResponseWriter, r *http.Request) {
	c.resourceDetail(w, r, store.KindCloud, r.PathValue("cloud"), "clouds")
}

func (c *console) project(w http.ResponseWriter, r *http.Request) {
	c.resourceDetail(w, r, store.KindProject, r.PathValue("project"), "projects")
}

// resourceDetail shows one cloud or project and who holds which role on it.
func (c *console) resourceDetail(w http.ResponseWriter, r *http.Request, kind store.ResourceKind, ref, nav string) {
	d, err := c.cfg.Service.ResourceDetail(r.Context(), orgOf(r), kind, ref)
	if err != nil {
		c.failErr(w, r, err)
		return
	}
	c.render(w, r, http.StatusOK, "resource", uiView{Title: d.Resource.Name, Nav: nav, Data: d})
}

type uiAccountsData struct {
	Q     string
	Rows  []service.AccountGrants
	Pager uiPager
}

// containsFold reports whether s contains q, ignoring case; an empty q matches all.
func containsFold(s, q string) bool {
	return strings.Contains(strings.ToLower(s), strings.ToLower(q))
}

// pageOf cuts the page the request's offset asks for out of rows read whole.
func pageOf[T any](r *http.Request, rows []T) ([]T, uiPager) {
	offset := min(uiOffset(r), len(rows))
	page := rows[offset:min(offset+uiPageSize, len(rows))]
	return page, pager(r, offset, len(page), len(rows))
}

// serviceAccounts lists the service accounts with their grants.
func (c *console) serviceAccounts(w http.ResponseWriter, r *http.Request) {
	all, err := c.cfg.Service.ServiceAccountGrants(r.Context(), orgOf(r))
	if err != nil {
		c.failErr(w, r, err)
		return
	}
	d := uiAccountsData{Q: strings.TrimSpace(r.URL.Query().Get("q"))}
	d.Rows, d.Pager = pageOf(r, slices.DeleteFunc(all, func(a service.AccountGrants) bool { return !containsFold(a.Name, d.Q) }))
	c.render(w, r, http.StatusOK, "service_accounts", uiView{Title: "Service accounts", Nav: "service-accounts", Data: d})
}

type uiAccountData struct {
	Account api.ServiceAccount
	Grants  []api.Grant
	Where   []uiWhere
}

// serviceAccount shows one service account with its grants and the form to grant it more.
func (c *console) serviceAccount(w http.ResponseWriter, r *http.Request) {
	var d uiAccountData
	var err error
	if d.Account, err = c.cfg.Service.ServiceAccount(r.Context(), orgOf(r), r.PathValue("account")); err == nil {
		if d.Grants, err = c.cfg.Service.Grants(r.Context(), orgOf(r), service.GrantFilter{PrincipalType: api.PrincipalServiceAccount, Principal: d.Account.ID}); err == nil {
			d.Where, err = c.grantTargets(r)
		}
	}
	if err != nil {
		c.failErr(w, r, err)
		return
	}
	c.render(w, r, http.StatusOK, "service_account", uiView{Title: d.Account.Name, Nav: "service-accounts", Data: d})
}

// uiAuditTargetTypes are the target types the audit filter offers.
var uiAuditTargetTypes = []string{"user", "group", "cloud", "project", "service_account", "grant", "token", "organization", "enforce_run"}

type uiAuditData struct {
	Since, Until, Actor, Action, TargetType, Target string
	TargetTypes                                     []string
	Events                                          []store.AuditEvent
	Pager                                           uiPager
}

// uiAuditTime accepts what a datetime-local input sends (taken as UTC), a date, or RFC 3339.
func uiAuditTime(field, v string) (time.Time, error) {
	v = strings.TrimSpace(v)
	if v == "" {
		return time.Time{}, nil
	}
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05", "2006-01-02T15:04", "2006-01-02 15:04", "2006-01-02"} {
		if t, err := time.Parse(layout, v); err == nil {
			return t.UTC(), nil
		}
	}
	return time.Time{}, badRequest("%s %q: use a date and time such as 2025-01-31T09:00 (UTC)", field, v)
}

// auditLog shows the audit log, newest first, filtered by time range, actor, action and
// target, paged.
func (c *console) auditLog(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	d := uiAuditData{Since: q.Get("since"), Until: q.Get("until"), Actor: strings.TrimSpace(q.Get("actor")),
		Action: strings.TrimSpace(q.Get("action")), TargetType: q.Get("targetType"), Target: strings.TrimSpace(q.Get("target")),
		TargetTypes: uiAuditTargetTypes}
	offset := uiOffset(r)
	aq := store.AuditQuery{Actor: d.Actor, Action: d.Action, TargetType: d.TargetType, TargetID: d.Target,
		Page: store.Page{Offset: offset, Limit: uiPageSize}}
	var err error
	if aq.Since, err = uiAuditTime("From", d.Since); err == nil {
		if aq.Until, err = uiAuditTime("To", d.Until); err == nil && !aq.Since.IsZero() && !aq.Until.IsZero() && aq.Until.Before(aq.Since) {
			err = badRequest("the end of the time range is before its start")
		}
	}
	if err != nil {
		c.render(w, r, http.StatusBadRequest, "audit", uiView{Title: "Audit log", Nav: "audit", Error: err.(*api.Error).Message, Data: d})
		return
	}
	es, total, err := c.cfg.Service.AuditLog(r.Context(), orgOf(r), aq)
	if err != nil {
		c.failErr(w, r, err)
		return
	}
	d.Events = es
	d.Pager = pager(r, offset, len(es), total)
	c.render(w, r, http.StatusOK, "audit", uiView{Title: "Audit log", Nav: "audit", Data: d})
}
