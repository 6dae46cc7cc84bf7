package console_test

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/rolecall/rolecall/internal/store"
)

// TestUIPublicProject: the reference org's user2 holds collaborator on dev-cloud directly
// and readonly on proj-2 (in dev-cloud) through developers. While proj-2 is private the user
// page says the cloud role does not reach it; once public, the public project is named as
// the source of collaborator, and the project page shows its visibility.
func TestUIPublicProject(t *testing.T) {
	e := newUIEnv(t)
	e.mustSignIn()
	page := func(path string, want ...string) {
		t.Helper()
		r := e.get(path)
		if r.status != http.StatusOK {
			t.Fatalf("GET %s = %d", path, r.status)
		}
		for _, w := range want {
			if !strings.Contains(r.body, w) {
				t.Errorf("GET %s lacks %q", path, w)
			}
		}
	}
	page("/ui/users/user2@example.com", "cloud roles do not reach private projects")
	page("/ui/projects/proj-2", "private: roles on dev-cloud do not reach it")

	ctx := context.Background()
	if err := e.st.Update(ctx, func(tx store.Tx) error {
		_, err := tx.SetResourcePublic(ctx, e.orgID, e.ids["project-2"], true)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	page("/ui/users/user2@example.com", "implicit: the project is public and the user holds collaborator on its cloud")
	page("/ui/projects/proj-2", "public: everyone holding a role on dev-cloud is a collaborator here")
}
