package e2e

import (
	"database/sql"
	"fmt"
	"maps"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

// The concurrent crash test. TestCrashConsistency kills the server with one request in
// flight; this one kills it while eight clients write at once, which on SQLite means while
// the writer is running a batch of Updates in one transaction, each in its own savepoint
// (group commit). After each kill it restarts the server on the same database and checks,
// against a model each client keeps of what it was told:
//   - every write answered 2xx is there, exactly;
//   - every write answered 4xx left nothing, even the one that had already added 20
//     members when it failed, and even when it shared a transaction with successful ones;
//   - the one request per client that got no answer is there whole or not at all;
//   - the audit log agrees with the data, and the server answers and writes again.

const (
	ccWorkers   = 8
	ccRounds    = 20
	ccBatch     = 20                  // members added by one group PATCH
	ccSlice     = 60                  // pool users each client adds to the shared group, ccBatch at a time
	ccPool      = ccWorkers * ccSlice // users that are members and duplicate targets, never deleted
	ccContested = 6                   // names per round that several clients may create at once
	ccMaxOps    = 2000                // per client and round: a bound should the kill never come
	ccTaken     = "Crash-Taken"       // a group name a PATCH renames to, and fails on
)

// ccWorld is the concurrent crash test's world: the crash test's plus its users.
type ccWorld struct {
	crashWorld
	pool     []string
	poolName []string
	events   map[string]int // audit events by "targetID action", read by observe
}

// TestCrashConcurrentWrites SIGKILLs the server while eight clients write at once, restarts
// it on the same database, and checks every answer the clients got against the database.
func TestCrashConcurrentWrites(t *testing.T) {
	if testing.Short() {
		t.Skip("kills and restarts the server many times (30 s and more): it runs without -short")
	}
	for _, b := range backends(t) {
		t.Run(b.name, func(t *testing.T) {
			w := &ccWorld{crashWorld: crashWorld{b: b, db: openSQL(t, b), tag: fmt.Sprintf("rccrash_%08x", rand.Uint32())}}
			w.p = w.start(t)
			w.scim = scimToken(t, w.p, "okta")
			w.setup(t)
			seed := uint64(time.Now().UnixNano())
			t.Logf("seed %d", seed)
			rng := rand.New(rand.NewPCG(seed, 11))
			for round := range ccRounds {
				w.round(t, rng, round)
				if t.Failed() {
					break
				}
			}
			w.afterAll(t)
			w.p.Stop(t)
		})
	}
}

// setup creates the pool (through Bulk, so that each has its create event) and the group
// whose name kConflict renames to.
func (w *ccWorld) setup(t *testing.T) {
	t.Helper()
	for i := range ccPool {
		w.poolName = append(w.poolName, fmt.Sprintf("crash-pool-%03d@example.com", i))
	}
	w.pool = w.bulkUsers(t, w.poolName)
	must(t, 201, "POST", w.p.URL+"/scim/v2/Groups", w.scim, map[string]any{"schemas": []string{groupSchema}, "displayName": ccTaken}, nil)
}

// round runs the clients, kills the server under them, restarts it and checks.
func (w *ccWorld) round(t *testing.T, rng *rand.Rand, round int) {
	var shared struct{ ID string }
	must(t, 201, "POST", w.p.URL+"/scim/v2/Groups", w.scim, map[string]any{"schemas": []string{groupSchema},
		"displayName": fmt.Sprintf("Crash-R%02d-Shared", round)}, &shared)
	clients := make([]*ccClient, ccWorkers)
	gate := make(chan struct{})
	var wg sync.WaitGroup
	for n := range clients {
		clients[n] = &ccClient{n: n, round: round, rng: rand.New(rand.NewPCG(rng.Uint64(), uint64(n))), url: w.p.URL,
			scim: w.scim, pool: w.pool, poolName: w.poolName, shared: shared.ID,
			users: map[string]ccUser{}, groups: map[string]ccGroup{}}
		wg.Go(func() { clients[n].run(gate) })
	}
	delay := time.Duration(3+rng.IntN(98)) * time.Millisecond
	close(gate)
	time.Sleep(delay)
	batching := w.batching()
	w.p.Kill()
	wg.Wait()
	w.settle(t)
	w.p = w.start(t)

	obsUsers, obsGroups := w.observe(t, fmt.Sprintf("crash-r%02d", round))
	counts := map[string]int{}
	for _, c := range clients {
		for _, s := range c.bad {
			t.Errorf("round %d client %d: %s", round, c.n, s)
		}
		for _, op := range c.ops {
			switch {
			case op.status == 0:
				counts["unanswered"]++
			case op.status < 300:
				counts["acknowledged"]++
			default:
				counts["failed"]++
			}
		}
		if w.checkClient(t, round, c, obsUsers, obsGroups) {
			counts["unanswered applied"]++
		}
	}
	w.checkContested(t, round, clients, obsUsers)
	counts["unanswered shared applied"] = w.checkShared(t, round, clients, shared.ID, obsGroups[fmt.Sprintf("crash-r%02d-shared", round)])
	w.checkFailed(t, round, clients)
	w.checkGlobal(t, fmt.Sprintf("round %d", round))
	w.checkAPI(t, round, clients, obsUsers, obsGroups)
	t.Logf("%s round %d: killed after %v%s: %v", w.b.name, round, delay, batching, counts)
}

// batching reads the server's group-commit counters (SQLite): how many Updates committed in
// how many transactions since it started, to show that the kill landed among grouped writes.
func (w *ccWorld) batching() string {
	status, body, _ := call("GET", w.p.URL+"/metrics", "", nil)
	if status != 200 {
		return ""
	}
	var updates, commits string
	for _, line := range strings.Split(string(body), "\n") {
		if v, ok := strings.CutPrefix(line, "rolecall_store_updates_total "); ok {
			updates = v
		}
		if v, ok := strings.CutPrefix(line, "rolecall_store_commits_total "); ok {
			commits = v
		}
	}
	if updates == "" || commits == "" || commits == "0" { // PostgreSQL: no group commit
		return ""
	}
	return fmt.Sprintf(" (%s Updates in %s commits so far)", updates, commits)
}

// observe reads every user and group whose lowercased name starts with prefix, with their
// audit events, emails and members, keyed by lowercased name.
func (w *ccWorld) observe(t *testing.T, prefix string) (map[string][]ccUser, map[string][]ccGroup) {
	t.Helper()
	// Counted once for the whole database: the audit index leads with org_id, so a count per
	// target would scan the log once per user.
	w.events = w.counts(t, "SELECT target_id || ' ' || action, count(*) FROM audit_events GROUP BY target_id, action")
	emails := w.counts(t, "SELECT user_id, count(*) FROM user_emails GROUP BY user_id")
	users := map[string][]ccUser{}
	rows, err := w.db.Query(`SELECT id, user_name, user_name_lower, active, deleted_at IS NOT NULL, version
		FROM users WHERE user_name_lower LIKE $1`, prefix+"%")
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var u ccUser
		var lower string
		if err := rows.Scan(&u.id, &u.userName, &lower, &u.active, &u.deleted, &u.version); err != nil {
			t.Fatal(err)
		}
		u.creates, u.patches, u.dels = w.events[u.id+" scim.user.create"], w.events[u.id+" scim.user.patch"], w.events[u.id+" scim.user.delete"]
		u.emails = emails[u.id]
		users[lower] = append(users[lower], u)
	}
	ccCloseRows(t, rows)
	byID := map[string]*ccGroup{}
	lowers := map[string]string{}
	rows, err = w.db.Query(`SELECT id, display_name, display_name_lower, version FROM groups WHERE display_name_lower LIKE $1`, prefix+"%")
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		g := ccGroup{members: map[string]bool{}}
		var lower string
		if err := rows.Scan(&g.id, &g.name, &lower, &g.version); err != nil {
			t.Fatal(err)
		}
		g.creates, g.patches = w.events[g.id+" scim.group.create"], w.events[g.id+" scim.group.patch"]
		byID[g.id], lowers[g.id] = &g, lower
	}
	ccCloseRows(t, rows)
	rows, err = w.db.Query(`SELECT m.group_id, m.member_id FROM memberships m JOIN groups g ON g.id = m.group_id
		WHERE g.display_name_lower LIKE $1`, prefix+"%")
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var gid, mid string
		if err := rows.Scan(&gid, &mid); err != nil {
			t.Fatal(err)
		}
		byID[gid].members[mid] = true
	}
	ccCloseRows(t, rows)
	groups := map[string][]ccGroup{}
	for id, g := range byID {
		groups[lowers[id]] = append(groups[lowers[id]], *g)
	}
	return users, groups
}

