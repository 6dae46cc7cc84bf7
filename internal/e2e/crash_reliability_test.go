package e2e

import (
	"database/sql"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/rolecall/rolecall/internal/testenv"
)

// crashWorld is the org the crash test works in: big enough that a kill can land inside a
// request, small enough that a few dozen kills take well under a minute.
type crashWorld struct {
	b       backend
	db      *sql.DB
	p       *testenv.Proc
	scim    string
	userIDs []string // the members a large PATCH adds
	// tag and gen name the server's PostgreSQL sessions (application_name), so that settle
	// can wait for a killed server's sessions to end.
	tag string
	gen int
}

// start starts a new generation of the server on the world's database, with args added
// to serve's.
func (w *crashWorld) start(t *testing.T, args ...string) *testenv.Proc {
	t.Helper()
	w.gen++
	return start(t, w.serverDSN(), args...)
}

// serverDSN is the DSN the server runs on: on PostgreSQL it names the sessions after the
// server's generation.
func (w *crashWorld) serverDSN() string {
	if w.b.name != "postgres" {
		return w.b.dsn
	}
	sep := "?"
	if strings.Contains(w.b.dsn, "?") {
		sep = "&"
	}
	return w.b.dsn + sep + "application_name=" + w.appName()
}

func (w *crashWorld) appName() string { return fmt.Sprintf("%s_%d", w.tag, w.gen) }

// settle waits, on PostgreSQL, until the killed server's sessions have ended. PostgreSQL
// keeps a dead client's session until it notices the closed socket, and a COMMIT sent just
// before the kill still commits then: checking before that could see the commit land
// between two of the checks' queries.
func (w *crashWorld) settle(t *testing.T) {
	t.Helper()
	if w.b.name != "postgres" {
		return
	}
	deadline := time.Now().Add(20 * time.Second)
	for queryInt(t, w.db, "SELECT count(*) FROM pg_stat_activity WHERE application_name = $1", w.appName()) > 0 {
		if time.Now().After(deadline) {
			t.Fatalf("the killed server's PostgreSQL sessions (%s) did not end", w.appName())
		}
		time.Sleep(5 * time.Millisecond)
	}
}

const (
	crashMembers = 5000 // members added by one PATCH
	crashBulkOps = 300  // user creations per Bulk request
	crashGrants  = 60   // direct grants removed by one enforce apply
	crashRounds  = 10   // kills per workload
)

func (w *crashWorld) restart(t *testing.T) {
	t.Helper()
	w.p.Kill()
	w.settle(t)
	w.p = w.start(t)
}

// checkGlobal checks what must hold after any crash: no orphan rows, the audit log
// matches the users, groups and runs, and the database answers.
func (w *crashWorld) checkGlobal(t *testing.T, when string) {
	t.Helper()
	for what, n := range orphans(t, w.db) {
		t.Errorf("%s: %d × %s", when, n, what)
	}
	if status, body, _ := call("GET", w.p.URL+"/readyz", "", nil); status != 200 {
		t.Fatalf("%s: readyz %d %s\nserver log:\n%s", when, status, body, w.p.Log())
	}
}

// TestCrashConsistency SIGKILLs the server in the middle of Bulk requests, 5,000-member
// PATCHes and enforce-groups applies, restarts it on the same database each time, and checks
// that every request was applied whole or not at all, that what the client was told
// succeeded survived, and that the audit log and the data still agree.
func TestCrashConsistency(t *testing.T) {
	if testing.Short() {
		t.Skip("kills and restarts the server many times (30 s and more): it runs without -short")
	}
	for _, b := range backends(t) {
		t.Run(b.name, func(t *testing.T) {
			w := &crashWorld{b: b, db: openSQL(t, b), tag: fmt.Sprintf("rccrash_%08x", rand.Uint32())}
			w.p = w.start(t)
			w.scim = scimToken(t, w.p, "okta")
			w.setup(t)
			rng := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 7))
			outcomes := map[string]int{}
			for round := range crashRounds {
				outcomes["bulk "+w.crashBulk(t, rng, round)]++
				outcomes["patch "+w.crashPatch(t, rng, round)]++
				outcomes["apply "+w.crashApply(t, rng, round)]++
			}
			w.p.Stop(t)
			t.Logf("%s: %d kills; outcomes %v", b.name, 3*crashRounds, outcomes)
		})
	}
}

