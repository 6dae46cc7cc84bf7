package scimapi

import (
	"context"
	"encoding/json"

	"github.com/rolecall/rolecall/internal/scim"
	"github.com/rolecall/rolecall/internal/service"
	"github.com/rolecall/rolecall/internal/store"
)

// User handlers (RFC 7644 §3.3–3.6): the writes are the service's provisioning calls
// (one transaction with its audit event each); this file renders what they wrote.

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
	d, err := service.DecodeDoc(u.Doc)
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
	d, err := service.DecodeDoc(u.Doc)
	if err != nil {
		return nil, err
	}
	return service.AuditDoc(renderUser(u, d, base, nil)), nil
}

// userRender is how the provisioning calls of c show a user.
func userRender(c scimCtx) service.UserRender {
	return service.UserRender{
		Answer: func(u store.User, groups []store.Group) (any, error) { return userBodyWith(c, u, groups) },
		Groups: c.proj.Needs("groups"),
		Audit:  func(u store.User) (any, error) { return userAudit(u, c.base) },
		Doc: func(u store.User) (map[string]any, error) {
			d, err := service.DecodeDoc(u.Doc)
			if err != nil {
				return nil, err
			}
			return renderUser(u, d, c.base, nil), nil
		},
	}
}

// readUser reads user id for GET: its version, and how to render it as c.proj projects it.
func (s *API) readUser(ctx context.Context, tx store.Tx, c scimCtx, id string) (int64, func() (any, error), error) {
	u, err := tx.User(ctx, c.org, id)
	if err != nil {
		return 0, nil, asNotFound(err, scimUsers, id)
	}
	return u.Version, func() (any, error) { return userBody(ctx, tx, c, u) }, nil
}

// createUser creates a user from a normalised body.
func (s *API) createUser(ctx context.Context, c scimCtx, ndoc map[string]any) (service.Written, error) {
	nu, err := service.UserFromDoc(c.org, ndoc)
	if err != nil {
		return service.Written{}, err
	}
	return s.svc.CreateUser(ctx, nu, userRender(c))
}

// replaceUser replaces user id with a normalised body (PUT).
func (s *API) replaceUser(ctx context.Context, c scimCtx, o writeOpts, id string, ndoc map[string]any) (service.Written, error) {
	_, explicitActive := ndoc["active"]
	nu, err := service.UserFromDoc(c.org, ndoc)
	if err != nil {
		return service.Written{}, err
	}
	return s.svc.ReplaceUser(ctx, c.org, id, o.ifMatch, nu, explicitActive, userRender(c))
}

// patchUser applies a PatchOp to user id.
func (s *API) patchUser(ctx context.Context, c scimCtx, o writeOpts, id string, req *scim.PatchRequest) (service.Written, error) {
	return s.svc.PatchUser(ctx, c.org, id, o.ifMatch, req.Operations, userRender(c))
}

// deleteUser deletes user id.
func (s *API) deleteUser(ctx context.Context, c scimCtx, o writeOpts, id string) error {
	return s.svc.DeleteUser(ctx, c.org, id, o.ifMatch, func(u store.User) (any, error) { return userAudit(u, c.base) })
}
