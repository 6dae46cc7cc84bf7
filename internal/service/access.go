package service

import (
	"cmp"
	"context"
	"slices"

	"github.com/rolecall/rolecall/internal/access"
	"github.com/rolecall/rolecall/internal/api"
	"github.com/rolecall/rolecall/internal/store"
)

// Effective access, the access-review export and explain. Each call loads the org's
// authorization State in its read transaction and asks package access; the State is the
// one consistent snapshot the answer is computed from.

func userRef(u *access.User) api.UserRef {
	return api.UserRef{ID: u.ID, UserName: u.UserName, Active: u.Active, Removed: u.Removed}
}

// UserAccess answers one user's (id or userName) effective access: its groups and every
// resource it holds a role on, implicit access included.
func (s *Service) UserAccess(ctx context.Context, org, who string) (out api.UserAccess, err error) {
	err = s.view(ctx, org, func(l lookup) error {
		u, err := l.user(who)
		if err != nil {
			return err
		}
		st, err := LoadState(l.ctx, l.tx, l.orgID)
		if err != nil {
			return err
		}
		ix := access.NewIndex(st)
		ref, ok := ix.LookupUser(u.ID)
		if !ok {
			return noSuch(api.PrincipalUser, who)
		}
		grants, err := ix.UserAccess(u.ID)
		if err != nil {
			return err
		}
		groups, err := ix.UserGroups(u.ID)
		if err != nil {
			return err
		}
		out = api.UserAccess{User: userRef(ix.User(ref)), HoldsAccess: ix.User(ref).Holds(),
			Groups: make([]api.GroupRef, len(groups)), Access: make([]api.ResourceAccess, len(grants))}
		for i, g := range groups {
			out.Groups[i] = api.GroupRef{ID: g.ID, DisplayName: g.DisplayName}
		}
		for i, g := range grants {
			ra := api.ResourceAccess{ResourceID: g.ResourceID, Kind: g.Kind.String(), Name: g.Name,
				Role: g.Role.String(), Implicit: g.Implicit, Public: g.Public}
			if g.ParentID != "" {
				ra.CloudID = g.ParentID
				if c, ok := ix.LookupResource(g.ParentID); ok {
					ra.Cloud = ix.Resource(c).Name
				}
			}
			out.Access[i] = ra
		}
		return nil
	})
	return out, err
}

// AccessReview answers the access-review export of the org.
func (s *Service) AccessReview(ctx context.Context, org string) (*access.Review, error) {
	st, err := s.State(ctx, org)
	if err != nil {
		return nil, err
	}
	return access.NewIndex(st).Review(), nil
}

// AccessReviewRows is the access review as one row per principal and resource with what
// gives the role (access.ReviewRows), from one snapshot: the CSV export's rows.
func (s *Service) AccessReviewRows(ctx context.Context, org string) ([]access.ReviewRow, error) {
	st, err := s.State(ctx, org)
	if err != nil {
		return nil, err
	}
	ix := access.NewIndex(st)
	rows := ix.ReviewRows(ix.Review())
	if rows == nil {
		rows = []access.ReviewRow{}
	}
	return rows, nil
}

// Explain lists every source of a user's (id or userName) access: on one resource when
// kind (and ref, for clouds and projects) is given, else on every resource where the user
// has a source — including sources that would apply were an inactive user active.
func (s *Service) Explain(ctx context.Context, org, who, kind, ref string) (out api.Explanation, err error) {
	err = s.view(ctx, org, func(l lookup) error {
		u, err := l.user(who)
		if err != nil {
			return err
		}
		var only *store.Resource
		if kind != "" || ref != "" {
			k, err := ParseResourceKind(kind)
			if err != nil {
				return err
			}
			res, err := l.resource(k, ref)
			if err != nil {
				return err
			}
			only = &res
		}
		st, err := LoadState(l.ctx, l.tx, l.orgID)
		if err != nil {
			return err
		}
		made, err := madeBy(l.ctx, l.tx, l.orgID)
		if err != nil {
			return err
		}
		out, err = explainUser(access.NewIndex(st), u.ID, only, made)
		return err
	})
	return out, err
}

