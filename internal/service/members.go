package service

import (
	"context"
	"errors"
	"maps"

	"github.com/rolecall/rolecall/internal/scim"
	"github.com/rolecall/rolecall/internal/store"
)

// Group memberships change only through the store's set operations (AddMembers,
// RemoveMembers, ReplaceMembers, RemoveAllMembers): nothing here reads a member list to
// change it, and a membership change reads no member list at all.

// maxAuditIDs bounds the member ids listed in an audit event.
const maxAuditIDs = 100

// MemberChanges summarises the membership changes of one request for the audit log: the
// counts the store reported, and the ids the request named (to add, or the new member set
// of a replace; to remove), truncated at maxAuditIDs.
type MemberChanges struct {
	Added      int      `json:"added"`
	Removed    int      `json:"removed"`
	RemovedAll bool     `json:"removedAll,omitempty"`
	AddedIDs   []string `json:"addedIds,omitempty"`
	RemovedIDs []string `json:"removedIds,omitempty"`
	// IgnoredIDs are member ids sent that are not users or groups of the org.
	IgnoredIDs []string `json:"ignoredIds,omitempty"`
	// ReinstatedIDs are users that enforce-groups had removed and that this change brought
	// back by adding them to a group.
	ReinstatedIDs  []string `json:"reinstatedIds,omitempty"`
	IDsRequested   int      `json:"idsRequested"`
	IDsTruncatedAt int      `json:"idsTruncatedAt,omitempty"`

	// The members really added and removed, and every user reinstated, uncapped: the
	// request's change events (one per member) are made from them.
	addedMembers, removedMembers []store.Member
	reinstated                   []string
}

// added records members the store added.
func (c *MemberChanges) added(ms []store.Member) {
	c.Added += len(ms)
	c.addedMembers = append(c.addedMembers, ms...)
}

// removed records members the store removed.
func (c *MemberChanges) removed(ms []store.Member) {
	c.Removed += len(ms)
	c.removedMembers = append(c.removedMembers, ms...)
}

func (c *MemberChanges) note(list *[]string, ids []string) {
	c.IDsRequested += len(ids)
	for _, id := range ids {
		if len(*list) >= maxAuditIDs {
			c.IDsTruncatedAt = maxAuditIDs
			return
		}
		*list = append(*list, id)
	}
}

func (c *MemberChanges) changed() bool { return c.Added > 0 || c.Removed > 0 }

// setMembers adds members to group id (replace: makes them its member set) and records it
// in mc: the one sequence every membership change that adds goes through.
//
// Unknown ids are dropped first and noted in mc. Identity providers send members they
// failed to provision, or that were deleted here since; refusing the whole change for one
// stale id would also drop every valid member in the same request and make the IdP retry or
// quarantine the app. So unknown member ids are ignored (as Microsoft's reference SCIM server
// does) and recorded, never stored.
//
// Then, once members were added, the users among them that enforce-groups removed are
// reinstated (DESIGN.md: the IdP brings a removed user back by PATCH active=true or by a
// group add — to the IdP the user is assigned). Nothing is read when nothing was added.
func setMembers(ctx context.Context, tx store.Tx, org, id string, replace bool, members []scim.Member, mc *MemberChanges) error {
	ids, err := knownMemberIDs(ctx, tx, org, memberIDs(members), mc)
	if err != nil {
		return err
	}
	var added, removed []store.Member
	if replace {
		added, removed, err = tx.ReplaceMembersReturning(ctx, org, id, ids)
	} else {
		added, err = tx.AddMembersReturning(ctx, org, id, ids)
	}
	if err != nil {
		return memberError(err)
	}
	mc.added(added)
	mc.removed(removed)
	mc.note(&mc.AddedIDs, ids)
	if len(added) == 0 {
		return nil
	}
	back, err := tx.ReinstateUsers(ctx, org, ids)
	mc.reinstated = append(mc.reinstated, back...)
	if len(mc.ReinstatedIDs) < maxAuditIDs {
		mc.ReinstatedIDs = append(mc.ReinstatedIDs, back[:min(len(back), maxAuditIDs-len(mc.ReinstatedIDs))]...)
	}
	return err
}

// knownMemberIDs drops the ids that are not users or groups of the org, noting them in mc.
func knownMemberIDs(ctx context.Context, tx store.Tx, org string, ids []string, mc *MemberChanges) ([]string, error) {
	known, err := tx.KnownMembers(ctx, org, ids)
	if err != nil || len(known) == len(ids) {
		return known, err
	}
	set := make(map[string]struct{}, len(known))
	for _, id := range known {
		set[id] = struct{}{}
	}
	for _, id := range ids {
		if _, ok := set[id]; !ok {
			if len(mc.IgnoredIDs) < maxAuditIDs {
				mc.IgnoredIDs = append(mc.IgnoredIDs, id)
			}
			set[id] = struct{}{} // note a repeated unknown id once
		}
	}
	return known, nil
}

func memberIDs(ms []scim.Member) []string {
	ids := make([]string, len(ms))
	for i, m := range ms {
		ids[i] = m.Value
	}
	return ids
}

// memberDisplays returns displays updated with the display names members were sent with:
// kept when they differ from what rolecall shows (userName or group displayName), dropped
// when equal (see MemberDisplayKey). Members the store does not know are skipped (the
// membership change drops them). It reads names only for members sent with a display.
func memberDisplays(ctx context.Context, tx store.Tx, org string, displays map[string]string, members []scim.Member) (map[string]string, error) {
	var ids []string
	for _, m := range members {
		if m.Display != "" {
			ids = append(ids, m.Value)
		}
	}
	if len(ids) == 0 {
		return displays, nil
	}
	names, err := tx.UserNames(ctx, org, ids)
	if err != nil {
		return nil, err
	}
	out := maps.Clone(displays)
	if out == nil {
		out = map[string]string{}
	}
	for _, m := range members {
		if m.Display == "" {
			continue
		}
		natural, ok := names[m.Value]
		if !ok {
			g, err := tx.Group(ctx, org, m.Value)
			if errors.Is(err, store.ErrNotFound) {
				continue
			}
			if err != nil {
				return nil, err
			}
			natural = g.DisplayName
		}
		_, had := out[m.Value]
		switch {
		case m.Display == natural:
			delete(out, m.Value)
		case had || len(out) < MaxMemberDisplays:
			out[m.Value] = m.Display
		}
	}
	return out, nil
}

func withoutDisplays(displays map[string]string, ids []string) map[string]string {
	if len(displays) == 0 {
		return displays
	}
	var out map[string]string
	for _, id := range ids {
		if _, ok := displays[id]; ok {
			if out == nil {
				out = maps.Clone(displays)
			}
			delete(out, id)
		}
	}
	if out == nil {
		return displays
	}
	return out
}

// memberError turns a refused membership change into 400 invalidValue: the group exists,
// one of the members does not (or would make a cycle).
func memberError(err error) error {
	if errors.Is(err, store.ErrNotFound) {
		return scim.ErrInvalidValue("members: %s; add only ids of Users and Groups of this organization", StoreDetail(err))
	}
	if errors.Is(err, store.ErrInvalid) {
		return scim.ErrInvalidValue("members: %s", StoreDetail(err))
	}
	return err
}

// Members reads the members of group id, nil when it has none (so that an empty group
// renders without "members").
func Members(ctx context.Context, tx store.Tx, org, id string) ([]store.Member, error) {
	mm, err := tx.MembersOf(ctx, org, []string{id})
	if err != nil || len(mm[id]) == 0 {
		return nil, err
	}
	return mm[id], nil
}
