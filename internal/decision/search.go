package decision

import (
	"cmp"
	"slices"
	"strings"

	"github.com/rolecall/rolecall/internal/access"
)

// Page asks for one page of search results: those after the key After (empty for the first
// page), at most Limit of them (Limit <= 0 means DefaultLimit; more than MaxLimit is
// clamped). Paging is by key, not offset, so a write between two pages repeats or skips
// only what the write itself moved.
type Page struct {
	After string
	Limit int
}

// Page sizes.
const (
	DefaultLimit = 100
	MaxLimit     = 1000
)

func (p Page) limit() int {
	switch {
	case p.Limit <= 0:
		return DefaultLimit
	case p.Limit > MaxLimit:
		return MaxLimit
	}
	return p.Limit
}

// Results is one page of a search. Next is the key to pass as Page.After for the next
// page, empty on the last page. Reason is set when the search could not run (an unknown
// subject, resource or action, an inactive user): the page is then empty.
type Results[T any] struct {
	Items    []T
	Next     string
	Revision uint64
	Reason   Reason
}

// SubjectResult is a subject found by SearchSubjects.
type SubjectResult struct {
	Type SubjectType
	// Name is the userName or the service account's name: what a Subject names it by.
	Name string
	// ID is the record's ID (a user's SCIM id).
	ID string
}

// ResourceResult is a resource found by SearchResources.
type ResourceResult struct {
	Kind access.Kind
	Name string
	ID   string
}

// cursor is a paging position: a folded name and an ID (empty for actions). Results are
// sorted by cursor; Page.After is the String of the last cursor of the previous page.
type cursor struct{ name, id string }

func (c cursor) compare(o cursor) int {
	return cmp.Or(strings.Compare(c.name, o.name), strings.Compare(c.id, o.id))
}

// String encodes c; IDs hold no NUL byte, so the last NUL separates the two.
func (c cursor) String() string { return c.name + "\x00" + c.id }

func parseCursor(s string) cursor {
	i := strings.LastIndexByte(s, 0)
	if i < 0 {
		return cursor{name: s}
	}
	return cursor{s[:i], s[i+1:]}
}

// key is cursor{folded, id}.String(), for tests and callers that hold names.
func key(folded, id string) string { return cursor{folded, id}.String() }

// page cuts items (sorted by at) to those after p.After, at most p.limit() of them.
func page[T any](items []T, at func(T) cursor, p Page, rev uint64) Results[T] {
	start := 0
	if p.After != "" {
		after := parseCursor(p.After)
		start, _ = slices.BinarySearchFunc(items, after, func(it T, c cursor) int { return at(it).compare(c) })
		for start < len(items) && at(items[start]).compare(after) <= 0 {
			start++
		}
	}
	items = items[start:]
	out := Results[T]{Revision: rev}
	if n := p.limit(); len(items) > n {
		out.Next = at(items[n-1]).String()
		items = items[:n]
	}
	out.Items = append(make([]T, 0, len(items)), items...)
	return out
}

// mapResults converts the items of a page.
func mapResults[T, U any](r Results[T], f func(T) U) Results[U] {
	out := Results[U]{Items: make([]U, len(r.Items)), Next: r.Next, Revision: r.Revision, Reason: r.Reason}
	for i, it := range r.Items {
		out.Items[i] = f(it)
	}
	return out
}

// SearchSubjects lists the subjects of type t that may do action on res, transitively
// (members of nested live groups are found through them; org owners on every cloud and
// project), sorted by folded name then ID. Inactive and removed users are never listed.
func (ix *Index) SearchSubjects(t SubjectType, action string, res Resource, p Page) Results[SubjectResult] {
	ix.mu.RLock()
	defer ix.mu.RUnlock()
	return ix.searchSubjects(t, action, res, p)
}

// SearchSubjects is Index.SearchSubjects within the View.
func (v View) SearchSubjects(t SubjectType, action string, res Resource, p Page) Results[SubjectResult] {
	return v.ix.searchSubjects(t, action, res, p)
}

