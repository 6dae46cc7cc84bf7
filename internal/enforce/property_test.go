package enforce

import (
	"fmt"
	"reflect"
	"slices"
	"testing"

	"github.com/rolecall/rolecall/internal/access"
	"github.com/rolecall/rolecall/internal/access/accesstest"
	"pgregory.net/rapid"
)

// naiveGroups is the definition of transitive active membership, computed the slow way: a
// fixpoint over the membership list.
func naiveGroups(s *access.State, userID string) map[string]bool {
	active := map[string]bool{}
	for _, g := range s.Groups {
		active[g.ID] = g.Active
	}
	in := map[string]bool{}
	for _, m := range s.Memberships {
		if m.MemberType == U && m.MemberID == userID && active[m.GroupID] {
			in[m.GroupID] = true
		}
	}
	for changed := true; changed; {
		changed = false
		for _, m := range s.Memberships {
			if m.MemberType == G && in[m.MemberID] && active[m.GroupID] && !in[m.GroupID] {
				in[m.GroupID], changed = true, true
			}
		}
	}
	return in
}

// naiveRole is the user's role on resID from its groups and, withDirect, its own bindings;
// on a public project at least collaborator when that gives a role on the project's cloud.
func naiveRole(s *access.State, userID, resID string, groups map[string]bool, withDirect bool) access.Role {
	explicit := func(id string) access.Role {
		var best access.Role
		for _, b := range s.Bindings {
			if b.ResourceID == id && ((withDirect && b.PrincipalType == U && b.PrincipalID == userID) ||
				(b.PrincipalType == G && groups[b.PrincipalID])) {
				best = access.MaxRole(best, b.Role)
			}
		}
		return best
	}
	best := explicit(resID)
	for _, r := range s.Resources {
		if r.ID != resID || r.Kind != access.KindProject || !r.Public {
			continue
		}
		for _, c := range s.Resources {
			if c.ID == r.ParentID && c.Kind == access.KindCloud && explicit(c.ID) != none {
				best = access.MaxRole(best, collab)
			}
		}
	}
	return best
}

// naivePlan restates DESIGN.md's enforce-groups rules directly.
func naivePlan(s *access.State) (changes, removed []string) {
	changes, removed = []string{}, []string{}
	for _, u := range s.Users {
		if u.Removed {
			continue
		}
		groups := naiveGroups(s, u.ID)
		if len(groups) == 0 {
			removed = append(removed, u.UserName)
			continue
		}
		if !u.Active {
			continue
		}
		ownerAfter := naiveRole(s, u.ID, "org", groups, false) == owner
		for _, r := range s.Resources {
			before, after := naiveRole(s, u.ID, r.ID, groups, true), naiveRole(s, u.ID, r.ID, groups, false)
			if before == after || (ownerAfter && r.Kind != access.KindOrganization) {
				continue
			}
			switch r.Kind {
			case access.KindOrganization:
				changes = append(changes, fmt.Sprintf("%s organization %s->%s", u.UserName, before, after))
			case access.KindCloud:
				changes = append(changes, fmt.Sprintf("%s clouds/%s %s->%s", u.UserName, r.Name, before, after))
			case access.KindProject:
				changes = append(changes, fmt.Sprintf("%s projects/%s %s->%s", u.UserName, r.Name, before, after))
			}
		}
	}
	return changes, removed
}