// counts runs a query of (key, count) rows.
func (w *ccWorld) counts(t *testing.T, q string) map[string]int {
	t.Helper()
	rows, err := w.db.Query(q)
	if err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	out := map[string]int{}
	for rows.Next() {
		var k string
		var n int
		if err := rows.Scan(&k, &n); err != nil {
			t.Fatal(err)
		}
		out[k] = n
	}
	ccCloseRows(t, rows)
	return out
}

func ccCloseRows(t *testing.T, rows *sql.Rows) {
	t.Helper()
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	rows.Close()
}

// checkClient compares what the database holds of a client's users and groups with its
// model: it must match the model (the unanswered request, if any, left nothing) or the
// model with the unanswered request applied whole. It reports which.
func (w *ccWorld) checkClient(t *testing.T, round int, c *ccClient, obsUsers map[string][]ccUser, obsGroups map[string][]ccGroup) (pendingApplied bool) {
	t.Helper()
	got := map[string]string{}
	for name, us := range obsUsers {
		if strings.HasPrefix(name, c.prefix()) {
			got["user "+name] = ccJoin(us)
		}
	}
	for name, gs := range obsGroups {
		if strings.HasPrefix(name, c.prefix()) {
			got["group "+name] = ccJoin(gs)
		}
	}
	// diff lists where the database differs from a model: the rendered users and groups,
	// and the member sets, as equal counts are not equal members.
	diff := func(users map[string]ccUser, groups map[string]ccGroup) []string {
		want := map[string]string{}
		for name, u := range users {
			want["user "+name] = u.String()
		}
		for name, g := range groups {
			want["group "+name] = g.String()
		}
		var out []string
		for _, k := range slices.Sorted(maps.Keys(ccUnion(want, got))) {
			if want[k] != got[k] {
				out = append(out, fmt.Sprintf("%s:\n\t\tgot  %s\n\t\twant %s", k, ccAbsent(got[k]), ccAbsent(want[k])))
			}
		}
		for name, g := range groups {
			if obs := obsGroups[name]; len(obs) == 1 && !maps.Equal(obs[0].members, g.members) {
				out = append(out, fmt.Sprintf("group %s: members differ: %s", name, ccSetDiff(obs[0].members, g.members)))
			}
		}
		return out
	}
	baseDiff := diff(c.users, c.groups)
	if len(baseDiff) == 0 {
		return false
	}
	var pending *ccOp
	if n := len(c.ops); n > 0 && c.ops[n-1].status == 0 {
		pending = &c.ops[n-1]
	}
	if pending != nil {
		id := ""
		key := strings.ToLower(pending.name)
		if us := obsUsers[key]; len(us) == 1 && pending.kind == kCreate {
			id = us[0].id
		}
		if gs := obsGroups[key]; len(gs) == 1 && pending.kind == kGroup {
			id = gs[0].id
		}
		if len(diff(pending.apply(c.users, c.groups, id))) == 0 {
			return true
		}
	}
	what := "no request without an answer"
	if pending != nil {
		what = fmt.Sprintf("unanswered %s %s %s", pending.kind, pending.name, pending.id)
	}
	t.Errorf("round %d client %d (%d requests, %s): the database is neither what the client was told nor that plus its unanswered request:\n\t%s",
		round, c.n, len(c.ops), what, strings.Join(baseDiff, "\n\t"))
	return false
}

