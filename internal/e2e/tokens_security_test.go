package e2e

import (
	"strings"
	"testing"
)

// TestServerLogNeverHoldsTokens runs the real binary, authenticates with good, revoked,
// unknown and query-string tokens on SCIM and admin routes, and greps everything the process
// wrote: no secret, whole or in part, appears (log lines carry paths, never queries or
// headers).
func TestServerLogNeverHoldsTokens(t *testing.T) {
	for _, format := range []string{"text", "json"} {
		t.Run(format, func(t *testing.T) {
			b := backends(t)[0]
			p := start(t, b.dsn, "--log-format", format, "--log-level", "debug")
			scim := scimToken(t, p, "okta")
			revoked := scimToken(t, p, "old")
			must(t, 200, "DELETE", p.URL+"/api/v1/tokens/old", bootstrapToken, nil, nil)
			unknown := "rc_" + strings.Repeat("Z", 43)
			for _, c := range []struct {
				path, token string
				want        int
			}{
				{"/scim/v2/Users", scim, 200},
				{"/scim/v2/Users", revoked, 401},
				{"/scim/v2/Users", unknown, 401},
				{"/api/v1/clouds", scim, 403},
				{"/api/v1/clouds", bootstrapToken, 200},
				{"/scim/v2/Users?access_token=" + scim, "", 401},
				{"/api/v1/clouds?token=" + bootstrapToken, bootstrapToken, 401},
				{"/scim/v2/Users/../../api?bearer=" + unknown, scim, 0},
			} {
				status, body, _ := call("GET", p.URL+c.path, c.token, nil)
				if c.want != 0 && status != c.want {
					t.Errorf("GET %s = %d %s, want %d", c.path, status, body, c.want)
				}
			}
			p.Stop(t)
			log := p.Log()
			if !strings.Contains(log, "401") {
				t.Fatalf("the log does not show the refused requests:\n%s", log)
			}
			for name, s := range map[string]string{"scim": scim, "revoked": revoked, "unknown": unknown, "bootstrap": bootstrapToken} {
				for _, part := range []string{s, s[3:], s[len(s)-12:]} {
					if strings.Contains(log, part) {
						t.Errorf("the server log holds the %s token (%q)", name, part)
					}
				}
			}
		})
	}
}
