package service

import (
	"cmp"
	"context"
	"slices"
	"strings"

	"github.com/rolecall/rolecall/internal/access"
	"github.com/rolecall/rolecall/internal/api"
	"github.com/rolecall/rolecall/internal/store"
)

// Read-only views of the SCIM directory for the admin API and the console: users with the
// groups they are in, groups with their members (paged). Identity providers own this data;
// neither the admin API nor the console changes it.

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

func groupView(g store.Group, members int) api.Group {
	return api.Group{ID: g.ID, DisplayName: g.DisplayName, ExternalID: g.ExternalID, Active: g.Active,
		Members: members, Created: g.Created, LastModified: g.LastModified}
}

func memberViews(ms []store.Member) []api.Member {
	out := make([]api.Member, len(ms))
	for i, m := range ms {
		out[i] = api.Member{Type: string(m.Type), ID: m.ID, Display: m.Display}
	}
	return out
}

// prefixQuery is a Query for one page of objects whose name field starts with q (any when
// empty), sorted by that name.
func prefixQuery(field store.Field, q string, p store.Page) store.Query {
	return nameQuery(field, store.CondSw, q, p)
}

// nameQuery is a Query for one page of objects whose name field matches q with op (sw or
// co; any when q is empty), sorted by that name.
func nameQuery(field store.Field, op store.CondOp, q string, p store.Page) store.Query {
	sq := store.Query{Sort: field, Page: p}
	if q = strings.TrimSpace(q); q != "" {
		sq.Filter = &store.Cond{Op: op, Field: field, Value: q}
	}
	return sq
}

// matchOp is the store operator of a search: sw uses the name index; co (substring) cannot,
// so the database compares the org's name column row by row, without decoding a document.
// That is one pass over the org's rows per page asked for: bounded by the org's size and
// cheap next to loading anything, which is why the console offers it.
func matchOp(contains bool) store.CondOp {
	if contains {
		return store.CondCo
	}
	return store.CondSw
}

// memberCount counts a group's direct members without loading them.
func (l lookup) memberCount(groupID string) (int, error) {
	_, n, err := l.tx.Members(l.ctx, l.orgID, groupID, store.Page{Limit: 0})
	return n, err
}

// UserStatus selects users by state in Users.
type UserStatus string

// User states Users selects by.
const (
	UsersAll      UserStatus = ""
	UsersActive   UserStatus = "active"
	UsersInactive UserStatus = "inactive"
	// UsersRemoved are the users enforce-groups removed.
	UsersRemoved UserStatus = "removed"
)

// UserQuery selects a page of users: those whose userName (and, with Emails, an e-mail
// address) starts with Prefix (with Contains: contains it), in a state, sorted by userName.
type UserQuery struct {
	Prefix   string
	Contains bool
	Emails   bool
	Status   UserStatus
	Page     store.Page
}

// Users lists one page of users and how many match.
func (s *Service) Users(ctx context.Context, org string, q UserQuery) (out []api.User, total int, err error) {
	err = s.view(ctx, org, func(l lookup) error {
		var us []store.User
		var err error
		if q.Status == UsersRemoved {
			us, total, err = l.removedUsers(q.Prefix, q.Contains, q.Page)
		} else {
			us, total, err = l.tx.ListUsers(l.ctx, l.orgID, usersQuery(q))
		}
		if err != nil {
			return err
		}
		exempt, err := l.exemptIDs()
		out = make([]api.User, len(us))
		for i, u := range us {
			out[i] = userView(u)
			out[i].Exempt = exempt[u.ID]
		}
		return err
	})
	return out, total, err
}

