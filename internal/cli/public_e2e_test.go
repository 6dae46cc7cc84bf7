package cli

import "testing"

// TestAdminCLIPublicProjects: project visibility from the CLI, end to end. alice holds
// readonly on cloud prod directly, carol collaborator through eng; sandbox is public, api
// private. The transcript shows where a cloud role reaches (sandbox, as collaborator) and
// where it does not (api, with the note saying so), and write granted as collaborator.
func TestAdminCLIPublicProjects(t *testing.T) {
	cliBackends(t, func(t *testing.T, e *cliEnv) {
		seedAdminDirectory(e)
		tr := &transcript{e: e}
		tr.do(0, "cloud", "create", "prod")
		tr.do(0, "project", "create", "api", "--cloud", "prod")
		tr.do(0, "project", "create", "sandbox", "--cloud", "prod", "--public")
		tr.do(0, "grant", "readonly", "--user", "alice@example.com", "--cloud", "prod")
		tr.do(0, "grant", "collaborator", "--group", "eng", "--cloud", "prod")
		tr.do(0, "project", "list")
		tr.do(0, "access", "list", "--user", "alice@example.com")
		tr.do(0, "access", "explain", "--user", "carol@example.com", "--project", "sandbox")
		tr.do(0, "access", "explain", "--user", "carol@example.com", "--project", "api")
		tr.do(0, "project", "set-visibility", "api", "public")
		tr.do(0, "access", "explain", "--user", "alice@example.com", "--project", "api")
		tr.do(0, "project", "set-visibility", "api", "private")
		tr.do(1, "project", "set-visibility", "api", "secret")
		tr.do(0, "project", "get", "api")
		tr.do(0, "grant", "write", "--user", "bob@example.com", "--project", "api")
		tr.do(0, "grant", "Write", "--user", "bob@example.com", "--project", "api")
		tr.do(1, "grant", "write", "--user", "bob@example.com", "--cloud", "prod")
		tr.do(0, "revoke", "write", "--user", "bob@example.com", "--project", "api")
		tr.do(0, "audit", "list", "--action", "project.visibility")
		adminGolden(t, "admin_public.golden", tr.buf.String())
	})
}
