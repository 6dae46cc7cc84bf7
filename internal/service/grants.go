package service

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/rolecall/rolecall/internal/access"
	"github.com/rolecall/rolecall/internal/api"
	"github.com/rolecall/rolecall/internal/audit"
	"github.com/rolecall/rolecall/internal/events"
	"github.com/rolecall/rolecall/internal/store"
)

// Grants (role bindings): create (idempotent), revoke, get, list by resource and/or
// principal. Roles are checked against the resource kind by package access. Grants to
// inactive or removed users are allowed: such a user simply holds nothing until its identity
// provider reactivates it, and the answer says so in "note". In groups-only mode a new
// direct user grant is refused, except to an exempt (break-glass) user.

// grantNames names the resources and principals of grants, loading each kind at most once
// per request.
type grantNames struct {
	l         lookup
	resources map[string]store.Resource
	users     map[string]string
	groups    map[string]string
	accounts  map[string]string
	rules     map[string]string // rule ID → name, read when a grant is rule-made
}

func (n *grantNames) load(bs []store.Binding) error {
	l := n.l
	if n.resources == nil {
		rs, err := l.tx.ListResources(l.ctx, l.orgID, "", "")
		if err != nil {
			return err
		}
		org, err := l.tx.OrgResource(l.ctx, l.orgID)
		if err != nil {
			return err
		}
		n.resources = map[string]store.Resource{org.ID: org}
		for _, r := range rs {
			n.resources[r.ID] = r
		}
		n.groups = map[string]string{}
	}
	var users []string
	for _, b := range bs {
		if b.RuleID != "" && n.rules == nil {
			names, err := ruleNames(l.ctx, l.tx, l.orgID)
			if err != nil {
				return err
			}
			n.rules = names
		}
		switch b.PrincipalType {
		case store.PrincipalUser:
			if _, ok := n.users[b.PrincipalID]; !ok {
				users = append(users, b.PrincipalID)
			}
		case store.PrincipalGroup:
			if _, ok := n.groups[b.PrincipalID]; !ok {
				g, err := l.tx.Group(l.ctx, l.orgID, b.PrincipalID)
				if err != nil && !errors.Is(err, store.ErrNotFound) {
					return err
				}
				// A deleted group keeps its grants (for undo and audit); it has no live name.
				n.groups[b.PrincipalID] = g.DisplayName
			}
		case store.PrincipalServiceAccount:
			if n.accounts == nil {
				sas, err := l.tx.ListServiceAccounts(l.ctx, l.orgID)
				if err != nil {
					return err
				}
				n.accounts = make(map[string]string, len(sas))
				for _, sa := range sas {
					n.accounts[sa.ID] = sa.Name
				}
			}
		}
	}
	if len(users) > 0 {
		names, err := l.tx.UserNames(l.ctx, l.orgID, users)
		if err != nil {
			return err
		}
		if n.users == nil {
			n.users = make(map[string]string, len(names))
		}
		for id, name := range names {
			n.users[id] = name
		}
	}
	return nil
}

func (n *grantNames) view(b store.Binding) api.Grant {
	res := n.resources[b.ResourceID]
	var name string
	switch b.PrincipalType {
	case store.PrincipalUser:
		name = n.users[b.PrincipalID]
	case store.PrincipalGroup:
		name = n.groups[b.PrincipalID]
	case store.PrincipalServiceAccount:
		name = n.accounts[b.PrincipalID]
	}
	return api.Grant{ID: b.ID, Role: b.Role, ResourceKind: string(res.Kind), ResourceID: b.ResourceID, ResourceName: res.Name,
		PrincipalType: string(b.PrincipalType), PrincipalID: b.PrincipalID, PrincipalName: name,
		CreatedAt: b.CreatedAt, CreatedBy: b.CreatedBy, RuleID: b.RuleID, RuleName: n.rules[b.RuleID]}
}

