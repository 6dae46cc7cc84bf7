package sqlstore_test

import (
	"context"
	"testing"
	"time"

	"github.com/rolecall/rolecall/internal/store"
	"github.com/rolecall/rolecall/internal/store/sqlstore"
	"github.com/rolecall/rolecall/internal/store/sqlstore/sqltest"
)

// TestWaitRevisionAcrossStores: two Stores on one database stand for two servers (or a
// server and an offline admin command). A waiter on B must wake within 1 s of a commit
// made through A, which B learns of only by polling.
func TestWaitRevisionAcrossStores(t *testing.T) {
	for _, tc := range sqltest.Backends() {
		t.Run(tc.Name, func(t *testing.T) {
			dsn := tc.DSN(t)
			a := sqltest.Open(t, dsn)
			b := sqltest.Open(t, dsn)
			var org store.Org
			if err := a.Update(bg, func(tx store.Tx) error {
				var err error
				org, err = tx.CreateOrg(bg, "two")
				return err
			}); err != nil {
				t.Fatal(err)
			}
			for round := int64(1); round <= 3; round++ {
				woke := make(chan time.Time, 1)
				go func() {
					ctx, cancel := context.WithTimeout(bg, 5*time.Second)
					defer cancel()
					rev, err := b.WaitRevision(ctx, org.ID, round-1)
					if err != nil || rev != round {
						t.Errorf("round %d: WaitRevision on B = %d, %v", round, rev, err)
					}
					woke <- time.Now()
				}()
				// B's waiter registers and reads revision round-1; the commits land at
				// different points of B's poll interval.
				time.Sleep(time.Duration(20+35*round) * time.Millisecond)
				if err := a.Update(bg, func(tx store.Tx) error {
					_, _, err := tx.AppendEvents(bg, org.ID, []store.Event{{Type: "com.rolecall.org.settings_changed"}})
					return err
				}); err != nil {
					t.Fatal(err)
				}
				committed := time.Now()
				select {
				case at := <-woke:
					lag := at.Sub(committed)
					t.Logf("round %d: B woke %v after A's commit", round, lag.Round(time.Millisecond))
					if lag > time.Second {
						t.Errorf("round %d: B woke %v after the commit, want < 1s", round, lag)
					}
				case <-time.After(2 * time.Second):
					t.Fatalf("round %d: B's waiter did not wake within 2s of A's commit", round)
				}
			}
		})
	}
}

// TestWaitRevisionAfterClose: Close wakes waiters instead of leaving them blocked.
func TestWaitRevisionAfterClose(t *testing.T) {
	s, err := sqlstore.Open(bg, sqltest.SQLiteDSN(t))
	if err != nil {
		t.Fatal(err)
	}
	var org store.Org
	if err := s.Update(bg, func(tx store.Tx) error {
		var err error
		org, err = tx.CreateOrg(bg, "closing")
		return err
	}); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() {
		_, err := s.WaitRevision(bg, org.ID, 0)
		done <- err
	}()
	time.Sleep(50 * time.Millisecond)
	s.Close()
	select {
	case err := <-done:
		if err == nil {
			t.Error("WaitRevision returned no error after Close")
		}
	case <-time.After(2 * time.Second):
		t.Fatal("WaitRevision still blocked 2s after Close")
	}
}

// TestPeekRevision: while a WaitRevision call is pending, PeekRevision knows the org's
// revision without a query, and a commit of the same Store is in it by the time Update has
// returned (what lets a decision right after a write see it); with nobody waiting it says
// it does not know.
func TestPeekRevision(t *testing.T) {
	s := sqltest.Open(t, sqltest.SQLiteDSN(t)).(interface {
		store.Store
		store.RevisionPeeker
	})
	var org store.Org
	if err := s.Update(bg, func(tx store.Tx) (err error) {
		org, err = tx.CreateOrg(bg, "peek")
		return err
	}); err != nil {
		t.Fatal(err)
	}
	if _, ok := s.PeekRevision(org.ID); ok {
		t.Fatal("PeekRevision knows a revision while nobody waits")
	}
	ctx, cancel := context.WithCancel(bg)
	done := make(chan struct{})
	go func() {
		defer close(done)
		_, _ = s.WaitRevision(ctx, org.ID, 1000)
	}()
	deadline := time.Now().Add(2 * time.Second)
	for {
		if rev, ok := s.PeekRevision(org.ID); ok {
			if rev != 0 {
				t.Fatalf("PeekRevision = %d before any event, want 0", rev)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("PeekRevision still unknown 2s after WaitRevision began")
		}
		time.Sleep(time.Millisecond)
	}
	for want := int64(1); want <= 3; want++ {
		if err := s.Update(bg, func(tx store.Tx) error {
			_, _, err := tx.AppendEvents(bg, org.ID, []store.Event{{Type: "com.rolecall.org.settings_changed"}})
			return err
		}); err != nil {
			t.Fatal(err)
		}
		if rev, ok := s.PeekRevision(org.ID); !ok || rev != want {
			t.Errorf("right after commit %d: PeekRevision = %d, %v", want, rev, ok)
		}
	}
	cancel()
	<-done
	if _, ok := s.PeekRevision(org.ID); ok {
		t.Error("PeekRevision still knows after the last waiter left")
	}
}
