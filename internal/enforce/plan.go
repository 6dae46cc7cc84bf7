// Package enforce owns the enforce-groups planner: given one organization's access State it
// computes what every user experiences when all direct user bindings are removed and users
// in no active group are removed (the Plan), a fingerprint of exactly the state the plan
// depends on (so that apply can refuse when anything changed since the preview), and the
// Plan's JSON form, which is also its wire form in the admin API. How a plan is shown is up to
// each interface (the CLI's reference text is in cli/enforcetext, the console's table in its
// templates): the planner holds no presentation strings.
//
// The package is pure: it imports only the standard library, package access and csvsafe
// (its CSV export).
package enforce

import (
	"cmp"
	"slices"

	"github.com/rolecall/rolecall/internal/access"
)

// SchemaVersion is the version of the Plan JSON document (see docs/enforce-plan.md). It changes only
// when a field changes meaning or disappears; adding a field does not change it.
const SchemaVersion = 1

// Plan is what enforce-groups would do to one organization. Its JSON form is the stable
// document of docs/enforce-plan.md.
type Plan struct {
	SchemaVersion int `json:"schemaVersion"`
	// Fingerprint identifies the state the plan was computed from; apply recomputes it in
	// its transaction and refuses when it differs.
	Fingerprint string `json:"fingerprint"`
	// Users lists, by userName, every user whose effective access changes, with the changes.
	// Users being removed are not listed here.
	Users []UserChanges `json:"users"`
	// RemovedUsers lists, by userName, the users in no active group that apply deactivates
	// and marks removed.
	RemovedUsers []RemovedUser `json:"removedUsers"`
	// Exempt lists, by userName, the break-glass users apply leaves as they are: their
	// direct bindings stay and they are never removed. They appear nowhere else in the plan.
	Exempt []ExemptUser `json:"exempt"`
	// DeleteBindings is the number of direct user bindings apply deletes: all of them except
	// exempt users'.
	DeleteBindings int `json:"deleteBindings"`
	// OwnerAfter reports whether the organization still has an owner after apply: an
	// active, non-removed user who is org owner through an active group, or a service
	// account with an org owner binding. Callers refuse to apply when it is false, unless
	// told to allow it.
	OwnerAfter bool    `json:"ownerAfter"`
	Summary    Summary `json:"summary"`
	// Deletions holds the full records of the bindings apply deletes, in State order: what a
	// restore point must keep. Left out of JSON because it can hold 500,000 entries.
	Deletions []access.Binding `json:"-"`
}

// UserChanges is one user's access changes.
type UserChanges struct {
	UserName string  `json:"userName"`
	UserID   string  `json:"userId"`
	Changes  Changes `json:"changes"`
}

// Changes groups one user's changes by resource kind, each list sorted by resource name.
type Changes struct {
	Clouds   []Change `json:"clouds"`
	Projects []Change `json:"projects"`
	// Organization is nil when the user's org role does not change.
	Organization *Change `json:"organization"`
}

// Change is one resource on which a user's effective role drops. After is access.RoleNone
// ("none" in JSON, "(removed)" in text) when nothing remains. Implicit org-owner access is
// not expanded into changes: it shows only through the organization change. A public
// project's implicit collaborator is part of Before and After like any role: a user whose
// only role on a cloud is direct loses the cloud's public projects too.
type Change struct {
	Resource   string      `json:"resource"`
	ResourceID string      `json:"resourceId"`
	Before     access.Role `json:"before"`
	After      access.Role `json:"after"`
}

// RemovedUser is a user apply removes from the organization.
type RemovedUser struct {
	UserName string `json:"userName"`
	UserID   string `json:"userId"`
	// Active is the user's current active flag, which undo restores.
	Active bool `json:"active"`
}

// ExemptUser is a user enforce-groups leaves as it is.
type ExemptUser struct {
	UserName string `json:"userName"`
	UserID   string `json:"userId"`
	// DirectGrants is how many direct bindings the user keeps.
	DirectGrants int `json:"directGrants"`
	// InGroup reports whether the user belongs to an active group: were it not exempt, a
	// user outside every group would be removed.
	InGroup bool `json:"inGroup"`
}

