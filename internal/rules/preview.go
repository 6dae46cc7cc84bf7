package rules

import (
	"cmp"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"slices"

	"github.com/rolecall/rolecall/internal/access"
	"github.com/rolecall/rolecall/internal/enforce"
)

// Input is what a rule-change preview is computed from, all read in one transaction.
type Input struct {
	// State is the organization now; its Bindings include the rule-made ones.
	State *access.State
	// Groups are the groups the rules manage, with their externalIds (State.Groups lacks
	// them). A group left out is matched by no rule and its rule-made bindings stay as they
	// are: pass deleted groups (as inactive) if rule changes should reach their bindings too.
	Groups []Group
	// Current are the rule-made bindings that exist now, with their IDs; every one of them
	// is also in State.Bindings. Any other binding is manual and is never touched.
	Current []Binding
	// Old is the rule set now; New the proposed one (Old with a rule added, changed or
	// deleted, or reordered). Old only names the rules of Current and tells what changed:
	// the bindings to add and remove are always Current against what New wants, so a
	// preview also repairs drift (say, a project created since a rule named it).
	Old, New []Rule
}

// RuleStatus says how a rule differs between the old and the new set.
type RuleStatus string

// The rule statuses.
const (
	RuleAdded     RuleStatus = "added"
	RuleChanged   RuleStatus = "changed"
	RuleRemoved   RuleStatus = "removed"
	RuleUnchanged RuleStatus = "unchanged"
)

// RulePreview is one rule's part in a preview.
type RulePreview struct {
	Rule   Rule       `json:"rule"`
	Status RuleStatus `json:"status"`
	// Groups are the groups the rule matches today under the new set (none for a removed
	// rule), sorted by displayName.
	Groups []Group `json:"groups"`
	// Add and Remove are the bindings that appear and go on its account; Reassign those it
	// takes over from another rule (listed under the new owner only).
	Add      []BindingView `json:"add"`
	Remove   []BindingView `json:"remove"`
	Reassign []BindingView `json:"reassign"`
	// Covered are bindings it wants that a manual grant already gives.
	Covered []BindingView `json:"covered"`
}

// BindingView is a binding with the names people read, for previews.
type BindingView struct {
	Binding
	GroupName    string      `json:"groupName"`
	ResourceKind access.Kind `json:"resourceKind,omitempty"`
	ResourceName string      `json:"resourceName"`
	// FromRuleID is the previous owner of a reassigned binding; empty otherwise.
	FromRuleID string `json:"fromRuleId,omitempty"`
}

// Preview is what a rule change would do. Users reuses enforce's per-user change types, so
// that both previews have one JSON shape and one text format; unlike enforce-groups, a rule
// change can raise a role as well as lower it, and Before is access.RoleNone ("none") where
// a user held nothing.
type Preview struct {
	// Rules lists the new set's rules in order, then the removed rules, each with its part.
	Rules []RulePreview `json:"rules"`
	// Changes are the binding changes apply makes, all rules together.
	Changes  Changes   `json:"changes"`
	Problems []Problem `json:"problems"`
	// Users lists, by userName, every active user whose effective access changes.
	Users   []enforce.UserChanges `json:"users"`
	Summary Summary               `json:"summary"`
	// Fingerprint identifies what applying the preview does: the new rule set, the binding
	// changes and every user's change. Apply recomputes the preview in its transaction and
	// refuses when the fingerprint differs, so nothing is applied that the admin did not see
	// (as enforce-groups does). Problems are left out: they change nothing.
	Fingerprint string `json:"fingerprint"`
}

// Summary counts what a preview holds.
type Summary struct {
	RulesAdded   int `json:"rulesAdded"`
	RulesChanged int `json:"rulesChanged"`
	RulesRemoved int `json:"rulesRemoved"`
	// GroupsMatched counts the distinct groups the new set matches.
	GroupsMatched   int `json:"groupsMatched"`
	BindingsAdded   int `json:"bindingsAdded"`
	BindingsRemoved int `json:"bindingsRemoved"`
	BindingsMoved   int `json:"bindingsMoved"`   // Reassign: same access, another rule
	BindingsCovered int `json:"bindingsCovered"` // wanted, but a manual grant gives them
	UsersChanged    int `json:"usersChanged"`
	// Raised and Lowered count the change lines (over all users) where a role rises or drops.
	Raised   int `json:"raised"`
	Lowered  int `json:"lowered"`
	Problems int `json:"problems"`
}

// Empty reports whether applying the preview changes nothing.
func (p *Preview) Empty() bool { return p.Changes.Empty() }

