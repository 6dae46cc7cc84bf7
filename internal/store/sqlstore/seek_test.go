package sqlstore

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"testing"

	"github.com/rolecall/rolecall/internal/store"
)

// TestSeekCacheNearest: nearest finds the last mark at or before an offset, only for the gen
// the marks were taken at; a newer gen replaces them and an older one is ignored.
func TestSeekCacheNearest(t *testing.T) {
	var c seekCache
	k := seekKey{"o", "user"}
	if _, _, ok := c.nearest(k, 0, 10); ok {
		t.Fatal("empty cache answered")
	}
	c.mark(k, 1, 100, 1000)
	c.mark(k, 1, 300, 3000)
	c.mark(k, 1, 200, 2000)
	for _, tc := range []struct {
		off  int
		at   int
		seq  int64
		want bool
	}{{50, 0, 0, false}, {100, 100, 1000, true}, {250, 200, 2000, true}, {999, 300, 3000, true}} {
		at, seq, ok := c.nearest(k, 1, tc.off)
		if ok != tc.want || (ok && (at != tc.at || seq != tc.seq)) {
			t.Errorf("nearest(%d) = %d, %d, %v; want %d, %d, %v", tc.off, at, seq, ok, tc.at, tc.seq, tc.want)
		}
	}
	if _, _, ok := c.nearest(k, 2, 250); ok {
		t.Error("marks of gen 1 used at gen 2")
	}
	c.mark(k, 0, 400, 4000) // an older snapshot: ignored
	if at, _, _ := c.nearest(k, 1, 999); at != 300 {
		t.Errorf("an older gen's mark was kept (nearest at %d)", at)
	}
	c.mark(k, 2, 100, 1500)
	if _, _, ok := c.nearest(k, 1, 250); ok {
		t.Error("gen 1 marks survive a gen 2 mark")
	}
}

// TestSeekWalks: offset walks answered from the seek cache list exactly what count(*) and
// OFFSET would, across deletes, restores, org moves, appends and rolled-back writes.
func TestSeekWalks(t *testing.T) {
	ctx := context.Background()
	st, err := Open(ctx, "sqlite:"+filepath.Join(t.TempDir(), "seek.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	s := st.(*Store)
	var org, other store.Org
	var ids []string
	err = s.Update(ctx, func(tx store.Tx) (err error) {
		if org, err = tx.CreateOrg(ctx, "seek"); err != nil {
			return err
		}
		if other, err = tx.CreateOrg(ctx, "other"); err != nil {
			return err
		}
		for i := range 60 {
			u, err := tx.CreateUser(ctx, store.User{OrgID: org.ID, UserName: fmt.Sprint("u", i), Active: true})
			if err != nil {
				return err
			}
			ids = append(ids, u.ID)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	// want is the truth, read without the cache: every live user in Seq order.
	want := func() []string {
		var out []string
		err := s.View(ctx, func(tx store.Tx) error {
			return tx.ScanUsers(ctx, org.ID, func(u store.User) error { out = append(out, u.ID); return nil })
		})
		if err != nil {
			t.Fatal(err)
		}
		return out
	}
	walk := func(step string) {
		t.Helper()
		// Pages far from the start first, before a sequential walk refreshes the marks on
		// its way: they are answered from marks taken before the change.
		w := want()
		for _, off := range []int{49, 35, 21, 8} {
			var page []store.User
			err := s.View(ctx, func(tx store.Tx) (err error) {
				page, _, err = tx.ListUsers(ctx, org.ID, store.Query{Page: store.Page{Offset: off, Limit: 7}})
				return err
			})
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, u := range page {
				got = append(got, u.ID)
			}
			if exp := w[min(off, len(w)):min(off+7, len(w))]; !slices.Equal(got, exp) {
				t.Errorf("%s: page at offset %d = %v, want %v", step, off, got, exp)
			}
		}
		var got []string
		for off := 0; ; off += 7 {
			var page []store.User
			var total int
			err := s.View(ctx, func(tx store.Tx) (err error) {
				page, total, err = tx.ListUsers(ctx, org.ID, store.Query{Page: store.Page{Offset: off, Limit: 7}})
				return err
			})
			if err != nil {
				t.Fatal(err)
			}
			if w := len(want()); total != w {
				t.Errorf("%s: total at offset %d = %d, want %d", step, off, total, w)
			}
			for _, u := range page {
				got = append(got, u.ID)
			}
			if len(page) < 7 {
				break
			}
		}
		if w := want(); !slices.Equal(got, w) {
			t.Errorf("%s: walk = %d users, want %d (%v vs %v)", step, len(got), len(w), got, w)
		}
	}
	raw := func(q string, args ...any) {
		t.Helper()
		if _, err := s.w.ExecContext(ctx, q, args...); err != nil {
			t.Fatal(err)
		}
	}
	walk("first walk")
	walk("second walk (from marks)")
	if m := s.seek.keys[seekKey{org.ID, "user"}]; m == nil || len(m.offs) < 8 {
		t.Fatalf("no marks after two walks: %+v", m)
	}
	if err := s.Update(ctx, func(tx store.Tx) error { return tx.DeleteUser(ctx, org.ID, ids[3], 0) }); err != nil {
		t.Fatal(err)
	}
	walk("after a delete near the start")
	walk("again")
	if err := s.Update(ctx, func(tx store.Tx) error {
		_, err := tx.CreateUser(ctx, store.User{OrgID: org.ID, UserName: "appended", Active: true})
		return err
	}); err != nil {
		t.Fatal(err)
	}
	walk("after an append")
	raw("UPDATE users SET deleted_at = NULL WHERE id = $1", ids[3])
	walk("after a restore")
	raw("UPDATE users SET org_id = $1 WHERE id = $2", other.ID, ids[10])
	walk("after moving a user out")
	raw("UPDATE users SET org_id = $1 WHERE id = $2", org.ID, ids[10])
	walk("after moving it back")
	raw("DELETE FROM user_emails WHERE user_id = $1", ids[20])
	raw("DELETE FROM users WHERE id = $1", ids[20])
	walk("after a hard delete")
	// A write transaction that lists (and so could mark) and then rolls back.
	errBack := errors.New("roll back")
	err = s.Update(ctx, func(tx store.Tx) error {
		for _, id := range ids[30:40] {
			if err := tx.DeleteUser(ctx, org.ID, id, 0); err != nil {
				return err
			}
		}
		if _, _, err := tx.ListUsers(ctx, org.ID, store.Query{Page: store.Page{Offset: 28, Limit: 7}}); err != nil {
			return err
		}
		return errBack
	})
	if !errors.Is(err, errBack) {
		t.Fatal(err)
	}
	walk("after a rolled-back delete of ten")
	// Ten committed deletes bring gen to the value the rolled-back transaction saw: a mark it
	// had recorded would now be taken for true.
	for _, id := range ids[45:55] {
		if err := s.Update(ctx, func(tx store.Tx) error { return tx.DeleteUser(ctx, org.ID, id, 0) }); err != nil {
			t.Fatal(err)
		}
	}
	walk("after ten committed deletes")
}