// grantViews names bindings and sorts them: organization, clouds, projects; then resource
// name, principal type, principal name and role rank (highest first).
func (l lookup) grantViews(bs []store.Binding) ([]api.Grant, error) {
	n := &grantNames{l: l}
	if err := n.load(bs); err != nil {
		return nil, err
	}
	out := make([]api.Grant, len(bs))
	for i, b := range bs {
		out[i] = n.view(b)
	}
	slices.SortFunc(out, compareGrants)
	return out, nil
}

var grantKindOrder = map[string]int{api.KindOrganization: 0, api.KindCloud: 1, api.KindProject: 2}
var grantPrincipalOrder = map[string]int{api.PrincipalUser: 0, api.PrincipalGroup: 1, api.PrincipalServiceAccount: 2}

func compareGrants(a, b api.Grant) int {
	ra, _ := access.ParseRole(a.Role)
	rb, _ := access.ParseRole(b.Role)
	return cmp.Or(cmp.Compare(grantKindOrder[a.ResourceKind], grantKindOrder[b.ResourceKind]), cmp.Compare(a.ResourceName, b.ResourceName),
		cmp.Compare(grantPrincipalOrder[a.PrincipalType], grantPrincipalOrder[b.PrincipalType]), cmp.Compare(a.PrincipalName, b.PrincipalName),
		cmp.Compare(rb, ra), cmp.Compare(a.ID, b.ID))
}

// grants lists the grants matching f, named and sorted.
func (l lookup) grants(f store.BindingFilter) ([]api.Grant, error) {
	bs, err := l.tx.ListBindings(l.ctx, l.orgID, f)
	if err != nil {
		return nil, err
	}
	return l.grantViews(bs)
}

func (l lookup) grantView(b store.Binding) (api.Grant, error) {
	gs, err := l.grantViews([]store.Binding{b})
	if err != nil {
		return api.Grant{}, err
	}
	return gs[0], nil
}

// resolvedGrant is a GrantRequest resolved to stored objects.
type resolvedGrant struct {
	role     string
	resource store.Resource
	who      grantee
}

// describe names the grant for messages: `owner on cloud "prod" to user "alice"`.
func (g resolvedGrant) describe() string {
	where := "the organization"
	if g.resource.Kind != store.KindOrganization {
		where = fmt.Sprintf("%s %q", g.resource.Kind, g.resource.Name)
	}
	return fmt.Sprintf("%s on %s to %s %q", g.role, where, strings.ReplaceAll(string(g.who.Type), "_", " "), g.who.Name)
}

// resolveGrant checks a GrantRequest: kinds and role first (400, listing the valid roles),
// then that the resource and principal exist in the org (404 naming them).
func (l lookup) resolveGrant(req api.GrantRequest) (resolvedGrant, error) {
	kind, err := ParseResourceKind(req.ResourceKind)
	if err != nil {
		return resolvedGrant{}, err
	}
	pt, err := ParsePrincipalType(req.PrincipalType)
	if err != nil {
		return resolvedGrant{}, err
	}
	req.Role = canonicalRole(kind, req.Role)
	if err := validateGrantRole(kind, req.Role); err != nil {
		return resolvedGrant{}, err
	}
	res, err := l.resource(kind, strings.TrimSpace(req.Resource))
	if err != nil {
		return resolvedGrant{}, err
	}
	who, err := l.grantee(pt, strings.TrimSpace(req.Principal))
	if err != nil {
		return resolvedGrant{}, err
	}
	return resolvedGrant{role: req.Role, resource: res, who: who}, nil
}

// canonicalRole maps an accepted alias to its role's own name ("write" on a project is
// collaborator), so that grants are stored, matched and shown under one name. Anything else
// is returned as it is, for validateGrantRole to judge.
func canonicalRole(kind store.ResourceKind, role string) string {
	k, err := access.ParseKind(string(kind))
	if err != nil {
		return role
	}
	if r, err := access.ParseRoleOn(k, role); err == nil {
		return r.String()
	}
	return role
}

