package sqlstore

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rolecall/rolecall/internal/store"
)

// bulkUsers inserts n users (user000000…) and as many emails into org with one statement
// each, bypassing the Store API (fixtures for plans and benchmarks).
func bulkUsers(t testing.TB, s *Store, orgID string, n int) {
	t.Helper()
	ctx := context.Background()
	var stmts []string
	if s.d.name == dialectSQLite {
		gen := fmt.Sprintf("WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM c WHERE i < %d) ", n)
		stmts = []string{
			gen + `INSERT INTO users (id, org_id, user_name, user_name_lower, external_id, active, version, created, last_modified)
				SELECT $1 || '-' || i, $1, printf('User%06d', i), printf('user%06d', i), 'ext-' || i, 1, 1, 0, 0 FROM c`,
			gen + `INSERT INTO user_emails (org_id, user_id, pos, value, value_lower) SELECT $1, $1 || '-' || i, 0,
				printf('user%06d@example.com', i), printf('user%06d@example.com', i) FROM c`,
		}
	} else {
		gen := fmt.Sprintf(" FROM generate_series(1, %d) AS i", n)
		stmts = []string{
			`INSERT INTO users (id, org_id, user_name, user_name_lower, external_id, active, version, created, last_modified)
				SELECT $1 || '-' || i, $1, 'User' || lpad(i::text, 6, '0'), 'user' || lpad(i::text, 6, '0'), 'ext-' || i,
				TRUE, 1, now(), now()` + gen,
			`INSERT INTO user_emails (org_id, user_id, pos, value, value_lower) SELECT $1, $1 || '-' || i, 0,
				'user' || lpad(i::text, 6, '0') || '@example.com', 'user' || lpad(i::text, 6, '0') || '@example.com'` + gen,
		}
	}
	for _, q := range stmts {
		if _, err := s.w.ExecContext(ctx, q, orgID); err != nil {
			t.Fatalf("bulk insert: %v", err)
		}
	}
}

// explain returns the plan of q as one string.
func explain(t *testing.T, s *Store, q string, args []any) string {
	t.Helper()
	prefix := "EXPLAIN "
	if s.d.name == dialectSQLite {
		prefix = "EXPLAIN QUERY PLAN "
	}
	rows, err := s.r.QueryContext(context.Background(), prefix+q, args...)
	if err != nil {
		t.Fatalf("explain %s: %v", q, err)
	}
	defer rows.Close()
	cols, _ := rows.Columns()
	var b strings.Builder
	for rows.Next() {
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			t.Fatal(err)
		}
		fmt.Fprintln(&b, vals[len(vals)-1])
	}
	return b.String()
}

