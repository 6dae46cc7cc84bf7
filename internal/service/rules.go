package service

import (
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"

	"github.com/google/uuid"

	"github.com/rolecall/rolecall/internal/access"
	"github.com/rolecall/rolecall/internal/api"
	"github.com/rolecall/rolecall/internal/audit"
	"github.com/rolecall/rolecall/internal/enforce"
	"github.com/rolecall/rolecall/internal/events"
	"github.com/rolecall/rolecall/internal/rules"
	"github.com/rolecall/rolecall/internal/store"
)

// Group → role rules (package rules is the pure engine; its doc's "Integration" section is
// the plan this file follows).
//
//   - A rule change (add, change, delete, reorder, a whole set) is previewed from one
//     snapshot and applied in one transaction that takes the org lock, recomputes the
//     preview and refuses when its fingerprint is not the one the admin saw; it stores the
//     new set, applies the binding changes, keeps a restore point (store.RuleChange), and
//     writes one audit event and its change events.
//   - A SCIM group create, rename or externalId change reconciles just that group in the
//     same transaction as the SCIM write; creating or renaming a cloud or project reconciles
//     just the bindings on it (reconcileResource), which is all that reconciling every group
//     would change. The org's compiled rule set is cached per version of its rules.
//   - A rule-made binding is the rule's: a manual grant or revoke of it is refused, naming
//     the rule.

// ErrRuleStale is wrapped by the refusal to apply a rule change whose preview moved.
var ErrRuleStale = errors.New("stale rule preview")

// RuleStaleError says the rule change computed at apply time is not the one previewed.
type RuleStaleError struct{ Previewed, Current string }

func (e *RuleStaleError) Error() string {
	return fmt.Sprintf("the organization changed since the preview (fingerprint %s, now %s): nothing was applied; preview the rule change again and confirm it",
		short(e.Previewed), short(e.Current))
}

// Unwrap makes errors.Is(err, ErrRuleStale) hold.
func (e *RuleStaleError) Unwrap() error { return ErrRuleStale }

func short(fp string) string {
	if fp == "" {
		return "(none)"
	}
	if len(fp) > 12 {
		return fp[:12]
	}
	return fp
}

// ruleCache keeps each org's compiled rule set, keyed by a hash of the stored rules: a SCIM
// group write reads the (small) rule rows and compiles them only when they changed, which
// is what costs (regular expressions), so that every server recompiles exactly when the
// rules it reads differ from the ones it compiled.
type ruleCache struct {
	mu sync.Mutex
	m  map[string]cachedRules
}

type cachedRules struct {
	key string
	set *rules.Set
}

func (c *ruleCache) get(org, key string) *rules.Set {
	c.mu.Lock()
	defer c.mu.Unlock()
	if e, ok := c.m[org]; ok && e.key == key {
		return e.set
	}
	return nil
}

func (c *ruleCache) put(org, key string, set *rules.Set) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil {
		c.m = map[string]cachedRules{}
	}
	c.m[org] = cachedRules{key, set}
}

// ruleSet returns the org's compiled rules, nil when it has none. A stored rule that no
// longer validates (stored under older validation) is left out rather than stop every SCIM
// write; previews report it.
func (s *Service) ruleSet(ctx context.Context, tx store.Tx, org string) (*rules.Set, error) {
	stored, err := tx.GroupRules(ctx, org)
	if err != nil || len(stored) == 0 {
		return nil, err
	}
	key := rulesKey(stored)
	if set := s.rules.get(org, key); set != nil {
		return set, nil
	}
	rs := make([]rules.Rule, 0, len(stored))
	for _, g := range stored {
		if r := ruleOf(g); rules.Validate(r) == nil {
			rs = append(rs, r)
		}
	}
	set, err := rules.Compile(rs)
	if err != nil { // duplicate names under older rules: keep the first of each
		seen := map[string]bool{}
		rs = slices.DeleteFunc(rs, func(r rules.Rule) bool {
			n := strings.ToLower(r.Name)
			dup := seen[n] || seen["id:"+r.ID]
			seen[n], seen["id:"+r.ID] = true, true
			return dup
		})
		if set, err = rules.Compile(rs); err != nil {
			return nil, err
		}
	}
	s.rules.put(org, key, set)
	return set, nil
}

func rulesKey(rs []store.GroupRule) string {
	h := sha256.New()
	var buf []byte
	for _, r := range rs {
		for _, f := range []string{r.ID, r.Name, r.Match, r.Value, r.ResourceKind, r.ResourceName, r.Role} {
			buf = binary.AppendUvarint(buf[:0], uint64(len(f)))
			h.Write(buf)
			h.Write([]byte(f))
		}
		buf = binary.AppendVarint(buf[:0], int64(r.Position))
		h.Write(buf)
	}
	return hex.EncodeToString(h.Sum(nil))
}

// ruleOf converts a stored rule; a field that does not parse stays zero, for Compile to
// report.
func ruleOf(g store.GroupRule) rules.Rule {
	r := rules.Rule{ID: g.ID, Name: g.Name, Position: g.Position, Value: g.Value, ResourceName: g.ResourceName, Role: g.Role}
	r.Match, _ = rules.ParseMatchKind(g.Match)
	if g.ResourceKind != "" {
		r.ResourceKind, _ = rules.ParseResourceKind(g.ResourceKind)
	}
	return r
}

func rulesOf(gs []store.GroupRule) []rules.Rule {
	out := make([]rules.Rule, len(gs))
	for i, g := range gs {
		out[i] = ruleOf(g)
	}
	return out
}

