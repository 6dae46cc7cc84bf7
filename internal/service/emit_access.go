package service

import (
	"context"
	"fmt"
	"slices"

	"github.com/rolecall/rolecall/internal/access"
	"github.com/rolecall/rolecall/internal/events"
	"github.com/rolecall/rolecall/internal/rules"
	"github.com/rolecall/rolecall/internal/store"
)

// The effective-role changes that access-relevant events carry (events.AccessChanges),
// computed inside the write's transaction from the part of the org that decides the
// affected users' access (accessSlice): those users, every group above them, the
// memberships on the way, all their bindings and the org's resources. The transaction's
// view of that slice is one side of the change; the other side is the same slice with the
// write undone (or done) in memory, and an access.Differ compares the two per user. The
// reads are batched by the store (a few queries for 10,000 users), so a membership PATCH of
// 10,000 users stays within its budget, and the cost follows the users a write reaches,
// never the size of the org.

// A slice of at least wholeOrgFloor users that is at least 1/wholeOrgShare of the org's
// users is read as the whole org (LoadState): the crossover measured on SQLite, where a
// slice costs about three times per user what a full scan costs.
var wholeOrgFloor = 5000 // a variable for tests only

const wholeOrgShare = 3

// accessSlice reads the part of the org's state that decides the access of userIDs: the
// users, the live groups above them and above the groups in extra (transitively, with
// the memberships that lead there), the bindings of all of them, and the org's resources.
// extra names groups a change in memory may hang users under (the group of a removed
// membership), so that their grants are there to restore.
func accessSlice(ctx context.Context, tx store.Tx, org string, userIDs, extra []string) (*access.State, error) {
	userIDs = distinct(userIDs)
	if len(userIDs) >= wholeOrgFloor {
		// A write that reaches a large share of the org's users (a grant to "everyone")
		// reads the whole org: a scan per table costs less than an index lookup per user,
		// edge and grant (100,000 users: 0.5 s against 1.5 s on SQLite).
		_, total, err := tx.ListUsers(ctx, org, store.Query{Page: store.Page{Limit: 0}})
		if err != nil {
			return nil, err
		}
		if len(userIDs)*wholeOrgShare >= total {
			return LoadState(ctx, tx, org)
		}
	}
	st := &access.State{}
	us, err := tx.UserFlags(ctx, org, userIDs)
	if err != nil {
		return nil, err
	}
	for _, u := range us {
		st.Users = append(st.Users, access.User{ID: u.ID, UserName: u.UserName, Active: u.Active, Removed: u.Removed})
	}
	// Resources matter only to evaluate someone; a slice of groups alone (is anything
	// granted above this group?) needs none.
	if len(us) > 0 {
		rs, err := tx.ListResources(ctx, org, "", "")
		if err != nil {
			return nil, err
		}
		for _, r := range rs {
			k, err := access.ParseKind(string(r.Kind))
			if err != nil {
				return nil, err
			}
			st.Resources = append(st.Resources, access.Resource{ID: r.ID, Name: r.Name, ParentID: r.ParentID, Kind: k, Public: r.Public})
		}
	}
	seen := map[string]bool{}
	var groupIDs []string
	addGroup := func(g store.Group) bool {
		if seen[g.ID] {
			return false
		}
		seen[g.ID] = true
		groupIDs = append(groupIDs, g.ID)
		st.Groups = append(st.Groups, access.Group{ID: g.ID, DisplayName: g.DisplayName, Active: g.Active && !g.Deleted})
		return true
	}
	// The groups above, level by level: each level one batched read (ParentsOf leaves
	// deleted groups out, as access does).
	memberType := map[string]access.PrincipalType{}
	frontier := make([]string, 0, len(us)+len(extra))
	for _, u := range us {
		frontier = append(frontier, u.ID)
		memberType[u.ID] = access.PrincipalUser
	}
	if len(extra) > 0 {
		gs, err := tx.GroupFlags(ctx, org, extra)
		if err != nil {
			return nil, err
		}
		for _, g := range gs {
			if addGroup(g) {
				frontier = append(frontier, g.ID)
				memberType[g.ID] = access.PrincipalGroup
			}
		}
	}
	for len(frontier) > 0 {
		edges, err := tx.ParentsOf(ctx, org, frontier)
		if err != nil {
			return nil, err
		}
		var next []string
		for _, e := range edges {
			st.Memberships = append(st.Memberships, access.Membership{GroupID: e.GroupID, MemberID: e.MemberID, MemberType: memberType[e.MemberID]})
			if addGroup(store.Group{ID: e.GroupID, DisplayName: e.GroupName, Active: e.GroupActive}) {
				next = append(next, e.GroupID)
				memberType[e.GroupID] = access.PrincipalGroup
			}
		}
		frontier = next
	}
	for _, p := range []struct {
		pt  store.PrincipalType
		ids []string
	}{{store.PrincipalUser, userIDs}, {store.PrincipalGroup, groupIDs}} {
		if len(p.ids) == 0 {
			continue
		}
		bs, err := tx.BindingsOf(ctx, org, p.pt, p.ids)
		if err != nil {
			return nil, err
		}
		for _, b := range bs {
			if err := addBinding(st, b); err != nil {
				return nil, err
			}
		}
	}
	return st, nil
}

