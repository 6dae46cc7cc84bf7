package main

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"

	"github.com/rolecall/rolecall/internal/api"
	"github.com/rolecall/rolecall/internal/audit"
	"github.com/rolecall/rolecall/internal/enforce"
	"github.com/rolecall/rolecall/internal/server"
	"github.com/rolecall/rolecall/internal/service"
	"github.com/rolecall/rolecall/internal/store"
	"github.com/rolecall/rolecall/internal/testenv"
)

// TestAuthorize runs the gateway middleware in front of a platform handler against a real
// rolecall server holding the reference organization, with a token of scope decision: an
// allowed user reaches the platform, a denied or unknown one gets 403, and a PDP that is
// down gives 503 (fail closed).
func TestAuthorize(t *testing.T) {
	st := testenv.SQLite(t)
	orgID, _ := testenv.Seed(t, st, "example-org", enforce.ReferenceState())
	const token = "rc_gateway_decision_token_0123456789"
	ctx := audit.WithActor(context.Background(), audit.Actor{Name: "test"})
	if _, err := service.New(st).CreateToken(ctx, orgID, api.CreateTokenRequest{Name: "gateway", Scope: string(store.ScopeDecision)}, token); err != nil {
		t.Fatal(err)
	}
	pdp := testenv.Serve(t, st, server.Config{}, nil)

	reached := 0
	platform := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		reached++
		io.WriteString(w, "deployed "+projectOf(r))
	})
	gw := httptest.NewServer(Authorize(pdp.URL, token, "write", userOf, projectOf, platform))
	t.Cleanup(gw.Close)

	ask := func(user, path string) (int, string) {
		t.Helper()
		req, _ := http.NewRequest(http.MethodPost, gw.URL+path, nil)
		req.Header.Set("X-User", user)
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		return res.StatusCode, strings.TrimSpace(string(b))
	}
	if code, body := ask("user1@example.com", "/projects/proj-1/deploy"); code != http.StatusOK || body != "deployed proj-1" {
		t.Errorf("user1 write proj-1: %d %q, want 200", code, body)
	}
	if code, body := ask("user2@example.com", "/projects/proj-1/deploy"); code != http.StatusForbidden || body != "forbidden" {
		t.Errorf("user2 write proj-1: %d %q, want 403", code, body)
	}
	if code, _ := ask("orphan-user@example.com", "/projects/proj-2/deploy"); code != http.StatusForbidden {
		t.Errorf("orphan-user (readonly) write proj-2: %d, want 403", code)
	}
	if code, _ := ask("nobody@example.com", "/projects/proj-1/deploy"); code != http.StatusForbidden {
		t.Errorf("unknown user: %d, want 403", code)
	}
	if reached != 1 {
		t.Errorf("the platform saw %d requests, want 1 (only the allowed one)", reached)
	}

	// A wrong token is not a deny: the PDP answers 401, and the gateway fails closed.
	bad := httptest.NewServer(Authorize(pdp.URL, "rc_not_a_token_000000000000000000", "write", userOf, projectOf, platform))
	t.Cleanup(bad.Close)
	res, err := http.Post(bad.URL+"/projects/proj-1/deploy", "", nil)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusServiceUnavailable {
		t.Errorf("wrong token: %d, want 503", res.StatusCode)
	}
	// A PDP that is down: 503 as well.
	pdp.Close()
	if code, _ := ask("user1@example.com", "/projects/proj-1/deploy"); code != http.StatusServiceUnavailable {
		t.Errorf("PDP down: %d, want 503", code)
	}
	if reached != 1 {
		t.Errorf("the platform saw %d requests, want 1", reached)
	}
}

// TestDocsShowAuthorize keeps docs/authzen.md's gateway listing the code that is compiled
// and tested here.
func TestDocsShowAuthorize(t *testing.T) {
	src, err := os.ReadFile("authorize.go")
	if err != nil {
		t.Fatal(err)
	}
	doc, err := os.ReadFile("../../docs/authzen.md")
	if err != nil {
		t.Fatal(err)
	}
	_, fn, ok := strings.Cut(string(src), "\n// Authorize")
	if !ok {
		t.Fatal("authorize.go has no Authorize")
	}
	if !strings.Contains(string(doc), "// Authorize"+fn) {
		t.Error("docs/authzen.md does not show examples/gateway/authorize.go's Authorize as it is: copy it over")
	}
}