func ruleView(g store.GroupRule) api.Rule {
	return api.Rule{ID: g.ID, Name: g.Name, Position: g.Position, Match: g.Match, Value: g.Value,
		ResourceKind: g.ResourceKind, ResourceName: g.ResourceName, Role: g.Role, Description: ruleOf(g).Describe(),
		CreatedAt: g.CreatedAt, CreatedBy: g.CreatedBy, UpdatedAt: g.UpdatedAt, UpdatedBy: g.UpdatedBy}
}

func ruleViews(gs []store.GroupRule) []api.Rule {
	out := make([]api.Rule, len(gs))
	for i, g := range gs {
		out[i] = ruleView(g)
	}
	return out
}

// storedRule is r as stored, keeping old's creation (and its update stamp when r is the
// same rule unchanged).
func storedRule(org string, r rules.Rule, old *store.GroupRule, now store.GroupRule) store.GroupRule {
	g := store.GroupRule{OrgID: org, ID: r.ID, Position: r.Position, Name: r.Name, Match: r.Match.String(), Value: r.Value,
		ResourceName: r.ResourceName, Role: r.Role,
		CreatedAt: now.CreatedAt, CreatedBy: now.CreatedBy, UpdatedAt: now.UpdatedAt, UpdatedBy: now.UpdatedBy}
	if r.ResourceKind != 0 {
		g.ResourceKind = r.ResourceKind.String()
	}
	if old != nil {
		g.CreatedAt, g.CreatedBy = old.CreatedAt, old.CreatedBy
		if ruleOf(*old) == r {
			g.UpdatedAt, g.UpdatedBy = old.UpdatedAt, old.UpdatedBy
		}
	}
	return g
}

// RuleIDFor is the ID a new rule named name gets in org when the client gives none: derived
// from the org and the name (ignoring case, as names are unique), so that a preview and the
// apply that follows agree on it without the client carrying it, and two orgs' rules of one
// name have different IDs.
func RuleIDFor(org, name string) string {
	sum := sha256.Sum256([]byte(org + "\x00" + strings.ToLower(strings.TrimSpace(name))))
	return "rule-" + hex.EncodeToString(sum[:8])
}

// ruleFromInput resolves a client's rule; kinds and match names are checked here, the rest
// by rules.Compile.
func ruleFromInput(org string, in api.RuleInput) (rules.Rule, error) {
	r := rules.Rule{ID: strings.TrimSpace(in.ID), Name: strings.TrimSpace(in.Name), Value: in.Value,
		ResourceName: strings.TrimSpace(in.ResourceName), Role: strings.TrimSpace(in.Role)}
	if r.Name == "" {
		return r, badRequest("a rule needs a name")
	}
	if r.ID == "" {
		r.ID = RuleIDFor(org, r.Name)
	}
	m, err := rules.ParseMatchKind(in.Match)
	if err != nil {
		return r, badRequest("rule %q: %v", r.Name, err)
	}
	r.Match = m
	if k := strings.TrimSpace(in.ResourceKind); k != "" {
		if r.ResourceKind, err = rules.ParseResourceKind(k); err != nil {
			return r, badRequest("rule %q: %v", r.Name, err)
		}
	}
	if in.Position != nil {
		r.Position = *in.Position
	}
	return r, nil
}

func findRule(rs []rules.Rule, ref string) int {
	if i := slices.IndexFunc(rs, func(r rules.Rule) bool { return r.ID == ref }); i >= 0 {
		return i
	}
	return slices.IndexFunc(rs, func(r rules.Rule) bool { return strings.EqualFold(r.Name, ref) })
}

// proposal is a rule change resolved against the rules stored now.
type proposal struct {
	rules   []rules.Rule // the new set, in order (by position)
	action  string
	summary string
}

