package server

import (
	"context"
	"net/http"
	"time"

	"github.com/rolecall/rolecall/internal/server/respond"
)

// healthz says the process is up; it touches nothing, so a slow database never gets a live
// server restarted.
func (s *Server) healthz(w http.ResponseWriter, r *http.Request) {
	respond.JSON(w, http.StatusOK, "application/json", map[string]string{"status": "ok"})
}

// readyz says the server can serve: the database answers within two seconds.
func (s *Server) readyz(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
	defer cancel()
	if err := s.store.Ping(ctx); err != nil {
		s.log.Warn("not ready", "error", err.Error())
		respond.JSON(w, http.StatusServiceUnavailable, "application/json", map[string]string{"status": "unavailable", "reason": "database unreachable"})
		return
	}
	respond.JSON(w, http.StatusOK, "application/json", map[string]string{"status": "ready", "database": s.store.Dialect()})
}