func (ix *Index) searchSubjects(t SubjectType, action string, res Resource, p Page) Results[SubjectResult] {
	empty := func(why Reason) Results[SubjectResult] {
		return Results[SubjectResult]{Items: []SubjectResult{}, Revision: ix.rev, Reason: why}
	}
	r, why := ix.resolveResource(res)
	if why != "" {
		return empty(why)
	}
	req, why := ix.required(action, res.Kind)
	if why != "" {
		return empty(why)
	}
	var slots []int32
	var at func(int32) cursor
	var result func(int32) SubjectResult
	switch t {
	case SubjectUser:
		slots = ix.usersWith(r, req)
		at = func(u int32) cursor { return cursor{ix.users[u].folded, ix.users[u].id} }
		result = func(u int32) SubjectResult {
			return SubjectResult{Type: SubjectUser, Name: ix.users[u].name, ID: ix.users[u].id}
		}
	case SubjectServiceAccount:
		for a := range ix.accounts {
			if ix.accounts[a].exists {
				if ix.accountRole(int32(a), r).Role >= req {
					slots = append(slots, int32(a))
				}
			}
		}
		at = func(a int32) cursor { return cursor{ix.accounts[a].folded, ix.accounts[a].id} }
		result = func(a int32) SubjectResult {
			return SubjectResult{Type: SubjectServiceAccount, Name: ix.accounts[a].name, ID: ix.accounts[a].id}
		}
	default:
		return empty(ReasonUnknownSubjectType)
	}
	slices.SortFunc(slots, func(a, b int32) int { return at(a).compare(at(b)) })
	return mapResults(page(slots, at, p, ix.rev), result)
}

// usersWith returns the users that hold at least req on resource r: holders of a binding
// there of that rank, members (through live groups) of groups holding one, on clouds and
// projects org owners, and on a public project (when collaborator is enough) every holder
// of a role on its cloud. Each user once; only users that hold access.
func (ix *Index) usersWith(r int32, req access.Role) []int32 {
	sc := ix.getScratch()
	defer ix.scratch.Put(sc)
	sc.markUsers(len(ix.users))
	var out []int32
	addUser := func(u int32) {
		if sc.users[u] != sc.gen {
			sc.users[u] = sc.gen
			if ix.users[u].holds() {
				out = append(out, u)
			}
		}
	}
	// addGroup adds the members of g and of every live group nested in it.
	addGroup := func(g int32) {
		if !ix.groups[g].live() || sc.groups[g] == sc.gen {
			return
		}
		sc.groups[g] = sc.gen
		q := append(sc.queue[:0], g)
		for i := 0; i < len(q); i++ {
			gr := &ix.groups[q[i]]
			for _, u := range gr.users {
				addUser(u)
			}
			for _, c := range gr.children {
				if sc.groups[c] != sc.gen && ix.groups[c].live() {
					sc.groups[c] = sc.gen
					q = append(q, c)
				}
			}
		}
		sc.queue = q
	}
	holders := func(on int32, min access.Role) {
		for _, b := range ix.res[on].bindings {
			bd := &ix.binds[b]
			if bd.role < min {
				continue
			}
			switch bd.ptype {
			case access.PrincipalUser:
				addUser(bd.principal)
			case access.PrincipalGroup:
				addGroup(bd.principal)
			}
		}
	}
	holders(r, req)
	if org := ix.orgSlot(); org >= 0 && r != org {
		holders(org, access.RoleOwner) // implicit owners
	}
	if c := ix.publicCloud(r); c >= 0 && req <= access.RoleCollaborator {
		holders(c, access.RoleReadonly) // any role on the cloud makes a collaborator here
	}
	return out
}

// SearchResources lists the resources of kind k on which the subject may do action, sorted
// by folded name then ID.
func (ix *Index) SearchResources(s Subject, action string, k access.Kind, p Page) Results[ResourceResult] {
	ix.mu.RLock()
	defer ix.mu.RUnlock()
	return ix.searchResources(s, action, k, p)
}

// SearchResources is Index.SearchResources within the View.
func (v View) SearchResources(s Subject, action string, k access.Kind, p Page) Results[ResourceResult] {
	return v.ix.searchResources(s, action, k, p)
}

