package service

import (
	"context"
	"encoding/json"
	"errors"
	"maps"

	"github.com/rolecall/rolecall/internal/audit"
	"github.com/rolecall/rolecall/internal/events"
	"github.com/rolecall/rolecall/internal/scim"
	"github.com/rolecall/rolecall/internal/store"
)

// GroupRender is how the SCIM handler shows a group written by a provisioning call.
type GroupRender struct {
	// Render overlays g's columns, id and meta on doc (g's document without the display
	// overrides, which it may modify) and, when members is non-nil, the members attribute.
	// Written.Body is what it returns, unprojected.
	Render func(g store.Group, doc map[string]any, members []store.Member, displays map[string]string) map[string]any
	// Members says the answer lists the members; they are read only then. A membership
	// PATCH of a 100,000-member group must not read the member list to answer.
	Members bool
}

func groupTaken(err error, name string) error {
	if errors.Is(err, store.ErrConflict) {
		return scim.ErrUniqueness("displayName %q is already taken by another group of this organization (group names are unique, case-insensitively)", name)
	}
	return err
}

// CreateGroup creates a group with its members from a normalised body (ndoc, which it does
// not modify, without members: scim.TakeMembers took them).
func (s *Service) CreateGroup(ctx context.Context, org string, ndoc map[string]any, members []scim.Member, v GroupRender) (Written, error) {
	ix := scim.IndexedFields(ndoc)
	var out Written
	err := s.write(ctx, org, func(tx store.Tx, ob *Outbox) error {
		if err := lockAccess(ctx, tx, org); err != nil {
			return err
		}
		raw, displays, err := newGroupDoc(ctx, tx, org, ndoc, members)
		if err != nil {
			return err
		}
		g, err := tx.CreateGroup(ctx, store.Group{OrgID: org, DisplayName: ix.DisplayName, ExternalID: ix.ExternalID, Active: true, Doc: raw})
		if err != nil {
			return groupTaken(err, ix.DisplayName)
		}
		mc := &MemberChanges{}
		if len(members) > 0 {
			if err := setMembers(ctx, tx, org, g.ID, false, members, mc); err != nil {
				return err
			}
		}
		var ms []store.Member
		if v.Members && len(members) > 0 {
			if ms, err = Members(ctx, tx, org, g.ID); err != nil {
				return err
			}
		}
		doc := v.Render(g, maps.Clone(ndoc), ms, displays)
		out = Written{ID: g.ID, Version: g.Version, Body: doc}
		ob.Add(events.GroupCreated, events.GroupData{Group: EventGroup(g)})
		if err := groupChangeEvents(ctx, tx, org, ob, g, mc); err != nil {
			return err
		}
		if _, err := s.reconcileGroups(ctx, tx, org, ob, []store.Group{g}); err != nil {
			return err
		}
		return audit.Log(ctx, tx, org, audit.ActionSCIMGroupCreate, audit.TargetGroup, g.ID, nil, groupAudit(doc, mc))
	})
	return out, err
}

// newGroupDoc is the stored document of a group written whole (POST, PUT) from ndoc and the
// members it was sent with, and the member display overrides it holds.
func newGroupDoc(ctx context.Context, tx store.Tx, org string, ndoc map[string]any, members []scim.Member) (json.RawMessage, map[string]string, error) {
	displays, err := memberDisplays(ctx, tx, org, nil, members)
	if err != nil {
		return nil, nil, err
	}
	raw, err := GroupStoredDoc(ndoc, displays)
	return raw, displays, err
}

// currentGroup reads group id for a write, checked against If-Match, and its decoded
// document; expect is the version to make the write conditional on.
func currentGroup(ctx context.Context, tx store.Tx, org, id, ifMatchHeader string) (g store.Group, expect int64, doc map[string]any, displays map[string]string, err error) {
	g, err = tx.Group(ctx, org, id)
	if err != nil {
		return g, 0, nil, nil, asNotFound(err, scim.GroupResourceType, id)
	}
	if expect, err = ifMatch(ifMatchHeader, g.Version); err != nil {
		return g, 0, nil, nil, err
	}
	doc, displays, err = LoadGroupDoc(g)
	return g, expect, doc, displays, err
}

