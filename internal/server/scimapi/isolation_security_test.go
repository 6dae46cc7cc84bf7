package scimapi_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/rolecall/rolecall/internal/audit"
	"github.com/rolecall/rolecall/internal/server"
)

// asOrg returns a view of e's server that authenticates with a SCIM token of a new org.
func (e *scimEnv) asOrg(t *testing.T, name string) *scimEnv {
	t.Helper()
	ctx := audit.WithActor(context.Background(), audit.Actor{Name: "test"})
	org, err := e.env.Service.CreateOrg(ctx, name)
	if err != nil {
		t.Fatal(err)
	}
	return &scimEnv{t: t, st: e.st, srv: e.srv, org: org.ID, token: e.createSCIMToken(t, org.ID), env: e.env}
}

// TestSCIMOrgIsolationMatrix uses org A's SCIM token against org B's users and groups through
// every SCIM route and method: every object route answers 404, lists, filters and searches
// never show B's objects, Bulk operations and member references cannot reach them, and B's
// objects are unchanged afterwards (same version, same members) with no audit event.
func TestSCIMOrgIsolationMatrix(t *testing.T) {
	forEachBackend(t, server.Config{}, func(t *testing.T, a *scimEnv) {
		b := a.asOrg(t, "org-b")
		bUserName, bGroupName, bExternal := "bob@b.example", "b-team", "b-ext-42"
		bu := b.newUser(bUserName, map[string]any{"externalId": bExternal, "emails": []map[string]any{{"value": "bob@b.example", "primary": true}}})
		bg := b.newGroup(bGroupName, bu)
		au := a.newUser("alice@a.example", nil)
		ag := a.newGroup("a-team", au)
		bUserBefore := b.must(200, "GET", "/scim/v2/Users/"+bu, nil)
		bGroupBefore := b.must(200, "GET", "/scim/v2/Groups/"+bg, nil)
		bAuditBefore := b.auditCount("")

		secrets := []string{bu, bg, bUserName, bGroupName, bExternal}
		noLeak := func(what string, sent string, r scimResp) {
			t.Helper()
			for _, s := range secrets {
				if strings.Contains(string(r.body), s) && !strings.Contains(sent, s) {
					t.Errorf("%s as A shows org B's %q: %d %s", what, s, r.status, r.body)
				}
			}
		}
		userBody := map[string]any{"schemas": []string{"urn:ietf:params:scim:schemas:core:2.0:User"}, "userName": "taken@a.example"}
		groupBody := map[string]any{"schemas": []string{"urn:ietf:params:scim:schemas:core:2.0:Group"}, "displayName": "x"}
		patch := scimPatchBody(scimOp("replace", "active", false))
		gpatch := scimPatchBody(scimOp("add", "members", []map[string]any{{"value": au}}))

		// Every object route and method, by B's id: 404, in the SCIM error format.
		for _, c := range []struct {
			method, kind, id string
			body             any
		}{
			{"GET", "Users", bu, nil}, {"PUT", "Users", bu, userBody}, {"PATCH", "Users", bu, patch}, {"DELETE", "Users", bu, nil},
			{"GET", "Groups", bg, nil}, {"PUT", "Groups", bg, groupBody}, {"PATCH", "Groups", bg, gpatch}, {"DELETE", "Groups", bg, nil},
			// Crossed kinds: B's group id under /Users and the reverse.
			{"GET", "Users", bg, nil}, {"GET", "Groups", bu, nil},
		} {
			path := "/scim/v2/" + c.kind + "/" + c.id
			r := a.do(c.method, path, c.body)
			a.wantError(r, http.StatusNotFound, "", "")
			noLeak(c.method+" "+path, path, r)
		}

		// Lists, filters and searches (GET and POST .search, per kind and at the root).
		filters := []string{
			`id eq "` + bu + `"`, `id eq "` + bg + `"`, `userName eq "` + bUserName + `"`, `userName sw "bob"`,
			`externalId eq "` + bExternal + `"`, `emails.value eq "bob@b.example"`, `emails co "b.example"`,
			`displayName eq "` + bGroupName + `"`, `members.value eq "` + bu + `"`, `members[value eq "` + bu + `"]`,
			`meta.created gt "2000-01-01T00:00:00Z"`, `not (userName eq "nobody")`,
		}
		for _, kind := range []string{"Users", "Groups"} {
			r := a.must(200, "GET", "/scim/v2/"+kind+"?count=1000", nil)
			noLeak("list "+kind, "", r)
			if n := jnum(r.doc, "totalResults"); n != 1 {
				t.Errorf("A's %s list totals %d, want 1 (A's own)", kind, n)
			}
			for _, f := range filters {
				path := "/scim/v2/" + kind + "?filter=" + url.QueryEscape(f)
				r := a.do("GET", path, nil)
				if r.status != 200 && r.status != 400 {
					t.Errorf("GET %s = %d %s", path, r.status, r.body)
				}
				noLeak("GET "+path, f, r)
				if r.status == 200 && strings.Contains(f, "b") && jnum(r.doc, "totalResults") > 1 {
					t.Errorf("GET %s counts %d", path, jnum(r.doc, "totalResults"))
				}
				body := map[string]any{"schemas": []string{"urn:ietf:params:scim:api:messages:2.0:SearchRequest"}, "filter": f}
				r = a.do("POST", "/scim/v2/"+kind+"/.search", body)
				noLeak("POST "+kind+"/.search "+f, f, r)
				r = a.do("POST", "/scim/v2/.search", body)
				noLeak("POST /.search "+f, f, r)
			}
		}

		// Member references: B's user or group as a member of A's group is treated exactly
		// as an id that exists nowhere (same status), and never becomes a member.
		ghost := "01900000-0000-7000-8000-000000000000"
		memberOf := func(ref, name string) (create, patch, put int) {
			r := a.do("POST", "/scim/v2/Groups", map[string]any{"schemas": []string{"urn:ietf:params:scim:schemas:core:2.0:Group"},
				"displayName": name, "members": []map[string]any{{"value": ref}}})
			noLeak("POST group with member "+ref, ref, r)
			create = r.status
			r = a.do("PATCH", "/scim/v2/Groups/"+ag, scimPatchBody(scimOp("add", "members", []map[string]any{{"value": ref}})))
			noLeak("PATCH add member "+ref, ref, r)
			patch = r.status
			r = a.do("PUT", "/scim/v2/Groups/"+ag, map[string]any{"schemas": []string{"urn:ietf:params:scim:schemas:core:2.0:Group"},
				"displayName": "a-team", "members": []map[string]any{{"value": au}, {"value": ref}}})
			noLeak("PUT with member "+ref, ref, r)
			put = r.status
			return
		}
		gc, gp, gu := memberOf(ghost, "ghost-group")
		for _, ref := range []string{bu, bg} {
			if c, p, u := memberOf(ref, "steal-"+ref[len(ref)-6:]); c != gc || p != gp || u != gu {
				t.Errorf("B's %s as a member answers %d/%d/%d (create/patch/put), a nonexistent id %d/%d/%d: the difference tells A it exists",
					ref, c, p, u, gc, gp, gu)
			}
		}
		if r := a.must(200, "GET", "/scim/v2/Groups?filter="+url.QueryEscape(`members.value eq "`+bu+`" or members.value eq "`+bg+`"`), nil); jnum(r.doc, "totalResults") != 0 {
			t.Errorf("a group of A holds B's objects: %s", r.body)
		}

		// Bulk: every operation on B's objects fails on its own; none reaches them.
		bulk := map[string]any{"schemas": []string{"urn:ietf:params:scim:api:messages:2.0:BulkRequest"}, "Operations": []map[string]any{
			{"method": "PATCH", "path": "/Users/" + bu, "data": patch},
			{"method": "PUT", "path": "/Users/" + bu, "data": userBody},
			{"method": "DELETE", "path": "/Users/" + bu},
			{"method": "PATCH", "path": "/Groups/" + bg, "data": gpatch},
			{"method": "DELETE", "path": "/Groups/" + bg},
			// Created, but without B's user (checked below with the members filter).
			{"method": "POST", "path": "/Groups", "bulkId": "g1", "data": map[string]any{"schemas": []string{"urn:ietf:params:scim:schemas:core:2.0:Group"},
				"displayName": "bulk-steal", "members": []map[string]any{{"value": bu}}}},
		}}
		r := a.do("POST", "/scim/v2/Bulk", bulk)
		if r.status != 200 {
			t.Fatalf("bulk: %d %s", r.status, r.body)
		}
		for i, op := range scimListOf(r.doc, "Operations") {
			st := fmt.Sprint(jget(op, "status"))
			if want := i < 5; want && !strings.HasPrefix(st, "4") {
				t.Errorf("bulk op %d on B's object answered %s: %v", i, st, op)
			}
		}
		noLeak("bulk", fmt.Sprint(bulk), r)
		if r := a.must(200, "GET", "/scim/v2/Groups?filter="+url.QueryEscape(`members.value eq "`+bu+`"`), nil); jnum(r.doc, "totalResults") != 0 {
			t.Errorf("bulk gave a group of A B's user: %s", r.body)
		}

		// A's admin-scope token is not a SCIM token.
		r = a.do("GET", "/scim/v2/Users", nil, "Authorization", "Bearer "+a.admin)
		a.wantError(r, http.StatusForbidden, "", "scope")

		// Uniqueness is per org: A may take B's userName and displayName.
		a.must(201, "POST", "/scim/v2/Users", map[string]any{"schemas": []string{"urn:ietf:params:scim:schemas:core:2.0:User"}, "userName": bUserName})
		a.must(201, "POST", "/scim/v2/Groups", map[string]any{"schemas": []string{"urn:ietf:params:scim:schemas:core:2.0:Group"}, "displayName": bGroupName})

		// B saw nothing happen.
		if got := b.must(200, "GET", "/scim/v2/Users/"+bu, nil); string(got.body) != string(bUserBefore.body) {
			t.Errorf("B's user changed:\n%s\n%s", bUserBefore.body, got.body)
		}
		if got := b.must(200, "GET", "/scim/v2/Groups/"+bg, nil); string(got.body) != string(bGroupBefore.body) {
			t.Errorf("B's group changed:\n%s\n%s", bGroupBefore.body, got.body)
		}
		if n := b.auditCount(""); n != bAuditBefore {
			t.Errorf("B's audit log grew from %d to %d events", bAuditBefore, n)
		}
		if r := b.must(200, "GET", "/scim/v2/Users?count=1000", nil); jnum(r.doc, "totalResults") != 1 {
			t.Errorf("B sees %d users, want 1: %s", jnum(r.doc, "totalResults"), r.body)
		}
	})
}

// scimListOf returns the array member name of doc as objects.
func scimListOf(doc map[string]any, name string) []map[string]any {
	arr, _ := doc[name].([]any)
	out := make([]map[string]any, 0, len(arr))
	for _, v := range arr {
		if m, ok := v.(map[string]any); ok {
			out = append(out, m)
		}
	}
	return out
}
