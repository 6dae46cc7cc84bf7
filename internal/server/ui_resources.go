package server

import (
	"net/http"
	"strings"
	"time"

	"github.com/rolecall/rolecall/internal/api"
	"github.com/rolecall/rolecall/internal/store"
)

// Console pages of the resources and the audit log: clouds and projects with who holds which
// role on them (user grants apart from group and service-account grants), service accounts
// with their grants, and the audit log with its filters.

type uiResourceRow struct {
	ID, Name, Cloud, CloudID string
	Projects, Grants         int
}

type uiResourcesData struct {
	Kind string
	Rows []uiResourceRow
}

// resourceRows lists the clouds or projects of the org with their grant counts.
func resourceRows(l adminLookup, kind store.ResourceKind) ([]uiResourceRow, error) {
	all, err := l.tx.ListResources(l.ctx, l.orgID, "", "")
	if err != nil {
		return nil, err
	}
	grants := map[string]int{}
	err = l.tx.AllBindings(l.ctx, l.orgID, func(b store.Binding) error {
		grants[b.ResourceID]++
		return nil
	})
	if err != nil {
		return nil, err
	}
	byID := map[string]store.Resource{}
	projects := map[string]int{}
	for _, r := range all {
		byID[r.ID] = r
		if r.Kind == store.KindProject {
			projects[r.ParentID]++
		}
	}
	var rows []uiResourceRow
	for _, r := range all {
		if r.Kind != kind {
			continue
		}
		row := uiResourceRow{ID: r.ID, Name: r.Name, Grants: grants[r.ID], Projects: projects[r.ID]}
		if r.ParentID != "" {
			row.CloudID, row.Cloud = r.ParentID, byID[r.ParentID].Name
		}
		rows = append(rows, row)
	}
	return rows, nil
}

func (c *console) clouds(w http.ResponseWriter, r *http.Request) {
	c.resourceList(w, r, store.KindCloud, "Clouds", "clouds")
}

func (c *console) projects(w http.ResponseWriter, r *http.Request) {
	c.resourceList(w, r, store.KindProject, "Projects", "projects")
}

func (c *console) resourceList(w http.ResponseWriter, r *http.Request, kind store.ResourceKind, title, nav string) {
	d := uiResourcesData{Kind: string(kind)}
	err := c.view(r, func(l adminLookup) (err error) {
		d.Rows, err = resourceRows(l, kind)
		return err
	})
	if err != nil {
		c.failErr(w, r, err)
		return
	}
	c.render(w, r, http.StatusOK, "resources", uiView{Title: title, Nav: nav, Data: d})
}

type uiResourceData struct {
	Kind     string
	Resource store.Resource
	CloudID  string
	Cloud    string
	Projects []store.Resource
	// UserGrants are direct grants to users; GroupGrants carry each group's member count.
	UserGrants    []api.Grant
	GroupGrants   []uiGroupGrant
	AccountGrants []api.Grant
	// OrgOwners are the grants of owner on the organization: they act as owner here too.
	OrgOwners []api.Grant
}

type uiGroupGrant struct {
	api.Grant
	Members int
	Active  bool
}

func (c *console) cloud(w http.ResponseWriter, r *http.Request) {
	c.resourceDetail(w, r, store.KindCloud, r.PathValue("cloud"), "clouds")
}

func (c *console) project(w http.ResponseWriter, r *http.Request) {
	c.resourceDetail(w, r, store.KindProject, r.PathValue("project"), "projects")
}

