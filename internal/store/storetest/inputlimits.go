package storetest

import (
	"fmt"
	"testing"

	"github.com/rolecall/rolecall/internal/store"
)

func init() {
	register(
		test{"ManyEmails", testManyEmails},
		test{"NULRefused", testNULRefused},
	)
}

// testManyEmails: a user may hold more emails than one statement can carry parameters
// (SQLite stops at 32,766, PostgreSQL at 65,535; 7 per email): creating, updating and
// reading such a user works on both backends alike (issue 14 item 4).
func testManyEmails(t *testing.T, s store.Store) {
	o := newOrg(t, s, "many")
	const n = 10000
	emails := make([]store.Email, n)
	for i := range emails {
		emails[i] = store.Email{Value: fmt.Sprintf("e%05d@example.com", i), Type: "work"}
	}
	u := newUser(t, s, o.ID, "hoarder", func(u *store.User) { u.Emails = emails })
	check := func(what string, want int, last string) {
		t.Helper()
		view(t, s, func(tx store.Tx) error {
			got, err := tx.User(bg, o.ID, u.ID)
			must(t, "User", err)
			if len(got.Emails) != want || got.Emails[want-1].Value != last {
				t.Errorf("%s: %d emails, want %d ending in %s", what, len(got.Emails), want, last)
			}
			found, _, err := tx.ListUsers(bg, o.ID, store.Query{Filter: &store.Cond{Op: store.CondEq, Field: store.FieldEmail, Value: last},
				Page: store.Page{Limit: 10}})
			must(t, "ListUsers", err)
			if len(found) != 1 {
				t.Errorf("%s: emails.value eq %s found %d users, want 1", what, last, len(found))
			}
			return nil
		})
	}
	check("after create", n, emails[n-1].Value)
	more := append(emails[:n:n], store.Email{Value: "extra@example.com"})
	update(t, s, func(tx store.Tx) error {
		cur, err := tx.User(bg, o.ID, u.ID)
		if err != nil {
			return err
		}
		cur.Emails = more
		_, err = tx.UpdateUser(bg, cur, 0)
		return err
	})
	check("after update", n+1, "extra@example.com")
}

// testNULRefused: a NUL character cannot be stored by PostgreSQL in text and was stored by
// SQLite; both backends refuse it alike, with ErrInvalid, in every text the caller passes
// (issue 14 item 4). Nothing is written.
func testNULRefused(t *testing.T, s store.Store) {
	o := newOrg(t, s, "nul")
	u := newUser(t, s, o.ID, "plain")
	g := newGroup(t, s, o.ID, "plain group")
	cases := []struct {
		what string
		fn   func(tx store.Tx) error
	}{
		{"CreateUser userName", func(tx store.Tx) error {
			_, err := tx.CreateUser(bg, store.User{OrgID: o.ID, UserName: "a\x00b"})
			return err
		}},
		{"CreateUser email", func(tx store.Tx) error {
			_, err := tx.CreateUser(bg, store.User{OrgID: o.ID, UserName: "ok", Emails: []store.Email{{Value: "x\x00@example.com"}}})
			return err
		}},
		{"UpdateUser externalId", func(tx store.Tx) error {
			cur := u
			cur.ExternalID = "\x00"
			_, err := tx.UpdateUser(bg, cur, 0)
			return err
		}},
		{"UpdateGroup displayName", func(tx store.Tx) error {
			cur := g
			cur.DisplayName = "team\x00"
			_, err := tx.UpdateGroup(bg, cur, 0)
			return err
		}},
		{"CreateGroup displayName", func(tx store.Tx) error {
			_, err := tx.CreateGroup(bg, store.Group{OrgID: o.ID, DisplayName: "\x00"})
			return err
		}},
		{"UserByUserName", func(tx store.Tx) error {
			_, err := tx.UserByUserName(bg, o.ID, "plain\x00")
			return err
		}},
	}
	for _, c := range cases {
		err := s.Update(bg, c.fn)
		wantErr(t, c.what+" with a NUL", err, store.ErrInvalid)
	}
	view(t, s, func(tx store.Tx) error {
		_, total, err := tx.ListUsers(bg, o.ID, store.Query{Page: store.Page{Limit: 10}})
		must(t, "ListUsers", err)
		if total != 1 {
			t.Errorf("%d users after refused writes, want 1", total)
		}
		got, err := tx.User(bg, o.ID, u.ID)
		must(t, "User", err)
		if got.Version != u.Version {
			t.Errorf("user moved to version %d", got.Version)
		}
		return nil
	})
}