func (ix *Index) searchResources(s Subject, action string, k access.Kind, p Page) Results[ResourceResult] {
	empty := func(why Reason) Results[ResourceResult] {
		return Results[ResourceResult]{Items: []ResourceResult{}, Revision: ix.rev, Reason: why}
	}
	if k < access.KindOrganization || k > access.KindProject {
		return empty(ReasonUnknownResourceType)
	}
	sub, why := ix.resolveSubject(s)
	if why != "" {
		return empty(why)
	}
	if why := ix.inactive(sub); why != "" {
		return empty(why)
	}
	req, why := ix.required(action, k)
	if why != "" {
		return empty(why)
	}
	result := func(r int32) ResourceResult {
		return ResourceResult{Kind: k, Name: ix.res[r].name, ID: ix.res[r].id}
	}
	at := func(r int32) cursor { return cursor{ix.res[r].folded, ix.res[r].id} }

	// Gather the explicit role on every resource the subject's bindings reach.
	sc := ix.getScratch()
	defer ix.scratch.Put(sc)
	if len(sc.roles) < len(ix.res) {
		sc.roles = make([]access.Role, len(ix.res)+len(ix.res)/8)
	}
	touched := sc.touch[:0]
	collect := func(gs []grant) {
		for _, g := range gs {
			if sc.roles[g.res] == access.RoleNone {
				touched = append(touched, g.res)
			}
			sc.roles[g.res] = max(sc.roles[g.res], g.role)
		}
	}
	if sub.typ == SubjectUser {
		collect(ix.users[sub.slot].grants)
		for _, g := range ix.reachGroups(sub.slot, sc) {
			collect(ix.groups[g].grants)
		}
	} else {
		collect(ix.accounts[sub.slot].grants)
	}
	defer func() {
		for _, r := range touched {
			sc.roles[r] = access.RoleNone
		}
		sc.touch = touched[:0]
	}()
	org := ix.orgSlot()
	var orgRole access.Role
	if org >= 0 {
		orgRole = sc.roles[org]
	}
	if k != access.KindOrganization && orgRole == access.RoleOwner {
		// An org owner may do anything on every cloud and project: the page is a slice of
		// the kind's sorted list, no sort needed.
		return mapResults(page(ix.sortedRes[k], at, p, ix.rev), result)
	}
	var hits []int32
	if k == access.KindOrganization {
		if org >= 0 {
			role := orgRole
			if sub.typ == SubjectServiceAccount {
				role = max(role, access.RoleCollaborator)
			}
			if role >= req {
				hits = append(hits, org)
			}
		}
	} else {
		for _, r := range touched {
			if rec := &ix.res[r]; rec.exists && rec.kind == k && ix.withPublic(r, sc.roles) >= req {
				hits = append(hits, r)
			}
		}
		if k == access.KindProject && req <= access.RoleCollaborator {
			// Public projects reached through a cloud role alone: their own role is none, so
			// the loop above did not see them.
			for _, r := range ix.sortedRes[k] {
				if sc.roles[r] == access.RoleNone && ix.withPublic(r, sc.roles) >= req {
					hits = append(hits, r)
				}
			}
		}
		slices.SortFunc(hits, ix.compareRes)
	}
	return mapResults(page(hits, at, p, ix.rev), result)
}

// withPublic is the role on r given the explicit roles per resource slot: the explicit
// role, raised to collaborator on a public project whose cloud holds any role.
func (ix *Index) withPublic(r int32, roles []access.Role) access.Role {
	if c := ix.publicCloud(r); c >= 0 && roles[c] != access.RoleNone {
		return max(roles[r], access.RoleCollaborator)
	}
	return roles[r]
}

// SearchActions lists the actions (built-in and custom, sorted by name) the subject may do
// on res. Paging keys are action names.
func (ix *Index) SearchActions(s Subject, res Resource, p Page) Results[string] {
	ix.mu.RLock()
	defer ix.mu.RUnlock()
	return ix.searchActions(s, res, p)
}

// SearchActions is Index.SearchActions within the View.
func (v View) SearchActions(s Subject, res Resource, p Page) Results[string] {
	return v.ix.searchActions(s, res, p)
}

func (ix *Index) searchActions(s Subject, res Resource, p Page) Results[string] {
	empty := func(why Reason) Results[string] {
		return Results[string]{Items: []string{}, Revision: ix.rev, Reason: why}
	}
	sub, why := ix.resolveSubject(s)
	if why != "" {
		return empty(why)
	}
	r, why := ix.resolveResource(res)
	if why != "" {
		return empty(why)
	}
	if why := ix.inactive(sub); why != "" {
		return empty(why)
	}
	var role access.Role
	if sub.typ == SubjectUser {
		sc := ix.getScratch()
		role = ix.userRole(sub.slot, r, sc).Role
		ix.scratch.Put(sc)
	} else {
		role = ix.accountRole(sub.slot, r).Role
	}
	var names []string
	for _, a := range ix.actionNames {
		if req, why := ix.required(a, res.Kind); why == "" && role >= req {
			names = append(names, a)
		}
	}
	return page(names, func(n string) cursor { return cursor{name: n} }, p, ix.rev)
}