func ccJoin[T fmt.Stringer](xs []T) string {
	s := make([]string, len(xs))
	for i, x := range xs {
		s[i] = x.String()
	}
	return strings.Join(s, " AND ")
}

func ccUnion(a, b map[string]string) map[string]string {
	out := maps.Clone(a)
	maps.Copy(out, b)
	return out
}

func ccAbsent(s string) string {
	if s == "" {
		return "(absent)"
	}
	return s
}

func ccSetDiff(got, want map[string]bool) string {
	var missing, extra int
	for id := range want {
		if !got[id] {
			missing++
		}
	}
	for id := range got {
		if !want[id] {
			extra++
		}
	}
	return fmt.Sprintf("%d missing, %d extra", missing, extra)
}

// checkContested: a name several clients raced to create exists at most once; it exists if
// anyone was told 201 (with that id) or 409 (someone else holds it, and a failure is
// answered only after the writes it depended on commit); and if it exists, someone was told
// 201 or got no answer.
func (w *ccWorld) checkContested(t *testing.T, round int, clients []*ccClient, obs map[string][]ccUser) {
	t.Helper()
	type tally struct {
		created   []string
		conflicts int
		pending   int
	}
	names := map[string]*tally{}
	for i := range ccContested {
		names[strings.ToLower(fmt.Sprintf("Crash-R%02dC-%d@Example.com", round, i))] = &tally{}
	}
	for _, c := range clients {
		for _, op := range c.ops {
			if op.kind != kContested {
				continue
			}
			tl := names[strings.ToLower(op.name)]
			switch op.status {
			case 201:
				tl.created = append(tl.created, op.id)
			case 409:
				tl.conflicts++
			case 0:
				tl.pending++
			}
		}
	}
	for name, tl := range names {
		us := obs[name]
		fail := func(why string) {
			t.Errorf("round %d contested %s: %s (201 ids %v, %d × 409, %d unanswered; in the database: %s)",
				round, name, why, tl.created, tl.conflicts, tl.pending, ccAbsent(ccJoin(us)))
		}
		switch {
		case len(us) > 1:
			fail("more than one user")
		case len(tl.created) > 1:
			fail("two creates of one userName both answered 201")
		case len(tl.created) == 1 && (len(us) == 0 || us[0].id != tl.created[0]):
			fail("the user answered 201 is not the one in the database")
		case tl.conflicts > 0 && len(us) == 0:
			fail("answered 409, but no user holds the name")
		case len(us) == 1 && len(tl.created) == 0 && tl.pending == 0:
			fail("a user nobody created")
		case len(us) == 1:
			u := us[0]
			want := ccUser{id: u.id, userName: u.userName, active: true, version: 1, creates: 1, emails: 1}
			if u != want || !strings.EqualFold(u.userName, name) {
				fail("the user is not the one created: want " + want.String())
			}
		}
	}
}

