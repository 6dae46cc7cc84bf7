package server

import (
	"context"
	"encoding/json"
	"errors"
	"maps"
	"net/http"
	"strings"

	"github.com/rolecall/rolecall/internal/audit"
	"github.com/rolecall/rolecall/internal/scim"
	"github.com/rolecall/rolecall/internal/store"
)

// Group handlers. Members live in the store's membership table and change only through its
// set operations (AddMembers, RemoveMembers, ReplaceMembers, RemoveAllMembers): no handler
// reads a member list to change it, and a membership PATCH reads no member list at all.

func groupTaken(err error, name string) error {
	if errors.Is(err, store.ErrConflict) {
		return scim.ErrUniqueness("displayName %q is already taken by another group of this organization (group names are unique, case-insensitively)", name)
	}
	return err
}

// memberError turns a refused membership change into 400 invalidValue: the group exists,
// one of the members does not (or would make a cycle).
func memberError(err error) error {
	if errors.Is(err, store.ErrNotFound) {
		return scim.ErrInvalidValue("members: %s; add only ids of Users and Groups of this organization", storeDetail(err))
	}
	if errors.Is(err, store.ErrInvalid) {
		return scim.ErrInvalidValue("members: %s", storeDetail(err))
	}
	return err
}

// groupMembers reads the members of g for an answer that shows them, or nil.
func groupMembers(ctx context.Context, tx store.Tx, c scimCtx, id string, want bool) ([]store.Member, error) {
	if !want {
		return nil, nil
	}
	mm, err := tx.MembersOf(ctx, c.org, []string{id})
	if err != nil {
		return nil, err
	}
	return nonEmpty(mm[id]), nil
}

// updateDisplays returns displays updated with the display names members were sent with:
// kept when they differ from what rolecall shows (userName or group displayName), dropped
// when equal (see memberDisplayKey). Members the store does not know are skipped (the
// membership change refuses them). It reads names only for members sent with a display.
func updateDisplays(ctx context.Context, tx store.Tx, org string, displays map[string]string, members []scim.Member) (map[string]string, error) {
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
		case had || len(out) < maxMemberDisplays:
			out[m.Value] = m.Display
		}
	}
	return out, nil
}

