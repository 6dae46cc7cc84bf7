package storetest

import (
	"errors"
	"fmt"
	"sync/atomic"
	"testing"

	"github.com/rolecall/rolecall/internal/store"
)

func init() {
	register(
		test{"ReadForUpdateUser", testReadForUpdateUser},
		test{"ReadForUpdateGroup", testReadForUpdateGroup},
		test{"ReadForUpdateKeepsIfMatch", testReadForUpdateKeepsIfMatch},
	)
}

// The SCIM write path reads a row and writes it back at the version it read, all in one
// Update (a PATCH without If-Match). Inside Update, User and Group lock the row they return
// until commit, so concurrent read-modify-writes of one row queue instead of failing with
// ErrVersionMismatch: an IdP sending parallel PATCHes without If-Match must never be told
// to retry. Every attempt here is made exactly once, with no retry.

func testReadForUpdateUser(t *testing.T, s store.Store) {
	o := newOrg(t, s, "o")
	u := newUser(t, s, o.ID, "racer", func(u *store.User) { u.DisplayName = "0" })
	const workers = 20
	var failed atomic.Int64
	runWorkers(workers, func(w int) {
		err := s.Update(bg, func(tx store.Tx) error {
			cur, err := tx.User(bg, o.ID, u.ID)
			if err != nil {
				return err
			}
			cur.DisplayName = fmt.Sprintf("title %d", w)
			_, err = tx.UpdateUser(bg, cur, cur.Version)
			return err
		})
		if err != nil {
			failed.Add(1)
			t.Errorf("worker %d: %v", w, err)
		}
	})
	view(t, s, func(tx store.Tx) error {
		got, err := tx.User(bg, o.ID, u.ID)
		must(t, "User", err)
		if got.Version != workers+1 {
			t.Errorf("version = %d, want %d (one per write)", got.Version, workers+1)
		}
		return nil
	})
	if n := failed.Load(); n > 0 {
		t.Errorf("%d of %d read-modify-writes failed", n, workers)
	}
}

func testReadForUpdateGroup(t *testing.T, s store.Store) {
	o := newOrg(t, s, "o")
	g := newGroup(t, s, o.ID, "team")
	const workers = 20
	ids := make([]string, workers)
	for w := range ids {
		ids[w] = newUser(t, s, o.ID, fmt.Sprintf("m%d", w)).ID
	}
	var failed atomic.Int64
	runWorkers(workers, func(w int) {
		// What a group PATCH does: read the group, add a member, replace externalId and
		// write the group back at the version read.
		err := s.Update(bg, func(tx store.Tx) error {
			cur, err := tx.Group(bg, o.ID, g.ID)
			if err != nil {
				return err
			}
			if _, err := tx.AddMembers(bg, o.ID, g.ID, []string{ids[w]}); err != nil {
				return err
			}
			cur.ExternalID = fmt.Sprintf("ext-%d", w)
			_, err = tx.UpdateGroup(bg, cur, cur.Version)
			return err
		})
		if err != nil {
			failed.Add(1)
			t.Errorf("worker %d: %v", w, err)
		}
	})
	if n := failed.Load(); n > 0 {
		t.Errorf("%d of %d group read-modify-writes failed", n, workers)
	}
	view(t, s, func(tx store.Tx) error {
		_, total, err := tx.Members(bg, o.ID, g.ID, store.Page{})
		must(t, "Members", err)
		if total != workers {
			t.Errorf("group has %d members, want %d", total, workers)
		}
		got, err := tx.Group(bg, o.ID, g.ID)
		must(t, "Group", err)
		if got.Version != workers+1 {
			t.Errorf("version = %d, want %d", got.Version, workers+1)
		}
		return nil
	})
}

// testReadForUpdateKeepsIfMatch: conditional writes (If-Match) that all name the same
// version still race as they should: exactly one wins, the others get ErrVersionMismatch.
func testReadForUpdateKeepsIfMatch(t *testing.T, s store.Store) {
	o := newOrg(t, s, "o")
	u := newUser(t, s, o.ID, "racer")
	const workers = 10
	var ok, mismatch atomic.Int64
	runWorkers(workers, func(w int) {
		err := s.Update(bg, func(tx store.Tx) error {
			cur, err := tx.User(bg, o.ID, u.ID)
			if err != nil {
				return err
			}
			if cur.Version != u.Version {
				return fmt.Errorf("%w: at %d", store.ErrVersionMismatch, cur.Version)
			}
			cur.DisplayName = fmt.Sprintf("w%d", w)
			_, err = tx.UpdateUser(bg, cur, u.Version)
			return err
		})
		switch {
		case err == nil:
			ok.Add(1)
		case errors.Is(err, store.ErrVersionMismatch):
			mismatch.Add(1)
		default:
			t.Errorf("worker %d: %v", w, err)
		}
	})
	if ok.Load() != 1 || mismatch.Load() != workers-1 {
		t.Errorf("%d succeeded and %d mismatched, want 1 and %d", ok.Load(), mismatch.Load(), workers-1)
	}
}