// checkShared: every batch acknowledged is in the round's shared group, every unanswered
// batch is there whole or not at all, nothing else is, and there is one patch event per
// batch there. It returns how many unanswered batches were applied.
func (w *ccWorld) checkShared(t *testing.T, round int, clients []*ccClient, id string, obs []ccGroup) int {
	t.Helper()
	if len(obs) != 1 || obs[0].id != id {
		t.Errorf("round %d shared group: %s, want id %s", round, ccJoin(obs), id)
		return 0
	}
	g := obs[0]
	want := map[string]bool{}
	batches, applied := 0, 0
	for _, c := range clients {
		for _, op := range c.ops {
			if op.kind != kShared {
				continue
			}
			n := 0
			for _, m := range op.members {
				if g.members[m] {
					n++
				}
			}
			switch {
			case op.status == 0 && n == len(op.members):
				applied++
				maps.Copy(want, ccSet(op.members))
			case op.status == 0 && n == 0:
			case op.status == 0:
				t.Errorf("round %d shared group: an unanswered PATCH is half-applied: %d of its %d members", round, n, len(op.members))
			case slices.Contains(op.wantStatus(), op.status):
				batches++
				maps.Copy(want, ccSet(op.members))
			}
		}
	}
	if !maps.Equal(g.members, want) {
		t.Errorf("round %d shared group: members %s", round, ccSetDiff(g.members, want))
	}
	if g.patches != batches+applied || g.version != 1+batches+applied || g.creates != 1 {
		t.Errorf("round %d shared group: %s; want %d patch events and version %d (%d acknowledged, %d unanswered applied)",
			round, g, batches+applied, 1+batches+applied, batches, applied)
	}
	return applied
}

