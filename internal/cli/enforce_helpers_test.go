package cli

import (
	"bytes"
	"context"
	"flag"
	"io"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/rolecall/rolecall/internal/access"
	"github.com/rolecall/rolecall/internal/server"
	"github.com/rolecall/rolecall/internal/store"
)

var updateGolden = flag.Bool("update-enforce", false, "rewrite testdata/enforce/*.golden")

// enforceEnv is a real rolecall server (httptest, temp database) holding one seeded org,
// seeded by the demo's own seedOrg (not testenv.Seed) so that the demo's path is the one tested.
type enforceEnv struct {
	st     store.Store
	orgID  string
	ids    map[string]string
	url    string
	secret string
}

// newEnforceEnv starts a server on st with the org name seeded from s.
func newEnforceEnv(t *testing.T, st store.Store, name string, s *access.State) *enforceEnv {
	t.Helper()
	orgID, secret, ids, err := seedOrg(context.Background(), st, name, s)
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(server.New(server.Config{}, st, nil, nil).Handler())
	t.Cleanup(hs.Close)
	return &enforceEnv{st: st, orgID: orgID, ids: ids, url: hs.URL, secret: secret}
}

type result struct {
	stdout, stderr string
	code           int
}

// run runs the CLI against the env's server with stdin (nil: empty, not a terminal).
func (e *enforceEnv) run(t *testing.T, stdin io.Reader, args ...string) result {
	t.Helper()
	if stdin == nil {
		stdin = strings.NewReader("")
	}
	var out, errb bytes.Buffer
	a := &App{Stdin: stdin, Stdout: &out, Stderr: &errb, Getenv: func(string) string { return "" }}
	code := a.Run(context.Background(), append([]string{"--server", e.url, "--token", e.secret}, args...))
	return result{out.String(), errb.String(), code}
}

// tty is a stdin that claims to be a terminal; onRead runs before the first read (a test
// uses it to change the database while the admin "reads" the preview).
type tty struct {
	r      io.Reader
	onRead func()
}

func (t *tty) IsTerminal() bool { return true }

func (t *tty) Read(p []byte) (int, error) {
	if t.onRead != nil {
		f := t.onRead
		t.onRead = nil
		f()
	}
	return t.r.Read(p)
}

var (
	elapsedRE = regexp.MustCompile(`\(rolecall \+\d+\.\ds\)`)
	uuidRE    = regexp.MustCompile(`[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}`)
)

// normalize replaces what differs from run to run: elapsed times and run ids.
func normalize(s string) string {
	s = elapsedRE.ReplaceAllString(s, "(rolecall +N.Ns)")
	return uuidRE.ReplaceAllString(s, "RUN_ID")
}

// checkGolden compares got with testdata/enforce/name after normalising both.
func checkGolden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", "enforce", name)
	if *updateGolden {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(uuidRE.ReplaceAllString(got, "RUN_ID")), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -run Golden -update-enforce to create it)", err)
	}
	if normalize(got) != normalize(string(want)) {
		t.Errorf("output differs from %s:\n--- got ---\n%s\n--- want ---\n%s", path, got, want)
	}
}

// runCount is how many enforce-groups runs the org has recorded.
func (e *enforceEnv) runCount(t *testing.T) int {
	t.Helper()
	ctx := context.Background()
	var n int
	if err := e.st.View(ctx, func(tx store.Tx) (err error) { _, n, err = tx.ListRuns(ctx, e.orgID, store.Page{}); return err }); err != nil {
		t.Fatal(err)
	}
	return n
}

// directBindings counts the org's direct user bindings.
func (e *enforceEnv) directBindings(t *testing.T) int {
	t.Helper()
	ctx := context.Background()
	var bs []store.Binding
	if err := e.st.View(ctx, func(tx store.Tx) (err error) {
		bs, err = tx.ListBindings(ctx, e.orgID, store.BindingFilter{PrincipalType: store.PrincipalUser})
		return err
	}); err != nil {
		t.Fatal(err)
	}
	return len(bs)
}
