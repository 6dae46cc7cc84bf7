package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rolecall/rolecall/internal/access"
	"github.com/rolecall/rolecall/internal/api"
	"github.com/rolecall/rolecall/internal/cli/enforcetext"
	"github.com/rolecall/rolecall/internal/enforce"
	"github.com/rolecall/rolecall/internal/store"
	"github.com/rolecall/rolecall/internal/testenv"
)

// TestGoldenDryRun: the reference organization, seeded through the store and served by a
// real server, previews exactly as the reference page (up to the elapsed time), and the
// dry run changes nothing.
func TestGoldenDryRun(t *testing.T) {
	testenv.EachStore(t, func(t *testing.T, st store.Store) {
		e := newEnforceEnv(t, st, DemoOrg, enforce.ReferenceState())
		r := e.run(t, nil, "scim", "enforce-groups", "--dry-run")
		if r.code != 0 || r.stderr != "" {
			t.Fatalf("exit %d, stderr %q", r.code, r.stderr)
		}
		checkGolden(t, "dry-run.golden", r.stdout)
		if e.runCount(t) != 0 || e.directBindings(t) != 6 {
			t.Error("the dry run changed the database")
		}
	})
}

// TestGoldenLive: a live run with --yes prints the preview, the box, and what it applied;
// afterwards there is nothing left to change, and a second live run records nothing.
func TestGoldenLive(t *testing.T) {
	testenv.EachStore(t, func(t *testing.T, st store.Store) {
		e := newEnforceEnv(t, st, DemoOrg, enforce.ReferenceState())
		r := e.run(t, nil, "scim", "enforce-groups", "--yes")
		if r.code != 0 || r.stderr != "" {
			t.Fatalf("exit %d, stderr %q", r.code, r.stderr)
		}
		checkGolden(t, "live.golden", r.stdout)
		if e.runCount(t) != 1 || e.directBindings(t) != 0 {
			t.Fatalf("runs %d, direct bindings %d after apply", e.runCount(t), e.directBindings(t))
		}

		r = e.run(t, nil, "scim", "enforce-groups", "--dry-run")
		if r.code != 0 || !strings.Contains(r.stdout, enforcetext.MsgNoChanges) {
			t.Errorf("dry run after apply: exit %d\n%s", r.code, r.stdout)
		}
		r = e.run(t, nil, "scim", "enforce-groups")
		if r.code != 0 || !strings.Contains(r.stdout, enforcetext.MsgNoChanges) || strings.Contains(r.stdout, "Starting") {
			t.Errorf("live run with nothing to change: exit %d\n%s%s", r.code, r.stdout, r.stderr)
		}
		checkGolden(t, "nothing.golden", r.stdout)
		if e.runCount(t) != 1 {
			t.Errorf("a run with nothing to change was recorded")
		}
		r = e.run(t, nil, "scim", "enforce-groups", "--enable-groups-only")
		if r.code != 0 || !strings.HasSuffix(r.stdout, "\n"+msgGroupsOnlyOn+"\n") || e.runCount(t) != 1 {
			t.Errorf("--enable-groups-only with nothing to change: exit %d\n%s%s", r.code, r.stdout, r.stderr)
		}
	})
}

// TestPrompt: only y or yes (any case) applies; anything else, and end of input, aborts
// with exit 1 and changes nothing; without a terminal and --yes the command refuses to ask.
func TestPrompt(t *testing.T) {
	cases := []struct {
		name     string
		stdin    func() io.Reader
		code     int
		applied  bool
		inStderr string
	}{
		{"n", func() io.Reader { return &tty{r: strings.NewReader("n\n")} }, 1, false, msgAborted},
		{"empty line", func() io.Reader { return &tty{r: strings.NewReader("\n")} }, 1, false, msgAborted},
		{"EOF", func() io.Reader { return &tty{r: strings.NewReader("")} }, 1, false, msgAborted},
		{"other word", func() io.Reader { return &tty{r: strings.NewReader("yep\n")} }, 1, false, msgAborted},
		{"y", func() io.Reader { return &tty{r: strings.NewReader("y\n")} }, 0, true, ""},
		{"YES", func() io.Reader { return &tty{r: strings.NewReader("YES\n")} }, 0, true, ""},
		{"Yes without newline", func() io.Reader { return &tty{r: strings.NewReader(" Yes")} }, 0, true, ""},
		{"no terminal", func() io.Reader { return strings.NewReader("y\n") }, 2, false, msgNoTerminal},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnforceEnv(t, testenv.SQLite(t), DemoOrg, enforce.ReferenceState())
			r := e.run(t, tc.stdin(), "scim", "enforce-groups")
			if r.code != tc.code {
				t.Fatalf("exit %d, want %d\nstdout:\n%s\nstderr:\n%s", r.code, tc.code, r.stdout, r.stderr)
			}
			if applied := e.runCount(t) == 1; applied != tc.applied {
				t.Errorf("applied = %v, want %v", applied, tc.applied)
			}
			if tc.applied != (e.directBindings(t) == 0) {
				t.Errorf("%d direct bindings left", e.directBindings(t))
			}
			if !strings.Contains(r.stderr, tc.inStderr) {
				t.Errorf("stderr %q does not say %q", r.stderr, tc.inStderr)
			}
			prompted := strings.Contains(r.stdout, enforcetext.PromptProceed)
			if prompted == (tc.name == "no terminal") {
				t.Errorf("prompted = %v", prompted)
			}
			if strings.Contains(r.stdout, enforcetext.MsgApplyStart) != tc.applied {
				t.Errorf("stdout:\n%s", r.stdout)
			}
		})
	}
}

