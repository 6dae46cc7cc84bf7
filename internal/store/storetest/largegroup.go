package storetest

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/rolecall/rolecall/internal/store"
)

func init() {
	register(test{"LargeGroupMembershipIsSetBased", testLargeGroup})
}

// rowCounter is implemented by backends that count the rows their queries return; the suite
// uses it to check structurally that membership changes read no member list.
type rowCounter interface{ RowsRead() int64 }

// largeGroupSize is the size of the big group: 100,000 members, or 10,000 under the race
// detector (see raceEnabled), where building it would otherwise take minutes.
var largeGroupSize = map[bool]int{false: 100_000, true: 10_000}[raceEnabled]

// testLargeGroup builds a 100,000-member group (users created in one Update, added with one
// AddMembers) and checks that adding and removing one member costs about what it costs on a
// 10-member group: well under a generous absolute bound, and reading a handful of rows.
func testLargeGroup(t *testing.T, s store.Store) {
	if testing.Short() {
		t.Skip("-short: skipping the 100,000-member group")
	}
	o := newOrg(t, s, "big")
	start := time.Now()
	ids := make([]string, 0, largeGroupSize)
	update(t, s, func(tx store.Tx) error {
		for i := 0; i < largeGroupSize; i++ {
			u, err := tx.CreateUser(bg, store.User{OrgID: o.ID, UserName: fmt.Sprintf("user%06d", i), Active: true})
			if err != nil {
				return err
			}
			ids = append(ids, u.ID)
		}
		return nil
	})
	t.Logf("created %d users in one Update in %v", largeGroupSize, time.Since(start))
	big := newGroup(t, s, o.ID, "big")
	small := newGroup(t, s, o.ID, "small")
	start = time.Now()
	update(t, s, func(tx store.Tx) error {
		n, err := tx.AddMembers(bg, o.ID, big.ID, ids)
		if err != nil {
			return err
		}
		if n != largeGroupSize {
			t.Errorf("AddMembers added %d, want %d", n, largeGroupSize)
		}
		return nil
	})
	t.Logf("one AddMembers of %d ids in %v", largeGroupSize, time.Since(start))
	addMembers(t, s, o.ID, small.ID, ids[:10]...)
	extra := newUser(t, s, o.ID, "extra")
	nested := newGroup(t, s, o.ID, "nested")

	// One add and one remove, each its own Update (as one SCIM PATCH each).
	change := func(groupID, memberID string) (add, remove time.Duration) {
		t0 := time.Now()
		update(t, s, func(tx store.Tx) error {
			n, err := tx.AddMembers(bg, o.ID, groupID, []string{memberID})
			if err == nil && n != 1 {
				t.Errorf("AddMembers = %d, want 1", n)
			}
			return err
		})
		t1 := time.Now()
		update(t, s, func(tx store.Tx) error {
			n, err := tx.RemoveMembers(bg, o.ID, groupID, []string{memberID})
			if err == nil && n != 1 {
				t.Errorf("RemoveMembers = %d, want 1", n)
			}
			return err
		})
		return t1.Sub(t0), time.Since(t1)
	}
	median := func(groupID, memberID string) (time.Duration, time.Duration) {
		var adds, removes []time.Duration
		for i := 0; i < 7; i++ {
			a, r := change(groupID, memberID)
			adds, removes = append(adds, a), append(removes, r)
		}
		slices.Sort(adds)
		slices.Sort(removes)
		return adds[len(adds)/2], removes[len(removes)/2]
	}
	smallAdd, smallRemove := median(small.ID, extra.ID)
	bigAdd, bigRemove := median(big.ID, extra.ID)
	bigGroupAdd, bigGroupRemove := median(big.ID, nested.ID) // a group member: cycle check too
	t.Logf("median add/remove: 10 members %v/%v; %d members %v/%v (user), %v/%v (group)",
		smallAdd, smallRemove, largeGroupSize, bigAdd, bigRemove, bigGroupAdd, bigGroupRemove)
	const bound = 50 * time.Millisecond
	for _, c := range []struct {
		name      string
		got, base time.Duration
	}{
		{"add user", bigAdd, smallAdd}, {"remove user", bigRemove, smallRemove},
		{"add group", bigGroupAdd, smallAdd}, {"remove group", bigGroupRemove, smallRemove},
	} {
		if c.got > bound && c.got > 5*c.base {
			t.Errorf("%s on a %d-member group: median %v (10-member group: %v), want < %v",
				c.name, largeGroupSize, c.got, c.base, bound)
		}
	}

	// Structural check: an add and a remove read a handful of rows, not the member list.
	if rc, ok := s.(rowCounter); ok {
		before := rc.RowsRead()
		change(big.ID, extra.ID)
		if read := rc.RowsRead() - before; read > 20 {
			t.Errorf("adding and removing one member of a %d-member group read %d rows", largeGroupSize, read)
		}
	} else {
		t.Logf("backend does not count rows read; structural check skipped")
	}

	view(t, s, func(tx store.Tx) error {
		_, total, err := tx.Members(bg, o.ID, big.ID, store.Page{})
		must(t, "Members", err)
		if total != largeGroupSize {
			t.Errorf("big group has %d members, want %d", total, largeGroupSize)
		}
		ok, err := tx.IsMember(bg, o.ID, big.ID, ids[largeGroupSize-1])
		must(t, "IsMember", err)
		if !ok {
			t.Errorf("last user is not a member")
		}
		page, _, err := tx.Members(bg, o.ID, big.ID, store.Page{Offset: largeGroupSize - 2, Limit: 10})
		must(t, "Members(last page)", err)
		if len(page) != 2 {
			t.Errorf("last page has %d members, want 2", len(page))
		}
		return nil
	})
	// Removing many at once is one set operation too.
	update(t, s, func(tx store.Tx) error {
		n, err := tx.RemoveMembers(bg, o.ID, big.ID, ids[:largeGroupSize/10])
		if err == nil && n != largeGroupSize/10 {
			t.Errorf("RemoveMembers(%d) = %d", largeGroupSize/10, n)
		}
		return err
	})
	view(t, s, func(tx store.Tx) error {
		_, total, err := tx.Members(bg, o.ID, big.ID, store.Page{})
		must(t, "Members", err)
		if total != largeGroupSize-largeGroupSize/10 {
			t.Errorf("after removing %d: %d members", largeGroupSize/10, total)
		}
		return nil
	})
}
