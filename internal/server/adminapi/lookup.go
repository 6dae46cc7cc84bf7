package adminapi

import (
	"fmt"
	"net/http"
	"net/url"
	"strconv"

	"github.com/rolecall/rolecall/internal/api"
	"github.com/rolecall/rolecall/internal/auth"
	"github.com/rolecall/rolecall/internal/server/respond"
	"github.com/rolecall/rolecall/internal/store"
)

// This file holds what the admin API handlers share: reading paging parameters, the
// client errors of reading a request, and answering a service call.

func adminBadRequest(format string, args ...any) *api.Error {
	return &api.Error{Status: http.StatusBadRequest, Code: api.CodeBadRequest, Message: fmt.Sprintf(format, args...)}
}

func notFoundf(format string, args ...any) error {
	return &api.Error{Status: http.StatusNotFound, Code: api.CodeNotFound, Message: fmt.Sprintf(format, args...)}
}

// adminPage reads offset and limit (default api.DefaultLimit, at most api.MaxLimit).
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

// orgOf is the caller's org.
func orgOf(r *http.Request) string { return auth.PrincipalFrom(r.Context()).OrgID }

// adminError answers err in the admin API's error format (respond.AdminError).
func (s *API) adminError(w http.ResponseWriter, r *http.Request, err error) {
	respond.AdminError(w, r, s.log, err)
}

// answer answers a service call's result with status, or its error.
func (s *API) answer(w http.ResponseWriter, r *http.Request, status int, v any, err error) {
	if err != nil {
		s.adminError(w, r, err)
		return
	}
	respond.JSON(w, status, "application/json", v)
}

// created answers a created object (201) with its URL in Location, or the call's error.
func (s *API) created(w http.ResponseWriter, r *http.Request, location string, v any, err error) {
	if err != nil {
		s.adminError(w, r, err)
		return
	}
	w.Header().Set("Location", location)
	respond.JSON(w, http.StatusCreated, "application/json", v)
}

// list answers a list with its total, or the call's error.
func list[T any](s *API, w http.ResponseWriter, r *http.Request, items []T, total int, err error) {
	s.answer(w, r, http.StatusOK, api.List[T]{Items: nonNil(items), Total: total}, err)
}

// nonNil makes empty lists encode as [] rather than null.
func nonNil[T any](xs []T) []T {
	if xs == nil {
		return []T{}
	}
	return xs
}
