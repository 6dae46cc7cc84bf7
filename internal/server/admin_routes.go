package server

import "net/http"

// adminRoutes registers the admin API at /api/v1: the access model (clouds, projects,
// service accounts, read-only users and groups, grants, effective access, explain), the
// audit log and the org settings. Tokens and the org itself are in tokenRoutes; enforce-groups
// registers its own routes. docs/openapi.json documents every one of them, which
// TestOpenAPIMatchesRoutes checks.
//
// Objects are addressed by id or by name ({user}: id or userName, {group}: id or
// displayName), so that scripts and people need not look ids up first.
func (s *Server) adminRoutes(mux *http.ServeMux) {
	mux.HandleFunc("GET /api/v1/org/settings", s.admin(s.getOrgSettings))
	mux.HandleFunc("PATCH /api/v1/org/settings", s.admin(s.updateOrgSettings))

	mux.HandleFunc("GET /api/v1/clouds", s.admin(s.listClouds))
	mux.HandleFunc("POST /api/v1/clouds", s.admin(s.createCloud))
	mux.HandleFunc("GET /api/v1/clouds/{cloud}", s.admin(s.getCloud))
	mux.HandleFunc("PATCH /api/v1/clouds/{cloud}", s.admin(s.renameCloud))
	mux.HandleFunc("DELETE /api/v1/clouds/{cloud}", s.admin(s.deleteCloud))

	mux.HandleFunc("GET /api/v1/projects", s.admin(s.listProjects))
	mux.HandleFunc("POST /api/v1/projects", s.admin(s.createProject))
	mux.HandleFunc("GET /api/v1/projects/{project}", s.admin(s.getProject))
	mux.HandleFunc("PATCH /api/v1/projects/{project}", s.admin(s.renameProject))
	mux.HandleFunc("DELETE /api/v1/projects/{project}", s.admin(s.deleteProject))

	mux.HandleFunc("GET /api/v1/service-accounts", s.admin(s.listServiceAccounts))
	mux.HandleFunc("POST /api/v1/service-accounts", s.admin(s.createServiceAccount))
	mux.HandleFunc("GET /api/v1/service-accounts/{account}", s.admin(s.getServiceAccount))
	mux.HandleFunc("DELETE /api/v1/service-accounts/{account}", s.admin(s.deleteServiceAccount))

	mux.HandleFunc("GET /api/v1/users", s.admin(s.listUsers))
	mux.HandleFunc("GET /api/v1/users/{user}", s.admin(s.getUser))
	mux.HandleFunc("GET /api/v1/groups", s.admin(s.listGroups))
	mux.HandleFunc("GET /api/v1/groups/{group}", s.admin(s.getGroup))
	mux.HandleFunc("GET /api/v1/groups/{group}/members", s.admin(s.listGroupMembers))

	mux.HandleFunc("GET /api/v1/grants", s.admin(s.listGrants))
	mux.HandleFunc("POST /api/v1/grants", s.admin(s.createGrant))
	mux.HandleFunc("POST /api/v1/grants/revoke", s.admin(s.revokeGrant))
	mux.HandleFunc("GET /api/v1/grants/{grant}", s.admin(s.getGrant))
	mux.HandleFunc("DELETE /api/v1/grants/{grant}", s.admin(s.deleteGrant))

	mux.HandleFunc("GET /api/v1/access", s.admin(s.accessReview))
	mux.HandleFunc("GET /api/v1/access/users/{user}", s.admin(s.userAccess))
	mux.HandleFunc("GET /api/v1/access/users/{user}/explain", s.admin(s.explainAccess))

	mux.HandleFunc("GET /api/v1/audit", s.admin(s.listAudit))
}
