package adminapi

import "net/http"

// adminRoutes registers the admin API at /api/v1: the access model (clouds, projects,
// service accounts, read-only users and groups, grants, effective access, explain), the
// audit log and the org settings. Tokens and the org itself are in tokenRoutes, enforce-groups in
// enforceRoutes. docs/openapi.json documents every one of them, which
// TestOpenAPIMatchesRoutes checks.
//
// Objects are addressed by id or by name ({user}: id or userName, {group}: id or
// displayName), so that scripts and people need not look ids up first.
func (s *API) routes(mux *http.ServeMux) {
	mux.HandleFunc("GET /api/v1/org/settings", s.cfg.Authenticate(s.getOrgSettings))
	mux.HandleFunc("PATCH /api/v1/org/settings", s.cfg.Authenticate(s.updateOrgSettings))

	mux.HandleFunc("GET /api/v1/clouds", s.cfg.Authenticate(s.listClouds))
	mux.HandleFunc("POST /api/v1/clouds", s.cfg.Authenticate(s.createCloud))
	mux.HandleFunc("GET /api/v1/clouds/{cloud}", s.cfg.Authenticate(s.getCloud))
	mux.HandleFunc("PATCH /api/v1/clouds/{cloud}", s.cfg.Authenticate(s.renameCloud))
	mux.HandleFunc("DELETE /api/v1/clouds/{cloud}", s.cfg.Authenticate(s.deleteCloud))

	mux.HandleFunc("GET /api/v1/projects", s.cfg.Authenticate(s.listProjects))
	mux.HandleFunc("POST /api/v1/projects", s.cfg.Authenticate(s.createProject))
	mux.HandleFunc("GET /api/v1/projects/{project}", s.cfg.Authenticate(s.getProject))
	mux.HandleFunc("PATCH /api/v1/projects/{project}", s.cfg.Authenticate(s.updateProject))
	mux.HandleFunc("DELETE /api/v1/projects/{project}", s.cfg.Authenticate(s.deleteProject))

	mux.HandleFunc("GET /api/v1/service-accounts", s.cfg.Authenticate(s.listServiceAccounts))
	mux.HandleFunc("POST /api/v1/service-accounts", s.cfg.Authenticate(s.createServiceAccount))
	mux.HandleFunc("GET /api/v1/service-accounts/{account}", s.cfg.Authenticate(s.getServiceAccount))
	mux.HandleFunc("DELETE /api/v1/service-accounts/{account}", s.cfg.Authenticate(s.deleteServiceAccount))

	mux.HandleFunc("GET /api/v1/actions", s.cfg.Authenticate(s.listCustomActions))
	mux.HandleFunc("PUT /api/v1/actions/{action}", s.cfg.Authenticate(s.setCustomAction))
	mux.HandleFunc("DELETE /api/v1/actions/{action}", s.cfg.Authenticate(s.deleteCustomAction))

	mux.HandleFunc("GET /api/v1/users", s.cfg.Authenticate(s.listUsers))
	mux.HandleFunc("GET /api/v1/users/{user}", s.cfg.Authenticate(s.getUser))
	mux.HandleFunc("GET /api/v1/exemptions", s.cfg.Authenticate(s.listExemptions))
	mux.HandleFunc("PUT /api/v1/users/{user}/exemption", s.cfg.Authenticate(s.exemptUser))
	mux.HandleFunc("DELETE /api/v1/users/{user}/exemption", s.cfg.Authenticate(s.unexemptUser))
	mux.HandleFunc("GET /api/v1/groups", s.cfg.Authenticate(s.listGroups))
	mux.HandleFunc("GET /api/v1/groups/{group}", s.cfg.Authenticate(s.getGroup))
	mux.HandleFunc("GET /api/v1/groups/{group}/members", s.cfg.Authenticate(s.listGroupMembers))

	mux.HandleFunc("GET /api/v1/grants", s.cfg.Authenticate(s.listGrants))
	mux.HandleFunc("POST /api/v1/grants", s.cfg.Authenticate(s.createGrant))
	mux.HandleFunc("POST /api/v1/grants/revoke", s.cfg.Authenticate(s.revokeGrant))
	mux.HandleFunc("GET /api/v1/grants/{grant}", s.cfg.Authenticate(s.getGrant))
	mux.HandleFunc("DELETE /api/v1/grants/{grant}", s.cfg.Authenticate(s.deleteGrant))

	mux.HandleFunc("GET /api/v1/access", s.cfg.Authenticate(s.accessReview))
	mux.HandleFunc("GET /api/v1/access/rows", s.cfg.Authenticate(s.accessReviewRows))
	mux.HandleFunc("GET /api/v1/access/users/{user}", s.cfg.Authenticate(s.userAccess))
	mux.HandleFunc("GET /api/v1/access/users/{user}/explain", s.cfg.Authenticate(s.explainAccess))

	mux.HandleFunc("GET /api/v1/audit", s.cfg.Authenticate(s.listAudit))

	mux.HandleFunc("GET /api/v1/webhooks", s.cfg.Authenticate(s.listWebhooks))
	mux.HandleFunc("POST /api/v1/webhooks", s.cfg.Authenticate(s.createWebhook))
	mux.HandleFunc("GET /api/v1/webhooks/{webhook}", s.cfg.Authenticate(s.getWebhook))
	mux.HandleFunc("PATCH /api/v1/webhooks/{webhook}", s.cfg.Authenticate(s.updateWebhook))
	mux.HandleFunc("DELETE /api/v1/webhooks/{webhook}", s.cfg.Authenticate(s.deleteWebhook))
	mux.HandleFunc("POST /api/v1/webhooks/{webhook}/rotate-secret", s.cfg.Authenticate(s.rotateWebhookSecret))
	mux.HandleFunc("GET /api/v1/webhooks/{webhook}/deliveries", s.cfg.Authenticate(s.listWebhookDeliveries))
	mux.HandleFunc("POST /api/v1/webhooks/{webhook}/redeliver", s.cfg.Authenticate(s.redeliverWebhook))
	mux.HandleFunc("POST /api/v1/webhooks/{webhook}/test", s.cfg.Authenticate(s.testWebhook))
}