// propose builds the new rule set that req asks for from old (in order).
func propose(org string, old []rules.Rule, req api.RuleChangeRequest) (proposal, error) {
	n := 0
	for _, set := range []bool{req.Rules != nil, req.Add != nil, req.Change != "", req.Delete != ""} {
		if set {
			n++
		}
	}
	if n != 1 {
		return proposal{}, badRequest("a rule change names exactly one of: rules (the whole new set), add, change (with patch) or delete")
	}
	cur := slices.Clone(old)
	var p proposal
	// Positions are renumbered 1..n only when a rule is put at a given place (the rules
	// after it really move); otherwise they stay, so that deleting or changing one rule
	// shows no other rule as changed.
	renumber := false
	// placed puts r at 1-based position pos among cur; without one (pos 0) it goes last,
	// after the last position.
	placed := func(r rules.Rule, pos int) {
		switch {
		case pos <= 0 || pos > len(cur):
			r.Position = 1
			if len(cur) > 0 {
				r.Position = max(cur[len(cur)-1].Position+1, len(cur)+1)
			}
			cur = append(cur, r)
		default:
			cur = slices.Insert(cur, pos-1, r)
			renumber = true
		}
	}
	switch {
	case req.Rules != nil:
		cur = cur[:0:0]
		for _, in := range req.Rules {
			r, err := ruleFromInput(org, in)
			if err != nil {
				return p, err
			}
			if in.ID == "" { // an existing rule of that name keeps its ID
				if i := findRule(old, r.Name); i >= 0 && strings.EqualFold(old[i].Name, r.Name) {
					r.ID = old[i].ID
				}
			}
			cur = append(cur, r)
		}
		// Positions all given order the set and are kept as they are; otherwise the order
		// sent is the order, and numbers them.
		renumber = slices.ContainsFunc(req.Rules, func(in api.RuleInput) bool { return in.Position == nil })
		if !renumber {
			slices.SortStableFunc(cur, func(a, b rules.Rule) int { return cmp.Compare(a.Position, b.Position) })
		}
		p.action, p.summary = audit.ActionRuleReplaced, fmt.Sprintf("replaced the rule set (%d rules)", len(cur))
	case req.Add != nil:
		r, err := ruleFromInput(org, *req.Add)
		if err != nil {
			return p, err
		}
		if i := findRule(old, r.Name); i >= 0 && strings.EqualFold(old[i].Name, r.Name) {
			return p, conflict("a rule named %q exists already (rule names are unique, ignoring case): change it or pick another name", old[i].Name)
		}
		if findRule(old, r.ID) >= 0 {
			return p, conflict("a rule with id %q exists already", r.ID)
		}
		placed(r, r.Position)
		p.action, p.summary = audit.ActionRuleAdded, fmt.Sprintf("added rule %q", r.Name)
	case req.Change != "":
		i := findRule(cur, req.Change)
		if i < 0 {
			return p, notFoundf("no rule %q in this organization (list them with `rolecall rule list`)", req.Change)
		}
		if req.Patch == nil {
			return p, badRequest("a rule change needs a patch: the fields to change")
		}
		r := cur[i]
		pt := req.Patch
		if pt.Name != nil {
			name := strings.TrimSpace(*pt.Name)
			if j := findRule(old, name); j >= 0 && j != i && strings.EqualFold(old[j].Name, name) {
				return p, conflict("a rule named %q exists already (rule names are unique, ignoring case)", old[j].Name)
			}
			r.Name = name
		}
		if pt.Match != nil {
			m, err := rules.ParseMatchKind(*pt.Match)
			if err != nil {
				return p, badRequest("rule %q: %v", r.Name, err)
			}
			r.Match = m
		}
		if pt.Value != nil {
			r.Value = *pt.Value
		}
		if pt.ResourceKind != nil {
			r.ResourceKind = 0
			if k := strings.TrimSpace(*pt.ResourceKind); k != "" {
				var err error
				if r.ResourceKind, err = rules.ParseResourceKind(k); err != nil {
					return p, badRequest("rule %q: %v", r.Name, err)
				}
			}
		}
		if pt.ResourceName != nil {
			r.ResourceName = strings.TrimSpace(*pt.ResourceName)
		}
		if pt.Role != nil {
			r.Role = strings.TrimSpace(*pt.Role)
		}
		if pt.Position != nil && *pt.Position != i+1 {
			cur = slices.Delete(cur, i, i+1)
			placed(r, max(*pt.Position, 1))
			renumber = true
		} else {
			cur[i] = r
		}
		p.action, p.summary = audit.ActionRuleChanged, fmt.Sprintf("changed rule %q", r.Name)
	default:
		i := findRule(cur, req.Delete)
		if i < 0 {
			return p, notFoundf("no rule %q in this organization (list them with `rolecall rule list`)", req.Delete)
		}
		p.action, p.summary = audit.ActionRuleDeleted, fmt.Sprintf("deleted rule %q", cur[i].Name)
		cur = slices.Delete(cur, i, i+1)
	}
	if renumber {
		for i := range cur {
			cur[i].Position = i + 1
		}
	}
	p.rules = cur
	return p, nil
}

// ruleState is what a rule change is computed from, read in one transaction.
type ruleState struct {
	state   *access.State
	groups  []rules.Group
	current []rules.Binding
	stored  []store.GroupRule
}

func loadRuleState(ctx context.Context, tx store.Tx, org string) (*ruleState, error) {
	st, err := LoadState(ctx, tx, org)
	if err != nil {
		return nil, err
	}
	rs := &ruleState{state: st}
	err = tx.ScanGroups(ctx, org, func(g store.Group) error {
		rs.groups = append(rs.groups, rules.Group{ID: g.ID, DisplayName: g.DisplayName, ExternalID: g.ExternalID, Active: g.Active})
		return nil
	})
	if err != nil {
		return nil, err
	}
	made, err := tx.RuleBindings(ctx, org, "")
	if err != nil {
		return nil, err
	}
	if rs.current, err = ruleBindings(made); err != nil {
		return nil, err
	}
	if rs.stored, err = tx.GroupRules(ctx, org); err != nil {
		return nil, err
	}
	return rs, nil
}

// ruleBindings converts the rule-made group bindings of bs (others are skipped).
func ruleBindings(bs []store.Binding) ([]rules.Binding, error) {
	out := make([]rules.Binding, 0, len(bs))
	for _, b := range bs {
		if b.RuleID == "" || b.PrincipalType != store.PrincipalGroup {
			continue
		}
		role, err := access.ParseRole(b.Role)
		if err != nil {
			return nil, fmt.Errorf("binding %s: %w", b.ID, err)
		}
		out = append(out, rules.Binding{ID: b.ID, GroupID: b.PrincipalID, ResourceID: b.ResourceID, Role: role, RuleID: b.RuleID})
	}
	return out, nil
}

// rulesError turns rules.Compile's validation errors into one 400 listing them all.
func rulesError(err error) error {
	if !errors.Is(err, rules.ErrInvalidRule) {
		return err
	}
	var list []*rules.Error
	var msgs []string
	var walk func(error)
	walk = func(e error) {
		if j, ok := e.(interface{ Unwrap() []error }); ok {
			for _, x := range j.Unwrap() {
				walk(x)
			}
			return
		}
		var re *rules.Error
		if errors.As(e, &re) {
			list = append(list, re)
		}
		msgs = append(msgs, e.Error())
	}
	walk(err)
	e := badRequest("%s", strings.Join(msgs, "; "))
	e.Details = map[string]any{"errors": list}
	return e
}

// previewOf computes the preview of p over rs.
func previewOf(rs *ruleState, p proposal) (*rules.Preview, error) {
	pv, err := rules.NewPreview(rules.Input{State: rs.state, Groups: rs.groups, Current: rs.current,
		Old: rulesOf(rs.stored), New: p.rules})
	if err != nil {
		return nil, rulesError(err)
	}
	return pv, nil
}

