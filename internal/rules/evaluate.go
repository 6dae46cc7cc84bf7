package rules

import (
	"cmp"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/rolecall/rolecall/internal/access"
)

// Group is a SCIM group as rules see it. access.Group has no externalId (access never needs
// it), so rules take their own input rather than widen the access State.
type Group struct {
	ID          string `json:"id"`
	DisplayName string `json:"displayName"`
	ExternalID  string `json:"externalId,omitempty"`
	// Active is false for a deactivated or deleted group. Rules match it all the same: its
	// rule-made bindings stay, like manual grants do, and grant nothing while it is inactive
	// (access drops an inactive group's bindings), so reactivating it restores its access
	// and deactivating it churns no bindings.
	Active bool `json:"active"`
}

// Binding is a rule-made group binding: Role on ResourceID to group GroupID, made by RuleID.
type Binding struct {
	// ID is the storage ID of an existing binding; empty in bindings a rule set wants.
	ID         string      `json:"id,omitempty"`
	GroupID    string      `json:"groupId"`
	ResourceID string      `json:"resourceId"`
	Role       access.Role `json:"role"`
	RuleID     string      `json:"ruleId"`
}

// Access returns b as an access binding of a group.
func (b Binding) Access() access.Binding {
	return access.Binding{ID: b.ID, ResourceID: b.ResourceID, PrincipalID: b.GroupID,
		PrincipalType: access.PrincipalGroup, Role: b.Role}
}

// key identifies a group binding regardless of who made it: the store allows one binding
// per (resource, principal, role), so a rule and a manual grant cannot both hold one.
type key struct {
	group, resource string
	role            access.Role
}

func (b *Binding) key() key { return key{b.GroupID, b.ResourceID, b.Role} }

// Resources indexes an organization's resources by kind and name for rule evaluation. Build
// it once per State; it is read-only afterwards.
type Resources struct {
	org    *access.Resource
	byName [access.KindProject + 1]map[string]*access.Resource // lower-cased name
	byID   map[string]*access.Resource
}

// NewResources indexes rs. Names are looked up ignoring case, as the store keeps them unique
// per kind ignoring case; on a duplicate the first resource wins.
func NewResources(rs []access.Resource) *Resources {
	x := &Resources{byID: make(map[string]*access.Resource, len(rs))}
	x.byName[access.KindCloud] = map[string]*access.Resource{}
	x.byName[access.KindProject] = map[string]*access.Resource{}
	for i := range rs {
		r := &rs[i]
		if _, dup := x.byID[r.ID]; !dup {
			x.byID[r.ID] = r
		}
		switch r.Kind {
		case access.KindOrganization:
			if x.org == nil {
				x.org = r
			}
		case access.KindCloud, access.KindProject:
			k := strings.ToLower(r.Name)
			if _, dup := x.byName[r.Kind][k]; !dup {
				x.byName[r.Kind][k] = r
			}
		}
	}
	return x
}

// lookup returns the resource of kind k named name; name is ignored for the organization.
func (x *Resources) lookup(k access.Kind, name string) *access.Resource {
	if k == access.KindOrganization {
		return x.org
	}
	if k != access.KindCloud && k != access.KindProject {
		return nil
	}
	return x.byName[k][strings.ToLower(name)]
}

// Set is a validated rule set, indexed for matching. Build it with Compile; it is read-only
// afterwards and safe for concurrent use.
type Set struct {
	rules []*compiled // sorted by (Position, ID); an int32 index here names a rule
	byID  map[string]int

	exactName map[string][]int32 // lower-cased displayName → rules, ascending
	exactExt  map[string][]int32 // externalId → rules, ascending
	// Patterns anchored with a literal prefix, by prefix; prefixLens holds the distinct
	// prefix lengths ascending, so a name is probed once per length (a handful), not once per
	// pattern.
	byPrefix   map[string][]int32
	prefixLens []int
	scan       []int32 // the remaining patterns: tried on every group (behind need)
}