// TestStaleBetweenPreviewAndApply: a membership change while the admin reads the preview
// makes apply refuse (409) and change nothing.
func TestStaleBetweenPreviewAndApply(t *testing.T) {
	testenv.EachStore(t, func(t *testing.T, st store.Store) {
		e := newEnforceEnv(t, st, DemoOrg, enforce.ReferenceState())
		in := &tty{r: strings.NewReader("y\n"), onRead: func() {
			ctx := context.Background()
			err := e.st.Update(ctx, func(tx store.Tx) error {
				_, err := tx.AddMembers(ctx, e.orgID, e.ids["group-developers"], []string{e.ids["user-orphan"]})
				return err
			})
			if err != nil {
				t.Error(err)
			}
		}}
		r := e.run(t, in, "scim", "enforce-groups")
		if r.code != 1 || !strings.Contains(r.stderr, "changed since the preview") || !strings.Contains(r.stderr, "nothing was applied") {
			t.Fatalf("exit %d, stderr %q", r.code, r.stderr)
		}
		if e.runCount(t) != 0 || e.directBindings(t) != 6 {
			t.Error("a stale apply changed the database")
		}
	})
}

func noOwnerReference() *access.State {
	s := enforce.ReferenceState()
	for i := range s.Groups {
		if s.Groups[i].DisplayName == "org-admins" {
			s.Groups[i].Active = false
		}
	}
	return s
}

