package scimapi_test

import (
	"context"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/rolecall/rolecall/internal/server"
	"github.com/rolecall/rolecall/internal/server/scimapi"
	"github.com/rolecall/rolecall/internal/store"
)

func TestSCIMRoutes(t *testing.T) {
	forEachBackend(t, server.Config{}, func(t *testing.T, e *scimEnv) {
		uid := e.newUser("route.user@example.com", nil)
		gid := e.newGroup("Route Group")
		cases := []struct {
			method, path string
			body         any
			want         int
		}{
			{"GET", "/scim/v2/Users", nil, 200},
			{"GET", "/scim/v2/users", nil, 200},
			{"GET", "/scim/v2/USERS/", nil, 200},
			{"GET", "/scim/v2/Users/?filter=userName+eq+%22route.user@example.com%22", nil, 200},
			{"GET", "/scim/v2/Users/" + uid, nil, 200},
			{"GET", "/scim/v2/users/" + uid + "/", nil, 200},
			{"GET", "/scim/v2/Groups", nil, 200},
			{"GET", "/scim/v2/groups/" + gid, nil, 200},
			{"POST", "/scim/v2/Users/.search", map[string]any{"filter": `userName sw "route"`}, 200},
			{"POST", "/scim/v2/Groups/.search", map[string]any{}, 200},
			{"POST", "/scim/v2/.search", map[string]any{}, 200},
			{"GET", "/scim/v2/ServiceProviderConfig", nil, 200},
			{"GET", "/scim/v2/serviceproviderconfig", nil, 200},
			{"GET", "/scim/v2/ResourceTypes", nil, 200},
			{"GET", "/scim/v2/ResourceTypes/User", nil, 200},
			{"GET", "/scim/v2/ResourceTypes/group", nil, 200},
			{"GET", "/scim/v2/ResourceTypes/Nope", nil, 404},
			{"GET", "/scim/v2/Schemas", nil, 200},
			{"GET", "/scim/v2/Schemas/urn:ietf:params:scim:schemas:core:2.0:User", nil, 200},
			{"GET", "/scim/v2/Schemas/urn:nope", nil, 404},
			{"GET", "/scim/v2/Me", nil, 501},
			{"POST", "/scim/v2/bulk", map[string]any{"schemas": []string{scimapi.URNBulkRequest}, "Operations": []any{map[string]any{"method": "DELETE", "path": "/Users/no-such-id"}}}, 200},
			{"GET", "/scim/v2/Nope", nil, 404},
			{"GET", "/scim/v2/Users/a/b", nil, 404},
			{"DELETE", "/scim/v2/Users", nil, 405},
			{"PUT", "/scim/v2/ServiceProviderConfig", map[string]any{}, 405},
			{"GET", "/scim/v2/Users/.search", nil, 405},
			{"GET", "/scim/v2/Users/no-such-id", nil, 404},
			{"GET", "/scim/v2/Groups/no-such-id", nil, 404},
		}
		for _, c := range cases {
			r := e.do(c.method, c.path, c.body)
			if r.status != c.want {
				t.Errorf("%s %s = %d, want %d: %s", c.method, c.path, r.status, c.want, r.body)
				continue
			}
			if r.status >= 400 {
				e.wantError(r, c.want, "", "")
			} else if ct := r.header.Get("Content-Type"); ct != "application/scim+json" {
				t.Errorf("%s %s Content-Type %q", c.method, c.path, ct)
			}
			if c.want == 405 && r.header.Get("Allow") == "" {
				t.Errorf("%s %s: 405 without Allow", c.method, c.path)
			}
		}

		// Discovery documents need a token too, and a SCIM token is the only kind accepted.
		r := e.do("GET", "/scim/v2/ServiceProviderConfig", nil, "Authorization", "")
		e.wantError(r, 401, "", "")
		r = e.do("GET", "/scim/v2/Users", nil, "Authorization", "Bearer "+e.admin)
		e.wantError(r, 403, "", "scim")

		spc := e.must(200, "GET", "/scim/v2/ServiceProviderConfig", nil)
		if jget(spc.doc, "patch.supported") != true || jget(spc.doc, "bulk.supported") != true ||
			jnum(spc.doc, "filter.maxResults") != scimapi.MaxCount || jget(spc.doc, "pagination.cursor") != true {
			t.Errorf("ServiceProviderConfig: %s", spc.body)
		}
		rts := e.must(200, "GET", "/scim/v2/ResourceTypes", nil)
		if jstr(rts.doc, "Resources.0.endpoint") != "/Users" {
			t.Errorf("ResourceTypes: User must come first: %s", rts.body)
		}
		if !strings.Contains(string(e.must(200, "GET", "/scim/v2/Schemas", nil).body), "User Account") {
			t.Errorf("Schemas lacks the User schema")
		}
	})
}

