package scimapi

import (
	"context"
	"net/http"

	"github.com/rolecall/rolecall/internal/auth"
	"github.com/rolecall/rolecall/internal/scim"
	"github.com/rolecall/rolecall/internal/service"
	"github.com/rolecall/rolecall/internal/store"
)

// This file holds what the single-resource handlers of Users and Groups share: request
// context, the write-retry loop, and the answer of a single resource.

// scimCtx is what every single-resource handler needs from the request.
type scimCtx struct {
	org  string
	base string
	proj *scim.Projection
}

// newSCIMCtx reads the caller's org and the attributes/excludedAttributes parameters, which
// apply to write answers too (RFC 7644 §3.9).
func (s *API) newSCIMCtx(r *http.Request, kind scimKind) (scimCtx, error) {
	q := r.URL.Query()
	attrs, _ := qget(q, "attributes")
	excl, _ := qget(q, "excludedAttributes")
	proj, err := scim.ParseProjection(kind.rt(), attrs, excl)
	return scimCtx{org: auth.PrincipalFrom(r.Context()).OrgID, base: s.baseURL(r), proj: proj}, err
}

// writeOpts is what a single-resource write takes from its request besides the context,
// the caller and the body, so that the handlers and /Bulk (which has no request per
// operation) run the same code.
type writeOpts struct {
	// ifMatch is the If-Match header, or a Bulk operation's version; "" for none.
	ifMatch string
	// wantsBody: the request named attributes or excludedAttributes, so a Group PATCH
	// answers 200 with the resource projected as asked instead of 204 (groupPatchStatus).
	wantsBody bool
}

// requestWriteOpts reads the writeOpts of a single-resource request.
func requestWriteOpts(r *http.Request) writeOpts {
	q := r.URL.Query()
	_, attrs := qget(q, "attributes")
	_, excluded := qget(q, "excludedAttributes")
	return writeOpts{ifMatch: r.Header.Get("If-Match"), wantsBody: attrs || excluded}
}

// writeResource answers one resource with its ETag (and Location for 201).
func writeResource(w http.ResponseWriter, status int, version int64, location string, doc any) {
	w.Header().Set("ETag", scim.ETag(version))
	if location != "" {
		w.Header().Set("Location", location)
	}
	writeSCIM(w, status, doc)
}

// writePatched answers a successful PATCH: 204 when the server is configured so
// (--scim-patch-no-content), else 200 with the resource.
func (s *API) writePatched(w http.ResponseWriter, version int64, doc any) {
	if s.cfg.PatchNoContent {
		w.Header().Set("ETag", scim.ETag(version))
		w.WriteHeader(http.StatusNoContent)
		return
	}
	writeResource(w, http.StatusOK, version, "", doc)
}

// scimGet answers GET of one resource, or 304 when If-None-Match still names its version
// (the document is then not rendered).
func (s *API) scimGet(w http.ResponseWriter, r *http.Request, kind scimKind, id string) {
	read := s.readUser
	if kind == scimGroups {
		read = s.readGroup
	}
	c, err := s.newSCIMCtx(r, kind)
	if err != nil {
		s.scimFail(w, r, err)
		return
	}
	ctx := r.Context()
	var doc any
	var version int64
	notModified := false
	err = s.svc.Read(ctx, func(tx store.Tx) error {
		v, render, err := read(ctx, tx, c, id)
		if err != nil {
			return err
		}
		version = v
		if inm := r.Header.Get("If-None-Match"); inm != "" && scim.ETagMatch(inm, v) {
			notModified = true
			return nil
		}
		doc, err = render()
		return err
	})
	if err != nil {
		s.scimFail(w, r, err)
		return
	}
	if notModified {
		w.Header().Set("ETag", scim.ETag(version))
		w.WriteHeader(http.StatusNotModified)
		return
	}
	writeResource(w, http.StatusOK, version, "", doc)
}

