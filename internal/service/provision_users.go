package service

import (
	"context"
	"encoding/json"
	"errors"
	"strings"

	"github.com/rolecall/rolecall/internal/audit"
	"github.com/rolecall/rolecall/internal/events"
	"github.com/rolecall/rolecall/internal/scim"
	"github.com/rolecall/rolecall/internal/store"
)

// UserRender is how the SCIM handler shows a user written by a provisioning call.
type UserRender struct {
	// Answer renders u for the answer; groups are u's groups when Groups is set, else nil.
	Answer func(u store.User, groups []store.Group) (any, error)
	// Groups says the answer shows the user's groups (they are read only then).
	Groups bool
	// Audit renders u as its audit events record it: unprojected, without groups.
	Audit func(u store.User) (any, error)
	// Doc renders u as the SCIM document a PATCH applies to (its paths may name id or meta).
	Doc func(u store.User) (map[string]any, error)
}

func userTaken(err error, userName string) error {
	if errors.Is(err, store.ErrConflict) {
		return scim.ErrUniqueness("userName %q is already taken by another user of this organization (userNames are unique, case-insensitively); update that user instead", userName)
	}
	return err
}

// answer renders u for the answer, reading its groups when the answer shows them.
func (v *UserRender) answer(ctx context.Context, tx store.Tx, u store.User) (any, error) {
	var groups []store.Group
	if v.Groups {
		var err error
		if groups, err = tx.GroupsOfMember(ctx, u.OrgID, u.ID); err != nil {
			return nil, err
		}
	}
	return v.Answer(u, groups)
}

// CreateUser creates nu (built by UserFromDoc). The answer and the audit event show the
// user as stored.
func (s *Service) CreateUser(ctx context.Context, nu store.User, v UserRender) (Written, error) {
	var out Written
	err := s.write(ctx, nu.OrgID, func(tx store.Tx, ob *Outbox) error {
		u, err := tx.CreateUser(ctx, nu)
		if err != nil {
			return userTaken(err, nu.UserName)
		}
		u.Emails, u.Doc = nu.Emails, nu.Doc
		after, err := v.Audit(u)
		if err != nil {
			return err
		}
		body, err := v.Answer(u, nil) // a new user is in no group
		if err != nil {
			return err
		}
		out = Written{ID: u.ID, Version: u.Version, Body: body}
		ob.Add(events.UserCreated, events.UserData{User: EventUser(u)})
		return audit.Log(ctx, tx, u.OrgID, audit.ActionSCIMUserCreate, audit.TargetUser, u.ID, nil, after)
	})
	return out, err
}

// currentUser reads user id for a write, checked against If-Match.
func currentUser(ctx context.Context, tx store.Tx, org, id, ifMatchHeader string) (store.User, error) {
	u, err := tx.User(ctx, org, id)
	if err != nil {
		return store.User{}, asNotFound(err, scim.UserResourceType, id)
	}
	if _, err := ifMatch(ifMatchHeader, u.Version); err != nil {
		return store.User{}, err
	}
	return u, nil
}

// keepRemoved applies the reinstatement rule of user writes to nu, replacing u: a user
// removed by enforce-groups comes back only when the IdP says active=true explicitly
// (the store keeps Removed only while inactive); a write that leaves active out keeps it
// removed and inactive (active would default to true).
//
// The removal hides the user's own active (its stored document's, which a later group add
// restores: store.ReinstateUsers), so a write to a removed user keeps the IdP's word on it
// in the stored document: what the write said explicitly, else what the document said
// before. A write that leaves active out
// must neither turn it on (a PUT without active would default it to true) nor off.
func keepRemoved(u store.User, nu *store.User, explicitActive bool) error {
	nu.ID = u.ID
	nu.Removed = u.Removed
	if !u.Removed || explicitActive {
		return nil
	}
	nu.Active = false
	old, err := DecodeDoc(u.Doc)
	if err != nil {
		return err
	}
	doc, err := DecodeDoc(nu.Doc)
	if err != nil {
		return err
	}
	own, said := old["active"].(bool)
	if now, ok := doc["active"]; ok == said && (!said || now == own) {
		return nil
	}
	if said {
		doc["active"] = own
	} else {
		delete(doc, "active")
	}
	nu.Doc, err = json.Marshal(doc)
	return err
}