func TestSCIMUserLifecycle(t *testing.T) {
	forEachBackend(t, server.Config{}, func(t *testing.T, e *scimEnv) {
		body := map[string]any{
			"schemas":    []string{"urn:ietf:params:scim:schemas:core:2.0:User"},
			"userName":   "ada@example.com",
			"externalId": "00u1",
			"name":       map[string]any{"givenName": "Ada", "familyName": "Lovelace"},
			"emails":     []any{map[string]any{"value": "ada@example.com", "type": "work", "primary": true}},
			"meta":       map[string]any{"version": "client-sent, ignored"},
		}
		r := e.must(201, "POST", "/scim/v2/Users", body)
		id := jstr(r.doc, "id")
		loc := r.header.Get("Location")
		if id == "" || loc != jstr(r.doc, "meta.location") || !strings.HasSuffix(loc, "/scim/v2/Users/"+id) {
			t.Fatalf("POST: id %q Location %q meta.location %q", id, loc, jstr(r.doc, "meta.location"))
		}
		if r.header.Get("ETag") != `W/"1"` || jstr(r.doc, "meta.version") != `W/"1"` || jstr(r.doc, "meta.resourceType") != "User" {
			t.Errorf("POST ETag %q meta %v", r.header.Get("ETag"), r.doc["meta"])
		}
		// No active sent: it stays unassigned and is not rendered (the user counts as active).
		if jget(r.doc, "active") != nil || jstr(r.doc, "meta.created") == "" || jstr(r.doc, "meta.lastModified") == "" {
			t.Errorf("POST defaults: %s", r.body)
		}

		r = e.must(200, "GET", "/scim/v2/Users/"+id, nil)
		if jstr(r.doc, "name.givenName") != "Ada" || r.header.Get("ETag") != `W/"1"` {
			t.Errorf("GET: %s", r.body)
		}
		r = e.do("GET", "/scim/v2/Users/"+id, nil, "If-None-Match", `W/"1"`)
		if r.status != 304 || len(r.body) != 0 {
			t.Errorf("If-None-Match current = %d %s, want 304", r.status, r.body)
		}
		e.must(200, "GET", "/scim/v2/Users/"+id, nil, "If-None-Match", `W/"7"`)

		// PUT with a stale If-Match: 412, nothing written.
		put := map[string]any{"schemas": body["schemas"], "userName": "ada@example.com", "displayName": "Ada L", "active": true}
		r = e.do("PUT", "/scim/v2/Users/"+id, put, "If-Match", `W/"9"`)
		e.wantError(r, 412, "", `W/"1"`)
		r = e.must(200, "PUT", "/scim/v2/Users/"+id, put, "If-Match", `W/"1"`)
		if r.header.Get("ETag") != `W/"2"` || jstr(r.doc, "displayName") != "Ada L" || jget(r.doc, "name") != nil || jget(r.doc, "emails") != nil {
			t.Errorf("PUT: ETag %q body %s", r.header.Get("ETag"), r.body)
		}
		// PATCH: a change bumps the version, a no-op does not.
		r = e.must(200, "PATCH", "/scim/v2/Users/"+id, scimPatchBody(scimOp("replace", "displayName", "Ada Lovelace")), "If-Match", `W/"2"`)
		if r.header.Get("ETag") != `W/"3"` || jstr(r.doc, "displayName") != "Ada Lovelace" {
			t.Errorf("PATCH: %s %s", r.header.Get("ETag"), r.body)
		}
		r = e.must(200, "PATCH", "/scim/v2/Users/"+id, scimPatchBody(scimOp("replace", "displayName", "Ada Lovelace")))
		if r.header.Get("ETag") != `W/"3"` {
			t.Errorf("no-op PATCH changed the version: %s", r.header.Get("ETag"))
		}
		e.wantError(e.do("PATCH", "/scim/v2/Users/"+id, scimPatchBody(scimOp("replace", "active", false)), "If-Match", `W/"2"`), 412, "", `W/"3"`)
		// userName may change, and is then free again.
		e.must(200, "PATCH", "/scim/v2/Users/"+id, scimPatchBody(scimOp("replace", "userName", "ada.l@example.com")))
		other := e.newUser("ada@example.com", nil)
		if other == "" {
			t.Fatal("old userName not free")
		}
		e.wantError(e.do("DELETE", "/scim/v2/Users/"+id, nil, "If-Match", `W/"1"`), 412, "", "")
		r = e.must(204, "DELETE", "/scim/v2/Users/"+id, nil)
		if len(r.body) != 0 {
			t.Errorf("DELETE body %q", r.body)
		}
		e.wantError(e.do("GET", "/scim/v2/Users/"+id, nil), 404, "", id)
		e.wantError(e.do("DELETE", "/scim/v2/Users/"+id, nil), 404, "", "")
		e.wantError(e.do("PATCH", "/scim/v2/Users/"+id, scimPatchBody(scimOp("replace", "active", false))), 404, "", "")
		e.newUser("ada.l@example.com", nil) // the deleted user's userName is free

		want := map[string]int{"scim.user.create": 3, "scim.user.replace": 1, "scim.user.patch": 2, "scim.user.delete": 1}
		for action, n := range want {
			if got := e.auditCount(action); got != n {
				t.Errorf("audit %s: %d events, want %d", action, got, n)
			}
		}
	})
}

