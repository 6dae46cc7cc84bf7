package storetest

import (
	"errors"
	"testing"

	"github.com/rolecall/rolecall/internal/store"
)

func init() {
	register(test{"UnicodeFolding", testUnicodeFolding})
}

// testUnicodeFolding: case-insensitive uniqueness and lookups use one folding on every
// backend — Unicode canonical caseless matching (NFC/NFD-insensitive, full case folding) —
// so look-alike names cannot coexist and lookups agree with the in-memory filter
// evaluation (issue 14 item 5).
func testUnicodeFolding(t *testing.T, s store.Store) {
	o := newOrg(t, s, "unicode")
	create := func(name string) error {
		return s.Update(bg, func(tx store.Tx) error {
			_, err := tx.CreateUser(bg, store.User{OrgID: o.ID, UserName: name, Active: true,
				Emails: []store.Email{{Value: name + "@example.com"}}})
			return err
		})
	}
	for _, c := range []struct {
		first, second string
		conflict      bool
	}{
		{"josé", "jose\u0301", true}, // composed, then decomposed
		{"JOSE\u0301", "josé", true}, // and the other way, differently cased
		{"σοφία", "ΣΟΦΊΑ", true},     // Greek, with tonos
		{"lukas", "lukaς", false},
		{"nikoς", "NIKOΣ", true},        // final sigma and capital sigma       // (distinct names)
		{"straße", "STRASSE", true},     // full folding: ß is ss
		{"info", "İnfo", false},         // İ is i + combining dot above, not i
		{"\u212aelvin", "kelvin", true}, // Kelvin sign
	} {
		err1 := create(c.first)
		err2 := create(c.second)
		if err1 != nil && !errors.Is(err1, store.ErrConflict) {
			t.Fatalf("create %q: %v", c.first, err1)
		}
		if c.conflict && !errors.Is(err2, store.ErrConflict) {
			t.Errorf("%q after %q: %v, want ErrConflict", c.second, c.first, err2)
		}
		if !c.conflict && err2 != nil {
			t.Errorf("%q after %q: %v, want created", c.second, c.first, err2)
		}
	}
	view(t, s, func(tx store.Tx) error {
		for lookup, want := range map[string]string{"JOSÉ": "josé", "jose\u0301": "josé", "ΣΟΦΙ\u0301Α": "σοφία", "Strasse": "straße", "KELVIN": "\u212aelvin"} {
			u, err := tx.UserByUserName(bg, o.ID, lookup)
			if err != nil || u.UserName != want {
				t.Errorf("UserByUserName(%q) = %q, %v; want %q", lookup, u.UserName, err, want)
			}
		}
		for value, want := range map[string]int{"LUKAΣ@EXAMPLE.COM": 1, "josé@example.com": 1, "i̇nfo@example.com": 1, "STRASSE@example.com": 1} {
			us, _, err := tx.ListUsers(bg, o.ID, store.Query{Filter: &store.Cond{Op: store.CondEq, Field: store.FieldEmail, Value: value},
				Page: store.Page{Limit: 10}})
			must(t, "ListUsers", err)
			if len(us) != want {
				t.Errorf("emails.value eq %q: %d users %v, want %d", value, len(us), userNames(us), want)
			}
		}
		return nil
	})
	g := newGroup(t, s, o.ID, "Straße")
	err := s.Update(bg, func(tx store.Tx) error {
		_, err := tx.CreateGroup(bg, store.Group{OrgID: o.ID, DisplayName: "STRASSE", Active: true})
		return err
	})
	wantErr(t, "group STRASSE after Straße", err, store.ErrConflict)
	view(t, s, func(tx store.Tx) error {
		got, err := tx.GroupByName(bg, o.ID, "strasse")
		if err != nil || got.ID != g.ID {
			t.Errorf("GroupByName(strasse) = %v, %v", got.DisplayName, err)
		}
		return nil
	})
}