func openForPlans(t *testing.T, dsn string) *Store {
	t.Helper()
	st, err := Open(context.Background(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st.(*Store)
}

// TestQueryPlans checks that the lookups IdPs and SCIM PATCH depend on are index lookups on
// an org of 20,000 users, with no statistics gathered (the worst case: right after a bulk
// load).
func TestQueryPlans(t *testing.T) { forPlanBackends(t, checkPlans) }

// forPlanBackends runs check on a fresh SQLite store and, when ROLECALL_TEST_POSTGRES is set,
// a fresh PostgreSQL schema.
func forPlanBackends(t *testing.T, check func(*testing.T, *Store)) {
	t.Run("sqlite", func(t *testing.T) {
		check(t, openForPlans(t, "sqlite:"+filepath.Join(t.TempDir(), "plans.db")))
	})
	t.Run("postgres", func(t *testing.T) {
		check(t, openForPlans(t, pgSchemaDSN(t)))
	})
}

func checkPlans(t *testing.T, s *Store) {
	ctx := context.Background()
	var org store.Org
	var g store.Group
	err := s.Update(ctx, func(tx store.Tx) error {
		var err error
		if org, err = tx.CreateOrg(ctx, "plans"); err != nil {
			return err
		}
		g, err = tx.CreateGroup(ctx, store.Group{OrgID: org.ID, DisplayName: "g"})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	bulkUsers(t, s, org.ID, 20000)
	if s.d.name == dialectPostgres {
		// PostgreSQL plans from statistics, which autovacuum gathers shortly after a bulk
		// load; without them it takes every table for tiny. SQLite is checked without any
		// (its migration seeds sqlite_stat1 instead).
		if _, err := s.w.ExecContext(ctx, "ANALYZE"); err != nil {
			t.Fatal(err)
		}
	}

	list := func(e *entity, c store.Cond) (string, []any, string, []any) {
		sel, sa, count, ca, _, err := listSQL(s.d, e, org.ID, "*", store.Query{Filter: &c, Page: store.Page{Limit: 100}})
		if err != nil {
			t.Fatal(err)
		}
		return sel, sa, count, ca
	}
	type check struct {
		name string
		q    string
		args []any
		want string // an index the plan must use
	}
	var checks []check
	for _, c := range []struct {
		name  string
		e     *entity
		cond  store.Cond
		index string
	}{
		{"userName eq", usersEntity, store.Cond{Op: store.CondEq, Field: store.FieldUserName, Value: "USER012345"}, "users_user_name"},
		{"externalId eq", usersEntity, store.Cond{Op: store.CondEq, Field: store.FieldExternalID, Value: "ext-77"}, "users_external_id"},
		{"emails.value eq", usersEntity, store.Cond{Op: store.CondEq, Field: store.FieldEmail, Value: "user000077@example.com"}, "user_emails_value"},
		{"id eq", usersEntity, store.Cond{Op: store.CondEq, Field: store.FieldID, Value: "id-77"}, "users_"},
		{"group members.value eq", groupsEntity, store.Cond{Op: store.CondEq, Field: store.FieldMember, Value: "id-77"}, "memberships_member"},
		{"group displayName eq", groupsEntity, store.Cond{Op: store.CondEq, Field: store.FieldDisplayName, Value: "G"}, "groups_display_name"},
	} {
		sel, sa, count, ca := list(c.e, c.cond)
		checks = append(checks, check{c.name + " page", sel, sa, c.index}, check{c.name + " count", count, ca, c.index})
	}
	all, allArgs, _, _, _, err := listSQL(s.d, usersEntity, org.ID, "*", store.Query{Page: store.Page{Limit: 100}})
	if err != nil {
		t.Fatal(err)
	}
	after, afterArgs, _, _, _, err := listSQL(s.d, usersEntity, org.ID, "*", store.Query{Page: store.Page{After: 500, Limit: 100}})
	if err != nil {
		t.Fatal(err)
	}
	checks = append(checks,
		check{"list page by seq", all, allArgs, "users_org_seq"},
		check{"list page after cursor", after, afterArgs, ""},
		check{"resolve members", "SELECT x.id " + s.d.drive(2, "users x") +
			" WHERE x.id = l.v AND " + s.d.orgOf("x", 1) + " AND x.deleted_at IS NULL", []any{org.ID, s.d.listArg([]string{"id-5", "id-9"})}, "users_"},
		check{"remove member", "DELETE FROM memberships WHERE org_id = $1 AND group_id = $2 AND member_id IN " + s.d.list(3),
			[]any{org.ID, g.ID, s.d.listArg([]string{"id-5"})}, "memberships_pkey"},
		check{"user by id", "SELECT " + userCols + " FROM users u WHERE u.org_id = $1 AND u.deleted_at IS NULL AND u.id = $2",
			[]any{org.ID, "id-5"}, "users_"},
	)
	for _, c := range checks {
		plan := explain(t, s, c.q, c.args)
		var bad bool
		if s.d.name == dialectSQLite {
			want := strings.NewReplacer("memberships_pkey", "PRIMARY KEY", "users_", "").Replace(c.want)
			bad = strings.Contains(plan, "SCAN u\n") || strings.Contains(plan, "SCAN u ") ||
				strings.Contains(plan, "SCAN x") || strings.Contains(plan, "SCAN g\n") || strings.Contains(plan, "SCAN m\n") ||
				(strings.Contains(plan, "users_org_seq") && !strings.HasPrefix(c.name, "list")) ||
				(want != "" && !strings.Contains(plan, want))
		} else {
			// Only the 20,000-row tables are meaningful here: on the one-row groups and
			// memberships tables a sequential scan is the right plan.
			bad = strings.Contains(plan, "Seq Scan on users") || strings.Contains(plan, "Seq Scan on user_emails")
		}
		if c.name == "user by id" || c.name == "resolve members" || strings.HasPrefix(c.name, "id eq") {
			// Must go through the id index, never walk the org.
			bad = bad || !(strings.Contains(plan, "users_id_key") || strings.Contains(plan, "sqlite_autoindex_users_1"))
		}
		if bad {
			t.Errorf("%s: plan does not use %q or scans:\n%s\n%s", c.name, c.want, c.q, plan)
		} else {
			t.Logf("%s:\n%s", c.name, plan)
		}
	}
}

// envPostgres and skipMessage are sqltest.EnvPostgres and sqltest.SkipMessage, which these
// same-package tests cannot import (sqltest imports sqlstore: a cycle). CI greps the message.
const (
	envPostgres = "ROLECALL_TEST_POSTGRES"
	skipMessage = envPostgres + " is not set: PostgreSQL suite skipped"
)

// pgSchemaDSN creates a fresh schema in the database named by envPostgres, dropped when the
// test ends, and returns a DSN using it; it skips the test when the variable is not set.
// The schema name is random (not the pid) so that tests in one process may run in parallel.
func pgSchemaDSN(t *testing.T) string {
	t.Helper()
	base := os.Getenv(envPostgres)
	if base == "" {
		t.Skip(skipMessage)
	}
	admin, err := sql.Open("pgx", base)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { admin.Close() })
	var b [6]byte
	_, _ = rand.Read(b[:])
	schema := "plan_" + hex.EncodeToString(b[:])
	if _, err := admin.Exec("CREATE SCHEMA " + schema); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { admin.Exec("DROP SCHEMA " + schema + " CASCADE") })
	sep := "?"
	if strings.Contains(base, "?") {
		sep = "&"
	}
	return base + sep + "search_path=" + schema
}
