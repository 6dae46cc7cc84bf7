package cli

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/rolecall/rolecall/internal/api"
)

// The admin CLI end to end: the real CLI, in-process, against a real server on a fresh
// database. Each scenario's transcript (commands, output, exit codes) is compared with a
// golden file in testdata/; refresh them with go test ./internal/cli -run TestAdminCLI -update.

// seedDirectory is the directory both scenarios start from: carol is in eng, which is in
// platform, which bob is directly in; dave is inactive.
func seedAdminDirectory(e *cliEnv) {
	e.seed([]string{"alice@example.com", "bob@example.com", "carol@example.com", "dave@example.com"},
		map[string]bool{"dave@example.com": true},
		[][2]any{{"eng", []string{"carol@example.com"}}, {"platform", []string{"eng", "bob@example.com"}}})
}

func TestAdminCLITable(t *testing.T) {
	cliBackends(t, func(t *testing.T, e *cliEnv) {
		seedAdminDirectory(e)
		tr := &transcript{e: e}

		tr.do(0, "cloud", "create", "prod")
		tr.do(0, "cloud", "create", "staging")
		tr.do(1, "cloud", "create", "prod")
		tr.do(0, "cloud", "rename", "staging", "stage")
		tr.do(0, "project", "create", "api", "--cloud", "prod")
		tr.do(0, "project", "create", "web", "--cloud", "prod")
		tr.do(0, "project", "create", "tools", "--cloud", "stage")
		tr.do(1, "project", "create", "db", "--cloud", "nope")
		tr.do(1, "project", "create", "api", "--cloud", "stage")
		tr.do(1, "cloud", "rename", "prod", "Stage")
		tr.do(0, "cloud", "list")
		tr.do(0, "cloud", "get", "prod")
		tr.do(0, "project", "list")
		tr.do(0, "project", "list", "--cloud", "prod")
		tr.do(0, "project", "get", "api")
		tr.do(0, "service-account", "create", "deploy")
		tr.do(0, "service-account", "list")

		tr.do(0, "user", "list")
		tr.do(0, "user", "get", "carol@example.com")
		tr.do(0, "group", "list")
		tr.do(0, "group", "get", "eng")
		tr.do(0, "group", "members", "platform")

		tr.do(0, "grant", "owner", "--user", "alice@example.com", "--org")
		tr.do(0, "grant", "collaborator", "--group", "platform", "--cloud", "prod")
		tr.do(0, "grant", "readonly", "--group", "eng", "--project", "web")
		tr.do(0, "grant", "owner", "--user", "bob@example.com", "--project", "api")
		tr.do(0, "grant", "owner", "--user", "bob@example.com", "--project", "api")
		tr.do(1, "grant", "readonly", "--user", "bob@example.com", "--project", "api")
		tr.do(0, "grant", "readonly", "--user", "bob@example.com", "--project", "api", "--replace")
		tr.do(0, "grant", "owner", "--user", "bob@example.com", "--project", "api", "--replace")
		tr.do(0, "grant", "collaborator", "--service-account", "deploy", "--cloud", "stage")
		tr.do(0, "grant", "readonly", "--user", "dave@example.com", "--cloud", "prod")
		tr.do(1, "grant", "readonly", "--user", "alice@example.com", "--org")
		tr.do(1, "grant", "owner", "--user", "nobody@example.com", "--cloud", "prod")
		tr.do(1, "grant", "owner", "--user", "bob@example.com", "--group", "eng", "--cloud", "prod")
		tr.do(1, "grant", "owner", "--user", "bob@example.com")
		tr.do(0, "grant", "list")
		tr.do(0, "grant", "list", "--cloud", "prod")
		tr.do(0, "grant", "list", "--user", "bob@example.com")

		tr.do(0, "access", "list")
		tr.do(0, "access", "list", "--user", "bob@example.com")
		tr.do(0, "access", "list", "--user", "alice@example.com")
		tr.do(0, "access", "list", "--user", "dave@example.com")
		tr.do(0, "grant", "readonly", "--user", "carol@example.com", "--cloud", "prod") // redundant: platform gives more
		tr.do(0, "access", "explain", "--user", "carol@example.com", "--cloud", "prod")
		tr.do(0, "access", "explain", "--user", "bob@example.com")
		tr.do(0, "access", "explain", "--user", "alice@example.com", "--project", "web")
		tr.do(0, "access", "explain", "--user", "dave@example.com")
		tr.do(1, "access", "explain", "--cloud", "prod")

		tr.do(0, "revoke", "owner", "--user", "bob@example.com", "--project", "api")
		tr.do(1, "revoke", "owner", "--user", "bob@example.com", "--project", "api")

		tr.do(0, "org", "set", "--groups-only=true")
		tr.do(1, "grant", "readonly", "--user", "bob@example.com", "--cloud", "prod")
		tr.do(0, "grant", "readonly", "--group", "platform", "--cloud", "stage")
		tr.do(0, "org", "settings")
		tr.do(0, "org", "set", "--groups-only=false")
		tr.do(1, "org", "set")

		tr.do(1, "cloud", "delete", "stage", "--yes")
		tr.do(0, "project", "delete", "tools", "--yes")
		tr.do(0, "cloud", "delete", "stage", "--yes")
		tr.do(0, "service-account", "delete", "deploy", "--yes")
		tr.do(1, "service-account", "delete", "deploy", "--yes")

		tr.do(0, "audit", "list", "--limit", "5")
		tr.do(0, "audit", "list", "--action", "grant.revoke")
		tr.do(0, "audit", "list", "--target", "cloud/prod")
		tr.do(0, "audit", "list", "--target", "bob@example.com")
		tr.do(0, "audit", "list", "--target", "deploy")
		tr.do(0, "audit", "list", "--action", "org.,project.delete", "--limit", "3")
		tr.do(1, "audit", "list", "--since", "yesterday")

		tr.do(1, "--server", "http://127.0.0.1:1", "cloud", "list")
		tr.do(1, "--token", "rc_wrong_token_0123456789abcdef", "cloud", "list")
		adminGolden(t, "admin_table.golden", tr.buf.String())
	})
}