// Summary counts what the plan holds.
type Summary struct {
	Users        int `json:"users"`        // users the plan considered: every user not already removed
	UsersChanged int `json:"usersChanged"` // len(Users)
	Changes      int `json:"changes"`      // change lines over all users
	UsersRemoved int `json:"usersRemoved"` // len(RemovedUsers)
	UsersExempt  int `json:"usersExempt"`  // len(Exempt)
	OwnersBefore int `json:"ownersBefore"` // org owners (users and service accounts) now
	OwnersAfter  int `json:"ownersAfter"`  // org owners after apply
}

// Empty reports whether applying the plan would change nothing at all: no user's access
// changes, nobody is removed, and there is no direct user binding to delete.
func (p *Plan) Empty() bool {
	return len(p.Users) == 0 && len(p.RemovedUsers) == 0 && p.DeleteBindings == 0
}

// DeleteBindingIDs returns the IDs of the bindings apply deletes, in State order.
func (p *Plan) DeleteBindingIDs() []string {
	ids := make([]string, len(p.Deletions))
	for i := range p.Deletions {
		ids[i] = p.Deletions[i].ID
	}
	return ids
}

// Compute builds the index of s and plans it: the usual entry point.
func Compute(s *access.State) *Plan { return Build(access.NewIndex(s)) }