// writeOps are one resource type's write cores: each runs one transaction with its audit
// event and takes no request, so the single-resource handlers below and Bulk share them.
type writeOps struct {
	create  func(ctx context.Context, c scimCtx, ndoc map[string]any) (service.Written, error)
	replace func(ctx context.Context, c scimCtx, o writeOpts, id string, ndoc map[string]any) (service.Written, error)
	patch   func(ctx context.Context, c scimCtx, o writeOpts, id string, req *scim.PatchRequest) (service.Written, error)
	del     func(ctx context.Context, c scimCtx, o writeOpts, id string) error
}

func (s *API) writeOps(k scimKind) writeOps {
	if k == scimGroups {
		return writeOps{s.createGroup, s.replaceGroup, s.patchGroup, s.deleteGroup}
	}
	return writeOps{s.createUser, s.replaceUser, s.patchUser, s.deleteUser}
}

func (s *API) scimCreate(w http.ResponseWriter, r *http.Request, kind scimKind) {
	c, err := s.newSCIMCtx(r, kind)
	if err != nil {
		s.scimFail(w, r, err)
		return
	}
	ndoc, err := readResourceBody(r, kind.rt())
	if err != nil {
		s.scimFail(w, r, err)
		return
	}
	res, err := s.writeOps(kind).create(r.Context(), c, ndoc)
	if err != nil {
		s.scimFail(w, r, err)
		return
	}
	writeResource(w, http.StatusCreated, res.Version, scimLocation(c.base, kind.endpoint(), res.ID), res.Body)
}

func (s *API) scimReplace(w http.ResponseWriter, r *http.Request, kind scimKind, id string) {
	c, err := s.newSCIMCtx(r, kind)
	if err != nil {
		s.scimFail(w, r, err)
		return
	}
	ndoc, err := readResourceBody(r, kind.rt())
	if err != nil {
		s.scimFail(w, r, err)
		return
	}
	res, err := s.writeOps(kind).replace(r.Context(), c, requestWriteOpts(r), id, ndoc)
	if err != nil {
		s.scimFail(w, r, err)
		return
	}
	writeResource(w, http.StatusOK, res.Version, "", res.Body)
}

func (s *API) scimPatch(w http.ResponseWriter, r *http.Request, kind scimKind, id string) {
	c, err := s.newSCIMCtx(r, kind)
	if err != nil {
		s.scimFail(w, r, err)
		return
	}
	req, err := readPatchBody(r)
	if err != nil {
		s.scimFail(w, r, err)
		return
	}
	o := requestWriteOpts(r)
	res, err := s.writeOps(kind).patch(r.Context(), c, o, id, req)
	if err != nil {
		s.scimFail(w, r, err)
		return
	}
	if kind == scimGroups && s.groupPatchStatus(o) == http.StatusNoContent {
		w.Header().Set("ETag", scim.ETag(res.Version))
		w.WriteHeader(http.StatusNoContent)
		return
	}
	s.writePatched(w, res.Version, res.Body)
}

func (s *API) scimDelete(w http.ResponseWriter, r *http.Request, kind scimKind, id string) {
	c, err := s.newSCIMCtx(r, kind)
	if err != nil {
		s.scimFail(w, r, err)
		return
	}
	if err := s.writeOps(kind).del(r.Context(), c, requestWriteOpts(r), id); err != nil {
		s.scimFail(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// readResourceBody reads and normalises a POST or PUT body for rt.
func readResourceBody(r *http.Request, rt *scim.ResourceType) (map[string]any, error) {
	b, err := readSCIMBody(r)
	if err != nil {
		return nil, err
	}
	m, err := decodeSCIMObject(b)
	if err != nil {
		return nil, err
	}
	return scim.Normalize(rt, m)
}

// readPatchBody reads a PatchOp body.
func readPatchBody(r *http.Request) (*scim.PatchRequest, error) {
	b, err := readSCIMBody(r)
	if err != nil {
		return nil, err
	}
	return scim.DecodePatch(b)
}
