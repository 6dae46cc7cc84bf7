package server

import (
	"context"
	"encoding/json"
	"errors"

	"github.com/rolecall/rolecall/internal/audit"
	"github.com/rolecall/rolecall/internal/scim"
	"github.com/rolecall/rolecall/internal/store"
)

// User handlers (RFC 7644 §3.3–3.6). Every write is one transaction holding the change and
// its one audit event; nothing is written when any step fails.

// userBody is the answer showing u (its Doc as stored) as c.proj projects it, with its
// groups when the answer shows them.
func userBody(ctx context.Context, tx store.Tx, c scimCtx, u store.User) (any, error) {
	var groups []store.Group
	if c.proj.Needs("groups") {
		var err error
		if groups, err = tx.GroupsOfMember(ctx, c.org, u.ID); err != nil {
			return nil, err
		}
	}
	return userBodyWith(c, u, groups)
}

// userBodyWith is userBody for a user whose groups are known: JSON written from the stored
// document when it is canonical, else a projected map.
func userBodyWith(c scimCtx, u store.User, groups []store.Group) (any, error) {
	if b, ok, err := userJSON(u, c.base, groups, c.proj); err != nil || ok {
		return json.RawMessage(b), err
	}
	d, err := decodeDoc(u.Doc)
	if err != nil {
		return nil, err
	}
	return c.proj.Project(renderUser(u, d, c.base, groups)), nil
}

// userAudit is u (its Doc as stored) as its audit events record it: rendered, unprojected,
// without groups.
func userAudit(u store.User, base string) (any, error) {
	if ms, ok := storedMembers(u.Doc); ok {
		set, del := storedOverlay(ms, u, base, nil)
		b, err := scim.MergeMembers(ms, set, del)
		return json.RawMessage(b), err
	}
	d, err := decodeDoc(u.Doc)
	if err != nil {
		return nil, err
	}
	return auditDoc(renderUser(u, d, base, nil)), nil
}

func userTaken(err error, userName string) error {
	if errors.Is(err, store.ErrConflict) {
		return scim.ErrUniqueness("userName %q is already taken by another user of this organization (userNames are unique, case-insensitively); update that user instead", userName)
	}
	return err
}

// readUser reads user id for GET: its version, and how to render it as c.proj projects it.
func (s *Server) readUser(ctx context.Context, tx store.Tx, c scimCtx, id string) (int64, func() (any, error), error) {
	u, err := tx.User(ctx, c.org, id)
	if err != nil {
		return 0, nil, asNotFound(err, scimUsers, id)
	}
	return u.Version, func() (any, error) { return userBody(ctx, tx, c, u) }, nil
}

// createUser creates a user from a normalised body in one transaction with its audit event.
// The answer and the audit event show the user as stored.
func (s *Server) createUser(ctx context.Context, c scimCtx, ndoc map[string]any) (written, error) {
	nu, err := userFromDoc(c.org, ndoc)
	if err != nil {
		return written{}, err
	}
	var body any
	var created store.User
	err = s.store.Update(ctx, func(tx store.Tx) error {
		u, err := tx.CreateUser(ctx, nu)
		if err != nil {
			return userTaken(err, nu.UserName)
		}
		u.Emails, u.Doc = nu.Emails, nu.Doc
		created = u
		after, err := userAudit(u, c.base)
		if err != nil {
			return err
		}
		if body, err = userBodyWith(c, u, nil); err != nil { // a new user is in no group
			return err
		}
		return audit.Log(ctx, tx, c.org, "scim.user.create", "user", u.ID, nil, after)
	})
	return written{id: created.ID, version: created.Version, body: body}, err
}

// currentUser reads user id for a write, checked against If-Match.
func currentUser(ctx context.Context, tx store.Tx, c scimCtx, o writeOpts, id string) (store.User, error) {
	u, err := tx.User(ctx, c.org, id)
	if err != nil {
		return store.User{}, asNotFound(err, scimUsers, id)
	}
	if _, err := ifMatch(o.ifMatch, u.Version); err != nil {
		return store.User{}, err
	}
	return u, nil
}

