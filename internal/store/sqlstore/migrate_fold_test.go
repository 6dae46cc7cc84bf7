package sqlstore

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rolecall/rolecall/internal/store"
)

// TestRefoldOnUpgrade: a database written under the old folding (strings.ToLower) gets its
// keys recomputed by migration 0005, so names and emails are found under the new folding;
// rows that became look-alikes keep working instead of failing the upgrade.
func TestRefoldOnUpgrade(t *testing.T) {
	t.Run("sqlite", func(t *testing.T) {
		testRefoldOnUpgrade(t, "sqlite:"+filepath.Join(t.TempDir(), "m.db"))
	})
	t.Run("postgres", func(t *testing.T) {
		testRefoldOnUpgrade(t, pgSchemaDSN(t))
	})
}

func testRefoldOnUpgrade(t *testing.T, dsn string) {
	ctx := context.Background()
	open := func() *Store {
		st, err := Open(ctx, dsn)
		if err != nil {
			t.Fatal(err)
		}
		return st.(*Store)
	}
	s := open()
	var org store.Org
	var straße, josé, lookAlike, team store.User
	err := s.Update(ctx, func(tx store.Tx) error {
		var err error
		if org, err = tx.CreateOrg(ctx, "upgrade"); err != nil {
			return err
		}
		if straße, err = tx.CreateUser(ctx, store.User{OrgID: org.ID, UserName: "Straße", Emails: []store.Email{{Value: "ΣΑΣ@example.com"}}}); err != nil {
			return err
		}
		if josé, err = tx.CreateUser(ctx, store.User{OrgID: org.ID, UserName: "josé"}); err != nil {
			return err
		}
		if lookAlike, err = tx.CreateUser(ctx, store.User{OrgID: org.ID, UserName: "placeholder"}); err != nil {
			return err
		}
		g, err := tx.CreateGroup(ctx, store.Group{OrgID: org.ID, DisplayName: "Größe"})
		team.ID = g.ID
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	// Back to what the old folding wrote, plus a decomposed "josé" it let in beside the
	// composed one; and 0005 not yet applied.
	for _, c := range foldedCols {
		if _, err := s.w.ExecContext(ctx, "UPDATE "+c.table+" SET "+c.dst+" = lower("+c.src+")"); err != nil {
			t.Fatal(err)
		}
	}
	for _, q := range []struct {
		sql  string
		args []any
	}{
		{"UPDATE users SET user_name = $1, user_name_lower = $1 WHERE id = $2", []any{"jose\u0301", lookAlike.ID}},
		{"UPDATE users SET user_name_lower = $1 WHERE id = $2", []any{strings.ToLower("Straße"), straße.ID}},
		{"UPDATE user_emails SET value_lower = $1", []any{strings.ToLower("ΣΑΣ@example.com")}},
		{"UPDATE groups SET display_name_lower = $1", []any{strings.ToLower("Größe")}},
		{"UPDATE users SET user_name_lower = $1 WHERE id = $2", []any{strings.ToLower("josé"), josé.ID}},
		{"DELETE FROM schema_migrations WHERE version = 5", nil},
	} {
		if _, err := s.w.ExecContext(ctx, q.sql, q.args...); err != nil {
			t.Fatalf("%s: %v", q.sql, err)
		}
	}
	lookups := func(s *Store) (found int) {
		err := s.View(ctx, func(tx store.Tx) error {
			if u, err := tx.UserByUserName(ctx, org.ID, "STRASSE"); err == nil && u.ID == straße.ID {
				found++
			}
			if u, err := tx.UserByUserName(ctx, org.ID, "JOSE\u0301"); err == nil && u.ID == josé.ID {
				found++
			}
			if g, err := tx.GroupByName(ctx, org.ID, "GRÖSSE"); err == nil && g.ID == team.ID {
				found++
			}
			us, _, err := tx.ListUsers(ctx, org.ID, store.Query{Filter: &store.Cond{Op: store.CondEq, Field: store.FieldEmail, Value: "σας@EXAMPLE.COM"}, Page: store.Page{Limit: 5}})
			if err == nil && len(us) == 1 && us[0].ID == straße.ID {
				found++
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		return found
	}
	if n := lookups(s); n == 4 {
		t.Fatalf("old keys already match the new folding: the test sets nothing up")
	}
	s.Close()

	s = open()
	defer s.Close()
	if n := lookups(s); n != 4 {
		t.Errorf("after the upgrade %d of 4 lookups under the new folding succeed", n)
	}
	err = s.View(ctx, func(tx store.Tx) error {
		u, err := tx.User(ctx, org.ID, lookAlike.ID)
		if err != nil || u.UserName != "jose\u0301" {
			t.Errorf("the look-alike user: %q, %v", u.UserName, err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	var applied int
	if err := s.r.QueryRowContext(ctx, "SELECT count(*) FROM schema_migrations WHERE version = 5").Scan(&applied); err != nil || applied != 1 {
		t.Errorf("migration 5 recorded %d times (%v)", applied, err)
	}
}
