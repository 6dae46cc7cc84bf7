package sqlstore

import (
	"context"
	"maps"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rolecall/rolecall/internal/store"
)

// SQLite keeps live_counts by triggers (migrations/sqlite/0002_live_rows.sql) and answers an
// unfiltered list's total from it. storetest checks the totals through the Store API; these
// tests check the table itself against count(*) after writes the API never makes (hard
// deletes, org moves, bulk statements) and after the migration meets existing data.

// liveCounts returns live_counts and the same numbers counted from the tables, both keyed
// "org/kind" and without zero entries.
func liveCounts(t *testing.T, s *Store) (kept, counted map[string]int) {
	t.Helper()
	read := func(q string) map[string]int {
		rows, err := s.w.QueryContext(context.Background(), q)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		out := map[string]int{}
		for rows.Next() {
			var org, kind string
			var n int
			if err := rows.Scan(&org, &kind, &n); err != nil {
				t.Fatal(err)
			}
			if n != 0 {
				out[org+"/"+kind] = n
			}
		}
		if err := rows.Err(); err != nil {
			t.Fatal(err)
		}
		return out
	}
	kept = read("SELECT org_id, kind, n FROM live_counts")
	counted = read(`SELECT org_id, 'user', count(*) FROM users WHERE deleted_at IS NULL GROUP BY org_id
		UNION ALL SELECT org_id, 'group', count(*) FROM groups WHERE deleted_at IS NULL GROUP BY org_id`)
	return kept, counted
}

func wantCountsAgree(t *testing.T, s *Store, step string) {
	t.Helper()
	kept, counted := liveCounts(t, s)
	if !maps.Equal(kept, counted) {
		t.Errorf("%s: live_counts = %v, counted = %v", step, kept, counted)
	}
	if len(counted) == 0 {
		t.Errorf("%s: nothing live: the step tests nothing", step)
	}
}