// NewPreview computes the preview of changing in.Old to in.New: it evaluates New, diffs it
// against Current, and compares every affected user's access before and after. It fails
// only when New is invalid (the error of Compile); Old is trusted as stored and only lends
// names, so a rule stored under older validation cannot block its own deletion.
func NewPreview(in Input) (*Preview, error) {
	set, err := Compile(in.New)
	if err != nil {
		return nil, err
	}
	res, changes := set.reconcile(in.Groups, NewResources(in.State.Resources), in.Current, in.State.Bindings, true)
	p := &Preview{Changes: changes, Problems: res.Problems}
	p.Rules = ruleParts(set, res, in.Old, &p.Changes, newNamer(in))
	p.Users = userChanges(in.State, in.Current, p.Changes)
	p.Fingerprint = fingerprint(set.Rules(), &p.Changes, p.Users)

	matched := map[string]bool{}
	for _, m := range res.Matches {
		for _, g := range m.Groups {
			matched[g.ID] = true
		}
	}
	s := &p.Summary
	for _, r := range p.Rules {
		switch r.Status {
		case RuleAdded:
			s.RulesAdded++
		case RuleChanged:
			s.RulesChanged++
		case RuleRemoved:
			s.RulesRemoved++
		}
	}
	s.GroupsMatched = len(matched)
	s.BindingsAdded, s.BindingsRemoved = len(p.Changes.Add), len(p.Changes.Remove)
	s.BindingsMoved, s.BindingsCovered = len(p.Changes.Reassign), len(p.Changes.Covered)
	s.UsersChanged, s.Problems = len(p.Users), len(p.Problems)
	for _, u := range p.Users {
		count := func(c enforce.Change) {
			if c.After > c.Before {
				s.Raised++
			} else {
				s.Lowered++
			}
		}
		for _, c := range u.Changes.Clouds {
			count(c)
		}
		for _, c := range u.Changes.Projects {
			count(c)
		}
		if u.Changes.Organization != nil {
			count(*u.Changes.Organization)
		}
	}
	return p, nil
}

// ruleParts splits the changes by rule: the new set's rules in order, then the rules only
// the old set has (by position), each with its status against the old set.
func ruleParts(set *Set, res *Result, old []Rule, c *Changes, view func(Binding) BindingView) []RulePreview {
	oldByID := make(map[string]Rule, len(old))
	for _, r := range old {
		if _, dup := oldByID[r.ID]; !dup {
			oldByID[r.ID] = r
		}
	}
	parts := make([]RulePreview, 0, len(set.rules))
	at := map[string]int{} // rule ID → index in parts
	for i, cr := range set.rules {
		st := RuleAdded
		if o, ok := oldByID[cr.ID]; ok {
			st = RuleUnchanged
			if o != cr.Rule {
				st = RuleChanged
			}
		}
		at[cr.ID] = len(parts)
		parts = append(parts, RulePreview{Rule: cr.Rule, Status: st, Groups: res.Matches[i].Groups})
	}
	gone := make([]Rule, 0)
	for id, r := range oldByID {
		if _, ok := at[id]; !ok {
			gone = append(gone, r)
		}
	}
	slices.SortFunc(gone, func(a, b Rule) int { return cmp.Or(cmp.Compare(a.Position, b.Position), cmp.Compare(a.ID, b.ID)) })
	for _, r := range gone {
		at[r.ID] = len(parts)
		parts = append(parts, RulePreview{Rule: r, Status: RuleRemoved, Groups: []Group{}})
	}
	part := func(ruleID string) *RulePreview {
		i, ok := at[ruleID]
		if !ok { // a binding of a rule neither set knows (deleted without cleanup): still shown
			at[ruleID] = len(parts)
			parts = append(parts, RulePreview{Rule: Rule{ID: ruleID, Name: ruleID}, Status: RuleRemoved, Groups: []Group{}})
			i = at[ruleID]
		}
		return &parts[i]
	}
	for _, b := range c.Add {
		p := part(b.RuleID)
		p.Add = append(p.Add, view(b))
	}
	for _, b := range c.Remove {
		p := part(b.RuleID)
		p.Remove = append(p.Remove, view(b))
	}
	for _, r := range c.Reassign {
		p := part(r.RuleID)
		v := view(r.Binding)
		v.FromRuleID = r.FromRuleID
		p.Reassign = append(p.Reassign, v)
	}
	for _, b := range c.Covered {
		p := part(b.RuleID)
		p.Covered = append(p.Covered, view(b))
	}
	for i := range parts {
		p := &parts[i]
		p.Add, p.Remove = orEmpty(p.Add), orEmpty(p.Remove)
		p.Reassign, p.Covered = orEmpty(p.Reassign), orEmpty(p.Covered)
	}
	return parts
}

func orEmpty(bs []BindingView) []BindingView {
	if bs == nil {
		return []BindingView{}
	}
	return bs
}

// newNamer returns a function that names a binding's group and resource: groups by
// in.Groups, then State.Groups; an unknown ID is shown as itself.
func newNamer(in Input) func(Binding) BindingView {
	groups := make(map[string]string, len(in.Groups))
	for _, g := range in.State.Groups {
		groups[g.ID] = g.DisplayName
	}
	for _, g := range in.Groups {
		groups[g.ID] = g.DisplayName
	}
	res := make(map[string]*access.Resource, len(in.State.Resources))
	for i := range in.State.Resources {
		if r := &in.State.Resources[i]; res[r.ID] == nil {
			res[r.ID] = r
		}
	}
	return func(b Binding) BindingView {
		v := BindingView{Binding: b, GroupName: b.GroupID, ResourceName: b.ResourceID}
		if n, ok := groups[b.GroupID]; ok {
			v.GroupName = n
		}
		if r := res[b.ResourceID]; r != nil {
			v.ResourceKind, v.ResourceName = r.Kind, r.Name
		}
		return v
	}
}

