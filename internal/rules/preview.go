package rules

import (
	"cmp"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"hash"
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
	res, changes := set.reconcile(in.Groups, NewResources(in.State.Resources), in.Current, in.State.Bindings, true, nil)
	p := &Preview{Changes: changes, Problems: res.Problems}
	p.Rules = ruleParts(set, res, in.Old, &p.Changes, newNamer(in))
	p.Users = userChanges(in.State, p.Changes)
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
// before and after, so a user is looked at after only when one of its (transitive, active)
// groups changes. "After" needs no second Index: it is the user's direct roles (unchanged)
// and the after-change bindings of the same groups, from a per-group table of group
// bindings, which is far cheaper to build than the memberships of a second Index.
//
// Lines follow enforce-groups: explicit roles compared per resource (implicit access shows
// only through the organization line), a public project raised to collaborator for whoever
// holds a role on its cloud, and a user who is org owner afterwards gets no cloud or project
// lines, since it is owner on all of them.
func userChanges(before *access.State, c Changes) []enforce.UserChanges {
	out := []enforce.UserChanges{}
	if len(c.Add) == 0 && len(c.Remove) == 0 {
		return out
	}
	ix := access.NewIndex(before)
	gone := make(map[string]bool, len(c.Remove))
	for _, b := range c.Remove {
		gone[b.ID] = true
	}
	// grants[g] are group g's bindings after the change, resolved as the Index resolves
	// them: the first record of a duplicate ID, active groups, known resources, real roles.
	grants := make([][]groupGrant, len(before.Groups))
	grant := func(groupID, resourceID string, role access.Role) {
		g, ok := ix.LookupGroup(groupID)
		if !ok || !ix.Group(g).Active || role == access.RoleNone || role > access.RoleOwner {
			return
		}
		if r, ok := ix.LookupResource(resourceID); ok {
			grants[g] = append(grants[g], groupGrant{r, role})
		}
	}
	for i := range before.Bindings {
		if b := &before.Bindings[i]; b.PrincipalType == access.PrincipalGroup && !gone[b.ID] {
			grant(b.PrincipalID, b.ResourceID, b.Role)
		}
	}
	for _, b := range c.Add {
		grant(b.GroupID, b.ResourceID, b.Role)
	}
	changed := make([]bool, len(before.Groups))
	for _, bs := range [][]Binding{c.Add, c.Remove} {
		for _, b := range bs {
			if g, ok := ix.LookupGroup(b.GroupID); ok {
				changed[g] = true
			}
		}
	}

	org, hasOrg := ix.Organization()
	e := ix.NewEvaluator()
	n := ix.NumResources()
	after := make([]access.Role, n)
	stamp := make([]uint32, n) // stamp[r] == gen: after[r] is this user's, r is in touched
	shown := make([]uint32, n) // shown[r] == gen: r was compared already
	var gen uint32
	var touched []access.ResourceRef
	var lines []kindLine
	for _, u := range ix.UsersByName() {
		user := ix.User(u)
		if !user.Holds() {
			continue
		}
		e.Load(u)
		if !slices.ContainsFunc(e.Groups(), func(g access.GroupRef) bool { return changed[g] }) {
			continue
		}
		gen++
		touched = touched[:0]
		raise := func(r access.ResourceRef, role access.Role) {
			if stamp[r] != gen {
				stamp[r], after[r] = gen, access.RoleNone
				touched = append(touched, r)
			}
			after[r] = access.MaxRole(after[r], role)
		}
		for _, r := range e.Resources() {
			if d := e.DirectRole(r); d != access.RoleNone {
				raise(r, d)
			}
		}
		for _, g := range e.Groups() {
			for _, gr := range grants[g] {
				raise(gr.res, gr.role)
			}
		}
		afterRole := func(r access.ResourceRef) access.Role {
			if stamp[r] == gen {
				return after[r]
			}
			return access.RoleNone
		}
		ownerAfter := hasOrg && afterRole(org) == access.RoleOwner
		lines = lines[:0]
		var orgChange *enforce.Change
		compare := func(r access.ResourceRef) {
			if shown[r] == gen {
				return
			}
			shown[r] = gen
			b, a := ix.PublicRole(r, e.Role), ix.PublicRole(r, afterRole)
			if b == a {
				return
			}
			res := ix.Resource(r)
			ch := enforce.Change{Resource: res.Name, ResourceID: res.ID, Before: b, After: a}
			switch {
			case hasOrg && r == org:
				orgChange = &ch
			case ownerAfter:
			case res.Kind == access.KindCloud || res.Kind == access.KindProject:
				lines = append(lines, kindLine{ch, res.Kind})
			}
		}
		for _, r := range e.Resources() {
			compare(r)
		}
		for _, r := range touched {
			compare(r)
		}
		// The public projects of the clouds held before or after: a cloud role gained or
		// lost gives or takes collaborator there.
		for _, rs := range [][]access.ResourceRef{e.Resources(), touched} {
			for _, c := range rs {
				for _, p := range ix.PublicProjects(c) {
					compare(p)
				}
			}
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

type groupGrant struct {
	res  access.ResourceRef
	role access.Role
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

// fingerprintVersion starts the hashed encoding; bump it when the encoding changes so that
// a preview from an older binary never matches by accident.
const fingerprintVersion = "rolecall/rules/preview/v1"

// fingerprint hashes what apply does: the rule set, the binding changes and the users'
// changes, each field length-prefixed (so that no two documents encode alike), in the
// preview's deterministic order (rules by position, changes by rule and group, users by
// userName), so equal previews hash equally. Covered bindings are left out: apply makes none.
func fingerprint(rules []Rule, c *Changes, users []enforce.UserChanges) string {
	f := &hashWriter{h: sha256.New(), buf: make([]byte, 0, 32<<10)}
	f.str(fingerprintVersion)
	f.num(len(rules))
	for _, r := range rules {
		f.str(r.ID, r.Name, r.Value, r.ResourceName, r.Role)
		f.num(r.Position, int(r.Match), int(r.ResourceKind))
	}
	for _, bs := range [][]Binding{c.Add, c.Remove} {
		f.num(len(bs))
		for _, b := range bs {
			f.str(b.ID, b.GroupID, b.ResourceID, b.RuleID)
			f.num(int(b.Role))
		}
	}
	f.num(len(c.Reassign))
	for _, r := range c.Reassign {
		f.str(r.ID, r.RuleID, r.FromRuleID)
	}
	f.num(len(users))
	for _, u := range users {
		f.str(u.UserID)
		for _, cs := range [][]enforce.Change{u.Changes.Clouds, u.Changes.Projects} {
			f.num(len(cs))
			for _, ch := range cs {
				f.str(ch.ResourceID)
				f.num(int(ch.Before), int(ch.After))
			}
		}
		if o := u.Changes.Organization; o != nil {
			f.num(1, int(o.Before), int(o.After))
		} else {
			f.num(0)
		}
	}
	return f.sum()
}

// hashWriter feeds a hash through a buffer, so that hashing 100,000 small fields is not
// 100,000 Write calls.
type hashWriter struct {
	h   hash.Hash
	buf []byte
}

func (w *hashWriter) str(ss ...string) {
	for _, s := range ss {
		w.buf = binary.AppendUvarint(w.buf, uint64(len(s)))
		w.buf = append(w.buf, s...)
		w.flush(false)
	}
}

func (w *hashWriter) num(ns ...int) {
	for _, n := range ns {
		w.buf = binary.AppendVarint(w.buf, int64(n))
	}
	w.flush(false)
}

func (w *hashWriter) flush(all bool) {
	if len(w.buf) >= 16<<10 || all {
		w.h.Write(w.buf)
		w.buf = w.buf[:0]
	}
}

func (w *hashWriter) sum() string {
	w.flush(true)
	return hex.EncodeToString(w.h.Sum(nil))
}
