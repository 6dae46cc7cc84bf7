package sqlstore

import (
	"context"
	"database/sql"
	"embed"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strconv"
	"strings"

	"github.com/rolecall/rolecall/internal/store"
)

// migrationsFS holds the numbered schema migrations of each dialect
// (migrations/<dialect>/NNNN_name.sql). An applied migration is never edited: changes are new
// files.
//
//go:embed migrations
var migrationsFS embed.FS

// pgMigrationLock is the advisory-lock key that serialises migrators: two servers starting
// at once on an empty database must not both create the schema.
const pgMigrationLock int64 = 0x726f6c6563616c6c // "rolecall"

type migration struct {
	version int
	name    string
	sql     string
}

// loadMigrations reads the dialect's migrations in version order.
func loadMigrations(dialect string) ([]migration, error) {
	dir := path.Join("migrations", dialect)
	entries, err := fs.ReadDir(migrationsFS, dir)
	if err != nil {
		return nil, fmt.Errorf("sqlstore: migrations: %w", err)
	}
	var ms []migration
	seen := map[int]string{}
	for _, e := range entries {
		name := e.Name()
		if e.IsDir() || !strings.HasSuffix(name, ".sql") {
			continue
		}
		num, _, ok := strings.Cut(name, "_")
		v, err := strconv.Atoi(num)
		if !ok || err != nil || v <= 0 {
			return nil, fmt.Errorf("sqlstore: migration %s: name must be NNNN_description.sql", name)
		}
		if prev, dup := seen[v]; dup {
			return nil, fmt.Errorf("sqlstore: migrations %s and %s share version %d", prev, name, v)
		}
		seen[v] = name
		b, err := fs.ReadFile(migrationsFS, path.Join(dir, name))
		if err != nil {
			return nil, fmt.Errorf("sqlstore: migration %s: %w", name, err)
		}
		ms = append(ms, migration{version: v, name: name, sql: string(b)})
	}
	sort.Slice(ms, func(i, j int) bool { return ms[i].version < ms[j].version })
	return ms, nil
}

