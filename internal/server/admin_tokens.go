package server

import (
	"fmt"
	"net/http"

	"github.com/rolecall/rolecall/internal/api"
	"github.com/rolecall/rolecall/internal/auth"
	"github.com/rolecall/rolecall/internal/store"
)

func (s *Server) tokenRoutes(mux *http.ServeMux) {
	mux.HandleFunc("GET /api/v1/org", s.admin(s.getOrg))
	mux.HandleFunc("GET /api/v1/tokens", s.admin(s.listTokens))
	mux.HandleFunc("POST /api/v1/tokens", s.admin(s.createToken))
	mux.HandleFunc("DELETE /api/v1/tokens/{token}", s.admin(s.revokeToken))
}

// getOrg answers the caller's org: the CLI uses it to check a token and to name the org.
func (s *Server) getOrg(w http.ResponseWriter, r *http.Request) {
	p := principal(r.Context())
	var org store.Org
	err := s.store.View(r.Context(), func(tx store.Tx) (err error) {
		org, err = tx.Org(r.Context(), p.OrgID)
		return err
	})
	if err != nil {
		s.adminError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, "application/json", api.Org{ID: org.ID, Name: org.Name, CreatedAt: org.CreatedAt})
}

func (s *Server) listTokens(w http.ResponseWriter, r *http.Request) {
	var out []api.Token
	err := s.store.View(r.Context(), func(tx store.Tx) (err error) {
		out, err = auth.ListTokens(r.Context(), tx, principal(r.Context()).OrgID)
		return err
	})
	if err != nil {
		s.adminError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, "application/json", api.List[api.Token]{Items: nonNil(out), Total: len(out)})
}

func (s *Server) createToken(w http.ResponseWriter, r *http.Request) {
	var req api.CreateTokenRequest
	if err := decodeJSON(r, &req); err != nil {
		s.adminError(w, r, err)
		return
	}
	var out api.CreatedToken
	err := s.store.Update(r.Context(), func(tx store.Tx) (err error) {
		out, err = auth.CreateToken(r.Context(), tx, principal(r.Context()).OrgID, req, "")
		return err
	})
	if err != nil {
		s.adminError(w, r, err)
		return
	}
	w.Header().Set("Location", "/api/v1/tokens/"+out.ID)
	writeJSON(w, http.StatusCreated, "application/json", out)
}

// revokeToken revokes a token by id or name. The record stays (audit); revoking twice is a
// no-op that answers the same record.
func (s *Server) revokeToken(w http.ResponseWriter, r *http.Request) {
	var out api.Token
	err := s.store.Update(r.Context(), func(tx store.Tx) (err error) {
		out, err = auth.RevokeToken(r.Context(), tx, principal(r.Context()).OrgID, r.PathValue("token"))
		return err
	})
	if err != nil {
		s.adminError(w, r, err)
		return
	}
	s.auth.Forget(out.ID)
	writeJSON(w, http.StatusOK, "application/json", out)
}

// nonNil makes empty lists encode as [] rather than null.
func nonNil[T any](xs []T) []T {
	if xs == nil {
		return []T{}
	}
	return xs
}

func notFoundf(format string, args ...any) error {
	return &api.Error{Status: http.StatusNotFound, Code: api.CodeNotFound, Message: fmt.Sprintf(format, args...)}
}
