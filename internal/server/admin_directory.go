package server

import (
	"cmp"
	"net/http"
	"slices"
	"strings"

	"github.com/rolecall/rolecall/internal/api"
	"github.com/rolecall/rolecall/internal/store"
)

// Read-only views of the SCIM directory: users with the groups they are in, groups with their
// members (paged). Identity providers own this data; the admin API never changes it.

func userView(u store.User) api.User {
	v := api.User{ID: u.ID, UserName: u.UserName, DisplayName: u.DisplayName, ExternalID: u.ExternalID,
		Active: u.Active, Removed: u.Removed, Created: u.Created, LastModified: u.LastModified}
	for _, e := range u.Emails {
		v.Emails = append(v.Emails, api.Email{Value: e.Value, Type: e.Type, Primary: e.Primary})
	}
	return v
}

func groupRefs(gs []store.Group) []api.GroupRef {
	out := make([]api.GroupRef, len(gs))
	for i, g := range gs {
		out[i] = api.GroupRef{ID: g.ID, DisplayName: g.DisplayName}
	}
	slices.SortFunc(out, func(a, b api.GroupRef) int {
		return cmp.Or(cmp.Compare(a.DisplayName, b.DisplayName), cmp.Compare(a.ID, b.ID))
	})
	return out
}

// prefixQuery is a Query for one page of objects whose name field starts with q (any when
// empty), sorted by that name.
func prefixQuery(field store.Field, q string, p store.Page) store.Query {
	sq := store.Query{Sort: field, Page: p}
	if q = strings.TrimSpace(q); q != "" {
		sq.Filter = &store.Cond{Op: store.CondSw, Field: field, Value: q}
	}
	return sq
}

// listUsers lists users by userName, paged; q narrows to userNames starting with it.
func (s *Server) listUsers(w http.ResponseWriter, r *http.Request) {
	page, err := adminPage(r.URL.Query())
	if err != nil {
		s.adminError(w, r, err)
		return
	}
	s.adminView(w, r, func(l adminLookup) (any, error) {
		us, total, err := l.tx.ListUsers(l.ctx, l.orgID, prefixQuery(store.FieldUserName, r.URL.Query().Get("q"), page))
		if err != nil {
			return nil, err
		}
		out := make([]api.User, len(us))
		for i, u := range us {
			out[i] = userView(u)
		}
		return api.List[api.User]{Items: out, Total: total}, nil
	})
}

// getUser answers a user (by id or userName) with the groups it is directly in.
func (s *Server) getUser(w http.ResponseWriter, r *http.Request) {
	s.adminView(w, r, func(l adminLookup) (any, error) {
		u, err := l.user(r.PathValue("user"))
		if err != nil {
			return nil, err
		}
		gs, err := l.tx.GroupsOfMember(l.ctx, l.orgID, u.ID)
		if err != nil {
			return nil, err
		}
		v := userView(u)
		v.Groups = groupRefs(gs)
		return v, nil
	})
}

func groupView(g store.Group, members int) api.Group {
	return api.Group{ID: g.ID, DisplayName: g.DisplayName, ExternalID: g.ExternalID, Active: g.Active,
		Members: members, Created: g.Created, LastModified: g.LastModified}
}

// memberCount counts a group's direct members without loading them.
func (l adminLookup) memberCount(groupID string) (int, error) {
	_, n, err := l.tx.Members(l.ctx, l.orgID, groupID, store.Page{Limit: 0})
	return n, err
}

// listGroups lists groups by displayName, paged; q narrows to names starting with it.
func (s *Server) listGroups(w http.ResponseWriter, r *http.Request) {
	page, err := adminPage(r.URL.Query())
	if err != nil {
		s.adminError(w, r, err)
		return
	}
	s.adminView(w, r, func(l adminLookup) (any, error) {
		gs, total, err := l.tx.ListGroups(l.ctx, l.orgID, prefixQuery(store.FieldDisplayName, r.URL.Query().Get("q"), page))
		if err != nil {
			return nil, err
		}
		out := make([]api.Group, len(gs))
		for i, g := range gs {
			n, err := l.memberCount(g.ID)
			if err != nil {
				return nil, err
			}
			out[i] = groupView(g, n)
		}
		return api.List[api.Group]{Items: out, Total: total}, nil
	})
}

// getGroup answers a group (by id or displayName) with its member count and the groups it
// is directly in.
func (s *Server) getGroup(w http.ResponseWriter, r *http.Request) {
	s.adminView(w, r, func(l adminLookup) (any, error) {
		g, err := l.group(r.PathValue("group"))
		if err != nil {
			return nil, err
		}
		n, err := l.memberCount(g.ID)
		if err != nil {
			return nil, err
		}
		parents, err := l.tx.GroupsOfMember(l.ctx, l.orgID, g.ID)
		if err != nil {
			return nil, err
		}
		v := groupView(g, n)
		v.MemberOf = groupRefs(parents)
		return v, nil
	})
}

// listGroupMembers lists one page of a group's direct members, ordered by member id.
func (s *Server) listGroupMembers(w http.ResponseWriter, r *http.Request) {
	page, err := adminPage(r.URL.Query())
	if err != nil {
		s.adminError(w, r, err)
		return
	}
	s.adminView(w, r, func(l adminLookup) (any, error) {
		g, err := l.group(r.PathValue("group"))
		if err != nil {
			return nil, err
		}
		ms, total, err := l.tx.Members(l.ctx, l.orgID, g.ID, page)
		if err != nil {
			return nil, err
		}
		out := make([]api.Member, len(ms))
		for i, m := range ms {
			out[i] = api.Member{Type: string(m.Type), ID: m.ID, Display: m.Display}
		}
		return api.List[api.Member]{Items: out, Total: total}, nil
	})
}
