package storetest

import (
	"errors"
	"fmt"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/rolecall/rolecall/internal/store"
)

func init() {
	register(
		test{"NoLostUpdatesOptimistic", testNoLostUpdatesOptimistic},
		test{"NoLostUpdatesInOneTx", testNoLostUpdatesInTx},
		test{"ConcurrentAddMembers", testConcurrentAddMembers},
		test{"ConcurrentUniqueness", testConcurrentUniqueness},
		test{"ConcurrentCycleHalves", testConcurrentCycles},
	)
}

// increment bumps the counter kept in the user's displayName: read in a View, write in an
// Update conditional on the version read (the ETag / If-Match flow), retry on mismatch.
func increment(t *testing.T, s store.Store, orgID, id string, retries *atomic.Int64) error {
	for {
		var u store.User
		if err := s.View(bg, func(tx store.Tx) error {
			var err error
			u, err = tx.User(bg, orgID, id)
			return err
		}); err != nil {
			return err
		}
		n, _ := strconv.Atoi(u.DisplayName)
		u.DisplayName = strconv.Itoa(n + 1)
		err := s.Update(bg, func(tx store.Tx) error { _, err := tx.UpdateUser(bg, u, u.Version); return err })
		if errors.Is(err, store.ErrVersionMismatch) {
			retries.Add(1)
			continue
		}
		return err
	}
}

func runWorkers(n int, fn func(w int)) {
	var wg sync.WaitGroup
	for w := 0; w < n; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			fn(w)
		}()
	}
	wg.Wait()
}

func testNoLostUpdatesOptimistic(t *testing.T, s store.Store) {
	o := newOrg(t, s, "o")
	u := newUser(t, s, o.ID, "counter", func(u *store.User) { u.DisplayName = "0" })
	const workers, each = 20, 20
	var retries atomic.Int64
	runWorkers(workers, func(int) {
		for i := 0; i < each; i++ {
			if err := increment(t, s, o.ID, u.ID, &retries); err != nil {
				t.Errorf("increment: %v", err)
				return
			}
		}
	})
	view(t, s, func(tx store.Tx) error {
		got, err := tx.User(bg, o.ID, u.ID)
		must(t, "User", err)
		if got.DisplayName != strconv.Itoa(workers*each) || got.Version != workers*each+1 {
			t.Errorf("counter = %s at version %d, want %d at %d", got.DisplayName, got.Version, workers*each, workers*each+1)
		}
		return nil
	})
	t.Logf("%d increments, %d version-mismatch retries", workers*each, retries.Load())
}

// testNoLostUpdatesInTx reads and writes in one Update: the version check must still be
// atomic with the write when two transactions read the same version (PostgreSQL READ
// COMMITTED).
func testNoLostUpdatesInTx(t *testing.T, s store.Store) {
	o := newOrg(t, s, "o")
	u := newUser(t, s, o.ID, "counter", func(u *store.User) { u.DisplayName = "0" })
	const workers, each = 8, 10
	runWorkers(workers, func(int) {
		for i := 0; i < each; {
			err := s.Update(bg, func(tx store.Tx) error {
				cur, err := tx.User(bg, o.ID, u.ID)
				if err != nil {
					return err
				}
				n, _ := strconv.Atoi(cur.DisplayName)
				cur.DisplayName = strconv.Itoa(n + 1)
				_, err = tx.UpdateUser(bg, cur, cur.Version)
				return err
			})
			if errors.Is(err, store.ErrVersionMismatch) {
				continue
			}
			if err != nil {
				t.Errorf("Update: %v", err)
				return
			}
			i++
		}
	})
	view(t, s, func(tx store.Tx) error {
		got, err := tx.User(bg, o.ID, u.ID)
		must(t, "User", err)
		if got.DisplayName != strconv.Itoa(workers*each) {
			t.Errorf("counter = %s, want %d", got.DisplayName, workers*each)
		}
		return nil
	})
}