// setup creates the users a PATCH will add (through Bulk, so each has its create event), a
// group "everyone" holding them, a cloud with projects and a group grant.
func (w *crashWorld) setup(t *testing.T) {
	t.Helper()
	for start := 0; start < crashMembers; start += 1000 {
		names := make([]string, 0, 1000)
		for i := start; i < start+1000; i++ {
			names = append(names, fmt.Sprintf("member%05d@example.com", i))
		}
		w.userIDs = append(w.userIDs, w.bulkUsers(t, names)...)
	}
	var g struct{ ID string }
	must(t, 201, "POST", w.p.URL+"/scim/v2/Groups", w.scim, map[string]any{"schemas": []string{groupSchema}, "displayName": "everyone"}, &g)
	w.patchMembers(t, g.ID, w.userIDs, 204)
	must(t, 201, "POST", w.p.URL+"/api/v1/clouds", bootstrapToken, map[string]string{"name": "prod"}, nil)
	for i := range crashGrants {
		must(t, 201, "POST", w.p.URL+"/api/v1/projects", bootstrapToken, map[string]string{"name": fmt.Sprint("proj-", i), "cloud": "prod"}, nil)
	}
	must(t, 201, "POST", w.p.URL+"/api/v1/grants", bootstrapToken, map[string]string{"role": "owner", "principalType": "group",
		"principal": "everyone", "resourceKind": "organization"}, nil)
	w.checkGlobal(t, "after setup")
}

const (
	userSchema  = "urn:ietf:params:scim:schemas:core:2.0:User"
	groupSchema = "urn:ietf:params:scim:schemas:core:2.0:Group"
)

// bulkUsers creates users with the given userNames in one Bulk request (each with its create
// event) and returns their ids in order.
func (w *crashWorld) bulkUsers(t *testing.T, names []string) []string {
	t.Helper()
	ops := make([]map[string]any, len(names))
	for i, name := range names {
		ops[i] = map[string]any{"method": "POST", "path": "/Users", "bulkId": fmt.Sprint("u", i),
			"data": map[string]any{"schemas": []string{userSchema}, "userName": name}}
	}
	var resp struct {
		Operations []struct{ Location, Status string }
	}
	must(t, 200, "POST", w.p.URL+"/scim/v2/Bulk", w.scim, bulkRequest(ops), &resp)
	ids := make([]string, 0, len(names))
	for _, op := range resp.Operations {
		if op.Status != "201" {
			t.Fatalf("setup bulk op: %+v", op)
		}
		ids = append(ids, op.Location[strings.LastIndex(op.Location, "/")+1:])
	}
	if len(ids) != len(names) {
		t.Fatalf("bulk created %d users, want %d", len(ids), len(names))
	}
	return ids
}

func bulkRequest(ops []map[string]any) map[string]any {
	return map[string]any{"schemas": []string{"urn:ietf:params:scim:api:messages:2.0:BulkRequest"}, "Operations": ops}
}

func (w *crashWorld) patchMembers(t *testing.T, groupID string, ids []string, want int) {
	t.Helper()
	must(t, want, "PATCH", w.p.URL+"/scim/v2/Groups/"+groupID, w.scim, memberPatch(ids), nil)
}

func memberPatch(ids []string) map[string]any {
	ms := make([]map[string]string, len(ids))
	for i, id := range ids {
		ms[i] = map[string]string{"value": id}
	}
	return map[string]any{"schemas": []string{"urn:ietf:params:scim:api:messages:2.0:PatchOp"},
		"Operations": []map[string]any{{"op": "add", "path": "members", "value": ms}}}
}

// during sends the request in the background, kills the server after a random delay, and
// reports the answer the client got (status 0: none).
func (w *crashWorld) during(t *testing.T, rng *rand.Rand, spanMS int, send func() int) int {
	t.Helper()
	got := make(chan int, 1)
	go func() { got <- send() }()
	time.Sleep(time.Duration(1+rng.IntN(spanMS)) * time.Millisecond)
	w.p.Kill()
	status := <-got
	w.restart(t)
	return status
}

func outcome(status int, applied bool) string {
	return fmt.Sprintf("answered=%v applied=%v", status != 0, applied)
}

// crashBulk: each user of a killed Bulk request exists iff its one create event does, and
// when the client got its answer every operation it reported 201 exists.
func (w *crashWorld) crashBulk(t *testing.T, rng *rand.Rand, round int) string {
	t.Helper()
	prefix := fmt.Sprintf("bulk%02d-", round)
	ops := make([]map[string]any, crashBulkOps)
	for i := range ops {
		ops[i] = map[string]any{"method": "POST", "path": "/Users", "bulkId": fmt.Sprint("b", i),
			"data": map[string]any{"schemas": []string{userSchema}, "userName": fmt.Sprintf("%s%04d@example.com", prefix, i), "emails": []map[string]any{{"value": fmt.Sprintf("%s%04d@example.com", prefix, i)}}}}
	}
	var body []byte
	status := w.during(t, rng, 150, func() int {
		s, b, _ := call("POST", w.p.URL+"/scim/v2/Bulk", w.scim, bulkRequest(ops))
		body = b
		return s
	})
	users := queryInt(t, w.db, "SELECT count(*) FROM users WHERE user_name LIKE $1", prefix+"%")
	events := queryInt(t, w.db, `SELECT count(*) FROM audit_events a JOIN users u ON u.id = a.target_id
		WHERE a.action = 'scim.user.create' AND u.user_name LIKE $1`, prefix+"%")
	emails := queryInt(t, w.db, "SELECT count(*) FROM user_emails WHERE value LIKE $1", prefix+"%")
	if users != events || users != emails {
		t.Errorf("round %d bulk: %d users, %d create events, %d emails", round, users, events, emails)
	}
	if status == 200 {
		var resp struct{ Operations []struct{ Status string } }
		_ = json.Unmarshal(body, &resp)
		ok := 0
		for _, op := range resp.Operations {
			if op.Status == "201" {
				ok++
			}
		}
		if users != ok {
			t.Errorf("round %d bulk: answered %d created, %d exist after the crash", round, ok, users)
		}
	}
	// The users left by the crash must be usable: a retry of the whole request creates the
	// missing ones and answers 409 for the others, as for any retried POST.
	w.checkGlobal(t, fmt.Sprintf("round %d bulk", round))
	return outcome(status, users == crashBulkOps)
}

