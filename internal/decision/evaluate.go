package decision

import (
	"cmp"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/rolecall/rolecall/internal/access"
)

// SubjectType is the kind of principal a decision is about.
type SubjectType uint8

// The subject types. Groups are not subjects: a group does nothing, its members do.
const (
	SubjectUser SubjectType = iota + 1
	SubjectServiceAccount
)

// String returns the wire name: "user" or "service_account".
func (t SubjectType) String() string {
	switch t {
	case SubjectUser:
		return "user"
	case SubjectServiceAccount:
		return "service_account"
	}
	return fmt.Sprintf("SubjectType(%d)", uint8(t))
}

// ParseSubjectType parses a wire name as written by SubjectType.String.
func ParseSubjectType(s string) (SubjectType, bool) {
	switch s {
	case "user":
		return SubjectUser, true
	case "service_account":
		return SubjectServiceAccount, true
	}
	return 0, false
}

// Subject names a user or a service account. By default ID is the name: a user's
// userName, a service account's name, both compared after Fold. With ByID, ID is the
// record's ID instead (a user's SCIM id), compared exactly. The two never mix: a caller
// says which it means, so a userName that looks like an ID is never taken for one.
type Subject struct {
	Type SubjectType
	ID   string
	ByID bool
}

// Resource names a resource by kind and name (compared after Fold; names are unique per
// kind within an organization). The organization is named by its own name.
type Resource struct {
	Kind access.Kind
	Name string
}

// Query is one access question: may Subject do Action on Resource?
type Query struct {
	Subject  Subject
	Action   string
	Resource Resource
	// Explain asks for the sources of the subject's role in the Decision.
	Explain bool
}

// Reason says why a decision came out as it did, in a stable machine-readable form.
type Reason string

// The reasons. Every deny has one; an allow has ReasonAllowed.
const (
	ReasonAllowed             Reason = "allowed"
	ReasonInsufficientRole    Reason = "insufficient_role"
	ReasonUnknownSubjectType  Reason = "unknown_subject_type"
	ReasonUnknownSubject      Reason = "unknown_subject"
	ReasonSubjectInactive     Reason = "subject_inactive"
	ReasonSubjectRemoved      Reason = "subject_removed"
	ReasonUnknownResourceType Reason = "unknown_resource_type"
	ReasonUnknownResource     Reason = "unknown_resource"
	ReasonUnknownAction       Reason = "unknown_action"
	ReasonActionNotDefined    Reason = "action_not_defined_for_resource_type"
)

// Decision is the answer to a Query.
type Decision struct {
	Allowed bool
	Reason  Reason
	// Role is the subject's effective role on the resource (RoleNone when it holds nothing
	// or does not exist); Implicit is true when only implicit access gives it, and Public
	// when that implicit access is a public project's (see access.Access).
	Role     access.Role
	Implicit bool
	Public   bool
	// Required is the minimum role the action needs on the resource's kind; RoleNone when
	// the action is unknown or not defined there.
	Required access.Role
	// Revision is the revision of the state the decision was computed at.
	Revision uint64
	// Sources (with Query.Explain, for a subject and resource that exist) lists every
	// source of the subject's role, ordered as access.Explain orders them. For an inactive
	// or removed user they are what would apply were it active.
	Sources []access.Source
	// ImplicitCollaborator (with Query.Explain) is set for a service account on the
	// organization: service accounts are always org collaborators, a source access.Source
	// has no kind for.
	ImplicitCollaborator bool

	q       Query  // for Message
	resName string // the resource's own spelling of its name
}