// checkFailed: a 409 duplicate created no second user, and requests on missing resources
// left no event and no member.
func (w *ccWorld) checkFailed(t *testing.T, round int, clients []*ccClient) {
	t.Helper()
	if n := queryInt(t, w.db, "SELECT count(*) FROM users WHERE user_name_lower LIKE 'crash-pool-%'"); n != ccPool {
		t.Errorf("round %d: %d users hold the %d pool userNames", round, n, ccPool)
	}
	for _, c := range clients {
		for _, op := range c.ops {
			if op.kind != kMissing {
				continue
			}
			for k, n := range w.events {
				if strings.HasPrefix(k, op.id+" ") {
					t.Errorf("round %d: %d × %s about the missing %s", round, n, k, op.id)
				}
			}
			if n := queryInt(t, w.db, "SELECT count(*) FROM memberships WHERE group_id = $1", op.id); n != 0 {
				t.Errorf("round %d: %d members of the missing group %s", round, n, op.id)
			}
		}
	}
}

// checkAPI reads a user and a group of each client back through SCIM on the restarted
// server, which must answer what the database holds (checked above against the model), and
// writes: a create, a PATCH and a DELETE.
func (w *ccWorld) checkAPI(t *testing.T, round int, clients []*ccClient, obsUsers map[string][]ccUser, obsGroups map[string][]ccGroup) {
	t.Helper()
	for _, c := range clients {
		if len(c.live) > 0 {
			u := c.users[c.live[0]]
			var doc struct {
				UserName string
				Active   bool
			}
			status, body, _ := call("GET", w.p.URL+"/scim/v2/Users/"+u.id, w.scim, nil)
			_ = jsonInto(body, &doc)
			obs := obsUsers[c.live[0]]
			switch {
			case len(obs) != 1:
				t.Errorf("round %d: user %s is %s in the database", round, u.id, ccAbsent(ccJoin(obs)))
			case obs[0].deleted && status != 404, // deleted by the unanswered request
				!obs[0].deleted && (status != 200 || doc.UserName != obs[0].userName || doc.Active != obs[0].active):
				t.Errorf("round %d: GET user %s = %d %s, the database holds %s", round, u.id, status, body, obs[0])
			}
		}
		if len(c.gnames) > 0 {
			g := c.groups[c.gnames[0]]
			var doc struct{ Members []struct{ Value string } }
			must(t, 200, "GET", w.p.URL+"/scim/v2/Groups/"+g.id, w.scim, nil, &doc)
			if obs := obsGroups[c.gnames[0]]; len(obs) != 1 || len(doc.Members) != len(obs[0].members) {
				t.Errorf("round %d: GET group %s lists %d members, the database holds %s", round, g.id, len(doc.Members), ccJoin(obs))
			}
		}
	}
	name := fmt.Sprintf("Crash-R%02d-After@Example.com", round)
	var u struct{ ID string }
	must(t, 201, "POST", w.p.URL+"/scim/v2/Users", w.scim, map[string]any{"schemas": []string{userSchema}, "userName": name}, &u)
	must(t, 200, "PATCH", w.p.URL+"/scim/v2/Users/"+u.ID, w.scim, map[string]any{"schemas": []string{ccPatchOp},
		"Operations": []map[string]any{{"op": "replace", "path": "active", "value": false}}}, nil)
	must(t, 204, "DELETE", w.p.URL+"/scim/v2/Users/"+u.ID, w.scim, nil, nil)
}

// afterAll: across all rounds, no userName is held twice and the audit log counts one create
// per user.
func (w *ccWorld) afterAll(t *testing.T) {
	t.Helper()
	if n := queryInt(t, w.db, `SELECT count(*) FROM (SELECT user_name_lower FROM users WHERE deleted_at IS NULL
		GROUP BY user_name_lower HAVING count(*) > 1) d`); n != 0 {
		t.Errorf("%d userNames held by more than one live user", n)
	}
	users := queryInt(t, w.db, "SELECT count(*) FROM users")
	creates := queryInt(t, w.db, "SELECT count(*) FROM audit_events WHERE action = 'scim.user.create'")
	if users != creates {
		t.Errorf("%d users, %d create events", users, creates)
	}
	t.Logf("%s: %d users, %d groups, %d memberships, %d audit events after %d kills", w.b.name, users,
		queryInt(t, w.db, "SELECT count(*) FROM groups"), queryInt(t, w.db, "SELECT count(*) FROM memberships"),
		queryInt(t, w.db, "SELECT count(*) FROM audit_events"), ccRounds)
}
