package cli

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/rolecall/rolecall/internal/api"
)

// The CLI never pretends: a mistake on the command line fails, errors have one shape, and
// nothing is deleted or created that the admin did not ask for.

func TestUnknownSubcommandsFail(t *testing.T) {
	e := newCLIEnv(t)
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"cloud", "lst"}, `unknown command "lst" for "rolecall cloud"; did you mean get or list?`},
		{[]string{"org", "show"}, `unknown command "show" for "rolecall org"`},
		{[]string{"scim", "runs", "shwo", "x"}, `unknown command "shwo" for "rolecall scim runs"; did you mean get?`},
		{[]string{"frobnicate"}, `unknown command "frobnicate" for "rolecall"`},
	} {
		out, errOut, code := e.run(tc.args...)
		if code != 1 || out != "" || !strings.HasPrefix(errOut, "Error: ") || !strings.Contains(errOut, tc.want) {
			t.Errorf("rolecall %s: exit %d\nstdout %q\nstderr %q\nwant exit 1 and %q", strings.Join(tc.args, " "), code, out, errOut, tc.want)
		}
	}
	// A group command alone shows its help, as asked.
	if out, _, code := e.run("cloud"); code != 0 || !strings.Contains(out, "Available Commands") {
		t.Errorf("rolecall cloud: exit %d, %q", code, out)
	}
}

func TestJSONErrorsOnStderr(t *testing.T) {
	e := newCLIEnv(t)
	for _, tc := range []struct {
		args         []string
		status       int
		code, substr string
	}{
		{[]string{"cloud", "lst", "-o", "json"}, 0, "usage", "unknown command"},
		{[]string{"frobnicate", "-o", "json"}, 0, "usage", "unknown command"},
		{[]string{"cloud", "get", "nope", "-o", "json"}, 404, "not_found", "nope"},
		{[]string{"grant", "owner", "--user", "ghost@example.com", "--org", "-o", "JSON"}, 404, "not_found", "ghost@example.com"},
		{[]string{"token", "create", "--name", "x", "--scope", "admin", "--expires-in", "soon", "-o", "json"}, 0, "usage", "--expires-in"},
	} {
		out, errOut, code := e.run(tc.args...)
		var got jsonError
		if err := json.Unmarshal([]byte(errOut), &got); err != nil || code != 1 || out != "" {
			t.Errorf("rolecall %s: exit %d, stdout %q, stderr %q (%v)", strings.Join(tc.args, " "), code, out, errOut, err)
			continue
		}
		if got.Error.Status != tc.status || got.Error.Code != tc.code || !strings.Contains(got.Error.Message, tc.substr) {
			t.Errorf("rolecall %s: %+v, want status %d code %q containing %q", strings.Join(tc.args, " "), got.Error, tc.status, tc.code, tc.substr)
		}
	}
}

func TestTokenLifetimeInDays(t *testing.T) {
	e := newCLIEnv(t)
	out, errOut, code := e.run("token", "create", "--name", "okta", "--scope", "SCIM", "--expires-in", "30d", "-o", "json")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	var tok api.CreatedToken
	if err := json.Unmarshal([]byte(out), &tok); err != nil {
		t.Fatal(err)
	}
	if tok.Scope != "scim" || tok.ExpiresAt == nil {
		t.Fatalf("token %+v", tok)
	}
	if d := time.Until(*tok.ExpiresAt); d < 30*24*time.Hour-time.Minute || d > 30*24*time.Hour {
		t.Errorf("expires in %v, want 30 days", d)
	}
}

func TestRoleNamesIgnoreCase(t *testing.T) {
	e := newCLIEnv(t)
	if _, errOut, code := e.run("service-account", "create", "deploy"); code != 0 {
		t.Fatal(errOut)
	}
	out, errOut, code := e.run("grant", "Owner", "--service-account", "deploy", "--org", "-o", "json")
	var g api.Grant
	if code != 0 || json.Unmarshal([]byte(out), &g) != nil || g.Role != "owner" {
		t.Fatalf("grant Owner: exit %d %s %s", code, out, errOut)
	}
}

