package service

import (
	"context"
	"fmt"

	"github.com/rolecall/rolecall/internal/access"
	"github.com/rolecall/rolecall/internal/store"
)

// State reads one org's authorization snapshot in one read transaction (LoadState).
func (s *Service) State(ctx context.Context, orgID string) (*access.State, error) {
	var st *access.State
	err := s.store.View(ctx, func(tx store.Tx) (err error) {
		st, err = LoadState(ctx, tx, orgID)
		return err
	})
	return st, err
}

// LoadState reads one org's authorization data into the snapshot that package access
// (effective access, explain, review) and package enforce (the planner) answer from. Call it
// inside one transaction so that the snapshot is consistent. Exempt users (break-glass)
// carry access.User.Exempt, which the planner honours. Deleted groups are left out: a
// binding or membership that names one grants nothing, exactly as for an inactive group.
func LoadState(ctx context.Context, tx store.Tx, orgID string) (*access.State, error) {
	st := &access.State{}
	err := tx.ScanUsers(ctx, orgID, func(u store.User) error {
		st.Users = append(st.Users, access.User{ID: u.ID, UserName: u.UserName, Active: u.Active, Removed: u.Removed})
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("loading users: %w", err)
	}
	exempt, err := tx.Exemptions(ctx, orgID)
	if err != nil {
		return nil, fmt.Errorf("loading exemptions: %w", err)
	}
	if len(exempt) > 0 {
		ids := make(map[string]bool, len(exempt))
		for _, e := range exempt {
			ids[e.UserID] = true
		}
		for i := range st.Users {
			// A removed user's exemption grants nothing, as MoveUserBindings reads it.
			st.Users[i].Exempt = ids[st.Users[i].ID] && !st.Users[i].Removed
		}
	}
	err = tx.ScanGroups(ctx, orgID, func(g store.Group) error {
		st.Groups = append(st.Groups, access.Group{ID: g.ID, DisplayName: g.DisplayName, Active: g.Active && !g.Deleted})
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("loading groups: %w", err)
	}
	err = tx.AllMemberships(ctx, orgID, func(m store.Membership) error {
		t := access.PrincipalUser
		if m.MemberType == store.MemberGroup {
			t = access.PrincipalGroup
		}
		st.Memberships = append(st.Memberships, access.Membership{GroupID: m.GroupID, MemberID: m.MemberID, MemberType: t})
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("loading memberships: %w", err)
	}
	sas, err := tx.ListServiceAccounts(ctx, orgID)
	if err != nil {
		return nil, fmt.Errorf("loading service accounts: %w", err)
	}
	for _, sa := range sas {
		st.ServiceAccounts = append(st.ServiceAccounts, access.ServiceAccount{ID: sa.ID, Name: sa.Name})
	}
	rs, err := tx.ListResources(ctx, orgID, "", "")
	if err != nil {
		return nil, fmt.Errorf("loading resources: %w", err)
	}
	for _, r := range rs {
		k, err := access.ParseKind(string(r.Kind))
		if err != nil {
			return nil, err
		}
		st.Resources = append(st.Resources, access.Resource{ID: r.ID, Name: r.Name, ParentID: r.ParentID, Kind: k, Public: r.Public})
	}
	err = tx.AllBindings(ctx, orgID, func(b store.Binding) error {
		pt, err := access.ParsePrincipalType(string(b.PrincipalType))
		if err != nil {
			return err
		}
		role, err := access.ParseRole(b.Role)
		if err != nil {
			return fmt.Errorf("binding %s: %w", b.ID, err)
		}
		st.Bindings = append(st.Bindings, access.Binding{ID: b.ID, ResourceID: b.ResourceID, PrincipalID: b.PrincipalID, PrincipalType: pt, Role: role})
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("loading bindings: %w", err)
	}
	return st, nil
}
