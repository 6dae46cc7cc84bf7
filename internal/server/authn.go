package server

import (
	"errors"
	"net/http"

	"github.com/rolecall/rolecall/internal/api"
	"github.com/rolecall/rolecall/internal/audit"
	"github.com/rolecall/rolecall/internal/auth"
	"github.com/rolecall/rolecall/internal/server/authzenapi"
	"github.com/rolecall/rolecall/internal/server/respond"
	"github.com/rolecall/rolecall/internal/server/scimapi"
	"github.com/rolecall/rolecall/internal/store"
)

// queryTokenParams are query parameters that clients sometimes use for credentials. They are
// refused outright: URLs end up in proxy and access logs.
var queryTokenParams = []string{"access_token", "token", "bearer", "api_key"}

// authenticate checks the request's bearer token for scope. On failure it answers (SCIM or
// admin error format, by fail) and returns false.
func (s *Server) authenticate(w http.ResponseWriter, r *http.Request, scope store.Scope, fail func(w http.ResponseWriter, status int, msg string)) (*http.Request, bool) {
	q := r.URL.Query()
	for _, name := range queryTokenParams {
		if q.Has(name) {
			// RFC 7235 §3.1: every 401 names the scheme the client should use instead.
			w.Header().Set("WWW-Authenticate", `Bearer realm="rolecall", error="invalid_request"`)
			fail(w, http.StatusUnauthorized, "a token in the URL query ("+name+") is refused because URLs are logged; send it in an Authorization: Bearer header and revoke the exposed token")
			return r, false
		}
	}
	p, err := s.auth.Authenticate(auth.WithRequest(r.Context(), r.Method, r.URL.Path), r.Header.Get("Authorization"), scope)
	if err != nil {
		var f *auth.Failure
		if errors.As(err, &f) {
			if f.Status == http.StatusUnauthorized {
				w.Header().Set("WWW-Authenticate", `Bearer realm="rolecall"`)
			}
			fail(w, f.Status, f.Reason)
			return r, false
		}
		s.log.Error("authentication failed", "request_id", respond.RequestID(r.Context()), "error", err.Error())
		fail(w, http.StatusServiceUnavailable, "cannot check the token right now (database unavailable); retry shortly")
		return r, false
	}
	if wait, ok := s.limiter.allow(p.TokenID); !ok {
		s.rateLimited(w, r, wait, fail)
		return r, false
	}
	ctx := auth.WithPrincipal(r.Context(), p)
	ctx = audit.WithActor(ctx, audit.Actor{Name: p.TokenName, RequestID: respond.RequestID(r.Context())})
	return r.WithContext(ctx), true
}

// admin wraps an admin API handler: admin-scope token required.
func (s *Server) admin(h http.HandlerFunc) http.HandlerFunc { return s.adminAPI(store.ScopeAdmin, h) }

// events wraps the change feed's handler: an events-scope or admin-scope token.
func (s *Server) events(h http.HandlerFunc) http.HandlerFunc { return s.adminAPI(store.ScopeEvents, h) }

// adminAPI wraps an admin API handler: a token satisfying scope required; failures in the
// admin API's error format.
func (s *Server) adminAPI(scope store.Scope, h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		r, ok := s.authenticate(w, r, scope, func(w http.ResponseWriter, status int, msg string) {
			code := api.CodeUnauthorized
			if status == http.StatusForbidden {
				code = api.CodeForbidden
			} else if status == http.StatusServiceUnavailable {
				code = api.CodeUnavailable
			} else if status == http.StatusTooManyRequests {
				code = api.CodeRateLimited
			}
			respond.JSON(w, status, "application/json", api.Error{Status: status, Code: code, Message: msg})
		})
		if ok {
			h(w, r)
		}
	}
}

// decision wraps a decision API handler: a decision-scope or admin-scope token; failures in
// the decision API's error format.
func (s *Server) decision(h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		r, ok := s.authenticate(w, r, store.ScopeDecision, func(w http.ResponseWriter, status int, msg string) {
			respond.JSON(w, status, "application/json", authzenapi.Error{Status: status, Message: msg})
		})
		if ok {
			h(w, r)
		}
	}
}

// scim wraps a SCIM handler: scim-scope token required; failures in the SCIM error schema.
func (s *Server) scim(h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		r, ok := s.authenticate(w, r, store.ScopeSCIM, func(w http.ResponseWriter, status int, msg string) {
			scimapi.WriteError(w, status, "", msg)
		})
		if ok {
			h(w, r)
		}
	}
}
