package server

import (
	"net/http"
	"slices"
	"strings"

	"github.com/rolecall/rolecall/internal/access"
	"github.com/rolecall/rolecall/internal/api"
	"github.com/rolecall/rolecall/internal/store"
)

// Console pages of the SCIM directory: users (search, status filter, paging), a user with
// its groups and its explained effective access, groups, and a group with its members
// (paged) and its grants. They read through the same lookups and the same access package as
// the admin API's users, groups, access and explain endpoints.

// view runs fn in a read transaction of the session's org.
func (c *console) view(r *http.Request, fn func(l adminLookup) error) error {
	return c.s.store.View(r.Context(), func(tx store.Tx) error {
		return fn(adminLookup{ctx: r.Context(), tx: tx, orgID: principal(r.Context()).OrgID})
	})
}

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

// users lists users whose userName or an e-mail address starts with q, by status, paged.
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
	err := c.view(r, func(l adminLookup) error {
		var (
			us    []store.User
			total int
			err   error
		)
		if status == uiStatusRemoved {
			us, total, err = removedUsers(l, q, offset)
		} else {
			us, total, err = l.tx.ListUsers(l.ctx, l.orgID, usersQuery(q, status, offset))
		}
		if err != nil {
			return err
		}
		for _, u := range us {
			d.Users = append(d.Users, userView(u))
		}
		d.Pager = pager(r, offset, len(us), total)
		return nil
	})
	if err != nil {
		c.failErr(w, r, err)
		return
	}
	c.render(w, r, http.StatusOK, "users", uiView{Title: "Users", Nav: "users", Data: d})
}

// usersQuery selects users by userName or e-mail prefix and active flag, sorted by userName.
func usersQuery(q, status string, offset int) store.Query {
	var conds []store.Cond
	if q != "" {
		conds = append(conds, store.Cond{Op: store.CondOr, Args: []store.Cond{
			{Op: store.CondSw, Field: store.FieldUserName, Value: q},
			{Op: store.CondSw, Field: store.FieldEmail, Value: q},
		}})
	}
	switch status {
	case uiStatusActive:
		conds = append(conds, store.Cond{Op: store.CondEq, Field: store.FieldActive, Value: true})
	case uiStatusInactive:
		conds = append(conds, store.Cond{Op: store.CondEq, Field: store.FieldActive, Value: false})
	}
	sq := store.Query{Sort: store.FieldUserName, Page: store.Page{Offset: offset, Limit: uiPageSize}}
	switch len(conds) {
	case 1:
		sq.Filter = &conds[0]
	case 2:
		sq.Filter = &store.Cond{Op: store.CondAnd, Args: conds}
	}
	return sq
}

// removedUsers pages through the users enforce-groups removed. The store has no indexed
// "removed" column to filter on, so this one filter scans the org's users (no documents
// loaded); removed users are the rare case, looked at rarely.
func removedUsers(l adminLookup, q string, offset int) ([]store.User, int, error) {
	var matched []store.User
	lq := strings.ToLower(q)
	err := l.tx.ScanUsers(l.ctx, l.orgID, func(u store.User) error {
		if u.Removed && strings.HasPrefix(strings.ToLower(u.UserName), lq) {
			matched = append(matched, u)
		}
		return nil
	})
	if err != nil {
		return nil, 0, err
	}
	sortUsersByName(matched)
	if offset > len(matched) {
		offset = len(matched)
	}
	page := matched[offset:min(offset+uiPageSize, len(matched))]
	// ScanUsers leaves out e-mails; the list shows them, so read the page's users whole.
	out := make([]store.User, 0, len(page))
	for _, u := range page {
		full, err := l.tx.User(l.ctx, l.orgID, u.ID)
		if err != nil {
			return nil, 0, err
		}
		out = append(out, full)
	}
	return out, len(matched), nil
}

func sortUsersByName(us []store.User) {
	slices.SortFunc(us, func(a, b store.User) int {
		return strings.Compare(strings.ToLower(a.UserName), strings.ToLower(b.UserName))
	})
}

