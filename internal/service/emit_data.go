package service

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"slices"

	"github.com/rolecall/rolecall/internal/events"
	"github.com/rolecall/rolecall/internal/store"
)

// The payloads of change events, built from stored objects. They carry what a reader needs
// to apply the change without calling back (ids, names, the active/removed flags that decide
// whether a principal holds access): another server's decision index follows the feed.

// EventUser is the event form of a user.
func EventUser(u store.User) events.UserRef {
	return events.UserRef{ID: u.ID, UserName: u.UserName, ExternalID: u.ExternalID, Active: u.Active, Removed: u.Removed}
}

// EventGroup is the event form of a group; a deleted group is not active.
func EventGroup(g store.Group) events.GroupRef {
	return events.GroupRef{ID: g.ID, DisplayName: g.DisplayName, ExternalID: g.ExternalID, Active: g.Active && !g.Deleted}
}

// EventResource is the event form of a resource.
func EventResource(r store.Resource) events.ResourceRef {
	return events.ResourceRef{Kind: string(r.Kind), ID: r.ID, Name: r.Name, ParentID: r.ParentID, Public: r.Public}
}

// eventPrincipalType is a principal type as events name it (camelCase, as in JSON).
func eventPrincipalType(pt store.PrincipalType) string {
	if pt == store.PrincipalServiceAccount {
		return "serviceAccount"
	}
	return string(pt)
}

// GrantEvent is the payload of a grant event for binding b on resource res to a principal
// named name.
func GrantEvent(b store.Binding, res store.Resource, name string) events.GrantData {
	return events.GrantData{BindingID: b.ID, Role: b.Role, Resource: EventResource(res),
		Principal: events.PrincipalRef{Type: eventPrincipalType(b.PrincipalType), ID: b.PrincipalID, Name: name}}
}

// grantData is the payload of a grant event for b, reading its resource and principal name.
func (l lookup) grantData(b store.Binding) (events.GrantData, error) {
	res, err := l.tx.Resource(l.ctx, l.orgID, b.ResourceID)
	if err != nil {
		return events.GrantData{}, err
	}
	name, err := principalName(l.ctx, l.tx, l.orgID, b.PrincipalType, b.PrincipalID)
	return GrantEvent(b, res, name), err
}

// principalName reads a principal's name ("" when it is gone).
func principalName(ctx context.Context, tx store.Tx, org string, pt store.PrincipalType, id string) (string, error) {
	var name string
	var err error
	switch pt {
	case store.PrincipalUser:
		var u store.User
		u, err = tx.User(ctx, org, id)
		name = u.UserName
	case store.PrincipalGroup:
		var g store.Group
		g, err = tx.Group(ctx, org, id)
		name = g.DisplayName
	case store.PrincipalServiceAccount:
		var sa store.ServiceAccount
		sa, err = tx.ServiceAccount(ctx, org, id)
		name = sa.Name
	}
	if errors.Is(err, store.ErrNotFound) {
		return "", nil
	}
	return name, err
}

// revokeCascade adds a grant.revoked event for each binding a delete takes with it (of a
// resource, a user, a service account), so that a reader following grants drops them
// without knowing the delete's cascade rules. Names are read once per resource and
// principal.
func revokeCascade(ctx context.Context, tx store.Tx, org string, ob *Outbox, bs []store.Binding) error {
	res := map[string]store.Resource{}
	names := map[string]string{}
	for _, b := range bs {
		r, ok := res[b.ResourceID]
		if !ok {
			var err error
			if r, err = tx.Resource(ctx, org, b.ResourceID); err != nil {
				return err
			}
			res[b.ResourceID] = r
		}
		key := string(b.PrincipalType) + "/" + b.PrincipalID
		name, ok := names[key]
		if !ok {
			var err error
			if name, err = principalName(ctx, tx, org, b.PrincipalType, b.PrincipalID); err != nil {
				return err
			}
			names[key] = name
		}
		ob.Add(events.GrantRevoked, GrantEvent(b, r, name))
	}
	return nil
}

// memberEvents adds a membership event of type t for each member of group g in ms, with
// the members' names (names holds the users', read with their access; the groups' are read
// in one query) and the access changes of the users each member brings in or takes out
// (accessOf).
func memberEvents(ctx context.Context, tx store.Tx, org string, ob *Outbox, t events.Type, g store.Group, ms []store.Member,
	accessOf func(store.Member) *events.AccessChanges, names map[string]string) error {
	if len(ms) == 0 {
		return nil
	}
	var groupIDs []string
	for _, m := range ms {
		if m.Type == store.MemberGroup {
			groupIDs = append(groupIDs, m.ID)
		}
	}
	groupNames := map[string]string{}
	if len(groupIDs) > 0 {
		// Without row locks: the transaction holds the org's access lock by now.
		gs, err := tx.GroupFlags(ctx, org, groupIDs)
		if err != nil {
			return err
		}
		for _, mg := range gs {
			groupNames[mg.ID] = mg.DisplayName
		}
	}
	ref := EventGroup(g)
	for _, m := range ms {
		name := names[m.ID]
		if m.Type == store.MemberGroup {
			name = groupNames[m.ID]
		}
		ob.Add(t, events.MembershipData{Group: ref, Member: events.MemberRef{Type: string(m.Type), ID: m.ID, Name: name},
			Access: accessOf(m)})
	}
	return nil
}

