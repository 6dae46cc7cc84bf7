package e2e

import (
	"bytes"
	"database/sql"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib"
	_ "modernc.org/sqlite"

	"github.com/rolecall/rolecall/internal/store/sqlstore/sqltest"
	"github.com/rolecall/rolecall/internal/testenv"
)

// TestMain removes the binary the tests built once (testenv.Binary).
func TestMain(m *testing.M) { testenv.Main(m) }

// bootstrapToken is the first admin token of every test database.
const bootstrapToken = "rc_e2e_bootstrap_token_0123456789abcdef"

// backend is a database a test runs on.
type backend struct {
	name string // sqlite or postgres
	dsn  string // for --db
	sql  string // for database/sql: driver-specific
}

// driver is the database/sql driver name of the backend.
func (b backend) driver() string {
	if b.name == "sqlite" {
		return "sqlite"
	}
	return "pgx"
}

// backends returns a fresh SQLite file, and a fresh PostgreSQL schema (dropped at the end)
// when ROLECALL_TEST_POSTGRES is set. Tests that range over them say in their log when
// PostgreSQL was left out.
func backends(t *testing.T) []backend {
	path := filepath.Join(t.TempDir(), "rolecall.db")
	out := []backend{{name: "sqlite", dsn: "sqlite:" + path, sql: path + "?_pragma=busy_timeout(10000)"}}
	if os.Getenv(sqltest.EnvPostgres) == "" {
		t.Log(sqltest.SkipMessage)
		return out
	}
	dsn := sqltest.PostgresDSN(t)
	return append(out, backend{name: "postgres", dsn: dsn, sql: dsn})
}

// start runs `rolecall serve` on dsn with the bootstrap token and waits until it listens.
func start(t *testing.T, dsn string, args ...string) *testenv.Proc {
	t.Helper()
	return testenv.StartServe(t, dsn, []string{"ROLECALL_BOOTSTRAP_TOKEN=" + bootstrapToken}, args...)
}

// client is an HTTP client with a deadline, so that no test can hang on a request.
var client = &http.Client{Timeout: 60 * time.Second}

// call sends a request; body is nil, a string or a value to encode. It returns status and
// body, or status 0 when the connection failed (the server was killed).
func call(method, url, token string, body any, hdr ...string) (int, []byte, http.Header) {
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	default:
		j, _ := json.Marshal(b)
		rd = bytes.NewReader(j)
	}
	req, err := http.NewRequest(method, url, rd)
	if err != nil {
		return 0, []byte(err.Error()), nil
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	res, err := client.Do(req)
	if err != nil {
		return 0, []byte(err.Error()), nil
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		return 0, []byte(err.Error()), res.Header
	}
	return res.StatusCode, b, res.Header
}

// must sends a request and fails the test unless it answers want; it decodes into out.
func must(t *testing.T, want int, method, url, token string, body, out any) []byte {
	t.Helper()
	status, b, _ := call(method, url, token, body)
	if status != want {
		t.Fatalf("%s %s = %d %s, want %d", method, url, status, b, want)
	}
	if out != nil {
		if err := json.Unmarshal(b, out); err != nil {
			t.Fatalf("%s %s: decode: %v: %s", method, url, err, b)
		}
	}
	return b
}

// scimToken issues a SCIM token through the admin API.
func scimToken(t *testing.T, p *testenv.Proc, name string) string {
	t.Helper()
	var tok struct{ Secret string }
	must(t, 201, "POST", p.URL+"/api/v1/tokens", bootstrapToken, map[string]string{"name": name, "scope": "scim"}, &tok)
	return tok.Secret
}

// openSQL opens the backend for direct reads.
func openSQL(t *testing.T, b backend) *sql.DB {
	t.Helper()
	db, err := sql.Open(b.driver(), b.sql)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// queryInt runs a one-number query.
func queryInt(t *testing.T, db *sql.DB, q string, args ...any) int {
	t.Helper()
	var n int
	if err := db.QueryRow(q, args...).Scan(&n); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	return n
}

// tableNames lists the backend's tables (rolecall's own, migrations included).
func tableNames(t *testing.T, b backend, db *sql.DB) []string {
	t.Helper()
	q := "SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name"
	if b.name == "postgres" {
		q = "SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema() ORDER BY table_name"
	}
	rows, err := db.Query(q)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			t.Fatal(err)
		}
		out = append(out, n)
	}
	return out
}

// dumpTable renders every row of a table as text, sorted, so that two databases can be
// compared table by table whatever their physical order.
func dumpTable(t *testing.T, db *sql.DB, table string) []string {
	t.Helper()
	rows, err := db.Query("SELECT * FROM " + table)
	if err != nil {
		t.Fatalf("dump %s: %v", table, err)
	}
	defer rows.Close()
	cols, _ := rows.Columns()
	var out []string
	for rows.Next() {
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			t.Fatal(err)
		}
		var sb strings.Builder
		for i, v := range vals {
			if b, ok := v.([]byte); ok {
				v = string(b)
			}
			fmt.Fprintf(&sb, "%s=%v|", cols[i], v)
		}
		out = append(out, sb.String())
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	sort.Strings(out)
	return out
}