// updateUser writes nu over u (read in this transaction at u.Version) and records the
// change; it returns the new version and the answer.
func (s *Server) updateUser(ctx context.Context, tx store.Tx, c scimCtx, action string, u, nu store.User) (int64, any, error) {
	before, err := userAudit(u, c.base)
	if err != nil {
		return 0, nil, err
	}
	updated, err := tx.UpdateUser(ctx, nu, u.Version)
	if err != nil {
		return 0, nil, userTaken(err, nu.UserName)
	}
	updated.Emails, updated.Doc = nu.Emails, nu.Doc
	after, err := userAudit(updated, c.base)
	if err != nil {
		return 0, nil, err
	}
	body, err := userBody(ctx, tx, c, updated)
	if err != nil {
		return 0, nil, err
	}
	return updated.Version, body, audit.Log(ctx, tx, c.org, action, "user", u.ID, before, after)
}

// replaceUser replaces user id with a normalised body (PUT).
func (s *Server) replaceUser(ctx context.Context, c scimCtx, o writeOpts, id string, ndoc map[string]any) (written, error) {
	_, explicitActive := ndoc["active"]
	var body any
	var version int64
	err := s.scimUpdate(ctx, o, func(tx store.Tx) error {
		u, err := currentUser(ctx, tx, c, o, id)
		if err != nil {
			return err
		}
		nu, err := userFromDoc(c.org, ndoc)
		if err != nil {
			return err
		}
		nu.ID = u.ID
		// A user removed by enforce-groups comes back only when the IdP says active=true;
		// a PUT that leaves active out keeps it removed (and inactive).
		nu.Removed = u.Removed
		if u.Removed && !explicitActive {
			nu.Active = false
		}
		version, body, err = s.updateUser(ctx, tx, c, "scim.user.replace", u, nu)
		return err
	})
	return written{id: id, version: version, body: body}, err
}

// patchUser applies a PatchOp to user id.
func (s *Server) patchUser(ctx context.Context, c scimCtx, o writeOpts, id string, req *scim.PatchRequest) (written, error) {
	var body any
	var version int64
	err := s.scimUpdate(ctx, o, func(tx store.Tx) error {
		u, err := currentUser(ctx, tx, c, o, id)
		if err != nil {
			return err
		}
		// The PATCH applies to the user as rendered (its paths may name id or meta).
		cur, err := decodeDoc(u.Doc)
		if err != nil {
			return err
		}
		cur = renderUser(u, cur, c.base, nil)
		res, err := scim.ApplyPatch(scim.UserResourceType, cur, req.Operations)
		if err != nil {
			return err
		}
		if len(res.Members) > 0 {
			return scim.ErrInvalidPath("users have no members")
		}
		if !res.Changed {
			// Nothing to write: the version stays, and no audit event records a non-change.
			version = u.Version
			body, err = userBody(ctx, tx, c, u)
			return err
		}
		nu, err := userFromDoc(c.org, res.Doc)
		if err != nil {
			return err
		}
		nu.ID = u.ID
		// active=true clears Removed (the store keeps Removed only while inactive): that is
		// how the IdP brings back a user that enforce-groups removed. A PATCH that removes
		// active says nothing of the kind (active would default to true), so, as for a PUT
		// without active, the user stays removed.
		nu.Removed = u.Removed
		if _, explicitActive := res.Doc["active"].(bool); u.Removed && !explicitActive {
			nu.Active = false
		}
		version, body, err = s.updateUser(ctx, tx, c, "scim.user.patch", u, nu)
		return err
	})
	return written{id: id, version: version, body: body}, err
}

// deleteUser deletes user id.
func (s *Server) deleteUser(ctx context.Context, c scimCtx, o writeOpts, id string) error {
	return s.scimUpdate(ctx, o, func(tx store.Tx) error {
		u, err := currentUser(ctx, tx, c, o, id)
		if err != nil {
			return err
		}
		before, err := userAudit(u, c.base)
		if err != nil {
			return err
		}
		if err := tx.DeleteUser(ctx, c.org, id, u.Version); err != nil {
			return asNotFound(err, scimUsers, id)
		}
		return audit.Log(ctx, tx, c.org, "scim.user.delete", "user", id, before, nil)
	})
}
