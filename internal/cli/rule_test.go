package cli

import (
	"context"
	"regexp"
	"strings"
	"testing"

	"github.com/rolecall/rolecall/internal/enforce"
	"github.com/rolecall/rolecall/internal/store"
	"github.com/rolecall/rolecall/internal/testenv"
)

// TestGoldenRules drives rolecall rule against a real server on the reference org, on both
// backends: add --dry-run (the preview in enforce's format, a missing project reported),
// add without a terminal (refused, nothing changed), add --yes, list, delete --yes, changes
// and undo; the outputs are golden files.
func TestGoldenRules(t *testing.T) {
	testenv.EachStore(t, func(t *testing.T, st store.Store) {
		e := newEnforceEnv(t, st, DemoOrg, enforce.ReferenceState())
		ruleBindings := func() int {
			var n int
			err := st.View(context.Background(), func(tx store.Tx) error {
				bs, err := tx.RuleBindings(context.Background(), e.orgID, "")
				n = len(bs)
				return err
			})
			if err != nil {
				t.Fatal(err)
			}
			return n
		}
		add := []string{"rule", "add", "devs-staging", "--match", "displayName", "--value", "developers", "--cloud", "staging-cloud", "--role", "collaborator"}
		r := e.run(t, nil, append(add, "--dry-run")...)
		if r.code != 0 {
			t.Fatalf("add --dry-run: %d %s", r.code, r.stderr)
		}
		checkGolden(t, "rule-add-dry-run.golden", r.stdout)

		r = e.run(t, nil, add...)
		if r.code != exitNoPrompt || !strings.Contains(r.stderr, "--yes") || ruleBindings() != 0 {
			t.Fatalf("add without a terminal: code %d stderr %q, %d rule bindings", r.code, r.stderr, ruleBindings())
		}
		r = e.run(t, &tty{r: strings.NewReader("n\n")}, add...)
		if r.code != exitAborted || ruleBindings() != 0 {
			t.Fatalf("add answered no: code %d stderr %q", r.code, r.stderr)
		}

		r = e.run(t, nil, append(add, "--yes")...)
		if r.code != 0 || ruleBindings() != 1 {
			t.Fatalf("add --yes: %d %s, %d rule bindings", r.code, r.stderr, ruleBindings())
		}
		checkGolden(t, "rule-add-yes.golden", r.stdout)

		r = e.run(t, nil, "rule", "add", "backend-projects", "--match", "pattern", "--value", `^(?P<project>[a-z]+)end$`, "--role", "readonly", "--yes")
		if r.code != 0 {
			t.Fatalf("add pattern: %d %s", r.code, r.stderr)
		}
		checkGolden(t, "rule-add-missing-project.golden", r.stdout)

		r = e.run(t, nil, "rule", "move", "backend-projects", "--position", "1", "--yes")
		if r.code != 0 || !strings.Contains(r.stdout, `Changed rule "backend-projects"`) {
			t.Fatalf("move: %d %s %s", r.code, r.stdout, r.stderr)
		}
		r = e.run(t, nil, "rule", "move", "backend-projects", "--position", "2", "--yes")
		if r.code != 0 {
			t.Fatalf("move back: %d %s", r.code, r.stderr)
		}

		r = e.run(t, nil, "rule", "list")
		if r.code != 0 {
			t.Fatalf("list: %d %s", r.code, r.stderr)
		}
		// Rule IDs are derived from the org's (random) ID.
		checkGolden(t, "rule-list.golden", regexp.MustCompile(`rule-[0-9a-f]{16}`).ReplaceAllString(r.stdout, "RULE_ID"))

		r = e.run(t, nil, "rule", "preview")
		if r.code != 0 {
			t.Fatalf("preview: %d %s", r.code, r.stderr)
		}
		checkGolden(t, "rule-preview.golden", r.stdout)

		r = e.run(t, nil, "access", "explain", "--user", "user2@example.com", "--cloud", "staging-cloud")
		if r.code != 0 || !strings.Contains(r.stdout, "group developers, bound by rule devs-staging") {
			t.Fatalf("explain: %d %s %s", r.code, r.stdout, r.stderr)
		}

		r = e.run(t, nil, "grant", "list", "--group", "developers")
		if r.code != 0 || !strings.Contains(r.stdout, "rule devs-staging") {
			t.Fatalf("grant list: %d %s %s", r.code, r.stdout, r.stderr)
		}

		r = e.run(t, nil, "rule", "delete", "devs-staging", "--yes")
		if r.code != 0 || ruleBindings() != 0 {
			t.Fatalf("delete --yes: %d %s, %d rule bindings", r.code, r.stderr, ruleBindings())
		}
		checkGolden(t, "rule-delete-yes.golden", r.stdout)
		id := strings.Fields(r.stdout[strings.LastIndex(r.stdout, "rolecall rule undo "):])[3]
		id = strings.TrimSuffix(id, "`.")

		r = e.run(t, nil, "rule", "undo", id)
		if r.code != 0 || ruleBindings() != 1 {
			t.Fatalf("undo %s: %d %s, %d rule bindings", id, r.code, r.stderr, ruleBindings())
		}
		r = e.run(t, nil, "rule", "changes", "-o", "json")
		if r.code != 0 || !strings.Contains(r.stdout, `"total": 6`) {
			t.Fatalf("changes: %d %s %s", r.code, r.stdout, r.stderr)
		}
	})
}
