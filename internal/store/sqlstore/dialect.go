package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	_ "github.com/jackc/pgx/v5/stdlib" // registers the "pgx" database/sql driver
	"modernc.org/sqlite"

	"github.com/rolecall/rolecall/internal/store"
)

const (
	dialectSQLite   = "sqlite"
	dialectPostgres = "postgres"
)

// dialect holds what differs between SQLite and PostgreSQL. Everything else is shared SQL:
// both engines accept $N placeholders, RETURNING, ON CONFLICT DO NOTHING, partial indexes,
// recursive CTEs and TRUE/FALSE literals.
type dialect struct {
	name string
	// strpos is the substring-position function: instr(haystack, needle) in SQLite,
	// strpos(haystack, needle) in PostgreSQL.
	strpos string
	// forShare locks the rows a read returns until commit, so that a row checked before a
	// write cannot be deleted before the write commits. SQLite has one writer and needs none.
	forShare string
	// forUpdate locks the row a read returns until commit, for a read that the same
	// transaction writes back (lockedRead). SQLite has one writer and needs none.
	forUpdate string
}

// shareOf is forShare limited to one table alias (for reads that join a value list).
func (d *dialect) shareOf(alias string) string {
	if d.forShare == "" {
		return ""
	}
	return d.forShare + " OF " + alias
}

var (
	sqliteDialect   = &dialect{name: dialectSQLite, strpos: "instr", forShare: "", forUpdate: ""}
	postgresDialect = &dialect{name: dialectPostgres, strpos: "strpos", forShare: " FOR SHARE", forUpdate: " FOR UPDATE"}
)

// t encodes a time for a query parameter: unix microseconds (INTEGER) in SQLite, timestamptz
// in PostgreSQL. Both keep exactly microsecond precision, the precision store.Now has.
func (d *dialect) t(v time.Time) any {
	v = v.UTC().Truncate(time.Microsecond)
	if d.name == dialectSQLite {
		return v.UnixMicro()
	}
	return v
}

// tp encodes an optional time (NULL when nil).
func (d *dialect) tp(v *time.Time) any {
	if v == nil {
		return nil
	}
	return d.t(*v)
}

// list returns a subquery yielding the text values of parameter $n, for `x IN (…)`. The values
// travel as one parameter (a JSON array in SQLite, a text[] in PostgreSQL), so statements do
// not depend on the number of values and no engine parameter limit applies.
func (d *dialect) list(n int) string {
	if d.name == dialectSQLite {
		return fmt.Sprintf("(SELECT value AS v FROM json_each($%d))", n)
	}
	// COLLATE "C" matches the columns the values are compared with (see the PostgreSQL
	// schema), which recursive CTEs require.
	return fmt.Sprintf(`(SELECT v COLLATE "C" FROM unnest(CAST($%d AS text[])) AS v)`, n)
}

// drive returns a FROM clause that walks the values of parameter $n (column l.v) and joins
// them to table: "FROM (values) AS l CROSS JOIN table". SQLite never reorders a CROSS JOIN,
// so each value becomes one primary-key lookup instead of a scan of the org's rows through
// an (org_id, …) index, a plan SQLite may otherwise pick when it has no statistics.
// PostgreSQL plans the join freely.
func (d *dialect) drive(n int, table string) string {
	return "FROM " + d.list(n) + " AS l CROSS JOIN " + table
}

// orgOf is the org filter of a query driven by a value list (see drive): alias.org_id = $n.
// On PostgreSQL it is written so that it cannot serve as an index condition: before
// statistics exist (right after a bulk load) the planner takes every table for tiny and may
// prefer walking the org through an (org_id, …) index to the id lookups the list asks for.
func (d *dialect) orgOf(alias string, n int) string {
	if d.name == dialectPostgres {
		return fmt.Sprintf("(%s.org_id = $%d) IS TRUE", alias, n)
	}
	return fmt.Sprintf("%s.org_id = $%d", alias, n)
}