func TestSCIMUserErrors(t *testing.T) {
	forEachBackend(t, server.Config{MaxBodyBytes: 4096}, func(t *testing.T, e *scimEnv) {
		id := e.newUser("grace@example.com", map[string]any{"externalId": "same"})
		e.newUser("other@example.com", map[string]any{"externalId": "same"}) // externalId is not unique
		base := e.auditCount("")
		user := func(extra string) string {
			return `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],` + extra + `}`
		}
		cases := []struct {
			name, method, path, body string
			hdr                      []string
			status                   int
			scimType, detail         string
		}{
			{"duplicate userName", "POST", "/scim/v2/Users", user(`"userName":"GRACE@example.com"`), nil, 409, "uniqueness", "GRACE@example.com"},
			{"rename onto a taken userName", "PATCH", "/scim/v2/Users/" + id, `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"replace","path":"userName","value":"other@example.com"}]}`, nil, 409, "uniqueness", "other@example.com"},
			{"malformed JSON", "POST", "/scim/v2/Users", `{"userName": "x",`, nil, 400, "invalidSyntax", ""},
			{"junk", "POST", "/scim/v2/Users", `{"acve": tre}`, nil, 400, "invalidSyntax", ""},
			{"not an object", "POST", "/scim/v2/Users", `[1,2]`, nil, 400, "invalidSyntax", ""},
			{"trailing data", "POST", "/scim/v2/Users", user(`"userName":"t"`) + `{}`, nil, 400, "invalidSyntax", ""},
			{"empty body", "POST", "/scim/v2/Users", ``, nil, 400, "invalidSyntax", ""},
			{"no schemas", "POST", "/scim/v2/Users", `{"userName":"x"}`, nil, 400, "invalidSyntax", "schemas"},
			{"no userName", "POST", "/scim/v2/Users", user(`"active":true`), nil, 400, "invalidValue", "userName"},
			{"wrong type", "POST", "/scim/v2/Users", user(`"userName":"x","active":"maybe"`), nil, 400, "invalidValue", "active"},
			{"wrong type in a list", "POST", "/scim/v2/Users", user(`"userName":"x","emails":[{"value":7,"primary":"yes"}]`), nil, 400, "invalidValue", ""},
			{"media type", "POST", "/scim/v2/Users", user(`"userName":"x"`), []string{"Content-Type", "text/plain"}, 415, "", "application/scim+json"},
			{"too large", "POST", "/scim/v2/Users", user(`"userName":"x","displayName":"` + strings.Repeat("a", 5000) + `"`), nil, 413, "", "bytes"},
			{"PUT no userName", "PUT", "/scim/v2/Users/" + id, user(`"userame":"x"`), nil, 400, "invalidValue", "userName"},
			{"PATCH malformed", "PATCH", "/scim/v2/Users/" + id, `{"schemas":`, nil, 400, "invalidSyntax", ""},
			{"PATCH no schemas", "PATCH", "/scim/v2/Users/" + id, `{"Operations":[{"op":"replace","path":"active","value":false}]}`, nil, 400, "invalidSyntax", ""},
			{"PATCH bad op", "PATCH", "/scim/v2/Users/" + id, `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"merge","path":"active","value":false}]}`, nil, 400, "invalidSyntax", "merge"},
			{"PATCH unknown path", "PATCH", "/scim/v2/Users/" + id, `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"replace","path":"nope","value":1}]}`, nil, 400, "invalidPath", "nope"},
			{"PATCH bad path syntax", "PATCH", "/scim/v2/Users/" + id, `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"replace","path":"emails[type eq","value":1}]}`, nil, 400, "invalidPath", ""},
			{"PATCH read-only", "PATCH", "/scim/v2/Users/" + id, `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"replace","path":"id","value":"x"}]}`, nil, 400, "mutability", ""},
			{"PATCH wrong type", "PATCH", "/scim/v2/Users/" + id, `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"replace","path":"active","value":"perhaps"}]}`, nil, 400, "invalidValue", "active"},
			{"PATCH remove without path", "PATCH", "/scim/v2/Users/" + id, `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"remove"}]}`, nil, 400, "noTarget", ""},
			{"PATCH members on a user", "PATCH", "/scim/v2/Users/" + id, `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"add","path":"members","value":[{"value":"x"}]}]}`, nil, 400, "invalidPath", ""},
			{"bad attributes", "GET", "/scim/v2/Users/" + id + "?attributes=emails%5Btype", "", nil, 400, "invalidValue", ""},
		}
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				var body any
				if c.body != "" || c.method != "GET" {
					body = c.body
				}
				r := e.do(c.method, c.path, body, c.hdr...)
				e.wantError(r, c.status, c.scimType, c.detail)
			})
		}
		if n := e.auditCount(""); n != base {
			t.Errorf("failed requests wrote %d audit events", n-base)
		}
		r := e.must(200, "GET", "/scim/v2/Users/"+id, nil)
		if r.header.Get("ETag") != `W/"1"` || jstr(r.doc, "userName") != "grace@example.com" {
			t.Errorf("a failed request changed the user: %s", r.body)
		}
		if n := jnum(e.must(200, "GET", "/scim/v2/Users?count=0", nil).doc, "totalResults"); n != 2 {
			t.Errorf("failed requests created users: total %d", n)
		}
	})
}

