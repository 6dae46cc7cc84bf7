package e2e

import (
	"fmt"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rolecall/rolecall/internal/testenv"
)

// TestBackupUnderLoad backs up a live server's SQLite database with `rolecall backup` while
// SCIM clients write to it, then starts a server on the copy: the copy opens, serves the
// same token, and holds a consistent state (every user with its create event, no orphan).
// After the load stops, a second backup equals the live database table by table.
func TestBackupUnderLoad(t *testing.T) {
	dir := t.TempDir()
	live := backend{name: "sqlite", dsn: "sqlite:" + filepath.Join(dir, "live.db"), sql: filepath.Join(dir, "live.db") + "?_pragma=busy_timeout(10000)"}
	p := start(t, live.dsn)
	tok := scimToken(t, p, "okta")
	var g struct{ ID string }
	must(t, 201, "POST", p.URL+"/scim/v2/Groups", tok, map[string]any{"schemas": []string{groupSchema}, "displayName": "all"}, &g)

	var stop atomic.Bool
	var wrote atomic.Int64
	var wg sync.WaitGroup
	for w := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; !stop.Load(); i++ {
				var u struct{ ID string }
				status, body, _ := call("POST", p.URL+"/scim/v2/Users", tok, map[string]any{"schemas": []string{userSchema},
					"userName": fmt.Sprintf("w%d-%05d@example.com", w, i)})
				if status != 201 {
					t.Errorf("load: POST %d %s", status, body)
					return
				}
				_ = jsonInto(body, &u)
				if status, body, _ := call("PATCH", p.URL+"/scim/v2/Groups/"+g.ID, tok, memberPatch([]string{u.ID})); status != 204 {
					t.Errorf("load: PATCH %d %s", status, body)
					return
				}
				wrote.Add(1)
			}
		}()
	}
	time.Sleep(300 * time.Millisecond)
	hot := filepath.Join(dir, "hot.db")
	if out, err := exec.Command(testenv.Binary(t), "backup", "--db", live.dsn, hot).CombinedOutput(); err != nil {
		t.Fatalf("backup under load: %v\n%s", err, out)
	} else if !strings.Contains(string(out), "Backed up") {
		t.Errorf("backup output: %s", out)
	}
	time.Sleep(200 * time.Millisecond)
	stop.Store(true)
	wg.Wait()
	if wrote.Load() < 20 {
		t.Fatalf("the load wrote only %d users: the backup did not run under load", wrote.Load())
	}

	// The hot copy is a consistent snapshot and a working database.
	hb := backend{name: "sqlite", dsn: "sqlite:" + hot, sql: hot}
	hdb := openSQL(t, hb)
	var check string
	if err := hdb.QueryRow("PRAGMA integrity_check").Scan(&check); err != nil || check != "ok" {
		t.Fatalf("integrity_check of the hot copy: %q %v", check, err)
	}
	for what, n := range orphans(t, hdb) {
		t.Errorf("hot copy: %d × %s", n, what)
	}
	users := queryInt(t, hdb, "SELECT count(*) FROM users")
	members := queryInt(t, hdb, "SELECT count(*) FROM memberships")
	patches := queryInt(t, hdb, "SELECT count(*) FROM audit_events WHERE action = 'scim.group.patch'")
	if members != patches || users < members || users > members+4 {
		t.Errorf("hot copy: %d users, %d memberships, %d patch events", users, members, patches)
	}
	if int64(users) >= wrote.Load()+4 {
		t.Errorf("hot copy has %d users, the load wrote %d in all: it was not taken mid-load", users, wrote.Load())
	}
	restored := start(t, hb.dsn)
	var list struct{ TotalResults int }
	must(t, 200, "GET", restored.URL+"/scim/v2/Users?count=0", tok, nil, &list)
	if list.TotalResults != users {
		t.Errorf("server on the copy lists %d users, the copy holds %d", list.TotalResults, users)
	}
	restored.Stop(t)

	// Quiet now: a second backup equals the live database, table by table.
	cold := filepath.Join(dir, "cold.db")
	if out, err := exec.Command(testenv.Binary(t), "backup", "--db", live.dsn, cold).CombinedOutput(); err != nil {
		t.Fatalf("backup: %v\n%s", err, out)
	}
	if out, err := exec.Command(testenv.Binary(t), "backup", "--db", live.dsn, cold).CombinedOutput(); err == nil || !strings.Contains(string(out), "already exists") {
		t.Errorf("backup over an existing file: %v %s", err, out)
	}
	ldb := openSQL(t, live)
	cb := backend{name: "sqlite", dsn: "sqlite:" + cold, sql: cold}
	cdb := openSQL(t, cb)
	tables := tableNames(t, live, ldb)
	if got := tableNames(t, cb, cdb); !slices.Equal(got, tables) {
		t.Fatalf("tables differ: live %v, copy %v", tables, got)
	}
	for _, table := range tables {
		if a, b := dumpTable(t, ldb, table), dumpTable(t, cdb, table); !slices.Equal(a, b) {
			t.Errorf("table %s differs: live %d rows, copy %d rows", table, len(a), len(b))
		}
	}
	p.Stop(t)
}