// distinct is ids without repeats, in first-seen order (ids itself when it has none).
func distinct(ids []string) []string {
	seen := make(map[string]bool, len(ids))
	for i, id := range ids {
		if seen[id] {
			out := slices.Clone(ids[:i])
			for _, id := range ids[i:] {
				if !seen[id] {
					seen[id] = true
					out = append(out, id)
				}
			}
			return out
		}
		seen[id] = true
	}
	return ids
}

// lockAccess takes the org's access lock (store.Tx.LockAccess) before the first read of an
// access computation: on PostgreSQL, concurrent writes would otherwise each compute from a
// view without the other's uncommitted change, and their events would not add up (a group
// grant and a membership in a subgroup, committed together, each saying "no change").
func lockAccess(ctx context.Context, tx store.Tx, org string) error { return tx.LockAccess(ctx, org) }

func addBinding(st *access.State, b store.Binding) error {
	pt, err := access.ParsePrincipalType(string(b.PrincipalType))
	if err != nil {
		return err
	}
	role, err := access.ParseRole(b.Role)
	if err != nil {
		return err
	}
	st.Bindings = append(st.Bindings, access.Binding{ID: b.ID, ResourceID: b.ResourceID, PrincipalID: b.PrincipalID, PrincipalType: pt, Role: role})
	return nil
}

// below is the membership graph under some groups, as usersUnder read it: who each group
// directly holds.
type below map[string][]store.Member

// changed lists the users below root (transitively) that have changes in byUser, each once.
// It walks the graph per root but keeps only the users that change, so that many member
// groups sharing one big subgroup cost time per edge, not memory per user and group.
func (b below) changed(root string, byUser map[string][]events.RoleChange) []string {
	if len(byUser) == 0 {
		return nil
	}
	var out []string
	seen := map[string]bool{root: true}
	stack := []string{root}
	for len(stack) > 0 {
		g := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		for _, m := range b[g] {
			if seen[m.ID] {
				continue
			}
			seen[m.ID] = true
			if m.Type == store.MemberGroup {
				stack = append(stack, m.ID)
			} else if _, ok := byUser[m.ID]; ok {
				out = append(out, m.ID)
			}
		}
	}
	return out
}

// usersUnder finds the users below the given groups (transitively; the group cycles the
// store refuses would end here too): one batched read of edges per level. It returns the
// graph it read and every user in it, once.
func usersUnder(ctx context.Context, tx store.Tx, org string, groupIDs []string) (below, []string, error) {
	graph := below{}
	frontier := slices.Clone(groupIDs)
	read := map[string]bool{}
	seenUser := map[string]bool{}
	var users []string
	for len(frontier) > 0 {
		for _, id := range frontier {
			read[id] = true
		}
		// Edges only: a deleted member found here is read as absent by accessSlice (a
		// deleted user) or passes nothing there (a deleted group), so it changes nothing.
		edges, err := tx.ChildEdges(ctx, org, frontier)
		if err != nil {
			return nil, nil, err
		}
		var next []string
		for _, e := range edges {
			graph[e.GroupID] = append(graph[e.GroupID], store.Member{Type: e.MemberType, ID: e.MemberID})
			switch {
			case e.MemberType == store.MemberGroup && !read[e.MemberID]:
				read[e.MemberID] = true
				next = append(next, e.MemberID)
			case e.MemberType == store.MemberUser && !seenUser[e.MemberID]:
				seenUser[e.MemberID] = true
				users = append(users, e.MemberID)
			}
		}
		frontier = next
	}
	return graph, users, nil
}

