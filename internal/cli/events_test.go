package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rolecall/rolecall/internal/events"
)

// syncBuffer is a bytes.Buffer safe to read while a command writes to it.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func decodeLines(t *testing.T, out string) []events.CloudEvent {
	t.Helper()
	var evs []events.CloudEvent
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		if line == "" {
			continue
		}
		var ce events.CloudEvent
		if err := json.Unmarshal([]byte(line), &ce); err != nil {
			t.Fatalf("line %q: %v", line, err)
		}
		evs = append(evs, ce)
	}
	return evs
}

// TestEventsTail: an offline write (token create --db) emits its event like an online one;
// `events tail -o json` prints the feed as CloudEvents lines with an events-scope token,
// resumes with --after, filters with --types, and --follow prints a new event as it commits.
func TestEventsTail(t *testing.T) {
	cliBackends(t, func(t *testing.T, e *cliEnv) {
		dsn := e.dsn
		feedTok, errOut, code := e.run("token", "create", "--db", dsn, "--org", "default", "--name", "feed", "--scope", "events")
		if code != 0 {
			t.Fatalf("offline token create: %d %s", code, errOut)
		}
		feedTok = strings.TrimSpace(feedTok)
		if _, errOut, code := e.run("cloud", "create", "prod"); code != 0 {
			t.Fatalf("cloud create: %s", errOut)
		}

		out, errOut, code := e.run("events", "tail", "-o", "json", "--token", feedTok)
		if code != 0 {
			t.Fatalf("events tail: %d %s", code, errOut)
		}
		evs := decodeLines(t, out)
		if len(evs) != 2 || evs[0].Type != string(events.TokenCreated) || evs[0].Actor == "" ||
			evs[1].Type != string(events.ResourceCreated) {
			t.Fatalf("events tail printed %+v", evs)
		}
		if err := events.Validate(evs[1]); err != nil {
			t.Error(err)
		}
		// The events token reads the feed and nothing else.
		if _, errOut, code := e.run("cloud", "list", "--token", feedTok); code == 0 || !strings.Contains(errOut, "events") {
			t.Errorf("cloud list with an events token: exit %d, %s", code, errOut)
		}

		if _, errOut, code := e.run("project", "create", "billing", "--cloud", "prod"); code != 0 {
			t.Fatalf("project create: %s", errOut)
		}
		out, _, _ = e.run("events", "tail", "-o", "json", "--after", evs[1].Revision)
		if got := decodeLines(t, out); len(got) != 1 || got[0].Subject == evs[1].Subject {
			t.Errorf("--after %s printed %+v", evs[1].Revision, got)
		}
		out, _, _ = e.run("events", "tail", "-o", "json", "--types", "token.created")
		if got := decodeLines(t, out); len(got) != 1 || got[0].Type != string(events.TokenCreated) {
			t.Errorf("--types token.created printed %+v", got)
		}
		if _, errOut, code := e.run("events", "tail", "--types", "user.exploded"); code == 0 || !strings.Contains(errOut, "unknown event type") {
			t.Errorf("unknown type: exit %d %s", code, errOut)
		}
		// In text, a group grant's event is followed by the role changes of its members.
		e.seed([]string{"alice@example.com"}, nil, [][2]any{{"eng", []string{"alice@example.com"}}})
		if _, errOut, code := e.run("grant", "collaborator", "--group", "eng", "--project", "billing"); code != 0 {
			t.Fatalf("grant: %s", errOut)
		}
		out, errOut, code = e.run("events", "tail", "--types", "grant.created")
		if code != 0 || !strings.Contains(out, "grant.created") || !strings.Contains(out, "alice@example.com  project billing  none → collaborator") {
			t.Errorf("events tail (text) after a group grant: exit %d\n%s%s", code, out, errOut)
		}

		// --follow: a new event shows as it commits; interrupting ends it cleanly.
		ctx, cancel := context.WithCancel(context.Background())
		var stdout, stderr syncBuffer
		env := map[string]string{"ROLECALL_URL": e.url, "ROLECALL_TOKEN": feedTok}
		app := &App{Stdin: strings.NewReader(""), Stdout: &stdout, Stderr: &stderr, Getenv: func(k string) string { return env[k] }}
		done := make(chan int, 1)
		go func() { done <- app.Run(ctx, []string{"events", "tail", "--follow", "--types", "resource.created"}) }()
		if _, errOut, code := e.run("cloud", "create", "staging"); code != 0 {
			t.Fatalf("cloud create: %s", errOut)
		}
		deadline := time.Now().Add(5 * time.Second)
		for !strings.Contains(stdout.String(), "clouds/") || strings.Count(stdout.String(), "resource.created") < 3 {
			if time.Now().After(deadline) {
				t.Fatalf("--follow printed:\n%s\nstderr: %s", stdout.String(), stderr.String())
			}
			time.Sleep(20 * time.Millisecond)
		}
		cancel()
		select {
		case code := <-done:
			if code != 0 {
				t.Errorf("interrupted --follow exited %d: %s", code, stderr.String())
			}
		case <-time.After(5 * time.Second):
			t.Fatal("--follow did not stop when interrupted")
		}
	})
}

// TestAccessLines: under an event, `events tail` prints its role changes, at most a few, and
// says how many more there are (those the event omitted included); nothing without access.
func TestAccessLines(t *testing.T) {
	ch := func(user, res, before, after string) string {
		return `{"userId":"u","userName":"` + user + `","resourceKind":"project","resourceId":"p","resourceName":"` + res +
			`","before":"` + before + `","after":"` + after + `"}`
	}
	for _, tc := range []struct {
		name, data string
		want       []string
	}{
		{"no access", `{"user":{"id":"u"}}`, nil},
		{"no change", `{"access":{"changes":[]}}`, nil},
		{"two", `{"access":{"changes":[` + ch("alice", "billing", "none", "collaborator") + `,` + ch("bob", "wiki", "readonly", "none") + `]}}`,
			[]string{"alice  project billing  none → collaborator", "bob  project wiki  readonly → none"}},
		{"capped, with omitted", `{"access":{"changes":[` + ch("a", "p1", "none", "owner") + `,` + ch("b", "p1", "none", "owner") + `,` +
			ch("c", "p1", "none", "owner") + `],"omitted":10}}`,
			[]string{"a  project p1  none → owner", "b  project p1  none → owner", "… and 11 more role changes (-o json lists them)"}},
		{"not JSON", `nope`, nil},
	} {
		got := accessLines(json.RawMessage(tc.data), 2)
		if strings.Join(got, "\n") != strings.Join(tc.want, "\n") {
			t.Errorf("%s: %q, want %q", tc.name, got, tc.want)
		}
	}
}