// ReplaceGroup replaces group id, members included, with a normalised body (PUT). PUT
// replaces the whole resource (RFC 7644 §3.5.1): a body without members empties the group.
func (s *Service) ReplaceGroup(ctx context.Context, org, id, ifMatchHeader string, ndoc map[string]any, members []scim.Member, v GroupRender) (Written, error) {
	ix := scim.IndexedFields(ndoc)
	var out Written
	err := s.provision(ctx, org, ifMatchHeader, func(tx store.Tx, ob *Outbox) error {
		if err := lockAccess(ctx, tx, org); err != nil {
			return err
		}
		g, _, old, _, err := currentGroup(ctx, tx, org, id, ifMatchHeader)
		if err != nil {
			return err
		}
		before := AuditDoc(v.Render(g, old, nil, nil))
		raw, displays, err := newGroupDoc(ctx, tx, org, ndoc, members)
		if err != nil {
			return err
		}
		ng := g
		ng.DisplayName, ng.ExternalID, ng.Doc = ix.DisplayName, ix.ExternalID, raw
		updated, err := tx.UpdateGroup(ctx, ng, g.Version)
		if err != nil {
			return groupTaken(err, ix.DisplayName)
		}
		mc := &MemberChanges{}
		if err := setMembers(ctx, tx, org, id, true, members, mc); err != nil {
			return err
		}
		var ms []store.Member
		if v.Members && mc.IDsRequested > 0 {
			if ms, err = Members(ctx, tx, org, id); err != nil {
				return err
			}
		}
		doc := v.Render(updated, maps.Clone(ndoc), ms, displays)
		out = Written{ID: id, Version: updated.Version, Body: doc}
		if err := groupWriteEvents(ctx, tx, org, ob, g, updated, mc); err != nil {
			return err
		}
		if err := s.reconcileRenamed(ctx, tx, org, ob, g, updated); err != nil {
			return err
		}
		return audit.Log(ctx, tx, org, audit.ActionSCIMGroupReplace, audit.TargetGroup, id, before, groupAudit(doc, mc))
	})
	return out, err
}

// PatchGroup applies a PatchOp to group id: its membership operations through the store's
// set operations, the rest to its document. A PATCH that changes nothing writes nothing:
// the version stays, and no audit event records a non-change.
func (s *Service) PatchGroup(ctx context.Context, org, id, ifMatchHeader string, ops []scim.PatchOperation, v GroupRender) (Written, error) {
	var out Written
	err := s.provision(ctx, org, ifMatchHeader, func(tx store.Tx, ob *Outbox) error {
		if err := lockAccess(ctx, tx, org); err != nil {
			return err
		}
		g, expect, old, displays, err := currentGroup(ctx, tx, org, id, ifMatchHeader)
		if err != nil {
			return err
		}
		cur := v.Render(g, old, nil, nil)
		res, err := scim.ApplyPatch(scim.GroupResourceType, cur, ops)
		if err != nil {
			return err
		}
		mc := &MemberChanges{}
		newDisplays := displays
		for _, op := range res.Members {
			switch op.Kind {
			case scim.MemberAdd, scim.MemberReplace:
				replace := op.Kind == scim.MemberReplace
				if err := setMembers(ctx, tx, org, id, replace, op.Members, mc); err != nil {
					return err
				}
				if replace {
					newDisplays = nil
				}
				if newDisplays, err = memberDisplays(ctx, tx, org, newDisplays, op.Members); err != nil {
					return err
				}
			case scim.MemberRemove:
				ids := op.IDs()
				gone, err := tx.RemoveMembersReturning(ctx, org, id, ids)
				if err != nil {
					return memberError(err)
				}
				mc.removed(gone)
				mc.note(&mc.RemovedIDs, ids)
				newDisplays = withoutDisplays(newDisplays, ids)
			case scim.MemberRemoveAll:
				gone, err := tx.RemoveAllMembersReturning(ctx, org, id)
				if err != nil {
					return err
				}
				mc.removed(gone)
				mc.RemovedAll = true
				newDisplays = nil
			}
		}
		docChanged := res.Changed || !maps.Equal(displays, newDisplays)
		updated, wrote := g, true
		switch {
		case docChanged:
			ix := scim.IndexedFields(res.Doc)
			raw, err := GroupStoredDoc(res.Doc, newDisplays)
			if err != nil {
				return err
			}
			ng := g
			ng.DisplayName, ng.ExternalID, ng.Doc = ix.DisplayName, ix.ExternalID, raw
			if updated, err = tx.UpdateGroup(ctx, ng, g.Version); err != nil {
				return groupTaken(err, ix.DisplayName)
			}
		case mc.changed() && expect > 0:
			// Membership only, conditional: bump the version only if it is still the one
			// the client named, atomically.
			if updated, err = tx.UpdateGroup(ctx, g, expect); err != nil {
				return err
			}
		case mc.changed():
			if updated, err = tx.TouchGroup(ctx, org, id); err != nil {
				return err
			}
		default:
			// Nothing changed: no write, same version, no audit event.
			newDisplays, wrote = displays, false
		}
		var ms []store.Member
		if v.Members {
			if ms, err = Members(ctx, tx, org, id); err != nil {
				return err
			}
		}
		doc := v.Render(updated, res.Doc, ms, newDisplays)
		out = Written{ID: id, Version: updated.Version, Body: doc}
		if !wrote {
			return nil
		}
		if err := groupWriteEvents(ctx, tx, org, ob, g, updated, mc); err != nil {
			return err
		}
		if err := s.reconcileRenamed(ctx, tx, org, ob, g, updated); err != nil {
			return err
		}
		return audit.Log(ctx, tx, org, audit.ActionSCIMGroupPatch, audit.TargetGroup, id, AuditDoc(cur), groupAudit(doc, mc))
	})
	return out, err
}

