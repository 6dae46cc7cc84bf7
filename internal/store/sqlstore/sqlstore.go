// Package sqlstore implements store.Store on SQL databases: SQLite (embedded, through
// modernc.org/sqlite, pure Go) and PostgreSQL (through pgx's database/sql adapter). Both
// backends share one code path: the same SQL, written with $N placeholders that both engines
// accept, and a tiny dialect struct for the few places where they differ (time encoding, list
// parameters, row locks, error codes). Schemas live in numbered, embedded migration files per
// dialect.
//
// It may import the standard library, package store, internal/scim/fold (the case folding
// of its *_lower columns, shared with in-memory filter evaluation), the two drivers and
// google/uuid.
package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"sync/atomic"
	"time"

	"github.com/rolecall/rolecall/internal/store"
)

// Option tunes Open.
type Option func(*config)

type config struct {
	readers     int
	maxConns    int
	busyTimeout time.Duration
	revPoll     time.Duration
}

// WithReaders sets the size of SQLite's read-only connection pool used by View (default 4).
// It has no effect on PostgreSQL.
func WithReaders(n int) Option { return func(c *config) { c.readers = n } }

// WithMaxConns sets PostgreSQL's maximum number of open connections (default 16). It has no
// effect on SQLite, which always has exactly one writer connection.
func WithMaxConns(n int) Option { return func(c *config) { c.maxConns = n } }

// WithBusyTimeout sets how long an SQLite connection waits for a lock held by another
// process (another rolecall, an offline admin command) before failing (default 10s).
func WithBusyTimeout(d time.Duration) Option { return func(c *config) { c.busyTimeout = d } }

// WithRevisionPoll sets how often WaitRevision reads the revisions of the orgs being waited
// on, to notice commits made through other Stores on the same database (default 100ms;
// revision.go). Commits through this Store wake waiters at once regardless.
func WithRevisionPoll(d time.Duration) Option { return func(c *config) { c.revPoll = d } }

// Store is a store.Store on SQLite or PostgreSQL. It is safe for concurrent use.
type Store struct {
	d *dialect
	// w serves Update. On SQLite it has exactly one connection: SQLite has one writer at a
	// time anyway, and queuing writers in Go is cheaper than letting them spin on
	// SQLITE_BUSY. On PostgreSQL w and r are the same pool.
	w *sql.DB
	// r serves View. On SQLite it is a pool of query_only connections that read the WAL
	// snapshot concurrently with the writer.
	r *sql.DB
	// rowsRead counts rows returned to Go by queries (see RowsRead).
	rowsRead atomic.Int64
	// wcache and rcache hold prepared statements of w and r (SQLite only; nil otherwise).
	wcache, rcache *stmtCache
	// seek remembers where pages of unfiltered lists ended (SQLite; seek.go).
	seek seekCache
	// wr runs Updates in group-committed batches on w (SQLite only; nil otherwise).
	wr *writer
	// hub wakes WaitRevision callers (revision.go).
	hub *revisionHub
}

var _ store.Store = (*Store)(nil)

// Open opens the database named by dsn and brings its schema up to date:
//
//	sqlite:PATH                       an SQLite file, created when missing
//	postgres://… or postgresql://…    a PostgreSQL database (pgx DSN syntax; a search_path
//	                                  parameter selects the schema)
func Open(ctx context.Context, dsn string, opts ...Option) (store.Store, error) {
	cfg := config{readers: 4, maxConns: 16, busyTimeout: 10 * time.Second}
	for _, o := range opts {
		o(&cfg)
	}
	var (
		s   *Store
		err error
	)
	switch {
	case strings.HasPrefix(dsn, "sqlite:"):
		path := strings.TrimPrefix(dsn, "sqlite:")
		path = strings.TrimPrefix(path, "//")
		if path == "" {
			return nil, fmt.Errorf("unsupported --db %q: sqlite: needs a file path (sqlite:PATH)", dsn)
		}
		s, err = openSQLite(ctx, path, cfg)
	case strings.HasPrefix(dsn, "postgres://"), strings.HasPrefix(dsn, "postgresql://"):
		s, err = openPostgres(ctx, dsn, cfg)
	default:
		return nil, fmt.Errorf("unsupported --db %q: use sqlite:PATH or postgres://…", redact(dsn))
	}
	if err != nil {
		return nil, err
	}
	s.hub = newRevisionHub(s, cfg.revPoll)
	if err := s.migrate(ctx); err != nil {
		s.Close()
		return nil, err
	}
	return s, nil
}