// Message says what Reason says in words a person can act on. It is built on demand so
// that the hot path of a deny allocates nothing.
func (d Decision) Message() string {
	q := d.q
	switch d.Reason {
	case ReasonAllowed:
		return fmt.Sprintf("the %s holds role %s on %s %q; action %q needs %s", q.Subject.Type, d.Role, q.Resource.Kind, d.resName, q.Action, d.Required)
	case ReasonInsufficientRole:
		held := "no role"
		if d.Role != access.RoleNone {
			held = "role " + d.Role.String()
		}
		return fmt.Sprintf("action %q on %s %q needs role %s or more; the %s holds %s",
			q.Action, q.Resource.Kind, d.resName, d.Required, q.Subject.Type, held)
	case ReasonUnknownSubjectType:
		return "unknown subject type; valid types: user, service_account"
	case ReasonUnknownSubject:
		by := "named"
		if q.Subject.ByID {
			by = "with id"
		}
		return fmt.Sprintf("no %s %s %q in this organization", q.Subject.Type, by, q.Subject.ID)
	case ReasonSubjectInactive:
		return fmt.Sprintf("user %q is inactive and holds no access", q.Subject.ID)
	case ReasonSubjectRemoved:
		return fmt.Sprintf("user %q was removed from the organization and holds no access", q.Subject.ID)
	case ReasonUnknownResourceType:
		return "unknown resource type; valid types: organization, cloud, project"
	case ReasonUnknownResource:
		return fmt.Sprintf("no %s named %q in this organization", q.Resource.Kind, q.Resource.Name)
	case ReasonUnknownAction:
		return fmt.Sprintf("unknown action %q; built-in actions: %s, or one of the organization's custom actions",
			q.Action, strings.Join(BuiltinActions(), ", "))
	case ReasonActionNotDefined:
		return fmt.Sprintf("action %q is not defined on a %s", q.Action, q.Resource.Kind)
	}
	return string(d.Reason)
}

// AppendMessage appends Message() to b. The most common deny of a busy gateway, an
// insufficient role, is written without fmt (a batch of 100 evaluations spent a quarter of
// its decision time formatting it); other reasons use Message.
func (d Decision) AppendMessage(b []byte) []byte {
	if d.Reason != ReasonInsufficientRole {
		return append(b, d.Message()...)
	}
	q := d.q
	b = append(b, "action "...)
	b = strconv.AppendQuote(b, q.Action)
	b = append(b, " on "...)
	b = append(b, q.Resource.Kind.String()...)
	b = append(b, ' ')
	b = strconv.AppendQuote(b, d.resName)
	b = append(b, " needs role "...)
	b = append(b, d.Required.String()...)
	b = append(b, " or more; the "...)
	b = append(b, q.Subject.Type.String()...)
	if d.Role == access.RoleNone {
		return append(b, " holds no role"...)
	}
	b = append(b, " holds role "...)
	return append(b, d.Role.String()...)
}

// Evaluate answers q at the index's current revision. An unknown subject, resource or
// action is a deny with a reason, never an error.
func (ix *Index) Evaluate(q Query) Decision {
	ix.mu.RLock()
	defer ix.mu.RUnlock()
	return ix.evaluate(q)
}

// View is a consistent read of the index: every answer of one View is at the same revision.
// It is valid only inside the Read callback that received it.
type View struct{ ix *Index }

// Read calls fn with a View of the index, holding writers off until fn returns. A batch of
// evaluations uses one Read so that all its answers are at one revision. fn must be short
// and must not call the Index's own methods (they would take the lock again, and a writer
// waiting between the two would deadlock them).
func (ix *Index) Read(fn func(v View)) {
	ix.mu.RLock()
	defer ix.mu.RUnlock()
	fn(View{ix})
}

// Revision returns the revision the View reads.
func (v View) Revision() uint64 { return v.ix.rev }

// Evaluate is Index.Evaluate within the View.
func (v View) Evaluate(q Query) Decision { return v.ix.evaluate(q) }

// subjectRef is a resolved subject: a user or service-account slot.
type subjectRef struct {
	typ  SubjectType
	slot int32
}

// resolveSubject finds s; reason is set when it cannot be found.
func (ix *Index) resolveSubject(s Subject) (subjectRef, Reason) {
	var (
		slot int32
		ok   bool
	)
	switch s.Type {
	case SubjectUser:
		if s.ByID {
			slot, ok = ix.userByID[s.ID]
		} else {
			slot, ok = ix.userByName[Fold(s.ID)]
		}
		ok = ok && ix.users[slot].exists
	case SubjectServiceAccount:
		if s.ByID {
			slot, ok = ix.acctByID[s.ID]
		} else {
			slot, ok = ix.acctByName[Fold(s.ID)]
		}
		ok = ok && ix.accounts[slot].exists
	default:
		return subjectRef{}, ReasonUnknownSubjectType
	}
	if !ok {
		return subjectRef{}, ReasonUnknownSubject
	}
	return subjectRef{s.Type, slot}, ""
}