// migrate applies the migrations not yet recorded in schema_migrations, each in its own
// transaction together with its record, so a crash leaves each one applied whole or not at
// all. Each transaction re-checks the record under the write lock (SQLite's BEGIN IMMEDIATE,
// PostgreSQL's advisory lock), so concurrent migrators apply each migration once.
func (s *Store) migrate(ctx context.Context) error {
	ms, err := loadMigrations(s.d.name)
	if err != nil {
		return err
	}
	conn, err := s.w.Conn(ctx)
	if err != nil {
		return fmt.Errorf("sqlstore: migrate: %w", err)
	}
	defer conn.Close()

	timeType := "INTEGER"
	if s.d.name == dialectPostgres {
		timeType = "timestamptz"
		if _, err := conn.ExecContext(ctx, "SELECT pg_advisory_lock($1)", pgMigrationLock); err != nil {
			return fmt.Errorf("sqlstore: migrate: lock: %w", err)
		}
		defer conn.ExecContext(context.WithoutCancel(ctx), "SELECT pg_advisory_unlock($1)", pgMigrationLock)
	}
	if _, err := conn.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
		version    INTEGER PRIMARY KEY,
		applied_at `+timeType+` NOT NULL
	)`); err != nil {
		return fmt.Errorf("sqlstore: migrate: %w", err)
	}
	for _, m := range ms {
		if err := s.applyMigration(ctx, conn, m); err != nil {
			return err
		}
	}
	return nil
}

func (s *Store) applyMigration(ctx context.Context, conn *sql.Conn, m migration) error {
	tx, err := conn.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("sqlstore: migration %s: %w", m.name, err)
	}
	defer tx.Rollback()
	var n int
	if err := tx.QueryRowContext(ctx, "SELECT count(*) FROM schema_migrations WHERE version = $1", m.version).Scan(&n); err != nil {
		return fmt.Errorf("sqlstore: migration %s: %w", m.name, err)
	}
	if n > 0 {
		return nil
	}
	if _, err := tx.ExecContext(ctx, m.sql); err != nil {
		return fmt.Errorf("sqlstore: migration %s: %w", m.name, err)
	}
	if step := goSteps[m.version]; step != nil {
		if err := step(ctx, tx, s.d); err != nil {
			return fmt.Errorf("sqlstore: migration %s: %w", m.name, err)
		}
	}
	if _, err := tx.ExecContext(ctx, "INSERT INTO schema_migrations (version, applied_at) VALUES ($1, $2)",
		m.version, s.d.t(store.Now())); err != nil {
		return fmt.Errorf("sqlstore: migration %s: %w", m.name, err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("sqlstore: migration %s: commit: %w", m.name, err)
	}
	return nil
}

// goSteps are migration steps that SQL cannot express, by version: each runs in its
// migration's transaction, after the migration's SQL, and is recorded with it.
var goSteps = map[int]func(ctx context.Context, tx *sql.Tx, d *dialect) error{
	5: refoldKeys,
}

// foldedCol is a column holding fold(src) of its row, the columns that identify a row, and
// the order rows are re-keyed in: of two look-alikes, the first keeps the name.
type foldedCol struct {
	table string
	keys  []string
	src   string
	dst   string
	order string
}

var foldedCols = []foldedCol{
	{"orgs", []string{"id"}, "name", "name_lower", "created_at, id"},
	{"users", []string{"id"}, "user_name", "user_name_lower", "seq"},
	{"users", []string{"id"}, "display_name", "display_name_lower", "seq"},
	{"user_emails", []string{"user_id", "pos"}, "value", "value_lower", "user_id, pos"},
	{"groups", []string{"id"}, "display_name", "display_name_lower", "seq"},
	{"service_accounts", []string{"id"}, "name", "name_lower", "created_at, id"},
	{"resources", []string{"id"}, "name", "name_lower", "created_at, id"},
	{"tokens", []string{"id"}, "name", "name_lower", "created_at, id"},
}

// refoldKeys (migration 0005) recomputes every folded column with fold. A row whose new key
// would break a uniqueness rule (it became a look-alike of another row) keeps its old key:
// its update is undone by a savepoint, which PostgreSQL needs to go on after a failed
// statement.
func refoldKeys(ctx context.Context, tx *sql.Tx, d *dialect) error {
	for _, c := range foldedCols {
		type change struct {
			keys []any
			key  string
		}
		var changes []change
		rows, err := tx.QueryContext(ctx, "SELECT "+strings.Join(c.keys, ", ")+", "+c.src+", "+c.dst+" FROM "+c.table+" ORDER BY "+c.order)
		if err != nil {
			return fmt.Errorf("refold %s.%s: %w", c.table, c.dst, err)
		}
		for rows.Next() {
			keys := make([]any, len(c.keys))
			dest := make([]any, 0, len(keys)+2)
			for i := range keys {
				dest = append(dest, &keys[i])
			}
			var src, dst string
			dest = append(dest, &src, &dst)
			if err := rows.Scan(dest...); err != nil {
				rows.Close()
				return fmt.Errorf("refold %s.%s: %w", c.table, c.dst, err)
			}
			if k := fold(src); k != dst {
				changes = append(changes, change{keys, k})
			}
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return fmt.Errorf("refold %s.%s: %w", c.table, c.dst, err)
		}
		where := make([]string, len(c.keys))
		for i, k := range c.keys {
			where[i] = k + " = " + ph(i+2)
		}
		q := "UPDATE " + c.table + " SET " + c.dst + " = $1 WHERE " + strings.Join(where, " AND ")
		for _, ch := range changes {
			if _, err := tx.ExecContext(ctx, "SAVEPOINT refold"); err != nil {
				return err
			}
			_, err := tx.ExecContext(ctx, q, append([]any{ch.key}, ch.keys...)...)
			if err != nil && !d.isUnique(err) {
				return fmt.Errorf("refold %s.%s: %w", c.table, c.dst, err)
			}
			if err != nil {
				if _, err := tx.ExecContext(ctx, "ROLLBACK TO SAVEPOINT refold"); err != nil {
					return err
				}
			}
			if _, err := tx.ExecContext(ctx, "RELEASE SAVEPOINT refold"); err != nil {
				return err
			}
		}
	}
	return nil
}
