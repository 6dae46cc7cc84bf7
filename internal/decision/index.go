// Package decision owns rolecall's in-memory decision index: one organization's
// authorization data laid out for answering "may this subject do this action on this
// resource?" in about a microsecond, kept current by applying the changes of committed
// writes in atomic batches, each stamped with the organization's revision.
//
// It answers with exactly the effective-role rules of package access (org owners are
// implicit owners of every cloud and project; membership is transitive through active
// groups only; inactive or removed users hold nothing; service accounts are always org
// collaborators; a public project makes the role holders of its cloud collaborators, and
// cloud roles reach projects in no other way), maps actions to the minimum role they
// need (built-in actions, role names and per-organization custom actions), explains a
// decision with access.Source values, and searches subjects, resources and actions with
// deterministic keyset paging.
//
// The package is pure: no I/O, no wire format. It imports only access, internal/scim/fold
// (the case folding it shares with the store) and the standard library. The AuthZEN wire layer (package authzen) and the HTTP server sit on top of it;
// storage fills it with New and keeps it current with Apply.
//
// Concurrency: any number of readers with one writer. Reads take a read lock for the
// duration of one call (or of one Read callback), so a reader sees either all of a batch of
// changes or none of it.
package decision

import (
	"cmp"
	"slices"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/rolecall/rolecall/internal/access"
	"github.com/rolecall/rolecall/internal/scim/fold"
)

// Fold is the case folding applied to userNames, service-account names and resource names
// before they are compared. It is the folding the store keys its *_lower columns with
// (package internal/scim/fold: Unicode caseless matching, NFD, full case folding, NFC), so
// that a name the store holds unique is unique here too.
func Fold(s string) string { return fold.Key(s) }

// grant is one binding as seen from its principal: 12 bytes, so the per-principal lists of
// 500,000 bindings stay small.
type grant struct {
	res  int32 // resource slot
	bind int32 // binding slot
	role access.Role
}

// Records live in slices and are addressed by slot. A slot, once given to an ID, keeps
// that ID forever: a record that does not exist (yet, or any more) is a placeholder with
// exists false. Placeholders make references order-independent, exactly as in an
// access.State: a binding on a resource that is created later starts granting when it is.

type userRec struct {
	id, name, folded string
	exists           bool
	active, removed  bool
	groups           []int32 // groups it is directly in, whatever their state
	grants           []grant // its own bindings
	// closure caches the sorted slots of the live groups the user belongs to,
	// transitively; nil when not computed or invalidated. Readers fill it (hence atomic:
	// two readers may race to store the same value); the writer clears it, under the write
	// lock, whenever a change could alter it (see invalidateUser, invalidateBelow).
	closure atomic.Pointer[[]int32]
}

func (u *userRec) holds() bool { return u.exists && u.active && !u.removed }

type groupRec struct {
	id, name string
	exists   bool
	active   bool
	parents  []int32 // groups that directly contain it
	users    []int32 // direct user members
	children []int32 // direct group members
	grants   []grant
}

// live reports whether the group grants and passes membership on.
func (g *groupRec) live() bool { return g.exists && g.active }

type accountRec struct {
	id, name, folded string
	exists           bool
	grants           []grant
}

type resourceRec struct {
	id, name, folded string
	parent           string
	kind             access.Kind
	exists           bool
	public           bool    // a public project: its cloud's role holders are collaborators
	bindings         []int32 // binding slots on it, for subject search
	// groupGrants are the group bindings on it, compact (8 bytes each) so that a decision
	// scans them in a few cache lines and tests each group against the user's closure.
	groupGrants []groupGrant
}

type groupGrant struct {
	group int32
	role  access.Role
}

type bindingRec struct {
	id        string
	ptype     access.PrincipalType
	principal int32
	res       int32
	role      access.Role
	live      bool
}