// validateGrantRole refuses a role that is not valid on the kind, with a message and details
// that list the valid roles.
func validateGrantRole(kind store.ResourceKind, role string) error {
	k, err := access.ParseKind(string(kind))
	if err != nil {
		return badRequest("%s", err.Error())
	}
	valid := access.ValidRoles(k)
	names := make([]string, len(valid))
	for i, v := range valid {
		names[i] = v.String()
	}
	details := map[string]any{"resourceKind": string(kind), "validRoles": names}
	if role == "" {
		e := badRequest("role is required; valid roles on %s %s: %s", kindArticle(kind), kind, strings.Join(names, ", "))
		e.Details = details
		return e
	}
	r, err := access.ParseRole(role)
	if err == nil {
		err = access.ValidateBinding(k, r)
	} else {
		alias := ""
		switch {
		case k == access.KindProject:
			alias = " (write is accepted as collaborator)"
		case role == access.RoleAliasWrite:
			alias = " (write is a project role, Anyscale's name for collaborator)"
		}
		err = fmt.Errorf("unknown role %q; valid roles on %s %s: %s%s", role, kindArticle(kind), kind, strings.Join(names, ", "), alias)
	}
	if err != nil {
		e := badRequest("%s", err.Error())
		e.Details = details
		return e
	}
	return nil
}

func kindArticle(kind store.ResourceKind) string {
	if kind == store.KindOrganization {
		return "an"
	}
	return "a"
}

// checkGroupsOnly refuses a new direct user grant when the org is in groups-only mode, unless
// the user is exempt from enforce-groups.
func (l lookup) checkGroupsOnly(g resolvedGrant) error {
	st, err := l.tx.Settings(l.ctx, l.orgID)
	if err != nil || !st.GroupsOnly {
		return err
	}
	// Break-glass users stay outside group control: they may still get direct grants.
	if exempt, err := l.isExempt(g.who.ID); err != nil || exempt {
		return err
	}
	sel := "--org"
	if g.resource.Kind != store.KindOrganization {
		sel = fmt.Sprintf("--%s %s", g.resource.Kind, g.resource.Name)
	}
	msg := fmt.Sprintf("groups-only mode is on for this organization: grant the role to a group the user belongs to "+
		"(rolecall grant %s --group G %s), or turn it off with rolecall org set --groups-only=false", g.role, sel)
	groups, err := l.tx.GroupsOfMember(l.ctx, l.orgID, g.who.ID)
	if err != nil {
		return err
	}
	names := make([]string, 0, len(groups))
	for _, gr := range groups {
		if gr.Active {
			names = append(names, gr.DisplayName)
		}
	}
	slices.Sort(names)
	if len(names) > 0 {
		msg += fmt.Sprintf("; %s is in: %s", g.who.Name, strings.Join(names, ", "))
	} else {
		msg += fmt.Sprintf("; %s is in no active group yet", g.who.Name)
	}
	e := conflict("%s", msg)
	e.Details = map[string]any{"groupsOnly": true, "userGroups": names}
	return e
}