// patchBase is the document a PATCH of u applies to, and for a removed user whether ops set
// active explicitly. It is u as rendered, except that a removed user shows its own active
// (its stored document's, absent when the IdP never sent one) instead of the false the
// removal shows: otherwise the IdP's active=false on a removed user it had left active would
// be "no change", not recorded, and a later group add would turn the user on.
func patchBase(u store.User, v *UserRender, ops []scim.PatchOperation) (doc map[string]any, explicitActive bool, err error) {
	doc, err = v.Doc(u)
	if err != nil || !u.Removed {
		return doc, false, err
	}
	stored, err := DecodeDoc(u.Doc)
	if err != nil {
		return nil, false, err
	}
	delete(doc, "active")
	// Whether ops set active shows on the document without it; errors show below, on the
	// document the PATCH applies to.
	if probe, err := scim.ApplyPatch(scim.UserResourceType, doc, ops); err == nil {
		_, explicitActive = probe.Doc["active"].(bool)
	}
	if own, ok := stored["active"].(bool); ok {
		doc["active"] = own
	}
	return doc, explicitActive, nil
}

// updateUser writes nu over u (read in this transaction at u.Version) and records the
// change.
func (s *Service) updateUser(ctx context.Context, tx store.Tx, ob *Outbox, v *UserRender, action string, u, nu store.User) (Written, error) {
	before, err := v.Audit(u)
	if err != nil {
		return Written{}, err
	}
	updated, err := tx.UpdateUser(ctx, nu, u.Version)
	if err != nil {
		return Written{}, userTaken(err, nu.UserName)
	}
	updated.Emails, updated.Doc = nu.Emails, nu.Doc
	after, err := v.Audit(updated)
	if err != nil {
		return Written{}, err
	}
	body, err := v.answer(ctx, tx, updated)
	if err != nil {
		return Written{}, err
	}
	if err := userEvents(ctx, tx, ob, u, updated); err != nil {
		return Written{}, err
	}
	return Written{ID: u.ID, Version: updated.Version, Body: body}, audit.Log(ctx, tx, u.OrgID, action, audit.TargetUser, u.ID, before, after)
}

// ReplaceUser replaces user id with nu (PUT, built by UserFromDoc); explicitActive says
// whether the body set active.
func (s *Service) ReplaceUser(ctx context.Context, org, id, ifMatchHeader string, nu store.User, explicitActive bool, v UserRender) (Written, error) {
	var out Written
	err := s.provision(ctx, org, ifMatchHeader, func(tx store.Tx, ob *Outbox) error {
		// A PUT carries active: it may start or stop the user holding access.
		if err := lockAccess(ctx, tx, org); err != nil {
			return err
		}
		u, err := currentUser(ctx, tx, org, id, ifMatchHeader)
		if err != nil {
			return err
		}
		nu := nu
		if err := keepRemoved(u, &nu, explicitActive); err != nil {
			return err
		}
		out, err = s.updateUser(ctx, tx, ob, &v, audit.ActionSCIMUserReplace, u, nu)
		return err
	})
	return out, err
}