// userChanges compares every active user's access before and after the changes. Only the
// groups whose bindings change can change anyone's access, and group membership is the same
// before and after, so a user is evaluated after only when one of its (transitive, active)
// groups changes: the cost is one membership walk per user, plus two for affected users.
//
// Lines follow enforce-groups: explicit roles compared per resource (implicit access shows
// only through the organization line), and a user who is org owner afterwards gets no
// cloud or project lines, since it is owner on all of them.
func userChanges(before *access.State, current []Binding, c Changes) []enforce.UserChanges {
	out := []enforce.UserChanges{}
	if len(c.Add) == 0 && len(c.Remove) == 0 {
		return out
	}
	after, _ := Apply(before, current, c, func(b Binding) string {
		return fmt.Sprintf("rule:%s/%s/%s/%d", b.RuleID, b.GroupID, b.ResourceID, b.Role)
	})
	ixB, ixA := access.NewIndex(before), access.NewIndex(after)
	changed := make([]bool, len(before.Groups))
	mark := func(bs []Binding) {
		for _, b := range bs {
			if g, ok := ixB.LookupGroup(b.GroupID); ok {
				changed[g] = true
			}
		}
	}
	mark(c.Add)
	mark(c.Remove)
	org, hasOrg := ixB.Organization()
	eB, eA := ixB.NewEvaluator(), ixA.NewEvaluator()
	stamp := make([]uint32, ixB.NumResources())
	var gen uint32
	var lines []kindLine
	for _, u := range ixB.UsersByName() {
		user := ixB.User(u)
		if !user.Holds() {
			continue
		}
		eB.Load(u)
		if !slices.ContainsFunc(eB.Groups(), func(g access.GroupRef) bool { return changed[g] }) {
			continue
		}
		// The States share Users, Groups and Resources, so refs are the same in both.
		eA.Load(u)
		ownerAfter := hasOrg && eA.Role(org) == access.RoleOwner
		gen++
		lines = lines[:0]
		var orgChange *enforce.Change
		visit := func(r access.ResourceRef) {
			if stamp[r] == gen {
				return
			}
			stamp[r] = gen
			b, a := eB.Role(r), eA.Role(r)
			if b == a {
				return
			}
			res := ixB.Resource(r)
			ch := enforce.Change{Resource: res.Name, ResourceID: res.ID, Before: b, After: a}
			switch {
			case hasOrg && r == org:
				orgChange = &ch
			case ownerAfter:
			case res.Kind == access.KindCloud || res.Kind == access.KindProject:
				lines = append(lines, kindLine{ch, res.Kind})
			}
		}
		for _, r := range eB.Resources() {
			visit(r)
		}
		for _, r := range eA.Resources() {
			visit(r)
		}
		if len(lines) == 0 && orgChange == nil {
			continue
		}
		uc := enforce.UserChanges{UserName: user.UserName, UserID: user.ID, Changes: splitLines(lines)}
		uc.Changes.Organization = orgChange
		out = append(out, uc)
	}
	return out
}

type kindLine struct {
	enforce.Change
	kind access.Kind
}

// splitLines sorts changes by resource name into clouds and projects, as enforce does.
func splitLines(ls []kindLine) enforce.Changes {
	slices.SortFunc(ls, func(a, b kindLine) int {
		return cmp.Or(cmp.Compare(a.Resource, b.Resource), cmp.Compare(a.ResourceID, b.ResourceID))
	})
	out := enforce.Changes{Clouds: []enforce.Change{}, Projects: []enforce.Change{}}
	for _, l := range ls {
		if l.kind == access.KindCloud {
			out.Clouds = append(out.Clouds, l.Change)
		} else {
			out.Projects = append(out.Projects, l.Change)
		}
	}
	return out
}

// fingerprintVersion starts the hashed document; bump it when the encoding changes so that a
// preview from an older binary never matches by accident.
const fingerprintVersion = "rolecall/rules/preview/v1"

// fingerprint hashes the JSON of what apply does. Every part is in a deterministic order
// (rules by position, changes by rule and group, users by userName), so equal previews hash
// equally.
func fingerprint(rules []Rule, c *Changes, users []enforce.UserChanges) string {
	h := sha256.New()
	doc := struct {
		V       string                `json:"v"`
		Rules   []Rule                `json:"rules"`
		Changes *Changes              `json:"changes"`
		Users   []enforce.UserChanges `json:"users"`
	}{fingerprintVersion, rules, c, users}
	if err := json.NewEncoder(h).Encode(doc); err != nil {
		panic("rules: fingerprint: " + err.Error()) // only plain data: cannot fail
	}
	return hex.EncodeToString(h.Sum(nil))
}