func TestLiveCountsTriggers(t *testing.T) {
	ctx := context.Background()
	s := openForPlans(t, "sqlite:"+filepath.Join(t.TempDir(), "live.db"))
	var a, b store.Org
	err := s.Update(ctx, func(tx store.Tx) (err error) {
		if a, err = tx.CreateOrg(ctx, "a"); err != nil {
			return err
		}
		if b, err = tx.CreateOrg(ctx, "b"); err != nil {
			return err
		}
		for _, name := range []string{"g1", "g2", "g3"} {
			if _, err := tx.CreateGroup(ctx, store.Group{OrgID: a.ID, DisplayName: name}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	bulkUsers(t, s, a.ID, 500)
	wantCountsAgree(t, s, "bulk insert")
	for _, step := range []struct{ name, sql string }{
		{"bulk soft delete", "UPDATE users SET deleted_at = 1 WHERE seq % 7 = 0"},
		{"soft delete again (no change)", "UPDATE users SET deleted_at = 2 WHERE seq % 7 = 0"},
		{"restore", "UPDATE users SET deleted_at = NULL WHERE seq % 14 = 0"},
		{"update of other columns", "UPDATE users SET display_name = 'x', active = 0 WHERE seq % 3 = 0"},
		{"move live and deleted users to another org", "UPDATE users SET org_id = '" + b.ID + "' WHERE seq % 5 = 0"},
		{"move and delete in one statement", "UPDATE users SET org_id = '" + a.ID + "', deleted_at = 3 WHERE seq % 10 = 0"},
		{"hard delete emails", "DELETE FROM user_emails WHERE user_id IN (SELECT id FROM users WHERE seq % 11 = 0)"},
		{"hard delete live and deleted users", "DELETE FROM users WHERE seq % 11 = 0"},
		{"delete a group", "UPDATE groups SET deleted_at = 1 WHERE display_name = 'g2'"},
		{"move a group", "UPDATE groups SET org_id = '" + b.ID + "' WHERE display_name = 'g3'"},
		{"hard delete a deleted group", "DELETE FROM groups WHERE display_name = 'g2'"},
		{"hard delete a live group", "DELETE FROM groups WHERE display_name = 'g1'"},
	} {
		if _, err := s.w.ExecContext(ctx, step.sql); err != nil {
			t.Fatalf("%s: %v", step.name, err)
		}
		wantCountsAgree(t, s, step.name)
	}
	// A statement that fails part-way changes no count.
	before, _ := liveCounts(t, s)
	if _, err := s.w.ExecContext(ctx, "UPDATE users SET deleted_at = 9, user_name = CASE WHEN seq = 400 THEN NULL ELSE user_name END"); err == nil {
		t.Fatal("an update violating NOT NULL succeeded")
	}
	if after, _ := liveCounts(t, s); !maps.Equal(before, after) {
		t.Errorf("failed statement: live_counts %v, before %v", after, before)
	}
}

// TestLiveCountsMigrationCountsExistingRows undoes 0002 on a database with data, then lets
// Open apply it again: the counts it starts from must be those of the rows already there.
func TestLiveCountsMigrationCountsExistingRows(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "old.db")
	s := openForPlans(t, "sqlite:"+path)
	var org store.Org
	err := s.Update(ctx, func(tx store.Tx) (err error) {
		if org, err = tx.CreateOrg(ctx, "old"); err != nil {
			return err
		}
		g, err := tx.CreateGroup(ctx, store.Group{OrgID: org.ID, DisplayName: "gone"})
		if err != nil {
			return err
		}
		if _, err := tx.CreateGroup(ctx, store.Group{OrgID: org.ID, DisplayName: "kept"}); err != nil {
			return err
		}
		return tx.DeleteGroup(ctx, org.ID, g.ID, 0)
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.w.ExecContext(ctx, `DROP TABLE live_counts;
		DROP TRIGGER users_live_insert; DROP TRIGGER users_live_leave; DROP TRIGGER users_live_enter; DROP TRIGGER users_live_delete;
		DROP TRIGGER groups_live_insert; DROP TRIGGER groups_live_leave; DROP TRIGGER groups_live_enter; DROP TRIGGER groups_live_delete;
		DROP INDEX users_live_org_seq; DROP INDEX groups_live_org_seq;
		DELETE FROM schema_migrations WHERE version = 2`); err != nil {
		t.Fatal(err)
	}
	bulkUsers(t, s, org.ID, 300)
	if _, err := s.w.ExecContext(ctx, "UPDATE users SET deleted_at = 1 WHERE seq % 4 = 0"); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s = openForPlans(t, "sqlite:"+path)
	wantCountsAgree(t, s, "migrated")
	kept, _ := liveCounts(t, s)
	if kept[org.ID+"/user"] != 225 || kept[org.ID+"/group"] != 1 {
		t.Errorf("live_counts = %v, want 225 users and 1 group", kept)
	}
	err = s.View(ctx, func(tx store.Tx) error {
		_, total, err := tx.ListUsers(ctx, org.ID, store.Query{})
		if err == nil && total != 225 {
			t.Errorf("ListUsers total = %d, want 225", total)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestLiveListPlans checks the plans of an unfiltered list (Okta's startIndex walk) on an
// org of 20,000 users: the page walks the live-row index (the OFFSET skip reads no table
// row) and, on SQLite, the total is live_counts. PostgreSQL plans from statistics and may
// rightly walk the primary key (insertion order) and filter by org when it expects the org's
// rows to be spread through the table; there the database also holds a larger org, as a
// shared server's does, and the check is that neither the page nor the count scans the whole
// table and that the count reads the org's live-row index.
func TestLiveListPlans(t *testing.T) { forPlanBackends(t, checkLiveListPlans) }

func checkLiveListPlans(t *testing.T, s *Store) {
	ctx := context.Background()
	var org store.Org
	err := s.Update(ctx, func(tx store.Tx) (err error) { org, err = tx.CreateOrg(ctx, "plans"); return err })
	if err != nil {
		t.Fatal(err)
	}
	if s.d.name == dialectPostgres {
		var other store.Org
		err := s.Update(ctx, func(tx store.Tx) (err error) { other, err = tx.CreateOrg(ctx, "other"); return err })
		if err != nil {
			t.Fatal(err)
		}
		bulkUsers(t, s, other.ID, 80000)
	}
	bulkUsers(t, s, org.ID, 20000)
	if s.d.name == dialectPostgres {
		if _, err := s.w.ExecContext(ctx, "VACUUM ANALYZE users"); err != nil {
			t.Fatal(err)
		}
	}
	for _, e := range []*entity{usersEntity, groupsEntity} {
		sel, selArgs, count, countArgs, _, err := listSQL(s.d, e, org.ID, "*", store.Query{Page: store.Page{Offset: 10000, Limit: 100}})
		if err != nil {
			t.Fatal(err)
		}
		index := map[string]string{"u": "users", "g": "groups"}[e.alias] + "_live_org_seq"
		wantCount := index
		if s.d.name == dialectSQLite {
			wantCount = "live_counts"
		}
		for _, c := range []struct{ name, q, want string }{{"page", sel, index}, {"count", count, wantCount}} {
			args := selArgs
			if c.name == "count" {
				args = countArgs
			}
			plan := explain(t, s, c.q, args)
			if s.d.name == dialectPostgres {
				if strings.Contains(plan, "Seq Scan") || (c.name == "count" && !strings.Contains(plan, index)) {
					t.Errorf("%s list %s: plan scans the table or misses %s:\n%s\n%s", e.name, c.name, index, c.q, plan)
				}
				continue
			}
			if !strings.Contains(plan, c.want) || strings.Contains(plan, "Seq Scan") || strings.Contains(plan, "SCAN "+e.alias) {
				t.Errorf("%s list %s: plan does not use %s:\n%s\n%s", e.name, c.name, c.want, c.q, plan)
			} else {
				t.Logf("%s list %s:\n%s", e.name, c.name, plan)
			}
		}
	}
}