// withState returns a copy of st that f may change without touching st: f receives fresh
// copies of every slice.
func withState(st *access.State, f func(s *access.State)) *access.State {
	c := &access.State{Users: slices.Clone(st.Users), Groups: slices.Clone(st.Groups), Memberships: slices.Clone(st.Memberships),
		ServiceAccounts: slices.Clone(st.ServiceAccounts), Resources: slices.Clone(st.Resources), Bindings: slices.Clone(st.Bindings)}
	f(c)
	return c
}

// withoutBinding is st without the binding of that id.
func withoutBinding(st *access.State, id string) *access.State {
	return withState(st, func(s *access.State) {
		s.Bindings = slices.DeleteFunc(s.Bindings, func(b access.Binding) bool { return b.ID == id })
	})
}

// userChanges is each user's role changes between before and after, as events carry them
// (users whose roles do not change are absent). The indexes are built once for all users.
func userChanges(before, after *access.State, userIDs []string) map[string][]events.RoleChange {
	userIDs = distinct(userIDs)
	bi, ai := access.NewIndex(before), access.NewIndex(after)
	d := access.NewDiffer(bi, ai)
	// The userName of a user that changes, from whichever side knows it (names are read
	// only for the few users that change, not mapped for every user reached).
	name := func(id string) string {
		for _, ix := range []*access.Index{ai, bi} {
			if u, ok := ix.LookupUser(id); ok {
				return ix.User(u).UserName
			}
		}
		return ""
	}
	out := map[string][]events.RoleChange{}
	for _, id := range userIDs {
		if _, ok := out[id]; ok {
			continue
		}
		ds := d.User(id)
		if len(ds) == 0 {
			continue
		}
		cs := make([]events.RoleChange, len(ds))
		n := name(id)
		for i, d := range ds {
			cs[i] = events.RoleChange{UserID: id, UserName: n, ResourceKind: d.Kind.String(), ResourceID: d.ResourceID,
				ResourceName: d.Name, Before: d.Before.String(), After: d.After.String()}
		}
		out[id] = cs
	}
	return out
}

// changesOf is the access changes of the given users, in their order (a user listed twice
// counts once), capped as events.NewAccessChanges caps.
func changesOf(byUser map[string][]events.RoleChange, userIDs []string) *events.AccessChanges {
	var cs []events.RoleChange
	var once map[string]bool // among users with changes only: most users reached have none
	for _, id := range userIDs {
		c, ok := byUser[id]
		if !ok {
			continue
		}
		if once == nil {
			once = map[string]bool{}
		}
		if !once[id] {
			once[id] = true
			cs = append(cs, c...)
		}
	}
	ac := events.NewAccessChanges(cs)
	return &ac
}

// directGrantAccess computes the access changes of binding b, a grant the transaction has
// just created (add) or is about to delete (!add): in both cases b is still in the store
// when it reads. A user grant changes that user; a group grant every user below the group.
// Grants to service accounts answer nil (events.AccessChanges lists users).
func directGrantAccess(ctx context.Context, tx store.Tx, org string, b store.Binding, add bool) (*events.AccessChanges, error) {
	if b.PrincipalType != store.PrincipalUser && b.PrincipalType != store.PrincipalGroup {
		return nil, nil
	}
	if err := lockAccess(ctx, tx, org); err != nil {
		return nil, err
	}
	users, extra := []string{b.PrincipalID}, []string(nil)
	if b.PrincipalType == store.PrincipalGroup {
		_, all, err := usersUnder(ctx, tx, org, []string{b.PrincipalID})
		if err != nil {
			return nil, err
		}
		users, extra = all, []string{b.PrincipalID}
	}
	with, err := accessSlice(ctx, tx, org, users, extra)
	if err != nil {
		return nil, err
	}
	without := withoutBinding(with, b.ID)
	before, after := without, with
	if !add {
		before, after = with, without
	}
	return changesOf(userChanges(before, after, users), users), nil
}