// Compile validates rules and indexes them. It reports every invalid rule, duplicate ID and
// duplicate name (names compare ignoring case) at once, joined (errors.Join) as *Error
// values, so that an API can list them all; errors.Is(err, ErrInvalidRule) holds.
func Compile(rules []Rule) (*Set, error) {
	if len(rules) > MaxRules {
		return nil, &Error{Field: "rules", Msg: fmt.Sprintf("%d rules; an organization may have at most %d", len(rules), MaxRules)}
	}
	s := &Set{
		byID:      make(map[string]int, len(rules)),
		exactName: map[string][]int32{},
		exactExt:  map[string][]int32{},
		byPrefix:  map[string][]int32{},
	}
	var errs []error
	names := map[string]bool{}
	for _, r := range rules {
		c, err := compile(r)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if _, dup := s.byID[r.ID]; dup {
			errs = append(errs, &Error{RuleID: r.ID, RuleName: r.Name, Field: "id", Msg: "another rule has the same id"})
			continue
		}
		if n := strings.ToLower(r.Name); names[n] {
			errs = append(errs, &Error{RuleID: r.ID, RuleName: r.Name, Field: "name", Msg: "another rule has the same name; rule names are unique, ignoring case"})
			continue
		} else {
			names[n] = true
		}
		s.byID[r.ID] = -1
		s.rules = append(s.rules, c)
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	slices.SortFunc(s.rules, func(a, b *compiled) int {
		return cmp.Or(cmp.Compare(a.Position, b.Position), cmp.Compare(a.ID, b.ID))
	})
	lens := map[int]bool{}
	for i, c := range s.rules {
		s.byID[c.ID] = i
		o := int32(i)
		switch {
		case c.Match == MatchDisplayName:
			s.exactName[c.key] = append(s.exactName[c.key], o)
		case c.Match == MatchExternalID:
			s.exactExt[c.Value] = append(s.exactExt[c.Value], o)
		case c.prefix != "":
			s.byPrefix[c.prefix] = append(s.byPrefix[c.prefix], o)
			lens[len(c.prefix)] = true
		default:
			s.scan = append(s.scan, o)
		}
	}
	for l := range lens {
		s.prefixLens = append(s.prefixLens, l)
	}
	slices.Sort(s.prefixLens)
	return s, nil
}

// Rules returns the set's rules in evaluation order: by position, then ID.
func (s *Set) Rules() []Rule {
	out := make([]Rule, len(s.rules))
	for i, c := range s.rules {
		out[i] = c.Rule
	}
	return out
}

// Rule returns the rule with the given ID.
func (s *Set) Rule(id string) (Rule, bool) {
	i, ok := s.byID[id]
	if !ok {
		return Rule{}, false
	}
	return s.rules[i].Rule, true
}

// ProblemKind says what kept a rule from making a binding.
type ProblemKind string

// The problem kinds.
const (
	// ProblemMissingResource: the fixed or captured cloud or project does not exist. Rules
	// never create resources; the rule makes the binding once the resource exists.
	ProblemMissingResource ProblemKind = "missingResource"
	// ProblemInvalidRole: the captured role is unknown or not valid on the resource's kind.
	ProblemInvalidRole ProblemKind = "invalidRole"
	// ProblemEmptyCapture: the pattern matched but captured an empty resource name.
	ProblemEmptyCapture ProblemKind = "emptyCapture"
)

// Problem is a rule that matched but could not bind, or whose fixed resource is missing.
// GroupID and GroupName are empty for a problem of the rule itself (a fixed resource that
// does not exist), reported once whether or not the rule matches any group.
type Problem struct {
	RuleID    string      `json:"ruleId"`
	RuleName  string      `json:"ruleName"`
	GroupID   string      `json:"groupId,omitempty"`
	GroupName string      `json:"groupName,omitempty"`
	Kind      ProblemKind `json:"kind"`
	// Value is the resource name or role at fault.
	Value string `json:"value"`
	Msg   string `json:"message"`
}

// RuleMatches is what one rule matched.
type RuleMatches struct {
	RuleID string `json:"ruleId"`
	// Groups are the groups the rule matches, sorted by displayName then ID, problems
	// included (a matched group whose captured project is missing is still listed).
	Groups []Group `json:"groups"`
	// Owned counts the bindings the rule makes; Shadowed those it would make but an earlier
	// rule makes first.
	Owned    int `json:"owned"`
	Shadowed int `json:"shadowed"`
}

// Result is what a rule set wants for an organization.
type Result struct {
	// Bindings are the rule-made bindings the set wants, each once, owned by the first rule
	// (by position) that makes it; sorted by rule order, then group displayName and ID (a rule
	// makes at most one binding per group, so the order is total). Their ID is empty.
	Bindings []Binding `json:"bindings"`
	// Matches has one entry per rule, in rule order.
	Matches  []RuleMatches `json:"matches"`
	Problems []Problem     `json:"problems"`
}

// Evaluate compiles rules and evaluates them over groups and resources: the one-call form
// of Compile, NewResources and Set.Evaluate.
func Evaluate(rules []Rule, groups []Group, resources []access.Resource) (*Result, error) {
	s, err := Compile(rules)
	if err != nil {
		return nil, err
	}
	return s.Evaluate(groups, NewResources(resources)), nil
}

// Evaluate returns the bindings the set wants over groups, with what each rule matched and
// the problems met, a fixed resource that does not exist included (once per rule, matched or
// not). Groups are taken once each (the first of a duplicate ID). Every rule is tried on
// every group, but through the index: exact rules by map lookup, anchored patterns by their
// literal prefix, and only the remaining patterns on every name. The result does not depend
// on the order of groups or resources.
func (s *Set) Evaluate(groups []Group, res *Resources) *Result {
	return s.evaluate(groups, res, true, nil)
}

// evaluation is one Evaluate call's working state.
type evaluation struct {
	set *Set
	res *Resources
	out *Result
	// full records Matches and reports every rule's missing fixed resource; without it (one
	// group reconciled on a SCIM write) the cost is that of the rules the groups meet, not
	// of the whole set.
	full  bool
	fixed map[int32]*access.Resource // resolved fixed resources; nil value = missing
}

// scope restricts an evaluation to the bindings on some resources (see ReconcileResources):
// only the rules that can make one there are tried, and bindings elsewhere are dropped.
type scope struct {
	rules []bool          // by rule index: the rule can make a binding on a resource in on
	on    map[string]bool // resource IDs
	// The parts of the set's index the scope's rules are in, so that a group is only probed
	// where they are: the exact maps when one of them is exact, the prefix lengths of theirs,
	// and their unindexed patterns (not the whole scan list, tried on every group).
	names, exts bool
	prefixLens  []int
	scan        []int32
	// A rule capturing the resource binds on one of on only when the name it captures is
	// one of theirs, ignoring case: the group's lower-cased name then contains that name,
	// lower-cased (strings.ToLower maps rune by rune, as the regexp splits the name). Most
	// groups contain none of them, and are spared the capturing patterns.
	capture  []bool   // by rule index: in the scope because it captures the resource
	lowNames []string // the lower-cased names of the resources in on
	fixed    bool     // a rule with a fixed resource is in the scope
}

// mayCapture reports whether a rule capturing the resource can bind g on one of sc.on.
func (sc *scope) mayCapture(g *Group) bool {
	low := strings.ToLower(g.DisplayName)
	for _, n := range sc.lowNames {
		if strings.Contains(low, n) {
			return true
		}
	}
	return false
}

// index fills sc's part of the index from sc.rules.
func (sc *scope) index(s *Set) {
	lens := map[int]bool{}
	for i, c := range s.rules {
		if !sc.rules[i] {
			continue
		}
		sc.fixed = sc.fixed || !sc.capture[i]
		switch {
		case c.Match == MatchDisplayName:
			sc.names = true
		case c.Match == MatchExternalID:
			sc.exts = true
		case c.prefix != "":
			lens[len(c.prefix)] = true
		}
	}
	for _, l := range s.prefixLens {
		if lens[l] {
			sc.prefixLens = append(sc.prefixLens, l)
		}
	}
	for _, o := range s.scan {
		if sc.rules[o] {
			sc.scan = append(sc.scan, o)
		}
	}
}

// candidatesIn is candidates (sc nil) or the candidates among sc's rules.
func (s *Set) candidatesIn(dst []int32, g *Group, sc *scope) []int32 {
	if sc == nil {
		return s.candidates(dst, g)
	}
	captures := sc.mayCapture(g)
	if !captures && !sc.fixed {
		return dst
	}
	if sc.names {
		dst = append(dst, s.exactName[strings.ToLower(g.DisplayName)]...)
	}
	if sc.exts && g.ExternalID != "" {
		dst = append(dst, s.exactExt[g.ExternalID]...)
	}
	for _, l := range sc.prefixLens {
		if l > len(g.DisplayName) {
			break
		}
		dst = append(dst, s.byPrefix[g.DisplayName[:l]]...)
	}
	dst = append(dst, sc.scan...)
	dst = slices.DeleteFunc(dst, func(o int32) bool { return !sc.rules[o] || (sc.capture[o] && !captures) })
	slices.Sort(dst)
	return dst
}

// evaluate is Evaluate (full: with Matches and the fixed resources' problems) or the
// bindings alone; sc, when not nil, restricts it to the bindings on sc.on.
func (s *Set) evaluate(groups []Group, res *Resources, full bool, sc *scope) *Result {
	e := &evaluation{set: s, res: res, full: full, fixed: map[int32]*access.Resource{},
		out: &Result{Bindings: []Binding{}, Matches: []RuleMatches{}, Problems: []Problem{}}}
	out := e.out
	if full {
		out.Matches = make([]RuleMatches, len(s.rules))
		for i, c := range s.rules {
			out.Matches[i] = RuleMatches{RuleID: c.ID, Groups: []Group{}}
		}
	}

	order := make([]int, 0, len(groups))
	seen := make(map[string]bool, len(groups))
	var cands []int32
	for i := range groups {
		if !seen[groups[i].ID] {
			seen[groups[i].ID] = true
			// In a scope most groups meet none of its rules: leave them out before the
			// sort, which would otherwise cost more than the matching.
			if sc != nil && len(s.candidatesIn(cands[:0], &groups[i], sc)) == 0 {
				continue
			}
			order = append(order, i)
		}
	}
	slices.SortFunc(order, func(a, b int) int {
		return cmp.Or(cmp.Compare(groups[a].DisplayName, groups[b].DisplayName), cmp.Compare(groups[a].ID, groups[b].ID))
	})

	var made []Binding // this group's bindings so far: the first rule to make one owns it
	for _, gi := range order {
		g := &groups[gi]
		cands = s.candidatesIn(cands[:0], g, sc)
		made = made[:0]
		for _, o := range cands {
			b, ok := e.apply(o, g)
			if !ok || (sc != nil && !sc.on[b.ResourceID]) {
				// A binding outside the scope is made by a rule that may also make one
				// inside it (a captured resource), but never shadows one there: bindings
				// on different resources are different bindings.
				continue
			}
			shadowed := slices.ContainsFunc(made, func(m Binding) bool { return m.key() == b.key() })
			if full && shadowed {
				out.Matches[o].Shadowed++
			} else if full {
				out.Matches[o].Owned++
			}
			if !shadowed {
				made = append(made, b)
				out.Bindings = append(out.Bindings, b)
			}
		}
	}
	if full {
		for i, c := range s.rules {
			if c.resCap < 0 {
				e.fixedResource(int32(i))
			}
		}
	}
	// Groups were visited in name order and rules in order within each group: a stable sort
	// by rule gives (rule, group name, group ID) order. Within one group a rule makes one
	// binding, so the order is total.
	pos := func(id string) int { return s.byID[id] }
	slices.SortStableFunc(out.Bindings, func(a, b Binding) int { return cmp.Compare(pos(a.RuleID), pos(b.RuleID)) })
	slices.SortStableFunc(out.Problems, func(a, b Problem) int { return cmp.Compare(pos(a.RuleID), pos(b.RuleID)) })
	return out
}

// fixedResource resolves rule o's fixed resource once per evaluation, reporting it (once)
// when it does not exist.
func (e *evaluation) fixedResource(o int32) *access.Resource {
	if r, done := e.fixed[o]; done {
		return r
	}
	c := e.set.rules[o]
	r := e.res.lookup(c.kind, c.ResourceName)
	e.fixed[o] = r
	if r == nil {
		what := "the organization resource"
		if c.kind != access.KindOrganization {
			what = fmt.Sprintf("%s %q", c.kind, c.ResourceName)
		}
		e.out.Problems = append(e.out.Problems, Problem{RuleID: c.ID, RuleName: c.Name, Kind: ProblemMissingResource,
			Value: c.ResourceName, Msg: fmt.Sprintf("%s does not exist; rules never create resources: create it or change the rule", what)})
	}
	return r
}

// candidates appends to dst, ascending, the rules that may match g: every other rule cannot.
func (s *Set) candidates(dst []int32, g *Group) []int32 {
	dst = append(dst, s.exactName[strings.ToLower(g.DisplayName)]...)
	if g.ExternalID != "" {
		dst = append(dst, s.exactExt[g.ExternalID]...)
	}
	for _, l := range s.prefixLens {
		if l > len(g.DisplayName) {
			break
		}
		dst = append(dst, s.byPrefix[g.DisplayName[:l]]...)
	}
	dst = append(dst, s.scan...)
	slices.Sort(dst)
	return dst
}

// apply tries rule o on group g: whether it matches (recorded in Matches), and the binding it
// makes, or the problem that prevents it (recorded in Problems).
func (e *evaluation) apply(o int32, g *Group) (Binding, bool) {
	c, out := e.set.rules[o], e.out
	var sub []int
	if c.Match == MatchPattern {
		if c.need != "" && !strings.Contains(g.DisplayName, c.need) {
			return Binding{}, false
		}
		if c.resCap < 0 && c.roleCap < 0 {
			if !c.re.MatchString(g.DisplayName) {
				return Binding{}, false
			}
		} else if sub = c.re.FindStringSubmatchIndex(g.DisplayName); sub == nil {
			return Binding{}, false
		}
	}
	// Exact candidates come from map lookups keyed by the very value compared, so they match.
	if e.full {
		m := &out.Matches[o]
		m.Groups = append(m.Groups, *g)
	}
	problem := func(kind ProblemKind, value, f string, a ...any) (Binding, bool) {
		out.Problems = append(out.Problems, Problem{RuleID: c.ID, RuleName: c.Name, GroupID: g.ID, GroupName: g.DisplayName,
			Kind: kind, Value: value, Msg: fmt.Sprintf(f, a...)})
		return Binding{}, false
	}
	captured := func(i int) string {
		if sub[2*i] < 0 {
			return ""
		}
		return g.DisplayName[sub[2*i]:sub[2*i+1]]
	}

	var r *access.Resource
	if c.resCap >= 0 {
		name := captured(c.resCap)
		if name == "" {
			return problem(ProblemEmptyCapture, "", "group %q: the pattern captured an empty %s name", g.DisplayName, c.kind)
		}
		if r = e.res.lookup(c.kind, name); r == nil {
			return problem(ProblemMissingResource, name, "group %q names %s %q, which does not exist; rules never create resources: create it or rename the group",
				g.DisplayName, c.kind, name)
		}
	} else if r = e.fixedResource(o); r == nil {
		return Binding{}, false // reported once for the rule
	}
	role := c.fixed
	if c.roleCap >= 0 {
		name := captured(c.roleCap)
		var err error
		if role, err = ParseRoleOn(c.kind, name); err != nil {
			return problem(ProblemInvalidRole, name, "group %q: %v", g.DisplayName, err)
		}
	}
	return Binding{GroupID: g.ID, ResourceID: r.ID, Role: role, RuleID: c.ID}, true
}
