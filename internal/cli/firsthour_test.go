package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rolecall/rolecall/internal/access"
	"github.com/rolecall/rolecall/internal/enforce"
	"github.com/rolecall/rolecall/internal/service"
)

// A first hour without an identity provider, from the CLI and the admin API: an unknown
// user or group says that they arrive over SCIM and how to check what the IdP sent; an
// empty org's preview says there is nothing to enforce because there are no users.

func TestUnknownPrincipalSaysSCIM(t *testing.T) {
	cliBackends(t, func(t *testing.T, e *cliEnv) {
		if _, errs, code := e.run("cloud", "create", "prod-cloud"); code != 0 {
			t.Fatal(errs)
		}
		group := []string{"`rolecall group list --prefix eng`", "`rolecall audit list --target engineering` or `--action scim.group.`"}
		user := []string{"`rolecall user list --prefix ali`", "`rolecall audit list --target alice@example.com` or `--action scim.user.`"}
		for _, c := range []struct {
			args []string
			want []string
		}{
			{[]string{"grant", "readonly", "--group", "engineering", "--cloud", "prod-cloud"}, group},
			{[]string{"revoke", "readonly", "--group", "engineering", "--cloud", "prod-cloud"}, group},
			{[]string{"group", "members", "engineering"}, group},
			{[]string{"grant", "owner", "--user", "alice@example.com", "--org"}, user},
			{[]string{"access", "explain", "--user", "alice@example.com", "--cloud", "prod-cloud"}, user},
			{[]string{"user", "get", "alice@example.com"}, user},
			// A name with a space is quoted, so that the command can be pasted.
			{[]string{"group", "members", "Data Team"}, []string{"`rolecall group list --prefix Dat`", "`rolecall audit list --target 'Data Team'`"}},
		} {
			_, errs, code := e.run(c.args...)
			want := append([]string{"Error: no ", "in this organization", service.SCIMOrigin, "`rolecall seed example`"}, c.want...)
			for _, w := range want {
				if code != 1 || !strings.Contains(errs, w) {
					t.Errorf("%v: exit %d, stderr does not say %q:\n%s", c.args, code, w, errs)
				}
			}
		}
		// -o json: the same message in the stable error document.
		_, errs, code := e.run("user", "get", "alice@example.com", "-o", "json")
		var doc struct {
			Error struct {
				Status  int    `json:"status"`
				Code    string `json:"code"`
				Message string `json:"message"`
			} `json:"error"`
		}
		if code != 1 || json.Unmarshal([]byte(errs), &doc) != nil || doc.Error.Status != 404 || !strings.Contains(doc.Error.Message, service.SCIMOrigin) {
			t.Errorf("-o json: exit %d\n%s", code, errs)
		}
		// The admin API says the same to any client.
		req, _ := http.NewRequest(http.MethodGet, e.url+"/api/v1/groups/engineering", nil)
		req.Header.Set("Authorization", "Bearer "+e.token)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 404 || !strings.Contains(string(body), "over SCIM (/scim/v2)") || !strings.Contains(string(body), "scim.group.") {
			t.Errorf("GET /api/v1/groups/engineering = %d\n%s", resp.StatusCode, body)
		}
	})
}

func TestEmptyOrgPreview(t *testing.T) {
	cliBackends(t, func(t *testing.T, e *cliEnv) {
		out, errs, code := e.run("scim", "enforce-groups", "--dry-run")
		if code != 0 {
			t.Fatalf("exit %d\n%s", code, errs)
		}
		checkGolden(t, "empty-org.golden", out)
		// Without --dry-run nothing is asked and nothing is recorded.
		out, errs, code = e.run("scim", "enforce-groups")
		if code != 0 || !strings.Contains(out, "the organization has no users yet") || strings.Contains(out, "already comes from groups") {
			t.Errorf("enforce-groups on an empty org: exit %d\n%s%s", code, out, errs)
		}
	})
}

func TestDemoServeRefusals(t *testing.T) {
	run := func(args ...string) (string, int) {
		var out, errb bytes.Buffer
		a := &App{Stdin: strings.NewReader(""), Stdout: &out, Stderr: &errb, Getenv: func(string) string { return "" }}
		code := a.Run(context.Background(), args)
		return errb.String(), code
	}
	if errs, code := run("demo", "--db", "sqlite:x.db"); code != 1 || !strings.Contains(errs, "--db and --listen go with --serve") {
		t.Errorf("demo --db without --serve: exit %d %s", code, errs)
	}
	// A port in use fails before the database is touched: no file appears.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	db := filepath.Join(t.TempDir(), "demo.db")
	errs, code := run("demo", "--serve", "--db", "sqlite:"+db, "--listen", l.Addr().String())
	if code != 1 || !strings.Contains(errs, "choose one with --listen") {
		t.Errorf("demo --serve on a busy port: exit %d %s", code, errs)
	}
	if _, err := os.Stat(db); !os.IsNotExist(err) {
		t.Errorf("demo --serve on a busy port created %s (%v)", db, err)
	}
}

func TestGroupOrder(t *testing.T) {
	s := enforce.ReferenceState()
	order, err := groupOrder(s)
	if err != nil {
		t.Fatal(err)
	}
	pos := map[string]int{}
	for i, g := range order {
		pos[g.ID] = i
	}
	if len(order) != len(s.Groups) || pos["group-backend"] > pos["group-engineering"] {
		t.Errorf("order %v: backend must come before engineering, which holds it", order)
	}
	s.Memberships = append(s.Memberships, access.Membership{GroupID: "group-backend", MemberType: access.PrincipalGroup, MemberID: "group-engineering"})
	if _, err := groupOrder(s); err == nil || !strings.Contains(err.Error(), "a member of itself") {
		t.Errorf("a cycle: %v", err)
	}
}
