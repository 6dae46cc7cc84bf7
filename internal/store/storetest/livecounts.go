package storetest

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"sync"
	"testing"

	"github.com/rolecall/rolecall/internal/store"
)

// The totals of unfiltered lists (what Okta's startIndex walk reads on every page) may come
// from a count a backend maintains instead of counting rows (SQLite keeps one by triggers).
// These tests drive many mixed writes, including failed and rolled-back ones, concurrent
// ones and ones in other orgs, and compare after each round: the unfiltered total, the
// total of a filter that matches everything (which a backend must count), the model the
// test keeps, and the ids an offset walk returns.

func init() {
	register(test{"LiveCountsMixedWrites", testLiveCountsMixedWrites})
}

// errRollback makes an Update roll back what it wrote.
var errRollback = errors.New("storetest: roll back")

// liveModel is what the test expects to be live in one org: id -> Seq, per kind.
type liveModel struct {
	mu     sync.Mutex
	users  map[string]int64
	groups map[string]int64
}

func newLiveModel() *liveModel {
	return &liveModel{users: map[string]int64{}, groups: map[string]int64{}}
}

// bySeq returns the ids of m in Seq order.
func bySeq(m map[string]int64) []string {
	ids := make([]string, 0, len(m))
	for id := range m {
		ids = append(ids, id)
	}
	slices.SortFunc(ids, func(a, b string) int { return int(m[a] - m[b]) })
	return ids
}

// pick returns a random id of m ("" when empty), in a reproducible way.
func pick(r *rand.Rand, m map[string]int64) string {
	ids := bySeq(m)
	if len(ids) == 0 {
		return ""
	}
	return ids[r.IntN(len(ids))]
}

// matchAll is a filter every row matches; it forces a backend to count rows.
var matchAll = &store.Cond{Op: store.CondAnd}

// checkLive compares the store's view of org with the model.
func checkLive(t *testing.T, s store.Store, orgID string, m *liveModel, round string) {
	t.Helper()
	m.mu.Lock()
	wantUsers, wantGroups := bySeq(m.users), bySeq(m.groups)
	m.mu.Unlock()
	view(t, s, func(tx store.Tx) error {
		for _, f := range []*store.Cond{nil, matchAll} {
			_, total, err := tx.ListUsers(bg, orgID, store.Query{Filter: f, Page: store.Page{Limit: 0}})
			if err != nil {
				return err
			}
			if total != len(wantUsers) {
				t.Errorf("%s: users total (filter %v) = %d, want %d", round, f != nil, total, len(wantUsers))
			}
			_, total, err = tx.ListGroups(bg, orgID, store.Query{Filter: f, Page: store.Page{Limit: 0}})
			if err != nil {
				return err
			}
			if total != len(wantGroups) {
				t.Errorf("%s: groups total (filter %v) = %d, want %d", round, f != nil, total, len(wantGroups))
			}
		}
		// An offset walk in pages of 7 returns exactly the live rows in Seq order, each
		// page with the same total; one page past the end is empty.
		var gotUsers, gotGroups []string
		for off := 0; ; off += 7 {
			us, total, err := tx.ListUsers(bg, orgID, store.Query{Page: store.Page{Offset: off, Limit: 7}})
			if err != nil {
				return err
			}
			if total != len(wantUsers) {
				t.Errorf("%s: users page at %d: total %d, want %d", round, off, total, len(wantUsers))
			}
			for _, u := range us {
				gotUsers = append(gotUsers, u.ID)
			}
			if len(us) < 7 {
				break
			}
		}
		for off := 0; ; off += 7 {
			gs, total, err := tx.ListGroups(bg, orgID, store.Query{Page: store.Page{Offset: off, Limit: 7}})
			if err != nil {
				return err
			}
			if total != len(wantGroups) {
				t.Errorf("%s: groups page at %d: total %d, want %d", round, off, total, len(wantGroups))
			}
			for _, g := range gs {
				gotGroups = append(gotGroups, g.ID)
			}
			if len(gs) < 7 {
				break
			}
		}
		if !slices.Equal(gotUsers, wantUsers) {
			t.Errorf("%s: users walk = %v, want %v", round, gotUsers, wantUsers)
		}
		if !slices.Equal(gotGroups, wantGroups) {
			t.Errorf("%s: groups walk = %v, want %v", round, gotGroups, wantGroups)
		}
		_, total, err := tx.ListUsers(bg, orgID, store.Query{SkipTotal: true, Page: store.Page{Limit: 1}})
		if err == nil && total != -1 {
			t.Errorf("%s: SkipTotal total = %d, want -1", round, total)
		}
		return err
	})
}

