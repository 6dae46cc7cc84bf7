package scimapi_test

import (
	"fmt"
	"net/http"
	"net/url"
	"sync"
	"testing"

	"github.com/rolecall/rolecall/internal/server"
)

// Regression tests of issue 14's storage findings, end to end over HTTP on both backends.

// TestSCIMConcurrentPatchesNeverFail: IdPs send parallel PATCHes without If-Match; none of
// them may fail because another one is running (PostgreSQL answered 409 to most of them and
// lost member adds, issue 14 item 2). With If-Match the race still has one winner and the
// rest 412.
func TestSCIMConcurrentPatchesNeverFail(t *testing.T) {
	forEachBackend(t, server.Config{}, func(t *testing.T, e *scimEnv) {
		const clients, rounds = 20, 5
		uid := e.newUser("racer@example.com", nil)
		base, tok := e.srv.URL, e.token
		parallel := func(n int, fn func(i int) (int, error)) map[int]int {
			var mu sync.Mutex
			codes := map[int]int{}
			var wg sync.WaitGroup
			for i := range n {
				wg.Add(1)
				go func() {
					defer wg.Done()
					code, err := fn(i)
					if err != nil {
						t.Errorf("request %d: %v", i, err)
					}
					mu.Lock()
					codes[code]++
					mu.Unlock()
				}()
			}
			wg.Wait()
			return codes
		}

		codes := parallel(clients*rounds, func(i int) (int, error) {
			return send(base, tok, "PATCH", "/scim/v2/Users/"+uid,
				scimPatchBody(scimOp("replace", "title", fmt.Sprintf("title %d", i))), nil)
		})
		if codes[http.StatusOK] != clients*rounds {
			t.Errorf("user PATCHes without If-Match answered %v, want %d × 200", codes, clients*rounds)
		}

		ids := make([]string, clients*rounds)
		for i := range ids {
			ids[i] = e.newUser(fmt.Sprintf("member%d@example.com", i), nil)
		}
		gid := e.newGroup("racers")
		codes = parallel(len(ids), func(i int) (int, error) {
			return send(base, tok, "PATCH", "/scim/v2/Groups/"+gid, scimPatchBody(
				scimOp("add", "members", []map[string]any{{"value": ids[i]}}),
				scimOp("replace", "externalId", fmt.Sprintf("ext-%d", i))), nil)
		})
		if codes[http.StatusOK]+codes[http.StatusNoContent] != len(ids) {
			t.Errorf("group PATCHes without If-Match answered %v, want %d successes", codes, len(ids))
		}
		r := e.must(http.StatusOK, "GET", "/scim/v2/Groups/"+gid, nil)
		if got := len(jget(r.doc, "members").([]any)); got != len(ids) {
			t.Errorf("group has %d members, want %d", got, len(ids))
		}

		etag := e.must(http.StatusOK, "GET", "/scim/v2/Users/"+uid, nil).header.Get("ETag")
		codes = parallel(clients, func(i int) (int, error) {
			return send(base, tok, "PATCH", "/scim/v2/Users/"+uid,
				scimPatchBody(scimOp("replace", "title", fmt.Sprintf("if-match %d", i))), nil, "If-Match", etag)
		})
		if codes[http.StatusOK] != 1 || codes[http.StatusPreconditionFailed] != clients-1 {
			t.Errorf("If-Match PATCHes answered %v, want one 200 and %d × 412", codes, clients-1)
		}
	})
}

// TestSCIMGroupETagFollowsDeletedMembers: deleting a member user or a member group changes
// the group's member list, so a GET with the old ETag in If-None-Match must answer 200 with
// the new list, not 304 (issue 14 item 3).
func TestSCIMGroupETagFollowsDeletedMembers(t *testing.T) {
	forEachBackend(t, server.Config{}, func(t *testing.T, e *scimEnv) {
		uid := e.newUser("leaver@example.com", nil)
		inner := e.newGroup("inner")
		gid := e.newGroup("outer", uid, inner)
		for _, del := range []string{"/scim/v2/Users/" + uid, "/scim/v2/Groups/" + inner} {
			etag := e.must(http.StatusOK, "GET", "/scim/v2/Groups/"+gid, nil).header.Get("ETag")
			e.must(http.StatusNotModified, "GET", "/scim/v2/Groups/"+gid, nil, "If-None-Match", etag)
			e.must(http.StatusNoContent, "DELETE", del, nil)
			r := e.must(http.StatusOK, "GET", "/scim/v2/Groups/"+gid, nil, "If-None-Match", etag)
			if r.header.Get("ETag") == etag {
				t.Errorf("after DELETE %s the group kept ETag %s", del, etag)
			}
		}
		r := e.must(http.StatusOK, "GET", "/scim/v2/Groups/"+gid, nil)
		if ms, _ := jget(r.doc, "members").([]any); len(ms) != 0 {
			t.Errorf("members after deleting both = %v, want none", ms)
		}
	})
}

