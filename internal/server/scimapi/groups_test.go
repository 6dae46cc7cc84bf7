package scimapi_test

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/rolecall/rolecall/internal/server"
	"github.com/rolecall/rolecall/internal/store"
	"github.com/rolecall/rolecall/internal/store/sqlstore"
)

// memberIDsOf reads a group's member ids over SCIM, sorted.
func (e *scimEnv) memberIDsOf(gid string) []string {
	e.t.Helper()
	r := e.must(200, "GET", "/scim/v2/Groups/"+gid, nil)
	list, _ := r.doc["members"].([]any)
	out := make([]string, 0, len(list))
	for _, m := range list {
		out = append(out, jstr(m.(map[string]any), "value"))
	}
	sort.Strings(out)
	return out
}

func sorted(ids ...string) []string {
	out := slices.Clone(ids)
	sort.Strings(out)
	return out
}

func member(id string) map[string]any { return map[string]any{"value": id} }

func TestSCIMGroupMembership(t *testing.T) {
	forEachBackend(t, server.Config{}, func(t *testing.T, e *scimEnv) {
		u := make([]string, 6)
		for i := range u {
			u[i] = e.newUser(fmt.Sprintf("m%d@example.com", i), nil)
		}
		// POST with members, one with a client display name.
		r := e.must(201, "POST", "/scim/v2/Groups", map[string]any{
			"schemas": []string{"urn:ietf:params:scim:schemas:core:2.0:Group"}, "displayName": "Engineering", "externalId": "okta-1",
			"members": []any{map[string]any{"value": u[0], "display": "VP"}, member(u[1])},
		})
		gid := jstr(r.doc, "id")
		if r.header.Get("Location") == "" || r.header.Get("ETag") != `W/"1"` {
			t.Errorf("POST group headers: %v", r.header)
		}
		ms, _ := r.doc["members"].([]any)
		if len(ms) != 2 {
			t.Fatalf("POST group members: %s", r.body)
		}
		for _, m := range ms {
			m := m.(map[string]any)
			wantDisplay := "m1@example.com"
			if m["value"] == u[0] {
				wantDisplay = "VP"
			}
			if m["display"] != wantDisplay || m["type"] != "User" || !strings.HasSuffix(jstr(m, "$ref"), "/scim/v2/Users/"+jstr(m, "value")) {
				t.Errorf("member %v", m)
			}
		}
		version := func() string {
			return e.must(200, "GET", "/scim/v2/Groups/"+gid+"?attributes=displayName", nil).header.Get("ETag")
		}

		// Okta: add, remove by filter, add again (no-op), replace displayName.
		// A Group PATCH answers 204 with the new ETag (RFC 7644 §3.5.2: no partial
		// resource); with attributes or excludedAttributes it answers 200 and the resource
		// as asked (TestSCIMGroupPatchAnswer).
		r = e.must(204, "PATCH", "/scim/v2/Groups/"+gid, scimPatchBody(scimOp("add", "members", []any{map[string]any{"value": u[2], "display": "m2@example.com"}})))
		if len(r.body) != 0 || r.header.Get("ETag") != `W/"2"` {
			t.Errorf("PATCH add answer: %s %q", r.header.Get("ETag"), r.body)
		}
		e.must(204, "PATCH", "/scim/v2/Groups/"+gid, scimPatchBody(scimOp("remove", `members[value eq "`+u[1]+`"]`, nil)))
		if got := e.memberIDsOf(gid); !slices.Equal(got, sorted(u[0], u[2])) {
			t.Errorf("after Okta add/remove: %v", got)
		}
		v := version()
		e.must(204, "PATCH", "/scim/v2/Groups/"+gid, scimPatchBody(scimOp("add", "members", []any{member(u[2])})))
		e.must(204, "PATCH", "/scim/v2/Groups/"+gid, scimPatchBody(scimOp("remove", `members[value eq "`+u[5]+`"]`, nil)))
		if version() != v {
			t.Errorf("no-op membership PATCHes changed the version %s → %s", v, version())
		}
		// Entra: capitalised ops, value arrays, bare ids, an extra "name".
		e.must(204, "PATCH", "/scim/v2/Groups/"+gid, scimPatchBody(
			map[string]any{"op": "Add", "path": "members", "value": []any{member(u[3]), u[4]}, "name": "addMember"},
			map[string]any{"op": "Remove", "path": "members", "value": []any{member(u[0])}},
		))
		if got := e.memberIDsOf(gid); !slices.Equal(got, sorted(u[2], u[3], u[4])) {
			t.Errorf("after Entra add/remove: %v", got)
		}
		// Both in one request: replace, then a displayName change.
		r = e.must(200, "PATCH", "/scim/v2/Groups/"+gid+"?attributes=members,displayName", scimPatchBody(
			scimOp("replace", "members", []any{member(u[0]), member(u[5])}),
			scimOp("replace", "displayName", "Eng"),
		))
		if lst, _ := r.doc["members"].([]any); len(lst) != 2 || jstr(r.doc, "displayName") != "Eng" {
			t.Errorf("PATCH replace with attributes=members: %s", r.body)
		}
		// Path-less replace (Okta's form for displayName).
		e.must(204, "PATCH", "/scim/v2/Groups/"+gid, scimPatchBody(scimOp("replace", "", map[string]any{"id": gid, "displayName": "Engineering"})))
		e.must(204, "PATCH", "/scim/v2/Groups/"+gid, scimPatchBody(scimOp("remove", "members", nil)))
		if got := e.memberIDsOf(gid); len(got) != 0 {
			t.Errorf("after remove all: %v", got)
		}
		e.must(204, "PATCH", "/scim/v2/Groups/"+gid, scimPatchBody(scimOp("add", "members", []any{member(u[1])})))

		// Nested groups and cycles.
		parent := e.newGroup("Parent", gid)
		if got := e.memberIDsOf(parent); !slices.Equal(got, []string{gid}) {
			t.Errorf("nested: %v", got)
		}
		r = e.must(200, "GET", "/scim/v2/Groups/"+parent, nil)
		if jstr(r.doc, "members.0.type") != "Group" || jstr(r.doc, "members.0.display") != "Engineering" {
			t.Errorf("nested member: %s", r.body)
		}
		before := e.auditCount("")
		e.wantError(e.do("PATCH", "/scim/v2/Groups/"+gid, scimPatchBody(scimOp("add", "members", []any{member(parent)}))), 400, "invalidValue", "cycle")
		e.wantError(e.do("PATCH", "/scim/v2/Groups/"+gid, scimPatchBody(scimOp("add", "members", []any{member(gid)}))), 400, "invalidValue", "itself")
		// A member that does not exist is ignored (IdPs send members they failed to provision);
		// the valid members of the same request are kept and the audit event names the id.
		e.must(204, "PATCH", "/scim/v2/Groups/"+gid, scimPatchBody(
			scimOp("add", "members", []any{member(u[2])}),
			scimOp("add", "members", []any{member("no-such-user")}),
		))
		if got := e.memberIDsOf(gid); !slices.Contains(got, u[2]) || slices.Contains(got, "no-such-user") {
			t.Errorf("after adding a known and an unknown member: %v", got)
		}
		if !e.lastAuditMentions("no-such-user") {
			t.Errorf("the audit event does not record the ignored member id")
		}
		e.must(204, "PATCH", "/scim/v2/Groups/"+gid, scimPatchBody(scimOp("remove", "members", []any{member(u[2])})))
		before = e.auditCount("")
		e.wantError(e.do("POST", "/scim/v2/Groups", map[string]any{"schemas": []string{"urn:ietf:params:scim:schemas:core:2.0:Group"},
			"displayName": "Engineering"}), 409, "uniqueness", "Engineering")
		e.wantError(e.do("PATCH", "/scim/v2/Groups/"+gid, scimPatchBody(scimOp("replace", "displayName", "parent"))), 409, "uniqueness", "parent")
		e.wantError(e.do("PATCH", "/scim/v2/Groups/"+gid, scimPatchBody(scimOp("add", "members[value eq \"x\"]", []any{member(u[0])}))), 400, "invalidPath", "")
		if got := e.memberIDsOf(gid); !slices.Equal(got, []string{u[1]}) {
			t.Errorf("a refused request changed members: %v", got)
		}
		if n := e.auditCount(""); n != before {
			t.Errorf("refused requests wrote %d audit events", n-before)
		}

		// PUT replaces members (and a body without members empties the group).
		r = e.must(200, "PUT", "/scim/v2/Groups/"+gid, map[string]any{"schemas": []string{"urn:ietf:params:scim:schemas:core:2.0:Group"},
			"displayName": "Engineering", "members": []any{member(u[3]), member(u[4])}})
		if lst, _ := r.doc["members"].([]any); len(lst) != 2 {
			t.Errorf("PUT group answer: %s", r.body)
		}
		e.must(200, "PUT", "/scim/v2/Groups/"+gid, map[string]any{"schemas": []string{"urn:ietf:params:scim:schemas:core:2.0:Group"}, "displayName": "Engineering"})
		if got := e.memberIDsOf(gid); len(got) != 0 {
			t.Errorf("PUT without members: %v", got)
		}

		// A deleted user leaves its groups; a deleted group is gone (404) and leaves its parents.
		e.must(204, "PATCH", "/scim/v2/Groups/"+gid, scimPatchBody(scimOp("add", "members", []any{member(u[0]), member(u[1])})))
		e.must(204, "DELETE", "/scim/v2/Users/"+u[0], nil)
		if got := e.memberIDsOf(gid); !slices.Equal(got, []string{u[1]}) {
			t.Errorf("deleted user still a member: %v", got)
		}
		e.wantError(e.do("DELETE", "/scim/v2/Groups/"+gid, nil, "If-Match", `W/"1"`), 412, "", "")
		e.must(204, "DELETE", "/scim/v2/Groups/"+gid, nil)
		e.wantError(e.do("GET", "/scim/v2/Groups/"+gid, nil), 404, "", "")
		e.wantError(e.do("PATCH", "/scim/v2/Groups/"+gid, scimPatchBody(scimOp("add", "members", []any{member(u[2])}))), 404, "", "")
		e.wantError(e.do("DELETE", "/scim/v2/Groups/"+gid, nil), 404, "", "")
		if got := e.memberIDsOf(parent); len(got) != 0 {
			t.Errorf("deleted group still listed as a member: %v", got)
		}
		e.newGroup("Engineering") // the name is free again

		// One audit event per write, with member counts and no member lists.
		evs := e.auditEvents("scim.group.patch")
		if len(evs) == 0 {
			t.Fatal("no scim.group.patch events")
		}
		var after map[string]any
		if err := json.Unmarshal(evs[len(evs)-1].After, &after); err != nil {
			t.Fatal(err)
		}
		if after["members"] != nil || after["memberChanges"] == nil {
			t.Errorf("group audit after: %s", evs[len(evs)-1].After)
		}
		for action, n := range map[string]int{"scim.group.create": 3, "scim.group.delete": 1, "scim.group.replace": 2} {
			if got := e.auditCount(action); got != n {
				t.Errorf("audit %s: %d, want %d", action, got, n)
			}
		}
	})
}