// removedLive is the condition of the users_removed partial index (migration 0004), written
// as its migration writes it so that the planner can use the index.
func (d *dialect) removedLive() string {
	if d.name == dialectSQLite {
		return "removed = 1 AND deleted_at IS NULL"
	}
	return "removed AND deleted_at IS NULL"
}

// docActive is the active flag a user's stored SCIM document holds: false only when the
// document says active false; true when it says true or nothing (an unassigned active counts
// as active). It is the identity provider's latest word, which enforce-groups' removal does
// not touch (it changes the active column only).
func (d *dialect) docActive() string {
	if d.name == dialectSQLite {
		return "CASE WHEN doc IS NOT NULL AND json_valid(doc) AND json_type(doc, '$.active') = 'false' THEN 0 ELSE 1 END"
	}
	return "CASE WHEN doc IS NOT NULL AND (doc::jsonb -> 'active') = 'false'::jsonb THEN FALSE ELSE TRUE END"
}

// listArg encodes the values for a parameter used by list.
func (d *dialect) listArg(vals []string) any {
	if d.name == dialectSQLite {
		if vals == nil {
			vals = []string{}
		}
		b, _ := json.Marshal(vals) // marshalling strings cannot fail
		return string(b)
	}
	if vals == nil {
		vals = []string{}
	}
	return vals
}

// isUnique reports whether err is a uniqueness violation.
func (d *dialect) isUnique(err error) bool {
	var se *sqlite.Error
	if errors.As(err, &se) {
		// SQLITE_CONSTRAINT_UNIQUE, SQLITE_CONSTRAINT_PRIMARYKEY
		return se.Code() == 2067 || se.Code() == 1555
	}
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		return pe.Code == "23505"
	}
	return false
}

// isRetryable reports whether PostgreSQL aborted the transaction because of a concurrent one
// (deadlock_detected, serialization_failure): running it again is expected to succeed.
func (d *dialect) isRetryable(err error) bool {
	var pe *pgconn.PgError
	return errors.As(err, &pe) && (pe.Code == "40P01" || pe.Code == "40001")
}

// mapErr turns a uniqueness violation into store.ErrConflict naming what, a transaction that
// lost to a concurrent one into store.ErrVersionMismatch (callers that retry on a version race
// then retry it too), and wraps anything else with the operation name.
func (d *dialect) mapErr(err error, what string) error {
	if err == nil {
		return nil
	}
	if d.isUnique(err) {
		return fmt.Errorf("%w: %s", store.ErrConflict, what)
	}
	if d.isRetryable(err) {
		return fmt.Errorf("%w: %s: a concurrent transaction on the same rows won; retry", store.ErrVersionMismatch, what)
	}
	if errors.Is(err, store.ErrNotFound) || errors.Is(err, store.ErrConflict) ||
		errors.Is(err, store.ErrInvalid) || errors.Is(err, store.ErrVersionMismatch) {
		return err
	}
	return fmt.Errorf("sqlstore: %s: %w", what, err)
}

// sqliteCheckpointPages is the WAL size, in pages, that triggers a checkpoint (40 MB at
// 4 KiB pages). Measured with bench/run.sh, interleaved against SQLite's default of 1,000
// (and 4,000): the groups workload +22–29%, provision +4–5%, single-member PATCHes on a
// 100,000-member group −8% (a longer WAL is slower to look pages up in), the rest within
// noise; docs/perf/history.md, round 3.
const sqliteCheckpointPages = 10000

// sqliteWALLimit is the size, in bytes, a WAL file is truncated to after a checkpoint.
const sqliteWALLimit = 64 << 20