// holdingAccess is the effect on userID of starting (gains) or stopping to hold any access
// (a reactivation, a deactivation, a delete): every role it holds when active, from or to
// none. It reads the user's slice as the transaction sees it.
func holdingAccess(ctx context.Context, tx store.Tx, org, userID string, gains bool) (*events.AccessChanges, error) {
	if err := lockAccess(ctx, tx, org); err != nil {
		return nil, err
	}
	st, err := accessSlice(ctx, tx, org, []string{userID}, nil)
	if err != nil {
		return nil, err
	}
	set := func(holds bool) *access.State {
		return withState(st, func(s *access.State) {
			for i := range s.Users {
				s.Users[i].Active, s.Users[i].Removed = holds, false
			}
		})
	}
	before, after := set(false), set(true)
	if !gains {
		before, after = after, before
	}
	ids := []string{userID}
	return changesOf(userChanges(before, after, ids), ids), nil
}

// groupDeleteAccess is the effect of deleting (or deactivating) group id on the users
// below it, computed before the write: the group stops granting and passing membership on.
func groupDeleteAccess(ctx context.Context, tx store.Tx, org, id string) (*events.AccessChanges, error) {
	if err := lockAccess(ctx, tx, org); err != nil {
		return nil, err
	}
	_, users, err := usersUnder(ctx, tx, org, []string{id})
	if err != nil {
		return nil, err
	}
	before, err := accessSlice(ctx, tx, org, users, []string{id})
	if err != nil {
		return nil, err
	}
	after := withState(before, func(s *access.State) {
		for i := range s.Groups {
			if s.Groups[i].ID == id {
				s.Groups[i].Active = false
			}
		}
	})
	return changesOf(userChanges(before, after, users), users), nil
}

// membershipAccess computes the access changes of a group write's membership changes, from
// the store as the transaction sees it after the write: added and removed are the net
// members added to and removed from group g, reinstated the users the write brought back
// from removal. It returns what the reinstated users regain (for their user.reactivated),
// what a member's event carries (a user member its own changes, a group member those of
// the users below it, each user once), and the userName of the user members.
func membershipAccess(ctx context.Context, tx store.Tx, org, g string, added, removed []store.Member, reinstated []string) (
	regained map[string][]events.RoleChange, accessOf func(store.Member) *events.AccessChanges, names map[string]string, err error) {
	if err := lockAccess(ctx, tx, org); err != nil {
		return nil, nil, nil, err
	}
	var users, groups []string
	for _, ms := range [][]store.Member{added, removed} {
		for _, m := range ms {
			if m.Type == store.MemberGroup {
				groups = append(groups, m.ID)
			} else {
				users = append(users, m.ID)
			}
		}
	}
	// When neither g nor any group above it holds a binding, no membership of g changes
	// anyone's roles (the common case of a group no role names yet): only the users the
	// write reinstated, who come back to every role they hold, need their slice. One query
	// (g's ancestry) saves reading every member's groups and grants.
	granted, err := tx.AncestryGranted(ctx, org, g)
	if err != nil {
		return nil, nil, nil, err
	}
	var after *access.State
	graph := below{}
	if !granted {
		if names, err = tx.UserNames(ctx, org, users); err != nil {
			return nil, nil, nil, err
		}
		users = reinstated
		if after, err = accessSlice(ctx, tx, org, users, nil); err != nil {
			return nil, nil, nil, err
		}
	} else {
		var under []string
		if graph, under, err = usersUnder(ctx, tx, org, groups); err != nil {
			return nil, nil, nil, err
		}
		// A reinstated user may have been a member already (the IdP re-added it): it has
		// no membership event but its user.reactivated carries what it regains.
		users = append(append(users, under...), reinstated...)
		if after, err = accessSlice(ctx, tx, org, users, []string{g}); err != nil {
			return nil, nil, nil, err
		}
		names = make(map[string]string, len(after.Users))
		for _, u := range after.Users {
			names[u.ID] = u.UserName
		}
	}
	edge := func(m store.Member) access.Membership {
		t := access.PrincipalUser
		if m.Type == store.MemberGroup {
			t = access.PrincipalGroup
		}
		return access.Membership{GroupID: g, MemberID: m.ID, MemberType: t}
	}
	// Three moments, so that the events add up in the order they come: before the request;
	// mid, its membership changes made but the reinstated users still removed (what the
	// membership events report); after, those users back (what their user.reactivated
	// reports: every role they regain).
	mid := after
	if len(reinstated) > 0 {
		back := make(map[string]bool, len(reinstated))
		for _, id := range reinstated {
			back[id] = true
		}
		mid = withState(after, func(s *access.State) {
			for i := range s.Users {
				if back[s.Users[i].ID] {
					s.Users[i].Removed = true
				}
			}
		})
	}
	before := withState(mid, func(s *access.State) {
		gone := make(map[access.Membership]bool, len(added))
		for _, m := range added {
			gone[edge(m)] = true
		}
		s.Memberships = slices.DeleteFunc(s.Memberships, func(m access.Membership) bool { return gone[m] })
		for _, m := range removed {
			s.Memberships = append(s.Memberships, edge(m))
		}
	})
	byUser := userChanges(before, mid, users)
	once := reportOnce(byUser)
	accessOf = func(m store.Member) *events.AccessChanges {
		if m.Type == store.MemberGroup {
			return once(graph.changed(m.ID, byUser))
		}
		return once([]string{m.ID})
	}
	regained = map[string][]events.RoleChange{}
	if len(reinstated) > 0 {
		regained = userChanges(mid, after, reinstated)
	}
	return regained, accessOf, names, nil
}