func proposedViews(org string, rs *ruleState, p proposal) []api.Rule {
	out := make([]api.Rule, len(p.rules))
	for i, r := range p.rules {
		var old *store.GroupRule
		if j := slices.IndexFunc(rs.stored, func(g store.GroupRule) bool { return g.ID == r.ID }); j >= 0 {
			old = &rs.stored[j]
		}
		out[i] = ruleView(storedRule(org, r, old, store.GroupRule{}))
	}
	return out
}

// Rules lists the org's group rules in order.
func (s *Service) Rules(ctx context.Context, org string) (out []api.Rule, err error) {
	err = s.store.View(ctx, func(tx store.Tx) error {
		rs, err := tx.GroupRules(ctx, org)
		out = ruleViews(rs)
		return err
	})
	return out, err
}

// PreviewRuleChange shows what req would do now: which groups each rule matches, which
// bindings appear, go or change hands, every user's change, the problems (a rule naming a
// missing cloud or project: reported, never created) and the fingerprint to apply it with.
// It reads one snapshot and never writes.
func (s *Service) PreviewRuleChange(ctx context.Context, org string, req api.RuleChangeRequest) (out api.RulePreview, err error) {
	err = s.store.View(ctx, func(tx store.Tx) error {
		rs, err := loadRuleState(ctx, tx, org)
		if err != nil {
			return err
		}
		p, err := propose(org, rulesOf(rs.stored), req)
		if err != nil {
			return err
		}
		pv, err := previewOf(rs, p)
		if err != nil {
			return err
		}
		out = api.RulePreview{Rules: proposedViews(org, rs, p), Preview: *pv}
		return nil
	})
	return out, err
}

// ApplyRuleChange applies req as previewed, in one transaction: it takes the org lock,
// recomputes the preview, refuses (RuleStaleError, nothing changed) unless its fingerprint is
// req.Fingerprint, stores the new rule set, deletes, creates (marked with their rule) and
// hands over the bindings, records the restore point, and writes one audit event, the
// grant events and rules.changed. A change that changes nothing records nothing.
func (s *Service) ApplyRuleChange(ctx context.Context, org string, req api.RuleChangeRequest) (api.RuleApplyResult, error) {
	var out api.RuleApplyResult
	err := s.write(store.OwnTransaction(ctx), org, func(tx store.Tx, ob *Outbox) error {
		if err := tx.LockOrg(ctx, org); err != nil {
			return err
		}
		rs, err := loadRuleState(ctx, tx, org)
		if err != nil {
			return err
		}
		p, err := propose(org, rulesOf(rs.stored), req)
		if err != nil {
			return err
		}
		// Checked after the rule is found, so that a rule of another org is a 404 whatever
		// the request holds.
		if req.Fingerprint == "" {
			return badRequest("applying a rule change needs the fingerprint of the preview you confirmed: take it from the preview (POST /api/v1/rules/preview, or dryRun=true)")
		}
		pv, err := previewOf(rs, p)
		if err != nil {
			return err
		}
		if pv.Fingerprint != req.Fingerprint {
			return &RuleStaleError{Previewed: req.Fingerprint, Current: pv.Fingerprint}
		}
		out.Preview = *pv
		now, actor := store.Now(), audit.ActorFrom(ctx).Name
		stamp := store.GroupRule{CreatedAt: now, CreatedBy: actor, UpdatedAt: now, UpdatedBy: actor}
		newSet := make([]store.GroupRule, len(p.rules))
		for i, r := range p.rules {
			var old *store.GroupRule
			if j := slices.IndexFunc(rs.stored, func(g store.GroupRule) bool { return g.ID == r.ID }); j >= 0 {
				old = &rs.stored[j]
			}
			newSet[i] = storedRule(org, r, old, stamp)
		}
		if pv.Empty() && sameRules(rs.stored, newSet) {
			out.Rules = ruleViews(rs.stored)
			return nil
		}
		if err := tx.ReplaceGroupRules(ctx, org, newSet); err != nil {
			return err
		}
		names := namesOf(rs.state)
		applied, err := applyRuleChanges(ctx, tx, org, ob, names, pv.Changes, false)
		if err != nil {
			return err
		}
		acc := accessOf(pv.Users)
		ch, err := recordRuleChange(ctx, tx, ob, store.RuleChange{OrgID: org, CreatedAt: now, Actor: actor, Action: p.action,
			Summary: p.summary, Fingerprint: pv.Fingerprint}, rs.stored, newSet, applied, &acc)
		if err != nil {
			return err
		}
		out.Applied, out.Change, out.Rules = true, ch, ruleViews(newSet)
		return audit.Log(ctx, tx, org, p.action, audit.TargetRuleChange, ch.ID,
			ruleAudit{Rules: ruleViews(rs.stored)},
			ruleAudit{Rules: ruleViews(newSet), Change: ch, Summary: &pv.Summary})
	})
	if err != nil {
		return api.RuleApplyResult{}, err
	}
	return out, nil
}

// ruleAudit is the before and after of a rule change's audit event.
type ruleAudit struct {
	Rules   []api.Rule      `json:"rules"`
	Change  *api.RuleChange `json:"change,omitempty"`
	Summary *rules.Summary  `json:"previewSummary,omitempty"`
}

func sameRules(a, b []store.GroupRule) bool {
	return slices.EqualFunc(a, b, func(x, y store.GroupRule) bool { return ruleOf(x) == ruleOf(y) })
}

// bindingNames names groups and resources for grant events without a query per binding.
type bindingNames struct {
	groups    map[string]string
	resources map[string]store.Resource
}

