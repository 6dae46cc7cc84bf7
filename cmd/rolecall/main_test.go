package main

// End-to-end tests of the real binary: built once, started as a process on a temporary
// SQLite database, driven over HTTP and through its own CLI.

import (
	"encoding/json"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/rolecall/rolecall/internal/testenv"
)

// TestMain removes the binary the tests built once (testenv.Binary).
func TestMain(m *testing.M) { testenv.Main(m) }

// startServer runs `rolecall serve` on the SQLite file db with env and waits until it listens.
func startServer(t *testing.T, db string, env ...string) *testenv.Proc {
	t.Helper()
	return testenv.StartServe(t, "sqlite:"+db, env)
}

// run runs the CLI and returns stdout, stderr and the exit code.
func run(t *testing.T, env []string, args ...string) (string, string, int) {
	t.Helper()
	cmd := exec.Command(testenv.Binary(t), args...)
	cmd.Env = append(os.Environ(), env...)
	var out, errb strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return out.String(), errb.String(), code
}

func get(t *testing.T, url, token string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, url, nil)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

const bootstrapToken = "test-bootstrap-token-0123456789"

func TestServeBootstrapPrintsTokenOnce(t *testing.T) {
	db := filepath.Join(t.TempDir(), "rolecall.db")
	p := startServer(t, db)
	m := regexp.MustCompile(`(?m)^\s+(rc_[A-Za-z0-9_-]{43})$`).FindStringSubmatch(p.Log())
	if m == nil {
		t.Fatalf("first start did not print an admin token:\n%s", p.Log())
	}
	if code, body := get(t, p.URL+"/api/v1/org", m[1]); code != 200 || !strings.Contains(body, `"name":"default"`) {
		t.Fatalf("printed token does not work: %d %s", code, body)
	}
	p.Stop(t)
	p2 := startServer(t, db)
	if strings.Contains(p2.Log(), "rc_") || strings.Contains(p2.Log(), "created organization") {
		t.Fatalf("second start printed a token again:\n%s", p2.Log())
	}
	p2.Stop(t)
}