// resolveResource finds r among existing resources.
func (ix *Index) resolveResource(r Resource) (int32, Reason) {
	if r.Kind < access.KindOrganization || r.Kind > access.KindProject {
		return -1, ReasonUnknownResourceType
	}
	s, ok := ix.resByName[r.Kind][Fold(r.Name)]
	if !ok || !ix.res[s].exists {
		return -1, ReasonUnknownResource
	}
	return s, ""
}

func (ix *Index) evaluate(q Query) Decision {
	d := Decision{Revision: ix.rev, q: q}
	sub, why := ix.resolveSubject(q.Subject)
	if why != "" {
		d.Reason = why
		return d
	}
	r, why := ix.resolveResource(q.Resource)
	if why != "" {
		d.Reason = why
		return d
	}
	d.resName = ix.res[r].name
	d.Required, d.Reason = ix.required(q.Action, q.Resource.Kind)
	if sub.typ == SubjectUser {
		sc := ix.getScratch()
		defer ix.scratch.Put(sc)
		if d.Reason == "" {
			if d.Reason = ix.inactive(sub); d.Reason == "" {
				d.setAccess(ix.userRole(sub.slot, r, sc))
			}
		}
		if q.Explain {
			d.Sources = ix.userSources(sub.slot, r, sc)
		}
	} else {
		if d.Reason == "" {
			d.setAccess(ix.accountRole(sub.slot, r))
		}
		if q.Explain {
			d.Sources = ix.accountSources(sub.slot, r)
			d.ImplicitCollaborator = r == ix.org
		}
	}
	switch {
	case d.Reason != "":
	case d.Role >= d.Required:
		d.Allowed, d.Reason = true, ReasonAllowed
	default:
		d.Reason = ReasonInsufficientRole
	}
	return d
}

func (d *Decision) setAccess(a access.Access) {
	d.Role, d.Implicit, d.Public = a.Role, a.Implicit, a.Public
}

// scratch is per-call working memory: generation-stamped marks over groups and users (so
// clearing is free) and a reusable queue.
type scratch struct {
	gen    uint32
	groups []uint32
	users  []uint32
	queue  []int32
	roles  []access.Role // per resource slot, for resource search
	touch  []int32
}

func (ix *Index) getScratch() *scratch {
	sc := ix.scratch.Get().(*scratch)
	sc.gen++
	if sc.gen == 0 { // wrapped: old stamps could alias the new generation
		clear(sc.groups)
		clear(sc.users)
		sc.gen = 1
	}
	if len(sc.groups) < len(ix.groups) {
		sc.groups = make([]uint32, len(ix.groups)+len(ix.groups)/8)
	}
	return sc
}

// markUsers makes the user marks cover every user slot (only subject search needs them).
func (sc *scratch) markUsers(n int) {
	if len(sc.users) < n {
		sc.users = make([]uint32, n+n/8)
	}
}

// reachGroups fills sc.queue with the live groups user u belongs to, transitively, in
// breadth-first order: membership passes only through live (existing, active) groups.
func (ix *Index) reachGroups(u int32, sc *scratch) []int32 {
	q := sc.queue[:0]
	for _, g := range ix.users[u].groups {
		if sc.groups[g] != sc.gen && ix.groups[g].live() {
			sc.groups[g] = sc.gen
			q = append(q, g)
		}
	}
	for i := 0; i < len(q); i++ {
		for _, p := range ix.groups[q[i]].parents {
			if sc.groups[p] != sc.gen && ix.groups[p].live() {
				sc.groups[p] = sc.gen
				q = append(q, p)
			}
		}
	}
	sc.queue = q
	return q
}

// orgSlot returns the organization resource, or -1 (then nobody is an implicit owner).
func (ix *Index) orgSlot() int32 { return ix.org }

// implicit applies implicit access to an explicit role on r given the role on the
// organization and, when r is a public project, the explicit role on its cloud (RoleNone
// otherwise): org owners act as owner on every cloud and project, and a public project
// gives collaborator to whoever holds a role on its cloud. The same rule as access's.
func (ix *Index) implicit(explicit access.Role, r int32, orgRole, cloudRole access.Role) access.Access {
	if r != ix.org && orgRole == access.RoleOwner && explicit < access.RoleOwner {
		return access.Access{Role: access.RoleOwner, Implicit: true}
	}
	if cloudRole != access.RoleNone && explicit < access.RoleCollaborator {
		return access.Access{Role: access.RoleCollaborator, Implicit: true, Public: true}
	}
	return access.Access{Role: explicit}
}

