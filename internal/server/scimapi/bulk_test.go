package scimapi_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/rolecall/rolecall/internal/scim"
	"github.com/rolecall/rolecall/internal/server"
	"github.com/rolecall/rolecall/internal/server/scimapi"
	"github.com/rolecall/rolecall/internal/store"
)

// Bulk tests run end to end like the other SCIM tests: a real server on SQLite (and
// PostgreSQL when ROLECALL_TEST_POSTGRES is set).

func bulkBody(failOnErrors int, ops ...map[string]any) map[string]any {
	b := map[string]any{"schemas": []string{scimapi.URNBulkRequest}, "Operations": ops}
	if failOnErrors > 0 {
		b["failOnErrors"] = failOnErrors
	}
	return b
}

// bulkOpBody is one Bulk operation; data nil leaves it out, version "" too.
func bulkOpBody(method, path, bulkID string, data any, version ...string) map[string]any {
	m := map[string]any{"method": method, "path": path}
	if bulkID != "" {
		m["bulkId"] = bulkID
	}
	if data != nil {
		m["data"] = data
	}
	if len(version) > 0 {
		m["version"] = version[0]
	}
	return m
}

func bulkUser(userName string) map[string]any {
	return map[string]any{"schemas": []string{scim.URNUser}, "userName": userName}
}

func bulkGroup(name string, memberValues ...string) map[string]any {
	ms := make([]any, len(memberValues))
	for i, v := range memberValues {
		ms[i] = map[string]any{"value": v}
	}
	return map[string]any{"schemas": []string{scim.URNGroup}, "displayName": name, "members": ms}
}

func bulkResults(r scimResp) []map[string]any {
	list, _ := r.doc["Operations"].([]any)
	out := make([]map[string]any, len(list))
	for i, x := range list {
		out[i], _ = x.(map[string]any)
	}
	return out
}

// bulkSummary renders each result as method:bulkId:status[:scimType], in answer order.
func bulkSummary(r scimResp) []string {
	var out []string
	for _, op := range bulkResults(r) {
		s := jstr(op, "method") + ":" + jstr(op, "bulkId") + ":" + jstr(op, "status")
		if st := jstr(op, "response.scimType"); st != "" {
			s += ":" + st
		}
		out = append(out, s)
	}
	return out
}

// bulkIDs maps each bulkId of a successful POST to the id in its location.
func bulkIDs(r scimResp) map[string]string {
	ids := map[string]string{}
	for _, op := range bulkResults(r) {
		if jstr(op, "method") == "POST" && jstr(op, "status") == "201" {
			loc := jstr(op, "location")
			ids[jstr(op, "bulkId")] = loc[strings.LastIndex(loc, "/")+1:]
		}
	}
	return ids
}

// bulkMembersOf lists a group's member ids as GET answers them.
func (e *scimEnv) bulkMembersOf(gid string) []string {
	e.t.Helper()
	g := e.must(http.StatusOK, "GET", "/scim/v2/Groups/"+gid, nil)
	var out []string
	ms, _ := g.doc["members"].([]any)
	for _, m := range ms {
		out = append(out, jstr(m.(map[string]any), "value"))
	}
	return out
}

func (e *scimEnv) bulkUserExists(userName string) bool {
	e.t.Helper()
	r := e.must(http.StatusOK, "GET", "/scim/v2/Users?filter=userName+eq+%22"+userName+"%22", nil)
	return jnum(r.doc, "totalResults") == 1
}