func TestPlanProperties(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		s := accesstest.Draw(t, accesstest.Options{Public: true})
		p := Compute(s)

		// The planner agrees with the rules restated naively.
		wantChanges, wantRemoved := naivePlan(s)
		got := lines(p)
		slices.Sort(got)
		slices.Sort(wantChanges)
		if !slices.Equal(got, wantChanges) {
			t.Fatalf("changes\n got  %q\n want %q", got, wantChanges)
		}
		slices.Sort(wantRemoved)
		if gotRemoved := removedNames(p); !slices.Equal(gotRemoved, wantRemoved) {
			t.Fatalf("removed %q, want %q", gotRemoved, wantRemoved)
		}

		// Access only ever drops.
		for _, u := range p.Users {
			cs := append(slices.Clone(u.Changes.Clouds), u.Changes.Projects...)
			if u.Changes.Organization != nil {
				cs = append(cs, *u.Changes.Organization)
			}
			for _, c := range cs {
				if c.After >= c.Before {
					t.Fatalf("%s on %s: %s -> %s does not drop", u.UserName, c.Resource, c.Before, c.After)
				}
			}
		}

		// Deletions are exactly the direct user bindings.
		var want []string
		for _, b := range s.Bindings {
			if b.PrincipalType == U {
				want = append(want, b.ID)
			}
		}
		if got := p.DeleteBindingIDs(); !slices.Equal(got, want) && (len(got) != 0 || len(want) != 0) {
			t.Fatalf("deletions %q, want %q", got, want)
		}

		// Applying the plan leaves nothing to plan.
		after := cloneState(s)
		after.Bindings = slices.DeleteFunc(after.Bindings, func(b access.Binding) bool { return b.PrincipalType == U })
		for _, ru := range p.RemovedUsers {
			for i := range after.Users {
				if after.Users[i].ID == ru.UserID {
					after.Users[i].Active, after.Users[i].Removed = false, true
				}
			}
		}
		if again := Compute(after); !again.Empty() {
			t.Fatalf("plan after apply is not empty: %q removed %q deletes %d", lines(again), removedNames(again), again.DeleteBindings)
		}

		// The fingerprint ignores order and sees a changed role.
		perm := func(n int, label string) []int {
			return rapid.Permutation(identity(n)).Draw(t, label)
		}
		c := cloneState(s)
		c.Users = permute(c.Users, perm(len(c.Users), "pu"))
		c.Groups = permute(c.Groups, perm(len(c.Groups), "pg"))
		c.Memberships = permute(c.Memberships, perm(len(c.Memberships), "pm"))
		c.Resources = permute(c.Resources, perm(len(c.Resources), "pr"))
		c.Bindings = permute(c.Bindings, perm(len(c.Bindings), "pb"))
		if fingerprintOf(c) != p.Fingerprint {
			t.Fatal("fingerprint depends on input order")
		}
		if len(c.Bindings) > 0 {
			c.Bindings[0].Role = c.Bindings[0].Role%3 + 1
			if fingerprintOf(c) == p.Fingerprint {
				t.Fatal("fingerprint blind to a binding's role")
			}
		}
	})
}

func identity(n int) []int {
	out := make([]int, n)
	for i := range out {
		out[i] = i
	}
	return out
}

func permute[T any](xs []T, perm []int) []T {
	out := make([]T, len(xs))
	for i, p := range perm {
		out[i] = xs[p]
	}
	return out
}

// TestExemptUsersKeptAsTheyAre: an exempt user is never listed as changed or removed and
// keeps every direct binding; every other user's part of the plan is exactly what it would
// be were nobody exempt (an exemption changes nothing for anyone else).
func TestExemptUsersKeptAsTheyAre(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		s := accesstest.Draw(t, accesstest.Options{Exempt: true})
		p := Compute(s)
		exempt := map[string]bool{}
		for _, u := range s.Users {
			if u.Exempt && !u.Removed {
				exempt[u.ID] = true
			}
		}
		var listed []string
		for _, x := range p.Exempt {
			if !exempt[x.UserID] {
				t.Fatalf("%s listed as exempt", x.UserName)
			}
			listed = append(listed, x.UserID)
		}
		if len(listed) != len(exempt) || p.Summary.UsersExempt != len(exempt) {
			t.Fatalf("exempt section %v, want the %d non-removed exempt users", listed, len(exempt))
		}
		for _, u := range p.Users {
			if exempt[u.UserID] {
				t.Fatalf("exempt user %s listed as changed", u.UserName)
			}
		}
		for _, u := range p.RemovedUsers {
			if exempt[u.UserID] {
				t.Fatalf("exempt user %s listed as removed", u.UserName)
			}
		}
		for _, b := range p.Deletions {
			if exempt[b.PrincipalID] {
				t.Fatalf("exempt user's binding %s deleted", b.ID)
			}
		}

		// Nobody exempt: the same plan for everyone else.
		plain := *s
		plain.Users = slices.Clone(s.Users)
		for i := range plain.Users {
			plain.Users[i].Exempt = false
		}
		q := Compute(&plain)
		q.Users = slices.DeleteFunc(q.Users, func(u UserChanges) bool { return exempt[u.UserID] })
		q.RemovedUsers = slices.DeleteFunc(q.RemovedUsers, func(u RemovedUser) bool { return exempt[u.UserID] })
		q.Deletions = slices.DeleteFunc(q.Deletions, func(b access.Binding) bool {
			return b.PrincipalType == access.PrincipalUser && exempt[b.PrincipalID]
		})
		if !reflect.DeepEqual(p.Users, q.Users) || !reflect.DeepEqual(p.RemovedUsers, q.RemovedUsers) ||
			!slices.Equal(p.Deletions, q.Deletions) {
			t.Fatalf("exemptions changed other users' plan:\n%+v\n%+v", p, q)
		}
		if p.DeleteBindings != len(p.Deletions) {
			t.Fatalf("deleteBindings %d, %d deletions", p.DeleteBindings, len(p.Deletions))
		}
	})
}