// publicCloud returns the slot of r's cloud when r is a public project of an existing
// cloud, else -1. A public project whose parent is gone or is not a cloud gives nothing,
// as in access, where such a parent is simply not in the State.
func (ix *Index) publicCloud(r int32) int32 {
	rec := &ix.res[r]
	if !rec.public || rec.kind != access.KindProject {
		return -1
	}
	if c, ok := ix.resByID[rec.parent]; ok && ix.res[c].exists && ix.res[c].kind == access.KindCloud {
		return c
	}
	return -1
}

// inClosure reports whether a live group in closure (sorted) holds any role on r.
func (ix *Index) inClosure(r int32, closure []int32) bool {
	for _, gg := range ix.res[r].groupGrants {
		if _, in := slices.BinarySearch(closure, gg.group); in {
			return true
		}
	}
	return false
}

// closure returns the sorted slots of the live groups user u belongs to, transitively,
// from the cache or computed (and cached) now.
func (ix *Index) closure(u int32, sc *scratch) []int32 {
	if c := ix.users[u].closure.Load(); c != nil {
		return *c
	}
	c := slices.Clone(ix.reachGroups(u, sc))
	slices.Sort(c)
	ix.users[u].closure.Store(&c)
	return c
}

// userRole is the effective role of user u on resource r, ignoring whether u is active
// (the caller checked): the highest role of its own bindings and of every live group it
// belongs to, then implicit access. The group part scans the group bindings of r (and of
// the organization, and of a public project's cloud) against u's cached closure: a few
// contiguous cache lines, instead of visiting every group u is in.
func (ix *Index) userRole(u, r int32, sc *scratch) access.Access {
	org, cloud := ix.orgSlot(), ix.publicCloud(r)
	var explicit, orgRole, cloudRole access.Role
	for _, g := range ix.users[u].grants {
		if g.res == r {
			explicit = max(explicit, g.role)
		}
		if g.res == org {
			orgRole = max(orgRole, g.role)
		}
		if g.res == cloud { // cloud is -1, which no grant names, unless r is public
			cloudRole = max(cloudRole, g.role)
		}
	}
	closure := ix.closure(u, sc)
	if len(closure) > 0 {
		for _, gg := range ix.res[r].groupGrants {
			if gg.role > explicit {
				if _, in := slices.BinarySearch(closure, gg.group); in {
					explicit = gg.role
				}
			}
		}
		if org >= 0 && r != org && orgRole < access.RoleOwner {
			for _, gg := range ix.res[org].groupGrants {
				if gg.role == access.RoleOwner {
					if _, in := slices.BinarySearch(closure, gg.group); in {
						orgRole = access.RoleOwner
						break
					}
				}
			}
		}
		if cloud >= 0 && cloudRole == access.RoleNone && ix.inClosure(cloud, closure) {
			cloudRole = access.RoleReadonly // any role on the cloud will do
		}
	}
	return ix.implicit(explicit, r, orgRole, cloudRole)
}

// accountRole is a service account's effective role on r: its own bindings; on the
// organization at least collaborator (service accounts are always org collaborators);
// implicit owner elsewhere when it is an org owner; collaborator on the public projects of
// the clouds it holds a role on.
func (ix *Index) accountRole(a, r int32) access.Access {
	org, cloud := ix.orgSlot(), ix.publicCloud(r)
	var explicit, orgRole, cloudRole access.Role
	for _, g := range ix.accounts[a].grants {
		if g.res == r {
			explicit = max(explicit, g.role)
		}
		if g.res == org {
			orgRole = max(orgRole, g.role)
		}
		if g.res == cloud {
			cloudRole = max(cloudRole, g.role)
		}
	}
	if r == org && r >= 0 {
		if explicit < access.RoleCollaborator {
			return access.Access{Role: access.RoleCollaborator, Implicit: true}
		}
		return access.Access{Role: explicit}
	}
	return ix.implicit(explicit, r, orgRole, cloudRole)
}