// TestSCIMInputThatOneBackendCannotStore: thousands of emails (more than one SQL statement
// carries parameters) are stored on both backends, and a NUL character is 400 invalidValue
// naming the attribute on both, not 201 on SQLite and 500 on PostgreSQL (issue 14 item 4).
func TestSCIMInputThatOneBackendCannotStore(t *testing.T) {
	forEachBackend(t, server.Config{}, func(t *testing.T, e *scimEnv) {
		const n = 10000
		emails := make([]map[string]any, n)
		for i := range emails {
			emails[i] = map[string]any{"value": fmt.Sprintf("e%05d@example.com", i)}
		}
		id := e.newUser("hoarder@example.com", map[string]any{"emails": emails})
		r := e.must(http.StatusOK, "GET", "/scim/v2/Users/"+id, nil)
		if got, _ := jget(r.doc, "emails").([]any); len(got) != n {
			t.Errorf("GET answered %d emails, want %d", len(got), n)
		}
		r = e.must(http.StatusOK, "GET", `/scim/v2/Users?filter=`+url.QueryEscape(fmt.Sprintf(`emails.value eq "e%05d@example.com"`, n-1)), nil)
		if jnum(r.doc, "totalResults") != 1 {
			t.Errorf("emails.value filter found %d users, want 1", jnum(r.doc, "totalResults"))
		}

		user := `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":%s}`
		for _, c := range []struct{ method, path, body, attr string }{
			{"POST", "/scim/v2/Users", fmt.Sprintf(user, `"nul\u0000@example.com"`), "userName"},
			{"POST", "/scim/v2/Users", `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"x@example.com","emails":[{"value":"x\u0000"}]}`, "emails.value"},
			{"POST", "/scim/v2/Groups", `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],"displayName":"\u0000"}`, "displayName"},
			{"PATCH", "/scim/v2/Users/" + id, `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"replace","path":"externalId","value":"\u0000"}]}`, "externalId"},
			{"PUT", "/scim/v2/Users/" + id, fmt.Sprintf(user, `"hoarder@example.com","displayName":"a\u0000"`), "displayName"},
		} {
			r := e.do(c.method, c.path, c.body)
			e.wantError(r, http.StatusBadRequest, "invalidValue", c.attr)
		}
		// A filter value holding a NUL can match nothing stored; it must not reach
		// PostgreSQL as text it refuses.
		r = e.do("GET", `/scim/v2/Users?filter=`+url.QueryEscape(`userName eq "a\u0000"`), nil)
		e.wantError(r, http.StatusBadRequest, "invalidFilter", "NUL")
	})
}

// TestSCIMUnicodeFolding: one folding everywhere (issue 14 item 5): a decomposed "josé" is
// the composed one's userName (409 uniqueness, found by filter), "İnfo" is not "info", and
// a filter the database answers (userName eq) agrees with one evaluated in memory
// (name.formatted eq, not pushed down) on the sigmas.
func TestSCIMUnicodeFolding(t *testing.T) {
	forEachBackend(t, server.Config{}, func(t *testing.T, e *scimEnv) {
		josé := e.newUser("josé", nil)
		r := e.do("POST", "/scim/v2/Users", map[string]any{"schemas": []string{"urn:ietf:params:scim:schemas:core:2.0:User"}, "userName": "JOSE\u0301"})
		e.wantError(r, http.StatusConflict, "uniqueness", "")
		r = e.must(http.StatusOK, "GET", "/scim/v2/Users?filter="+url.QueryEscape(`userName eq "jose`+"\u0301"+`"`), nil)
		if jnum(r.doc, "totalResults") != 1 || jstr(scimResources(r)[0], "id") != josé {
			t.Errorf("userName eq decomposed josé: %s", r.body)
		}
		e.newUser("info", nil)
		e.newUser("İnfo", nil) // not a look-alike of info under full case folding
		sigma := e.newUser("nikoς", map[string]any{"name": map[string]any{"formatted": "nikoς"}})
		for _, f := range []string{`userName eq "NIKOΣ"`, `name.formatted eq "NIKOΣ"`, `userName eq "nikoσ" and name.formatted eq "nikoσ"`} {
			r := e.must(http.StatusOK, "GET", "/scim/v2/Users?filter="+url.QueryEscape(f), nil)
			if jnum(r.doc, "totalResults") != 1 || jstr(scimResources(r)[0], "id") != sigma {
				t.Errorf("%s: %s", f, r.body)
			}
		}
		for _, f := range []string{`userName eq "INFO"`, `name.formatted eq "INFO" or userName eq "INFO"`} {
			r := e.must(http.StatusOK, "GET", "/scim/v2/Users?filter="+url.QueryEscape(f), nil)
			if jnum(r.doc, "totalResults") != 1 || jstr(scimResources(r)[0], "userName") != "info" {
				t.Errorf("%s: %s", f, r.body)
			}
		}
	})
}
