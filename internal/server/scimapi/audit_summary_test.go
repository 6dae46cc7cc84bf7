package scimapi_test

import (
	"context"
	"net/http"
	"slices"
	"testing"

	"github.com/rolecall/rolecall/internal/server"
	"github.com/rolecall/rolecall/internal/store"
)

// What an identity provider does reads as sentences in the audit log, recorded as it is
// written with the names of that moment: "okta deactivated alice@example.com", and a group
// deleted later keeps its name.
func TestSCIMAuditSummaries(t *testing.T) {
	forEachBackend(t, server.Config{}, func(t *testing.T, e *scimEnv) {
		alice := e.newUser("alice@example.com", map[string]any{"active": true})
		bob := e.newUser("bob@example.com", nil)
		g := e.newGroup("engineering", alice)
		e.must(http.StatusOK, "PATCH", "/scim/v2/Users/"+alice, scimPatchBody(scimOp("replace", "active", false)))
		e.must(http.StatusOK, "PATCH", "/scim/v2/Users/"+alice, scimPatchBody(scimOp("replace", "active", true)))
		e.must(http.StatusNoContent, "PATCH", "/scim/v2/Groups/"+g, scimPatchBody(scimOp("add", "members", []map[string]any{{"value": bob}})))
		e.must(http.StatusNoContent, "PATCH", "/scim/v2/Groups/"+g, scimPatchBody(scimOp("replace", "displayName", "eng")))
		e.must(http.StatusNoContent, "DELETE", "/scim/v2/Groups/"+g, nil)

		var got []string
		ctx := context.Background()
		if err := e.st.View(ctx, func(tx store.Tx) error {
			evs, _, err := tx.ListAudit(ctx, e.org, store.AuditQuery{Actions: []string{"scim."}, Page: store.Page{Limit: 100}})
			for _, ev := range evs {
				got = append(got, ev.Summary)
			}
			return err
		}); err != nil {
			t.Fatal(err)
		}
		want := []string{
			"okta deleted group eng",
			"okta renamed group engineering to eng",
			"okta added 1 member to group engineering",
			"okta reactivated alice@example.com",
			"okta deactivated alice@example.com",
			"okta created group engineering with 1 member",
			"okta created user bob@example.com",
			"okta created user alice@example.com",
		}
		if !slices.Equal(got, want) {
			t.Errorf("SCIM audit summaries:\n%q\nwant\n%q", got, want)
		}
	})
}