// Index is one organization's decision index. Build it with New; keep it current with
// Apply. It is safe for concurrent use by any number of readers and one writer.
//
// Memory: about 85 MiB for the budget population (100,000 users, 1,000,000 memberships,
// 500,000 bindings), strings shared with the State it was built from. Records are never
// freed by Apply: a deleted user or group stays as a placeholder and a removed binding
// leaves a dead slot (about 40 bytes), so an index that lives through millions of grants
// and revokes should be rebuilt with New now and then (the owner of the index, which
// builds it from the store anyway, decides when).
type Index struct {
	mu  sync.RWMutex
	rev uint64

	users    []userRec
	groups   []groupRec
	accounts []accountRec
	res      []resourceRec
	binds    []bindingRec

	userByID    map[string]int32
	userByName  map[string]int32 // folded userName -> slot of the existing user
	groupByID   map[string]int32
	acctByID    map[string]int32
	acctByName  map[string]int32
	resByID     map[string]int32
	resByName   [access.KindProject + 1]map[string]int32 // per kind, folded name
	sortedRes   [access.KindProject + 1][]int32          // existing resources per kind, by (folded, id)
	bindByID    map[string]int32
	org         int32 // the organization resource slot, -1 when none exists
	actions     map[string]CustomAction
	actionNames []string // built-in and custom action names, sorted

	scratch sync.Pool // *scratch
}

// New builds the index of s at revision rev. The index keeps references to the strings of s
// but not to s itself, so s may be discarded afterwards. Records with a duplicate ID are
// ignored (the first wins), as in access.NewIndex.
func New(s *access.State, rev uint64) *Index {
	ix := &Index{
		rev:        rev,
		users:      make([]userRec, 0, len(s.Users)),
		groups:     make([]groupRec, 0, len(s.Groups)),
		accounts:   make([]accountRec, 0, len(s.ServiceAccounts)),
		res:        make([]resourceRec, 0, len(s.Resources)),
		binds:      make([]bindingRec, 0, len(s.Bindings)),
		userByID:   make(map[string]int32, len(s.Users)),
		userByName: make(map[string]int32, len(s.Users)),
		groupByID:  make(map[string]int32, len(s.Groups)),
		acctByID:   make(map[string]int32, len(s.ServiceAccounts)),
		acctByName: make(map[string]int32, len(s.ServiceAccounts)),
		resByID:    make(map[string]int32, len(s.Resources)),
		bindByID:   make(map[string]int32, len(s.Bindings)),
		org:        -1,
	}
	for k := range ix.resByName {
		ix.resByName[k] = map[string]int32{}
	}
	ix.setActions(nil)
	for i := range s.Resources {
		if _, dup := ix.resByID[s.Resources[i].ID]; !dup {
			ix.upsertResource(s.Resources[i], false)
		}
	}
	for k := range ix.sortedRes {
		ix.sortResources(access.Kind(k))
	}
	for i := range s.Users {
		if _, dup := ix.userByID[s.Users[i].ID]; !dup {
			ix.upsertUser(s.Users[i])
		}
	}
	for i := range s.Groups {
		if _, dup := ix.groupByID[s.Groups[i].ID]; !dup {
			ix.upsertGroup(s.Groups[i])
		}
	}
	for i := range s.ServiceAccounts {
		if _, dup := ix.acctByID[s.ServiceAccounts[i].ID]; !dup {
			ix.upsertAccount(s.ServiceAccounts[i])
		}
	}
	for i := range s.Memberships {
		// No duplicate check at build time: a repeated edge changes no traversal, and
		// checking would cost a scan per edge over 1,000,000 memberships.
		ix.addMembership(s.Memberships[i], false)
	}
	for i := range s.Bindings {
		b := &s.Bindings[i]
		if _, dup := ix.bindByID[b.ID]; dup || b.Role == access.RoleNone || b.Role > access.RoleOwner {
			continue
		}
		ix.addBinding(*b)
	}
	ix.scratch.New = func() any { return new(scratch) }
	return ix
}

// Revision returns the revision of the state the index reflects.
func (ix *Index) Revision() uint64 {
	ix.mu.RLock()
	defer ix.mu.RUnlock()
	return ix.rev
}

// Slot allocation: each returns the slot of id, creating a placeholder when needed.