// Build plans the organization ix indexes, fingerprint included.
//
// Before is each user's effective role from all bindings; after is the role from active
// groups only. Both include a public project's implicit collaborator, from a role on its
// cloud through all bindings (before) or through active groups (after). A user's role can
// only drop, and it drops exactly where direct bindings give more than the user's groups
// do, on the resource or, for a public project, on its cloud. Implicit org-owner access is
// not expanded into cloud and project lines (it shows through the organization line), with one consequence
// taken from the users' perspective: a user who remains org owner through a group keeps
// owner everywhere, so none of its cloud or project lines is a real change and none is
// listed. Exempt users keep everything: they are listed apart, their bindings are not
// deleted, and an exempt org owner is still an owner afterwards.
func Build(ix *access.Index) *Plan {
	s := ix.State()
	p := &Plan{
		SchemaVersion: SchemaVersion,
		Users:         []UserChanges{},
		RemovedUsers:  []RemovedUser{},
		Exempt:        []ExemptUser{},
	}
	org, hasOrg := ix.Organization()
	e := ix.NewEvaluator()
	var scratch []kindChange
	for _, u := range ix.UsersByName() {
		user := ix.User(u)
		if user.Removed {
			continue
		}
		p.Summary.Users++
		inGroup := ix.InActiveGroup(u)
		if user.Exempt {
			p.Exempt = append(p.Exempt, ExemptUser{UserName: user.UserName, UserID: user.ID, InGroup: inGroup})
			if user.Active && hasOrg {
				e.Load(u)
				if e.Role(org) == access.RoleOwner {
					p.Summary.OwnersBefore++
					p.Summary.OwnersAfter++ // its direct grants stay
				}
			}
			continue
		}
		if !inGroup {
			p.RemovedUsers = append(p.RemovedUsers, RemovedUser{UserName: user.UserName, UserID: user.ID, Active: user.Active})
		}
		if !user.Active {
			continue
		}
		e.Load(u)
		if hasOrg {
			if e.Role(org) == access.RoleOwner {
				p.Summary.OwnersBefore++
			}
			if inGroup && e.GroupRole(org) == access.RoleOwner {
				p.Summary.OwnersAfter++
			}
		}
		if !inGroup {
			continue
		}
		scratch = scratch[:0]
		var orgChange *Change
		uc := UserChanges{UserName: user.UserName, UserID: user.ID}
		// A user who stays org owner through a group keeps implicit owner on every cloud
		// and project: from its perspective nothing below the org changes.
		ownerAfter := hasOrg && e.GroupRole(org) == access.RoleOwner
		consider := func(r access.ResourceRef) {
			before, after := ix.PublicRole(r, e.Role), ix.PublicRole(r, e.GroupRole)
			if before == after {
				return
			}
			res := ix.Resource(r)
			if ownerAfter && res.Kind != access.KindOrganization {
				return
			}
			c := Change{Resource: res.Name, ResourceID: res.ID, Before: before, After: after}
			switch res.Kind {
			case access.KindOrganization:
				if r == org {
					orgChange = &c
				}
			case access.KindCloud, access.KindProject:
				scratch = append(scratch, kindChange{c, res.Kind})
			}
		}
		for _, r := range e.Resources() {
			consider(r)
		}
		// The public projects of the user's clouds on which it holds no role of its own:
		// its access there comes only from the cloud, so only the cloud can take it away.
		// A project belongs to one cloud, so each is considered once.
		for _, c := range e.Resources() {
			for _, r := range ix.PublicProjects(c) {
				if e.Role(r) == access.RoleNone {
					consider(r)
				}
			}
		}
		if len(scratch) == 0 && orgChange == nil {
			continue
		}
		uc.Changes = splitChanges(scratch)
		uc.Changes.Organization = orgChange
		p.Summary.Changes += len(uc.Changes.Clouds) + len(uc.Changes.Projects)
		if orgChange != nil {
			p.Summary.Changes++
		}
		p.Users = append(p.Users, uc)
	}
	if hasOrg {
		// Service-account bindings never change, so an owning account counts before and after.
		owning := make([]bool, len(s.ServiceAccounts))
		for i := range s.Bindings {
			b := &s.Bindings[i]
			if b.PrincipalType != access.PrincipalServiceAccount || b.Role != access.RoleOwner {
				continue
			}
			a, ok := ix.LookupServiceAccount(b.PrincipalID)
			if r, rok := ix.LookupResource(b.ResourceID); ok && rok && r == org && !owning[a] {
				owning[a] = true
				p.Summary.OwnersBefore++
				p.Summary.OwnersAfter++
			}
		}
	}
	exempt := map[string]int{} // exempt user ID -> position in p.Exempt
	for i, x := range p.Exempt {
		exempt[x.UserID] = i
	}
	for i := range s.Bindings {
		b := &s.Bindings[i]
		if b.PrincipalType != access.PrincipalUser {
			continue
		}
		if x, ok := exempt[b.PrincipalID]; ok {
			p.Exempt[x].DirectGrants++
			continue
		}
		p.Deletions = append(p.Deletions, *b)
	}
	p.DeleteBindings = len(p.Deletions)
	p.OwnerAfter = p.Summary.OwnersAfter > 0
	p.Summary.UsersChanged = len(p.Users)
	p.Summary.UsersRemoved = len(p.RemovedUsers)
	p.Summary.UsersExempt = len(p.Exempt)
	p.Fingerprint = Fingerprint(ix)
	return p
}

type kindChange struct {
	Change
	kind access.Kind
}

// splitChanges sorts cloud and project changes by name into their own exactly-sized slices
// (the scratch buffer is reused for the next user).
func splitChanges(cs []kindChange) Changes {
	slices.SortFunc(cs, func(a, b kindChange) int {
		return cmp.Or(cmp.Compare(a.Resource, b.Resource), cmp.Compare(a.ResourceID, b.ResourceID))
	})
	nClouds := 0
	for i := range cs {
		if cs[i].kind == access.KindCloud {
			nClouds++
		}
	}
	out := Changes{Clouds: make([]Change, 0, nClouds), Projects: make([]Change, 0, len(cs)-nClouds)}
	for _, c := range cs {
		if c.kind == access.KindCloud {
			out.Clouds = append(out.Clouds, c.Change)
		} else {
			out.Projects = append(out.Projects, c.Change)
		}
	}
	return out
}
