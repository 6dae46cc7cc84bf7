package service_test

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rolecall/rolecall/internal/api"
	"github.com/rolecall/rolecall/internal/audit"
	"github.com/rolecall/rolecall/internal/scim"
	"github.com/rolecall/rolecall/internal/service"
	"github.com/rolecall/rolecall/internal/store"
	"github.com/rolecall/rolecall/internal/store/sqlstore/sqltest"
)

// PostgreSQL only: deterministic interleavings of two writes that compute access changes
// (the org's access lock, advisory class 3). A third connection (X) holds the access lock so
// that the two writers queue on it in a chosen order; X then commits. When a use case took
// row locks before the access lock (a group's row, a user's memberships, a resource), such
// pairs deadlocked (a review reproduced all seven below): each now takes the access lock
// first, and PostgreSQL must count no deadlock and both writes must succeed.

type dlEnv struct {
	*eventEnv
	db  *sql.DB
	dsn string
}

func newDL(t *testing.T) *dlEnv {
	dsn := sqltest.PostgresDSN(t)
	st := sqltest.Open(t, dsn)
	ctx := audit.WithActor(context.Background(), audit.Actor{Name: "tester", RequestID: "req-1"})
	e := &eventEnv{t: t, ctx: ctx, st: st, svc: service.New(st)}
	o, err := e.svc.CreateOrg(ctx, "acme")
	if err != nil {
		t.Fatal(err)
	}
	e.org = o.ID
	db, err := sql.Open("pgx", dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return &dlEnv{eventEnv: e, db: db, dsn: dsn}
}

func (d *dlEnv) holdAccess() (release func()) {
	tx, err := d.db.Begin()
	if err != nil {
		d.t.Fatal(err)
	}
	if _, err := tx.Exec("SELECT pg_advisory_xact_lock(3, hashtext($1))", d.org); err != nil {
		d.t.Fatal(err)
	}
	return func() { _ = tx.Commit() }
}

func (d *dlEnv) waiters() int {
	var n int
	if err := d.db.QueryRow(`SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND classid = 3 AND objsubid = 2 AND NOT granted`).Scan(&n); err != nil {
		d.t.Fatal(err)
	}
	return n
}

func (d *dlEnv) waitWaiters(n int) {
	deadline := time.Now().Add(10 * time.Second)
	for d.waiters() < n {
		if time.Now().After(deadline) {
			d.t.Fatalf("never %d waiters on the access lock (have %d)", n, d.waiters())
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func (d *dlEnv) deadlocks() int64 {
	var n int64
	_ = d.db.QueryRow(`SELECT pg_stat_force_next_flush()`).Scan(new(any))
	if err := d.db.QueryRow(`SELECT deadlocks FROM pg_stat_database WHERE datname = current_database()`).Scan(&n); err != nil {
		d.t.Fatal(err)
	}
	return n
}

// race runs first (it queues on the access lock first), then second once first waits, then
// releases X, and reports both errors and the deadlocks PostgreSQL counted.
func (d *dlEnv) race(name string, first, second func() error, allowSecond func(error) bool) {
	t := d.t
	before := d.deadlocks()
	release := d.holdAccess()
	var wg sync.WaitGroup
	var e1, e2 error
	var d1, d2 time.Duration
	wg.Add(2)
	start := time.Now()
	go func() { defer wg.Done(); e1 = first(); d1 = time.Since(start) }()
	d.waitWaiters(1)
	go func() { defer wg.Done(); e2 = second(); d2 = time.Since(start) }()
	d.waitWaiters(2)
	time.Sleep(50 * time.Millisecond)
	release()
	wg.Wait()
	time.Sleep(700 * time.Millisecond)
	after := d.deadlocks()
	t.Logf("%s: first err=%v (%v)\n second err=%v (%v)\n deadlocks counted by PostgreSQL: %d", name, e1, d1, e2, d2, after-before)
	if after > before {
		t.Errorf("%s: %d deadlocks", name, after-before)
	}
	if e1 != nil {
		t.Errorf("%s: the first write failed: %v", name, e1)
	}
	if e2 != nil && !(allowSecond != nil && allowSecond(e2)) {
		t.Errorf("%s: the second write failed: %v", name, e2)
	}
}

func TestAccessLockNoDeadlockDeleteUserVsPatchGroup(t *testing.T) {
	d := newDL(t)
	if _, err := d.svc.CreateCloud(d.ctx, d.org, "c0"); err != nil {
		t.Fatal(err)
	}
	u := d.createUser("alice")
	y := d.createUser("yves")
	g := d.createGroup("team", u)
	if _, _, err := d.svc.CreateGrant(d.ctx, d.org, api.GrantRequest{Role: "readonly", PrincipalType: "group", Principal: "team", ResourceKind: "cloud", Resource: "c0"}); err != nil {
		t.Fatal(err)
	}
	d.race("DELETE /Users/alice vs PATCH /Groups/team add yves",
		func() error {
			return d.svc.DeleteUser(d.ctx, d.org, u, "", func(store.User) (any, error) { return nil, nil })
		},
		func() error {
			_, err := d.svc.PatchGroup(d.ctx, d.org, g, "", []scim.PatchOperation{membersOp("add", y)}, groupRender)
			return err
		}, nil)
}

func TestAccessLockNoDeadlockDeleteGroupVsPatchParent(t *testing.T) {
	d := newDL(t)
	if _, err := d.svc.CreateCloud(d.ctx, d.org, "c0"); err != nil {
		t.Fatal(err)
	}
	u := d.createUser("alice")
	y := d.createUser("yves")
	child := d.createGroup("child", u)
	parent := d.createGroup("parent", child)
	if _, _, err := d.svc.CreateGrant(d.ctx, d.org, api.GrantRequest{Role: "readonly", PrincipalType: "group", Principal: "parent", ResourceKind: "cloud", Resource: "c0"}); err != nil {
		t.Fatal(err)
	}
	d.race("DELETE /Groups/child vs PATCH /Groups/parent add yves",
		func() error { return d.svc.DeleteGroup(d.ctx, d.org, child, "", groupRender) },
		func() error {
			_, err := d.svc.PatchGroup(d.ctx, d.org, parent, "", []scim.PatchOperation{membersOp("add", y)}, groupRender)
			return err
		}, nil)
}

func TestAccessLockNoDeadlockVisibilityVsCreateGrant(t *testing.T) {
	d := newDL(t)
	if _, err := d.svc.CreateCloud(d.ctx, d.org, "c0"); err != nil {
		t.Fatal(err)
	}
	if _, err := d.svc.CreateProject(d.ctx, d.org, "p0", "c0", ""); err != nil {
		t.Fatal(err)
	}
	d.createUser("alice")
	d.race("project visibility vs grant create on it",
		func() error { _, err := d.svc.UpdateProject(d.ctx, d.org, "p0", "", "public"); return err },
		func() error {
			_, _, err := d.svc.CreateGrant(d.ctx, d.org, api.GrantRequest{Role: "readonly", PrincipalType: "user", Principal: "alice", ResourceKind: "project", Resource: "p0"})
			return err
		}, nil)
}

func TestAccessLockNoDeadlockDeleteResourceVsCreateGrant(t *testing.T) {
	d := newDL(t)
	if _, err := d.svc.CreateCloud(d.ctx, d.org, "c0"); err != nil {
		t.Fatal(err)
	}
	if _, err := d.svc.CreateProject(d.ctx, d.org, "p0", "c0", ""); err != nil {
		t.Fatal(err)
	}
	d.createUser("alice")
	d.race("project delete vs grant create on it",
		func() error { _, err := d.svc.DeleteResource(d.ctx, d.org, store.KindProject, "p0"); return err },
		func() error {
			_, _, err := d.svc.CreateGrant(d.ctx, d.org, api.GrantRequest{Role: "readonly", PrincipalType: "user", Principal: "alice", ResourceKind: "project", Resource: "p0"})
			return err
		}, func(err error) bool {
			return strings.Contains(err.Error(), "404") || strings.Contains(err.Error(), "no project")
		})
}

func TestAccessLockNoDeadlockReplaceVsRenameVisibility(t *testing.T) {
	d := newDL(t)
	if _, err := d.svc.CreateCloud(d.ctx, d.org, "c0"); err != nil {
		t.Fatal(err)
	}
	if _, err := d.svc.CreateProject(d.ctx, d.org, "p0", "c0", ""); err != nil {
		t.Fatal(err)
	}
	d.createUser("alice")
	if _, _, err := d.svc.CreateGrant(d.ctx, d.org, api.GrantRequest{Role: "readonly", PrincipalType: "user", Principal: "alice", ResourceKind: "project", Resource: "p0"}); err != nil {
		t.Fatal(err)
	}
	d.race("grant --replace on p0 vs project rename+visibility",
		func() error {
			_, _, err := d.svc.CreateGrant(d.ctx, d.org, api.GrantRequest{Role: "owner", PrincipalType: "user", Principal: "alice", ResourceKind: "project", Resource: "p0", Replace: true})
			return err
		},
		func() error { _, err := d.svc.UpdateProject(d.ctx, d.org, "p0", "p1", "public"); return err }, nil)
}

var _ = fmt.Sprint

func TestAccessLockNoDeadlockDeleteUserVsGrantToItsGroup(t *testing.T) {
	d := newDL(t)
	if _, err := d.svc.CreateCloud(d.ctx, d.org, "c0"); err != nil {
		t.Fatal(err)
	}
	u := d.createUser("alice")
	d.createGroup("team", u)
	d.race("DELETE /Users/alice vs grant to group team (alice's group)",
		func() error {
			return d.svc.DeleteUser(d.ctx, d.org, u, "", func(store.User) (any, error) { return nil, nil })
		},
		func() error {
			_, _, err := d.svc.CreateGrant(d.ctx, d.org, api.GrantRequest{Role: "readonly", PrincipalType: "group", Principal: "team", ResourceKind: "cloud", Resource: "c0"})
			return err
		}, nil)
}

func TestAccessLockNoDeadlockDeleteUserVsNestItsGroup(t *testing.T) {
	d := newDL(t)
	if _, err := d.svc.CreateCloud(d.ctx, d.org, "c0"); err != nil {
		t.Fatal(err)
	}
	u := d.createUser("alice")
	team := d.createGroup("team", u)
	outer := d.createGroup("outer")
	d.race("DELETE /Users/alice vs PATCH /Groups/outer add group team",
		func() error {
			return d.svc.DeleteUser(d.ctx, d.org, u, "", func(store.User) (any, error) { return nil, nil })
		},
		func() error {
			_, err := d.svc.PatchGroup(d.ctx, d.org, outer, "", []scim.PatchOperation{membersOp("add", team)}, groupRender)
			return err
		}, nil)
}

func TestAccessLockStressDeleteUserVsPatchGroup(t *testing.T) {
	d := newDL(t)
	if _, err := d.svc.CreateCloud(d.ctx, d.org, "c0"); err != nil {
		t.Fatal(err)
	}
	y := d.createUser("yves")
	g := d.createGroup("team")
	if _, _, err := d.svc.CreateGrant(d.ctx, d.org, api.GrantRequest{Role: "readonly", PrincipalType: "group", Principal: "team", ResourceKind: "cloud", Resource: "c0"}); err != nil {
		t.Fatal(err)
	}
	before := d.deadlocks()
	stop := time.Now().Add(3 * time.Second)
	var wg sync.WaitGroup
	var errs1, errs2, n1, n2 int
	wg.Add(2)
	go func() {
		defer wg.Done()
		for i := 0; time.Now().Before(stop); i++ {
			u := d.createUser(fmt.Sprint("u", i))
			if _, err := d.svc.PatchGroup(d.ctx, d.org, g, "", []scim.PatchOperation{membersOp("add", u)}, groupRender); err != nil {
				errs1++
			}
			if err := d.svc.DeleteUser(d.ctx, d.org, u, "", func(store.User) (any, error) { return nil, nil }); err != nil {
				errs1++
			}
			n1++
		}
	}()
	go func() {
		defer wg.Done()
		for i := 0; time.Now().Before(stop); i++ {
			op := []string{"add", "remove"}[i%2]
			if _, err := d.svc.PatchGroup(d.ctx, d.org, g, "", []scim.PatchOperation{membersOp(op, y)}, groupRender); err != nil {
				errs2++
				t.Logf("patch: %v", err)
			}
			n2++
		}
	}()
	wg.Wait()
	time.Sleep(700 * time.Millisecond)
	dl := d.deadlocks() - before
	t.Logf("loops %d/%d, errors %d/%d, deadlocks %d", n1, n2, errs1, errs2, dl)
	if errs1+errs2 > 0 || dl > 0 {
		t.Errorf("members added and users deleted against PATCHes of the same group: %d + %d failed writes, %d deadlocks", errs1, errs2, dl)
	}
	if n1 == 0 || n2 == 0 {
		t.Errorf("the writers made no progress: %d / %d loops", n1, n2)
	}
}
