package scimapi_test

import (
	"context"
	"testing"

	"github.com/rolecall/rolecall/internal/server"
	"github.com/rolecall/rolecall/internal/store"
)

// TestSCIMRemovedUserStaysRemovedWithoutActiveTrue: a user enforce-groups removed comes back
// only when the IdP says active=true. A PATCH that removes the active attribute does not
// say so, exactly like a PUT that leaves active out.
func TestSCIMRemovedUserStaysRemovedWithoutActiveTrue(t *testing.T) {
	forEachBackend(t, server.Config{}, func(t *testing.T, e *scimEnv) {
		ctx := context.Background()
		id := e.newUser("gone@example.com", nil)
		err := e.st.Update(ctx, func(tx store.Tx) error {
			_, err := tx.SetUserRemoved(ctx, e.org, id, true, false)
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		e.must(200, "PATCH", "/scim/v2/Users/"+id, scimPatchBody(scimOp("remove", "active", nil)))
		var u store.User
		if err := e.st.View(ctx, func(tx store.Tx) (err error) { u, err = tx.User(ctx, e.org, id); return err }); err != nil {
			t.Fatal(err)
		}
		if u.Active || !u.Removed {
			t.Fatalf("PATCH remove active brought back a removed user: active=%v removed=%v", u.Active, u.Removed)
		}
	})
}
