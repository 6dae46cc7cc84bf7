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

// userDoc renders u, with its groups when the answer will show them.
func userDoc(ctx context.Context, tx store.Tx, c scimCtx, u store.User, doc map[string]any) (map[string]any, error) {
	var groups []store.Group
	if c.proj.Needs("groups") {
		var err error
		if groups, err = tx.GroupsOfMember(ctx, c.org, u.ID); err != nil {
			return nil, err
		}
	}
	return renderUser(u, doc, c.base, groups), nil
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
	return u.Version, func() (any, error) {
		var groups []store.Group
		if c.proj.Needs("groups") {
			if groups, err = tx.GroupsOfMember(ctx, c.org, u.ID); err != nil {
				return nil, err
			}
		}
		if b, ok, err := userJSON(u, c.base, groups, c.proj); err != nil || ok {
			return json.RawMessage(b), err
		}
		d, err := decodeDoc(u.Doc)
		if err != nil {
			return nil, err
		}
		return c.proj.Project(renderUser(u, d, c.base, groups)), nil
	}, nil
}

// createUser creates a user from a normalised body in one transaction with its audit event.
func (s *Server) createUser(ctx context.Context, c scimCtx, ndoc map[string]any) (written, error) {
	nu, err := userFromDoc(c.org, ndoc)
	if err != nil {
		return written{}, err
	}
	var doc map[string]any
	var created store.User
	err = s.store.Update(ctx, func(tx store.Tx) error {
		u, err := tx.CreateUser(ctx, nu)
		if err != nil {
			return userTaken(err, nu.UserName)
		}
		u.Emails, u.Doc = nu.Emails, nu.Doc
		created = u
		doc = renderUser(u, cloneDoc(ndoc), c.base, nil)
		return audit.Log(ctx, tx, c.org, "scim.user.create", "user", u.ID, nil, auditDoc(doc))
	})
	return written{id: created.ID, version: created.Version, doc: doc}, err
}

// currentUser reads user id for a write, checked against If-Match, and renders it as stored
// (without groups): the base a PATCH applies to and the "before" of the audit event.
func currentUser(ctx context.Context, tx store.Tx, c scimCtx, o writeOpts, id string) (store.User, map[string]any, error) {
	u, err := tx.User(ctx, c.org, id)
	if err != nil {
		return store.User{}, nil, asNotFound(err, scimUsers, id)
	}
	if _, err := ifMatch(o.ifMatch, u.Version); err != nil {
		return store.User{}, nil, err
	}
	old, err := decodeDoc(u.Doc)
	if err != nil {
		return store.User{}, nil, err
	}
	return u, renderUser(u, old, c.base, nil), nil
}

// replaceUser replaces user id with a normalised body (PUT).
func (s *Server) replaceUser(ctx context.Context, c scimCtx, o writeOpts, id string, ndoc map[string]any) (written, error) {
	_, explicitActive := ndoc["active"]
	var doc map[string]any
	var version int64
	err := s.scimUpdate(ctx, o, func(tx store.Tx) error {
		u, cur, err := currentUser(ctx, tx, c, o, id)
		if err != nil {
			return err
		}
		before := auditDoc(cur)
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
		updated, err := tx.UpdateUser(ctx, nu, u.Version)
		if err != nil {
			return userTaken(err, nu.UserName)
		}
		updated.Emails = nu.Emails
		version = updated.Version
		if doc, err = userDoc(ctx, tx, c, updated, cloneDoc(ndoc)); err != nil {
			return err
		}
		return audit.Log(ctx, tx, c.org, "scim.user.replace", "user", u.ID, before, auditDoc(doc))
	})
	return written{id: id, version: version, doc: doc}, err
}

// patchUser applies a PatchOp to user id.
func (s *Server) patchUser(ctx context.Context, c scimCtx, o writeOpts, id string, req *scim.PatchRequest) (written, error) {
	var doc map[string]any
	var version int64
	err := s.scimUpdate(ctx, o, func(tx store.Tx) error {
		u, cur, err := currentUser(ctx, tx, c, o, id)
		if err != nil {
			return err
		}
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
			doc, err = userDoc(ctx, tx, c, u, cur)
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
		updated, err := tx.UpdateUser(ctx, nu, u.Version)
		if err != nil {
			return userTaken(err, nu.UserName)
		}
		updated.Emails = nu.Emails
		version = updated.Version
		if doc, err = userDoc(ctx, tx, c, updated, res.Doc); err != nil {
			return err
		}
		return audit.Log(ctx, tx, c.org, "scim.user.patch", "user", u.ID, auditDoc(cur), auditDoc(doc))
	})
	return written{id: id, version: version, doc: doc}, err
}

// deleteUser deletes user id.
func (s *Server) deleteUser(ctx context.Context, c scimCtx, o writeOpts, id string) error {
	return s.scimUpdate(ctx, o, func(tx store.Tx) error {
		u, cur, err := currentUser(ctx, tx, c, o, id)
		if err != nil {
			return err
		}
		before := auditDoc(cur)
		if err := tx.DeleteUser(ctx, c.org, id, u.Version); err != nil {
			return asNotFound(err, scimUsers, id)
		}
		return audit.Log(ctx, tx, c.org, "scim.user.delete", "user", id, before, nil)
	})
}
