package console_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/rolecall/rolecall/internal/audit"
	"github.com/rolecall/rolecall/internal/store"
)

// Searches match anywhere in a name, not only at its start.
func TestUISearchBySubstring(t *testing.T) {
	e := newUIEnv(t)
	e.mustSignIn()
	for _, c := range []struct{ path, want, not string }{
		{"/ui/users?q=ser2%40EXAMPLE", "user2@example.com", "user1@example.com"},
		{"/ui/users?q=orphan&status=active", "orphan-user@example.com", "admin@example.com"},
		{"/ui/groups?q=END", ">backend<", ">developers<"},
		{"/ui/clouds?q=aging", ">staging-cloud<", ">dev-cloud<"},
		{"/ui/projects?q=j-2", ">proj-2<", ">proj-1<"},
		{"/ui/projects?q=prod", ">proj-1<", ">proj-2<"}, // by its cloud's name
		{"/ui/service-accounts?q=deploy", ">ci-deployer<", "No service account matches"},
	} {
		p := e.get(c.path)
		if p.status != http.StatusOK || !strings.Contains(p.body, c.want) || strings.Contains(p.body, c.not) {
			t.Errorf("%s = %d: want %q and not %q\n%s", c.path, p.status, c.want, c.not, p.body)
		}
	}
}

// Clouds page 50 at a time, like every console list.
func TestUIResourceListPages(t *testing.T) {
	e := newUIEnv(t)
	e.mustSignIn()
	ctx := audit.WithActor(context.Background(), audit.Actor{Name: "test-setup"})
	if err := e.st.Update(ctx, func(tx store.Tx) error {
		for i := range 60 {
			if _, err := tx.CreateResource(ctx, store.Resource{OrgID: e.orgID, Kind: store.KindCloud,
				Name: fmt.Sprintf("bulk-%02d", i), CreatedAt: store.Now()}); err != nil {
				return err
			}
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	first := e.get("/ui/clouds?q=bulk")
	if !strings.Contains(first.body, "Showing 1–50 of 60") || !strings.Contains(first.body, `href="/ui/clouds?offset=50&amp;q=bulk"`) {
		t.Fatalf("first page:\n%s", first.body)
	}
	second := e.get("/ui/clouds?q=bulk&offset=50")
	if !strings.Contains(second.body, "Showing 51–60 of 60") || !strings.Contains(second.body, ">bulk-59<") || strings.Contains(second.body, ">bulk-00<") {
		t.Fatalf("second page:\n%s", second.body)
	}
}

// The 404 page keeps the navigation and speaks of the console.
func TestUINotFoundKeepsNavigation(t *testing.T) {
	e := newUIEnv(t)
	e.mustSignIn()
	for _, path := range []string{"/ui/nowhere", "/ui/clouds/no-such-cloud"} {
		p := e.get(path)
		if p.status != http.StatusNotFound || !strings.Contains(p.body, `<nav aria-label="Main">`) || strings.Contains(p.body, "rolecall cloud") {
			t.Errorf("%s = %d\n%s", path, p.status, p.body)
		}
	}
	if p := e.get("/ui/clouds/no-such-cloud"); !strings.Contains(p.body, "see the Clouds page") {
		t.Errorf("unknown cloud page does not point to the Clouds page:\n%s", p.body)
	}
}