// CreateGrant grants a role. The same grant again returns the existing one (created false)
// and records nothing. A principal holds one direct role per resource: when it already
// holds another there, the grant is refused (409, code conflict, the existing grants in the
// details under "existing") naming what exists and by whom it was granted, unless
// req.Replace, which changes that role into the new one in this one transaction (one
// grant.change_role audit event; the answer lists the grants replaced). In groups-only mode
// a new direct user grant is refused (409) with a message that points to groups.
func (s *Service) CreateGrant(ctx context.Context, org string, req api.GrantRequest) (v api.Grant, created bool, err error) {
	err = s.update(ctx, org, func(l lookup) error {
		if err := lockAccess(l.ctx, l.tx, l.orgID); err != nil {
			return err
		}
		g, err := l.resolveGrant(req)
		if err != nil {
			return err
		}
		held, err := l.tx.ListBindings(l.ctx, l.orgID, store.BindingFilter{ResourceID: g.resource.ID, PrincipalType: g.who.Type, PrincipalID: g.who.ID})
		if err != nil {
			return err
		}
		// A rule-made grant is its rule's: granting it again by hand, or replacing it, is
		// refused naming the rule.
		for _, b := range held {
			if b.RuleID != "" && (b.Role == g.role || req.Replace) {
				return l.refuseRuleMade(b, "grant by hand, or replace,")
			}
		}
		var same *store.Binding
		var others []store.Binding
		for i, b := range held {
			if b.Role == g.role {
				same = &held[i]
			} else {
				others = append(others, b)
			}
		}
		if same != nil && (len(others) == 0 || !req.Replace) {
			v, err = l.grantView(*same)
			return err
		}
		// Groups-only mode refuses a new direct user role before anything else: with it on,
		// offering --replace would only lead to the same refusal.
		if g.who.Type == store.PrincipalUser {
			if err := l.checkGroupsOnly(g); err != nil {
				return err
			}
		}
		if len(others) > 0 {
			if !req.Replace {
				return l.alreadyHolds(g, others)
			}
			v, err = l.replaceRoles(others, g.role, g.resource, g.who)
			created = err == nil && same == nil
			return err
		}
		b, isNew, err := l.tx.CreateBinding(l.ctx, store.Binding{OrgID: l.orgID, ResourceID: g.resource.ID,
			PrincipalType: g.who.Type, PrincipalID: g.who.ID, Role: g.role,
			CreatedAt: store.Now(), CreatedBy: audit.ActorFrom(l.ctx).Name})
		if err != nil {
			return err
		}
		v, err = l.grantView(b)
		if err != nil || !isNew {
			return err
		}
		if err := l.audit(audit.ActionGrantCreate, audit.TargetGrant, b.ID, nil, v); err != nil {
			return err
		}
		d := GrantEvent(b, g.resource, g.who.Name)
		if d.Access, err = directGrantAccess(l.ctx, l.tx, l.orgID, b, true); err != nil {
			return err
		}
		l.ob.Add(events.GrantCreated, d)
		created = true
		if !g.who.Holds {
			switch g.who.Type {
			case store.PrincipalUser:
				v.Note = fmt.Sprintf("user %q is inactive or removed: it holds nothing until its identity provider reactivates it", g.who.Name)
			case store.PrincipalGroup:
				v.Note = fmt.Sprintf("group %q is inactive: it grants nothing until its identity provider reactivates it", g.who.Name)
			}
		}
		return nil
	})
	return v, created, err
}

// RevokeGrant revokes the grant named by a GrantRequest (role, principal, resource).
func (s *Service) RevokeGrant(ctx context.Context, org string, req api.GrantRequest) (v api.Grant, err error) {
	err = s.update(ctx, org, func(l lookup) error {
		if err := lockAccess(l.ctx, l.tx, l.orgID); err != nil {
			return err
		}
		g, err := l.resolveGrant(req)
		if err != nil {
			return err
		}
		b, err := l.tx.FindBinding(l.ctx, l.orgID, g.resource.ID, g.who.Type, g.who.ID, g.role)
		if errors.Is(err, store.ErrNotFound) {
			return notFoundf("no grant of %s (list grants with `rolecall grant list`)", g.describe())
		}
		if err != nil {
			return err
		}
		v, err = l.deleteGrant(b)
		return err
	})
	return v, err
}

// deleteGrant deletes a binding and records it. A rule-made binding is refused: its rule
// owns it.
func (l lookup) deleteGrant(b store.Binding) (api.Grant, error) {
	if err := l.refuseRuleMade(b, "revoke"); err != nil {
		return api.Grant{}, err
	}
	v, err := l.grantView(b)
	if err != nil {
		return v, err
	}
	// The event is made while b is still there: its resource, its principal and the
	// access it gave.
	d, err := l.grantData(b)
	if err != nil {
		return v, err
	}
	if d.Access, err = directGrantAccess(l.ctx, l.tx, l.orgID, b, false); err != nil {
		return v, err
	}
	l.ob.Add(events.GrantRevoked, d)
	if _, err := l.tx.DeleteBinding(l.ctx, l.orgID, b.ID); err != nil {
		return v, err
	}
	return v, l.audit(audit.ActionGrantRevoke, audit.TargetGrant, b.ID, v, nil)
}

