package server

import (
	"fmt"
	"net/http"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/rolecall/rolecall/internal/api"
	"github.com/rolecall/rolecall/internal/server/adminapi"
	"github.com/rolecall/rolecall/internal/server/authzenapi"
	"github.com/rolecall/rolecall/internal/server/console"
	"github.com/rolecall/rolecall/internal/server/respond"
	"github.com/rolecall/rolecall/internal/server/scimapi"
)

// routes registers every route of the server: the ops endpoints here, and each audience's
// routes by its own package (scimapi, adminapi, authzenapi, console), which reads them area by area;
// this function is the index.
func (s *Server) routes(mux *http.ServeMux, _ *prometheus.Registry) {
	// Ops: unauthenticated, for load balancers and Prometheus.
	mux.HandleFunc("GET /healthz", s.healthz)
	// A person who opens the server's address in a browser lands on the console.
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/ui", http.StatusFound)
	})
	mux.HandleFunc("GET /readyz", s.readyz)
	mux.Handle("GET /metrics", s.metrics.handler)

	scimapi.Register(mux, scimapi.Deps{Service: s.svc, Log: s.log, BaseURL: s.cfg.BaseURL,
		MaxBodyBytes: s.cfg.MaxBodyBytes, PatchNoContent: s.cfg.PatchNoContent, Authenticate: s.scim,
		ScanConcurrency: s.cfg.ScanConcurrency, ScanConcurrencyTotal: s.cfg.ScanConcurrencyTotal,
		ScanMax: s.cfg.ScanMax})
	adminapi.Register(mux, adminapi.Deps{Service: s.svc, Enforce: s.enforce, Log: s.log,
		Authenticator: s.auth, Authenticate: s.admin, AuthenticateEvents: s.events, BaseURL: s.cfg.BaseURL, Stopping: s.stopping})
	authzenapi.Register(mux, authzenapi.Deps{Cache: s.decisions, Log: s.log, Authenticate: s.decision,
		BaseURL: s.cfg.BaseURL, MaxBodyBytes: s.cfg.MaxBodyBytes})
	console.Register(mux, console.Deps{Service: s.svc, Enforce: s.enforce, Log: s.log,
		Authenticator: s.auth, BaseURL: s.cfg.BaseURL, Decisions: s.decisions})

	// Anything else under the API prefixes gets an answer in that API's error format rather
	// than the mux's plain-text 404.
	mux.HandleFunc(scimapi.Prefix+"/", func(w http.ResponseWriter, r *http.Request) {
		scimapi.WriteError(w, http.StatusNotFound, "", "no SCIM endpoint "+r.Method+" "+r.URL.Path)
	})
	mux.HandleFunc("/api/", func(w http.ResponseWriter, r *http.Request) {
		respond.AdminError(w, r, s.log, &api.Error{Status: http.StatusNotFound, Code: api.CodeNotFound,
			Message: fmt.Sprintf("no admin API endpoint %s %s", r.Method, r.URL.Path)})
	})
}
