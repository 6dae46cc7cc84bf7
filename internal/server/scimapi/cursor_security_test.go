package scimapi_test

import (
	"context"
	"encoding/base64"
	"fmt"
	"net/url"
	"sync"
	"testing"

	"github.com/rolecall/rolecall/internal/server"
	"github.com/rolecall/rolecall/internal/store"
	"github.com/rolecall/rolecall/internal/store/sqlstore/sqltest"
)

// walkCursors pages through path (which takes &cursor=) with e's token and returns the
// nextCursors it followed and the ids it was given, in order.
func walkCursors(e *scimEnv, path string) (cursors, ids []string) {
	e.t.Helper()
	c := ""
	for range 1000 {
		r := e.must(200, "GET", path+"&cursor="+url.QueryEscape(c), nil)
		for _, res := range scimResources(r) {
			ids = append(ids, jstr(res, "id"))
		}
		c = jstr(r.doc, "nextCursor")
		if c == "" {
			return cursors, ids
		}
		cursors = append(cursors, c)
	}
	e.t.Fatalf("%s: paging did not end", path)
	return nil, nil
}

// otherOrg creates another organization in e's database and returns it as an env of its own.
func otherOrg(t *testing.T, e *scimEnv, name string) *scimEnv {
	t.Helper()
	o := *e
	o.t = t
	ctx := context.Background()
	err := e.st.Update(ctx, func(tx store.Tx) error {
		org, err := tx.CreateOrg(ctx, name)
		o.org = org.ID
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	o.token = e.createSCIMToken(t, o.org)
	return &o
}

// TestSCIMCursorsRevealNothingAboutOtherOrgs: a cursor used to carry a global row number, so
// org B's cursors grew with every row org A created. Now an org's cursors are the same
// whatever other orgs do (1,000 users created in org A first change none of org B's); another
// org's cursor, a cursor of the other resource type and an edited one are refused with 400
// invalidCursor (RFC 9865).
func TestSCIMCursorsRevealNothingAboutOtherOrgs(t *testing.T) {
	for _, backend := range sqltest.Backends() {
		t.Run(backend.Name, func(t *testing.T) {
			ctx := context.Background()
			// world runs org B's walk in a fresh database after org A created noise users.
			world := func(noise int) (b, a *scimEnv, cursors []string) {
				b = newSCIMEnvAt(t, backend.DSN(t), server.Config{})
				a = otherOrg(t, b, "org-a")
				err := b.st.Update(ctx, func(tx store.Tx) error {
					for i := range noise {
						if _, err := tx.CreateUser(ctx, store.User{OrgID: a.org, UserName: fmt.Sprintf("a%d@example.com", i), Active: true}); err != nil {
							return err
						}
					}
					for i := range 3 { // fixed ids, so that both worlds have the same org B
						if _, err := tx.CreateUser(ctx, store.User{OrgID: b.org, ID: fmt.Sprintf("b-user-%d", i), UserName: fmt.Sprintf("b%d@example.com", i), Active: true}); err != nil {
							return err
						}
					}
					return nil
				})
				if err != nil {
					t.Fatal(err)
				}
				cursors, _ = walkCursors(b, "/scim/v2/Users?count=1")
				return b, a, cursors
			}
			_, _, quiet := world(0)
			b, a, busy := world(1000)
			if len(quiet) != 2 || fmt.Sprint(quiet) != fmt.Sprint(busy) {
				t.Errorf("org B's cursors changed with org A's activity:\n without: %v\nwith 1,000 users in A: %v", quiet, busy)
			}

			aCursors, _ := walkCursors(a, "/scim/v2/Users?count=400")
			v1 := base64.RawURLEncoding.EncodeToString([]byte("v1:12"))
			nobody := base64.RawURLEncoding.EncodeToString([]byte("v2:no-such-user"))
			for _, c := range []struct{ name, path string }{
				{"org A's cursor", "/scim/v2/Users?count=1&cursor=" + url.QueryEscape(aCursors[0])},
				{"a Users cursor on Groups", "/scim/v2/Groups?count=1&cursor=" + url.QueryEscape(busy[0])},
				{"an old global cursor", "/scim/v2/Users?count=1&cursor=" + v1},
				{"a cursor naming no user", "/scim/v2/Users?count=1&cursor=" + nobody},
				{"an edited cursor", "/scim/v2/Users?count=1&cursor=" + url.QueryEscape(busy[0][:len(busy[0])-1]+"!")},
			} {
				t.Run(c.name, func(t *testing.T) {
					b.t = t
					b.wantError(b.do("GET", c.path, nil), 400, "invalidCursor", "not one this server issued")
				})
			}
		})
	}
}

// TestSCIMCursorPagingUnderConcurrentInserts: a cursor walk returns every resource that
// existed when it started exactly once, and no resource twice, while the same org and
// another one create users.
func TestSCIMCursorPagingUnderConcurrentInserts(t *testing.T) {
	forEachBackend(t, server.Config{}, func(t *testing.T, e *scimEnv) {
		other := otherOrg(t, e, "busy")
		before := map[string]bool{}
		for i := range 40 {
			before[e.newUser(fmt.Sprintf("pre%d@example.com", i), nil)] = true
		}
		var wg sync.WaitGroup
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 40 {
				for _, env := range []*scimEnv{e, other} {
					r := env.do("POST", "/scim/v2/Users", map[string]any{"schemas": []string{"urn:ietf:params:scim:schemas:core:2.0:User"},
						"userName": fmt.Sprintf("new%d@example.com", i)})
					if r.status != 201 {
						t.Errorf("concurrent create: %d %s", r.status, r.body)
						return
					}
				}
			}
		}()
		_, ids := walkCursors(e, "/scim/v2/Users?count=3")
		wg.Wait()
		seen := map[string]int{}
		for _, id := range ids {
			seen[id]++
			if seen[id] > 1 {
				t.Errorf("user %s returned twice", id)
			}
		}
		for id := range before {
			if seen[id] != 1 {
				t.Errorf("user %s that existed before the walk was returned %d times", id, seen[id])
			}
		}

		// A cursor still leads on when the resource it names is deleted meanwhile.
		r := e.must(200, "GET", "/scim/v2/Users?count=2&cursor=", nil)
		page := scimResources(r)
		e.must(204, "DELETE", "/scim/v2/Users/"+jstr(page[1], "id"), nil)
		next := e.must(200, "GET", "/scim/v2/Users?count=1&cursor="+url.QueryEscape(jstr(r.doc, "nextCursor")), nil)
		if got := scimResources(next); len(got) != 1 || jstr(got[0], "id") != ids[2] {
			t.Errorf("after deleting the cursor's user, the next page is %s, want user %s", next.body, ids[2])
		}
	})
}
