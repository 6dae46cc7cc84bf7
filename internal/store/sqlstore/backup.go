package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"strings"
)

// ErrBackupUnsupported is returned by Backup for a PostgreSQL DSN: PostgreSQL has its own
// consistent online backup (pg_dump), which rolecall does not reimplement.
var ErrBackupUnsupported = errors.New("rolecall backup copies SQLite databases only")

// Backup writes a consistent copy of the SQLite database named by dsn (sqlite:PATH) to the
// new file dest, while servers may be reading and writing it. It uses SQLite's VACUUM INTO,
// which reads one snapshot in a single read transaction: the copy holds every transaction
// committed before the snapshot and none after, so a request is in the copy whole or not at
// all. The copy is compact, in rollback-journal mode, and opens with `serve --db
// sqlite:DEST` like the original. Backup never writes to the source and refuses to
// overwrite dest.
//
// For a postgres:// DSN it returns ErrBackupUnsupported, wrapped with the pg_dump command
// to use.
func Backup(ctx context.Context, dsn, dest string) error {
	switch {
	case strings.HasPrefix(dsn, "postgres://"), strings.HasPrefix(dsn, "postgresql://"):
		return fmt.Errorf("%w; back up PostgreSQL with pg_dump: pg_dump --format=custom --file=rolecall.dump '%s' (restore with pg_restore; docs/backup.md)",
			ErrBackupUnsupported, redact(dsn))
	case !strings.HasPrefix(dsn, "sqlite:"):
		return fmt.Errorf("unsupported --db %q: use sqlite:PATH or postgres://…", redact(dsn))
	}
	src := strings.TrimPrefix(strings.TrimPrefix(dsn, "sqlite:"), "//")
	if src == "" {
		return fmt.Errorf("unsupported --db %q: sqlite: needs a file path (sqlite:PATH)", dsn)
	}
	if dest == "" {
		return errors.New("backup: name the file to write")
	}
	// Opening a missing file would create an empty database and back that up: refuse.
	if _, err := os.Stat(src); err != nil {
		return fmt.Errorf("backup: database %s: %w", src, err)
	}
	if _, err := os.Stat(dest); err == nil {
		return fmt.Errorf("backup: %s already exists; choose a new file (a backup never overwrites)", dest)
	} else if !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("backup: %s: %w", dest, err)
	}
	// The connection only reads the source (VACUUM INTO writes the new file alone; SQLite's
	// query_only pragma would refuse it). The busy timeout waits out a migration holding the
	// database.
	db, err := sql.Open("sqlite", src+"?_pragma=busy_timeout(10000)")
	if err != nil {
		return fmt.Errorf("backup: open %s: %w", src, err)
	}
	defer db.Close()
	db.SetMaxOpenConns(1)
	var tables int
	if err := db.QueryRowContext(ctx, "SELECT count(*) FROM sqlite_schema WHERE type = 'table' AND name = 'schema_migrations'").Scan(&tables); err != nil {
		return fmt.Errorf("backup: read %s: %w", src, err)
	}
	if tables == 0 {
		return fmt.Errorf("backup: %s is not a rolecall database (no schema_migrations table)", src)
	}
	if _, err := db.ExecContext(ctx, "VACUUM INTO ?", dest); err != nil {
		_ = os.Remove(dest)
		return fmt.Errorf("backup: write %s: %w", dest, err)
	}
	return nil
}