func namesOf(st *access.State) bindingNames {
	n := bindingNames{groups: make(map[string]string, len(st.Groups)), resources: make(map[string]store.Resource, len(st.Resources))}
	for _, g := range st.Groups {
		n.groups[g.ID] = g.DisplayName
	}
	for _, r := range st.Resources {
		n.resources[r.ID] = store.Resource{ID: r.ID, Kind: store.ResourceKind(r.Kind.String()), Name: r.Name, ParentID: r.ParentID, Public: r.Public}
	}
	return n
}

// applyRuleChanges carries out c in tx: deletes Remove, creates Add (with new IDs unless
// they carry one: an undo re-creates bindings under their old IDs) marked with their rule,
// and hands Reassign over; it adds a grant event per binding created or deleted. It returns
// c as applied (Add with the IDs they got).
//
// With withAccess, each grant event carries the access changes of the users below its
// group (ruleAccess); without, none: a rule change's own event (rules.changed) carries the
// whole change's.
func applyRuleChanges(ctx context.Context, tx store.Tx, org string, ob *Outbox, names bindingNames, c rules.Changes, withAccess bool) (rules.Changes, error) {
	sb := func(b rules.Binding) store.Binding {
		return store.Binding{OrgID: org, ID: b.ID, ResourceID: b.ResourceID, PrincipalType: store.PrincipalGroup,
			PrincipalID: b.GroupID, Role: b.Role.String(), RuleID: b.RuleID}
	}
	accessOfGroup := func(string) *events.AccessChanges { return nil }
	if withAccess && (len(c.Remove) > 0 || len(c.Add) > 0) {
		var err error
		if accessOfGroup, err = ruleAccess(ctx, tx, org, c); err != nil {
			return c, err
		}
	}
	if len(c.Remove) > 0 {
		ids := make([]string, len(c.Remove))
		for i, b := range c.Remove {
			ids[i] = b.ID
			d := GrantEvent(sb(b), names.resources[b.ResourceID], names.groups[b.GroupID])
			d.Access = accessOfGroup(b.GroupID)
			ob.Add(events.GrantRevoked, d)
		}
		n, err := tx.DeleteBindings(ctx, org, ids)
		if err != nil {
			return c, err
		}
		if n != len(ids) {
			return c, fmt.Errorf("%w: %d of %d rule-made bindings to delete were gone; nothing was applied, try again", store.ErrVersionMismatch, len(ids)-n, len(ids))
		}
	}
	if len(c.Add) > 0 {
		now, actor := store.Now(), audit.ActorFrom(ctx).Name
		add := slices.Clone(c.Add)
		recs := make([]store.Binding, len(add))
		for i := range add {
			if add[i].ID == "" {
				id, err := uuid.NewV7()
				if err != nil {
					return c, err
				}
				add[i].ID = id.String()
			}
			recs[i] = sb(add[i])
			recs[i].CreatedAt, recs[i].CreatedBy = now, actor
		}
		if err := tx.InsertBindings(ctx, org, recs); err != nil {
			return c, err
		}
		for _, b := range recs {
			d := GrantEvent(b, names.resources[b.ResourceID], names.groups[b.PrincipalID])
			d.Access = accessOfGroup(b.PrincipalID)
			ob.Add(events.GrantCreated, d)
		}
		c.Add = add
	}
	for _, r := range c.Reassign {
		if err := tx.SetBindingRule(ctx, org, r.ID, r.RuleID); err != nil {
			return c, err
		}
	}
	return c, nil
}

// recordRuleChange keeps the restore point and adds rules.changed.
func recordRuleChange(ctx context.Context, tx store.Tx, ob *Outbox, rc store.RuleChange, old, newSet []store.GroupRule,
	applied rules.Changes, acc *events.AccessChanges) (*api.RuleChange, error) {
	var err error
	if rc.OldRules, err = json.Marshal(old); err != nil {
		return nil, err
	}
	if rc.NewRules, err = json.Marshal(newSet); err != nil {
		return nil, err
	}
	if rc.Changes, err = json.Marshal(applied); err != nil {
		return nil, err
	}
	ch, err := tx.CreateRuleChange(ctx, rc)
	if err != nil {
		return nil, fmt.Errorf("recording the rule change: %w", err)
	}
	v := ruleChangeView(ch, applied)
	refs := make([]events.RuleRef, len(newSet))
	for i, r := range newSet {
		refs[i] = events.RuleRef{ID: r.ID, Name: r.Name, Position: r.Position}
	}
	ob.Add(events.RulesChanged, events.RulesData{ChangeID: ch.ID, Action: ch.Action, Summary: ch.Summary, UndoOf: ch.UndoOf,
		Rules: refs, BindingsAdded: len(applied.Add), BindingsRemoved: len(applied.Remove), BindingsMoved: len(applied.Reassign), Access: acc})
	return &v, nil
}

func ruleChangeView(ch store.RuleChange, c rules.Changes) api.RuleChange {
	return api.RuleChange{ID: ch.ID, CreatedAt: ch.CreatedAt, Actor: ch.Actor, Action: ch.Action, Summary: ch.Summary,
		Fingerprint: ch.Fingerprint, UndoOf: ch.UndoOf, BindingsAdded: len(c.Add), BindingsRemoved: len(c.Remove),
		BindingsMoved: len(c.Reassign), UndoneAt: ch.UndoneAt, UndoneBy: ch.UndoneBy}
}

