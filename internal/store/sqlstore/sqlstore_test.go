package sqlstore_test

import (
	"context"
	"os"
	"strings"
	"testing"

	"github.com/rolecall/rolecall/internal/store"
	"github.com/rolecall/rolecall/internal/store/sqlstore"
	"github.com/rolecall/rolecall/internal/store/sqlstore/sqltest"
	"github.com/rolecall/rolecall/internal/store/storetest"
)

var bg = context.Background()

// openSQLite and openPostgres open fresh stores for storetest.Run (sqltest does the work).
func openSQLite(t *testing.T) store.Store { return sqltest.Open(t, sqltest.SQLiteDSN(t)) }

func openPostgres(t *testing.T) store.Store { return sqltest.Open(t, sqltest.PostgresDSN(t)) }

func TestStoreSQLite(t *testing.T) { storetest.Run(t, openSQLite) }

func TestStorePostgres(t *testing.T) {
	// One skip for the whole suite rather than one per storetest subtest.
	if os.Getenv(sqltest.EnvPostgres) == "" {
		t.Skip(sqltest.SkipMessage)
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
