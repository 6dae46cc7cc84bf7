package e2e

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/rolecall/rolecall/internal/testenv"
)

// The first hour without an identity provider, on the real binary: `rolecall demo --serve`
// and `rolecall seed example` on SQLite and PostgreSQL.

var adminTokenRE = regexp.MustCompile(`Admin token:\s+(rc_\S+)`)

// referencePreview is the body of the enforce-groups reference preview (its timed first line
// left out), which the seeded example must reproduce.
const referencePreview = `=== Permission Changes Preview ===

user1@example.com:
  - clouds:
    - prod-cloud: collaborator -> readonly
    - staging-cloud: owner -> (removed)
  - projects:
    - proj-1: collaborator -> readonly
  - organization: owner -> collaborator

user2@example.com:
  - clouds:
    - dev-cloud: collaborator -> (removed)

--- Users to be removed (not in any active user group) ---
- orphan-user@example.com

(No changes were applied. Remove --dry-run to apply changes.)
`

// cli runs the binary with args against server with token; it returns stdout, stderr and
// the exit code.
func cli(t *testing.T, server, token string, args ...string) (string, string, int) {
	t.Helper()
	cmd := exec.Command(testenv.Binary(t), args...)
	cmd.Env = append(os.Environ(), "ROLECALL_URL="+server, "ROLECALL_TOKEN="+token)
	var out, errb strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatalf("%v: %v", args, err)
	}
	return out.String(), errb.String(), code
}

// checkExample checks that the org behind token holds the seeded example: its preview is
// the reference one, and the audit log shows the users created over SCIM by the example IdP.
func checkExample(t *testing.T, server, token string) {
	t.Helper()
	out, errs, code := cli(t, server, token, "scim", "enforce-groups", "--dry-run")
	if code != 0 || !strings.HasSuffix(out, referencePreview) {
		t.Errorf("dry run on the example: exit %d\n%s%s", code, out, errs)
	}
	out, errs, code = cli(t, server, token, "audit", "list", "--action", "scim.user.create", "-o", "json")
	var page struct {
		Items []struct {
			Actor  string `json:"actor"`
			Action string `json:"action"`
		} `json:"items"`
	}
	if code != 0 || json.Unmarshal([]byte(out), &page) != nil {
		t.Fatalf("audit list: exit %d\n%s%s", code, out, errs)
	}
	if len(page.Items) != 4 {
		t.Errorf("scim.user.create events: %d, want 4 (the example's users)\n%s", len(page.Items), out)
	}
	for _, e := range page.Items {
		if e.Actor != "example-idp" {
			t.Errorf("user created by %q, want the example IdP's scim token", e.Actor)
		}
	}
}