// accessOf is the users' effective-role changes of a preview, as events carry them.
func accessOf(users []enforce.UserChanges) events.AccessChanges {
	var cs []events.RoleChange
	for _, u := range users {
		add := func(kind string, c enforce.Change) {
			cs = append(cs, events.RoleChange{UserID: u.UserID, UserName: u.UserName, ResourceKind: kind,
				ResourceID: c.ResourceID, ResourceName: c.Resource, Before: c.Before.String(), After: c.After.String()})
		}
		if c := u.Changes.Organization; c != nil {
			add("organization", *c)
		}
		for _, c := range u.Changes.Clouds {
			add("cloud", c)
		}
		for _, c := range u.Changes.Projects {
			add("project", c)
		}
	}
	return events.NewAccessChanges(cs)
}

// RuleChanges lists the org's recorded rule changes, newest first, with the total.
func (s *Service) RuleChanges(ctx context.Context, org string, p store.Page) (out []api.RuleChange, total int, err error) {
	err = s.store.View(ctx, func(tx store.Tx) error {
		chs, n, err := tx.ListRuleChanges(ctx, org, p)
		if err != nil {
			return err
		}
		total = n
		out = make([]api.RuleChange, len(chs))
		for i, ch := range chs {
			var c rules.Changes
			if err := json.Unmarshal(ch.Changes, &c); err != nil {
				return fmt.Errorf("rule change %s: %w", ch.ID, err)
			}
			out[i] = ruleChangeView(ch, c)
		}
		return nil
	})
	return out, total, err
}

// UndoRuleChange undoes change id: it puts the rule set back as it was before the change,
// re-creates the bindings the change deleted (under their old IDs and rules), deletes those
// it created and hands reassigned ones back, skipping what changed since (a binding granted
// again, a group deleted), then reconciles every group under the restored rules, so that
// what happened since (a group created) is right too. It refuses when the rules changed
// after the change (undo the later change first) and when the change was undone already.
// One transaction under the org lock, one audit event (rule.undone), a new recorded change.
func (s *Service) UndoRuleChange(ctx context.Context, org, id string) (api.RuleApplyResult, error) {
	var out api.RuleApplyResult
	err := s.write(store.OwnTransaction(ctx), org, func(tx store.Tx, ob *Outbox) error {
		if err := tx.LockOrg(ctx, org); err != nil {
			return err
		}
		ch, err := tx.RuleChange(ctx, org, id)
		if errors.Is(err, store.ErrNotFound) {
			return notFoundf("no rule change %q in this organization (list them with `rolecall rule changes`)", id)
		}
		if err != nil {
			return err
		}
		if ch.UndoneAt != nil {
			return &api.Error{Status: http.StatusConflict, Code: api.CodeAlreadyUndone,
				Message: fmt.Sprintf("rule change %s was undone already (by %s)", id, ch.UndoneBy)}
		}
		var before, after []store.GroupRule
		var applied rules.Changes
		if err := json.Unmarshal(ch.OldRules, &before); err != nil {
			return fmt.Errorf("rule change %s: %w", id, err)
		}
		if err := json.Unmarshal(ch.NewRules, &after); err != nil {
			return fmt.Errorf("rule change %s: %w", id, err)
		}
		if err := json.Unmarshal(ch.Changes, &applied); err != nil {
			return fmt.Errorf("rule change %s: %w", id, err)
		}
		rs, err := loadRuleState(ctx, tx, org)
		if err != nil {
			return err
		}
		if !sameRules(rs.stored, after) {
			return conflict("the rules changed after rule change %s: undo the later changes first (list them with `rolecall rule changes`)", id)
		}
		inv := feasible(rs, applied.Inverse())
		now, actor := store.Now(), audit.ActorFrom(ctx).Name
		restored := make([]store.GroupRule, len(before))
		for i, r := range before {
			r.OrgID = org
			if j := slices.IndexFunc(rs.stored, func(g store.GroupRule) bool { return g.ID == r.ID }); j < 0 || ruleOf(rs.stored[j]) != ruleOf(r) {
				r.UpdatedAt, r.UpdatedBy = now, actor
			}
			restored[i] = r
		}
		if err := tx.ReplaceGroupRules(ctx, org, restored); err != nil {
			return err
		}
		names := namesOf(rs.state)
		done, err := applyRuleChanges(ctx, tx, org, ob, names, inv, false)
		if err != nil {
			return err
		}
		// What happened since the change (groups created or renamed, resources created)
		// is reconciled under the restored rules.
		rest, err := s.reconcileGroups(ctx, tx, org, ob, nil)
		if err != nil {
			return err
		}
		// What the undo changes for every user: the org as read under the lock, against
		// the same with the bindings the undo deleted and created, in the order it did.
		acc := orgRuleAccess(rs.state, done, rest)
		done.Add = append(done.Add, rest.Add...)
		done.Remove = append(done.Remove, rest.Remove...)
		done.Reassign = append(done.Reassign, rest.Reassign...)
		rc, err := recordRuleChange(ctx, tx, ob, store.RuleChange{OrgID: org, CreatedAt: now, Actor: actor, Action: audit.ActionRuleUndone,
			Summary: fmt.Sprintf("undid %s", ch.Summary), Fingerprint: ch.Fingerprint, UndoOf: ch.ID}, rs.stored, restored, done, acc)
		if err != nil {
			return err
		}
		if _, err := tx.MarkRuleChangeUndone(ctx, org, ch.ID, now, actor); err != nil {
			return err
		}
		out.Applied, out.Change, out.Rules = true, rc, ruleViews(restored)
		out.Preview.Changes = done
		return audit.Log(ctx, tx, org, audit.ActionRuleUndone, audit.TargetRuleChange, rc.ID,
			ruleAudit{Rules: ruleViews(rs.stored)}, ruleAudit{Rules: ruleViews(restored), Change: rc})
	})
	if err != nil {
		return api.RuleApplyResult{}, err
	}
	return out, nil
}

