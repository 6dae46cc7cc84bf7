package access

import (
	"cmp"
	"slices"
)

// Evaluator computes one user's raw roles at a time, reusing its buffers so that evaluating
// every user of a large org allocates almost nothing. "Raw" means: it ignores whether the
// user is active or removed and does not expand implicit (org-owner, public-project)
// access; callers that want effective access apply those rules (the Index methods do).
//
// An Evaluator is not safe for concurrent use; make one per goroutine.
type Evaluator struct {
	ix      *Index
	seen    []uint32 // per group: gen when last reached
	gen     uint32
	reached []GroupRef
	group   []Role // per resource: highest role from the user's active groups
	direct  []Role // per resource: highest role from the user's direct bindings
	touched []ResourceRef
}

// NewEvaluator returns an Evaluator over ix.
func (ix *Index) NewEvaluator() *Evaluator {
	n := ix.NumResources()
	return &Evaluator{
		ix:     ix,
		seen:   make([]uint32, len(ix.state.Groups)),
		group:  make([]Role, n),
		direct: make([]Role, n),
	}
}

// Load evaluates u, replacing what the Evaluator held before. It walks the active groups u
// is in (breadth-first from the groups u is directly in, up through active parents; each
// group once, so membership cycles end) and records the highest role per resource from
// those groups and from u's direct bindings.
func (e *Evaluator) Load(u UserRef) {
	ix := e.ix
	for _, r := range e.touched {
		e.group[r], e.direct[r] = RoleNone, RoleNone
	}
	e.touched = e.touched[:0]
	e.reached = e.reached[:0]
	e.gen++
	if e.gen == 0 { // wrapped: stale stamps could alias the new generation
		clear(e.seen)
		e.gen = 1
	}
	for _, g := range ix.userGroups.row(int32(u)) {
		if e.seen[g] != e.gen {
			e.seen[g] = e.gen
			e.reached = append(e.reached, g)
		}
	}
	for i := 0; i < len(e.reached); i++ {
		g := e.reached[i]
		for _, gr := range ix.groupGrants.row(int32(g)) {
			e.touch(gr.res)
			if gr.role > e.group[gr.res] {
				e.group[gr.res] = gr.role
			}
		}
		for _, p := range ix.groupParents.row(int32(g)) {
			if e.seen[p] != e.gen {
				e.seen[p] = e.gen
				e.reached = append(e.reached, p)
			}
		}
	}
	for _, gr := range ix.userGrants.row(int32(u)) {
		e.touch(gr.res)
		if gr.role > e.direct[gr.res] {
			e.direct[gr.res] = gr.role
		}
	}
}

// touch records r as holding something; bindings of RoleNone are dropped at index build, so
// "both roles still none" means r is not yet recorded.
func (e *Evaluator) touch(r ResourceRef) {
	if e.group[r] == RoleNone && e.direct[r] == RoleNone {
		e.touched = append(e.touched, r)
	}
}

// Resources returns the resources on which the loaded user has a direct or group role, in
// no particular order. The slice is reused by the next Load.
func (e *Evaluator) Resources() []ResourceRef { return e.touched }

// Groups returns the active groups the loaded user belongs to, transitively, in
// breadth-first order. The slice is reused by the next Load.
func (e *Evaluator) Groups() []GroupRef { return e.reached }

// GroupRole returns the highest role the loaded user's active groups grant on r.
func (e *Evaluator) GroupRole(r ResourceRef) Role { return e.group[r] }

// DirectRole returns the highest role the loaded user's direct bindings grant on r.
func (e *Evaluator) DirectRole(r ResourceRef) Role { return e.direct[r] }

// Role returns the loaded user's explicit role on r: the higher of GroupRole and DirectRole.
func (e *Evaluator) Role(r ResourceRef) Role { return MaxRole(e.group[r], e.direct[r]) }

func (ix *Index) evaluator() *Evaluator    { return ix.pool.Get().(*Evaluator) }
func (ix *Index) release(e *Evaluator)     { ix.pool.Put(e) }
func (ix *Index) isOrg(r ResourceRef) bool { return r == ix.org && r >= 0 }

