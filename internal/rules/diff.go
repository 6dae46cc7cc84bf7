package rules

import (
	"github.com/rolecall/rolecall/internal/access"
)

// Changes is what it takes to go from the rule-made bindings that exist to those a rule set
// wants. Applying it (see Apply) makes the rule-made bindings equal the wanted ones, except
// those a manual binding already grants, and touches no manual binding.
type Changes struct {
	// Add are wanted bindings that do not exist: apply creates them, marked with RuleID.
	Add []Binding `json:"add"`
	// Remove are existing rule-made bindings no rule wants any more: apply deletes them by ID.
	Remove []Binding `json:"remove"`
	// Reassign are existing rule-made bindings that stay but are now owned by another rule
	// (the first one, by position, that still makes them): apply sets their rule to RuleID.
	// Access does not change; explain names the new rule.
	Reassign []Reassignment `json:"reassign"`
	// Covered are wanted bindings that a manual group binding already grants. They are not
	// made: the manual binding stays manual (deleting the rule must not delete it), and the
	// store holds one binding per (resource, group, role) anyway.
	Covered []Binding `json:"covered"`
}

// Reassignment is an existing rule-made binding whose owning rule changes from FromRuleID to
// Binding.RuleID.
type Reassignment struct {
	Binding
	FromRuleID string `json:"fromRuleId"`
}

// Empty reports whether the changes change nothing.
func (c *Changes) Empty() bool {
	return len(c.Add) == 0 && len(c.Remove) == 0 && len(c.Reassign) == 0
}

// Diff compares current, the rule-made bindings that exist (with their IDs), with desired,
// those a rule set wants (Result.Bindings), given the organization's manual bindings (any
// binding not in current; only group bindings matter, others are ignored). Two bindings are
// the same when group, resource and role are: a binding that stays keeps its ID. A current
// binding found twice (which the store prevents) is kept once and its copy removed.
//
// Add, Reassign and Covered follow desired's order, Remove follows current's.
func Diff(current, desired []Binding, manual []access.Binding) Changes {
	c := Changes{Add: []Binding{}, Remove: []Binding{}, Reassign: []Reassignment{}, Covered: []Binding{}}
	have := make(map[key]int, len(current)) // → index in current
	for i := range current {
		if k := current[i].key(); !hasKey(have, k) {
			have[k] = i
		}
	}
	hand := make(map[key]bool)
	for i := range manual {
		if b := &manual[i]; b.PrincipalType == access.PrincipalGroup {
			hand[key{b.PrincipalID, b.ResourceID, b.Role}] = true
		}
	}
	wanted := make(map[key]bool, len(desired))
	for _, d := range desired {
		k := d.key()
		if wanted[k] {
			continue // Evaluate never repeats one; tolerate hand-built input
		}
		wanted[k] = true
		i, ok := have[k]
		switch {
		case ok && current[i].RuleID == d.RuleID:
		case ok:
			b := current[i]
			b.RuleID = d.RuleID
			c.Reassign = append(c.Reassign, Reassignment{Binding: b, FromRuleID: current[i].RuleID})
		case hand[k]:
			d.ID = ""
			c.Covered = append(c.Covered, d)
		default:
			d.ID = ""
			c.Add = append(c.Add, d)
		}
	}
	for i := range current {
		if k := current[i].key(); have[k] != i || !wanted[k] {
			c.Remove = append(c.Remove, current[i])
		}
	}
	return c
}

func hasKey(m map[key]int, k key) bool { _, ok := m[k]; return ok }