func TestSCIMOversizedChunkedBody(t *testing.T) {
	// Without a Content-Length the middleware cannot refuse up front; the limit then trips
	// while the handler reads the body, and must still be 413.
	e := newSCIMEnv(t, server.Config{MaxBodyBytes: 1024})
	pr := strings.NewReader(`{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"` + strings.Repeat("x", 4000) + `"}`)
	req, _ := http.NewRequest("POST", e.srv.URL+"/scim/v2/Users", struct{ *strings.Reader }{pr})
	req.ContentLength = -1
	req.Header.Set("Authorization", "Bearer "+e.token)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != 413 {
		t.Fatalf("chunked oversized body: %d, want 413", res.StatusCode)
	}
}

func TestSCIMReactivation(t *testing.T) {
	forEachBackend(t, server.Config{}, func(t *testing.T, e *scimEnv) {
		ctx := context.Background()
		id := e.newUser("removed@example.com", nil)
		remove := func() {
			t.Helper()
			err := e.st.Update(ctx, func(tx store.Tx) error {
				_, err := tx.SetUserRemoved(ctx, e.org, id, true, false)
				return err
			})
			if err != nil {
				t.Fatal(err)
			}
		}
		removed := func() bool {
			var u store.User
			_ = e.st.View(ctx, func(tx store.Tx) error {
				var err error
				u, err = tx.User(ctx, e.org, id)
				return err
			})
			return u.Removed
		}
		remove()
		// A profile change that does not say active keeps the user removed and inactive.
		r := e.must(200, "PATCH", "/scim/v2/Users/"+id, scimPatchBody(scimOp("replace", "displayName", "R")))
		if jget(r.doc, "active") != false || !removed() {
			t.Fatalf("profile PATCH reactivated: %s", r.body)
		}
		e.must(200, "PUT", "/scim/v2/Users/"+id, map[string]any{"schemas": []string{"urn:ietf:params:scim:schemas:core:2.0:User"}, "userName": "removed@example.com"})
		if !removed() {
			t.Fatal("PUT without active reactivated the user")
		}
		// Entra: {"op":"Replace","path":"active","value":"True"} brings it back.
		r = e.must(200, "PATCH", "/scim/v2/Users/"+id, scimPatchBody(map[string]any{"op": "Replace", "path": "active", "value": "True"}))
		if jget(r.doc, "active") != true || removed() {
			t.Fatalf("PATCH active=True did not reactivate: %s removed=%v", r.body, removed())
		}
		remove()
		e.must(200, "PUT", "/scim/v2/Users/"+id, map[string]any{"schemas": []string{"urn:ietf:params:scim:schemas:core:2.0:User"}, "userName": "removed@example.com", "active": true})
		if removed() {
			t.Fatal("PUT active=true did not reactivate")
		}
	})
}

