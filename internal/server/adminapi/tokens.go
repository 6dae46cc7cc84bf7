package adminapi

import (
	"net/http"

	"github.com/rolecall/rolecall/internal/api"
	"github.com/rolecall/rolecall/internal/server/respond"
)

func (s *API) tokenRoutes(mux *http.ServeMux) {
	mux.HandleFunc("GET /api/v1/org", s.cfg.Authenticate(s.getOrg))
	mux.HandleFunc("GET /api/v1/tokens", s.cfg.Authenticate(s.listTokens))
	mux.HandleFunc("POST /api/v1/tokens", s.cfg.Authenticate(s.createToken))
	mux.HandleFunc("DELETE /api/v1/tokens/{token}", s.cfg.Authenticate(s.revokeToken))
}

// getOrg answers the caller's org: the CLI uses it to check a token and to name the org.
func (s *API) getOrg(w http.ResponseWriter, r *http.Request) {
	org, err := s.svc.Org(r.Context(), orgOf(r))
	s.answer(w, r, http.StatusOK, api.Org{ID: org.ID, Name: org.Name, CreatedAt: org.CreatedAt}, err)
}

func (s *API) listTokens(w http.ResponseWriter, r *http.Request) {
	out, err := s.svc.Tokens(r.Context(), orgOf(r))
	list(s, w, r, out, len(out), err)
}

func (s *API) createToken(w http.ResponseWriter, r *http.Request) {
	var req api.CreateTokenRequest
	if err := respond.DecodeJSON(r, &req); err != nil {
		s.adminError(w, r, err)
		return
	}
	out, err := s.svc.CreateToken(r.Context(), orgOf(r), req, "")
	s.created(w, r, "/api/v1/tokens/"+out.ID, out, err)
}

// revokeToken revokes a token by id or name, and forgets it in the authenticator's cache
// so that it stops working at once.
func (s *API) revokeToken(w http.ResponseWriter, r *http.Request) {
	out, err := s.svc.RevokeToken(r.Context(), orgOf(r), r.PathValue("token"))
	if err == nil {
		s.cfg.Authenticator.Forget(out.ID)
	}
	s.answer(w, r, http.StatusOK, out, err)
}
