package scimapi_test

import (
	"encoding/json"
	"testing"

	"github.com/rolecall/rolecall/internal/server"
	"github.com/rolecall/rolecall/internal/server/scimapi"
	"github.com/rolecall/rolecall/internal/store"
)

// TestSCIMListRendersStoredShapes lists users whose stored documents the fast path must
// step aside for, or complete from the emails table, next to ordinary SCIM users: a page
// shows each exactly as GET /Users/{id} does, emails included.
func TestSCIMListRendersStoredShapes(t *testing.T) {
	forEachBackend(t, server.Config{}, func(t *testing.T, e *scimEnv) {
		e.newUser("scim@example.com", map[string]any{"emails": []any{map[string]any{"value": "scim@example.com", "type": "work"}}})
		ctx := t.Context()
		docs := map[string]string{
			"table-emails": `{"userName":"table-emails"}`,             // emails only in the table
			"spaced":       `{"userName": "spaced", "nickName": "s"}`, // not canonical
			"no-doc":       ``,
		}
		err := e.st.Update(ctx, func(tx store.Tx) error {
			for name, doc := range docs {
				if _, err := tx.CreateUser(ctx, store.User{OrgID: e.org, UserName: name, Active: true, Doc: json.RawMessage(doc),
					Emails: []store.Email{{Value: name + "@table.example", Type: "home", Primary: true}}}); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		list := e.must(200, "GET", "/scim/v2/Users?startIndex=1&count=10", nil)
		res, _ := list.doc["Resources"].([]any)
		if len(res) != 4 {
			t.Fatalf("listed %d users, want 4: %s", len(res), list.body)
		}
		for _, r := range res {
			u := r.(map[string]any)
			one := e.must(200, "GET", "/scim/v2/Users/"+u["id"].(string), nil)
			if !scimapi.JSONEqual(u, one.doc) {
				t.Errorf("%s: listed %v, but GET gives %v", u["userName"], u, one.doc)
			}
			emails, _ := u["emails"].([]any)
			if len(emails) != 1 {
				t.Errorf("%s: emails %v, want one", u["userName"], u["emails"])
			}
		}
	})
}