// Access is a principal's effective role on one resource.
type Access struct {
	Role Role `json:"role"`
	// Implicit is true when Role comes only from implicit access (org owners act as owner on
	// every cloud and project; a public project makes its cloud's role holders
	// collaborators; service accounts are always org collaborators): no binding on the
	// resource grants that much.
	Implicit bool `json:"implicit"`
	// Public is true when the implicit role comes from the resource being a public project
	// whose cloud the principal holds a role on.
	Public bool `json:"public,omitempty"`
}

// effective applies implicit access to the explicit role on r: org owners (orgRole owner)
// act as owner on every cloud and project; a public project gives collaborator to whoever
// holds an explicit role on its cloud (cloudRole, RoleNone when r is not public). The
// highest wins; an explicit role as high as the implicit one is reported as explicit.
func (ix *Index) effective(explicit Role, r ResourceRef, orgRole, cloudRole Role) Access {
	if !ix.isOrg(r) && orgRole == RoleOwner && explicit < RoleOwner {
		return Access{Role: RoleOwner, Implicit: true}
	}
	if cloudRole != RoleNone && explicit < RoleCollaborator {
		return Access{Role: RoleCollaborator, Implicit: true, Public: true}
	}
	return Access{Role: explicit}
}

// cloudRole returns role on the cloud of r when r is a public project, else RoleNone: the
// role that decides whether the public project gives collaborator.
func (ix *Index) cloudRole(r ResourceRef, role func(ResourceRef) Role) Role {
	if c, ok := ix.publicCloud[r]; ok {
		return role(c)
	}
	return RoleNone
}

// PublicRole is role(r) raised to collaborator when r is a public project and role gives
// something on its cloud: the role bindings give on r, org ownership aside. It is what the
// enforce preview, the rules preview and change events compare per resource.
func (ix *Index) PublicRole(r ResourceRef, role func(ResourceRef) Role) Role {
	if c, ok := ix.publicCloud[r]; ok && role(c) != RoleNone {
		return MaxRole(role(r), RoleCollaborator)
	}
	return role(r)
}

// EffectiveRole returns the user's effective role on the resource: the highest role among
// the user's direct bindings on it and the bindings of every active group the user belongs
// to (transitively); implicit owner when the user is an org owner; implicit collaborator
// when the resource is a public project and the user holds a role on its cloud. Cloud roles
// reach projects in no other way. Inactive and removed users hold nothing.
func (ix *Index) EffectiveRole(userID, resourceID string) (Access, error) {
	u, err := ix.lookupUser(userID)
	if err != nil {
		return Access{}, err
	}
	r, err := ix.lookupResource(resourceID)
	if err != nil {
		return Access{}, err
	}
	if !ix.User(u).Holds() {
		return Access{}, nil
	}
	e := ix.evaluator()
	defer ix.release(e)
	e.Load(u)
	var orgRole Role
	if ix.org >= 0 {
		orgRole = e.Role(ix.org)
	}
	return ix.effective(e.Role(r), r, orgRole, ix.cloudRole(r, e.Role)), nil
}

// Grant is one resource on which a principal holds an effective role.
type Grant struct {
	ResourceID string `json:"resourceId"`
	Name       string `json:"name"`
	Kind       Kind   `json:"kind"`
	// ParentID is a project's cloud.
	ParentID string `json:"parentId,omitempty"`
	Access
}

// UserAccess lists every resource on which the user holds an effective role, implicit
// access included (an org owner is listed on every cloud and project, a cloud role holder
// on the cloud's public projects), sorted by kind
// (organization, clouds, projects) then name. Inactive and removed users hold nothing.
func (ix *Index) UserAccess(userID string) ([]Grant, error) {
	u, err := ix.lookupUser(userID)
	if err != nil {
		return nil, err
	}
	if !ix.User(u).Holds() {
		return []Grant{}, nil
	}
	e := ix.evaluator()
	defer ix.release(e)
	e.Load(u)
	return ix.listAccess(e.Role), nil
}