// usersQuery is the store query of q (but for UsersRemoved, which no column indexes).
func usersQuery(q UserQuery) store.Query {
	prefix := strings.TrimSpace(q.Prefix)
	op := matchOp(q.Contains)
	if !q.Emails && q.Status == UsersAll {
		return nameQuery(store.FieldUserName, op, prefix, q.Page)
	}
	var conds []store.Cond
	if prefix != "" {
		c := store.Cond{Op: op, Field: store.FieldUserName, Value: prefix}
		if q.Emails {
			c = store.Cond{Op: store.CondOr, Args: []store.Cond{c, {Op: op, Field: store.FieldEmail, Value: prefix}}}
		}
		conds = append(conds, c)
	}
	switch q.Status {
	case UsersActive:
		conds = append(conds, store.Cond{Op: store.CondEq, Field: store.FieldActive, Value: true})
	case UsersInactive:
		conds = append(conds, store.Cond{Op: store.CondEq, Field: store.FieldActive, Value: false})
	}
	sq := store.Query{Sort: store.FieldUserName, Page: q.Page}
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
func (l lookup) removedUsers(prefix string, contains bool, p store.Page) ([]store.User, int, error) {
	var matched []store.User
	lq := strings.ToLower(prefix)
	match := strings.HasPrefix
	if contains {
		match = strings.Contains
	}
	err := l.tx.ScanUsers(l.ctx, l.orgID, func(u store.User) error {
		if u.Removed && match(strings.ToLower(u.UserName), lq) {
			matched = append(matched, u)
		}
		return nil
	})
	if err != nil {
		return nil, 0, err
	}
	slices.SortFunc(matched, func(a, b store.User) int {
		return strings.Compare(strings.ToLower(a.UserName), strings.ToLower(b.UserName))
	})
	offset := min(p.Offset, len(matched))
	page := matched[offset:min(offset+p.Limit, len(matched))]
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

// userWithGroups is u's view with the groups it is directly in.
func (l lookup) userWithGroups(u store.User) (api.User, error) {
	gs, err := l.tx.GroupsOfMember(l.ctx, l.orgID, u.ID)
	v := userView(u)
	v.Groups = groupRefs(gs)
	if err != nil {
		return v, err
	}
	v.Exempt, err = l.isExempt(u.ID)
	return v, err
}

// User reads a user (by id or userName) with the groups it is directly in.
func (s *Service) User(ctx context.Context, org, ref string) (v api.User, err error) {
	err = s.view(ctx, org, func(l lookup) error {
		u, err := l.user(ref)
		if err != nil {
			return err
		}
		v, err = l.userWithGroups(u)
		return err
	})
	return v, err
}

// UserDetail is what the console shows of one user.
type UserDetail struct {
	// User is the user with the groups it is directly in.
	User api.User
	// Groups are the active groups the user is in, transitively.
	Groups []api.GroupRef
	// Explanation lists every resource it has access to, each with its sources.
	Explanation api.Explanation
}

// UserDetail reads a user (by id or userName), its groups and its explained access from one
// snapshot.
func (s *Service) UserDetail(ctx context.Context, org, ref string) (d UserDetail, err error) {
	err = s.view(ctx, org, func(l lookup) error {
		u, err := l.user(ref)
		if err != nil {
			return err
		}
		if d.User, err = l.userWithGroups(u); err != nil {
			return err
		}
		st, err := LoadState(l.ctx, l.tx, l.orgID)
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
		made, err := madeBy(l.ctx, l.tx, l.orgID)
		if err != nil {
			return err
		}
		d.Explanation, err = explainUser(ix, u.ID, nil, made)
		return err
	})
	return d, err
}

// Groups lists one page of groups whose displayName starts with prefix (any when empty),
// with their member counts, and how many match.
func (s *Service) Groups(ctx context.Context, org, prefix string, p store.Page) (out []api.Group, total int, err error) {
	return s.SearchGroups(ctx, org, prefix, false, p)
}

// SearchGroups is Groups with a choice: displayName starts with q, or (contains) holds q
// anywhere.
func (s *Service) SearchGroups(ctx context.Context, org, q string, contains bool, p store.Page) (out []api.Group, total int, err error) {
	err = s.view(ctx, org, func(l lookup) error {
		gs, n, err := l.tx.ListGroups(l.ctx, l.orgID, nameQuery(store.FieldDisplayName, matchOp(contains), q, p))
		if err != nil {
			return err
		}
		total = n
		out = make([]api.Group, len(gs))
		for i, g := range gs {
			n, err := l.memberCount(g.ID)
			if err != nil {
				return err
			}
			out[i] = groupView(g, n)
		}
		return nil
	})
	return out, total, err
}

// Group reads a group (by id or displayName) with its member count and the groups it is
// directly in.
func (s *Service) Group(ctx context.Context, org, ref string) (v api.Group, err error) {
	err = s.view(ctx, org, func(l lookup) error {
		g, err := l.group(ref)
		if err != nil {
			return err
		}
		n, err := l.memberCount(g.ID)
		if err != nil {
			return err
		}
		parents, err := l.tx.GroupsOfMember(l.ctx, l.orgID, g.ID)
		v = groupView(g, n)
		v.MemberOf = groupRefs(parents)
		return err
	})
	return v, err
}

// GroupMembers lists one page of a group's direct members, ordered by member id, and their
// number.
func (s *Service) GroupMembers(ctx context.Context, org, ref string, p store.Page) (out []api.Member, total int, err error) {
	err = s.view(ctx, org, func(l lookup) error {
		g, err := l.group(ref)
		if err != nil {
			return err
		}
		ms, n, err := l.tx.Members(l.ctx, l.orgID, g.ID, p)
		out, total = memberViews(ms), n
		return err
	})
	return out, total, err
}

// GroupDetail is what the console shows of one group.
type GroupDetail struct {
	// Group is the group with its member count and the groups it is directly in.
	Group api.Group
	// Members is the page of direct members asked for.
	Members []api.Member
	// Grants are the grants to the group.
	Grants []api.Grant
}

// GroupDetail reads a group (by id or displayName), one page of its members and its grants
// from one snapshot.
func (s *Service) GroupDetail(ctx context.Context, org, ref string, p store.Page) (d GroupDetail, err error) {
	err = s.view(ctx, org, func(l lookup) error {
		g, err := l.group(ref)
		if err != nil {
			return err
		}
		ms, total, err := l.tx.Members(l.ctx, l.orgID, g.ID, p)
		if err != nil {
			return err
		}
		parents, err := l.tx.GroupsOfMember(l.ctx, l.orgID, g.ID)
		if err != nil {
			return err
		}
		d.Group = groupView(g, total)
		d.Group.MemberOf = groupRefs(parents)
		d.Members = memberViews(ms)
		d.Grants, err = l.grants(store.BindingFilter{PrincipalType: store.PrincipalGroup, PrincipalID: g.ID})
		return err
	})
	return d, err
}
