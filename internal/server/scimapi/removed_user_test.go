package scimapi_test

import (
	"fmt"
	"testing"

	"github.com/rolecall/rolecall/internal/server"
)

// TestSCIMRemovedUserStaysRemovedWithoutActiveTrue: a user enforce-groups removed comes back
// only when the IdP says active=true. A PATCH that removes the active attribute does not
// say so, exactly like a PUT that leaves active out.
func TestSCIMRemovedUserStaysRemovedWithoutActiveTrue(t *testing.T) {
	forEachBackend(t, server.Config{}, func(t *testing.T, e *scimEnv) {
		id := e.newUser("gone@example.com", nil)
		e.markRemoved(id)
		e.must(200, "PATCH", "/scim/v2/Users/"+id, scimPatchBody(scimOp("remove", "active", nil)))
		if u := e.storedUser(id); u.Active || !u.Removed {
			t.Fatalf("PATCH remove active brought back a removed user: active=%v removed=%v", u.Active, u.Removed)
		}
	})
}

// TestSCIMReinstatementKeepsTheIdPsActive: a group add reinstates a user enforce-groups
// removed, giving it back its own active — the IdP's latest word — never turning on a user
// the IdP deactivated, whether it did so before the removal or by a PATCH of the removed
// user; writes that leave active out change nothing about it.
func TestSCIMReinstatementKeepsTheIdPsActive(t *testing.T) {
	cases := []struct {
		name   string
		create map[string]any
		write  func(e *scimEnv, id string) // an IdP write to the removed user, or nil
		want   bool                        // active after the group add
	}{
		{"deactivated before the removal", map[string]any{"active": false}, nil, false},
		{"active before the removal", map[string]any{"active": true}, nil, true},
		{"never said", nil, nil, true},
		{"PATCH active=false while removed", map[string]any{"active": true}, func(e *scimEnv, id string) {
			before := e.must(200, "GET", "/scim/v2/Users/"+id, nil)
			after := e.must(200, "PATCH", "/scim/v2/Users/"+id, scimPatchBody(scimOp("replace", "active", false)))
			if jstr(before.doc, "meta.version") == jstr(after.doc, "meta.version") {
				e.t.Errorf("PATCH active=false on a removed user was not recorded (version %s kept)", jstr(after.doc, "meta.version"))
			}
		}, false},
		{"path-less PATCH active=false while removed", nil, func(e *scimEnv, id string) {
			e.must(200, "PATCH", "/scim/v2/Users/"+id, scimPatchBody(scimOp("replace", "", map[string]any{"active": false})))
		}, false},
		{"PATCH title while removed", map[string]any{"active": true}, func(e *scimEnv, id string) {
			e.must(200, "PATCH", "/scim/v2/Users/"+id, scimPatchBody(scimOp("replace", "title", "Engineer")))
		}, true},
		{"PATCH title while removed, deactivated before", map[string]any{"active": false}, func(e *scimEnv, id string) {
			e.must(200, "PATCH", "/scim/v2/Users/"+id, scimPatchBody(scimOp("replace", "title", "Engineer")))
		}, false},
		{"PUT without active while removed, deactivated before", map[string]any{"active": false}, func(e *scimEnv, id string) {
			e.must(200, "PUT", "/scim/v2/Users/"+id, map[string]any{"schemas": []string{"urn:ietf:params:scim:schemas:core:2.0:User"},
				"userName": "u@example.com", "title": "Engineer"})
		}, false},
	}
	forEachBackend(t, server.Config{}, func(t *testing.T, e *scimEnv) {
		for i, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				e.t = t
				id := e.newUser("u@example.com", c.create)
				e.markRemoved(id)
				if c.write != nil {
					c.write(e, id)
				}
				g := e.newGroup(fmt.Sprintf("g%d", i))
				r := e.do("PATCH", "/scim/v2/Groups/"+g, scimPatchBody(scimOp("add", "members", []any{map[string]any{"value": id}})))
				if r.status != 200 && r.status != 204 {
					t.Fatalf("group add: %d %s", r.status, r.body)
				}
				u := e.storedUser(id)
				if u.Removed || u.Active != c.want {
					t.Errorf("after the group add: removed=%v active=%v, want removed=false active=%v", u.Removed, u.Active, c.want)
				}
				// An unassigned active (never sent) is shown absent, and counts as active.
				got := jget(e.must(200, "GET", "/scim/v2/Users/"+id, nil).doc, "active")
				if got != c.want && (got != nil || !c.want) {
					t.Errorf("GET shows active %v, want %v", got, c.want)
				}
				e.must(204, "DELETE", "/scim/v2/Users/"+id, nil) // frees the userName for the next case
			})
		}
	})
}