func TestAdminCLIJSON(t *testing.T) {
	cliBackends(t, func(t *testing.T, e *cliEnv) {
		seedAdminDirectory(e)
		tr := &transcript{e: e}
		tr.do(0, "cloud", "create", "prod", "-o", "json")
		tr.do(0, "project", "create", "api", "--cloud", "prod", "-o", "json")
		tr.do(0, "service-account", "create", "deploy", "-o", "json")
		out := tr.do(0, "grant", "owner", "--group", "platform", "--cloud", "prod", "-o", "json")
		var g api.Grant
		if err := json.Unmarshal([]byte(out), &g); err != nil || g.Role != "owner" || g.PrincipalName != "platform" {
			t.Errorf("grant -o json = %q (%v), want an api.Grant", out, err)
		}
		tr.do(0, "grant", "readonly", "--user", "bob@example.com", "--project", "api", "-o", "json")
		tr.do(0, "grant", "collaborator", "--service-account", "deploy", "--org", "-o", "json")
		tr.do(0, "cloud", "list", "-o", "json")
		tr.do(0, "project", "get", "api", "-o", "json")
		tr.do(0, "user", "get", "carol@example.com", "-o", "json")
		tr.do(0, "group", "members", "platform", "-o", "json")
		tr.do(0, "grant", "list", "--project", "api", "-o", "json")
		tr.do(0, "access", "list", "-o", "json")
		tr.do(0, "access", "list", "--user", "carol@example.com", "-o", "json")
		tr.do(0, "access", "explain", "--user", "carol@example.com", "--cloud", "prod", "-o", "json")
		tr.do(0, "revoke", "readonly", "--user", "bob@example.com", "--project", "api", "-o", "json")
		out = tr.do(0, "audit", "list", "--limit", "2", "-o", "json")
		var l api.List[api.AuditEvent]
		if err := json.Unmarshal([]byte(out), &l); err != nil || len(l.Items) != 2 || l.Total != 9 || l.Items[0].Action != "grant.revoke" {
			t.Errorf("audit list -o json = %q (%v)", out, err)
		}
		tr.do(0, "org", "set", "--groups-only=true", "-o", "json")
		tr.do(0, "org", "settings", "-o", "json")
		adminGolden(t, "admin_json.golden", tr.buf.String())
	})
}