// feasible drops from an undo's changes what no longer applies: bindings to delete that are
// gone or belong to another rule now, bindings to re-create that exist again (or whose group
// or resource is gone), and hand-backs of bindings that moved on.
func feasible(rs *ruleState, c rules.Changes) rules.Changes {
	made := make(map[string]rules.Binding, len(rs.current))
	for _, b := range rs.current {
		made[b.ID] = b
	}
	type key struct {
		g, r string
		role access.Role
	}
	held := map[key]bool{}
	ids := map[string]bool{}
	for _, b := range rs.state.Bindings {
		ids[b.ID] = true
		if b.PrincipalType == access.PrincipalGroup {
			held[key{b.PrincipalID, b.ResourceID, b.Role}] = true
		}
	}
	groups := map[string]bool{}
	for _, g := range rs.groups {
		groups[g.ID] = true
	}
	res := map[string]bool{}
	for _, r := range rs.state.Resources {
		res[r.ID] = true
	}
	out := rules.Changes{Add: []rules.Binding{}, Remove: []rules.Binding{}, Reassign: []rules.Reassignment{}, Covered: []rules.Binding{}}
	for _, b := range c.Remove {
		if m, ok := made[b.ID]; ok && m.RuleID == b.RuleID {
			out.Remove = append(out.Remove, b)
		}
	}
	for _, b := range c.Add {
		if !ids[b.ID] && !held[key{b.GroupID, b.ResourceID, b.Role}] && groups[b.GroupID] && res[b.ResourceID] {
			out.Add = append(out.Add, b)
		}
	}
	for _, r := range c.Reassign {
		if m, ok := made[r.ID]; ok && m.RuleID == r.FromRuleID {
			out.Reassign = append(out.Reassign, r)
		}
	}
	return out
}

// reconcileGroups brings the rule-made bindings of the given groups (every group when only
// is nil) to what the org's rules want, in tx, and returns the changes applied. It is what a
// SCIM group write (one group) and a rule change's undo (every group) call.
func (s *Service) reconcileGroups(ctx context.Context, tx store.Tx, org string, ob *Outbox, only []store.Group) (rules.Changes, error) {
	set, err := s.ruleSet(ctx, tx, org)
	if err != nil {
		return rules.Changes{}, err
	}
	if set == nil {
		// No rules: nothing to do unless rule-made bindings are left over (the partial index
		// on rule_id makes this one cheap read, the whole cost of an org without rules).
		made, err := tx.RuleBindings(ctx, org, "")
		if err != nil || len(made) == 0 {
			return rules.Changes{}, err
		}
	}
	var bs []store.Binding
	var groups []rules.Group
	if only != nil {
		for _, g := range only {
			gb, err := tx.ListBindings(ctx, org, store.BindingFilter{PrincipalType: store.PrincipalGroup, PrincipalID: g.ID})
			if err != nil {
				return rules.Changes{}, err
			}
			bs = append(bs, gb...)
			groups = append(groups, rules.Group{ID: g.ID, DisplayName: g.DisplayName, ExternalID: g.ExternalID, Active: g.Active && !g.Deleted})
		}
	} else {
		if bs, err = tx.ListBindings(ctx, org, store.BindingFilter{PrincipalType: store.PrincipalGroup}); err != nil {
			return rules.Changes{}, err
		}
	}
	current, err := ruleBindings(bs)
	if err != nil {
		return rules.Changes{}, err
	}
	if set == nil && len(current) == 0 {
		return rules.Changes{}, nil
	}
	if set == nil {
		if set, err = rules.Compile(nil); err != nil {
			return rules.Changes{}, err
		}
	}
	if only == nil {
		err = tx.ScanGroups(ctx, org, func(g store.Group) error {
			groups = append(groups, rules.Group{ID: g.ID, DisplayName: g.DisplayName, ExternalID: g.ExternalID, Active: g.Active})
			return nil
		})
		if err != nil {
			return rules.Changes{}, err
		}
	}
	names := bindingNames{groups: map[string]string{}, resources: map[string]store.Resource{}}
	for _, g := range groups {
		names.groups[g.ID] = g.DisplayName
	}
	stored, err := tx.ListResources(ctx, org, "", "")
	if err != nil {
		return rules.Changes{}, err
	}
	orgRes, err := tx.OrgResource(ctx, org)
	if err != nil {
		return rules.Changes{}, err
	}
	stored = append(stored, orgRes)
	ars := make([]access.Resource, 0, len(stored))
	for _, r := range stored {
		k, err := access.ParseKind(string(r.Kind))
		if err != nil {
			return rules.Changes{}, err
		}
		names.resources[r.ID] = r
		ars = append(ars, access.Resource{ID: r.ID, Name: r.Name, ParentID: r.ParentID, Kind: k, Public: r.Public})
	}
	manual := make([]access.Binding, 0, len(bs))
	for _, b := range bs {
		if b.RuleID == "" {
			role, err := access.ParseRole(b.Role)
			if err != nil {
				return rules.Changes{}, err
			}
			manual = append(manual, access.Binding{ID: b.ID, ResourceID: b.ResourceID, PrincipalID: b.PrincipalID,
				PrincipalType: access.PrincipalGroup, Role: role})
		}
	}
	c, _ := set.Reconcile(groups, rules.NewResources(ars), current, manual)
	if c.Empty() {
		return c, nil
	}
	// A group's write reconciles that group: its grant events say what they change. The
	// reconcile of every group follows a rule change's undo, whose event says it.
	return applyRuleChanges(ctx, tx, org, ob, names, c, only != nil)
}

