package cli

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/rolecall/rolecall/internal/service"
)

// A first hour without an identity provider, from the CLI and the admin API: an unknown
// user or group says that they arrive over SCIM and how to check what the IdP sent; an
// empty org's preview says there is nothing to enforce because there are no users.

func TestUnknownPrincipalSaysSCIM(t *testing.T) {
	cliBackends(t, func(t *testing.T, e *cliEnv) {
		if _, errs, code := e.run("cloud", "create", "prod-cloud"); code != 0 {
			t.Fatal(errs)
		}
		group := []string{"`rolecall group list --prefix eng`", "`rolecall audit list --action scim.group.create` (or scim.group.delete)"}
		user := []string{"`rolecall user list --prefix ali`", "`rolecall audit list --action scim.user.create` (or scim.user.delete)"}
		for _, c := range []struct {
			args []string
			want []string
		}{
			{[]string{"grant", "readonly", "--group", "engineering", "--cloud", "prod-cloud"}, group},
			{[]string{"revoke", "readonly", "--group", "engineering", "--cloud", "prod-cloud"}, group},
			{[]string{"group", "members", "engineering"}, group},
			{[]string{"grant", "owner", "--user", "alice@example.com", "--org"}, user},
			{[]string{"access", "explain", "--user", "alice@example.com", "--cloud", "prod-cloud"}, user},
			{[]string{"user", "get", "alice@example.com"}, user},
		} {
			_, errs, code := e.run(c.args...)
			want := append([]string{"Error: no ", "in this organization", service.SCIMOrigin, "`rolecall seed example`"}, c.want...)
			for _, w := range want {
				if code != 1 || !strings.Contains(errs, w) {
					t.Errorf("%v: exit %d, stderr does not say %q:\n%s", c.args, code, w, errs)
				}
			}
		}
		// -o json: the same message in the stable error document.
		_, errs, code := e.run("user", "get", "alice@example.com", "-o", "json")
		var doc struct {
			Error struct {
				Status  int    `json:"status"`
				Code    string `json:"code"`
				Message string `json:"message"`
			} `json:"error"`
		}
		if code != 1 || json.Unmarshal([]byte(errs), &doc) != nil || doc.Error.Status != 404 || !strings.Contains(doc.Error.Message, service.SCIMOrigin) {
			t.Errorf("-o json: exit %d\n%s", code, errs)
		}
		// The admin API says the same to any client.
		req, _ := http.NewRequest(http.MethodGet, e.url+"/api/v1/groups/engineering", nil)
		req.Header.Set("Authorization", "Bearer "+e.token)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 404 || !strings.Contains(string(body), "over SCIM (/scim/v2)") || !strings.Contains(string(body), "scim.group.create") {
			t.Errorf("GET /api/v1/groups/engineering = %d\n%s", resp.StatusCode, body)
		}
	})
}

func TestEmptyOrgPreview(t *testing.T) {
	cliBackends(t, func(t *testing.T, e *cliEnv) {
		out, errs, code := e.run("scim", "enforce-groups", "--dry-run")
		if code != 0 {
			t.Fatalf("exit %d\n%s", code, errs)
		}
		checkGolden(t, "empty-org.golden", out)
		// Without --dry-run nothing is asked and nothing is recorded.
		out, errs, code = e.run("scim", "enforce-groups")
		if code != 0 || !strings.Contains(out, "the organization has no users yet") || strings.Contains(out, "already comes from groups") {
			t.Errorf("enforce-groups on an empty org: exit %d\n%s%s", code, out, errs)
		}
	})
}
