package server

import (
	"net/http"

	"github.com/prometheus/client_golang/prometheus"
)

// routes registers every route of the server. Each area keeps its routes in one function in
// its own file (scimRoutes, adminRoutes, …) so that the full surface is readable area by
// area; this function is the index.
func (s *Server) routes(mux *http.ServeMux, _ *prometheus.Registry) {
	// Ops: unauthenticated, for load balancers and Prometheus.
	mux.HandleFunc("GET /healthz", s.healthz)
	mux.HandleFunc("GET /readyz", s.readyz)
	mux.Handle("GET /metrics", s.metrics.handler)

	s.tokenRoutes(mux)
	s.scimRoutes(mux)
	s.adminRoutes(mux)
	s.enforceRoutes(mux)
	s.uiRoutes(mux)

	// Anything else under the API prefixes gets an answer in that API's error format rather
	// than the mux's plain-text 404.
	mux.HandleFunc(scimPrefix+"/", func(w http.ResponseWriter, r *http.Request) {
		writeSCIMError(w, http.StatusNotFound, "", "no SCIM endpoint "+r.Method+" "+r.URL.Path)
	})
	mux.HandleFunc("/api/", func(w http.ResponseWriter, r *http.Request) {
		s.adminError(w, r, notFoundf("no admin API endpoint %s %s", r.Method, r.URL.Path))
	})
}
