// Package service holds rolecall's use cases over the store: provisioning users and groups
// (SCIM), membership changes with reinstatement and unknown-member tolerance, grants and the
// groups-only rule, break-glass exemptions from enforce-groups, resources, service accounts,
// tokens, orgs and their settings, directory lookups, access answers and the access state
// they and enforce-groups read (LoadState), webhook endpoints (webhooks.go) and the steps of
// the webhook dispatcher (package dispatch, webhooks_dispatch.go).
// Enforce-groups itself (preview, apply, undo, runs) is the subpackage enforcegroups, so that
// the CLI can call this package offline without reaching enforce-groups except through the
// admin API. Each change is one store.Update transaction that writes exactly one audit
// event, so this package is the single place where a change commits; the HTTP handlers
// (scimapi, adminapi, console) and the offline CLI commands call it and open no transaction
// of their own.
//
// It returns stored objects to the SCIM handler, which renders them (the service takes
// render callbacks where an answer or an audit event must be rendered inside the
// transaction), and admin API views (package api) to the admin API and the console.
//
// It may import store, audit, auth, access, decision (pure: the custom actions' rules), enforce, rules (pure: group → role rules), events, scim (pure, for documents and SCIM
// errors), api (wire types and errors), delivery and webhook (sending and signing webhook
// deliveries) and the standard library; never a handler package (server and below), client
// or cli.
package service

import (
	"context"

	"github.com/rolecall/rolecall/internal/store"
)

// Service runs the use cases on one store.
type Service struct {
	store store.Store
	// rules caches each org's compiled group rules (rules.go).
	rules ruleCache
	// wh configures webhook checks and sends (SetWebhooks).
	wh WebhookOptions
}

// New returns the service over st.
func New(st store.Store) *Service { return &Service{store: st} }

// Store is the store the service runs on (the server's readiness check and metrics ask it).
func (s *Service) Store() store.Store { return s.store }

// Read runs fn in one read-only snapshot. It serves the readers that stream rows straight
// out of the store into an answer (SCIM lists and GETs, rendered from stored JSON): a
// method per read would have to buffer what they write as they go. Nothing is written.
func (s *Service) Read(ctx context.Context, fn func(tx store.Tx) error) error {
	return s.store.View(ctx, fn)
}

// Capabilities are the store's (store.CapabilitiesOf): what SCIM filter planning may push
// down to it.
func (s *Service) Capabilities() store.Capabilities { return store.CapabilitiesOf(s.store) }