func TestAllowNoOwner(t *testing.T) {
	e := newEnforceEnv(t, testenv.SQLite(t), "acme", noOwnerReference())
	r := e.run(t, nil, "scim", "enforce-groups", "--yes")
	want := `Error: after enforce-groups no user or service account would be an owner of organization "acme": grant owner on the organization to a group first, or pass --allow-no-owner`
	if r.code != 1 || strings.TrimSpace(r.stderr) != want {
		t.Fatalf("exit %d, stderr %q", r.code, r.stderr)
	}
	if e.runCount(t) != 0 {
		t.Fatal("refused run applied")
	}
	r = e.run(t, nil, "scim", "enforce-groups", "--dry-run")
	if r.code != 0 || !strings.Contains(r.stderr, "Warning: after enforce-groups no user") {
		t.Errorf("dry run: exit %d, stderr %q", r.code, r.stderr)
	}
	r = e.run(t, nil, "scim", "enforce-groups", "--yes", "--allow-no-owner")
	if r.code != 0 || e.runCount(t) != 1 || !strings.Contains(r.stdout, "The organization will be left with no owner.") {
		t.Fatalf("with --allow-no-owner: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
}

func TestJSONOutput(t *testing.T) {
	e := newEnforceEnv(t, testenv.SQLite(t), DemoOrg, enforce.ReferenceState())
	r := e.run(t, nil, "scim", "enforce-groups", "--dry-run", "-o", "json")
	var p enforce.Plan
	if r.code != 0 || json.Unmarshal([]byte(r.stdout), &p) != nil || p.SchemaVersion != 1 || len(p.Users) != 2 || p.Fingerprint == "" {
		t.Fatalf("dry run JSON: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	r = e.run(t, &tty{r: strings.NewReader("y\n")}, "scim", "enforce-groups", "-o", "json")
	if r.code != 2 || !strings.Contains(r.stderr, msgJSONLive) || r.stdout != "" || e.runCount(t) != 0 {
		t.Fatalf("live JSON without --yes: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	r = e.run(t, nil, "scim", "enforce-groups", "--yes", "-o", "json", "--enable-groups-only")
	var res api.EnforceApplyResult
	if r.code != 0 || json.Unmarshal([]byte(r.stdout), &res) != nil || !res.Applied || res.RunID == "" || !res.GroupsOnly ||
		res.Plan.Fingerprint != p.Fingerprint || res.Run == nil || res.Run.DeletedBindings != 6 {
		t.Fatalf("live JSON: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	r = e.run(t, nil, "scim", "runs", "list", "-o", "json")
	var l api.List[api.EnforceRun]
	if r.code != 0 || json.Unmarshal([]byte(r.stdout), &l) != nil || l.Total != 1 || l.Items[0].ID != res.RunID {
		t.Fatalf("runs list JSON: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	r = e.run(t, nil, "scim", "runs", "show", res.RunID, "-o", "json")
	var run api.EnforceRun
	if r.code != 0 || json.Unmarshal([]byte(r.stdout), &run) != nil || run.Plan == nil || run.Plan.Fingerprint != p.Fingerprint {
		t.Fatalf("runs show JSON: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
}

// TestUndoCommand: undo prints what it restored and what it skipped, with the reasons; a
// second undo is refused.
func TestUndoCommand(t *testing.T) {
	testenv.EachStore(t, func(t *testing.T, st store.Store) {
		e := newEnforceEnv(t, st, DemoOrg, enforce.ReferenceState())
		r := e.run(t, nil, "scim", "enforce-groups", "--yes", "-o", "json")
		var res api.EnforceApplyResult
		if r.code != 0 || json.Unmarshal([]byte(r.stdout), &res) != nil {
			t.Fatalf("apply: exit %d\n%s%s", r.code, r.stdout, r.stderr)
		}
		ctx := context.Background()
		err := e.st.Update(ctx, func(tx store.Tx) error {
			if _, _, err := tx.CreateBinding(ctx, store.Binding{OrgID: e.orgID, ResourceID: e.ids["cloud-staging"], PrincipalType: store.PrincipalUser,
				PrincipalID: e.ids["user-1"], Role: "owner", CreatedAt: store.Now()}); err != nil {
				return err
			}
			u, err := tx.User(ctx, e.orgID, e.ids["user-orphan"])
			if err != nil {
				return err
			}
			u.Active, u.Removed = true, false
			_, err = tx.UpdateUser(ctx, u, 0)
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		r = e.run(t, nil, "scim", "enforce-groups", "undo", res.RunID)
		if r.code != 0 {
			t.Fatalf("undo: exit %d\n%s%s", r.code, r.stdout, r.stderr)
		}
		checkGolden(t, "undo.golden", r.stdout)

		r = e.run(t, nil, "scim", "enforce-groups", "undo", res.RunID)
		if r.code != 1 || !strings.Contains(r.stderr, "was already undone") {
			t.Errorf("second undo: exit %d, stderr %q", r.code, r.stderr)
		}
		r = e.run(t, nil, "scim", "runs", "show", res.RunID)
		if r.code != 0 || !strings.Contains(r.stdout, "=== Applied Permission Changes ===") || !strings.Contains(r.stdout, "=== Undo ===") {
			t.Errorf("runs show: exit %d\n%s%s", r.code, r.stdout, r.stderr)
		}
		r = e.run(t, nil, "scim", "runs", "list")
		if r.code != 0 || !strings.Contains(r.stdout, res.RunID) {
			t.Errorf("runs list: exit %d\n%s%s", r.code, r.stdout, r.stderr)
		}
	})
}

func TestUndoUnknownRun(t *testing.T) {
	e := newEnforceEnv(t, testenv.SQLite(t), DemoOrg, enforce.ReferenceState())
	r := e.run(t, nil, "scim", "enforce-groups", "undo", "nope")
	if r.code != 1 || !strings.Contains(r.stderr, `no enforce-groups run "nope"`) {
		t.Errorf("exit %d, stderr %q", r.code, r.stderr)
	}
}

func TestDemo(t *testing.T) {
	var out, errb bytes.Buffer
	a := &App{Stdin: strings.NewReader(""), Stdout: &out, Stderr: &errb, Getenv: func(string) string { return "" }}
	if code := a.Run(context.Background(), []string{"demo"}); code != 0 {
		t.Fatalf("demo: exit %d\n%s", code, errb.String())
	}
	checkGolden(t, "dry-run.golden", out.String())
}

// fakeTerminal is a stderr that claims to be a terminal.
type fakeTerminal struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (f *fakeTerminal) IsTerminal() bool { return true }
func (f *fakeTerminal) Write(p []byte) (int, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.b.Write(p)
}
func (f *fakeTerminal) String() string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.b.String()
}

// TestProgress: the progress line is drawn with \r only on a terminal, never in JSON mode,
// and erased when the step ends.
func TestProgress(t *testing.T) {
	term := &fakeTerminal{}
	a := &App{Stderr: term, output: "table"}
	stop := a.enforceProgress(time.Now(), "Applying")
	time.Sleep(progressDelay + 250*time.Millisecond)
	stop()
	got := term.String()
	if !strings.HasPrefix(got, "\r") || !strings.Contains(got, "Applying... ") || !strings.HasSuffix(got, "\r\033[K") {
		t.Errorf("progress on a terminal: %q", got)
	}
	for _, a := range []*App{{Stderr: &fakeTerminal{}, output: "json"}, {Stderr: &bytes.Buffer{}, output: "table"}} {
		stop := a.enforceProgress(time.Now(), "Applying")
		time.Sleep(progressDelay + 150*time.Millisecond)
		stop()
		if s, ok := a.Stderr.(interface{ String() string }); ok && s.String() != "" {
			t.Errorf("progress drawn where it must not be: %q", s.String())
		}
	}
}
