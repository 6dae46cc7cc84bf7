package scimapi_test

import (
	"context"
	"strconv"
	"testing"

	"github.com/rolecall/rolecall/internal/api"
	"github.com/rolecall/rolecall/internal/server"
	"github.com/rolecall/rolecall/internal/store"
)

// TestSCIMWritesAnswerRevision: every SCIM write answers the org's revision after it in
// X-Rolecall-Revision (the feed's cursor): a create, a PATCH, a DELETE (204, no body) and a
// Bulk request (its last write); a write that changed nothing answers the current one.
func TestSCIMWritesAnswerRevision(t *testing.T) {
	forEachBackend(t, server.Config{}, func(t *testing.T, e *scimEnv) {
		current := func() int64 {
			var rev int64
			ctx := context.Background()
			if err := e.st.View(ctx, func(tx store.Tx) (err error) { rev, err = tx.Revision(ctx, e.org); return err }); err != nil {
				t.Fatal(err)
			}
			return rev
		}
		check := func(what string, r scimResp) int64 {
			t.Helper()
			got, err := strconv.ParseInt(r.header.Get(api.HeaderRevision), 10, 64)
			if err != nil {
				t.Fatalf("%s: %s = %q, want a revision", what, api.HeaderRevision, r.header.Get(api.HeaderRevision))
			}
			if want := current(); got != want {
				t.Errorf("%s: revision %d, the org is at %d", what, got, want)
			}
			return got
		}
		r := e.must(201, "POST", "/scim/v2/Users", map[string]any{"schemas": []string{"urn:ietf:params:scim:schemas:core:2.0:User"}, "userName": "alice"})
		rev := check("POST /Users", r)
		id, _ := r.doc["id"].(string)

		deactivate := scimPatchBody(scimOp("replace", "active", false))
		if next := check("PATCH active=false", e.must(200, "PATCH", "/scim/v2/Users/"+id, deactivate)); next != rev+1 {
			t.Errorf("PATCH: revision %d, want %d (one event)", next, rev+1)
		}
		check("PATCH that changes nothing", e.must(200, "PATCH", "/scim/v2/Users/"+id, deactivate))

		bulk := map[string]any{"schemas": []string{"urn:ietf:params:scim:api:messages:2.0:BulkRequest"}, "Operations": []any{
			map[string]any{"method": "POST", "path": "/Users", "bulkId": "b", "data": map[string]any{"schemas": []string{"urn:ietf:params:scim:schemas:core:2.0:User"}, "userName": "bob"}},
			map[string]any{"method": "POST", "path": "/Groups", "bulkId": "g", "data": map[string]any{"schemas": []string{"urn:ietf:params:scim:schemas:core:2.0:Group"}, "displayName": "eng",
				"members": []any{map[string]any{"value": "bulkId:b"}}}},
		}}
		check("Bulk", e.must(200, "POST", "/scim/v2/Bulk", bulk))
		check("DELETE", e.must(204, "DELETE", "/scim/v2/Users/"+id, nil))
	})
}