func TestSCIMBulk(t *testing.T) {
	cases := []struct {
		name  string
		cfg   server.Config
		setup func(e *scimEnv) map[string]string // ids of resources made before the request
		fail  int
		ops   []map[string]any // "{name}" in a path is the id setup returned as name
		want  []string         // bulkSummary
		audit map[string]int   // action → events
		check func(t *testing.T, e *scimEnv, r scimResp, ids, pre map[string]string)
	}{{
		name: "users and a group referencing them by bulkId",
		ops: []map[string]any{
			bulkOpBody("POST", "/Users", "u1", bulkUser("ann@example.com")),
			bulkOpBody("post", "/users", "u2", bulkUser("bob@example.com")),
			bulkOpBody("POST", "/GROUPS/", "g", bulkGroup("Team", "bulkId:u1", "bulkId:u2")),
		},
		want:  []string{"POST:u1:201", "POST:u2:201", "POST:g:201"},
		audit: map[string]int{"scim.user.create": 2, "scim.group.create": 1},
		check: func(t *testing.T, e *scimEnv, r scimResp, ids, _ map[string]string) {
			got := e.bulkMembersOf(ids["g"])
			if len(got) != 2 || !slices.Contains(got, ids["u1"]) || !slices.Contains(got, ids["u2"]) {
				t.Errorf("members %v, want %s and %s", got, ids["u1"], ids["u2"])
			}
			for _, op := range bulkResults(r) {
				if jstr(op, "version") != `W/"1"` || !strings.HasPrefix(jstr(op, "location"), e.srv.URL+"/scim/v2/") || op["response"] != nil {
					t.Errorf("result %v", op)
				}
			}
		},
	}, {
		name: "a reference to a bulkId defined later runs that POST first",
		ops: []map[string]any{
			bulkOpBody("POST", "/Groups", "g", bulkGroup("Forward", "bulkId:u1")),
			bulkOpBody("PATCH", "/Users/bulkId:u2", "", scimPatchBody(scimOp("replace", "displayName", "Bee"))),
			bulkOpBody("POST", "/Users", "u1", bulkUser("ann@example.com")),
			bulkOpBody("POST", "/Users", "u2", bulkUser("bob@example.com")),
		},
		want:  []string{"POST:u1:201", "POST:g:201", "POST:u2:201", "PATCH::200"},
		audit: map[string]int{"scim.user.create": 2, "scim.group.create": 1, "scim.user.patch": 1},
		check: func(t *testing.T, e *scimEnv, r scimResp, ids, _ map[string]string) {
			if got := e.bulkMembersOf(ids["g"]); len(got) != 1 || got[0] != ids["u1"] {
				t.Errorf("members %v, want [%s]", got, ids["u1"])
			}
			u := e.must(200, "GET", "/scim/v2/Users/"+ids["u2"], nil)
			if jstr(u.doc, "displayName") != "Bee" || jstr(bulkResults(r)[3], "version") != `W/"2"` {
				t.Errorf("patched user %s; results %s", u.body, r.body)
			}
		},
	}, {
		name: "PATCH and DELETE by bulkId path",
		ops: []map[string]any{
			bulkOpBody("POST", "/Users", "a", bulkUser("ann@example.com")),
			bulkOpBody("POST", "/Users", "b", bulkUser("bob@example.com")),
			bulkOpBody("POST", "/Groups", "g", bulkGroup("Team")),
			bulkOpBody("PATCH", "/Groups/bulkId:g", "", scimPatchBody(scimOp("add", "members",
				[]any{map[string]any{"value": "bulkId:a"}, map[string]any{"value": "bulkId:b"}}))),
			bulkOpBody("PATCH", "/Groups/bulkId:g", "", scimPatchBody(scimOp("remove", `members[value eq "bulkId:b"]`, nil))),
			bulkOpBody("DELETE", "/Users/bulkId:b", "", nil),
		},
		want: []string{"POST:a:201", "POST:b:201", "POST:g:201", "PATCH::204", "PATCH::204", "DELETE::204"},
		audit: map[string]int{"scim.user.create": 2, "scim.group.create": 1, "scim.group.patch": 2,
			"scim.user.delete": 1},
		check: func(t *testing.T, e *scimEnv, r scimResp, ids, _ map[string]string) {
			if got := e.bulkMembersOf(ids["g"]); len(got) != 1 || got[0] != ids["a"] {
				t.Errorf("members %v, want [%s]", got, ids["a"])
			}
			e.must(404, "GET", "/scim/v2/Users/"+ids["b"], nil)
			del := bulkResults(r)[5]
			if jstr(del, "location") != e.srv.URL+"/scim/v2/Users/"+ids["b"] || del["version"] != nil {
				t.Errorf("DELETE result %v", del)
			}
		},
	}, {
		name: "failOnErrors=1 stops at the first failure",
		fail: 1,
		ops: []map[string]any{
			bulkOpBody("POST", "/Users", "a", bulkUser("ann@example.com")),
			bulkOpBody("POST", "/Users", "dup", bulkUser("ANN@example.com")),
			bulkOpBody("POST", "/Users", "c", bulkUser("cat@example.com")),
		},
		want:  []string{"POST:a:201", "POST:dup:409:uniqueness"},
		audit: map[string]int{"scim.user.create": 1},
		check: func(t *testing.T, e *scimEnv, _ scimResp, _, _ map[string]string) {
			if e.bulkUserExists("cat@example.com") {
				t.Error("the operation after failOnErrors was reached ran")
			}
		},
	}, {
		name: "failOnErrors=2 runs past the first failure",
		fail: 2,
		ops: []map[string]any{
			bulkOpBody("DELETE", "/Users/nope", "", nil),
			bulkOpBody("POST", "/Users", "a", bulkUser("ann@example.com")),
			bulkOpBody("DELETE", "/Groups/nope", "", nil),
			bulkOpBody("POST", "/Users", "c", bulkUser("cat@example.com")),
		},
		want:  []string{"DELETE::404", "POST:a:201", "DELETE::404"},
		audit: map[string]int{"scim.user.create": 1},
	}, {
		name: "duplicate userName inside one request",
		ops: []map[string]any{
			bulkOpBody("POST", "/Users", "a", bulkUser("ann@example.com")),
			bulkOpBody("POST", "/Users", "a2", bulkUser("Ann@Example.com")),
			bulkOpBody("POST", "/Users", "c", bulkUser("cat@example.com")),
		},
		want:  []string{"POST:a:201", "POST:a2:409:uniqueness", "POST:c:201"},
		audit: map[string]int{"scim.user.create": 2},
		check: func(t *testing.T, e *scimEnv, r scimResp, _, _ map[string]string) {
			dup := bulkResults(r)[1]
			if dup["location"] != nil || dup["version"] != nil || jstr(dup, "response.status") != "409" ||
				!strings.Contains(jstr(dup, "response.detail"), "Ann@Example.com") {
				t.Errorf("failed POST result %v", dup)
			}
		},
	}, {
		name: "a failed POST fails the operations referencing it",
		ops: []map[string]any{
			bulkOpBody("POST", "/Users", "bad", map[string]any{"schemas": []string{scim.URNUser}}),
			bulkOpBody("POST", "/Groups", "g", bulkGroup("Team", "bulkId:bad")),
			bulkOpBody("PATCH", "/Users/bulkId:bad", "", scimPatchBody(scimOp("replace", "active", false))),
		},
		want: []string{"POST:bad:400:invalidValue", "POST:g:409", "PATCH::409"},
		check: func(t *testing.T, e *scimEnv, r scimResp, _, _ map[string]string) {
			if d := jstr(bulkResults(r)[1], "response.detail"); !strings.Contains(d, `bulkId "bad" was not created`) {
				t.Errorf("detail %q", d)
			}
			if bulkResults(r)[2]["location"] != nil {
				t.Errorf("a PATCH of a resource never created has no location: %v", bulkResults(r)[2])
			}
			e.must(200, "GET", "/scim/v2/Groups?filter=displayName+eq+%22Team%22", nil)
		},
	}, {
		name: "unknown and circular references",
		ops: []map[string]any{
			bulkOpBody("POST", "/Groups", "g0", bulkGroup("Orphan", "bulkId:nope")),
			bulkOpBody("POST", "/Groups", "g1", bulkGroup("One", "bulkId:g2")),
			bulkOpBody("POST", "/Groups", "g2", bulkGroup("Two", "bulkId:g1")),
			bulkOpBody("POST", "/Groups", "self", bulkGroup("Self", "bulkId:self")),
			bulkOpBody("POST", "/Groups", "ok", bulkGroup("Fine")),
		},
		want:  []string{"POST:g0:400:invalidValue", "POST:g2:409", "POST:g1:409", "POST:self:409", "POST:ok:201"},
		audit: map[string]int{"scim.group.create": 1},
		check: func(t *testing.T, e *scimEnv, r scimResp, _, _ map[string]string) {
			res := bulkResults(r)
			if d := jstr(res[1], "response.detail"); !strings.Contains(d, "circular") {
				t.Errorf("circle detail %q", d)
			}
			if d := jstr(res[0], "response.detail"); !strings.Contains(d, `"nope" is not defined`) {
				t.Errorf("unknown detail %q", d)
			}
			if g := e.must(200, "GET", "/scim/v2/Groups", nil); jnum(g.doc, "totalResults") != 1 {
				t.Errorf("groups: %s", g.body)
			}
		},
	}, {
		name: "version is the operation's If-Match",
		setup: func(e *scimEnv) map[string]string {
			return map[string]string{"u": e.newUser("ann@example.com", nil), "v": e.newUser("vic@example.com", nil)}
		},
		ops: []map[string]any{
			bulkOpBody("PUT", "/Users/{u}", "", bulkUser("ann2@example.com"), `W/"7"`),
			bulkOpBody("PATCH", "/Users/{u}", "", scimPatchBody(scimOp("replace", "displayName", "Ann")), `W/"1"`),
			bulkOpBody("DELETE", "/Users/{v}", "", nil, `W/"2"`),
			bulkOpBody("DELETE", "/Users/{v}", "", nil, `W/"1"`),
		},
		want:  []string{"PUT::412", "PATCH::200", "DELETE::412", "DELETE::204"},
		audit: map[string]int{"scim.user.create": 2, "scim.user.patch": 1, "scim.user.delete": 1},
		check: func(t *testing.T, e *scimEnv, r scimResp, _, pre map[string]string) {
			u := e.must(200, "GET", "/scim/v2/Users/"+pre["u"], nil)
			if jstr(u.doc, "userName") != "ann@example.com" || jstr(u.doc, "displayName") != "Ann" {
				t.Errorf("user after a refused PUT and a PATCH: %s", u.body)
			}
			if l := jstr(bulkResults(r)[0], "location"); l != e.srv.URL+"/scim/v2/Users/"+pre["u"] {
				t.Errorf("failed PUT location %q", l)
			}
		},
	}, {
		name: "PUT of a group through bulk, and PATCH answered 204 when configured",
		cfg:  server.Config{PatchNoContent: true},
		setup: func(e *scimEnv) map[string]string {
			u := e.newUser("ann@example.com", nil)
			return map[string]string{"u": u, "g": e.newGroup("Team", u)}
		},
		ops: []map[string]any{
			bulkOpBody("POST", "/Users", "b", bulkUser("bob@example.com")),
			bulkOpBody("PUT", "/Groups/{g}", "", bulkGroup("Team B", "bulkId:b")),
			bulkOpBody("PATCH", "/Users/bulkId:b", "", scimPatchBody(scimOp("replace", "nickName", "bobby"))),
		},
		want:  []string{"POST:b:201", "PUT::200", "PATCH::204"},
		audit: map[string]int{"scim.user.create": 2, "scim.group.create": 1, "scim.group.replace": 1, "scim.user.patch": 1},
		check: func(t *testing.T, e *scimEnv, _ scimResp, ids, pre map[string]string) {
			if got := e.bulkMembersOf(pre["g"]); len(got) != 1 || got[0] != ids["b"] {
				t.Errorf("members after PUT %v, want [%s]", got, ids["b"])
			}
		},
	}}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			forEachBackend(t, c.cfg, func(t *testing.T, e *scimEnv) {
				var pre map[string]string
				if c.setup != nil {
					pre = c.setup(e)
				}
				ops := make([]map[string]any, len(c.ops))
				for i, op := range c.ops {
					ops[i] = maps.Clone(op) // the cases are shared by the backends
					for name, id := range pre {
						ops[i]["path"] = strings.ReplaceAll(ops[i]["path"].(string), "{"+name+"}", id)
					}
				}
				r := e.must(http.StatusOK, "POST", "/scim/v2/Bulk", bulkBody(c.fail, ops...))
				if jstr(r.doc, "schemas.0") != scimapi.URNBulkResponse || r.header.Get("Content-Type") != scimapi.ContentType {
					t.Errorf("not a BulkResponse: %s %s", r.header.Get("Content-Type"), r.body)
				}
				if got := bulkSummary(r); strings.Join(got, " ") != strings.Join(c.want, " ") {
					t.Errorf("results\n got %v\nwant %v\nbody %s", got, c.want, r.body)
				}
				// One audit event per successful operation (c.audit counts the setup's too),
				// none for a failed one.
				total := 0
				for action, n := range c.audit {
					if got := e.auditCount(action); got != n {
						t.Errorf("audit %s: %d events, want %d", action, got, n)
					}
					total += n
				}
				if got := e.auditCount(""); got != total {
					t.Errorf("%d SCIM audit events, want %d", got, total)
				}
				if c.check != nil {
					c.check(t, e, r, bulkIDs(r), pre)
				}
			})
		})
	}
}

