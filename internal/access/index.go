package access

import (
	"cmp"
	"errors"
	"fmt"
	"slices"
	"sync"
)

// UserRef, GroupRef, ResourceRef and ServiceAccountRef name a record by its position in the
// corresponding State slice. They let hot loops (the enforce planner) avoid string lookups.
type (
	UserRef           int32
	GroupRef          int32
	ResourceRef       int32
	ServiceAccountRef int32
)

// Sentinel errors for IDs the State does not hold; returned errors wrap them.
var (
	ErrUnknownUser           = errors.New("unknown user")
	ErrUnknownResource       = errors.New("unknown resource")
	ErrUnknownServiceAccount = errors.New("unknown service account")
)

// grant is one binding resolved to positions: 12 bytes instead of a 56-byte Binding, so the
// per-principal lists of 500,000 bindings stay small and cache-friendly.
type grant struct {
	res  ResourceRef
	bind int32 // position in State.Bindings, for Explain
	role Role
}

// csr is a compressed sparse row table: row i is items[start[i]:start[i+1]]. One allocation
// per table instead of one slice per user or group.
type csr[T any] struct {
	start []int32
	items []T
}

func (c *csr[T]) row(i int32) []T {
	if int(i)+1 >= len(c.start) {
		return nil
	}
	return c.items[c.start[i]:c.start[i+1]]
}

// buildCSR lays out items by row with a counting sort; rows[k] is the row of items[k].
func buildCSR[T any](n int, rows []int32, items []T) csr[T] {
	start := make([]int32, n+1)
	for _, r := range rows {
		start[r+1]++
	}
	for i := 1; i <= n; i++ {
		start[i] += start[i-1]
	}
	out := make([]T, len(items))
	fill := make([]int32, n)
	copy(fill, start[:n])
	for k, r := range rows {
		out[fill[r]] = items[k]
		fill[r]++
	}
	return csr[T]{start: start, items: out}
}

// Index answers access questions about one State. Build it once with NewIndex; it is
// read-only afterwards and safe for concurrent use.
type Index struct {
	state *State

	users     map[string]UserRef
	groups    map[string]GroupRef
	resources map[string]ResourceRef
	accounts  map[string]ServiceAccountRef

	// userGroups: user -> active groups it is directly in. groupParents: active group ->
	// active groups that directly contain it. Edges touching an inactive group are dropped
	// at build time, which is exactly "an inactive group neither grants nor passes on".
	userGroups   csr[GroupRef]
	groupParents csr[GroupRef]
	groupGrants  csr[grant] // active groups only
	userGrants   csr[grant]
	saGrants     csr[grant]

	usersByName []UserRef
	org         ResourceRef // -1 when the State holds no organization resource

	// publicCloud maps each public project to the cloud whose role holders it makes
	// collaborators; publicProjects is the inverse, cloud -> its public projects. Both are
	// empty when the State has no public project, which is most States.
	publicCloud    map[ResourceRef]ResourceRef
	publicProjects map[ResourceRef][]ResourceRef

	pool sync.Pool // *Evaluator
}