// binding reads grant id.
func (l lookup) binding(id string) (store.Binding, error) {
	b, err := l.tx.Binding(l.ctx, l.orgID, id)
	if errors.Is(err, store.ErrNotFound) {
		return b, notFoundf("no grant %q in this organization", id)
	}
	return b, err
}

// Grant reads grant id.
func (s *Service) Grant(ctx context.Context, org, id string) (v api.Grant, err error) {
	err = s.view(ctx, org, func(l lookup) error {
		b, err := l.binding(id)
		if err != nil {
			return err
		}
		v, err = l.grantView(b)
		return err
	})
	return v, err
}

// DeleteGrant revokes grant id.
func (s *Service) DeleteGrant(ctx context.Context, org, id string) (v api.Grant, err error) {
	err = s.update(ctx, org, func(l lookup) error {
		if err := lockAccess(l.ctx, l.tx, l.orgID); err != nil {
			return err
		}
		b, err := l.binding(id)
		if err != nil {
			return err
		}
		v, err = l.deleteGrant(b)
		return err
	})
	return v, err
}

// GrantFilter narrows a grant list by principal (PrincipalType + Principal, id or name)
// and/or by resource (ResourceKind + Resource, id or name); empty pairs do not narrow.
type GrantFilter struct {
	PrincipalType, Principal string
	ResourceKind, Resource   string
}

// Grants lists the grants f selects, named and sorted.
func (s *Service) Grants(ctx context.Context, org string, f GrantFilter) (out []api.Grant, err error) {
	err = s.view(ctx, org, func(l lookup) error {
		var bf store.BindingFilter
		if f.PrincipalType != "" || f.Principal != "" {
			t, err := ParsePrincipalType(f.PrincipalType)
			if err != nil {
				return err
			}
			who, err := l.grantee(t, f.Principal)
			if err != nil {
				return err
			}
			bf.PrincipalType, bf.PrincipalID = who.Type, who.ID
		}
		if f.ResourceKind != "" || f.Resource != "" {
			k, err := ParseResourceKind(f.ResourceKind)
			if err != nil {
				return err
			}
			res, err := l.resource(k, f.Resource)
			if err != nil {
				return err
			}
			bf.ResourceID = res.ID
		}
		out, err = l.grants(bf)
		return err
	})
	return out, err
}

// ChangeGrantRole replaces the role of grant id with role, in one transaction and one audit
// event (grant.change_role, before the old grant, after the new one). The principal keeps
// no moment without access. If it already holds role there, the old grant is simply
// revoked into it. In groups-only mode a user's direct grant cannot be changed: that would
// be a new direct user grant, and the refusal is the same as CreateGrant's.
func (s *Service) ChangeGrantRole(ctx context.Context, org, id, role string) (v api.Grant, err error) {
	err = s.update(ctx, org, func(l lookup) error {
		if err := lockAccess(l.ctx, l.tx, l.orgID); err != nil {
			return err
		}
		b, err := l.binding(id)
		if err != nil {
			return err
		}
		if err := l.refuseRuleMade(b, "change the role of"); err != nil {
			return err
		}
		old, err := l.grantView(b)
		if err != nil {
			return err
		}
		kind := store.ResourceKind(old.ResourceKind)
		if err := validateGrantRole(kind, role); err != nil {
			return err
		}
		if role == b.Role {
			v = old
			return nil
		}
		res, err := l.resource(kind, b.ResourceID)
		if err != nil {
			return err
		}
		who, err := l.grantee(b.PrincipalType, b.PrincipalID)
		if err != nil {
			return err
		}
		v, err = l.replaceRoles([]store.Binding{b}, role, res, who)
		v.Replaced = nil // the caller named the grant it changed
		return err
	})
	return v, err
}