func (e *scimEnv) auditEvents(action string) []store.AuditEvent {
	e.t.Helper()
	var evs []store.AuditEvent
	err := e.st.View(context.Background(), func(tx store.Tx) error {
		var err error
		evs, _, err = tx.ListAudit(context.Background(), e.org, store.AuditQuery{Action: action, Page: store.Page{Limit: 1000}})
		return err
	})
	if err != nil {
		e.t.Fatal(err)
	}
	slices.Reverse(evs) // oldest first
	return evs
}

// TestSCIMMembershipReadsNoMemberList checks, with the store's row counter, that a
// membership PATCH and a members-excluded read do not read the member list: their cost must
// not grow with the group.
func TestSCIMMembershipReadsNoMemberList(t *testing.T) {
	e := newSCIMEnv(t, server.Config{})
	ss, ok := e.st.(*sqlstore.Store)
	if !ok {
		t.Skip("store does not count rows")
	}
	ctx := context.Background()
	var ids []string
	err := e.st.Update(ctx, func(tx store.Tx) error {
		for i := range 400 {
			u, err := tx.CreateUser(ctx, store.User{OrgID: e.org, UserName: fmt.Sprintf("bulk%d", i), Active: true, Doc: json.RawMessage(`{}`)})
			if err != nil {
				return err
			}
			ids = append(ids, u.ID)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	gid := e.newGroup("Big", ids[:399]...)
	rows := func(f func()) int64 {
		before := ss.RowsRead()
		f()
		return ss.RowsRead() - before
	}
	for name, f := range map[string]func(){
		"add one": func() {
			e.must(204, "PATCH", "/scim/v2/Groups/"+gid, scimPatchBody(scimOp("add", "members", []any{member(ids[399])})))
		},
		"remove one": func() {
			e.must(204, "PATCH", "/scim/v2/Groups/"+gid, scimPatchBody(scimOp("remove", "members[value eq \""+ids[0]+"\"]", nil)))
		},
		"get excluded": func() {
			e.must(200, "GET", "/scim/v2/Groups/"+gid+"?excludedAttributes=members", nil)
		},
		"list excluded": func() {
			e.must(200, "GET", "/scim/v2/Groups?excludedAttributes=members", nil)
		},
	} {
		if n := rows(f); n > 50 {
			t.Errorf("%s read %d rows from a 400-member group", name, n)
		}
	}
	if n := rows(func() { e.must(200, "GET", "/scim/v2/Groups/"+gid, nil) }); n < 399 {
		t.Errorf("a full GET read only %d rows: the row counter does not see member reads", n)
	}
}

// TestSCIMGroupAddReinstatesRemovedUser: an IdP brings a user that enforce-groups removed back
// by adding it to a group (DESIGN.md), through PATCH and PUT alike; the group's audit event
// names it; re-sending a membership that exists changes nothing.
func TestSCIMGroupAddReinstatesRemovedUser(t *testing.T) {
	forEachBackend(t, server.Config{}, func(t *testing.T, e *scimEnv) {
		a := e.newUser("back-a@example.com", nil)
		b := e.newUser("back-b@example.com", nil)
		gid := e.newGroup("Returners")
		remove, state := e.markRemoved, e.storedUser
		remove(a)
		remove(b)
		e.must(204, "PATCH", "/scim/v2/Groups/"+gid, scimPatchBody(scimOp("add", "members", []any{member(a)})))
		if u := state(a); !u.Active || u.Removed {
			t.Errorf("after a group add: active=%v removed=%v; want active, not removed", u.Active, u.Removed)
		}
		if !e.lastAuditMentions(`"reinstatedIds":["` + a + `"]`) {
			t.Errorf("the group's audit event does not name the reinstated user")
		}
		if u := state(b); u.Active || !u.Removed {
			t.Errorf("a user not added came back: %+v", u)
		}
		e.must(200, "PUT", "/scim/v2/Groups/"+gid, map[string]any{"schemas": []string{"urn:ietf:params:scim:schemas:core:2.0:Group"},
			"displayName": "Returners", "members": []any{member(a), member(b)}})
		if u := state(b); !u.Active || u.Removed {
			t.Errorf("after a PUT that adds it: active=%v removed=%v", u.Active, u.Removed)
		}
		// Already a member: nothing is added, so a user removed again stays removed.
		remove(a)
		e.must(204, "PATCH", "/scim/v2/Groups/"+gid, scimPatchBody(scimOp("add", "members", []any{member(a)})))
		if u := state(a); u.Active || !u.Removed {
			t.Errorf("re-sending an existing membership reinstated the user: %+v", u)
		}
	})
}

// TestSCIMGroupPatchAnswer: RFC 7644 §3.5.2 lets a PATCH answer 204 or 200 with the entire
// resource, and a group's entire resource holds its members. A Group PATCH answers 204 with
// the new ETag; asked for attributes or excludedAttributes it answers 200 with the resource
// projected as asked, members only when they are among what was asked for. User PATCHes keep
// answering 200 with the resource.
func TestSCIMGroupPatchAnswer(t *testing.T) {
	forEachBackend(t, server.Config{}, func(t *testing.T, e *scimEnv) {
		uid := e.newUser("m@example.com", nil)
		gid := e.newGroup("Answers")
		add := scimPatchBody(scimOp("add", "members", []any{map[string]any{"value": uid}}))
		rename := func(n string) map[string]any { return scimPatchBody(scimOp("replace", "displayName", n)) }

		r := e.must(204, "PATCH", "/scim/v2/Groups/"+gid, add)
		if len(r.body) != 0 || r.header.Get("ETag") != `W/"2"` {
			t.Errorf("plain PATCH: ETag %q body %q", r.header.Get("ETag"), r.body)
		}
		r = e.must(200, "PATCH", "/scim/v2/Groups/"+gid+"?attributes=members", rename("A2"))
		if got := fmt.Sprint(r.doc["members"]); !strings.Contains(got, uid) || jstr(r.doc, "displayName") != "" || jstr(r.doc, "id") != gid {
			t.Errorf("attributes=members: %s", r.body)
		}
		r = e.must(200, "PATCH", "/scim/v2/Groups/"+gid+"?excludedAttributes=members", rename("A3"))
		if r.doc["members"] != nil || jstr(r.doc, "displayName") != "A3" || r.header.Get("ETag") != `W/"4"` {
			t.Errorf("excludedAttributes=members: %s %s", r.header.Get("ETag"), r.body)
		}
		r = e.must(200, "PATCH", "/scim/v2/Groups/"+gid+"?excludedAttributes=meta", rename("A4"))
		if got := fmt.Sprint(r.doc["members"]); !strings.Contains(got, uid) || jstr(r.doc, "displayName") != "A4" || r.doc["meta"] != nil {
			t.Errorf("excludedAttributes=meta (the entire resource but meta): %s", r.body)
		}
		u := e.must(200, "PATCH", "/scim/v2/Users/"+uid, scimPatchBody(scimOp("replace", "title", "Eng")))
		if jstr(u.doc, "title") != "Eng" || jstr(u.doc, "id") != uid {
			t.Errorf("user PATCH: %s", u.body)
		}
	})
}