// TestSCIMBulkRefused covers requests refused as a whole: nothing runs, nothing is written.
func TestSCIMBulkRefused(t *testing.T) {
	user := bulkUser("ann@example.com")
	many := make([]map[string]any, scimapi.BulkMaxOperations+1)
	for i := range many {
		many[i] = bulkOpBody("DELETE", fmt.Sprintf("/Users/u%d", i), "", nil)
	}
	cases := []struct {
		name     string
		body     any
		status   int
		scimType string
		detail   string
	}{
		{"not JSON", `{"schemas":`, 400, "invalidSyntax", "not valid JSON"},
		{"not an object", `[1]`, 400, "invalidSyntax", "JSON object"},
		{"wrong schema", map[string]any{"schemas": []string{scim.URNPatchOp}, "Operations": []any{bulkOpBody("POST", "/Users", "a", user)}}, 400, "invalidSyntax", scimapi.URNBulkRequest},
		{"no Operations", map[string]any{"schemas": []string{scimapi.URNBulkRequest}}, 400, "invalidSyntax", "Operations"},
		{"empty Operations", map[string]any{"schemas": []string{scimapi.URNBulkRequest}, "Operations": []any{}}, 400, "invalidSyntax", "empty"},
		{"operation not an object", map[string]any{"schemas": []string{scimapi.URNBulkRequest}, "Operations": []any{"POST"}}, 400, "invalidSyntax", "Operations[0]"},
		{"missing method", bulkBody(0, bulkOpBody("POST", "/Users", "a", user), map[string]any{"path": "/Users", "bulkId": "b", "data": user}), 400, "invalidSyntax", `Operations[1]: "method" is missing`},
		{"missing path", bulkBody(0, map[string]any{"method": "POST", "bulkId": "b", "data": user}), 400, "invalidSyntax", `"path" is missing`},
		{"GET", bulkBody(0, bulkOpBody("GET", "/Users/x", "", nil)), 400, "invalidSyntax", `method "GET"`},
		{"unknown endpoint", bulkBody(0, bulkOpBody("POST", "/Schemas", "a", user)), 400, "invalidSyntax", "/Schemas"},
		{"too deep a path", bulkBody(0, bulkOpBody("DELETE", "/Users/a/b", "", nil)), 400, "invalidSyntax", "/Users/a/b"},
		{"POST to a resource", bulkBody(0, bulkOpBody("POST", "/Users/x", "a", user)), 400, "invalidSyntax", "POST creates"},
		{"PATCH of an endpoint", bulkBody(0, bulkOpBody("PATCH", "/Users", "", scimPatchBody(scimOp("replace", "active", false)))), 400, "invalidSyntax", "PATCH needs the path"},
		{"POST without bulkId", bulkBody(0, bulkOpBody("POST", "/Users", "", user)), 400, "invalidSyntax", "bulkId"},
		{"PUT without data", bulkBody(0, bulkOpBody("PUT", "/Users/x", "", nil)), 400, "invalidSyntax", `PUT needs "data"`},
		{"bulkId twice", bulkBody(0, bulkOpBody("POST", "/Users", "a", user), bulkOpBody("POST", "/Users", "a", bulkUser("b@example.com"))), 400, "invalidSyntax", "already used by Operations[0]"},
		{"bulkId not a string", bulkBody(0, map[string]any{"method": "POST", "path": "/Users", "bulkId": 5, "data": user}), 400, "invalidSyntax", `"bulkId" must be a string`},
		{"failOnErrors 0", map[string]any{"schemas": []string{scimapi.URNBulkRequest}, "failOnErrors": 0, "Operations": []any{bulkOpBody("POST", "/Users", "a", user)}}, 400, "invalidValue", "failOnErrors"},
		{"failOnErrors not a number", map[string]any{"schemas": []string{scimapi.URNBulkRequest}, "failOnErrors": "1", "Operations": []any{bulkOpBody("POST", "/Users", "a", user)}}, 400, "invalidValue", "failOnErrors"},
		{"maxOperations exceeded", bulkBody(0, append([]map[string]any{bulkOpBody("POST", "/Users", "a", user)}, many...)...), 413, "tooMany", "at most 1000"},
	}
	forEachBackend(t, server.Config{}, func(t *testing.T, e *scimEnv) {
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				e.t = t
				e.wantError(e.do("POST", "/scim/v2/Bulk", c.body), c.status, c.scimType, c.detail)
			})
		}
		e.t = t
		if n := e.auditCount(""); n != 0 || e.bulkUserExists("ann@example.com") {
			t.Errorf("a refused request wrote: %d audit events", n)
		}
		e.wantError(e.do("POST", "/scim/v2/Bulk", bulkBody(0, bulkOpBody("POST", "/Users", "a", user)), "Content-Type", "text/plain"), 415, "", "Content-Type")
		r := e.do("GET", "/scim/v2/Bulk", nil)
		if e.wantError(r, 405, "", ""); r.header.Get("Allow") != "POST" {
			t.Errorf("Allow %q", r.header.Get("Allow"))
		}
	})
}

