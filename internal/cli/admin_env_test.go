package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/rolecall/rolecall/internal/audit"
	"github.com/rolecall/rolecall/internal/store"
	"github.com/rolecall/rolecall/internal/store/sqlstore/sqltest"
	"github.com/rolecall/rolecall/internal/testenv"
)

// updateAdminGolden rewrites the golden files: go test ./internal/cli -run TestAdminCLI -update
var updateAdminGolden = flag.Bool("update", false, "rewrite the golden files in testdata/")

// cliEnv is a real server on a fresh database, and the CLI pointed at it through the
// environment, the way a person would use it.
type cliEnv struct {
	t     *testing.T
	st    store.Store
	dsn   string // the server's database, for offline commands (--db)
	url   string
	orgID string
	token string
}

const cliTestToken = "rc_cli_test_token_0123456789abc"

// cliBackends runs fn on SQLite, and on PostgreSQL (a subtest that says it skipped when
// sqltest.EnvPostgres is not set).
func cliBackends(t *testing.T, fn func(t *testing.T, e *cliEnv)) {
	testenv.Each(t, testenv.Options{AdminToken: cliTestToken}, func(t *testing.T, env *testenv.Env) {
		fn(t, fromTestenv(t, env))
	})
}

// newCLIEnv is a server on a fresh SQLite database, for tests that do not depend on the
// backend.
func newCLIEnv(t *testing.T) *cliEnv {
	t.Helper()
	return fromTestenv(t, testenv.New(t, sqltest.SQLiteDSN(t), testenv.Options{AdminToken: cliTestToken}))
}

func fromTestenv(t *testing.T, env *testenv.Env) *cliEnv {
	return &cliEnv{t: t, st: env.Store, dsn: env.DSN, url: env.URL, orgID: env.OrgID, token: env.AdminToken}
}

// run runs the CLI in-process and returns its output and exit code.
func (e *cliEnv) run(args ...string) (stdout, stderr string, code int) {
	return e.runIn(strings.NewReader(""), args...)
}

// runIn is run with stdin (a *tty answers prompts as a terminal would).
func (e *cliEnv) runIn(stdin io.Reader, args ...string) (stdout, stderr string, code int) {
	var out, errb bytes.Buffer
	env := map[string]string{"ROLECALL_URL": e.url, "ROLECALL_TOKEN": e.token}
	app := &App{Stdin: stdin, Stdout: &out, Stderr: &errb, Getenv: func(k string) string { return env[k] }}
	code = app.Run(context.Background(), args)
	return out.String(), errb.String(), code
}

// transcript records commands and their output like a terminal session.
type transcript struct {
	e   *cliEnv
	buf strings.Builder
}

// do runs a command, records it, and fails the test when the exit code is not want.
func (tr *transcript) do(want int, args ...string) string {
	tr.e.t.Helper()
	out, errOut, code := tr.e.run(args...)
	fmt.Fprintf(&tr.buf, "$ rolecall %s\n%s", strings.Join(args, " "), out)
	if errOut != "" {
		for _, line := range strings.Split(strings.TrimRight(errOut, "\n"), "\n") {
			fmt.Fprintf(&tr.buf, "stderr: %s\n", line)
		}
	}
	if code != 0 {
		fmt.Fprintf(&tr.buf, "exit %d\n", code)
	}
	tr.buf.WriteString("\n")
	if code != want {
		tr.e.t.Errorf("rolecall %s: exit %d, want %d\nstdout: %s\nstderr: %s", strings.Join(args, " "), code, want, out, errOut)
	}
	return out
}

var (
	adminUUIDRE = regexp.MustCompile(`[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}`)
	adminTimeRE = regexp.MustCompile(`\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z`)
	adminPortRE = regexp.MustCompile(`127\.0\.0\.1:\d+`)
	adminReqRE  = regexp.MustCompile(`"requestId": "[0-9a-f]+"`)
)

// adminStable replaces ids (numbered in order of first appearance), times and the test server's
// port with placeholders, of the same width where tables need it, so that golden files stay
// aligned.
func adminStable(s string) string {
	ids := map[string]string{}
	s = adminUUIDRE.ReplaceAllStringFunc(s, func(id string) string {
		if p, ok := ids[id]; ok {
			return p
		}
		p := fmt.Sprintf("<id-%d", len(ids)+1)
		p += strings.Repeat("_", len(id)-len(p)-1) + ">"
		ids[id] = p
		return p
	})
	// Fractional seconds vary in length (trailing zeros are dropped), so every time becomes
	// the width of a table's RFC 3339 second-precision time.
	s = adminTimeRE.ReplaceAllString(s, "<time"+strings.Repeat("_", 14)+">")
	s = adminReqRE.ReplaceAllString(s, `"requestId": "<request-id>"`)
	return adminPortRE.ReplaceAllString(s, "127.0.0.1:PORT")
}

// adminGolden compares got with testdata/name (after stable), or rewrites it with -update.
func adminGolden(t *testing.T, name, got string) {
	t.Helper()
	got = adminStable(got)
	path := filepath.Join("testdata", name)
	if *updateAdminGolden {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (create it with go test ./internal/cli -run %s -update)", err, t.Name())
	}
	if got != string(want) {
		gl, wl := strings.Split(got, "\n"), strings.Split(string(want), "\n")
		for i := 0; i < len(gl) || i < len(wl); i++ {
			var g, w string
			if i < len(gl) {
				g = gl[i]
			}
			if i < len(wl) {
				w = wl[i]
			}
			if g != w {
				t.Fatalf("%s differs at line %d:\n got: %q\nwant: %q\n(rerun with -update if the change is intended)", path, i+1, g, w)
			}
		}
	}
}

// seed writes users and groups straight to the store (the SCIM handlers are not under test
// here): users by userName (active unless in inactive), groups with members by name.
func (e *cliEnv) seed(users []string, inactive map[string]bool, groups [][2]any) {
	e.t.Helper()
	ctx := audit.WithActor(context.Background(), audit.Actor{Name: "seed"})
	ids := map[string]string{}
	err := e.st.Update(ctx, func(tx store.Tx) error {
		for _, name := range users {
			u, err := tx.CreateUser(ctx, store.User{OrgID: e.orgID, UserName: name, DisplayName: strings.Split(name, "@")[0],
				Active: !inactive[name], Emails: []store.Email{{Value: name, Type: "work", Primary: true}}, Doc: json.RawMessage(`{}`)})
			if err != nil {
				return err
			}
			ids[name] = u.ID
		}
		for _, g := range groups {
			grp, err := tx.CreateGroup(ctx, store.Group{OrgID: e.orgID, DisplayName: g[0].(string), Active: true, Doc: json.RawMessage(`{}`)})
			if err != nil {
				return err
			}
			ids[g[0].(string)] = grp.ID
			var members []string
			for _, m := range g[1].([]string) {
				members = append(members, ids[m])
			}
			if len(members) > 0 {
				if _, err := tx.AddMembers(ctx, e.orgID, grp.ID, members); err != nil {
					return err
				}
			}
		}
		return nil
	})
	if err != nil {
		e.t.Fatalf("seed: %v", err)
	}
}