// resourceDetail shows one cloud or project and who holds which role on it.
func (c *console) resourceDetail(w http.ResponseWriter, r *http.Request, kind store.ResourceKind, ref, nav string) {
	d := uiResourceData{Kind: string(kind)}
	err := c.view(r, func(l adminLookup) error {
		res, err := l.resource(kind, ref)
		if err != nil {
			return err
		}
		d.Resource = res
		if kind == store.KindCloud {
			if d.Projects, err = l.tx.ListResources(l.ctx, l.orgID, store.KindProject, res.ID); err != nil {
				return err
			}
		} else if res.ParentID != "" {
			parent, err := l.tx.Resource(l.ctx, l.orgID, res.ParentID)
			if err != nil {
				return err
			}
			d.CloudID, d.Cloud = parent.ID, parent.Name
		}
		grants, err := l.grants(store.BindingFilter{ResourceID: res.ID})
		if err != nil {
			return err
		}
		for _, g := range grants {
			switch g.PrincipalType {
			case api.PrincipalUser:
				d.UserGrants = append(d.UserGrants, g)
			case api.PrincipalGroup:
				gg := uiGroupGrant{Grant: g}
				if grp, err := l.tx.Group(l.ctx, l.orgID, g.PrincipalID); err == nil {
					gg.Active = grp.Active
					if gg.Members, err = l.memberCount(grp.ID); err != nil {
						return err
					}
				}
				d.GroupGrants = append(d.GroupGrants, gg)
			default:
				d.AccountGrants = append(d.AccountGrants, g)
			}
		}
		org, err := l.tx.OrgResource(l.ctx, l.orgID)
		if err != nil {
			return err
		}
		orgGrants, err := l.grants(store.BindingFilter{ResourceID: org.ID})
		for _, g := range orgGrants {
			if g.Role == "owner" {
				d.OrgOwners = append(d.OrgOwners, g)
			}
		}
		return err
	})
	if err != nil {
		c.failErr(w, r, err)
		return
	}
	c.render(w, r, http.StatusOK, "resource", uiView{Title: d.Resource.Name, Nav: nav, Data: d})
}

type uiAccount struct {
	api.ServiceAccount
	Grants []api.Grant
}

// serviceAccounts lists the service accounts with their grants.
func (c *console) serviceAccounts(w http.ResponseWriter, r *http.Request) {
	var d []uiAccount
	err := c.view(r, func(l adminLookup) error {
		sas, err := l.tx.ListServiceAccounts(l.ctx, l.orgID)
		if err != nil {
			return err
		}
		grants, err := l.grants(store.BindingFilter{PrincipalType: store.PrincipalServiceAccount})
		if err != nil {
			return err
		}
		byAccount := map[string][]api.Grant{}
		for _, g := range grants {
			byAccount[g.PrincipalID] = append(byAccount[g.PrincipalID], g)
		}
		for _, sa := range sas {
			d = append(d, uiAccount{ServiceAccount: serviceAccountView(sa), Grants: byAccount[sa.ID]})
		}
		return nil
	})
	if err != nil {
		c.failErr(w, r, err)
		return
	}
	c.render(w, r, http.StatusOK, "service_accounts", uiView{Title: "Service accounts", Nav: "service-accounts", Data: d})
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
	return time.Time{}, adminBadRequest("%s %q: use a date and time such as 2025-01-31T09:00 (UTC)", field, v)
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
			err = adminBadRequest("the end of the time range is before its start")
		}
	}
	if err != nil {
		c.render(w, r, http.StatusBadRequest, "audit", uiView{Title: "Audit log", Nav: "audit", Error: err.(*api.Error).Message, Data: d})
		return
	}
	err = c.view(r, func(l adminLookup) error {
		if aq.TargetType != "" && aq.TargetID != "" {
			if aq.TargetID, err = l.auditTarget(aq.TargetType, aq.TargetID); err != nil {
				return err
			}
		}
		es, total, err := l.tx.ListAudit(l.ctx, l.orgID, aq)
		if err != nil {
			return err
		}
		for i := range es {
			es[i].Before, es[i].After = nullable(es[i].Before), nullable(es[i].After)
		}
		d.Events = es
		d.Pager = pager(r, offset, len(es), total)
		return nil
	})
	if err != nil {
		c.failErr(w, r, err)
		return
	}
	c.render(w, r, http.StatusOK, "audit", uiView{Title: "Audit log", Nav: "audit", Data: d})
}
