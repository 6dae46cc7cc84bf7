package scimapi

import (
	"context"
	"encoding/json"
	"net/http"

	"github.com/rolecall/rolecall/internal/scim"
	"github.com/rolecall/rolecall/internal/service"
	"github.com/rolecall/rolecall/internal/store"
)

// Group handlers: the writes are the service's provisioning calls (one transaction with its
// audit event each, memberships changed through the store's set operations); this file
// renders what they wrote.

// readGroup reads group id for GET: its version, and how to render it as c.proj projects it.
func (s *API) readGroup(ctx context.Context, tx store.Tx, c scimCtx, id string) (int64, func() (any, error), error) {
	g, err := tx.Group(ctx, c.org, id)
	if err != nil {
		return 0, nil, asNotFound(err, scimGroups, id)
	}
	return g.Version, func() (any, error) {
		if b, ok, err := groupJSON(g, c.base, c.proj); err != nil || ok {
			return json.RawMessage(b), err
		}
		d, displays, err := service.LoadGroupDoc(g)
		if err != nil {
			return nil, err
		}
		var members []store.Member
		if c.proj.Needs("members") {
			if members, err = service.Members(ctx, tx, c.org, id); err != nil {
				return nil, err
			}
		}
		return c.proj.Project(renderGroup(g, d, c.base, members, displays)), nil
	}, nil
}

// groupRender is how the provisioning calls of c show a group; members says the answer
// lists the members.
func groupRender(c scimCtx, members bool) service.GroupRender {
	return service.GroupRender{
		Render: func(g store.Group, doc map[string]any, ms []store.Member, displays map[string]string) map[string]any {
			return renderGroup(g, doc, c.base, ms, displays)
		},
		Members: members,
	}
}

// projected is w with its body (a rendered group) projected as c asks.
func (c scimCtx) projected(w service.Written, err error) (service.Written, error) {
	if err != nil {
		return w, err
	}
	doc, _ := w.Body.(map[string]any)
	w.Body = c.proj.Project(doc)
	return w, nil
}

// createGroup creates a group, with its members, from a normalised body.
func (s *API) createGroup(ctx context.Context, c scimCtx, ndoc map[string]any) (service.Written, error) {
	members := scim.TakeMembers(ndoc)
	return c.projected(s.svc.CreateGroup(ctx, c.org, ndoc, members, groupRender(c, c.proj.Needs("members"))))
}

// replaceGroup replaces group id, members included, with a normalised body (PUT).
func (s *API) replaceGroup(ctx context.Context, c scimCtx, o writeOpts, id string, ndoc map[string]any) (service.Written, error) {
	members := scim.TakeMembers(ndoc)
	return c.projected(s.svc.ReplaceGroup(ctx, c.org, id, o.ifMatch, ndoc, members, groupRender(c, c.proj.Needs("members"))))
}

// groupPatchStatus is the status of a successful Group PATCH. RFC 7644 §3.5.2 allows 204
// No Content or 200 with the entire resource, and a group's entire resource holds its
// members: 100,000 of them for a large group, read and rendered for an answer no identity
// provider reads (Okta and Entra send no attributes parameter and accept 204). So a Group
// PATCH answers 204 unless the request names attributes or excludedAttributes, which asks
// for a 200 with the resource projected as asked (members only if they are among what it
// asks for).
func (s *API) groupPatchStatus(o writeOpts) int {
	if s.cfg.PatchNoContent || !o.wantsBody {
		return http.StatusNoContent
	}
	return http.StatusOK
}

// patchGroup applies a PatchOp to group id.
func (s *API) patchGroup(ctx context.Context, c scimCtx, o writeOpts, id string, req *scim.PatchRequest) (service.Written, error) {
	list := s.groupPatchStatus(o) == http.StatusOK && c.proj.Needs("members")
	return c.projected(s.svc.PatchGroup(ctx, c.org, id, o.ifMatch, req.Operations, groupRender(c, list)))
}

// deleteGroup deletes (soft-deletes) group id.
func (s *API) deleteGroup(ctx context.Context, c scimCtx, o writeOpts, id string) error {
	return s.svc.DeleteGroup(ctx, c.org, id, o.ifMatch, groupRender(c, false))
}