// TestSCIMBulkPayloadLimit: a body over maxPayloadSize is 413 whether the client declares
// its length or streams it, and nothing of it runs.
func TestSCIMBulkPayloadLimit(t *testing.T) {
	const limit = 4096
	forEachBackend(t, server.Config{MaxBodyBytes: limit}, func(t *testing.T, e *scimEnv) {
		spc := e.must(200, "GET", "/scim/v2/ServiceProviderConfig", nil)
		if jget(spc.doc, "bulk.supported") != true || jnum(spc.doc, "bulk.maxOperations") != scimapi.BulkMaxOperations ||
			jnum(spc.doc, "bulk.maxPayloadSize") != limit {
			t.Errorf("bulk in ServiceProviderConfig: %v", spc.doc["bulk"])
		}
		var ops []map[string]any
		for i := 0; i < 60; i++ {
			ops = append(ops, bulkOpBody("POST", "/Users", fmt.Sprint("u", i), bulkUser(fmt.Sprintf("user%03d@example.com", i))))
		}
		body, _ := json.Marshal(bulkBody(0, ops...))
		if len(body) <= limit {
			t.Fatalf("test body of %d bytes is not over the limit", len(body))
		}
		e.wantError(e.do("POST", "/scim/v2/Bulk", body), 413, "", "maxPayloadSize")

		// Streamed (chunked, no Content-Length): the limit bites while reading.
		pr, pw := io.Pipe()
		go func() { _, _ = pw.Write(body); _ = pw.Close() }()
		req, _ := http.NewRequest("POST", e.srv.URL+"/scim/v2/Bulk", pr)
		req.Header.Set("Authorization", "Bearer "+e.token)
		req.Header.Set("Content-Type", scimapi.ContentType)
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if res.StatusCode != 413 || !strings.Contains(string(b), "maxPayloadSize") {
			t.Errorf("streamed oversized Bulk: %d %s", res.StatusCode, b)
		}
		if n := e.auditCount(""); n != 0 {
			t.Errorf("an oversized request wrote %d audit events", n)
		}
		// Just under the limit runs.
		r := e.must(200, "POST", "/scim/v2/Bulk", bulkBody(0, ops[:10]...))
		if len(bulkResults(r)) != 10 || e.auditCount("scim.user.create") != 10 {
			t.Errorf("small Bulk: %s", r.body)
		}
	})
}

