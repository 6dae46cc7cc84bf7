package sqlstore_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"

	"pgregory.net/rapid"

	"github.com/rolecall/rolecall/internal/scim"
	"github.com/rolecall/rolecall/internal/scim/filter"
	"github.com/rolecall/rolecall/internal/scim/fold"
	"github.com/rolecall/rolecall/internal/store"
	"github.com/rolecall/rolecall/internal/store/sqlstore/sqltest"
)

// foldAlphabet mixes ASCII with the runes on which a lower-casing database and an EqualFold
// evaluator disagreed (issue 14 item 5): dotted and dotless i, the sigmas, sharp s,
// precomposed and combining accents, the Kelvin sign, ligatures and title-case digraphs.
var foldAlphabet = []rune("aAiIsSkKeEoO@.- İıσςΣßẞéÉ\u0301\u0307\u212aﬁǅǄǆ")

func foldString(min int) *rapid.Generator[string] {
	return rapid.Custom(func(t *rapid.T) string {
		n := rapid.IntRange(min, 6).Draw(t, "len")
		var b strings.Builder
		for range n {
			b.WriteRune(rapid.SampledFrom(foldAlphabet).Draw(t, "rune"))
		}
		return b.String()
	})
}

var foldOps = map[string]store.CondOp{
	"eq": store.CondEq, "ne": store.CondNe, "co": store.CondCo, "sw": store.CondSw, "ew": store.CondEw,
	"gt": store.CondGt, "ge": store.CondGe, "lt": store.CondLt, "le": store.CondLe,
}

// TestFoldSQLMatchesMemory: for random strings, a case-insensitive filter (userName,
// displayName, emails.value; every text operator) selects exactly the same users whether
// the database evaluates it or the in-memory evaluator (scim.Filter) does, and a userName
// is taken exactly when its folded key is. On SQLite, and on PostgreSQL when
// ROLECALL_TEST_POSTGRES is set.
func TestFoldSQLMatchesMemory(t *testing.T) {
	backends := map[string]func(*testing.T) store.Store{"sqlite": openSQLite}
	if os.Getenv(sqltest.EnvPostgres) != "" {
		backends["postgres"] = openPostgres
	}
	for name, open := range backends {
		t.Run(name, func(t *testing.T) {
			s := open(t)
			ctx := context.Background()
			n := 0
			rapid.Check(t, func(rt *rapid.T) {
				n++
				checkFoldAgreement(ctx, rt, s, fmt.Sprintf("org%d", n))
			})
		})
	}
}

func checkFoldAgreement(ctx context.Context, rt *rapid.T, s store.Store, orgName string) {
	var org store.Org
	if err := s.Update(ctx, func(tx store.Tx) error {
		var err error
		org, err = tx.CreateOrg(ctx, orgName)
		return err
	}); err != nil {
		rt.Fatal(err)
	}
	type row struct {
		u   store.User
		doc map[string]any
	}
	var rows []row
	taken := map[string]bool{}
	for _, name := range rapid.SliceOfN(foldString(1), 1, 6).Draw(rt, "userNames") {
		u := store.User{OrgID: org.ID, UserName: name, DisplayName: foldString(1).Draw(rt, "displayName"),
			Emails: []store.Email{{Value: foldString(1).Draw(rt, "email")}}}
		err := s.Update(ctx, func(tx store.Tx) error {
			var err error
			u, err = tx.CreateUser(ctx, u)
			return err
		})
		key := fold.Key(name)
		switch {
		case err == nil && taken[key]:
			rt.Fatalf("userName %q created though its key %q is taken", name, key)
		case errors.Is(err, store.ErrConflict) && !taken[key]:
			rt.Fatalf("userName %q refused as taken, but no user has key %q", name, key)
		case errors.Is(err, store.ErrConflict):
			continue
		case err != nil:
			rt.Fatal(err)
		}
		taken[key] = true
		rows = append(rows, row{u, map[string]any{"userName": u.UserName, "displayName": u.DisplayName,
			"emails": []any{map[string]any{"value": u.Emails[0].Value}}}})
	}

	attr := rapid.SampledFrom([]string{"userName", "displayName", "emails.value"}).Draw(rt, "attr")
	opName := rapid.SampledFrom([]string{"eq", "ne", "co", "sw", "ew", "gt", "ge", "lt", "le"}).Draw(rt, "op")
	// A value drawn from the stored ones, re-cased or not, makes eq matches likely.
	v := foldString(1).Draw(rt, "value")
	if len(rows) > 0 && rapid.Bool().Draw(rt, "reuse") {
		r := rows[rapid.IntRange(0, len(rows)-1).Draw(rt, "row")]
		v = rapid.SampledFrom([]string{r.u.UserName, strings.ToUpper(r.u.UserName), r.u.DisplayName, r.u.Emails[0].Value}).Draw(rt, "stored")
	}
	lit, _ := json.Marshal(v)
	expr, err := filter.Parse(attr + " " + opName + " " + string(lit))
	if err != nil {
		rt.Fatalf("parse: %v", err)
	}
	f, err := scim.CompileFilter(scim.UserResourceType, expr)
	if err != nil {
		rt.Fatalf("compile: %v", err)
	}
	var want []string
	for _, r := range rows {
		if f.Match(r.doc) {
			want = append(want, r.u.ID)
		}
	}
	c := store.Cond{Op: foldOps[opName], Field: store.Field(attr), Value: v}
	var got []string
	if err := s.View(ctx, func(tx store.Tx) error {
		us, _, err := tx.ListUsers(ctx, org.ID, store.Query{Filter: &c, Page: store.Page{Limit: 100}})
		for _, u := range us {
			got = append(got, u.ID)
		}
		return err
	}); err != nil {
		rt.Fatal(err)
	}
	slices.Sort(got)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		var stored []string
		for _, r := range rows {
			stored = append(stored, fmt.Sprintf("%q/%q/%q", r.u.UserName, r.u.DisplayName, r.u.Emails[0].Value))
		}
		rt.Fatalf("%s %s %q: SQL selected %d users, memory %d (users %v)", attr, opName, v, len(got), len(want), stored)
	}
}
