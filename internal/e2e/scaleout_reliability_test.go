package e2e

import (
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/rolecall/rolecall/internal/store/sqlstore/sqltest"
	"github.com/rolecall/rolecall/internal/testenv"
)

// TestScaleOutTwoServers runs two `rolecall serve` processes on one PostgreSQL database and
// races them: userName uniqueness holds under concurrent POSTs to both, an enforce-groups
// apply sent to both at once applies exactly once, and an ETag that one server issued is
// refused as stale by the other once the resource changed.
func TestScaleOutTwoServers(t *testing.T) {
	b := backend{name: "postgres", dsn: sqltest.PostgresDSN(t)} // skips without PostgreSQL
	b.sql = b.dsn
	db := openSQL(t, b)
	s1 := start(t, b.dsn)
	s2 := start(t, b.dsn)
	servers := []*testenv.Proc{s1, s2}
	tok := scimToken(t, s1, "okta")

	// Racing POSTs of the same userNames, alternately to each server: exactly one 201 per
	// name, 409 uniqueness for the rest, one row and one create event per name.
	const names, racers = 25, 8
	var mu sync.Mutex
	created := map[string]int{}
	var wg sync.WaitGroup
	for r := range racers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range names {
				name := fmt.Sprintf("Race%02d@Example.com", i)
				if r%2 == 1 {
					name = strings.ToLower(name) // uniqueness is case-insensitive
				}
				status, body, _ := call("POST", servers[(r+i)%2].URL+"/scim/v2/Users", tok,
					map[string]any{"schemas": []string{userSchema}, "userName": name})
				switch status {
				case 201:
					mu.Lock()
					created[strings.ToLower(name)]++
					mu.Unlock()
				case 409:
					if !strings.Contains(string(body), "uniqueness") {
						t.Errorf("409 without scimType uniqueness: %s", body)
					}
				default:
					t.Errorf("POST %s: %d %s", name, status, body)
				}
			}
		}()
	}
	wg.Wait()
	for i := range names {
		name := fmt.Sprintf("race%02d@example.com", i)
		if created[name] != 1 {
			t.Errorf("%s created %d times", name, created[name])
		}
	}
	if n := queryInt(t, db, "SELECT count(*) FROM users WHERE user_name_lower LIKE 'race%' AND deleted_at IS NULL"); n != names {
		t.Errorf("%d race users stored, want %d", n, names)
	}
	for what, n := range orphans(t, db) {
		t.Errorf("after the race: %d × %s", n, what)
	}

	// ETags across servers: a version read on one server is stale on the other after a
	// change made through the first.
	var u struct {
		ID   string
		Meta struct{ Version string }
	}
	must(t, 201, "POST", s1.URL+"/scim/v2/Users", tok, map[string]any{"schemas": []string{userSchema}, "userName": "etag@example.com"}, &u)
	_, _, hdr := call("GET", s2.URL+"/scim/v2/Users/"+u.ID, tok, nil)
	if hdr.Get("ETag") != u.Meta.Version {
		t.Fatalf("s2 ETag %q, s1 version %q", hdr.Get("ETag"), u.Meta.Version)
	}
	patch := map[string]any{"schemas": []string{"urn:ietf:params:scim:api:messages:2.0:PatchOp"},
		"Operations": []map[string]any{{"op": "replace", "path": "displayName", "value": "one"}}}
	if status, body, _ := call("PATCH", s1.URL+"/scim/v2/Users/"+u.ID, tok, patch, "If-Match", u.Meta.Version); status != 200 {
		t.Fatalf("PATCH with the current version on s1: %d %s", status, body)
	}
	for i, s := range servers {
		if status, body, _ := call("PATCH", s.URL+"/scim/v2/Users/"+u.ID, tok, patch, "If-Match", u.Meta.Version); status != 412 {
			t.Errorf("stale If-Match on server %d: %d %s, want 412", i+1, status, body)
		}
		if status, body, _ := call("PUT", s.URL+"/scim/v2/Users/"+u.ID, tok, map[string]any{"schemas": []string{userSchema},
			"userName": "etag@example.com"}, "If-Match", u.Meta.Version); status != 412 {
			t.Errorf("stale If-Match PUT on server %d: %d %s, want 412", i+1, status, body)
		}
	}

	// enforce-groups apply sent to both servers at once: one applies (201), the other is
	// refused (409 stale plan) or finds nothing left to do (200), and one run is recorded.
	must(t, 201, "POST", s1.URL+"/api/v1/clouds", bootstrapToken, map[string]string{"name": "prod"}, nil)
	var g struct{ ID string }
	must(t, 201, "POST", s1.URL+"/scim/v2/Groups", tok, map[string]any{"schemas": []string{groupSchema}, "displayName": "admins",
		"members": []map[string]string{{"value": u.ID}}}, &g)
	must(t, 201, "POST", s1.URL+"/api/v1/grants", bootstrapToken, map[string]string{"role": "owner", "principalType": "group",
		"principal": "admins", "resourceKind": "organization"}, nil)
	for i := range names {
		must(t, 201, "POST", s2.URL+"/api/v1/grants", bootstrapToken, map[string]string{"role": "readonly", "principalType": "user",
			"principal": fmt.Sprintf("race%02d@example.com", i), "resourceKind": "cloud", "resource": "prod"}, nil)
	}
	for attempt := range 5 {
		var pv struct{ Plan struct{ Fingerprint string } }
		must(t, 200, "POST", s1.URL+"/api/v1/enforce/preview", bootstrapToken, map[string]any{}, &pv)
		statuses := make([]int, 2)
		var wg sync.WaitGroup
		for i, s := range servers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				statuses[i], _, _ = call("POST", s.URL+"/api/v1/enforce/apply", bootstrapToken, map[string]any{"fingerprint": pv.Plan.Fingerprint})
			}()
		}
		wg.Wait()
		ok201, other := 0, 0
		for _, st := range statuses {
			switch st {
			case 201:
				ok201++
			case 409, 200:
				other++
			}
		}
		if ok201 != 1 || other != 1 {
			t.Errorf("attempt %d: concurrent applies answered %v, want one 201 and one 409/200", attempt, statuses)
		}
		if n := queryInt(t, db, "SELECT count(*) FROM enforcement_runs"); n != attempt+1 {
			t.Errorf("attempt %d: %d runs recorded, want %d", attempt, n, attempt+1)
		}
		if n := queryInt(t, db, "SELECT count(*) FROM bindings WHERE principal_type = 'user'"); n != 0 {
			t.Errorf("attempt %d: %d direct bindings left", attempt, n)
		}
		// Re-grant for the next attempt.
		for i := range names {
			must(t, 201, "POST", servers[i%2].URL+"/api/v1/grants", bootstrapToken, map[string]string{"role": "readonly", "principalType": "user",
				"principal": fmt.Sprintf("race%02d@example.com", i), "resourceKind": "cloud", "resource": "prod"}, nil)
		}
	}
	for what, n := range orphans(t, db) {
		t.Errorf("at the end: %d × %s", n, what)
	}
	s1.Stop(t)
	s2.Stop(t)
}
