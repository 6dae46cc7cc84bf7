package console

import (
	"net/http"
	"strings"

	"github.com/rolecall/rolecall/internal/api"
	"github.com/rolecall/rolecall/internal/service"
	"github.com/rolecall/rolecall/internal/store"
)

// Console pages of the SCIM directory: users (search, status filter, paging), a user with
// its groups and its explained effective access, groups, and a group with its members
// (paged) and its grants. They read through the same service calls as the admin API's
// users, groups, access and explain endpoints.

// User status filters of the users page.
const (
	uiStatusAll      = "all"
	uiStatusActive   = "active"
	uiStatusInactive = "inactive"
	uiStatusRemoved  = "removed"
)

type uiUsersData struct {
	Q, Status string
	Statuses  []string
	Users     []api.User
	Pager     uiPager
}

// users lists users whose userName or an e-mail address contains q, by status, paged.
func (c *console) users(w http.ResponseWriter, r *http.Request) {
	q := strings.TrimSpace(r.URL.Query().Get("q"))
	status := r.URL.Query().Get("status")
	switch status {
	case uiStatusActive, uiStatusInactive, uiStatusRemoved:
	default:
		status = uiStatusAll
	}
	offset := uiOffset(r)
	d := uiUsersData{Q: q, Status: status, Statuses: []string{uiStatusAll, uiStatusActive, uiStatusInactive, uiStatusRemoved}}
	st := service.UsersAll
	if status != uiStatusAll {
		st = service.UserStatus(status)
	}
	us, total, err := c.cfg.Service.Users(r.Context(), orgOf(r), service.UserQuery{Prefix: q, Contains: true, Emails: true, Status: st,
		Page: store.Page{Offset: offset, Limit: uiPageSize}})
	if err != nil {
		c.failErr(w, r, err)
		return
	}
	d.Users = us
	d.Pager = pager(r, offset, len(us), total)
	c.render(w, r, http.StatusOK, "users", uiView{Title: "Users", Nav: "users", Data: d})
}

// user shows one user: its record, its groups and every resource it has access to, each
// with its sources (direct, via which group and nesting path, implicit org owner).
func (c *console) user(w http.ResponseWriter, r *http.Request) {
	ud, err := c.cfg.Service.UserDetail(r.Context(), orgOf(r), r.PathValue("user"))
	if err != nil {
		c.failErr(w, r, err)
		return
	}
	d := uiUserData{UserDetail: ud}
	if d.Direct, err = c.cfg.Service.Grants(r.Context(), orgOf(r), service.GrantFilter{PrincipalType: api.PrincipalUser, Principal: ud.User.ID}); err == nil {
		var st api.OrgSettings
		if st, err = c.cfg.Service.Settings(r.Context(), orgOf(r)); err == nil {
			d.GroupsOnly = st.GroupsOnly
			d.Where, err = c.grantTargets(r)
		}
	}
	if err == nil {
		var ex api.Exemptions
		if ex, err = c.cfg.Service.Exemptions(r.Context(), orgOf(r)); err == nil {
			d.ExemptCount, d.MaxExemptions = len(ex.Exemptions), ex.Max
			for i := range ex.Exemptions {
				if ex.Exemptions[i].UserID == ud.User.ID {
					d.Exemption = &ex.Exemptions[i]
				}
			}
		}
	}
	if err != nil {
		c.failErr(w, r, err)
		return
	}
	c.render(w, r, http.StatusOK, "user", uiView{Title: d.User.UserName, Nav: "users", Data: d})
}

type uiUserData struct {
	service.UserDetail
	// Direct are the user's direct grants, which the page can change and revoke.
	Direct []api.Grant
	// GroupsOnly: the org refuses new direct user grants, so the page offers no grant form.
	GroupsOnly bool
	Where      []uiWhere
	// Exemption is the user's exemption from enforce-groups (nil when none); ExemptCount and
	// MaxExemptions are the org's, for the form.
	Exemption                  *api.Exemption
	ExemptCount, MaxExemptions int
}

type uiGroupsData struct {
	Q      string
	Groups []api.Group
	Pager  uiPager
}

// groups lists groups whose displayName contains q, paged.
func (c *console) groups(w http.ResponseWriter, r *http.Request) {
	q := strings.TrimSpace(r.URL.Query().Get("q"))
	offset := uiOffset(r)
	d := uiGroupsData{Q: q}
	gs, total, err := c.cfg.Service.SearchGroups(r.Context(), orgOf(r), q, true, store.Page{Offset: offset, Limit: uiPageSize})
	if err != nil {
		c.failErr(w, r, err)
		return
	}
	d.Groups = gs
	d.Pager = pager(r, offset, len(gs), total)
	c.render(w, r, http.StatusOK, "groups", uiView{Title: "Groups", Nav: "groups", Data: d})
}

type uiGroupData struct {
	service.GroupDetail
	Pager uiPager
	// Where are the resources the grant form offers.
	Where []uiWhere
}

// group shows one group: its record, the groups it is in, its members (paged) and its
// grants.
func (c *console) group(w http.ResponseWriter, r *http.Request) {
	offset := uiOffset(r)
	gd, err := c.cfg.Service.GroupDetail(r.Context(), orgOf(r), r.PathValue("group"), store.Page{Offset: offset, Limit: uiPageSize})
	if err != nil {
		c.failErr(w, r, err)
		return
	}
	d := uiGroupData{GroupDetail: gd, Pager: pager(r, offset, len(gd.Members), gd.Group.Members)}
	if d.Where, err = c.grantTargets(r); err != nil {
		c.failErr(w, r, err)
		return
	}
	c.render(w, r, http.StatusOK, "group", uiView{Title: d.Group.DisplayName, Nav: "groups", Data: d})
}

// userExempt marks the user exempt from enforce-groups with the posted reason (one audited
// change, as the admin API's); a refusal (no reason, the org's limit) comes back as the
// banner.
func (c *console) userExempt(w http.ResponseWriter, r *http.Request) {
	page := uiPrefix + "/users/" + r.PathValue("user")
	v, _, err := c.cfg.Service.ExemptUser(r.Context(), orgOf(r), r.PathValue("user"), r.PostFormValue("reason"))
	if err != nil {
		c.refusedTo(w, r, page, err)
		return
	}
	c.doneTo(w, r, page, uiFlash{Notice: v.UserName + " is exempt from enforce-groups: its direct grants are kept and it is never removed."})
}

// userUnexempt lifts the user's exemption.
func (c *console) userUnexempt(w http.ResponseWriter, r *http.Request) {
	page := uiPrefix + "/users/" + r.PathValue("user")
	v, err := c.cfg.Service.UnexemptUser(r.Context(), orgOf(r), r.PathValue("user"))
	if err != nil {
		c.refusedTo(w, r, page, err)
		return
	}
	c.doneTo(w, r, page, uiFlash{Notice: v.UserName + " is no longer exempt: the next enforce-groups run treats it like every other user."})
}
