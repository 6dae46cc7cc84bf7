package access_test

import (
	"testing"

	"pgregory.net/rapid"

	"github.com/rolecall/rolecall/internal/access"
	"github.com/rolecall/rolecall/internal/access/accesstest"
)

// naiveAccess restates the effective-role rule of DESIGN.md the slow way: the highest of
// the explicit role (direct bindings and those of every active group reached through active
// groups), implicit owner for org owners below the organization, and implicit collaborator
// on a public project for holders of an explicit role on its cloud.
func naiveAccess(s *access.State, pt access.PrincipalType, id string, res access.Resource) access.Access {
	groups := map[string]bool{}
	if pt == access.PrincipalUser {
		active := map[string]bool{}
		for _, g := range s.Groups {
			active[g.ID] = g.Active
		}
		for changed := true; changed; {
			changed = false
			for _, m := range s.Memberships {
				in := (m.MemberType == access.PrincipalUser && m.MemberID == id) || (m.MemberType == access.PrincipalGroup && groups[m.MemberID])
				// groups holds active groups only, so membership passes through active ones.
				if in && active[m.GroupID] && !groups[m.GroupID] {
					groups[m.GroupID], changed = true, true
				}
			}
		}
	}
	explicit := func(resID string) access.Role {
		var best access.Role
		for _, b := range s.Bindings {
			if b.ResourceID == resID && ((b.PrincipalType == pt && b.PrincipalID == id) || (b.PrincipalType == access.PrincipalGroup && groups[b.PrincipalID])) {
				best = access.MaxRole(best, b.Role)
			}
		}
		return best
	}
	role := explicit(res.ID)
	switch {
	case res.Kind == access.KindOrganization:
		if pt == access.PrincipalServiceAccount && role < access.RoleCollaborator {
			return access.Access{Role: access.RoleCollaborator, Implicit: true}
		}
	case explicit("org") == access.RoleOwner && role < access.RoleOwner:
		return access.Access{Role: access.RoleOwner, Implicit: true}
	case res.Kind == access.KindProject && res.Public && role < access.RoleCollaborator:
		for _, c := range s.Resources {
			if c.ID == res.ParentID && c.Kind == access.KindCloud && explicit(c.ID) != access.RoleNone {
				return access.Access{Role: access.RoleCollaborator, Implicit: true, Public: true}
			}
		}
	}
	return access.Access{Role: role}
}

// TestEffectiveRoleMatchesDefinition checks EffectiveRole, UserAccess, Explain, Review and
// the service-account queries against naiveAccess on random organizations with public
// projects.
func TestEffectiveRoleMatchesDefinition(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		s := accesstest.Draw(t, accesstest.Options{Storable: rapid.Bool().Draw(t, "storable"), Public: true})
		ix := access.NewIndex(s)
		rv := ix.Review()
		reviewed := map[string]access.Role{} // principal/resource -> role listed by Review
		owners := map[string]bool{}
		for _, p := range rv.OrgOwners {
			owners[p.ID] = true
		}
		for _, pr := range append(append([]access.PrincipalReview{}, rv.Users...), rv.ServiceAccounts...) {
			for _, c := range pr.Clouds {
				for _, p := range c.Projects {
					reviewed[pr.ID+"/"+p.ResourceID] = p.Role
				}
			}
		}
		for _, u := range s.Users {
			listed := map[string]access.Access{}
			grants, _ := ix.UserAccess(u.ID)
			for _, g := range grants {
				listed[g.ResourceID] = g.Access
			}
			for _, r := range s.Resources {
				want := access.Access{}
				if u.Holds() {
					want = naiveAccess(s, access.PrincipalUser, u.ID, r)
				}
				got, err := ix.EffectiveRole(u.ID, r.ID)
				if err != nil || got != want {
					t.Fatalf("EffectiveRole(%s, %s) = %+v, %v; want %+v", u.ID, r.ID, got, err, want)
				}
				if listed[r.ID] != want {
					t.Fatalf("UserAccess(%s) on %s: %+v, want %+v", u.ID, r.ID, listed[r.ID], want)
				}
				ex, _ := ix.Explain(u.ID, r.ID)
				if ex.Effective != want {
					t.Fatalf("Explain(%s, %s).Effective = %+v, want %+v", u.ID, r.ID, ex.Effective, want)
				}
				if r.Kind == access.KindProject && u.Holds() && !owners[u.ID] && reviewed[u.ID+"/"+r.ID] != want.Role {
					t.Fatalf("Review: %s on %s is %v, want %v", u.ID, r.ID, reviewed[u.ID+"/"+r.ID], want.Role)
				}
			}
		}
		for _, a := range s.ServiceAccounts {
			for _, r := range s.Resources {
				want := naiveAccess(s, access.PrincipalServiceAccount, a.ID, r)
				if got, _ := ix.ServiceAccountRole(a.ID, r.ID); got != want {
					t.Fatalf("ServiceAccountRole(%s, %s) = %+v, want %+v", a.ID, r.ID, got, want)
				}
				if r.Kind == access.KindProject && !owners[a.ID] && reviewed[a.ID+"/"+r.ID] != want.Role {
					t.Fatalf("Review: %s on %s is %v, want %v", a.ID, r.ID, reviewed[a.ID+"/"+r.ID], want.Role)
				}
			}
		}
	})
}