// listAccess lists the resources where role (explicit) or implicit access gives something.
func (ix *Index) listAccess(role func(ResourceRef) Role) []Grant {
	var orgRole Role
	if ix.org >= 0 {
		orgRole = role(ix.org)
	}
	out := []Grant{}
	for i := range ix.state.Resources {
		r := ResourceRef(i)
		if ix.resources[ix.state.Resources[i].ID] != r {
			continue // duplicate ID
		}
		a := ix.effective(role(r), r, orgRole, ix.cloudRole(r, role))
		if a.Role == RoleNone {
			continue
		}
		res := ix.Resource(r)
		out = append(out, Grant{ResourceID: res.ID, Name: res.Name, Kind: res.Kind, ParentID: res.ParentID, Access: a})
	}
	sortGrants(out)
	return out
}

func sortGrants(gs []Grant) {
	slices.SortFunc(gs, func(a, b Grant) int {
		return cmp.Or(cmp.Compare(a.Kind, b.Kind), cmp.Compare(a.Name, b.Name), cmp.Compare(a.ResourceID, b.ResourceID))
	})
}

// serviceAccountAccess is a's explicit role on r plus implicit access: org collaborator,
// owner everywhere as an org owner, collaborator on the public projects of its clouds.
func (ix *Index) serviceAccountAccess(a ServiceAccountRef, r ResourceRef) Access {
	explicit := ix.ServiceAccountDirectRole(a, r)
	if ix.isOrg(r) {
		if explicit < RoleCollaborator {
			return Access{Role: RoleCollaborator, Implicit: true}
		}
		return Access{Role: explicit}
	}
	var orgRole Role
	if ix.org >= 0 {
		orgRole = ix.ServiceAccountDirectRole(a, ix.org)
	}
	direct := func(c ResourceRef) Role { return ix.ServiceAccountDirectRole(a, c) }
	return ix.effective(explicit, r, orgRole, ix.cloudRole(r, direct))
}

// ServiceAccountRole returns a service account's effective role on a resource: the highest
// role of its own bindings there; on the organization at least collaborator (implicit, since
// a service account is always an org collaborator); and, like users, implicit owner on every
// cloud and project when it is an org owner and implicit collaborator on the public projects
// of the clouds it holds a role on.
func (ix *Index) ServiceAccountRole(accountID, resourceID string) (Access, error) {
	a, err := ix.lookupAccount(accountID)
	if err != nil {
		return Access{}, err
	}
	r, err := ix.lookupResource(resourceID)
	if err != nil {
		return Access{}, err
	}
	return ix.serviceAccountAccess(a, r), nil
}

// ServiceAccountAccess lists every resource on which the service account holds an effective
// role, sorted like UserAccess.
func (ix *Index) ServiceAccountAccess(accountID string) ([]Grant, error) {
	a, err := ix.lookupAccount(accountID)
	if err != nil {
		return nil, err
	}
	out := []Grant{}
	for i := range ix.state.Resources {
		r := ResourceRef(i)
		if ix.resources[ix.state.Resources[i].ID] != r {
			continue
		}
		acc := ix.serviceAccountAccess(a, r)
		if acc.Role == RoleNone {
			continue
		}
		res := ix.Resource(r)
		out = append(out, Grant{ResourceID: res.ID, Name: res.Name, Kind: res.Kind, ParentID: res.ParentID, Access: acc})
	}
	sortGrants(out)
	return out, nil
}

// UserGroups returns the active groups the user belongs to, directly or through nested
// active groups, sorted by display name. An inactive user still belongs to its groups (it
// just holds nothing), so they are listed.
func (ix *Index) UserGroups(userID string) ([]Group, error) {
	u, err := ix.lookupUser(userID)
	if err != nil {
		return nil, err
	}
	e := ix.evaluator()
	defer ix.release(e)
	e.Load(u)
	out := make([]Group, 0, len(e.Groups()))
	for _, g := range e.Groups() {
		out = append(out, *ix.Group(g))
	}
	slices.SortFunc(out, func(a, b Group) int {
		return cmp.Or(cmp.Compare(a.DisplayName, b.DisplayName), cmp.Compare(a.ID, b.ID))
	})
	return out, nil
}