// replaceRoles replaces the principal's grants olds (all on res) by one grant of role, as
// one step of the audit log (grant.change_role: before the first old grant, with any others
// under alsoReplaced; after the new one). The principal keeps no moment without access. If
// it already holds role there, the old grants are simply revoked into it. In groups-only
// mode a user's direct grant cannot be changed: that would be a new direct user grant, and
// the refusal is the same as CreateGrant's.
func (l lookup) replaceRoles(olds []store.Binding, role string, res store.Resource, who grantee) (v api.Grant, err error) {
	if who.Type == store.PrincipalUser {
		if err := l.checkGroupsOnly(resolvedGrant{role: role, resource: res, who: who}); err != nil {
			return v, err
		}
	}
	oldViews, err := l.grantViews(olds)
	if err != nil {
		return v, err
	}
	// Events follow the store as it changes: the old grants' revocations are made while
	// they are there, the new grant's creation once it is, exactly as RevokeGrant and
	// CreateGrant make them; only the audit log keeps the change as one step.
	for _, b := range olds {
		revoked, err := l.grantData(b)
		if err != nil {
			return v, err
		}
		if revoked.Access, err = directGrantAccess(l.ctx, l.tx, l.orgID, b, false); err != nil {
			return v, err
		}
		l.ob.Add(events.GrantRevoked, revoked)
		if _, err := l.tx.DeleteBinding(l.ctx, l.orgID, b.ID); err != nil {
			return v, err
		}
	}
	nb, isNew, err := l.tx.CreateBinding(l.ctx, store.Binding{OrgID: l.orgID, ResourceID: res.ID,
		PrincipalType: who.Type, PrincipalID: who.ID, Role: role,
		CreatedAt: store.Now(), CreatedBy: audit.ActorFrom(l.ctx).Name})
	if err != nil {
		return v, err
	}
	if isNew {
		created := GrantEvent(nb, res, who.Name)
		if created.Access, err = directGrantAccess(l.ctx, l.tx, l.orgID, nb, true); err != nil {
			return v, err
		}
		l.ob.Add(events.GrantCreated, created)
	}
	if v, err = l.grantView(nb); err != nil {
		return v, err
	}
	before := replacedGrants{Grant: oldViews[0], AlsoReplaced: oldViews[1:]}
	if err := l.audit(audit.ActionGrantChangeRole, audit.TargetGrant, nb.ID, before, v); err != nil {
		return v, err
	}
	v.Replaced = oldViews
	return v, nil
}

// replacedGrants is the audit "before" of a change of role: the grant replaced, and any
// other roles the principal held there (grants made before one role per resource was the
// rule) that went with it.
type replacedGrants struct {
	api.Grant
	AlsoReplaced []api.Grant `json:"alsoReplaced,omitempty"`
}

// alreadyHolds is the refusal of a grant of another role where the principal already holds
// one: it names the existing grant and who made it, and offers --replace.
func (l lookup) alreadyHolds(g resolvedGrant, held []store.Binding) error {
	views, err := l.grantViews(held)
	if err != nil {
		return err
	}
	where := "the organization"
	if g.resource.Kind != store.KindOrganization {
		where = fmt.Sprintf("%s %s", g.resource.Kind, g.resource.Name)
	}
	who := g.who.Name
	if g.who.Type != store.PrincipalUser {
		who = strings.ReplaceAll(string(g.who.Type), "_", " ") + " " + g.who.Name
	}
	var roles, by []string
	for _, h := range views {
		roles = append(roles, h.Role)
		b := "granted"
		if h.CreatedBy != "" {
			b += " by " + h.CreatedBy
		}
		by = append(by, b+" at "+h.CreatedAt.UTC().Format(time.RFC3339))
	}
	e := conflict("%s already holds %s on %s (%s); nothing was changed. A principal holds one role per resource: "+
		"to make %s its role there instead, grant again with --replace (admin API: \"replace\": true)",
		who, strings.Join(roles, " and "), where, strings.Join(by, "; "), g.role)
	e.Details = map[string]any{"existing": views}
	return e
}
