package storetest

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rolecall/rolecall/internal/store"
)

func init() {
	register(test{"WritesWaitForOrgLock", testWritesWaitForOrgLock}, test{"LockAccessSerialises", testLockAccessSerialises})
}

// testWritesWaitForOrgLock: while a transaction holds LockOrg (enforce-groups apply and
// undo, which plan from what they read), a write to what a plan is computed from cannot
// commit in that org; it commits once the lock is released. On PostgreSQL a write to another
// org does not wait (on SQLite every write waits for the one writer anyway).
func testWritesWaitForOrgLock(t *testing.T, s store.Store) {
	ctx := context.Background()
	o, other := newOrg(t, s, "locked"), newOrg(t, s, "unlocked")
	u := newUser(t, s, o.ID, "u@example.com")
	g := newGroup(t, s, o.ID, "g")
	ou := newUser(t, s, other.ID, "ou@example.com")
	og := newGroup(t, s, other.ID, "og")

	locked, release := make(chan struct{}), make(chan struct{})
	var released atomic.Bool
	lockerDone := make(chan error, 1)
	go func() {
		lockerDone <- s.Update(store.OwnTransaction(ctx), func(tx store.Tx) error {
			if err := tx.LockOrg(ctx, o.ID); err != nil {
				close(locked)
				return err
			}
			close(locked)
			<-release
			released.Store(true)
			return nil
		})
	}()
	<-locked

	if s.Dialect() == "postgres" {
		err := s.Update(ctx, func(tx store.Tx) error {
			_, err := tx.AddMembers(ctx, other.ID, og.ID, []string{ou.ID})
			return err
		})
		if err != nil {
			t.Errorf("write to another org while this one is locked: %v", err)
		}
	}
	writes := map[string]func(tx store.Tx) error{
		"AddMembers": func(tx store.Tx) error { _, err := tx.AddMembers(ctx, o.ID, g.ID, []string{u.ID}); return err },
		"CreateUser": func(tx store.Tx) error {
			_, err := tx.CreateUser(ctx, store.User{OrgID: o.ID, UserName: "late@example.com", Active: true})
			return err
		},
	}
	done := make(chan string, len(writes))
	for name, fn := range writes {
		go func() {
			if err := s.Update(ctx, fn); err != nil {
				t.Errorf("%s after the lock: %v", name, err)
			}
			if !released.Load() {
				t.Errorf("%s committed while the org was locked", name)
			}
			done <- name
		}()
	}
	waiting := len(writes)
	select {
	case name := <-done:
		t.Errorf("%s returned while the org was locked", name)
		waiting--
	case <-time.After(300 * time.Millisecond):
	}
	close(release)
	if err := <-lockerDone; err != nil {
		t.Fatal(err)
	}
	for range waiting {
		<-done
	}
}

// testLockAccessSerialises: two writers that take LockAccess on one org run one after the
// other (the second's LockAccess returns only once the first has committed, and then it
// reads what the first wrote); a writer that does not take it, or takes another org's, does
// not wait. On SQLite every write waits for the one writer anyway.
func testLockAccessSerialises(t *testing.T, s store.Store) {
	ctx := context.Background()
	o, other := newOrg(t, s, "access"), newOrg(t, s, "elsewhere")
	u := newUser(t, s, o.ID, "u@example.com")
	g := newGroup(t, s, o.ID, "g")
	og := newGroup(t, s, other.ID, "og")
	ou := newUser(t, s, other.ID, "ou@example.com")

	locked, release := make(chan struct{}), make(chan struct{})
	var released atomic.Bool
	first := make(chan error, 1)
	go func() {
		first <- s.Update(store.OwnTransaction(ctx), func(tx store.Tx) error {
			if err := tx.LockAccess(ctx, o.ID); err != nil {
				close(locked)
				return err
			}
			if _, err := tx.AddMembers(ctx, o.ID, g.ID, []string{u.ID}); err != nil {
				close(locked)
				return err
			}
			close(locked)
			<-release
			// Set before returning: the commit, which lets the second in, comes after.
			released.Store(true)
			return nil
		})
	}()
	<-locked
	if s.Dialect() == "postgres" {
		// Another org's access lock, and a write that takes none, go on.
		err := s.Update(store.OwnTransaction(ctx), func(tx store.Tx) error {
			if err := tx.LockAccess(ctx, other.ID); err != nil {
				return err
			}
			_, err := tx.AddMembers(ctx, other.ID, og.ID, []string{ou.ID})
			return err
		})
		if err != nil {
			t.Errorf("another org's access lock while this one is held: %v", err)
		}
		err = s.Update(store.OwnTransaction(ctx), func(tx store.Tx) error {
			_, err := tx.CreateUser(ctx, store.User{OrgID: o.ID, UserName: "free@example.com", Active: true})
			return err
		})
		if err != nil {
			t.Errorf("a write without the access lock: %v", err)
		}
	}
	second := make(chan error, 1)
	go func() {
		second <- s.Update(store.OwnTransaction(ctx), func(tx store.Tx) error {
			if err := tx.LockAccess(ctx, o.ID); err != nil {
				return err
			}
			if !released.Load() {
				t.Errorf("LockAccess returned while another transaction of the org held it")
			}
			// It sees what the first committed.
			in, err := tx.IsMember(ctx, o.ID, g.ID, u.ID)
			if err == nil && !in {
				t.Errorf("after the lock, the first writer's membership is not visible")
			}
			return err
		})
	}()
	select {
	case err := <-second:
		t.Errorf("the second LockAccess returned (%v) while the first was held", err)
	case <-time.After(300 * time.Millisecond):
	}
	close(release)
	if err := <-first; err != nil {
		t.Fatal(err)
	}
	if err := <-second; err != nil {
		t.Fatal(err)
	}
}