// reconcileResource brings the rule-made bindings on a cloud or project that was just
// created (oldName empty) or renamed from oldName to what the org's rules want, in tx, and
// returns the changes applied. A new or renamed resource changes no binding elsewhere (see
// rules.ReconcileResources), so this is everything reconcileGroups over every group would
// change in an org whose rule-made bindings were reconciled (every rule change, group write
// and resource write keeps them so), with the same grant events. It reads the bindings on the
// resource (and on one of the same name, ignoring case, whose lookup it may take over) and
// the resources of its kind; the groups (without their documents) only when a rule can bind
// there or a rule-made binding is there, and then only those whose names or externalIds the
// rules that can bind there could match (rules.SelectFor, store.ScanGroupsSelected). Callers
// hold lockForRules.
func (s *Service) reconcileResource(ctx context.Context, tx store.Tx, org string, ob *Outbox, kind store.ResourceKind, name, oldName string) (rules.Changes, error) {
	set, err := s.ruleSet(ctx, tx, org)
	if err != nil {
		return rules.Changes{}, err
	}
	if set == nil { // no rules: a rule-made binding left on the resource goes
		if set, err = rules.Compile(nil); err != nil {
			return rules.Changes{}, err
		}
	}
	k, err := access.ParseKind(string(kind))
	if err != nil {
		return rules.Changes{}, err
	}
	stored, err := tx.ListResources(ctx, org, kind, "")
	if err != nil {
		return rules.Changes{}, err
	}
	names := bindingNames{groups: map[string]string{}, resources: make(map[string]store.Resource, len(stored))}
	ars := make([]access.Resource, len(stored))
	for i, r := range stored {
		names.resources[r.ID] = r
		ars[i] = access.Resource{ID: r.ID, Name: r.Name, ParentID: r.ParentID, Kind: k, Public: r.Public}
	}
	on := rules.NamedLike(ars, k, name, oldName)
	slices.Sort(on) // the order ListBindings gives every group binding in: Remove follows it
	var bs []store.Binding
	for _, id := range on {
		rb, err := tx.ListBindings(ctx, org, store.BindingFilter{ResourceID: id, PrincipalType: store.PrincipalGroup})
		if err != nil {
			return rules.Changes{}, err
		}
		bs = append(bs, rb...)
	}
	current, err := ruleBindings(bs)
	if err != nil {
		return rules.Changes{}, err
	}
	res := rules.NewResources(ars)
	if len(current) == 0 && !set.CanBind(res, on) {
		return rules.Changes{}, nil
	}
	// Only the groups the reconcile depends on are read (the engine selects them), unless a
	// rule that can bind there is a pattern with no literal to select by.
	var groups []rules.Group
	collect := func(g store.Group) error {
		groups = append(groups, rules.Group{ID: g.ID, DisplayName: g.DisplayName, ExternalID: g.ExternalID, Active: g.Active})
		return nil
	}
	if sel := set.SelectFor(res, on, current); sel.All {
		err = tx.ScanGroups(ctx, org, collect)
	} else {
		err = tx.ScanGroupsSelected(ctx, org, store.GroupSelection{Contains: sel.Contains, ExternalIDs: sel.ExternalIDs, IDs: sel.IDs}, collect)
	}
	if err != nil {
		return rules.Changes{}, err
	}
	manual := make([]access.Binding, 0, len(bs))
	for _, b := range bs {
		if b.RuleID == "" {
			role, err := access.ParseRole(b.Role)
			if err != nil {
				return rules.Changes{}, err
			}
			manual = append(manual, access.Binding{ID: b.ID, ResourceID: b.ResourceID, PrincipalID: b.PrincipalID,
				PrincipalType: access.PrincipalGroup, Role: role})
		}
	}
	c := set.ReconcileResources(groups, res, on, current, manual)
	if c.Empty() {
		return c, nil
	}
	for _, g := range groups {
		names.groups[g.ID] = g.DisplayName
	}
	return applyRuleChanges(ctx, tx, org, ob, names, c, true)
}

// lockForRules takes the org lock, exclusively, before a write that reconciles the rules
// over every group (creating or renaming a cloud or project) when the org has rules. On
// PostgreSQL a SCIM group write holds the lock shared while it reconciles its group against
// the resources it reads; without this, a group created while a cloud is created could see
// the cloud missing, while the cloud's reconcile did not see the group yet, and neither would
// bind it. Taken before the transaction's first write, so that it is never an upgrade of a
// shared hold. What runs under it is small: reconcileResource.
func lockForRules(ctx context.Context, tx store.Tx, org string) error {
	rs, err := tx.GroupRules(ctx, org)
	if err != nil || len(rs) == 0 {
		return err
	}
	return tx.LockOrg(ctx, org)
}

// ruleNames maps rule IDs to names for messages and views.
func ruleNames(ctx context.Context, tx store.Tx, org string) (map[string]string, error) {
	rs, err := tx.GroupRules(ctx, org)
	if err != nil {
		return nil, err
	}
	m := make(map[string]string, len(rs))
	for _, r := range rs {
		m[r.ID] = r.Name
	}
	return m, nil
}

// refuseRuleMade refuses a manual grant, revoke or role change of a rule-made binding: the
// rule owns it, so the next reconcile would undo the manual change, or deleting the rule
// would take a grant someone made by hand.
func (l lookup) refuseRuleMade(b store.Binding, what string) error {
	if b.RuleID == "" {
		return nil
	}
	names, err := ruleNames(l.ctx, l.tx, l.orgID)
	if err != nil {
		return err
	}
	name := names[b.RuleID]
	if name == "" {
		name = b.RuleID
	}
	e := conflict("cannot %s grant %s: it is bound by rule %q; change or delete the rule instead (rolecall rule list)", what, b.ID, name)
	e.Details = map[string]any{"ruleId": b.RuleID, "ruleName": name}
	return e
}
