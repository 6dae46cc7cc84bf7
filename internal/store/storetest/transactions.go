package storetest

import (
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/rolecall/rolecall/internal/store"
)

func init() {
	register(
		test{"RollbackOnError", testRollbackOnError},
		test{"RollbackOnPanic", testRollbackOnPanic},
		test{"WritesInViewFail", testWritesInView},
		test{"ViewIsOneSnapshot", testViewSnapshot},
		test{"LockOrgSerialises", testLockOrg},
		test{"Ping", func(t *testing.T, s store.Store) {
			must(t, "Ping", s.Ping(bg))
			if d := s.Dialect(); d != "sqlite" && d != "postgres" {
				t.Errorf("Dialect = %q", d)
			}
		}},
	)
}

func countUsers(t *testing.T, s store.Store, orgID string) int {
	t.Helper()
	var n int
	view(t, s, func(tx store.Tx) error {
		var err error
		_, n, err = tx.ListUsers(bg, orgID, store.Query{})
		return err
	})
	return n
}

func testRollbackOnError(t *testing.T, s store.Store) {
	o := newOrg(t, s, "o")
	u := newUser(t, s, o.ID, "keep")
	boom := errors.New("boom")
	err := s.Update(bg, func(tx store.Tx) error {
		if _, err := tx.CreateUser(bg, store.User{OrgID: o.ID, UserName: "gone"}); err != nil {
			return err
		}
		g, err := tx.CreateGroup(bg, store.Group{OrgID: o.ID, DisplayName: "gone"})
		if err != nil {
			return err
		}
		if _, err := tx.AddMembers(bg, o.ID, g.ID, []string{u.ID}); err != nil {
			return err
		}
		if err := tx.DeleteUser(bg, o.ID, u.ID, 0); err != nil {
			return err
		}
		return fmt.Errorf("wrapped: %w", boom)
	})
	if !errors.Is(err, boom) {
		t.Fatalf("Update returned %v, want the fn's error", err)
	}
	view(t, s, func(tx store.Tx) error {
		_, err := tx.UserByUserName(bg, o.ID, "gone")
		wantErr(t, "user of rolled-back tx", err, store.ErrNotFound)
		_, err = tx.GroupByName(bg, o.ID, "gone")
		wantErr(t, "group of rolled-back tx", err, store.ErrNotFound)
		_, err = tx.User(bg, o.ID, u.ID)
		must(t, "user deleted in rolled-back tx", err)
		return nil
	})
	// An error that is a store error (conflict) rolls back the same way.
	err = s.Update(bg, func(tx store.Tx) error {
		if _, err := tx.CreateUser(bg, store.User{OrgID: o.ID, UserName: "gone2"}); err != nil {
			return err
		}
		_, err := tx.CreateUser(bg, store.User{OrgID: o.ID, UserName: "KEEP"})
		return err
	})
	wantErr(t, "Update with conflict", err, store.ErrConflict)
	if n := countUsers(t, s, o.ID); n != 1 {
		t.Errorf("%d users after rolled-back updates, want 1", n)
	}
}

func testRollbackOnPanic(t *testing.T, s store.Store) {
	o := newOrg(t, s, "o")
	func() {
		defer func() {
			if r := recover(); r != "boom" {
				t.Errorf("recovered %v, want the fn's panic", r)
			}
		}()
		_ = s.Update(bg, func(tx store.Tx) error {
			if _, err := tx.CreateUser(bg, store.User{OrgID: o.ID, UserName: "gone"}); err != nil {
				return err
			}
			panic("boom")
		})
		t.Errorf("Update swallowed the panic")
	}()
	if n := countUsers(t, s, o.ID); n != 0 {
		t.Errorf("%d users after a panicking Update, want 0", n)
	}
	// The store is still usable: the connection was released.
	newUser(t, s, o.ID, "after")
	func() {
		defer func() { recover() }()
		_ = s.View(bg, func(tx store.Tx) error { panic("view boom") })
	}()
	if n := countUsers(t, s, o.ID); n != 1 {
		t.Errorf("%d users, want 1", n)
	}
}