func (ix *Index) userSlot(id string) int32 {
	if s, ok := ix.userByID[id]; ok {
		return s
	}
	s := int32(len(ix.users))
	ix.users = append(ix.users, userRec{id: id})
	ix.userByID[id] = s
	return s
}

func (ix *Index) groupSlot(id string) int32 {
	if s, ok := ix.groupByID[id]; ok {
		return s
	}
	s := int32(len(ix.groups))
	ix.groups = append(ix.groups, groupRec{id: id})
	ix.groupByID[id] = s
	return s
}

func (ix *Index) accountSlot(id string) int32 {
	if s, ok := ix.acctByID[id]; ok {
		return s
	}
	s := int32(len(ix.accounts))
	ix.accounts = append(ix.accounts, accountRec{id: id})
	ix.acctByID[id] = s
	return s
}

func (ix *Index) resourceSlot(id string) int32 {
	if s, ok := ix.resByID[id]; ok {
		return s
	}
	s := int32(len(ix.res))
	ix.res = append(ix.res, resourceRec{id: id})
	ix.resByID[id] = s
	return s
}

// Name maps hold existing records only. On a clash (the store keeps names unique, a raw
// State need not) the record that took the name first keeps it.

func setName(m map[string]int32, old, name string, slot int32, exists func(int32) bool) {
	if old != "" && m[old] == slot {
		delete(m, old)
	}
	if cur, ok := m[name]; !ok || !exists(cur) {
		m[name] = slot
	}
}

func dropName(m map[string]int32, name string, slot int32) {
	if s, ok := m[name]; ok && s == slot {
		delete(m, name)
	}
}

func (ix *Index) upsertUser(u access.User) {
	s := ix.userSlot(u.ID)
	r := &ix.users[s]
	old := ""
	if r.exists {
		old = r.folded
	}
	r.name, r.folded, r.exists, r.active, r.removed = u.UserName, Fold(u.UserName), true, u.Active, u.Removed
	setName(ix.userByName, old, r.folded, s, func(i int32) bool { return ix.users[i].exists })
}

func (ix *Index) deleteUser(id string) {
	s, ok := ix.userByID[id]
	if !ok || !ix.users[s].exists {
		return
	}
	r := &ix.users[s]
	r.exists = false
	dropName(ix.userByName, r.folded, s)
}

func (ix *Index) upsertGroup(g access.Group) {
	s := ix.groupSlot(g.ID)
	r := &ix.groups[s]
	if !r.exists || r.active != g.Active {
		ix.invalidateBelow(s)
	}
	r.name, r.exists, r.active = g.DisplayName, true, g.Active
}

func (ix *Index) deleteGroup(id string) {
	if s, ok := ix.groupByID[id]; ok && ix.groups[s].exists {
		ix.invalidateBelow(s)
		ix.groups[s].exists = false
	}
}

func (ix *Index) upsertAccount(a access.ServiceAccount) {
	s := ix.accountSlot(a.ID)
	r := &ix.accounts[s]
	old := ""
	if r.exists {
		old = r.folded
	}
	r.name, r.folded, r.exists = a.Name, Fold(a.Name), true
	setName(ix.acctByName, old, r.folded, s, func(i int32) bool { return ix.accounts[i].exists })
}

func (ix *Index) deleteAccount(id string) {
	s, ok := ix.acctByID[id]
	if !ok || !ix.accounts[s].exists {
		return
	}
	ix.accounts[s].exists = false
	dropName(ix.acctByName, ix.accounts[s].folded, s)
}

// upsertResource records r; keepSorted maintains the per-kind sorted lists (New sorts once
// at the end instead).
func (ix *Index) upsertResource(r access.Resource, keepSorted bool) {
	s := ix.resourceSlot(r.ID)
	rec := &ix.res[s]
	if rec.exists {
		ix.unlistResource(s, keepSorted)
	}
	rec.name, rec.folded, rec.parent, rec.kind, rec.exists, rec.public = r.Name, Fold(r.Name), r.ParentID, r.Kind, true, r.Public
	ix.listResource(s, keepSorted)
}

