package sqlstore_test

import (
	"context"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/rolecall/rolecall/internal/scim/fold"
	"github.com/rolecall/rolecall/internal/store"
	"github.com/rolecall/rolecall/internal/store/sqlstore/sqltest"
)

// fuzzNames are userNames chosen to trip LIKE-style escaping, quoting and case folding.
var fuzzNames = []string{"alice", "a%b", "a_b", `a\b`, "x'y", `q"r`, "ÄÖü", "äöÜ-2", "100%", "_", "%", "Zed", "zz"}

// FuzzTextFilter checks the SQL translation of every text operator against the same
// comparison done in Go, for any value: no input may error, escape, or match differently.
func FuzzTextFilter(f *testing.F) {
	for _, v := range []string{"", "a", "%", "_", `\`, "'", "a%", "%b", "ä", "Ä", "ö-", "'; DROP TABLE users; --", "100", "z"} {
		for op := 0; op < 8; op++ {
			f.Add(uint8(op), v)
		}
	}
	s := sqltest.Open(f, sqltest.SQLiteDSN(f))
	ctx := context.Background()
	var org store.Org
	if err := s.Update(ctx, func(tx store.Tx) error {
		var err error
		if org, err = tx.CreateOrg(ctx, "fuzz"); err != nil {
			return err
		}
		for _, n := range fuzzNames {
			if _, err := tx.CreateUser(ctx, store.User{OrgID: org.ID, UserName: n}); err != nil {
				return err
			}
		}
		return nil
	}); err != nil {
		f.Fatal(err)
	}
	ops := []store.CondOp{store.CondEq, store.CondNe, store.CondCo, store.CondSw, store.CondEw, store.CondGt, store.CondLt, store.CondGe}
	f.Fuzz(func(t *testing.T, opIdx uint8, v string) {
		if !utf8.ValidString(v) || strings.ContainsRune(v, 0) {
			t.Skip()
		}
		op := ops[int(opIdx)%len(ops)]
		fv := fold.Key(v)
		var want []string
		for _, n := range fuzzNames {
			fn := fold.Key(n)
			var ok bool
			switch op {
			case store.CondEq:
				ok = fn == fv
			case store.CondNe:
				ok = fn != fv
			case store.CondCo:
				ok = strings.Contains(fn, fv)
			case store.CondSw:
				ok = strings.HasPrefix(fn, fv)
			case store.CondEw:
				ok = strings.HasSuffix(fn, fv)
			case store.CondGt:
				ok = fn > fv
			case store.CondLt:
				ok = fn < fv
			case store.CondGe:
				ok = fn >= fv
			}
			if ok {
				want = append(want, n)
			}
		}
		c := store.Cond{Op: op, Field: store.FieldUserName, Value: v}
		var got []string
		err := s.View(ctx, func(tx store.Tx) error {
			us, _, err := tx.ListUsers(ctx, org.ID, store.Query{Filter: &c, Page: store.Page{Limit: 100}})
			for _, u := range us {
				got = append(got, u.UserName)
			}
			return err
		})
		if err != nil {
			t.Fatalf("op %d value %q: %v", op, v, err)
		}
		if !slices.Equal(got, want) {
			t.Fatalf("op %d value %q: got %q, want %q", op, v, got, want)
		}
	})
}
