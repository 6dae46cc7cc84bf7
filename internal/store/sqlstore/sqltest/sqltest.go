// Package sqltest gives tests real, isolated databases: a temporary SQLite file always, and a
// fresh PostgreSQL schema (dropped when the test ends) when ROLECALL_TEST_POSTGRES names a
// database. Every package whose tests need a store uses it, so that isolation and clean-up
// are written once. It may import store, sqlstore, pgx's database/sql driver and the
// standard library; only tests import it.
package sqltest

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"net/url"
	"os"
	"path/filepath"
	"testing"

	_ "github.com/jackc/pgx/v5/stdlib" // the "pgx" driver, to create and drop schemas

	"github.com/rolecall/rolecall/internal/store"
	"github.com/rolecall/rolecall/internal/store/sqlstore"
)

// EnvPostgres names the environment variable holding the PostgreSQL test database's DSN.
const EnvPostgres = "ROLECALL_TEST_POSTGRES"

// SkipMessage is what a PostgreSQL test says when it skips; CI greps for it to fail a run in
// which PostgreSQL was not tested.
const SkipMessage = EnvPostgres + " is not set: PostgreSQL suite skipped"

// SQLiteDSN returns the DSN of a new SQLite file in the test's temporary directory.
func SQLiteDSN(t testing.TB) string {
	t.Helper()
	return "sqlite:" + filepath.Join(t.TempDir(), "rolecall.db")
}

// PostgresDSN returns the DSN of a fresh schema in the database named by
// ROLECALL_TEST_POSTGRES, dropped when the test ends. It skips the test when the variable is
// not set.
func PostgresDSN(t testing.TB) string {
	t.Helper()
	base := os.Getenv(EnvPostgres)
	if base == "" {
		t.Skip(SkipMessage)
	}
	u, err := url.Parse(base)
	if err != nil {
		t.Fatalf("%s: %v", EnvPostgres, err)
	}
	var b [6]byte
	_, _ = rand.Read(b[:])
	schema := "t_" + hex.EncodeToString(b[:])
	exec(t, base, "CREATE SCHEMA "+schema)
	t.Cleanup(func() { exec(t, base, "DROP SCHEMA "+schema+" CASCADE") })
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String()
}

func exec(t testing.TB, dsn, stmt string) {
	t.Helper()
	db, err := sql.Open("pgx", dsn)
	if err != nil {
		t.Fatalf("open %s: %v", EnvPostgres, err)
	}
	defer db.Close()
	if _, err := db.Exec(stmt); err != nil {
		t.Fatalf("%s: %v", stmt, err)
	}
}

// Open opens (and migrates) the store at dsn, closed when the test ends.
func Open(t testing.TB, dsn string) store.Store {
	t.Helper()
	st, err := sqlstore.Open(context.Background(), dsn)
	if err != nil {
		t.Fatalf("open %s: %v", dsn, err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

// Backend is a database kind a test runs against.
type Backend struct {
	Name string // "sqlite" or "postgres"
	// DSN returns the DSN of a new, empty database of this kind for the test.
	DSN func(t testing.TB) string
}

// Backends lists SQLite and PostgreSQL. A test that ranges over them gets PostgreSQL subtests
// that skip (with SkipMessage) when ROLECALL_TEST_POSTGRES is not set.
func Backends() []Backend {
	return []Backend{{Name: "sqlite", DSN: SQLiteDSN}, {Name: "postgres", DSN: PostgresDSN}}
}
