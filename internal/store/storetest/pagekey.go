package storetest

import (
	"errors"
	"testing"

	"github.com/rolecall/rolecall/internal/store"
)

func init() {
	register(test{"PageKey", testPageKey})
}

// testPageKey: a cursor's key resolves to the Seq Page.After takes, for users and groups of
// the org, deleted ones included (a page's last row may be deleted before the next page is
// asked for); another org's ids and the other kind's are not found.
func testPageKey(t *testing.T, s store.Store) {
	a, b := newOrg(t, s, "pagekey-a"), newOrg(t, s, "pagekey-b")
	u := newUser(t, s, a.ID, "u")
	gone := newUser(t, s, a.ID, "gone")
	g := newGroup(t, s, a.ID, "g")
	other := newUser(t, s, b.ID, "other")
	update(t, s, func(tx store.Tx) error { return tx.DeleteUser(bg, a.ID, gone.ID, 0) })
	view(t, s, func(tx store.Tx) error {
		for _, c := range []struct {
			groups bool
			id     string
			want   int64
		}{{false, u.ID, u.Seq}, {false, gone.ID, gone.Seq}, {true, g.ID, g.Seq}} {
			got, err := tx.PageKey(bg, a.ID, c.groups, c.id)
			if err != nil || got != c.want {
				t.Errorf("PageKey(%v, %s) = %d, %v; want %d", c.groups, c.id, got, err, c.want)
			}
		}
		for _, c := range []struct {
			groups bool
			id     string
		}{{false, other.ID}, {false, g.ID}, {true, u.ID}, {false, "nope"}} {
			if _, err := tx.PageKey(bg, a.ID, c.groups, c.id); !errors.Is(err, store.ErrNotFound) {
				t.Errorf("PageKey(%v, %s) in org A: %v, want ErrNotFound", c.groups, c.id, err)
			}
		}
		return nil
	})
}