// DeleteGroup deletes (soft-deletes) group id; render renders its audit event's "before".
func (s *Service) DeleteGroup(ctx context.Context, org, id, ifMatchHeader string, v GroupRender) error {
	return s.provision(ctx, org, ifMatchHeader, func(tx store.Tx, ob *Outbox) error {
		if err := lockAccess(ctx, tx, org); err != nil {
			return err
		}
		g, _, old, _, err := currentGroup(ctx, tx, org, id, ifMatchHeader)
		if err != nil {
			return err
		}
		before := AuditDoc(v.Render(g, old, nil, nil))
		// What the users below it lose, read while it still counts.
		lost, err := groupDeleteAccess(ctx, tx, org, id)
		if err != nil {
			return err
		}
		if err := tx.DeleteGroup(ctx, org, id, g.Version); err != nil {
			return asNotFound(err, scim.GroupResourceType, id)
		}
		// Its memberships and grants stay (for audit and undo) but count no more: a
		// reader treats the group as granting nothing, as it does an inactive one.
		gone := g
		gone.Active, gone.Deleted = false, true
		ob.Add(events.GroupDeleted, events.GroupData{Group: EventGroup(gone), Access: lost})
		return audit.Log(ctx, tx, org, audit.ActionSCIMGroupDelete, audit.TargetGroup, id, before, nil)
	})
}

// groupWriteEvents adds the events of a write of group g (as read) that left it as updated:
// group.renamed when its displayName changed, then its membership changes.
func groupWriteEvents(ctx context.Context, tx store.Tx, org string, ob *Outbox, g, updated store.Group, mc *MemberChanges) error {
	if g.DisplayName != updated.DisplayName {
		ob.Add(events.GroupRenamed, events.GroupData{Group: EventGroup(updated), PreviousName: g.DisplayName})
	}
	return groupChangeEvents(ctx, tx, org, ob, updated, mc)
}

// reconcileRenamed reconciles a written group with the org's group rules when its
// displayName or externalId changed (what rules match on); a membership-only write
// changes nothing rules see.
func (s *Service) reconcileRenamed(ctx context.Context, tx store.Tx, org string, ob *Outbox, g, updated store.Group) error {
	if g.DisplayName == updated.DisplayName && g.ExternalID == updated.ExternalID {
		return nil
	}
	_, err := s.reconcileGroups(ctx, tx, org, ob, []store.Group{updated})
	return err
}