// RowsRead reports how many result rows this Store has read from the database since it was
// opened. It is a diagnostic: the conformance suite uses it to check that changing a large
// group's membership never reads its member list.
func (s *Store) RowsRead() int64 { return s.rowsRead.Load() }

// Dialect names the backend: "sqlite" or "postgres".
func (s *Store) Dialect() string { return s.d.name }

// Ping checks that both pools answer.
func (s *Store) Ping(ctx context.Context) error {
	if err := s.w.PingContext(ctx); err != nil {
		return err
	}
	if s.r != s.w {
		return s.r.PingContext(ctx)
	}
	return nil
}

// Close closes the pools. On SQLite it first lets PRAGMA optimize refresh the planner
// statistics of tables that changed a lot (SQLite's advice for long-lived connections).
func (s *Store) Close() error {
	s.hub.close()
	if s.wr != nil {
		s.wr.close()
	}
	s.wcache.close()
	s.rcache.close()
	var errs []error
	if s.d.name == dialectSQLite && s.w != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		_, err := s.w.ExecContext(ctx, "PRAGMA optimize")
		cancel()
		errs = append(errs, err)
	}
	if s.r != nil && s.r != s.w {
		errs = append(errs, s.r.Close())
	}
	if s.w != nil {
		errs = append(errs, s.w.Close())
	}
	return errors.Join(errs...)
}

// View runs fn in a read-only transaction over one snapshot. On PostgreSQL that is a
// REPEATABLE READ READ ONLY transaction (which never fails on serialisation); on SQLite a
// read transaction on a query_only connection.
func (s *Store) View(ctx context.Context, fn func(store.Tx) error) error {
	return s.run(ctx, s.r, true, fn)
}

// Update runs fn in a read-write transaction and commits it durably. On SQLite the
// transaction starts with BEGIN IMMEDIATE on the single writer connection, and Updates that
// arrive while it is busy share one transaction and one commit, each in a savepoint of its
// own (groupcommit.go); on PostgreSQL it is READ COMMITTED, and every read-modify-write in
// this package is a conditional UPDATE or takes row locks, so no update is lost.
//
// If fn panics, what it wrote is rolled back and the panic continues in the caller.
func (s *Store) Update(ctx context.Context, fn func(store.Tx) error) error {
	if s.wr != nil {
		return s.wr.update(ctx, fn)
	}
	return s.run(ctx, s.w, false, fn)
}

// WriteStats reports how many Updates have committed and in how many transactions (SQLite's
// group commit; on PostgreSQL both are 0, as every Update is its own transaction and is not
// counted here).
func (s *Store) WriteStats() (updates, commits int64) {
	if s.wr == nil {
		return 0, 0
	}
	return s.wr.updates.Load(), s.wr.commits.Load()
}

func (s *Store) run(ctx context.Context, db *sql.DB, readOnly bool, fn func(store.Tx) error) (err error) {
	opts := &sql.TxOptions{}
	if readOnly && s.d.name == dialectPostgres {
		opts = &sql.TxOptions{Isolation: sql.LevelRepeatableRead, ReadOnly: true}
	}
	cache := s.wcache
	if readOnly {
		cache = s.rcache
	}
	cache.prepareQueued(ctx)
	stx, err := db.BeginTx(ctx, opts)
	if err != nil {
		return fmt.Errorf("sqlstore: begin: %w", err)
	}
	t := &tx{s: s, d: s.d, tx: stx, readOnly: readOnly, cache: cache}
	done := false
	defer func() {
		if !done {
			// fn panicked: undo whatever it wrote, then let the panic go on.
			_ = stx.Rollback()
		}
	}()
	ferr := fn(t)
	done = true
	if ferr != nil {
		if rerr := stx.Rollback(); rerr != nil && !errors.Is(rerr, sql.ErrTxDone) {
			return errors.Join(ferr, fmt.Errorf("sqlstore: rollback: %w", rerr))
		}
		return ferr
	}
	if err := stx.Commit(); err != nil {
		return fmt.Errorf("sqlstore: commit: %w", s.d.mapErr(err, "transaction"))
	}
	s.hub.publish(t.appended)
	return nil
}
