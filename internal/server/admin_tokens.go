package server

import (
	"net/http"

	"github.com/rolecall/rolecall/internal/api"
)

func (s *Server) tokenRoutes(mux *http.ServeMux) {
	mux.HandleFunc("GET /api/v1/org", s.admin(s.getOrg))
	mux.HandleFunc("GET /api/v1/tokens", s.admin(s.listTokens))
	mux.HandleFunc("POST /api/v1/tokens", s.admin(s.createToken))
	mux.HandleFunc("DELETE /api/v1/tokens/{token}", s.admin(s.revokeToken))
}

// getOrg answers the caller's org: the CLI uses it to check a token and to name the org.
func (s *Server) getOrg(w http.ResponseWriter, r *http.Request) {
	org, err := s.svc.Org(r.Context(), orgOf(r))
	s.answer(w, r, http.StatusOK, api.Org{ID: org.ID, Name: org.Name, CreatedAt: org.CreatedAt}, err)
}

func (s *Server) listTokens(w http.ResponseWriter, r *http.Request) {
	out, err := s.svc.Tokens(r.Context(), orgOf(r))
	list(s, w, r, out, len(out), err)
}

func (s *Server) createToken(w http.ResponseWriter, r *http.Request) {
	var req api.CreateTokenRequest
	if err := decodeJSON(r, &req); err != nil {
		s.adminError(w, r, err)
		return
	}
	out, err := s.svc.CreateToken(r.Context(), orgOf(r), req, "")
	s.created(w, r, "/api/v1/tokens/"+out.ID, out, err)
}

// revokeToken revokes a token by id or name, and forgets it in the authenticator's cache
// so that it stops working at once.
func (s *Server) revokeToken(w http.ResponseWriter, r *http.Request) {
	out, err := s.svc.RevokeToken(r.Context(), orgOf(r), r.PathValue("token"))
	if err == nil {
		s.auth.Forget(out.ID)
	}
	s.answer(w, r, http.StatusOK, out, err)
}
