package main

import (
	"net/http"
	"strings"
	"time"

	"github.com/elimity-com/scim"
	scimerrors "github.com/elimity-com/scim/errors"
	"github.com/elimity-com/scim/schema"
)

// userHandler implements scim.ResourceHandler for /Users.
type userHandler struct{ st *store }

var (
	userSchema       = schema.CoreUserSchema()
	enterpriseSchema = schema.ExtensionEnterpriseUser()
)

func (u *userRec) resource() scim.Resource {
	c, m := u.created, u.modified
	return scim.Resource{ID: u.id, ExternalID: u.ext, Attributes: u.attrs, Meta: scim.Meta{Created: &c, LastModified: &m}}
}

// userNameOf returns the userName of validated attributes.
func userNameOf(attrs scim.ResourceAttributes) string {
	s, _ := attrs["userName"].(string)
	return s
}

// Create stores a new user; userName is unique regardless of case.
func (h *userHandler) Create(_ *http.Request, attributes scim.ResourceAttributes) (scim.Resource, error) {
	attrs, ext := takeExternalID(attributes)
	name := userNameOf(attrs)
	if name == "" {
		return scim.Resource{}, badValue("userName is required")
	}
	key := strings.ToLower(name)
	now := time.Now().UTC()
	rec := &userRec{id: newID(), ext: ext, attrs: attrs, created: now, modified: now}
	st := h.st
	st.mu.Lock()
	defer st.mu.Unlock()
	if _, dup := st.userByName[key]; dup {
		return scim.Resource{}, scimerrors.ScimErrorUniqueness
	}
	st.users[rec.id] = rec
	st.userByName[key] = rec.id
	st.userOrder = append(st.userOrder, rec.id)
	return rec.resource(), nil
}

// Get returns one user.
func (h *userHandler) Get(_ *http.Request, id string) (scim.Resource, error) {
	h.st.mu.RLock()
	defer h.st.mu.RUnlock()
	rec, ok := h.st.users[id]
	if !ok {
		return scim.Resource{}, notFound(id)
	}
	return rec.resource(), nil
}

// GetAll answers list and filter queries. userName eq and id eq are index lookups; any other
// filter is evaluated by the library's Validator.PassesFilter over every user.
func (h *userHandler) GetAll(_ *http.Request, params scim.ListRequestParams) (scim.Page, error) {
	st := h.st
	st.mu.RLock()
	defer st.mu.RUnlock()
	var matches []scim.Resource
	switch {
	case params.FilterValidator == nil:
		// Only the page is built: a walk over a million users must not copy them all per page.
		start := min(max(params.StartIndex-1, 0), len(st.userOrder))
		end := min(start+max(params.Count, 0), len(st.userOrder))
		res := make([]scim.Resource, 0, end-start)
		for _, id := range st.userOrder[start:end] {
			res = append(res, st.users[id].resource())
		}
		return scim.Page{TotalResults: len(st.userOrder), Resources: res}, nil
	default:
		expr := params.FilterValidator.GetFilter()
		if v, ok := eqValue(expr, "userName"); ok {
			if id, ok := st.userByName[strings.ToLower(v)]; ok {
				matches = append(matches, st.users[id].resource())
			}
			break
		}
		if v, ok := eqValue(expr, "id"); ok {
			if rec, ok := st.users[v]; ok {
				matches = append(matches, rec.resource())
			}
			break
		}
		for _, id := range st.userOrder {
			rec := st.users[id]
			if params.FilterValidator.PassesFilter(filterView(rec.attrs, rec.id, rec.ext)) == nil {
				matches = append(matches, rec.resource())
			}
		}
	}
	return page(matches, params.StartIndex, params.Count), nil
}

// Replace swaps all attributes of a user (PUT).
func (h *userHandler) Replace(_ *http.Request, id string, attributes scim.ResourceAttributes) (scim.Resource, error) {
	attrs, ext := takeExternalID(attributes)
	st := h.st
	st.mu.Lock()
	defer st.mu.Unlock()
	rec, ok := st.users[id]
	if !ok {
		return scim.Resource{}, notFound(id)
	}
	if err := st.renameUser(rec, userNameOf(attrs)); err != nil {
		return scim.Resource{}, err
	}
	st.users[id] = &userRec{id: id, ext: ext, attrs: attrs, created: rec.created, modified: time.Now().UTC()}
	return st.users[id].resource(), nil
}

// renameUser moves the userName index entry when a write changes userName.
func (st *store) renameUser(rec *userRec, name string) error {
	if name == "" {
		return badValue("userName is required")
	}
	oldKey, newKey := strings.ToLower(userNameOf(rec.attrs)), strings.ToLower(name)
	if oldKey == newKey {
		return nil
	}
	if _, dup := st.userByName[newKey]; dup {
		return scimerrors.ScimErrorUniqueness
	}
	delete(st.userByName, oldKey)
	st.userByName[newKey] = rec.id
	return nil
}

// Delete removes a user and its memberships.
func (h *userHandler) Delete(_ *http.Request, id string) error {
	st := h.st
	st.mu.Lock()
	defer st.mu.Unlock()
	rec, ok := st.users[id]
	if !ok {
		return notFound(id)
	}
	delete(st.users, id)
	delete(st.userByName, strings.ToLower(userNameOf(rec.attrs)))
	st.userOrder = removeID(st.userOrder, id)
	for _, g := range st.groups {
		delete(g.members, id)
	}
	return nil
}

// Patch applies the operations to a copy of the user's attributes and stores the copy only
// when all of them applied, so a failing operation leaves the user unchanged.
func (h *userHandler) Patch(_ *http.Request, id string, operations []scim.PatchOperation) (scim.Resource, error) {
	st := h.st
	st.mu.Lock()
	defer st.mu.Unlock()
	rec, ok := st.users[id]
	if !ok {
		return scim.Resource{}, notFound(id)
	}
	attrs := cloneAttrs(rec.attrs)
	ext := rec.ext
	for _, op := range operations {
		if err := applyUserOp(attrs, &ext, op); err != nil {
			return scim.Resource{}, err
		}
	}
	if err := st.renameUser(rec, userNameOf(attrs)); err != nil {
		return scim.Resource{}, err
	}
	nrec := &userRec{id: id, ext: ext, attrs: attrs, created: rec.created, modified: time.Now().UTC()}
	st.users[id] = nrec
	return nrec.resource(), nil
}