// knownMemberIDs drops the ids that are not users or groups of the org, noting them in mc
// for the audit event. Identity providers send members they failed to provision, or that were
// deleted here since; refusing the whole change for one stale id would also drop every valid
// member in the same request and make the IdP retry or quarantine the app. So unknown member
// ids are ignored (as Microsoft's reference SCIM server does) and recorded, never stored.
func knownMemberIDs(ctx context.Context, tx store.Tx, org string, ids []string, mc *memberChanges) ([]string, error) {
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

// readGroup reads group id for GET: its version, and how to render it as c.proj projects it.
func (s *Server) readGroup(ctx context.Context, tx store.Tx, c scimCtx, id string) (int64, func() (any, error), error) {
	g, err := tx.Group(ctx, c.org, id)
	if err != nil {
		return 0, nil, asNotFound(err, scimGroups, id)
	}
	return g.Version, func() (any, error) {
		if b, ok, err := groupJSON(g, c.base, c.proj); err != nil || ok {
			return json.RawMessage(b), err
		}
		d, displays, err := loadGroupDoc(g)
		if err != nil {
			return nil, err
		}
		members, err := groupMembers(ctx, tx, c, id, c.proj.Needs("members"))
		if err != nil {
			return nil, err
		}
		return c.proj.Project(renderGroup(g, d, c.base, members, displays)), nil
	}, nil
}

// createGroup creates a group, with its members, from a normalised body.
func (s *Server) createGroup(ctx context.Context, c scimCtx, ndoc map[string]any) (written, error) {
	members := scim.TakeMembers(ndoc)
	ix := scim.IndexedFields(ndoc)
	var doc map[string]any
	var created store.Group
	err := s.store.Update(ctx, func(tx store.Tx) error {
		displays, err := updateDisplays(ctx, tx, c.org, nil, members)
		if err != nil {
			return err
		}
		raw, err := groupStoredDoc(ndoc, displays)
		if err != nil {
			return err
		}
		g, err := tx.CreateGroup(ctx, store.Group{OrgID: c.org, DisplayName: ix.DisplayName, ExternalID: ix.ExternalID, Active: true, Doc: raw})
		if err != nil {
			return groupTaken(err, ix.DisplayName)
		}
		mc := &memberChanges{}
		if len(members) > 0 {
			ids, err := knownMemberIDs(ctx, tx, c.org, memberIDs(members), mc)
			if err != nil {
				return err
			}
			n, err := tx.AddMembers(ctx, c.org, g.ID, ids)
			if err != nil {
				return memberError(err)
			}
			mc.Added = n
			mc.note(&mc.AddedIDs, ids)
			if err := mc.reinstate(ctx, tx, c.org, ids, n); err != nil {
				return err
			}
		}
		created = g
		ms, err := groupMembers(ctx, tx, c, g.ID, c.proj.Needs("members") && len(members) > 0)
		if err != nil {
			return err
		}
		doc = renderGroup(g, cloneDoc(ndoc), c.base, ms, displays)
		return audit.Log(ctx, tx, c.org, "scim.group.create", "group", g.ID, nil, groupAudit(doc, mc))
	})
	return written{id: created.ID, version: created.Version, body: c.proj.Project(doc)}, err
}

// replaceGroup replaces group id, members included, with a normalised body (PUT).
func (s *Server) replaceGroup(ctx context.Context, c scimCtx, o writeOpts, id string, ndoc map[string]any) (written, error) {
	// PUT replaces the whole resource (RFC 7644 §3.5.1): a body without members empties
	// the group.
	members := scim.TakeMembers(ndoc)
	ix := scim.IndexedFields(ndoc)
	var doc map[string]any
	var version int64
	err := s.scimUpdate(ctx, o, func(tx store.Tx) error {
		g, err := tx.Group(ctx, c.org, id)
		if err != nil {
			return asNotFound(err, scimGroups, id)
		}
		if _, err := ifMatch(o.ifMatch, g.Version); err != nil {
			return err
		}
		old, _, err := loadGroupDoc(g)
		if err != nil {
			return err
		}
		before := auditDoc(renderGroup(g, old, c.base, nil, nil))
		displays, err := updateDisplays(ctx, tx, c.org, nil, members)
		if err != nil {
			return err
		}
		raw, err := groupStoredDoc(ndoc, displays)
		if err != nil {
			return err
		}
		ng := g
		ng.DisplayName, ng.ExternalID, ng.Doc = ix.DisplayName, ix.ExternalID, raw
		updated, err := tx.UpdateGroup(ctx, ng, g.Version)
		if err != nil {
			return groupTaken(err, ix.DisplayName)
		}
		mc := &memberChanges{}
		ids, err := knownMemberIDs(ctx, tx, c.org, memberIDs(members), mc)
		if err != nil {
			return err
		}
		added, removed, err := tx.ReplaceMembers(ctx, c.org, id, ids)
		if err != nil {
			return memberError(err)
		}
		mc.Added, mc.Removed = added, removed
		mc.note(&mc.AddedIDs, ids)
		if err := mc.reinstate(ctx, tx, c.org, ids, added); err != nil {
			return err
		}
		version = updated.Version
		ms, err := groupMembers(ctx, tx, c, id, c.proj.Needs("members") && len(ids) > 0)
		if err != nil {
			return err
		}
		doc = renderGroup(updated, cloneDoc(ndoc), c.base, ms, displays)
		return audit.Log(ctx, tx, c.org, "scim.group.replace", "group", id, before, groupAudit(doc, mc))
	})
	return written{id: id, version: version, body: c.proj.Project(doc)}, err
}

// patchWantsMembers reports whether a PATCH answer should list members: only when the
// request's attributes parameter names them. A membership PATCH of a 100,000-member group
// must not read the member list to answer, and IdPs do not read it from a PATCH answer.
func patchWantsMembers(r *http.Request) bool {
	attrs, _ := qget(r.URL.Query(), "attributes")
	for _, a := range strings.Split(attrs, ",") {
		a = strings.ToLower(strings.TrimSpace(a))
		a = strings.TrimPrefix(a, strings.ToLower(scim.URNGroup)+":")
		if a == "members" || strings.HasPrefix(a, "members.") || strings.HasPrefix(a, "members[") {
			return true
		}
	}
	return false
}

// patchGroup applies a PatchOp to group id.
func (s *Server) patchGroup(ctx context.Context, c scimCtx, o writeOpts, id string, req *scim.PatchRequest) (written, error) {
	var doc map[string]any
	var version int64
	err := s.scimUpdate(ctx, o, func(tx store.Tx) error {
		g, err := tx.Group(ctx, c.org, id)
		if err != nil {
			return asNotFound(err, scimGroups, id)
		}
		expect, err := ifMatch(o.ifMatch, g.Version)
		if err != nil {
			return err
		}
		old, displays, err := loadGroupDoc(g)
		if err != nil {
			return err
		}
		cur := renderGroup(g, old, c.base, nil, nil)
		res, err := scim.ApplyPatch(scim.GroupResourceType, cur, req.Operations)
		if err != nil {
			return err
		}
		mc := &memberChanges{}
		newDisplays := displays
		for _, op := range res.Members {
			ids := op.IDs()
			switch op.Kind {
			case scim.MemberAdd:
				ids, err := knownMemberIDs(ctx, tx, c.org, ids, mc)
				if err != nil {
					return err
				}
				n, err := tx.AddMembers(ctx, c.org, id, ids)
				if err != nil {
					return memberError(err)
				}
				mc.Added += n
				mc.note(&mc.AddedIDs, ids)
				if err := mc.reinstate(ctx, tx, c.org, ids, n); err != nil {
					return err
				}
				if newDisplays, err = updateDisplays(ctx, tx, c.org, newDisplays, op.Members); err != nil {
					return err
				}
			case scim.MemberRemove:
				n, err := tx.RemoveMembers(ctx, c.org, id, ids)
				if err != nil {
					return memberError(err)
				}
				mc.Removed += n
				mc.note(&mc.RemovedIDs, ids)
				newDisplays = withoutDisplays(newDisplays, ids)
			case scim.MemberReplace:
				ids, err := knownMemberIDs(ctx, tx, c.org, ids, mc)
				if err != nil {
					return err
				}
				a, rm, err := tx.ReplaceMembers(ctx, c.org, id, ids)
				if err != nil {
					return memberError(err)
				}
				mc.Added += a
				mc.Removed += rm
				mc.note(&mc.AddedIDs, ids)
				if err := mc.reinstate(ctx, tx, c.org, ids, a); err != nil {
					return err
				}
				if newDisplays, err = updateDisplays(ctx, tx, c.org, nil, op.Members); err != nil {
					return err
				}
			case scim.MemberRemoveAll:
				n, err := tx.RemoveAllMembers(ctx, c.org, id)
				if err != nil {
					return err
				}
				mc.Removed += n
				mc.RemovedAll = true
				newDisplays = nil
			}
		}
		docChanged := res.Changed || !maps.Equal(displays, newDisplays)
		var updated store.Group
		switch {
		case docChanged:
			ix := scim.IndexedFields(res.Doc)
			raw, err := groupStoredDoc(res.Doc, newDisplays)
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
			if updated, err = tx.TouchGroup(ctx, c.org, id); err != nil {
				return err
			}
		default:
			// Nothing changed: no write, same version, no audit event.
			version = g.Version
			doc = renderGroup(g, res.Doc, c.base, nil, nil)
			return s.patchGroupMembers(ctx, tx, c, o, g.ID, doc, displays)
		}
		version = updated.Version
		doc = renderGroup(updated, res.Doc, c.base, nil, nil)
		if err := audit.Log(ctx, tx, c.org, "scim.group.patch", "group", id, auditDoc(cur), groupAudit(doc, mc)); err != nil {
			return err
		}
		return s.patchGroupMembers(ctx, tx, c, o, id, doc, newDisplays)
	})
	return written{id: id, version: version, body: c.proj.Project(doc)}, err
}

// patchGroupMembers adds the member list to a PATCH answer when asked for explicitly.
func (s *Server) patchGroupMembers(ctx context.Context, tx store.Tx, c scimCtx, o writeOpts, id string, doc map[string]any, displays map[string]string) error {
	if s.cfg.PatchNoContent || !o.listMembers {
		return nil
	}
	mm, err := tx.MembersOf(ctx, c.org, []string{id})
	if err != nil {
		return err
	}
	if ms := nonEmpty(mm[id]); ms != nil {
		doc["members"] = memberList(c.base, ms, displays)
	}
	return nil
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

// deleteGroup deletes (soft-deletes) group id.
func (s *Server) deleteGroup(ctx context.Context, c scimCtx, o writeOpts, id string) error {
	return s.scimUpdate(ctx, o, func(tx store.Tx) error {
		g, err := tx.Group(ctx, c.org, id)
		if err != nil {
			return asNotFound(err, scimGroups, id)
		}
		if _, err := ifMatch(o.ifMatch, g.Version); err != nil {
			return err
		}
		old, _, err := loadGroupDoc(g)
		if err != nil {
			return err
		}
		before := auditDoc(renderGroup(g, old, c.base, nil, nil))
		if err := tx.DeleteGroup(ctx, c.org, id, g.Version); err != nil {
			return asNotFound(err, scimGroups, id)
		}
		return audit.Log(ctx, tx, c.org, "scim.group.delete", "group", id, before, nil)
	})
}