func TestOfflineRefusesMissingSQLite(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir)
	e := newCLIEnv(t)
	for _, args := range [][]string{
		{"token", "list", "--db", "sqlite:missing.db"},
		{"backup", "copy.db", "--db", "sqlite:missing.db"},
	} {
		_, errOut, code := e.run(args...)
		want := "no rolecall database at " + filepath.Join(dir, "missing.db")
		if code != 1 || !strings.Contains(errOut, want) {
			t.Errorf("rolecall %s: exit %d, %q; want %q", strings.Join(args, " "), code, errOut, want)
		}
		if _, err := os.Stat(filepath.Join(dir, "missing.db")); err == nil {
			t.Fatalf("rolecall %s created the database", strings.Join(args, " "))
		}
	}
	// org create is how a database for several organizations starts: it may create the file,
	// and says so.
	out, errOut, code := e.run("org", "create", "acme", "--db", "sqlite:new.db")
	if code != 0 || !strings.Contains(out, "Created the database "+filepath.Join(dir, "new.db")) {
		t.Errorf("org create on a new path: exit %d %q %q", code, out, errOut)
	}
}

func TestDeleteAsksFirst(t *testing.T) {
	e := newCLIEnv(t)
	for _, args := range [][]string{
		{"cloud", "create", "prod"}, {"project", "create", "api", "--cloud", "prod"},
		{"service-account", "create", "ci"}, {"grant", "collaborator", "--service-account", "ci", "--project", "api"},
	} {
		if _, errOut, code := e.run(args...); code != 0 {
			t.Fatalf("%v: %s", args, errOut)
		}
	}
	exists := func() bool { _, _, code := e.run("project", "get", "api"); return code == 0 }

	// No terminal, no --yes: refused, nothing deleted.
	if _, errOut, code := e.run("project", "delete", "api"); code != exitNoPrompt || !strings.Contains(errOut, "pass --yes") || !exists() {
		t.Fatalf("without a terminal: exit %d %q", code, errOut)
	}
	// At a terminal: the question names what goes with the project; "n" keeps it.
	out, errOut, code := e.runIn(&tty{r: strings.NewReader("n\n")}, "project", "delete", "api")
	if code != exitAborted || !strings.Contains(out, "Delete project api (cloud prod)? Its 1 grant goes with it. [y/N]: ") ||
		!strings.Contains(errOut, "nothing was deleted") || !exists() {
		t.Fatalf("answered n: exit %d %q %q", code, out, errOut)
	}
	if _, errOut, code := e.run("project", "delete", "api", "-o", "json"); code != exitNoPrompt || !exists() {
		t.Fatalf("-o json without --yes: exit %d %q", code, errOut)
	}
	if out, errOut, code := e.runIn(&tty{r: strings.NewReader("y\n")}, "project", "delete", "api"); code != 0 ||
		!strings.Contains(out, "Deleted project api") || exists() {
		t.Fatalf("answered y: exit %d %q %q", code, out, errOut)
	}
	// --yes deletes without a question, for scripts.
	if out, errOut, code := e.run("service-account", "delete", "ci", "--yes"); code != 0 || strings.Contains(out, "[y/N]") {
		t.Fatalf("--yes: exit %d %q %q", code, out, errOut)
	}
}

func TestUnknownTokenSaysSo(t *testing.T) {
	e := newCLIEnv(t)
	for _, tok := range []string{"rc_short", "rc_" + strings.Repeat("A", 43)} {
		e.token = tok
		_, errOut, code := e.run("cloud", "list")
		if code != 1 || !strings.Contains(errOut, "Error: unknown or revoked token") {
			t.Errorf("token %q: exit %d %q", tok, code, errOut)
		}
	}
}