// crashStore crashes the first transaction that creates a group, after all its writes
// (group, members, audit event) and before the commit: the transaction rolls back, as it
// would if the process died there.
type crashStore struct {
	store.Store
	crashed atomic.Bool
}

// groupCreateTx notes that its transaction created a group.
type groupCreateTx struct {
	store.Tx
	created *bool
}

func (t groupCreateTx) CreateGroup(ctx context.Context, g store.Group) (store.Group, error) {
	*t.created = true
	return t.Tx.CreateGroup(ctx, g)
}

func (c *crashStore) Update(ctx context.Context, fn func(store.Tx) error) error {
	return c.Store.Update(ctx, func(tx store.Tx) error {
		created := false
		if err := fn(groupCreateTx{Tx: tx, created: &created}); err != nil {
			return err
		}
		if created && c.crashed.CompareAndSwap(false, true) {
			panic("crash before commit")
		}
		return nil
	})
}

// TestSCIMBulkCrash: a crash in the middle of a Bulk request leaves the operations before
// it applied, the one it hit not applied at all (no user, no membership, no audit event).
func TestSCIMBulkCrash(t *testing.T) {
	forEachBackend(t, server.Config{}, func(t *testing.T, e *scimEnv) {
		e.srv = httptest.NewServer(server.New(server.Config{}, &crashStore{Store: e.st}, nil, nil).Handler())
		t.Cleanup(e.srv.Close)
		r := e.do("POST", "/scim/v2/Bulk", bulkBody(0,
			bulkOpBody("POST", "/Users", "a", bulkUser("ann@example.com")),
			bulkOpBody("POST", "/Users", "b", bulkUser("bob@example.com")),
			bulkOpBody("POST", "/Groups", "g", bulkGroup("Team", "bulkId:a", "bulkId:b")),
			bulkOpBody("POST", "/Users", "c", bulkUser("cat@example.com")),
		))
		e.wantError(r, 500, "", "")
		if !e.bulkUserExists("ann@example.com") || !e.bulkUserExists("bob@example.com") || e.bulkUserExists("cat@example.com") {
			t.Error("users before the crash must be there, the ones after it not")
		}
		if g := e.must(200, "GET", "/scim/v2/Groups", nil); jnum(g.doc, "totalResults") != 0 {
			t.Errorf("the crashed group POST left a group: %s", g.body)
		}
		if n, m := e.auditCount("scim.user.create"), e.auditCount(""); n != 2 || m != 2 {
			t.Errorf("audit: %d user creates, %d SCIM events; want 2 and 2", n, m)
		}
		members := 0
		_ = e.st.View(context.Background(), func(tx store.Tx) error {
			return tx.AllMemberships(context.Background(), e.org, func(store.Membership) error { members++; return nil })
		})
		if members != 0 {
			t.Errorf("%d memberships survived the crash", members)
		}
	})
}

