package cli

import (
	"encoding/json"
	"net/http"
	"regexp"
	"strings"
	"testing"

	"github.com/rolecall/rolecall/internal/api"
)

// rolecall token list shows what each token last sent and when ("LAST SEEN"), and -o json
// carries it as lastRequest beside lastUsedAt: the sync-health signal of a SCIM token.
func TestTokenListLastSeen(t *testing.T) {
	cliBackends(t, func(t *testing.T, e *cliEnv) {
		secret, errOut, code := e.run("token", "create", "--name", "okta-scim", "--scope", "scim")
		if code != 0 {
			t.Fatalf("token create: %d %s", code, errOut)
		}
		req, _ := http.NewRequest(http.MethodPatch, e.url+"/scim/v2/Groups/no-such-group", strings.NewReader(
			`{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"replace","path":"displayName","value":"x"}]}`))
		req.Header.Set("Authorization", "Bearer "+strings.TrimSpace(secret))
		req.Header.Set("Content-Type", "application/scim+json")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusNotFound {
			t.Fatalf("PATCH of an unknown group = %d, want 404 (the request still counts as seen)", resp.StatusCode)
		}

		out, errOut, code := e.run("token", "list")
		if code != 0 {
			t.Fatalf("token list: %d %s", code, errOut)
		}
		if !regexp.MustCompile(`(?m)^okta-scim\s+scim\s+active\s+.*PATCH /Groups/… (just now|\d+ seconds? ago)\s`).MatchString(out) ||
			!strings.Contains(out, "LAST SEEN") {
			t.Errorf("token list does not show what okta-scim last sent:\n%s", out)
		}
		out, _, _ = e.run("token", "list", "-o", "json")
		var l api.List[api.Token]
		if err := json.Unmarshal([]byte(out), &l); err != nil {
			t.Fatal(err)
		}
		found := false
		for _, tk := range l.Items {
			if tk.Name == "okta-scim" {
				found = tk.LastRequest == "PATCH /Groups/…" && tk.LastUsedAt != nil
			}
		}
		if !found {
			t.Errorf("token list -o json lacks okta-scim's lastRequest:\n%s", out)
		}
	})
}