// NewIndex builds the index of s. Its cost is linear in the size of s plus sorting users by
// userName; s must not change while the Index is in use.
func NewIndex(s *State) *Index {
	ix := &Index{
		state:     s,
		users:     make(map[string]UserRef, len(s.Users)),
		groups:    make(map[string]GroupRef, len(s.Groups)),
		resources: make(map[string]ResourceRef, len(s.Resources)),
		accounts:  make(map[string]ServiceAccountRef, len(s.ServiceAccounts)),
		org:       -1,
	}
	ix.usersByName = make([]UserRef, 0, len(s.Users))
	for i := range s.Users {
		if _, dup := ix.users[s.Users[i].ID]; !dup {
			ix.users[s.Users[i].ID] = UserRef(i)
			ix.usersByName = append(ix.usersByName, UserRef(i))
		}
	}
	slices.SortFunc(ix.usersByName, func(a, b UserRef) int {
		ua, ub := &s.Users[a], &s.Users[b]
		if c := cmp.Compare(ua.UserName, ub.UserName); c != 0 {
			return c
		}
		return cmp.Compare(ua.ID, ub.ID)
	})
	for i := range s.Groups {
		if _, dup := ix.groups[s.Groups[i].ID]; !dup {
			ix.groups[s.Groups[i].ID] = GroupRef(i)
		}
	}
	for i := range s.Resources {
		if _, dup := ix.resources[s.Resources[i].ID]; !dup {
			ix.resources[s.Resources[i].ID] = ResourceRef(i)
			if s.Resources[i].Kind == KindOrganization && ix.org < 0 {
				ix.org = ResourceRef(i)
			}
		}
	}
	for i := range s.ServiceAccounts {
		if _, dup := ix.accounts[s.ServiceAccounts[i].ID]; !dup {
			ix.accounts[s.ServiceAccounts[i].ID] = ServiceAccountRef(i)
		}
	}
	ix.buildPublic()
	ix.buildMemberships()
	ix.buildGrants()
	ix.pool.New = func() any { return ix.NewEvaluator() }
	return ix
}

// buildPublic links every public project to its cloud. A project whose parent is missing
// or is not a cloud gives nothing: there is no cloud role to extend.
func (ix *Index) buildPublic() {
	s := ix.state
	for i := range s.Resources {
		res := &s.Resources[i]
		if !res.Public || res.Kind != KindProject || ix.resources[res.ID] != ResourceRef(i) {
			continue
		}
		c, ok := ix.resources[res.ParentID]
		if !ok || s.Resources[c].Kind != KindCloud {
			continue
		}
		if ix.publicCloud == nil {
			ix.publicCloud = map[ResourceRef]ResourceRef{}
			ix.publicProjects = map[ResourceRef][]ResourceRef{}
		}
		ix.publicCloud[ResourceRef(i)] = c
		ix.publicProjects[c] = append(ix.publicProjects[c], ResourceRef(i))
	}
}

func (ix *Index) buildMemberships() {
	s := ix.state
	var uRows, gRows []int32
	var uItems, gItems []GroupRef
	for i := range s.Memberships {
		m := &s.Memberships[i]
		g, ok := ix.groups[m.GroupID]
		if !ok || !s.Groups[g].Active {
			continue
		}
		switch m.MemberType {
		case PrincipalUser:
			if u, ok := ix.users[m.MemberID]; ok {
				uRows = append(uRows, int32(u))
				uItems = append(uItems, g)
			}
		case PrincipalGroup:
			if c, ok := ix.groups[m.MemberID]; ok && s.Groups[c].Active && c != g {
				gRows = append(gRows, int32(c))
				gItems = append(gItems, g)
			}
		}
	}
	ix.userGroups = buildCSR(len(s.Users), uRows, uItems)
	ix.groupParents = buildCSR(len(s.Groups), gRows, gItems)
}

func (ix *Index) buildGrants() {
	s := ix.state
	var uRows, gRows, aRows []int32
	var uItems, gItems, aItems []grant
	for i := range s.Bindings {
		b := &s.Bindings[i]
		r, ok := ix.resources[b.ResourceID]
		if !ok || b.Role == RoleNone || b.Role > RoleOwner {
			continue
		}
		gr := grant{res: r, bind: int32(i), role: b.Role}
		switch b.PrincipalType {
		case PrincipalUser:
			if u, ok := ix.users[b.PrincipalID]; ok {
				uRows, uItems = append(uRows, int32(u)), append(uItems, gr)
			}
		case PrincipalGroup:
			if g, ok := ix.groups[b.PrincipalID]; ok && s.Groups[g].Active {
				gRows, gItems = append(gRows, int32(g)), append(gItems, gr)
			}
		case PrincipalServiceAccount:
			if a, ok := ix.accounts[b.PrincipalID]; ok {
				aRows, aItems = append(aRows, int32(a)), append(aItems, gr)
			}
		}
	}
	ix.userGrants = buildCSR(len(s.Users), uRows, uItems)
	ix.groupGrants = buildCSR(len(s.Groups), gRows, gItems)
	ix.saGrants = buildCSR(len(s.ServiceAccounts), aRows, aItems)
}