// TestPlanMatchesAccess: for every user the plan considers and every resource, the plan's
// before and after are access's effective roles on the state as it is (before) and with
// every direct user binding removed (after), public projects included. Lines that implicit
// org-owner access explains are out of scope, as the planner shows org ownership only
// through the organization line: none below the org for a user who stays org owner, and no
// comparison for one who is org owner only before.
func TestPlanMatchesAccess(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		s := accesstest.Draw(t, accesstest.Options{Public: true, Exempt: rapid.Bool().Draw(t, "exempt")})
		p := Compute(s)
		after := cloneState(s)
		after.Bindings = slices.DeleteFunc(after.Bindings, func(b access.Binding) bool { return b.PrincipalType == U })
		ixBefore, ixAfter := access.NewIndex(s), access.NewIndex(after)

		planned := map[string]Change{} // userID/resourceID -> change
		for _, u := range p.Users {
			cs := append(slices.Clone(u.Changes.Clouds), u.Changes.Projects...)
			if u.Changes.Organization != nil {
				cs = append(cs, *u.Changes.Organization)
			}
			for _, c := range cs {
				planned[u.UserID+"/"+c.ResourceID] = c
			}
		}
		removed := map[string]bool{}
		for _, u := range p.RemovedUsers {
			removed[u.UserID] = true
		}
		for _, u := range s.Users {
			if u.Removed || u.Exempt || removed[u.ID] {
				for _, r := range s.Resources {
					if c, ok := planned[u.ID+"/"+r.ID]; ok {
						t.Fatalf("user %s, not planned for changes, has a line on %s: %+v", u.ID, r.ID, c)
					}
				}
				continue
			}
			for _, r := range s.Resources {
				b, _ := ixBefore.EffectiveRole(u.ID, r.ID)
				a, _ := ixAfter.EffectiveRole(u.ID, r.ID)
				c, listed := planned[u.ID+"/"+r.ID]
				ownerImplicit := func(x access.Access) bool { return x.Implicit && !x.Public && r.Kind != access.KindOrganization }
				switch {
				case ownerImplicit(a):
					if listed {
						t.Fatalf("user %s stays org owner, yet has a line on %s: %+v", u.ID, r.ID, c)
					}
				case ownerImplicit(b):
					// Org owner only before: the line, if any, shows the role org ownership hid.
				case b.Role != a.Role:
					if !listed || c.Before != b.Role || c.After != a.Role {
						t.Fatalf("user %s on %s: access says %v -> %v, plan has %+v (listed %v)", u.ID, r.ID, b.Role, a.Role, c, listed)
					}
				case listed:
					t.Fatalf("user %s on %s: access says %v both, plan has %+v", u.ID, r.ID, b.Role, c)
				}
			}
		}
	})
}
