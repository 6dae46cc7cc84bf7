package sqlstore_test

import (
	"context"
	"database/sql"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rolecall/rolecall/internal/auth"
	"github.com/rolecall/rolecall/internal/store"
	"github.com/rolecall/rolecall/internal/store/sqlstore"
	"github.com/rolecall/rolecall/internal/store/sqlstore/sqltest"
)

// TestBackup copies a live SQLite store (open, with uncheckpointed WAL content) and opens
// the copy as a store with the same data; it refuses what it must refuse. The copy under
// write load is tested against the real server in internal/e2e (TestBackupUnderLoad).
func TestBackup(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	src := "sqlite:" + filepath.Join(dir, "live.db")
	st := sqltest.Open(t, src)
	if _, _, err := auth.Bootstrap(ctx, st, ""); err != nil {
		t.Fatal(err)
	}
	dest := filepath.Join(dir, "copy.db")
	if err := sqlstore.Backup(ctx, src, dest); err != nil {
		t.Fatal(err)
	}
	cp := sqltest.Open(t, "sqlite:"+dest)
	var orgs []store.Org
	if err := cp.View(ctx, func(tx store.Tx) (err error) { orgs, err = tx.ListOrgs(ctx); return err }); err != nil || len(orgs) != 1 || orgs[0].Name != auth.DefaultOrg {
		t.Fatalf("copy holds orgs %v (%v)", orgs, err)
	}
	for _, c := range []struct {
		name, dsn, dest, want string
	}{
		{"existing destination", src, dest, "already exists"},
		{"missing source", "sqlite:" + filepath.Join(dir, "nope.db"), filepath.Join(dir, "x.db"), "no such file"},
		{"postgres", "postgres://u:secret@localhost/db", filepath.Join(dir, "y.db"), "pg_dump"},
		{"unknown scheme", "mysql://x", filepath.Join(dir, "z.db"), "sqlite:PATH"},
		{"no destination", src, "", "name the file"},
	} {
		err := sqlstore.Backup(ctx, c.dsn, c.dest)
		if err == nil || !strings.Contains(err.Error(), c.want) || strings.Contains(err.Error(), "secret") {
			t.Errorf("%s: %v, want an error saying %q (and no password)", c.name, err, c.want)
		}
	}
	if err := sqlstore.Backup(ctx, "postgres://localhost/db", "x"); !errors.Is(err, sqlstore.ErrBackupUnsupported) {
		t.Errorf("postgres: %v is not ErrBackupUnsupported", err)
	}
	// A SQLite file that is not a rolecall database is refused, and nothing is written.
	other := filepath.Join(dir, "other.db")
	db, err := sql.Open("sqlite", other)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec("CREATE TABLE t (x)"); err != nil {
		t.Fatal(err)
	}
	db.Close()
	if err := sqlstore.Backup(ctx, "sqlite:"+other, filepath.Join(dir, "o.db")); err == nil || !strings.Contains(err.Error(), "not a rolecall database") {
		t.Errorf("foreign database: %v", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "o.db")); !os.IsNotExist(err) {
		t.Errorf("a refused backup left a file: %v", err)
	}
}