// explainUser explains the user's access on only, or on every resource where it has a
// source: its raw roles (active or not) and the public projects of the clouds among them,
// plus, for a raw org owner, every resource.
func explainUser(ix *access.Index, userID string, only *store.Resource, made map[string]madeByRule) (api.Explanation, error) {
	ref, ok := ix.LookupUser(userID)
	if !ok {
		return api.Explanation{}, notFoundf("no user %q in this organization", userID)
	}
	out := api.Explanation{User: userRef(ix.User(ref)), HoldsAccess: ix.User(ref).Holds(), Resources: []api.ResourceExplanation{}}
	var candidates []access.ResourceRef
	if only != nil {
		rr, ok := ix.LookupResource(only.ID)
		if !ok {
			return out, notFoundf("no %s %q in this organization", only.Kind, only.Name)
		}
		candidates = []access.ResourceRef{rr}
	} else {
		ev := ix.NewEvaluator()
		ev.Load(ref)
		if org, ok := ix.Organization(); ok && ev.Role(org) == access.RoleOwner {
			for i := range ix.NumResources() {
				candidates = append(candidates, access.ResourceRef(i))
			}
		} else {
			candidates = slices.Clone(ev.Resources())
			for _, c := range ev.Resources() {
				for _, p := range ix.PublicProjects(c) {
					if ev.Role(p) == access.RoleNone { // else a candidate already
						candidates = append(candidates, p)
					}
				}
			}
		}
	}
	for _, rr := range candidates {
		res := ix.Resource(rr)
		ex, err := ix.Explain(userID, res.ID)
		if err != nil {
			return out, err
		}
		if only == nil && len(ex.Sources) == 0 {
			continue
		}
		re := api.ResourceExplanation{ResourceID: ex.ResourceID, Kind: ex.ResourceKind.String(), Name: ex.ResourceName,
			Role: ex.Effective.Role.String(), Implicit: ex.Effective.Implicit, Public: ex.Effective.Public,
			Sources: make([]api.AccessSource, len(ex.Sources))}
		if res.Kind == access.KindProject {
			re.Visibility = visibility(ex.Public)
			if ex.CloudRole != access.RoleNone {
				re.CloudRole = ex.CloudRole.String()
			}
		}
		for i, src := range ex.Sources {
			re.Sources[i] = api.AccessSource{Kind: src.Kind.String(), Role: src.Role.String(), GrantID: src.BindingID,
				GroupID: src.GroupID, GroupName: src.GroupName, Path: src.Path, Redundant: src.Redundant, CoveredBy: src.CoveredBy}
			if m, ok := made[src.BindingID]; ok && src.GroupID != "" {
				re.Sources[i].RuleID, re.Sources[i].RuleName = m.id, m.name
			}
		}
		out.Resources = append(out.Resources, re)
	}
	slices.SortFunc(out.Resources, func(a, b api.ResourceExplanation) int {
		return cmp.Or(cmp.Compare(grantKindOrder[a.Kind], grantKindOrder[b.Kind]), cmp.Compare(a.Name, b.Name),
			cmp.Compare(a.ResourceID, b.ResourceID))
	})
	return out, nil
}

// madeByRule names the rule that made a binding.
type madeByRule struct{ id, name string }

// madeBy maps the org's rule-made bindings to their rule, so that explain says "via group X,
// bound by rule R".
func madeBy(ctx context.Context, tx store.Tx, org string) (map[string]madeByRule, error) {
	bs, err := tx.RuleBindings(ctx, org, "")
	if err != nil || len(bs) == 0 {
		return nil, err
	}
	names, err := ruleNames(ctx, tx, org)
	if err != nil {
		return nil, err
	}
	out := make(map[string]madeByRule, len(bs))
	for _, b := range bs {
		n := names[b.RuleID]
		if n == "" {
			n = b.RuleID
		}
		out[b.ID] = madeByRule{b.RuleID, n}
	}
	return out, nil
}