// Apply is the in-memory model of applying c: it returns the State with Remove deleted (by
// ID) and Add created (with their ID if set, else one from newID), and the rule-made bindings afterwards (Reassign's new
// owners included), which end with c.Add in order, now with IDs. s and current are not
// modified; the returned State shares all but its Bindings with s. It is the reference the
// property tests hold the preview's user changes to; the service layer does the same in its
// transaction, and its tests can compare the two.
func Apply(s *access.State, current []Binding, c Changes, newID func(Binding) string) (*access.State, []Binding) {
	gone := make(map[string]bool, len(c.Remove))
	for _, b := range c.Remove {
		gone[b.ID] = true
	}
	owner := make(map[string]string, len(c.Reassign))
	for _, r := range c.Reassign {
		owner[r.ID] = r.RuleID
	}
	after := *s
	after.Bindings = make([]access.Binding, 0, max(0, len(s.Bindings)-len(c.Remove))+len(c.Add))
	for _, b := range s.Bindings {
		if !gone[b.ID] {
			after.Bindings = append(after.Bindings, b)
		}
	}
	// current may leave out bindings c removes (a caller that wants only the State passes
	// none): the capacity is a hint, not an invariant.
	made := make([]Binding, 0, max(0, len(current)-len(c.Remove))+len(c.Add))
	for _, b := range current {
		if gone[b.ID] {
			continue
		}
		if r, ok := owner[b.ID]; ok {
			b.RuleID = r
		}
		made = append(made, b)
	}
	for _, b := range c.Add {
		if b.ID == "" { // an undo re-creates a removed binding under its old ID
			b.ID = newID(b)
		}
		after.Bindings = append(after.Bindings, b.Access())
		made = append(made, b)
	}
	return &after, made
}

// Inverse returns the changes that undo c, given c as applied: its Add with the IDs the
// bindings were created with. Undo re-creates the removed bindings (under their old IDs and
// rules), deletes the added ones and hands reassigned bindings back; the rule set itself is
// restored by the caller. Covered bindings were never made, so there is nothing to undo.
// Skipping what was re-granted since is the caller's concern, as for enforce-groups.
func (c *Changes) Inverse() Changes {
	inv := Changes{Add: append([]Binding{}, c.Remove...), Remove: append([]Binding{}, c.Add...),
		Reassign: make([]Reassignment, len(c.Reassign)), Covered: []Binding{}}
	for i, r := range c.Reassign {
		b := r.Binding
		b.RuleID = r.FromRuleID
		inv.Reassign[i] = Reassignment{Binding: b, FromRuleID: r.RuleID}
	}
	return inv
}

// Reconcile returns the changes that bring the rule-made bindings of groups to what s wants
// for them, and the problems met. current (the rule-made bindings) and manual (the others;
// passing every binding of the org is fine, since current is checked first) may hold every
// binding of the org: only those of groups are considered. So reconciling one group that
// SCIM just created or renamed (pass just that group) never touches another group's
// bindings, and the rule-made bindings of a group left out (a deleted group the caller
// does not pass) stay as they are. Reconciling every group (after a rule change, or when a
// cloud or project is created that a rule names) is Evaluate then Diff. Its problems are
// those of the rules that match groups: its cost follows the rules the groups meet, not the
// size of the set, since it runs on every SCIM group write.
func (s *Set) Reconcile(groups []Group, res *Resources, current []Binding, manual []access.Binding) (Changes, []Problem) {
	r, c := s.reconcile(groups, res, current, manual, false, nil)
	return c, r.Problems
}

func (s *Set) reconcile(groups []Group, res *Resources, current []Binding, manual []access.Binding, full bool, sc *scope) (*Result, Changes) {
	r := s.evaluate(groups, res, full, sc)
	in := make(map[string]bool, len(groups))
	for i := range groups {
		in[groups[i].ID] = true
	}
	there := func(resourceID string) bool { return sc == nil || sc.on[resourceID] }
	cur := make([]Binding, 0, len(current))
	for _, b := range current {
		if in[b.GroupID] && there(b.ResourceID) {
			cur = append(cur, b)
		}
	}
	man := make([]access.Binding, 0)
	for _, b := range manual {
		if b.PrincipalType == access.PrincipalGroup && in[b.PrincipalID] && there(b.ResourceID) {
			man = append(man, b)
		}
	}
	return r, Diff(cur, r.Bindings, man)
}