func testWritesInView(t *testing.T, s store.Store) {
	o := newOrg(t, s, "o")
	u := newUser(t, s, o.ID, "u")
	g := newGroup(t, s, o.ID, "g")
	c := newResource(t, s, o.ID, store.KindCloud, "c", "")
	writes := map[string]func(tx store.Tx) error{
		"CreateOrg":   func(tx store.Tx) error { _, err := tx.CreateOrg(bg, "x"); return err },
		"PutSettings": func(tx store.Tx) error { return tx.PutSettings(bg, store.OrgSettings{OrgID: o.ID, GroupsOnly: true}) },
		"CreateUser": func(tx store.Tx) error {
			_, err := tx.CreateUser(bg, store.User{OrgID: o.ID, UserName: "x"})
			return err
		},
		"UpdateUser":     func(tx store.Tx) error { _, err := tx.UpdateUser(bg, u, 0); return err },
		"DeleteUser":     func(tx store.Tx) error { return tx.DeleteUser(bg, o.ID, u.ID, 0) },
		"SetUserRemoved": func(tx store.Tx) error { _, err := tx.SetUserRemoved(bg, o.ID, u.ID, true, false); return err },
		"CreateGroup": func(tx store.Tx) error {
			_, err := tx.CreateGroup(bg, store.Group{OrgID: o.ID, DisplayName: "x"})
			return err
		},
		"TouchGroup":     func(tx store.Tx) error { _, err := tx.TouchGroup(bg, o.ID, g.ID); return err },
		"DeleteGroup":    func(tx store.Tx) error { return tx.DeleteGroup(bg, o.ID, g.ID, 0) },
		"AddMembers":     func(tx store.Tx) error { _, err := tx.AddMembers(bg, o.ID, g.ID, []string{u.ID}); return err },
		"ReplaceMembers": func(tx store.Tx) error { _, _, err := tx.ReplaceMembers(bg, o.ID, g.ID, []string{u.ID}); return err },
		"CreateResource": func(tx store.Tx) error {
			_, err := tx.CreateResource(bg, store.Resource{OrgID: o.ID, Kind: store.KindCloud, Name: "x"})
			return err
		},
		"SetResourcePublic": func(tx store.Tx) error { _, err := tx.SetResourcePublic(bg, o.ID, c.ID, true); return err },
		"CreateBinding": func(tx store.Tx) error {
			_, _, err := tx.CreateBinding(bg, store.Binding{OrgID: o.ID, ResourceID: c.ID, PrincipalType: store.PrincipalUser, PrincipalID: u.ID, Role: "owner"})
			return err
		},
		"CreateServiceAccount": func(tx store.Tx) error {
			_, err := tx.CreateServiceAccount(bg, store.ServiceAccount{OrgID: o.ID, Name: "x"})
			return err
		},
		"CreateToken": func(tx store.Tx) error {
			_, err := tx.CreateToken(bg, store.Token{OrgID: o.ID, Name: "x", Scope: store.ScopeAdmin, Hash: hashOf("x")})
			return err
		},
		"AppendAudit": func(tx store.Tx) error {
			_, err := tx.AppendAudit(bg, store.AuditEvent{OrgID: o.ID, Action: "x"})
			return err
		},
		"CreateRun": func(tx store.Tx) error { _, err := tx.CreateRun(bg, store.Run{OrgID: o.ID}, nil, nil); return err },
	}
	for name, w := range writes {
		if err := s.View(bg, w); err == nil {
			t.Errorf("%s inside View succeeded", name)
		}
	}
	view(t, s, func(tx store.Tx) error {
		got, err := tx.User(bg, o.ID, u.ID)
		must(t, "User", err)
		if got.Version != 1 || got.Removed {
			t.Errorf("user changed by View: %+v", got)
		}
		ms, _, err := tx.Members(bg, o.ID, g.ID, store.Page{Limit: 10})
		must(t, "Members", err)
		if len(ms) != 0 {
			t.Errorf("View added members")
		}
		orgs, err := tx.ListOrgs(bg)
		must(t, "ListOrgs", err)
		if len(orgs) != 1 {
			t.Errorf("View created an org")
		}
		return nil
	})
}

// testViewSnapshot checks that a View sees one snapshot: a commit that lands in the middle
// of it is not visible to its later reads.
func testViewSnapshot(t *testing.T, s store.Store) {
	o := newOrg(t, s, "o")
	newUser(t, s, o.ID, "first")
	first, second := -1, -1
	view(t, s, func(tx store.Tx) error {
		var err error
		if _, first, err = tx.ListUsers(bg, o.ID, store.Query{}); err != nil {
			return err
		}
		done := make(chan error)
		go func() {
			done <- s.Update(bg, func(tx store.Tx) error {
				_, err := tx.CreateUser(bg, store.User{OrgID: o.ID, UserName: "second"})
				return err
			})
		}()
		if err := <-done; err != nil {
			t.Errorf("concurrent Update: %v", err)
		}
		_, second, err = tx.ListUsers(bg, o.ID, store.Query{})
		return err
	})
	if first != 1 || second != 1 {
		t.Errorf("View saw %d then %d users, want 1 and 1", first, second)
	}
	if n := countUsers(t, s, o.ID); n != 2 {
		t.Errorf("after the View: %d users, want 2", n)
	}
}

// testLockOrg: a transaction that takes LockOrg after another one holds it sees that one's
// writes (it waited for its commit).
func testLockOrg(t *testing.T, s store.Store) {
	o := newOrg(t, s, "o")
	err := s.Update(bg, func(tx store.Tx) error { return tx.LockOrg(bg, "nope") })
	wantErr(t, "LockOrg(unknown)", err, store.ErrNotFound)
	locked := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		err := s.Update(bg, func(tx store.Tx) error {
			if err := tx.LockOrg(bg, o.ID); err != nil {
				return err
			}
			close(locked)
			time.Sleep(100 * time.Millisecond)
			_, err := tx.CreateUser(bg, store.User{OrgID: o.ID, UserName: "marker"})
			return err
		})
		if err != nil {
			t.Errorf("first Update: %v", err)
		}
	}()
	<-locked
	update(t, s, func(tx store.Tx) error {
		if err := tx.LockOrg(bg, o.ID); err != nil {
			return err
		}
		if _, err := tx.UserByUserName(bg, o.ID, "marker"); err != nil {
			t.Errorf("second LockOrg holder does not see the first one's write: %v", err)
		}
		return nil
	})
	wg.Wait()
}