// reportOnce returns what each event of one write carries out of byUser: the changes of
// the given users not yet reported by an earlier event of the write. A user below two
// member groups of one request, or two groups of one rule reconcile, has its change on the
// first event that reaches it, so that the events, read in order, add up.
func reportOnce(byUser map[string][]events.RoleChange) func(userIDs []string) *events.AccessChanges {
	reported := map[string]bool{}
	return func(userIDs []string) *events.AccessChanges {
		var fresh []string
		for _, id := range userIDs {
			if _, ok := byUser[id]; ok && !reported[id] {
				reported[id] = true
				fresh = append(fresh, id)
			}
		}
		return changesOf(byUser, fresh)
	}
}

// holdersAccess is the effect of edit, a change to resources made in memory, on the users
// who hold a role on any of resIDs (directly or through their groups), from their slice as
// the transaction sees it (the side edit changes): the users it can change are those,
// because a resource's change reaches only who holds something on it (or, for a public
// project, on its cloud).
func holdersAccess(ctx context.Context, tx store.Tx, org string, resIDs []string, edit func(s *access.State)) (*events.AccessChanges, error) {
	if err := lockAccess(ctx, tx, org); err != nil {
		return nil, err
	}
	var users, groups []string
	for _, id := range resIDs {
		bs, err := tx.ListBindings(ctx, org, store.BindingFilter{ResourceID: id})
		if err != nil {
			return nil, err
		}
		for _, b := range bs {
			switch b.PrincipalType {
			case store.PrincipalUser:
				users = append(users, b.PrincipalID)
			case store.PrincipalGroup:
				groups = append(groups, b.PrincipalID)
			}
		}
	}
	_, under, err := usersUnder(ctx, tx, org, groups)
	if err != nil {
		return nil, err
	}
	users = append(users, under...)
	before, err := accessSlice(ctx, tx, org, users, nil)
	if err != nil {
		return nil, err
	}
	return changesOf(userChanges(before, withState(before, edit), users), users), nil
}

// resourceDeleteAccess is what the users holding a role on res lose when it is deleted (a
// public project: also who reached it through its cloud).
func resourceDeleteAccess(ctx context.Context, tx store.Tx, org string, res store.Resource) (*events.AccessChanges, error) {
	ids := []string{res.ID}
	if res.Public && res.ParentID != "" {
		ids = append(ids, res.ParentID)
	}
	return holdersAccess(ctx, tx, org, ids, func(s *access.State) {
		s.Resources = slices.DeleteFunc(s.Resources, func(r access.Resource) bool { return r.ID == res.ID })
		s.Bindings = slices.DeleteFunc(s.Bindings, func(b access.Binding) bool { return b.ResourceID == res.ID })
	})
}