func TestDemoServe(t *testing.T) {
	for _, b := range backends(t) {
		t.Run(b.name, func(t *testing.T) {
			dir := t.TempDir()
			args := []string{"demo", "--serve", "--listen", "127.0.0.1:0"}
			dbPath := filepath.Join(dir, "rolecall-demo.db") // the default, in the working directory
			dsn := "sqlite:" + dbPath
			if b.name != "sqlite" {
				args, dsn = append(args, "--db", b.dsn), b.dsn
			}
			p := testenv.Start(t, dir, nil, args...)
			m := adminTokenRE.FindStringSubmatch(p.Log())
			if m == nil {
				t.Fatalf("no admin token printed:\n%s", p.Log())
			}
			token := m[1]
			for _, want := range []string{p.URL + "/ui", "sign in with the admin token", "export ROLECALL_URL=" + p.URL + " ROLECALL_TOKEN=" + token} {
				if !strings.Contains(p.Log(), want) {
					t.Errorf("the banner does not say %q:\n%s", want, p.Log())
				}
			}
			if b.name == "sqlite" {
				if _, err := os.Stat(dbPath); err != nil {
					t.Errorf("default database: %v", err)
				}
			}

			// Sign in to the console with the printed token, as the banner says.
			jar, _ := cookiejar.New(nil)
			browser := &http.Client{Jar: jar, Timeout: client.Timeout}
			page := get(t, browser, p.URL+"/ui/signin")
			csrf := regexp.MustCompile(`name="csrf" value="([^"]+)"`).FindStringSubmatch(page)
			if csrf == nil {
				t.Fatalf("no CSRF field on the sign-in page:\n%s", page)
			}
			resp, err := browser.PostForm(p.URL+"/ui/signin", url.Values{"csrf": {csrf[1]}, "token": {token}})
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			users := get(t, browser, p.URL+"/ui/users")
			for _, u := range []string{"user1@example.com", "orphan-user@example.com", "admin@example.com"} {
				if !strings.Contains(users, u) {
					t.Errorf("console users page (after sign-in) lacks %s:\n%.2000s", u, users)
				}
			}
			checkExample(t, p.URL, token)
			// The banner's "Try" commands work as printed.
			if out, errs, code := cli(t, p.URL, token, "user", "list"); code != 0 || !strings.Contains(out, "orphan-user@example.com") {
				t.Errorf("user list: exit %d\n%s%s", code, out, errs)
			}
			if out, errs, code := cli(t, p.URL, token, "access", "explain", "--user", "user1@example.com", "--cloud", "prod-cloud"); code != 0 || !strings.Contains(out, "collaborator") || !strings.Contains(out, "engineering") {
				t.Errorf("access explain: exit %d\n%s%s", code, out, errs)
			}

			// A second demo on the same database refuses to seed over the data.
			cmd := exec.Command(testenv.Binary(t), append(args, "--listen", "127.0.0.1:0")...)
			cmd.Dir = dir
			out, err := cmd.CombinedOutput()
			if err == nil || !strings.Contains(string(out), `organization "example-org" is not empty (4 users, 4 groups, 3 clouds, 1 service accounts)`) {
				t.Errorf("second demo --serve on the same database: %v\n%s", err, out)
			}

			// Stopped and served again by `rolecall serve`, the data and the token stay.
			p.Stop(t)
			p = testenv.StartServe(t, dsn, nil)
			checkExample(t, p.URL, token)
		})
	}
}

func TestSeedExample(t *testing.T) {
	for _, b := range backends(t) {
		t.Run(b.name, func(t *testing.T) {
			p := start(t, b.dsn)
			out, errs, code := cli(t, p.URL, bootstrapToken, "seed", "example")
			if code != 0 || !strings.Contains(out, `Seeded organization "default": 4 users and 5 groups (over SCIM, as the identity provider "example-idp"), 3 clouds, 2 projects, 1 service account, 13 grants.`) {
				t.Fatalf("seed example: exit %d\n%s%s", code, out, errs)
			}
			checkExample(t, p.URL, bootstrapToken)

			// Not twice, and not over real data.
			out, errs, code = cli(t, p.URL, bootstrapToken, "seed", "example")
			if code != 1 || !strings.Contains(errs, `organization "default" is not empty`) {
				t.Errorf("second seed example: exit %d\n%s%s", code, out, errs)
			}

			// Offline, into a new organization of the same database, next to the running
			// server: it prints an admin token of that organization.
			out, errs, code = cli(t, p.URL, "", "seed", "example", "--db", b.dsn, "--org", "sandbox")
			m := regexp.MustCompile(`admin token \(shown once\): (rc_\S+)`).FindStringSubmatch(out)
			if code != 0 || m == nil || !strings.Contains(out, `Seeded organization "sandbox"`) {
				t.Fatalf("seed example --db --org sandbox: exit %d\n%s%s", code, out, errs)
			}
			checkExample(t, p.URL, m[1])
			out, errs, code = cli(t, p.URL, "", "seed", "example", "--db", b.dsn, "--org", "sandbox")
			if code != 1 || !strings.Contains(errs, `organization "sandbox" is not empty`) {
				t.Errorf("offline seed into the seeded org: exit %d\n%s%s", code, out, errs)
			}
			if _, errs, code = cli(t, p.URL, bootstrapToken, "seed", "example", "--org", "x"); code != 1 || !strings.Contains(errs, "--org needs --db") {
				t.Errorf("--org without --db: exit %d %s", code, errs)
			}
		})
	}
}

// get GETs u with c and returns the body, failing the test on anything but 200.
func get(t *testing.T, c *http.Client, u string) string {
	t.Helper()
	resp, err := c.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var b strings.Builder
	if _, err := io.Copy(&b, resp.Body); err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s = %d\n%s", u, resp.StatusCode, b.String())
	}
	return b.String()
}