// TestSCIMBulkGolden pins one BulkResponse; refresh with -update.
func TestSCIMBulkGolden(t *testing.T) {
	e := newSCIMEnv(t, server.Config{})
	r := e.must(200, "POST", "/scim/v2/Bulk", bulkBody(0,
		bulkOpBody("POST", "/Users", "qwerty", map[string]any{"schemas": []string{scim.URNUser}, "userName": "Alice", "externalId": "a1"}),
		bulkOpBody("POST", "/Groups", "ytrewq", bulkGroup("Tour Guides", "bulkId:qwerty")),
		bulkOpBody("POST", "/Users", "dup", bulkUser("alice")),
		bulkOpBody("PATCH", "/Users/bulkId:qwerty", "", scimPatchBody(scimOp("replace", "displayName", "Alice L")), `W/"1"`),
		bulkOpBody("DELETE", "/Groups/bulkId:ytrewq", "", nil, `W/"1"`),
	))
	ids := bulkIDs(r)
	checkGolden(t, e, "bulk_response", r, map[string]string{"userId": ids["qwerty"], "groupId": ids["ytrewq"]})
}

// BenchmarkSCIMBulk times a full Bulk request of 1,000 user POSTs (maxOperations), each
// its own transaction and audit event. Run with -bench SCIMBulk -benchmem.
func BenchmarkSCIMBulk(b *testing.B) {
	e, _ := benchEnv(b, 0)
	for i := 0; b.Loop(); i++ {
		ops := make([]map[string]any, scimapi.BulkMaxOperations)
		for j := range ops {
			ops[j] = bulkOpBody("POST", "/Users", fmt.Sprint("u", j), bulkUser(fmt.Sprintf("bulk%d.%d@example.com", i, j)))
		}
		r := e.must(http.StatusOK, "POST", "/scim/v2/Bulk", bulkBody(0, ops...))
		if n := len(bulkResults(r)); n != scimapi.BulkMaxOperations {
			b.Fatalf("%d results", n)
		}
	}
}