// reactivatedEvents adds the events of users a membership change reinstated: user.reactivated
// for those that hold access again, with the roles they regain (regained); user.updated
// (changed: removed) for those that come back inactive, because their IdP had deactivated
// them (reinstatement keeps the IdP's active flag).
func reactivatedEvents(ctx context.Context, tx store.Tx, org string, ob *Outbox, ids []string, regained map[string][]events.RoleChange) error {
	for _, id := range ids {
		u, err := tx.User(ctx, org, id)
		if err != nil {
			return err
		}
		if u.Active {
			ob.Add(events.UserReactivated, events.UserData{User: EventUser(u), Access: changesOf(regained, []string{id})})
		} else {
			ob.Add(events.UserUpdated, events.UserData{User: EventUser(u), Changed: []string{"removed"}})
		}
	}
	return nil
}

// netMembers is the net effect of a write's membership changes: a member removed and added
// again (or added and removed) in one request is no change, and gets no event. The store
// adds only non-members and removes only members, so a member's additions and removals
// alternate and their difference is its net change.
func netMembers(added, removed []store.Member) (netAdded, netRemoved []store.Member) {
	if len(added) == 0 || len(removed) == 0 {
		return added, removed
	}
	n := make(map[string]int, len(added)+len(removed))
	for _, m := range added {
		n[m.ID]++
	}
	for _, m := range removed {
		n[m.ID]--
	}
	keep := func(ms []store.Member, sign int) []store.Member {
		var out []store.Member
		for _, m := range ms {
			if n[m.ID]*sign > 0 {
				out = append(out, m)
				n[m.ID] = 0 // once
			}
		}
		return out
	}
	return keep(added, 1), keep(removed, -1)
}

// groupChangeEvents adds the events of a group write after its group event (if any): the
// members removed and added (net), each with the access changes it makes, then the users
// reinstated by being added.
func groupChangeEvents(ctx context.Context, tx store.Tx, org string, ob *Outbox, g store.Group, mc *MemberChanges) error {
	added, removed := netMembers(mc.addedMembers, mc.removedMembers)
	if len(added) == 0 && len(removed) == 0 && len(mc.reinstated) == 0 {
		return nil
	}
	regained, accessOf, names, err := membershipAccess(ctx, tx, org, g.ID, added, removed, mc.reinstated)
	if err != nil {
		return err
	}
	if err := memberEvents(ctx, tx, org, ob, events.MembershipRemoved, g, removed, accessOf, names); err != nil {
		return err
	}
	if err := memberEvents(ctx, tx, org, ob, events.MembershipAdded, g, added, accessOf, names); err != nil {
		return err
	}
	return reactivatedEvents(ctx, tx, org, ob, mc.reinstated, regained)
}

// userEvents adds the events of a user written over before: user.updated when attributes
// other than active changed (listing them), then user.deactivated or user.reactivated, with
// the roles lost or regained, when whether it holds access changed.
func userEvents(ctx context.Context, tx store.Tx, ob *Outbox, before, after store.User) error {
	if changed := changedAttributes(before, after); len(changed) > 0 {
		ob.Add(events.UserUpdated, events.UserData{User: EventUser(after), Changed: changed})
	}
	held, holds := before.Active && !before.Removed, after.Active && !after.Removed
	if held == holds {
		return nil
	}
	ac, err := holdingAccess(ctx, tx, after.OrgID, after.ID, holds)
	if err != nil {
		return err
	}
	t := events.UserDeactivated
	if holds {
		t = events.UserReactivated
	}
	ob.Add(t, events.UserData{User: EventUser(after), Access: ac})
	return nil
}

// changedAttributes lists the top-level SCIM attributes whose value differs between two
// versions of a user, sorted, leaving out active (its own events say it). The stored
// document holds every attribute; the indexed columns are compared too, in case a document
// omits them.
func changedAttributes(a, b store.User) []string {
	var da, db map[string]json.RawMessage
	_ = json.Unmarshal(a.Doc, &da) // a stored document is JSON; a broken one compares as empty
	_ = json.Unmarshal(b.Doc, &db)
	set := map[string]bool{}
	for k, va := range da {
		if vb, ok := db[k]; !ok || !jsonEqual(va, vb) {
			set[k] = true
		}
	}
	for k := range db {
		if _, ok := da[k]; !ok {
			set[k] = true
		}
	}
	if a.UserName != b.UserName {
		set["userName"] = true
	}
	if a.ExternalID != b.ExternalID {
		set["externalId"] = true
	}
	if a.DisplayName != b.DisplayName {
		set["displayName"] = true
	}
	delete(set, "active")
	delete(set, "schemas")
	out := make([]string, 0, len(set))
	for k := range set {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// jsonEqual compares two JSON values by content (key order and spacing aside).
func jsonEqual(a, b json.RawMessage) bool {
	if bytes.Equal(a, b) {
		return true
	}
	var va, vb any
	if json.Unmarshal(a, &va) != nil || json.Unmarshal(b, &vb) != nil {
		return false
	}
	ja, _ := json.Marshal(va)
	jb, _ := json.Marshal(vb)
	return bytes.Equal(ja, jb)
}