func testConcurrentAddMembers(t *testing.T, s store.Store) {
	o := newOrg(t, s, "o")
	g := newGroup(t, s, o.ID, "g")
	const workers, each = 20, 5
	var ids [][]string
	shared := newUser(t, s, o.ID, "shared")
	update(t, s, func(tx store.Tx) error {
		for w := 0; w < workers; w++ {
			var mine []string
			for i := 0; i < each; i++ {
				u, err := tx.CreateUser(bg, store.User{OrgID: o.ID, UserName: fmt.Sprintf("w%d-%d", w, i)})
				if err != nil {
					return err
				}
				mine = append(mine, u.ID)
			}
			ids = append(ids, mine)
		}
		return nil
	})
	var added atomic.Int64
	runWorkers(workers, func(w int) {
		for _, id := range append(ids[w], shared.ID) {
			err := s.Update(bg, func(tx store.Tx) error {
				n, err := tx.AddMembers(bg, o.ID, g.ID, []string{id})
				added.Add(int64(n))
				return err
			})
			if err != nil {
				t.Errorf("AddMembers: %v", err)
			}
		}
	})
	if got := added.Load(); got != workers*each+1 {
		t.Errorf("AddMembers reported %d added, want %d", got, workers*each+1)
	}
	view(t, s, func(tx store.Tx) error {
		_, total, err := tx.Members(bg, o.ID, g.ID, store.Page{})
		must(t, "Members", err)
		if total != workers*each+1 {
			t.Errorf("group has %d members, want %d", total, workers*each+1)
		}
		return nil
	})
}

func testConcurrentUniqueness(t *testing.T, s store.Store) {
	o := newOrg(t, s, "o")
	c := newResource(t, s, o.ID, store.KindCloud, "c", "")
	u := newUser(t, s, o.ID, "u")
	const workers = 10
	var users, groups, created atomic.Int64
	ids := make([]string, workers)
	runWorkers(workers, func(w int) {
		err := s.Update(bg, func(tx store.Tx) error {
			_, err := tx.CreateUser(bg, store.User{OrgID: o.ID, UserName: fmt.Sprintf("Same%c", "sS"[w%2])})
			return err
		})
		switch {
		case err == nil:
			users.Add(1)
		case !errors.Is(err, store.ErrConflict):
			t.Errorf("CreateUser: %v", err)
		}
		err = s.Update(bg, func(tx store.Tx) error {
			_, err := tx.CreateGroup(bg, store.Group{OrgID: o.ID, DisplayName: fmt.Sprintf("Team%c", "tT"[w%2])})
			return err
		})
		switch {
		case err == nil:
			groups.Add(1)
		case !errors.Is(err, store.ErrConflict):
			t.Errorf("CreateGroup: %v", err)
		}
		err = s.Update(bg, func(tx store.Tx) error {
			b, ok, err := tx.CreateBinding(bg, store.Binding{OrgID: o.ID, ResourceID: c.ID, PrincipalType: store.PrincipalUser, PrincipalID: u.ID, Role: "owner"})
			if ok {
				created.Add(1)
			}
			ids[w] = b.ID
			return err
		})
		if err != nil {
			t.Errorf("CreateBinding: %v", err)
		}
	})
	if users.Load() != 1 || groups.Load() != 1 || created.Load() != 1 {
		t.Errorf("concurrent creates succeeded: %d users, %d groups, %d bindings; want 1 each", users.Load(), groups.Load(), created.Load())
	}
	for _, id := range ids {
		if id != ids[0] || id == "" {
			t.Errorf("CreateBinding returned different ids: %v", ids)
			break
		}
	}
}

// testConcurrentCycles: two transactions that each add one half of a cycle at the same time
// must not both succeed.
func testConcurrentCycles(t *testing.T, s store.Store) {
	o := newOrg(t, s, "o")
	for round := 0; round < 5; round++ {
		a := newGroup(t, s, o.ID, fmt.Sprintf("a%d", round))
		b := newGroup(t, s, o.ID, fmt.Sprintf("b%d", round))
		var ok atomic.Int64
		runWorkers(2, func(w int) {
			parent, child := a.ID, b.ID
			if w == 1 {
				parent, child = b.ID, a.ID
			}
			err := s.Update(bg, func(tx store.Tx) error {
				_, err := tx.AddMembers(bg, o.ID, parent, []string{child})
				return err
			})
			switch {
			case err == nil:
				ok.Add(1)
			case !errors.Is(err, store.ErrInvalid):
				t.Errorf("AddMembers: %v", err)
			}
		})
		if ok.Load() != 1 {
			t.Fatalf("round %d: %d of the two halves of a cycle were added, want 1", round, ok.Load())
		}
	}
}