func TestSCIMPatchNoContent(t *testing.T) {
	e := newSCIMEnv(t, server.Config{PatchNoContent: true})
	id := e.newUser("nc@example.com", nil)
	r := e.must(204, "PATCH", "/scim/v2/Users/"+id, scimPatchBody(scimOp("replace", "active", false)))
	if len(r.body) != 0 || r.header.Get("ETag") != `W/"2"` {
		t.Errorf("204 PATCH: body %q ETag %q", r.body, r.header.Get("ETag"))
	}
	gid := e.newGroup("NC")
	e.must(204, "PATCH", "/scim/v2/Groups/"+gid, scimPatchBody(scimOp("add", "members", []any{map[string]any{"value": id}})))
}

// TestSCIMPatchAnswer: RFC 7644 §3.5.2 lets a successful PATCH answer 200 with the entire
// resource or 204. A Group PATCH answers 204 (with its ETag) unless the request asks for
// attributes, then 200 with the group projected as asked — members included unless
// excluded; a User PATCH answers 200 with the user.
func TestSCIMPatchAnswer(t *testing.T) {
	forEachBackend(t, server.Config{}, func(t *testing.T, e *scimEnv) {
		uid := e.newUser("pa@example.com", nil)
		r := e.must(200, "PATCH", "/scim/v2/Users/"+uid, scimPatchBody(scimOp("replace", "title", "T")))
		if jstr(r.doc, "userName") != "pa@example.com" || jstr(r.doc, "title") != "T" {
			t.Errorf("User PATCH answer: %s", r.body)
		}
		gid := e.newGroup("PA")
		add := func(query string) scimResp {
			return e.do("PATCH", "/scim/v2/Groups/"+gid+query, scimPatchBody(scimOp("add", "members", []any{map[string]any{"value": uid}})))
		}
		r = add("")
		if r.status != 204 || len(r.body) != 0 || r.header.Get("ETag") != `W/"2"` {
			t.Errorf("Group PATCH without attributes: %d ETag %q body %q, want 204, W/\"2\", no body", r.status, r.header.Get("ETag"), r.body)
		}
		for _, c := range []struct {
			query       string
			members     bool
			displayName bool
		}{
			{"?attributes=members", true, false},
			{"?attributes=displayName", false, true},
			{"?excludedAttributes=externalId", true, true},
			{"?excludedAttributes=members", false, true},
		} {
			r := add(c.query)
			if r.status != 200 {
				t.Errorf("Group PATCH%s: %d %s, want 200", c.query, r.status, r.body)
				continue
			}
			if got := jget(r.doc, "members") != nil; got != c.members {
				t.Errorf("Group PATCH%s lists members: %v, want %v (%s)", c.query, got, c.members, r.body)
			}
			if got := jstr(r.doc, "displayName") != ""; got != c.displayName || jstr(r.doc, "id") != gid {
				t.Errorf("Group PATCH%s: %s", c.query, r.body)
			}
		}
	})
}

func TestSCIMOrgIsolation(t *testing.T) {
	e := newSCIMEnv(t, server.Config{})
	id := e.newUser("mine@example.com", nil)
	gid := e.newGroup("Mine", id)
	other := *e
	other.t = t
	ctx := context.Background()
	err := e.st.Update(ctx, func(tx store.Tx) error {
		org, err := tx.CreateOrg(ctx, "other")
		if err != nil {
			return err
		}
		other.org = org.ID
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	other.token = e.createSCIMToken(t, other.org)
	other.wantError(other.do("GET", "/scim/v2/Users/"+id, nil), 404, "", "")
	other.wantError(other.do("GET", "/scim/v2/Groups/"+gid, nil), 404, "", "")
	other.wantError(other.do("DELETE", "/scim/v2/Users/"+id, nil), 404, "", "")
	if n := jnum(other.must(200, "GET", "/scim/v2/Users", nil).doc, "totalResults"); n != 0 {
		t.Errorf("other org sees %d users", n)
	}
	// The same userName is free in another org; a member of another org is never added (it
	// is an unknown id there, ignored like any other).
	oid := other.newUser("mine@example.com", nil)
	x := other.must(201, "POST", "/scim/v2/Groups", map[string]any{"schemas": []string{"urn:ietf:params:scim:schemas:core:2.0:Group"},
		"displayName": "X", "members": []any{map[string]any{"value": id}}})
	if got := other.memberIDsOf(jstr(x.doc, "id")); len(got) != 0 {
		t.Errorf("a user of another org became a member: %v", got)
	}
	e.must(204, "PATCH", "/scim/v2/Groups/"+gid, scimPatchBody(scimOp("add", "members", []any{map[string]any{"value": oid}})))
	if got := e.memberIDsOf(gid); slices.Contains(got, oid) {
		t.Errorf("a user of another org became a member: %v", got)
	}
}