func (ix *Index) deleteResource(id string) {
	s, ok := ix.resByID[id]
	if !ok || !ix.res[s].exists {
		return
	}
	ix.unlistResource(s, true)
	ix.res[s].exists = false
}

// listResource adds an existing resource to the name map and sorted list of its kind and,
// for the first organization, makes it the organization.
func (ix *Index) listResource(s int32, keepSorted bool) {
	rec := &ix.res[s]
	if rec.kind < access.KindOrganization || rec.kind > access.KindProject {
		return // an invalid kind is held but reachable by no name and no search
	}
	setName(ix.resByName[rec.kind], "", rec.folded, s, func(i int32) bool { return ix.res[i].exists && ix.res[i].kind == rec.kind })
	if keepSorted {
		list := ix.sortedRes[rec.kind]
		at, _ := slices.BinarySearchFunc(list, s, ix.compareRes)
		ix.sortedRes[rec.kind] = slices.Insert(list, at, s)
	} else {
		ix.sortedRes[rec.kind] = append(ix.sortedRes[rec.kind], s)
	}
	if rec.kind == access.KindOrganization && ix.org < 0 {
		ix.org = s
	}
}

func (ix *Index) unlistResource(s int32, keepSorted bool) {
	rec := &ix.res[s]
	if rec.kind < access.KindOrganization || rec.kind > access.KindProject {
		return
	}
	dropName(ix.resByName[rec.kind], rec.folded, s)
	list := ix.sortedRes[rec.kind]
	if keepSorted {
		if at, found := slices.BinarySearchFunc(list, s, ix.compareRes); found {
			ix.sortedRes[rec.kind] = slices.Delete(list, at, at+1)
		}
	} else if at := slices.Index(list, s); at >= 0 {
		ix.sortedRes[rec.kind] = slices.Delete(list, at, at+1)
	}
	if ix.org == s {
		// Another organization resource, if the state holds one, takes over; a real
		// organization has exactly one.
		ix.org = -1
		for _, o := range ix.sortedRes[access.KindOrganization] {
			if o != s {
				ix.org = o
				break
			}
		}
	}
}

// compareRes orders resources by folded name, then ID: the order of resource search pages.
func (ix *Index) compareRes(a, b int32) int {
	ra, rb := &ix.res[a], &ix.res[b]
	return cmp.Or(strings.Compare(ra.folded, rb.folded), strings.Compare(ra.id, rb.id))
}

func (ix *Index) sortResources(k access.Kind) { slices.SortFunc(ix.sortedRes[k], ix.compareRes) }

// addMembership records m; dedupe skips an edge that is already there (Apply), which costs
// a scan of the member's own (short) group list.
func (ix *Index) addMembership(m access.Membership, dedupe bool) {
	g := ix.groupSlot(m.GroupID)
	switch m.MemberType {
	case access.PrincipalUser:
		u := ix.userSlot(m.MemberID)
		if dedupe && slices.Contains(ix.users[u].groups, g) {
			return
		}
		ix.users[u].groups = append(ix.users[u].groups, g)
		ix.groups[g].users = append(ix.groups[g].users, u)
		ix.invalidateUser(u)
	case access.PrincipalGroup:
		c := ix.groupSlot(m.MemberID)
		if c == g || (dedupe && slices.Contains(ix.groups[c].parents, g)) {
			return // a group in itself changes nothing (access ignores it too)
		}
		ix.groups[c].parents = append(ix.groups[c].parents, g)
		ix.groups[g].children = append(ix.groups[g].children, c)
		if dedupe { // at build time no closure is cached yet
			ix.invalidateBelow(c)
		}
	}
}

func (ix *Index) removeMembership(m access.Membership) {
	g, ok := ix.groupByID[m.GroupID]
	if !ok {
		return
	}
	switch m.MemberType {
	case access.PrincipalUser:
		if u, ok := ix.userByID[m.MemberID]; ok {
			ix.users[u].groups = removeAll(ix.users[u].groups, g)
			ix.groups[g].users = removeAll(ix.groups[g].users, u)
			ix.invalidateUser(u)
		}
	case access.PrincipalGroup:
		if c, ok := ix.groupByID[m.MemberID]; ok {
			ix.groups[c].parents = removeAll(ix.groups[c].parents, g)
			ix.groups[g].children = removeAll(ix.groups[g].children, c)
			ix.invalidateBelow(c)
		}
	}
}

