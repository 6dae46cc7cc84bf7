package rules

import (
	"slices"
	"strings"

	"github.com/rolecall/rolecall/internal/access"
)

// A cloud or project created or renamed changes only the bindings on itself: a rule binds a
// group to a role on the one resource it names (fixed, or captured from the group's name)
// and looks that resource up by kind and name, so the new name can only make a rule's lookup
// find the resource, and the old name only stop it. Nothing is inherited through bindings:
// a cloud role reaching its projects is computed by access from the cloud binding. And since
// a binding is (group, resource, role), one on another resource never shadows one there. So
// the service reconciles just that resource (ReconcileResources) instead of every group.

// NamedLike returns the IDs of the resources of kind k that a rule naming one of names could
// find or used to find: those whose name equals one of names as rules compare names
// (ignoring case). Lookups keep the first resource of a name; every resource of that name is
// returned, so that the one a lookup finds after a rename is among them.
func NamedLike(rs []access.Resource, k access.Kind, names ...string) []string {
	keys := make(map[string]bool, len(names))
	for _, n := range names {
		keys[strings.ToLower(n)] = true
	}
	var ids []string
	for _, r := range rs {
		if r.Kind == k && keys[strings.ToLower(r.Name)] {
			ids = append(ids, r.ID)
		}
	}
	return ids
}

// scopeOn is the scope of the bindings on the resources on (IDs in res; others are ignored):
// the rules that can make one there are those whose fixed resource is one of them and those
// that capture a resource of one of their kinds.
func (s *Set) scopeOn(res *Resources, on []string) *scope {
	sc := &scope{rules: make([]bool, len(s.rules)), capture: make([]bool, len(s.rules)), on: make(map[string]bool, len(on))}
	var kinds [access.KindProject + 1]bool
	for _, id := range on {
		if r := res.byID[id]; r != nil && !sc.on[id] {
			sc.on[id] = true
			kinds[r.Kind] = true
			sc.lowNames = append(sc.lowNames, strings.ToLower(r.Name))
		}
	}
	for i, c := range s.rules {
		if c.resCap >= 0 {
			sc.rules[i] = kinds[c.kind]
			sc.capture[i] = sc.rules[i]
		} else if r := res.lookup(c.kind, c.ResourceName); r != nil {
			sc.rules[i] = sc.on[r.ID]
		}
	}
	sc.index(s)
	return sc
}

// CanBind reports whether a rule of s can make a binding on one of the resources on (IDs in
// res). When it cannot, and no rule-made binding is on them, reconciling them changes
// nothing, and a caller need not read the groups.
func (s *Set) CanBind(res *Resources, on []string) bool {
	for _, ok := range s.scopeOn(res, on).rules {
		if ok {
			return true
		}
	}
	return false
}

// ReconcileResources is Reconcile over groups restricted to the bindings on the resources on
// (IDs of resources in res): the changes it returns are exactly those of Reconcile(groups,
// res, current, manual) on those resources, in the same order (property-tested). After a
// cloud or project is created or renamed, pass every group, and on = NamedLike(the
// resources of its kind, its kind, its new name, its old name): that is the whole of what
// reconciling every group would change when the rule-made bindings were reconciled before.
// current and manual may hold every binding of the org; only those on the resources count.
// Its cost follows the groups the rules that can bind there match (through the set's index),
// not the whole set over every group.
func (s *Set) ReconcileResources(groups []Group, res *Resources, on []string, current []Binding, manual []access.Binding) Changes {
	_, c := s.reconcile(groups, res, current, manual, false, s.scopeOn(res, on))
	return c
}

// Selector names the groups ReconcileResources on some resources depends on, so that a caller
// can read just those: every other group neither has a rule-made binding there nor can get
// one, and passing it or not changes nothing.
type Selector struct {
	// All is set when a rule that can bind there cannot be narrowed to names (a pattern
	// with no literal every match contains): every group must be passed.
	All bool
	// Contains: a group whose strings.ToLower(displayName) contains one of these.
	Contains []string
	// ExternalIDs: a group whose externalId is one of these.
	ExternalIDs []string
	// IDs: the groups that hold a rule-made binding there (they may lose it).
	IDs []string
}

// Selects reports whether x selects g.
func (x *Selector) Selects(g Group) bool {
	if x.All || slices.Contains(x.IDs, g.ID) || (g.ExternalID != "" && slices.Contains(x.ExternalIDs, g.ExternalID)) {
		return true
	}
	low := strings.ToLower(g.DisplayName)
	return slices.ContainsFunc(x.Contains, func(s string) bool { return strings.Contains(low, s) })
}

// SelectFor returns the groups ReconcileResources(groups, res, on, current, …) depends on:
// passing any groups that include every group of groups the Selector selects gives the same
// changes as passing groups (property-tested). A rule capturing the resource needs the
// resource's name in the group's (lower-cased) name; a fixed displayName rule its value; a
// fixed pattern the literal every match holds (its prefix, or another literal); a fixed
// externalId rule its externalId. All of those hold rune by rune under strings.ToLower.
func (s *Set) SelectFor(res *Resources, on []string, current []Binding) Selector {
	sc := s.scopeOn(res, on)
	x := Selector{}
	seen := map[string]bool{}
	contains := func(v string) {
		if !seen[v] {
			seen[v] = true
			x.Contains = append(x.Contains, v)
		}
	}
	for i, c := range s.rules {
		switch {
		case !sc.rules[i]:
		case sc.capture[i]:
			for _, n := range sc.lowNames {
				contains(n)
			}
		case c.Match == MatchDisplayName:
			contains(c.key)
		case c.Match == MatchExternalID:
			x.ExternalIDs = append(x.ExternalIDs, c.Value)
		default:
			lit := c.prefix
			if len(c.need) > len(lit) {
				lit = c.need
			}
			if lit == "" {
				x.All = true
			}
			contains(strings.ToLower(lit))
		}
	}
	for _, b := range current {
		if sc.on[b.ResourceID] && !seen["\x00"+b.GroupID] {
			seen["\x00"+b.GroupID] = true
			x.IDs = append(x.IDs, b.GroupID)
		}
	}
	return x
}
