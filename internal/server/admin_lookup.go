package server

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/rolecall/rolecall/internal/api"
	"github.com/rolecall/rolecall/internal/store"
)

// This file resolves the ids-or-names of admin API paths, queries and bodies to stored
// objects, always inside the caller's org, and builds the admin API's client errors.

func adminBadRequest(format string, args ...any) *api.Error {
	return &api.Error{Status: http.StatusBadRequest, Code: api.CodeBadRequest, Message: fmt.Sprintf(format, args...)}
}

func adminConflict(format string, args ...any) *api.Error {
	return &api.Error{Status: http.StatusConflict, Code: api.CodeConflict, Message: fmt.Sprintf(format, args...)}
}

// listHint tells how to list the objects of a kind, for not-found messages.
var listHint = map[string]string{
	api.KindCloud:               "rolecall cloud list",
	api.KindProject:             "rolecall project list",
	api.PrincipalUser:           "rolecall user list",
	api.PrincipalGroup:          "rolecall group list",
	api.PrincipalServiceAccount: "rolecall service-account list",
}

func noSuch(what, ref string) error {
	msg := fmt.Sprintf("no %s %q in this organization", strings.ReplaceAll(what, "_", " "), ref)
	if h := listHint[what]; h != "" {
		msg += " (list them with `" + h + "`)"
	}
	return notFoundf("%s", msg)
}

// adminLookup resolves ids-or-names inside one org and one transaction.
type adminLookup struct {
	ctx   context.Context
	tx    store.Tx
	orgID string
}

// resource finds a cloud or project by id, then by name; for the organization, ref may be
// empty, the org resource's id or the org's name.
func (l adminLookup) resource(kind store.ResourceKind, ref string) (store.Resource, error) {
	if kind == store.KindOrganization {
		r, err := l.tx.OrgResource(l.ctx, l.orgID)
		if err != nil || ref == "" || ref == r.ID || strings.EqualFold(ref, r.Name) {
			return r, err
		}
		return store.Resource{}, notFoundf("%q is not this organization (%s); the organization needs no name", ref, r.Name)
	}
	if ref == "" {
		return store.Resource{}, adminBadRequest("name the %s (id or name)", kind)
	}
	r, err := l.tx.Resource(l.ctx, l.orgID, ref)
	if err == nil && r.Kind == kind {
		return r, nil
	}
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return r, err
	}
	r, err = l.tx.ResourceByName(l.ctx, l.orgID, kind, ref)
	if errors.Is(err, store.ErrNotFound) {
		return r, noSuch(string(kind), ref)
	}
	return r, err
}

// user finds a user by id, then by userName.
func (l adminLookup) user(ref string) (store.User, error) {
	u, err := l.tx.User(l.ctx, l.orgID, ref)
	if errors.Is(err, store.ErrNotFound) {
		u, err = l.tx.UserByUserName(l.ctx, l.orgID, ref)
	}
	if errors.Is(err, store.ErrNotFound) {
		return u, noSuch(api.PrincipalUser, ref)
	}
	return u, err
}

// group finds a (non-deleted) group by id, then by displayName.
func (l adminLookup) group(ref string) (store.Group, error) {
	g, err := l.tx.Group(l.ctx, l.orgID, ref)
	if errors.Is(err, store.ErrNotFound) {
		g, err = l.tx.GroupByName(l.ctx, l.orgID, ref)
	}
	if errors.Is(err, store.ErrNotFound) {
		return g, noSuch(api.PrincipalGroup, ref)
	}
	return g, err
}

// serviceAccount finds a service account by id, then by name.
func (l adminLookup) serviceAccount(ref string) (store.ServiceAccount, error) {
	sa, err := l.tx.ServiceAccount(l.ctx, l.orgID, ref)
	if errors.Is(err, store.ErrNotFound) {
		sa, err = l.tx.ServiceAccountByName(l.ctx, l.orgID, ref)
	}
	if errors.Is(err, store.ErrNotFound) {
		return sa, noSuch(api.PrincipalServiceAccount, ref)
	}
	return sa, err
}

