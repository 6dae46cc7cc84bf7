package cli

import (
	"strings"
	"testing"
)

// TestActionAndCheck: custom actions are defined, listed and deleted from the CLI, and
// rolecall check answers allow (exit 0) or deny (exit 1) with the reason, following them.
func TestActionAndCheck(t *testing.T) {
	e := newCLIEnv(t)
	e.seed([]string{"alice@example.com"}, nil, nil)
	for _, args := range [][]string{
		{"cloud", "create", "prod"},
		{"project", "create", "api", "--cloud", "prod"},
		{"grant", "collaborator", "--user", "alice@example.com", "--project", "api"},
	} {
		if out, errOut, code := e.run(args...); code != 0 {
			t.Fatalf("%v: %d %s %s", args, code, out, errOut)
		}
	}
	check := func(wantCode int, wantOut string, args ...string) {
		t.Helper()
		out, errOut, code := e.run(append([]string{"check", "--user", "ALICE@example.com"}, args...)...)
		if code != wantCode || !strings.Contains(out, wantOut) {
			t.Errorf("check %v: exit %d\n%s%s\nwant exit %d and %q", args, code, out, errOut, wantCode, wantOut)
		}
	}
	check(0, "allow: user", "--action", "write", "--project", "api")
	check(1, "deny: user", "--action", "delete", "--project", "api")
	check(1, "needs role owner", "--action", "delete", "--project", "api")
	check(1, "deny", "--action", "deploy", "--project", "api")
	check(0, "effective role: collaborator", "--action", "read", "--project", "api", "--explain")
	check(1, "deny", "--action", "read", "--org")

	if out, errOut, code := e.run("action", "set", "deploy", "--project", "collaborator", "--cloud", "owner"); code != 0 || !strings.Contains(out, "project needs collaborator") {
		t.Fatalf("action set: %d %s %s", code, out, errOut)
	}
	check(0, "allow", "--action", "deploy", "--project", "api")
	check(1, "deny", "--action", "deploy", "--cloud", "prod")
	if out, _, code := e.run("action", "list"); code != 0 || !strings.Contains(out, "deploy") || !strings.Contains(out, "owner") {
		t.Errorf("action list: %d %s", code, out)
	}
	if out, errOut, code := e.run("action", "set", "read", "--project", "owner"); code == 0 || !strings.Contains(out+errOut, "built-in") {
		t.Errorf("redefining read: %d %s %s", code, out, errOut)
	}
	if out, errOut, code := e.run("action", "delete", "deploy"); code != 0 {
		t.Fatalf("action delete: %d %s %s", code, out, errOut)
	}
	check(1, "deny", "--action", "deploy", "--project", "api")
	if _, errOut, code := e.run("check", "--user", "alice@example.com", "--project", "api"); code == 0 || !strings.Contains(errOut, "--action") {
		t.Errorf("check without --action: %d %s", code, errOut)
	}
}