// liveOp is one random write against org, applied to the model only if it committed. It
// runs on several goroutines at once, so it reports with Errorf, never Fatalf.
func liveOp(t *testing.T, s store.Store, r *rand.Rand, orgID string, m *liveModel, n int) {
	failed := func(what string, err error) bool {
		if err != nil {
			t.Errorf("%s: %v", what, err)
			return true
		}
		return false
	}
	m.mu.Lock()
	victimUser, victimGroup := pick(r, m.users), pick(r, m.groups)
	m.mu.Unlock()
	name := fmt.Sprintf("u%d", n)
	switch k := r.IntN(10); k {
	case 0, 1, 2: // create a user; a third of them reuse a name that may be taken
		if r.IntN(3) == 0 {
			name = fmt.Sprintf("u%d", r.IntN(n+1))
		}
		var u store.User
		err := s.Update(bg, func(tx store.Tx) (err error) {
			u, err = tx.CreateUser(bg, store.User{OrgID: orgID, UserName: name, Active: true})
			return err
		})
		if errors.Is(err, store.ErrConflict) {
			return
		}
		if failed("create user", err) {
			return
		}
		m.mu.Lock()
		m.users[u.ID] = u.Seq
		m.mu.Unlock()
	case 3: // create a group, maybe under a taken name
		if r.IntN(3) == 0 {
			name = fmt.Sprintf("u%d", r.IntN(n+1))
		}
		var g store.Group
		err := s.Update(bg, func(tx store.Tx) (err error) {
			g, err = tx.CreateGroup(bg, store.Group{OrgID: orgID, DisplayName: name, Active: true})
			return err
		})
		if errors.Is(err, store.ErrConflict) {
			return
		}
		if failed("create group", err) {
			return
		}
		m.mu.Lock()
		m.groups[g.ID] = g.Seq
		m.mu.Unlock()
	case 4, 5: // delete a user, sometimes with a stale version (refused, nothing changes)
		if victimUser == "" {
			return
		}
		expect := int64(0)
		if r.IntN(4) == 0 {
			expect = 99
		}
		err := s.Update(bg, func(tx store.Tx) error { return tx.DeleteUser(bg, orgID, victimUser, expect) })
		if errors.Is(err, store.ErrVersionMismatch) || errors.Is(err, store.ErrNotFound) {
			return // NotFound: a concurrent op deleted it first
		}
		if failed("delete user", err) {
			return
		}
		m.mu.Lock()
		delete(m.users, victimUser)
		m.mu.Unlock()
	case 6: // delete a group
		if victimGroup == "" {
			return
		}
		err := s.Update(bg, func(tx store.Tx) error { return tx.DeleteGroup(bg, orgID, victimGroup, 0) })
		if errors.Is(err, store.ErrNotFound) {
			return
		}
		if failed("delete group", err) {
			return
		}
		m.mu.Lock()
		delete(m.groups, victimGroup)
		m.mu.Unlock()
	case 7: // writes that roll back: none of them may count
		err := s.Update(bg, func(tx store.Tx) error {
			if _, err := tx.CreateUser(bg, store.User{OrgID: orgID, UserName: "rb-" + name, Active: true}); err != nil {
				return err
			}
			if _, err := tx.CreateGroup(bg, store.Group{OrgID: orgID, DisplayName: "rb-" + name, Active: true}); err != nil {
				return err
			}
			if victimUser != "" {
				if err := tx.DeleteUser(bg, orgID, victimUser, 0); err != nil && !errors.Is(err, store.ErrNotFound) {
					return err
				}
			}
			if victimGroup != "" {
				if err := tx.DeleteGroup(bg, orgID, victimGroup, 0); err != nil && !errors.Is(err, store.ErrNotFound) {
					return err
				}
			}
			return errRollback
		})
		if !errors.Is(err, errRollback) {
			t.Errorf("rolled-back update: %v", err)
		}
	case 8: // a deleted user's name is free again: delete and recreate it in one Update
		if victimUser == "" {
			return
		}
		var u store.User
		err := s.Update(bg, func(tx store.Tx) error {
			old, err := tx.User(bg, orgID, victimUser)
			if err != nil {
				return err
			}
			if err := tx.DeleteUser(bg, orgID, victimUser, 0); err != nil {
				return err
			}
			u, err = tx.CreateUser(bg, store.User{OrgID: orgID, UserName: old.UserName, Active: true})
			return err
		})
		if errors.Is(err, store.ErrNotFound) {
			return
		}
		if failed("recreate user", err) {
			return
		}
		m.mu.Lock()
		delete(m.users, victimUser)
		m.users[u.ID] = u.Seq
		m.mu.Unlock()
	case 9: // updates that do not change liveness
		if victimUser == "" {
			return
		}
		err := s.Update(bg, func(tx store.Tx) error {
			u, err := tx.User(bg, orgID, victimUser)
			if err != nil {
				return err
			}
			u.DisplayName = "renamed " + name
			if _, err := tx.UpdateUser(bg, u, 0); err != nil {
				return err
			}
			_, err = tx.SetUserRemoved(bg, orgID, victimUser, r.IntN(2) == 0, false)
			return err
		})
		if errors.Is(err, store.ErrNotFound) {
			return
		}
		if failed("update user", err) {
			return
		}
	}
}

func testLiveCountsMixedWrites(t *testing.T, s store.Store) {
	a, b := newOrg(t, s, "LiveA"), newOrg(t, s, "LiveB")
	ma, mb := newLiveModel(), newLiveModel()
	checkLive(t, s, a.ID, ma, "empty")
	rounds, perRound := 8, 40
	if raceEnabled {
		rounds = 4
	}
	n := 0
	for round := range rounds {
		// Sequential writes in both orgs.
		r := rand.New(rand.NewPCG(uint64(round), 7))
		for range perRound {
			n++
			org, m := a.ID, ma
			if r.IntN(4) == 0 {
				org, m = b.ID, mb
			}
			liveOp(t, s, r, org, m, n)
		}
		// Concurrent writes: Updates that overlap (on SQLite, several may share one
		// transaction, each in its own savepoint; some of them fail and roll back).
		var wg sync.WaitGroup
		for w := range 4 {
			base := n + 1000*(w+1)
			wg.Go(func() {
				r := rand.New(rand.NewPCG(uint64(round), uint64(w+100)))
				for i := range 10 {
					liveOp(t, s, r, a.ID, ma, base+i)
				}
			})
		}
		wg.Wait()
		n += 5000
		checkLive(t, s, a.ID, ma, fmt.Sprintf("round %d org A", round))
		checkLive(t, s, b.ID, mb, fmt.Sprintf("round %d org B", round))
		if t.Failed() {
			return
		}
	}
	if len(ma.users) == 0 || len(ma.groups) == 0 {
		t.Errorf("the mix left org A with %d users and %d groups: it should exercise both", len(ma.users), len(ma.groups))
	}
}