// crashPatch: a 5,000-member PATCH killed at any point left the group with all the members
// and one patch event, or with none and no event.
func (w *crashWorld) crashPatch(t *testing.T, rng *rand.Rand, round int) string {
	t.Helper()
	var g struct{ ID string }
	must(t, 201, "POST", w.p.URL+"/scim/v2/Groups", w.scim, map[string]any{"schemas": []string{groupSchema}, "displayName": fmt.Sprint("big-", round)}, &g)
	status := w.during(t, rng, 100, func() int {
		s, _, _ := call("PATCH", w.p.URL+"/scim/v2/Groups/"+g.ID, w.scim, memberPatch(w.userIDs))
		return s
	})
	members := queryInt(t, w.db, "SELECT count(*) FROM memberships WHERE group_id = $1", g.ID)
	events := queryInt(t, w.db, "SELECT count(*) FROM audit_events WHERE action = 'scim.group.patch' AND target_id = $1", g.ID)
	version := queryInt(t, w.db, "SELECT version FROM groups WHERE id = $1", g.ID)
	applied := members == crashMembers
	switch {
	case applied && events == 1 && version == 2:
	case members == 0 && events == 0 && version == 1:
	default:
		t.Errorf("round %d patch: %d of %d members, %d patch events, version %d", round, members, crashMembers, events, version)
	}
	if status == 204 && !applied {
		t.Errorf("round %d patch: answered 204 but the members are gone after the crash", round)
	}
	w.checkGlobal(t, fmt.Sprintf("round %d patch", round))
	return outcome(status, applied)
}

// crashApply: an enforce-groups apply killed at any point either deleted every direct
// binding, recorded the run with its whole restore point and one event, or did nothing.
func (w *crashWorld) crashApply(t *testing.T, rng *rand.Rand, round int) string {
	t.Helper()
	for i := range crashGrants {
		user := fmt.Sprintf("member%05d@example.com", (round*crashGrants+i)%crashMembers)
		must(t, 201, "POST", w.p.URL+"/api/v1/grants", bootstrapToken, map[string]string{"role": "readonly", "principalType": "user",
			"principal": user, "resourceKind": "project", "resource": fmt.Sprint("proj-", i)}, nil)
	}
	direct := func() int { return queryInt(t, w.db, "SELECT count(*) FROM bindings WHERE principal_type = 'user'") }
	runs := func() int { return queryInt(t, w.db, "SELECT count(*) FROM enforcement_runs") }
	beforeDirect, beforeRuns := direct(), runs()
	var pv struct{ Plan struct{ Fingerprint string } }
	must(t, 200, "POST", w.p.URL+"/api/v1/enforce/preview", bootstrapToken, map[string]any{}, &pv)
	status := w.during(t, rng, 60, func() int {
		s, _, _ := call("POST", w.p.URL+"/api/v1/enforce/apply", bootstrapToken, map[string]any{"fingerprint": pv.Plan.Fingerprint})
		return s
	})
	afterDirect, afterRuns := direct(), runs()
	applied := afterDirect == 0 && afterRuns == beforeRuns+1
	switch {
	case applied:
		n := queryInt(t, w.db, "SELECT deleted_bindings FROM enforcement_runs ORDER BY seq DESC LIMIT 1")
		if n != beforeDirect {
			t.Errorf("round %d apply: the run records %d deleted bindings, %d existed", round, n, beforeDirect)
		}
	case afterDirect == beforeDirect && afterRuns == beforeRuns:
	default:
		t.Errorf("round %d apply: direct bindings %d -> %d, runs %d -> %d", round, beforeDirect, afterDirect, beforeRuns, afterRuns)
	}
	if status == 201 && !applied {
		t.Errorf("round %d apply: answered 201 but the apply is gone after the crash", round)
	}
	if !applied {
		// Leave no direct binding for the next round: apply for real, without a kill.
		must(t, 200, "POST", w.p.URL+"/api/v1/enforce/preview", bootstrapToken, map[string]any{}, &pv)
		must(t, 201, "POST", w.p.URL+"/api/v1/enforce/apply", bootstrapToken, map[string]any{"fingerprint": pv.Plan.Fingerprint}, nil)
	}
	w.checkGlobal(t, fmt.Sprintf("round %d apply", round))
	return outcome(status, applied)
}
