package scimapi_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/rolecall/rolecall/internal/server"
	"github.com/rolecall/rolecall/internal/store"
)

// Regression tests of the SCIM interoperability hardening (issue 14): what strict SCIM
// clients (scim2-client and its RFC checker) accept.

// TestServiceProviderConfigStandardOnly: /ServiceProviderConfig lists only the core schema
// and holds only RFC 7643 §5's members plus RFC 9865's pagination; strict clients refuse an
// extension schema they do not know there. The limits stay advertised through the standard
// members.
func TestServiceProviderConfigStandardOnly(t *testing.T) {
	e := newSCIMEnv(t, server.Config{})
	r := e.must(http.StatusOK, "GET", "/scim/v2/ServiceProviderConfig", nil)
	if got := fmt.Sprint(r.doc["schemas"]); got != "[urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig]" {
		t.Errorf("schemas = %s, want only the core ServiceProviderConfig schema", got)
	}
	standard := map[string]bool{"schemas": true, "documentationUri": true, "patch": true, "bulk": true, "filter": true,
		"changePassword": true, "sort": true, "etag": true, "authenticationSchemes": true, "meta": true, "pagination": true}
	for k := range r.doc {
		if !standard[k] {
			t.Errorf("ServiceProviderConfig member %q is not an RFC 7643 §5 / RFC 9865 attribute", k)
		}
	}
	for _, path := range []string{"bulk.maxOperations", "bulk.maxPayloadSize", "filter.maxResults", "pagination.maxPageSize"} {
		if n := jnum(r.doc, path); n <= 0 {
			t.Errorf("%s = %v, want the enforced limit", path, jget(r.doc, path))
		}
	}
	// Nor do the other discovery endpoints name a rolecall schema.
	for _, path := range []string{"/scim/v2/Schemas", "/scim/v2/ResourceTypes"} {
		if b := e.must(http.StatusOK, "GET", path, nil).body; strings.Contains(string(b), "urn:rolecall") {
			t.Errorf("%s names a rolecall schema", path)
		}
	}
}

// TestPatchRemoveActiveLeavesItUnassigned: PATCH remove active leaves active unassigned in
// the answer, in later reads and in the stored document (RFC 7644 §3.5.2.2), not true; for
// access the user counts as active, as one created without active does, and filters agree
// (in SQL and in memory) on that effective value.
func TestPatchRemoveActiveLeavesItUnassigned(t *testing.T) {
	forEachBackend(t, server.Config{}, func(t *testing.T, e *scimEnv) {
		id := e.newUser("unassigned@example.com", map[string]any{"active": false, "title": "x-title"})
		r := e.must(http.StatusOK, "PATCH", "/scim/v2/Users/"+id, scimPatchBody(scimOp("remove", "active", nil)))
		if _, ok := r.doc["active"]; ok {
			t.Errorf("PATCH answer holds active: %s", r.body)
		}
		r = e.must(http.StatusOK, "GET", "/scim/v2/Users/"+id, nil)
		if _, ok := r.doc["active"]; ok {
			t.Errorf("GET holds active: %s", r.body)
		}
		var u store.User
		if err := e.st.View(context.Background(), func(tx store.Tx) error {
			var err error
			u, err = tx.User(context.Background(), e.org, id)
			return err
		}); err != nil {
			t.Fatal(err)
		}
		if strings.Contains(string(u.Doc), `"active"`) || !u.Active {
			t.Errorf("stored: Active=%v doc %s; want active unassigned in the document and the user active for access", u.Active, u.Doc)
		}
		// The same as a user created without active.
		other := e.newUser("never-sent@example.com", nil)
		for _, f := range []string{
			`active eq true`,                              // the database answers
			`active eq true and title co "x-"`,            // in memory, after an exact SQL part
			`active eq true or groups.value eq "nothing"`, // wholly in memory
		} {
			r := e.must(http.StatusOK, "GET", "/scim/v2/Users?filter="+url.QueryEscape(f), nil)
			got := map[string]bool{}
			for _, res := range scimResources(r) {
				got[jstr(res, "id")] = true
			}
			if !got[id] || (!strings.Contains(f, "title") && !got[other]) {
				t.Errorf("filter %s: %v; want the unassigned users (%s, %s)", f, got, id, other)
			}
		}
	})
}

// TestSCIMTypeCoercionRefused: a number for a string attribute and a bare string for emails
// are refused with 400 invalidValue naming the attribute (they used to become "5" and
// [{"value":"x"}]), in POST, PUT and PATCH, and write nothing; the coercions IdPs need stay
// (Entra's "False", capitalised ops, a bare manager id).
func TestSCIMTypeCoercionRefused(t *testing.T) {
	forEachBackend(t, server.Config{}, func(t *testing.T, e *scimEnv) {
		core := []string{"urn:ietf:params:scim:schemas:core:2.0:User"}
		id := e.newUser("typed@example.com", nil)
		before := jnum(e.must(http.StatusOK, "GET", "/scim/v2/Users?count=0", nil).doc, "totalResults")
		for _, c := range []struct {
			method, path string
			body         any
			attr         string
		}{
			{"POST", "/scim/v2/Users", map[string]any{"schemas": core, "userName": 5}, "userName"},
			{"POST", "/scim/v2/Users", map[string]any{"schemas": core, "userName": "e@example.com", "emails": "x"}, "emails"},
			{"POST", "/scim/v2/Users", map[string]any{"schemas": core, "userName": "e@example.com", "emails": []any{"x"}}, "emails"},
			{"PUT", "/scim/v2/Users/" + id, map[string]any{"schemas": core, "userName": 5}, "userName"},
			{"PATCH", "/scim/v2/Users/" + id, scimPatchBody(scimOp("replace", "userName", 5)), "userName"},
			{"PATCH", "/scim/v2/Users/" + id, scimPatchBody(scimOp("Add", "emails", "x")), "emails"},
		} {
			r := e.do(c.method, c.path, c.body)
			e.wantError(r, http.StatusBadRequest, "invalidValue", c.attr)
		}
		if n := jnum(e.must(http.StatusOK, "GET", "/scim/v2/Users?count=0", nil).doc, "totalResults"); n != before {
			t.Errorf("refused requests created users: %d, want %d", n, before)
		}
		if r := e.must(http.StatusOK, "GET", "/scim/v2/Users/"+id, nil); jstr(r.doc, "userName") != "typed@example.com" || r.doc["emails"] != nil {
			t.Errorf("refused requests changed the user: %s", r.body)
		}
		// What IdPs send still works.
		r := e.must(http.StatusOK, "PATCH", "/scim/v2/Users/"+id, scimPatchBody(
			scimOp("Replace", "active", "False"),
			scimOp("Add", "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager", id)))
		ent, _ := r.doc["urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"].(map[string]any)
		if jget(r.doc, "active") != false || jstr(ent, "manager.value") != id {
			t.Errorf("Entra-style PATCH: %s", r.body)
		}
	})
}