// visibilityAccess is what making project p public (or private) changes for the holders of
// a role on its cloud: collaborator on p, gained or lost.
func visibilityAccess(ctx context.Context, tx store.Tx, org string, p store.Resource, public bool) (*events.AccessChanges, error) {
	return holdersAccess(ctx, tx, org, []string{p.ParentID}, func(s *access.State) {
		for i := range s.Resources {
			if s.Resources[i].ID == p.ID {
				s.Resources[i].Public = public
			}
		}
	})
}

// UsersSlice reads the part of the org that decides the access of userIDs, as the
// transaction sees it: for use cases outside this package that compute an event's access
// changes from two reads, before and after their write (enforce undo).
func UsersSlice(ctx context.Context, tx store.Tx, org string, userIDs []string) (*access.State, error) {
	if err := lockAccess(ctx, tx, org); err != nil {
		return nil, err
	}
	return accessSlice(ctx, tx, org, userIDs, nil)
}

// UsersChanges is the role changes of userIDs between two slices, as events carry them:
// all together, and by user.
func UsersChanges(before, after *access.State, userIDs []string) (*events.AccessChanges, map[string][]events.RoleChange) {
	by := userChanges(before, after, userIDs)
	return changesOf(by, userIDs), by
}

// ChangesOf is the access changes of the given users out of by, as an event carries them.
func ChangesOf(by map[string][]events.RoleChange, userIDs []string) *events.AccessChanges {
	return changesOf(by, userIDs)
}

// ruleAccess computes the access changes of a reconcile's rule-made bindings (c, not yet
// applied) for their grant events, from one slice of the users below the groups involved:
// before is the store as it is, after has c's removals and additions. Like a membership
// request's, the change is the whole reconcile's: each event carries the changes of the
// users below its group.
func ruleAccess(ctx context.Context, tx store.Tx, org string, c rules.Changes) (func(group string) *events.AccessChanges, error) {
	if err := lockAccess(ctx, tx, org); err != nil {
		return nil, err
	}
	var groups []string
	for _, bs := range [][]rules.Binding{c.Remove, c.Add} {
		for _, b := range bs {
			groups = append(groups, b.GroupID)
		}
	}
	graph, users, err := usersUnder(ctx, tx, org, groups)
	if err != nil {
		return nil, err
	}
	before, err := accessSlice(ctx, tx, org, users, groups)
	if err != nil {
		return nil, err
	}
	after, _ := rules.Apply(before, nil, c, newRuleBindingID())
	byUser := userChanges(before, after, users)
	once := reportOnce(byUser)
	return func(group string) *events.AccessChanges { return once(graph.changed(group, byUser)) }, nil
}

// newRuleBindingID names, in memory, the bindings a rule change adds that have no id yet:
// rules.Apply needs one, and an Index keeps only the first binding of an id.
func newRuleBindingID() func(rules.Binding) string {
	n := 0
	return func(rules.Binding) string { n++; return fmt.Sprint("rule-add-", n) }
}

// orgRuleAccess is the effect of rule-made binding changes cs (as applied, in that order:
// additions with their ids) on every user of the org whose whole state before them is st
// (read under the org's exclusive lock, as a rule change's undo reads it).
func orgRuleAccess(st *access.State, cs ...rules.Changes) *events.AccessChanges {
	after, id := st, newRuleBindingID()
	for _, c := range cs {
		after, _ = rules.Apply(after, nil, c, id)
	}
	ids := make([]string, len(st.Users))
	for i, u := range st.Users {
		ids[i] = u.ID
	}
	return changesOf(userChanges(st, after, ids), ids)
}

// projectCreateAccess is what creating public project p (already in the store) gives the
// holders of a role on its cloud: collaborator on it.
func projectCreateAccess(ctx context.Context, tx store.Tx, org string, p store.Resource) (*events.AccessChanges, error) {
	ac, err := holdersAccess(ctx, tx, org, []string{p.ParentID}, func(s *access.State) {
		s.Resources = slices.DeleteFunc(s.Resources, func(r access.Resource) bool { return r.ID == p.ID })
	})
	if err != nil || ac == nil {
		return ac, err
	}
	// holdersAccess compares the state as given (with p) against edit's (without p):
	// turned around, it is what creating p did.
	for i, c := range ac.Changes {
		ac.Changes[i].Before, ac.Changes[i].After = c.After, c.Before
	}
	return ac, nil
}