// PatchUser applies a PatchOp to user id. A PATCH that changes nothing writes nothing: the
// version stays, and no audit event records a non-change.
func (s *Service) PatchUser(ctx context.Context, org, id, ifMatchHeader string, ops []scim.PatchOperation, v UserRender) (Written, error) {
	var out Written
	mayChangeAccess := patchMayTouchActive(ops)
	err := s.provision(ctx, org, ifMatchHeader, func(tx store.Tx, ob *Outbox) error {
		if mayChangeAccess {
			if err := lockAccess(ctx, tx, org); err != nil {
				return err
			}
		}
		u, err := currentUser(ctx, tx, org, id, ifMatchHeader)
		if err != nil {
			return err
		}
		cur, explicitActive, err := patchBase(u, &v, ops)
		if err != nil {
			return err
		}
		res, err := scim.ApplyPatch(scim.UserResourceType, cur, ops)
		if err != nil {
			return err
		}
		if len(res.Members) > 0 {
			return scim.ErrInvalidPath("users have no members")
		}
		// An explicit active=true reinstates a removed user even when its own active already
		// was true.
		reinstate := u.Removed && explicitActive && res.Doc["active"] == true
		if !res.Changed && !reinstate {
			body, err := v.answer(ctx, tx, u)
			out = Written{ID: id, Version: u.Version, Body: body}
			return err
		}
		nu, err := UserFromDoc(org, res.Doc)
		if err != nil {
			return err
		}
		if !u.Removed {
			_, explicitActive = res.Doc["active"].(bool)
		}
		if err := keepRemoved(u, &nu, explicitActive); err != nil {
			return err
		}
		out, err = s.updateUser(ctx, tx, ob, &v, audit.ActionSCIMUserPatch, u, nu)
		return err
	})
	return out, err
}

// DeleteUser deletes user id; audit renders the "before" of its audit event.
func (s *Service) DeleteUser(ctx context.Context, org, id, ifMatchHeader string, auditDoc func(store.User) (any, error)) error {
	return s.provision(ctx, org, ifMatchHeader, func(tx store.Tx, ob *Outbox) error {
		if err := lockAccess(ctx, tx, org); err != nil {
			return err
		}
		u, err := currentUser(ctx, tx, org, id, ifMatchHeader)
		if err != nil {
			return err
		}
		before, err := auditDoc(u)
		if err != nil {
			return err
		}
		if err := deletedUserEvents(ctx, tx, org, ob, u); err != nil {
			return err
		}
		if err := tx.DeleteUser(ctx, org, id, u.Version); err != nil {
			return asNotFound(err, scim.UserResourceType, id)
		}
		return audit.Log(ctx, tx, org, audit.ActionSCIMUserDelete, audit.TargetUser, id, before, nil)
	})
}

// deletedUserEvents adds the events of deleting u, read before the delete: a
// membership.removed per group it was directly in and a grant.revoked per grant it held (the
// delete takes them with it), then user.deleted.
func deletedUserEvents(ctx context.Context, tx store.Tx, org string, ob *Outbox, u store.User) error {
	groups, err := tx.GroupsOfMember(ctx, org, u.ID)
	if err != nil {
		return err
	}
	for _, g := range groups {
		ob.Add(events.MembershipRemoved, events.MembershipData{Group: EventGroup(g),
			Member: events.MemberRef{Type: string(store.MemberUser), ID: u.ID, Name: u.UserName}})
	}
	bs, err := tx.ListBindings(ctx, org, store.BindingFilter{PrincipalType: store.PrincipalUser, PrincipalID: u.ID})
	if err != nil {
		return err
	}
	if err := revokeCascade(ctx, tx, org, ob, bs); err != nil {
		return err
	}
	// An inactive user loses nothing by being deleted: an empty list, not an absent one.
	ac := &events.AccessChanges{Changes: []events.RoleChange{}}
	if u.Active && !u.Removed {
		if ac, err = holdingAccess(ctx, tx, org, u.ID, false); err != nil {
			return err
		}
	}
	gone := u
	gone.Active = false
	ob.Add(events.UserDeleted, events.UserData{User: EventUser(gone), Access: ac})
	return nil
}

// patchMayTouchActive reports whether a user PATCH can change active, and so whether the
// user starts or stops holding access (events then carry its roles): every operation must
// name a path other than active, or carry a value object without it, for the answer to be
// no. Such a PATCH takes the org's access lock first, before any row lock, as every write
// whose events carry access does; one that cannot change active (Entra's attribute
// updates) runs without it.
func patchMayTouchActive(ops []scim.PatchOperation) bool {
	for _, op := range ops {
		if op.Path != "" {
			if strings.Contains(strings.ToLower(op.Path), "active") {
				return true
			}
			continue
		}
		m, ok := op.Value.(map[string]any)
		if !ok {
			return true
		}
		for k := range m {
			if strings.Contains(strings.ToLower(k), "active") {
				return true
			}
		}
	}
	return false
}
