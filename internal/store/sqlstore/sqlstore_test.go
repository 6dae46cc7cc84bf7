package sqlstore_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rolecall/rolecall/internal/store"
	"github.com/rolecall/rolecall/internal/store/sqlstore"
	"github.com/rolecall/rolecall/internal/store/sqlstore/sqltest"
	"github.com/rolecall/rolecall/internal/store/storetest"
)

// sqliteDSN returns the DSN of a fresh SQLite file.
func sqliteDSN(t testing.TB) string {
	return "sqlite:" + filepath.Join(t.TempDir(), "rolecall.db")
}

func openDSN(t testing.TB, dsn string) store.Store {
	t.Helper()
	s, err := sqlstore.Open(context.Background(), dsn)
	if err != nil {
		t.Fatalf("Open(%s): %v", dsn, err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

var bg = context.Background()

func openSQLite(t *testing.T) store.Store { return openDSN(t, sqliteDSN(t)) }

// postgresDSN returns a DSN of a fresh schema in the database named by
// ROLECALL_TEST_POSTGRES, dropped when the test ends; it skips the test when the variable is
// not set.
func postgresDSN(t *testing.T) string {
	t.Helper()
	return sqltest.PostgresDSN(t)
}

func openPostgres(t *testing.T) store.Store { return openDSN(t, postgresDSN(t)) }

func TestStoreSQLite(t *testing.T) { storetest.Run(t, openSQLite) }

func TestStorePostgres(t *testing.T) {
	if os.Getenv("ROLECALL_TEST_POSTGRES") == "" {
		t.Skip("ROLECALL_TEST_POSTGRES is not set: PostgreSQL suite skipped")
	}
	storetest.Run(t, openPostgres)
}

func TestOpenRejectsUnknownScheme(t *testing.T) {
	for _, dsn := range []string{"mysql://u:secret@h/db", "rolecall.db", "sqlite:", ""} {
		_, err := sqlstore.Open(context.Background(), dsn)
		if err == nil {
			t.Errorf("Open(%q) succeeded", dsn)
			continue
		}
		if !strings.Contains(err.Error(), "sqlite:PATH") {
			t.Errorf("Open(%q) = %v, want a message naming sqlite:PATH", dsn, err)
		}
		if strings.Contains(err.Error(), "secret") {
			t.Errorf("Open(%q) error leaks the password: %v", dsn, err)
		}
	}
}