// openSQLite opens the writer and the reader pool on one file. The writer is opened and
// pinged first so that the file exists and is in WAL mode before any reader connects.
func openSQLite(ctx context.Context, path string, cfg config) (*Store, error) {
	common := fmt.Sprintf("_pragma=busy_timeout(%d)&_pragma=foreign_keys(ON)", cfg.busyTimeout.Milliseconds())
	// The writer gets a larger page cache than each reader: a big transaction (enforce-groups
	// moving 400,000 bindings) otherwise spills dirty pages to the WAL before commit and reads
	// them back. Statement journals (one per multi-row statement inside a transaction) live
	// in memory: they only serve rolling back one statement, never crash recovery, and on
	// disk they cost a write syscall per page.
	//
	// The WAL is checkpointed every sqliteCheckpointPages pages instead of SQLite's 1,000:
	// a page written by many commits in between (the tail of a user's group list, an
	// index's right edge) is copied into the database once per checkpoint, not once per
	// thousand frames. journal_size_limit gives the disk back after a transaction that
	// grew the WAL far beyond that (enforce-groups apply).
	w, err := sql.Open("sqlite", path+"?"+common+"&_pragma=cache_size(-131072)"+
		"&_pragma=journal_mode(WAL)&_pragma=synchronous(FULL)&_pragma=temp_store(MEMORY)&_txlock=immediate"+
		fmt.Sprintf("&_pragma=wal_autocheckpoint(%d)&_pragma=journal_size_limit(%d)", sqliteCheckpointPages, sqliteWALLimit))
	if err != nil {
		return nil, fmt.Errorf("sqlstore: open %s: %w", path, err)
	}
	w.SetMaxOpenConns(1)
	w.SetMaxIdleConns(1)
	w.SetConnMaxLifetime(0)
	w.SetConnMaxIdleTime(0)
	if err := pingSQLite(ctx, w, cfg.busyTimeout); err != nil {
		w.Close()
		return nil, fmt.Errorf("sqlstore: open %s: %w", path, err)
	}
	readers := max(cfg.readers, 1)
	r, err := sql.Open("sqlite", path+"?"+common+"&_pragma=cache_size(-32768)&_query_only=1")
	if err != nil {
		w.Close()
		return nil, fmt.Errorf("sqlstore: open %s: %w", path, err)
	}
	r.SetMaxOpenConns(readers)
	r.SetMaxIdleConns(readers)
	r.SetConnMaxLifetime(0)
	r.SetConnMaxIdleTime(0)
	s := &Store{d: sqliteDialect, w: w, r: r, wcache: newStmtCache(w), rcache: newStmtCache(r)}
	s.wr = newWriter(s)
	return s, nil
}

// pingSQLite opens the writer's connection, which sets its pragmas. Switching a database to
// WAL (journal_mode) needs a moment without other writers and answers SQLITE_BUSY at once,
// without waiting for busy_timeout, when another process or Store is migrating the same
// file at that instant; so a busy answer is retried until the busy timeout.
func pingSQLite(ctx context.Context, db *sql.DB, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for {
		err := db.PingContext(ctx)
		var se *sqlite.Error
		if err == nil || !errors.As(err, &se) || se.Code()&0xff != 5 || time.Now().After(deadline) { // 5: SQLITE_BUSY
			return err
		}
		select {
		case <-ctx.Done():
			return err
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// openPostgres opens one pgx-backed database/sql pool. database/sql (rather than pgxpool
// directly) keeps one code path for both dialects; pgx still caches prepared statements per
// connection underneath.
func openPostgres(ctx context.Context, dsn string, cfg config) (*Store, error) {
	db, err := sql.Open("pgx", dsn)
	if err != nil {
		return nil, redactErr(fmt.Errorf("sqlstore: open %s: %w", redact(dsn), err), dsn)
	}
	n := max(cfg.maxConns, 2)
	db.SetMaxOpenConns(n)
	db.SetMaxIdleConns(n)
	db.SetConnMaxIdleTime(5 * time.Minute)
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return nil, redactErr(fmt.Errorf("sqlstore: open %s: %w", redact(dsn), err), dsn)
	}
	return &Store{d: postgresDialect, w: db, r: db}, nil
}