// userSources lists the sources of user u's role on r exactly as access.Explain does: its
// direct bindings, the bindings of each live group it reaches (with a shortest path of
// display names, ties to the alphabetically first), implicit org-owner access and a public
// project's implicit collaborator.
func (ix *Index) userSources(u, r int32, sc *scratch) []access.Source {
	out := []access.Source{}
	org, cloud := ix.orgSlot(), ix.publicCloud(r)
	orgOwner, cloudHeld := false, false
	for _, g := range ix.users[u].grants {
		if g.res == r {
			out = append(out, access.Source{Kind: access.SourceDirect, Role: g.role, BindingID: ix.binds[g.bind].id})
		}
		if g.res == org && g.role == access.RoleOwner {
			orgOwner = true
		}
		cloudHeld = cloudHeld || g.res == cloud
	}
	for _, p := range ix.groupPaths(u) {
		g := p[len(p)-1]
		for _, gr := range ix.groups[g].grants {
			if gr.res == org && gr.role == access.RoleOwner {
				orgOwner = true
			}
			cloudHeld = cloudHeld || gr.res == cloud
			if gr.res != r {
				continue
			}
			names := make([]string, len(p))
			for i, pg := range p {
				names[i] = ix.groups[pg].name
			}
			out = append(out, access.Source{Kind: access.SourceGroup, Role: gr.role, BindingID: ix.binds[gr.bind].id,
				GroupID: ix.groups[g].id, GroupName: ix.groups[g].name, Path: names})
		}
	}
	if orgOwner && r != org {
		out = append(out, access.Source{Kind: access.SourceImplicitOwner, Role: access.RoleOwner})
	}
	if cloudHeld {
		out = append(out, access.Source{Kind: access.SourcePublicProject, Role: access.RoleCollaborator})
	}
	sortSources(out)
	return out
}

func (ix *Index) accountSources(a, r int32) []access.Source {
	out := []access.Source{}
	org, cloud := ix.orgSlot(), ix.publicCloud(r)
	orgOwner, cloudHeld := false, false
	for _, g := range ix.accounts[a].grants {
		if g.res == r {
			out = append(out, access.Source{Kind: access.SourceDirect, Role: g.role, BindingID: ix.binds[g.bind].id})
		}
		if g.res == org && g.role == access.RoleOwner {
			orgOwner = true
		}
		cloudHeld = cloudHeld || g.res == cloud
	}
	if orgOwner && r != org {
		out = append(out, access.Source{Kind: access.SourceImplicitOwner, Role: access.RoleOwner})
	}
	if cloudHeld {
		out = append(out, access.Source{Kind: access.SourcePublicProject, Role: access.RoleCollaborator})
	}
	sortSources(out)
	return out
}

// sortSources orders sources as access.Explain does: highest role first, then direct,
// group, implicit org owner, public project, then group name and binding ID.
func sortSources(s []access.Source) {
	slices.SortFunc(s, func(a, b access.Source) int {
		return cmp.Or(cmp.Compare(b.Role, a.Role), cmp.Compare(a.Kind, b.Kind),
			cmp.Compare(a.GroupName, b.GroupName), cmp.Compare(a.BindingID, b.BindingID))
	})
}

// groupPaths returns, for every live group u reaches, a shortest chain of groups from one u
// is directly in to it, choosing among equally short chains as access does: breadth-first
// over groups in display-name order (then ID; access breaks that last tie by position in
// the State, and names are unique per organization in a store).
func (ix *Index) groupPaths(u int32) [][]int32 {
	live := func(gs []int32) []int32 {
		out := make([]int32, 0, len(gs))
		for _, g := range gs {
			if ix.groups[g].live() {
				out = append(out, g)
			}
		}
		return out
	}
	return access.GroupPaths(live(ix.users[u].groups),
		func(g int32) []int32 { return live(ix.groups[g].parents) },
		func(a, b int32) int {
			return cmp.Or(cmp.Compare(ix.groups[a].name, ix.groups[b].name), cmp.Compare(ix.groups[a].id, ix.groups[b].id))
		})
}

// inactive returns why a resolved subject holds nothing, or "".
func (ix *Index) inactive(sub subjectRef) Reason {
	if sub.typ != SubjectUser {
		return ""
	}
	switch u := &ix.users[sub.slot]; {
	case !u.active:
		return ReasonSubjectInactive
	case u.removed:
		return ReasonSubjectRemoved
	}
	return ""
}