// grantee is a resolved principal of a grant.
type grantee struct {
	Type store.PrincipalType
	ID   string
	Name string
	// Holds is false for an inactive or removed user and an inactive group.
	Holds bool
}

// grantee finds a user, group or service account by id or name.
func (l adminLookup) grantee(pt store.PrincipalType, ref string) (grantee, error) {
	if ref == "" {
		return grantee{}, adminBadRequest("name the %s (id or name)", strings.ReplaceAll(string(pt), "_", " "))
	}
	switch pt {
	case store.PrincipalUser:
		u, err := l.user(ref)
		return grantee{Type: pt, ID: u.ID, Name: u.UserName, Holds: u.Active && !u.Removed}, err
	case store.PrincipalGroup:
		g, err := l.group(ref)
		return grantee{Type: pt, ID: g.ID, Name: g.DisplayName, Holds: g.Active}, err
	case store.PrincipalServiceAccount:
		sa, err := l.serviceAccount(ref)
		return grantee{Type: pt, ID: sa.ID, Name: sa.Name, Holds: true}, err
	}
	return grantee{}, adminBadRequest("principal type %q: use user, group or service_account", pt)
}

// parseKind parses a wire resource kind.
func parseResourceKind(s string) (store.ResourceKind, error) {
	switch k := store.ResourceKind(s); k {
	case store.KindOrganization, store.KindCloud, store.KindProject:
		return k, nil
	}
	if s == "" {
		return "", adminBadRequest("resourceKind is required: organization, cloud or project")
	}
	return "", adminBadRequest("resource kind %q: use organization, cloud or project", s)
}

// parsePrincipalType parses a wire principal type.
func parsePrincipalType(s string) (store.PrincipalType, error) {
	switch t := store.PrincipalType(s); t {
	case store.PrincipalUser, store.PrincipalGroup, store.PrincipalServiceAccount:
		return t, nil
	}
	if s == "" {
		return "", adminBadRequest("principalType is required: user, group or service_account")
	}
	return "", adminBadRequest("principal type %q: use user, group or service_account", s)
}

// parsePage reads offset and limit (default api.DefaultLimit, at most api.MaxLimit).
func adminPage(q url.Values) (store.Page, error) {
	p := store.Page{Limit: api.DefaultLimit}
	if v := q.Get("offset"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			return p, adminBadRequest("offset %q: use a whole number ≥ 0", v)
		}
		p.Offset = n
	}
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > api.MaxLimit {
			return p, adminBadRequest("limit %q: use a whole number from 1 to %d", v, api.MaxLimit)
		}
		p.Limit = n
	}
	return p, nil
}

// adminView runs fn in a read transaction of the caller's org and answers its result (200)
// or its error.
func (s *Server) adminView(w http.ResponseWriter, r *http.Request, fn func(l adminLookup) (any, error)) {
	var out any
	err := s.store.View(r.Context(), func(tx store.Tx) (err error) {
		out, err = fn(adminLookup{ctx: r.Context(), tx: tx, orgID: principal(r.Context()).OrgID})
		return err
	})
	if err != nil {
		s.adminError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, "application/json", out)
}

// adminUpdate runs fn in a write transaction of the caller's org and answers its result with
// the status it chose, or its error (then nothing fn wrote is kept). fn makes the change and
// writes its one audit event.
func (s *Server) adminUpdate(w http.ResponseWriter, r *http.Request, fn func(l adminLookup) (int, any, error)) {
	var (
		out    any
		status int
	)
	err := s.store.Update(r.Context(), func(tx store.Tx) (err error) {
		status, out, err = fn(adminLookup{ctx: r.Context(), tx: tx, orgID: principal(r.Context()).OrgID})
		return err
	})
	if err != nil {
		s.adminError(w, r, err)
		return
	}
	if l, ok := out.(located); ok {
		w.Header().Set("Location", l.location)
		out = l.body
	}
	writeJSON(w, status, "application/json", out)
}

// located is an adminUpdate result with a Location header (a created object's URL).
type located struct {
	location string
	body     any
}
