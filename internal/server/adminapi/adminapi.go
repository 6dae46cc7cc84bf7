// Package adminapi is rolecall's admin API at /api/v1 (docs/openapi.json): the org and its
// tokens, settings, clouds, projects, service accounts, the read-only directory, grants,
// effective access and explain, the audit log, and enforce-groups. Each handler reads its
// request, calls one service method and answers its result or its error (mapped by
// server/respond's table); none opens a transaction or writes an audit event.
//
// It may import service, service/enforcegroups, auth, api, store, server/respond and the
// standard library; never server, scimapi or console.
package adminapi

import (
	"context"
	"log/slog"
	"net/http"

	"github.com/rolecall/rolecall/internal/auth"
	"github.com/rolecall/rolecall/internal/service"
	"github.com/rolecall/rolecall/internal/service/enforcegroups"
)

// Deps is what the admin API takes from the server.
type Deps struct {
	Service *service.Service
	Enforce *enforcegroups.Service
	Log     *slog.Logger
	// Authenticator is told of revoked tokens so that they stop working at once.
	Authenticator *auth.Authenticator
	// Authenticate wraps a handler: an admin-scope token is required, and a refusal is
	// answered in the admin API's error format.
	Authenticate func(http.HandlerFunc) http.HandlerFunc
	// AuthenticateEvents wraps the change feed's handler: an events-scope or admin-scope
	// token is required.
	AuthenticateEvents func(http.HandlerFunc) http.HandlerFunc
	// BaseURL is the server's public URL, the base of the events' CloudEvents source ("":
	// a relative source, /orgs/<id>).
	BaseURL string
	// Stopping ends when the server begins to shut down: a long-poll of the feed answers
	// what it has then (nil: never).
	Stopping context.Context
}

// API serves the admin API.
type API struct {
	cfg     Deps
	svc     *service.Service
	enforce *enforcegroups.Service
	log     *slog.Logger
}

// Register adds the admin API's routes to mux.
func Register(mux *http.ServeMux, d Deps) {
	s := &API{cfg: d, svc: d.Service, enforce: d.Enforce, log: d.Log}
	s.tokenRoutes(mux)
	s.routes(mux)
	s.enforceRoutes(mux)
	s.ruleRoutes(mux)
	s.eventRoutes(mux)
}