type uiUserData struct {
	User api.User
	// Groups are the active groups the user is in, transitively.
	Groups      []api.GroupRef
	Explanation api.Explanation
}

// user shows one user: its record, its groups and every resource it has access to, each
// with its sources (direct, via which group and nesting path, implicit org owner).
func (c *console) user(w http.ResponseWriter, r *http.Request) {
	var d uiUserData
	err := c.view(r, func(l adminLookup) error {
		u, err := l.user(r.PathValue("user"))
		if err != nil {
			return err
		}
		gs, err := l.tx.GroupsOfMember(l.ctx, l.orgID, u.ID)
		if err != nil {
			return err
		}
		d.User = userView(u)
		d.User.Groups = groupRefs(gs)
		st, err := l.accessState()
		if err != nil {
			return err
		}
		ix := access.NewIndex(st)
		groups, err := ix.UserGroups(u.ID)
		if err != nil {
			return err
		}
		for _, g := range groups {
			d.Groups = append(d.Groups, api.GroupRef{ID: g.ID, DisplayName: g.DisplayName})
		}
		d.Explanation, err = explainUser(ix, u.ID, nil)
		return err
	})
	if err != nil {
		c.failErr(w, r, err)
		return
	}
	c.render(w, r, http.StatusOK, "user", uiView{Title: d.User.UserName, Nav: "users", Data: d})
}

type uiGroupsData struct {
	Q      string
	Groups []api.Group
	Pager  uiPager
}

// groups lists groups whose displayName starts with q, paged.
func (c *console) groups(w http.ResponseWriter, r *http.Request) {
	q := strings.TrimSpace(r.URL.Query().Get("q"))
	offset := uiOffset(r)
	d := uiGroupsData{Q: q}
	err := c.view(r, func(l adminLookup) error {
		gs, total, err := l.tx.ListGroups(l.ctx, l.orgID, prefixQuery(store.FieldDisplayName, q, store.Page{Offset: offset, Limit: uiPageSize}))
		if err != nil {
			return err
		}
		for _, g := range gs {
			n, err := l.memberCount(g.ID)
			if err != nil {
				return err
			}
			d.Groups = append(d.Groups, groupView(g, n))
		}
		d.Pager = pager(r, offset, len(gs), total)
		return nil
	})
	if err != nil {
		c.failErr(w, r, err)
		return
	}
	c.render(w, r, http.StatusOK, "groups", uiView{Title: "Groups", Nav: "groups", Data: d})
}

type uiGroupData struct {
	Group   api.Group
	Members []api.Member
	Pager   uiPager
	Grants  []api.Grant
}

// group shows one group: its record, the groups it is in, its members (paged) and its
// grants.
func (c *console) group(w http.ResponseWriter, r *http.Request) {
	offset := uiOffset(r)
	var d uiGroupData
	err := c.view(r, func(l adminLookup) error {
		g, err := l.group(r.PathValue("group"))
		if err != nil {
			return err
		}
		ms, total, err := l.tx.Members(l.ctx, l.orgID, g.ID, store.Page{Offset: offset, Limit: uiPageSize})
		if err != nil {
			return err
		}
		parents, err := l.tx.GroupsOfMember(l.ctx, l.orgID, g.ID)
		if err != nil {
			return err
		}
		d.Group = groupView(g, total)
		d.Group.MemberOf = groupRefs(parents)
		for _, m := range ms {
			d.Members = append(d.Members, api.Member{Type: string(m.Type), ID: m.ID, Display: m.Display})
		}
		d.Pager = pager(r, offset, len(ms), total)
		d.Grants, err = l.grants(store.BindingFilter{PrincipalType: store.PrincipalGroup, PrincipalID: g.ID})
		return err
	})
	if err != nil {
		c.failErr(w, r, err)
		return
	}
	c.render(w, r, http.StatusOK, "group", uiView{Title: d.Group.DisplayName, Nav: "groups", Data: d})
}