// removeAll deletes every v from s without keeping order (member lists are sets): removing
// one member of a 100,000-member group is one scan, no allocation.
func removeAll(s []int32, v int32) []int32 {
	for i := 0; i < len(s); {
		if s[i] == v {
			s[i] = s[len(s)-1]
			s = s[:len(s)-1]
			continue
		}
		i++
	}
	return s
}

func (ix *Index) addBinding(b access.Binding) {
	r := ix.resourceSlot(b.ResourceID)
	var p int32
	switch b.PrincipalType {
	case access.PrincipalUser:
		p = ix.userSlot(b.PrincipalID)
	case access.PrincipalGroup:
		p = ix.groupSlot(b.PrincipalID)
	case access.PrincipalServiceAccount:
		p = ix.accountSlot(b.PrincipalID)
	default:
		return
	}
	s := int32(len(ix.binds))
	ix.binds = append(ix.binds, bindingRec{id: b.ID, ptype: b.PrincipalType, principal: p, res: r, role: b.Role, live: true})
	ix.bindByID[b.ID] = s
	gr := grant{res: r, bind: s, role: b.Role}
	switch b.PrincipalType {
	case access.PrincipalUser:
		ix.users[p].grants = append(ix.users[p].grants, gr)
	case access.PrincipalGroup:
		ix.groups[p].grants = append(ix.groups[p].grants, gr)
	case access.PrincipalServiceAccount:
		ix.accounts[p].grants = append(ix.accounts[p].grants, gr)
	}
	ix.res[r].bindings = append(ix.res[r].bindings, s)
	if b.PrincipalType == access.PrincipalGroup {
		ix.res[r].groupGrants = append(ix.res[r].groupGrants, groupGrant{p, b.Role})
	}
}

// removeBinding drops the binding with the given ID. Its slot stays (marked dead, its ID
// free for reuse) so that no other slot moves.
func (ix *Index) removeBinding(id string) {
	s, ok := ix.bindByID[id]
	if !ok {
		return
	}
	delete(ix.bindByID, id)
	b := &ix.binds[s]
	b.live = false
	drop := func(gs []grant) []grant {
		return slices.DeleteFunc(gs, func(g grant) bool { return g.bind == s })
	}
	switch b.ptype {
	case access.PrincipalUser:
		ix.users[b.principal].grants = drop(ix.users[b.principal].grants)
	case access.PrincipalGroup:
		ix.groups[b.principal].grants = drop(ix.groups[b.principal].grants)
	case access.PrincipalServiceAccount:
		ix.accounts[b.principal].grants = drop(ix.accounts[b.principal].grants)
	}
	ix.res[b.res].bindings = removeAll(ix.res[b.res].bindings, s)
	if b.ptype == access.PrincipalGroup {
		gg := ix.res[b.res].groupGrants
		if i := slices.Index(gg, groupGrant{b.principal, b.role}); i >= 0 {
			ix.res[b.res].groupGrants = slices.Delete(gg, i, i+1)
		}
	}
}

// invalidateUser drops user u's cached closure (its direct groups changed).
func (ix *Index) invalidateUser(u int32) { ix.users[u].closure.Store(nil) }

// invalidateBelow drops the cached closures of every user under group g (its parents or
// its state changed): the members of g and of every group nested in it, whatever their
// state (clearing too much is harmless). It runs only in the writer.
func (ix *Index) invalidateBelow(g int32) {
	seen := map[int32]bool{g: true}
	q := []int32{g}
	for i := 0; i < len(q); i++ {
		gr := &ix.groups[q[i]]
		for _, u := range gr.users {
			ix.invalidateUser(u)
		}
		for _, c := range gr.children {
			if !seen[c] {
				seen[c] = true
				q = append(q, c)
			}
		}
	}
}