// State returns the snapshot the index was built from.
func (ix *Index) State() *State { return ix.state }

// LookupUser returns the user with the given ID.
func (ix *Index) LookupUser(id string) (UserRef, bool) { r, ok := ix.users[id]; return r, ok }

// LookupGroup returns the group with the given ID.
func (ix *Index) LookupGroup(id string) (GroupRef, bool) { r, ok := ix.groups[id]; return r, ok }

// LookupResource returns the resource with the given ID.
func (ix *Index) LookupResource(id string) (ResourceRef, bool) {
	r, ok := ix.resources[id]
	return r, ok
}

// LookupServiceAccount returns the service account with the given ID.
func (ix *Index) LookupServiceAccount(id string) (ServiceAccountRef, bool) {
	r, ok := ix.accounts[id]
	return r, ok
}

// User returns the record of u.
func (ix *Index) User(u UserRef) *User { return &ix.state.Users[u] }

// Group returns the record of g.
func (ix *Index) Group(g GroupRef) *Group { return &ix.state.Groups[g] }

// Resource returns the record of r.
func (ix *Index) Resource(r ResourceRef) *Resource { return &ix.state.Resources[r] }

// ServiceAccount returns the record of a.
func (ix *Index) ServiceAccount(a ServiceAccountRef) *ServiceAccount {
	return &ix.state.ServiceAccounts[a]
}

// NumResources returns len(State.Resources): the bound of every ResourceRef.
func (ix *Index) NumResources() int { return len(ix.state.Resources) }

// UsersByName returns every distinct user sorted by userName (then ID). The slice is shared:
// do not modify it.
func (ix *Index) UsersByName() []UserRef { return ix.usersByName }

// Organization returns the organization resource, if the State holds one.
func (ix *Index) Organization() (ResourceRef, bool) { return ix.org, ix.org >= 0 }

// PublicCloud returns the cloud of r when r is a public project (of a cloud the State
// holds): everyone with an explicit role on that cloud is an implicit collaborator on r.
func (ix *Index) PublicCloud(r ResourceRef) (ResourceRef, bool) {
	c, ok := ix.publicCloud[r]
	return c, ok
}

// PublicProjects returns the public projects of cloud c, in State order. The slice is
// shared: do not modify it.
func (ix *Index) PublicProjects(c ResourceRef) []ResourceRef { return ix.publicProjects[c] }

// InActiveGroup reports whether u is a member of at least one active group. Membership is
// transitive only through active groups, so this is the same as being directly in one.
func (ix *Index) InActiveGroup(u UserRef) bool { return len(ix.userGroups.row(int32(u))) > 0 }

// ServiceAccountDirectRole returns the highest role a's own bindings grant on r, without the
// implicit org collaborator and without implicit (org-owner or public-project) access.
func (ix *Index) ServiceAccountDirectRole(a ServiceAccountRef, r ResourceRef) Role {
	var best Role
	for _, g := range ix.saGrants.row(int32(a)) {
		if g.res == r {
			best = MaxRole(best, g.role)
		}
	}
	return best
}

func (ix *Index) lookupUser(id string) (UserRef, error) {
	u, ok := ix.users[id]
	if !ok {
		return 0, fmt.Errorf("%w: %q", ErrUnknownUser, id)
	}
	return u, nil
}

func (ix *Index) lookupResource(id string) (ResourceRef, error) {
	r, ok := ix.resources[id]
	if !ok {
		return 0, fmt.Errorf("%w: %q", ErrUnknownResource, id)
	}
	return r, nil
}

func (ix *Index) lookupAccount(id string) (ServiceAccountRef, error) {
	a, ok := ix.accounts[id]
	if !ok {
		return 0, fmt.Errorf("%w: %q", ErrUnknownServiceAccount, id)
	}
	return a, nil
}