func TestServeOpsAndTokens(t *testing.T) {
	db := filepath.Join(t.TempDir(), "rolecall.db")
	p := startServer(t, db, "ROLECALL_BOOTSTRAP_TOKEN="+bootstrapToken)
	if strings.Contains(p.Log(), bootstrapToken) {
		t.Fatal("the bootstrap token was printed")
	}
	for _, path := range []string{"/healthz", "/readyz"} {
		if code, body := get(t, p.URL+path, ""); code != 200 {
			t.Fatalf("GET %s = %d %s", path, code, body)
		}
	}

	env := []string{"ROLECALL_URL=" + p.URL, "ROLECALL_TOKEN=" + bootstrapToken}
	out, errOut, code := run(t, env, "token", "create", "--name", "okta", "--scope", "scim")
	if code != 0 {
		t.Fatalf("token create: exit %d: %s", code, errOut)
	}
	secret := strings.TrimSpace(out)
	if !regexp.MustCompile(`^rc_[A-Za-z0-9_-]{43}$`).MatchString(secret) {
		t.Fatalf("token create printed %q, want the secret alone", out)
	}
	// The scim token may not use the admin API, and says why.
	if code, body := get(t, p.URL+"/api/v1/tokens", secret); code != 403 || !strings.Contains(body, `scope \"scim\"`) {
		t.Fatalf("scim token on admin API: %d %s", code, body)
	}
	out, _, code = run(t, env, "token", "list", "-o", "json")
	var list struct {
		Items []struct{ Name, Scope string }
		Total int
	}
	if code != 0 || json.Unmarshal([]byte(out), &list) != nil || list.Total != 2 {
		t.Fatalf("token list: %d %s", code, out)
	}
	if _, errOut, code = run(t, env, "token", "revoke", "okta"); code != 0 {
		t.Fatalf("token revoke: %d %s", code, errOut)
	}
	if code, body := get(t, p.URL+"/api/v1/org", secret); code != 401 || !strings.Contains(body, "revoked") {
		t.Fatalf("revoked token: %d %s", code, body)
	}
	for _, tc := range []struct{ header, want string }{
		{"", "missing bearer token"},
		{"Basic abc", "malformed"},
		{"Bearer " + strings.Repeat("x", 30), "unknown or revoked token"},
	} {
		req, _ := http.NewRequest(http.MethodGet, p.URL+"/api/v1/org", nil)
		if tc.header != "" {
			req.Header.Set("Authorization", tc.header)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 401 || !strings.Contains(string(b), tc.want) {
			t.Errorf("Authorization %q: %d %s; want 401 mentioning %q", tc.header, resp.StatusCode, b, tc.want)
		}
	}
	if code, body := get(t, p.URL+"/api/v1/org?access_token="+bootstrapToken, bootstrapToken); code != 401 || !strings.Contains(body, "URL") {
		t.Errorf("token in query: %d %s", code, body)
	}
	// Metrics count what was served, by route pattern.
	_, metrics := get(t, p.URL+"/metrics", "")
	if !strings.Contains(metrics, `rolecall_http_requests_total{code="401",method="GET",route="GET /api/v1/org"}`) {
		t.Errorf("metrics lack the request counter:\n%.2000s", metrics)
	}
	// On SQLite, the group commit's counters: the bootstrap and token writes committed.
	updates, commits := metricValue(metrics, "rolecall_store_updates_total"), metricValue(metrics, "rolecall_store_commits_total")
	if commits < 1 || updates < commits {
		t.Errorf("store write metrics: %v updates in %v commits; want ≥ 1 commit and updates ≥ commits", updates, commits)
	}
	// Logs carry a request id and never a token.
	if !strings.Contains(p.Log(), "request_id=") || strings.Contains(p.Log(), bootstrapToken) || strings.Contains(p.Log(), secret) {
		t.Errorf("logs: want request ids and no secrets:\n%s", p.Log())
	}
	p.Stop(t)
}

func TestOfflineOrgAndToken(t *testing.T) {
	db := "sqlite:" + filepath.Join(t.TempDir(), "rolecall.db")
	if out, errOut, code := run(t, nil, "org", "create", "acme", "--db", db); code != 0 || !strings.Contains(out, "Created organization acme") {
		t.Fatalf("org create: %d %s %s", code, out, errOut)
	}
	if _, errOut, code := run(t, nil, "org", "create", "ACME", "--db", db); code == 0 || !strings.Contains(errOut, "exists") {
		t.Fatalf("duplicate org: %d %s", code, errOut)
	}
	if _, errOut, code := run(t, nil, "org", "create", "bad name", "--db", db); code == 0 || !strings.Contains(errOut, "letters, digits") {
		t.Fatalf("bad org name: %d %s", code, errOut)
	}
	out, errOut, code := run(t, nil, "token", "create", "--db", db, "--org", "acme", "--name", "admin", "--scope", "admin", "-o", "json")
	var tok struct{ Secret, Org, Scope string }
	if code != 0 || json.Unmarshal([]byte(out), &tok) != nil || tok.Org != "acme" || tok.Scope != "admin" || tok.Secret == "" {
		t.Fatalf("offline token create: %d %s %s", code, out, errOut)
	}
	if _, errOut, code := run(t, nil, "token", "create", "--name", "x", "--scope", "root", "--db", db); code == 0 || !strings.Contains(errOut, `scope "root": use scim, admin`) {
		t.Fatalf("bad scope: %d %s", code, errOut)
	}
	if _, errOut, code := run(t, nil, "token", "create", "--name", "x", "--scope", "scim", "--org", "acme"); code == 0 || !strings.Contains(errOut, "--org needs --db") {
		t.Fatalf("--org without --db: %d %s", code, errOut)
	}
	// A server on that database serves the acme org with the offline token, and does not
	// bootstrap a second org.
	p := startServer(t, strings.TrimPrefix(db, "sqlite:"))
	if c, body := get(t, p.URL+"/api/v1/org", tok.Secret); c != 200 || !strings.Contains(body, `"name":"acme"`) {
		t.Fatalf("offline token on server: %d %s", c, body)
	}
	p.Stop(t)
	out, _, _ = run(t, nil, "org", "list", "--db", db)
	if strings.Contains(out, "default") || !strings.Contains(out, "acme") {
		t.Fatalf("org list: %s", out)
	}
}

func TestConnectionFailureNamesURL(t *testing.T) {
	_, errOut, code := run(t, []string{"ROLECALL_TOKEN=" + bootstrapToken}, "token", "list", "--server", "http://127.0.0.1:1")
	if code == 0 || !strings.Contains(errOut, "cannot reach rolecall at http://127.0.0.1:1") || !strings.Contains(errOut, "--server") {
		t.Fatalf("exit %d, stderr %q", code, errOut)
	}
}

// metricValue returns the value of an unlabelled metric in Prometheus text output, or -1.
func metricValue(text, name string) float64 {
	for _, line := range strings.Split(text, "\n") {
		if v, ok := strings.CutPrefix(line, name+" "); ok {
			f, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
			if err == nil {
				return f
			}
		}
	}
	return -1
}