// TestAdminCLICompletion checks cobra's completion command and the name completion of
// arguments and flags, which asks the server.
func TestAdminCLICompletion(t *testing.T) {
	e := newCLIEnv(t)
	e.seed([]string{"alice@example.com"}, nil, [][2]any{{"eng", []string{"alice@example.com"}}})
	for _, args := range [][]string{{"cloud", "create", "prod"}, {"cloud", "create", "preview"}, {"cloud", "create", "dev"},
		{"project", "create", "api", "--cloud", "prod"}} {
		if _, errOut, code := e.run(args...); code != 0 {
			t.Fatalf("%v: %s", args, errOut)
		}
	}
	for _, shell := range []string{"bash", "zsh", "fish", "powershell"} {
		out, errOut, code := e.run("completion", shell)
		if code != 0 || !strings.Contains(out, "rolecall") {
			t.Errorf("completion %s: exit %d, %d bytes, stderr %q", shell, code, len(out), errOut)
		}
	}
	for _, c := range []struct {
		args []string
		want []string
	}{
		{[]string{"__complete", "cloud", "get", "pr"}, []string{"preview", "prod"}},
		{[]string{"__complete", "cloud", "delete", ""}, []string{"dev", "preview", "prod"}},
		{[]string{"__complete", "project", "get", ""}, []string{"api"}},
		{[]string{"__complete", "grant", "owner", "--cloud", "d"}, []string{"dev"}},
		{[]string{"__complete", "grant", "owner", "--user", "a"}, []string{"alice@example.com"}},
		{[]string{"__complete", "grant", "owner", "--group", ""}, []string{"eng"}},
		{[]string{"__complete", "grant", ""}, []string{"list", "owner", "collaborator", "readonly"}},
	} {
		out, errOut, code := e.run(c.args...)
		if code != 0 {
			t.Errorf("%v: exit %d %s", c.args, code, errOut)
			continue
		}
		var got []string
		for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
			if line != "" && !strings.HasPrefix(line, ":") {
				name, _, _ := strings.Cut(line, "\t")
				got = append(got, name)
			}
		}
		if strings.Join(got, ",") != strings.Join(c.want, ",") {
			t.Errorf("%v completes %q, want %q", c.args, got, c.want)
		}
	}
}

func TestAdminCLIParseHelpers(t *testing.T) {
	now := time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)
	for _, c := range []struct {
		in   string
		want time.Time
		ok   bool
	}{
		{"", time.Time{}, true},
		{"2025-01-31T09:00:00Z", time.Date(2025, 1, 31, 9, 0, 0, 0, time.UTC), true},
		{"2025-01-31", time.Date(2025, 1, 31, 0, 0, 0, 0, time.UTC), true},
		{"24h", now.Add(-24 * time.Hour), true},
		{"-5m", time.Time{}, false},
		{"yesterday", time.Time{}, false},
	} {
		got, err := parseWhen("since", c.in, now)
		if (err == nil) != c.ok || !got.Equal(c.want) {
			t.Errorf("parseWhen(%q) = %v, %v; want %v ok=%v", c.in, got, err, c.want, c.ok)
		}
	}
	for _, c := range []struct{ in, typ, ref string }{
		{"cloud/prod", "cloud", "prod"},
		{"service-account/ci", "service_account", "ci"},
		{"user/alice@example.com", "user", "alice@example.com"},
		{"0192-abc", "", "0192-abc"},
		{"weird/thing", "", "weird/thing"},
	} {
		if typ, ref := parseTarget(c.in); typ != c.typ || ref != c.ref {
			t.Errorf("parseTarget(%q) = %q, %q; want %q, %q", c.in, typ, ref, c.typ, c.ref)
		}
	}
	for _, c := range []struct {
		s          selectors
		typ, ref   string
		kind, res  string
		perr, rerr bool
	}{
		{selectors{user: "u", cloud: "c"}, "user", "u", "cloud", "c", false, false},
		{selectors{group: "g", org: true}, "group", "g", "organization", "", false, false},
		{selectors{account: "s", project: "p"}, "service_account", "s", "project", "p", false, false},
		{selectors{user: "u", group: "g", org: true, cloud: "c"}, "", "", "", "", true, true},
		{selectors{}, "", "", "", "", true, true},
	} {
		typ, ref, err := c.s.principal(true)
		if (err != nil) != c.perr || typ != c.typ || ref != c.ref {
			t.Errorf("%+v.principal = %q %q %v", c.s, typ, ref, err)
		}
		kind, res, err := c.s.resource(true)
		if (err != nil) != c.rerr || kind != c.kind || res != c.res {
			t.Errorf("%+v.resource = %q %q %v", c.s, kind, res, err)
		}
	}
	if got := adminStable("id 01a21c5c-7a02-76fd-b41a-833577f63375 at 2026-11-27T09:35:52Z and 01a21c5c-7a02-76fd-b41a-833577f63375"); got !=
		"id <id-1______________________________> at <time______________> and <id-1______________________________>" {
		t.Errorf("adminStable = %q", got)
	}
}