// orphans counts rows that point at something that does not exist: the referential
// invariants the store keeps without foreign keys (bindings) or with them (the rest).
func orphans(t *testing.T, db *sql.DB) map[string]int {
	t.Helper()
	checks := map[string]string{
		"membership without its group": `SELECT count(*) FROM memberships m WHERE NOT EXISTS (SELECT 1 FROM groups g WHERE g.id = m.group_id)`,
		"membership of a missing or deleted user": `SELECT count(*) FROM memberships m WHERE m.member_type = 'user'
			AND NOT EXISTS (SELECT 1 FROM users u WHERE u.id = m.member_id AND u.deleted_at IS NULL)`,
		"membership of a missing group": `SELECT count(*) FROM memberships m WHERE m.member_type = 'group'
			AND NOT EXISTS (SELECT 1 FROM groups g WHERE g.id = m.member_id)`,
		"binding on a missing resource": `SELECT count(*) FROM bindings b WHERE NOT EXISTS (SELECT 1 FROM resources r WHERE r.id = b.resource_id)`,
		"binding of a missing or deleted user": `SELECT count(*) FROM bindings b WHERE b.principal_type = 'user'
			AND NOT EXISTS (SELECT 1 FROM users u WHERE u.id = b.principal_id AND u.deleted_at IS NULL)`,
		"binding of a missing group": `SELECT count(*) FROM bindings b WHERE b.principal_type = 'group'
			AND NOT EXISTS (SELECT 1 FROM groups g WHERE g.id = b.principal_id)`,
		"binding of a missing service account": `SELECT count(*) FROM bindings b WHERE b.principal_type = 'service_account'
			AND NOT EXISTS (SELECT 1 FROM service_accounts s WHERE s.id = b.principal_id)`,
		"email of a missing user":      `SELECT count(*) FROM user_emails e WHERE NOT EXISTS (SELECT 1 FROM users u WHERE u.id = e.user_id)`,
		"run binding of a missing run": `SELECT count(*) FROM enforcement_run_bindings x WHERE NOT EXISTS (SELECT 1 FROM enforcement_runs r WHERE r.id = x.run_id)`,
		"run user of a missing run":    `SELECT count(*) FROM enforcement_run_users x WHERE NOT EXISTS (SELECT 1 FROM enforcement_runs r WHERE r.id = x.run_id)`,
		"run whose restore point is short of its bindings": `SELECT count(*) FROM enforcement_runs r
			WHERE r.deleted_bindings <> (SELECT count(*) FROM enforcement_run_bindings x WHERE x.run_id = r.id)`,
		"run whose restore point is short of its users": `SELECT count(*) FROM enforcement_runs r
			WHERE r.removed_users <> (SELECT count(*) FROM enforcement_run_users x WHERE x.run_id = r.id)`,
		"run without exactly one apply event": `SELECT count(*) FROM enforcement_runs r
			WHERE (SELECT count(*) FROM audit_events a WHERE a.action = 'enforce.apply' AND a.target_id = r.id) <> 1`,
		"rule change without exactly one audit event": `SELECT count(*) FROM rule_changes c
			WHERE (SELECT count(*) FROM audit_events a WHERE a.target_id = c.id AND a.action LIKE 'rule.%') <> 1`,
		"user without exactly one create event": `SELECT count(*) FROM users u LEFT JOIN (SELECT target_id, count(*) AS n
			FROM audit_events WHERE action = 'scim.user.create' GROUP BY target_id) a ON a.target_id = u.id WHERE coalesce(a.n, 0) <> 1`,
		"user create event without its user": `SELECT count(*) FROM audit_events a WHERE a.action = 'scim.user.create'
			AND NOT EXISTS (SELECT 1 FROM users u WHERE u.id = a.target_id)`,
		"group without exactly one create event": `SELECT count(*) FROM groups g LEFT JOIN (SELECT target_id, count(*) AS n
			FROM audit_events WHERE action = 'scim.group.create' GROUP BY target_id) a ON a.target_id = g.id WHERE coalesce(a.n, 0) <> 1`,
		"group create event without its group": `SELECT count(*) FROM audit_events a WHERE a.action = 'scim.group.create'
			AND NOT EXISTS (SELECT 1 FROM groups g WHERE g.id = a.target_id)`,
	}
	out := map[string]int{}
	for name, q := range checks {
		if n := queryInt(t, db, q); n != 0 {
			out[name] = n
		}
	}
	return out
}

// jsonInto decodes a JSON answer.
func jsonInto(b []byte, v any) error { return json.Unmarshal(b, v) }
