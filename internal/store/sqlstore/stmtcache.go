package sqlstore

import (
	"context"
	"database/sql"
	"sync"
)

// stmtCache keeps prepared statements of one SQLite pool. SQLite spends a large share of a
// small statement's time compiling it, and modernc.org/sqlite does not cache compiled
// statements itself (pgx does, per connection, so PostgreSQL needs no cache here).
//
// A database/sql statement can only be created on the DB, which takes a connection, and
// the writer pool has exactly one, held by the running transaction. So a statement missed
// inside a transaction runs unprepared and is queued; prepareQueued, called before the next
// transaction begins (no connection held), prepares it. Tx.StmtContext then binds the
// statement to the transaction's connection, compiling it there once per connection.
type stmtCache struct {
	db     *sql.DB
	mu     sync.Mutex
	stmts  map[string]*sql.Stmt
	queued map[string]struct{}
}

// maxCachedStmts bounds the cache; filters produce one statement per filter shape.
const maxCachedStmts = 512

func newStmtCache(db *sql.DB) *stmtCache {
	return &stmtCache{db: db, stmts: map[string]*sql.Stmt{}, queued: map[string]struct{}{}}
}

// get returns the prepared statement of q, or nil after queueing q for preparation.
func (c *stmtCache) get(q string) *sql.Stmt {
	if c == nil {
		return nil
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if st, ok := c.stmts[q]; ok {
		return st
	}
	if len(c.stmts)+len(c.queued) < maxCachedStmts {
		c.queued[q] = struct{}{}
	}
	return nil
}

// prepareQueued prepares the queued statements. It must not be called while the caller
// holds a connection of the pool. A statement that fails to prepare is dropped: it will run
// unprepared and report its error then.
func (c *stmtCache) prepareQueued(ctx context.Context) {
	if c == nil {
		return
	}
	c.mu.Lock()
	if len(c.queued) == 0 {
		c.mu.Unlock()
		return
	}
	qs := make([]string, 0, len(c.queued))
	for q := range c.queued {
		qs = append(qs, q)
	}
	clear(c.queued)
	c.mu.Unlock()
	for _, q := range qs {
		st, err := c.db.PrepareContext(ctx, q)
		if err != nil {
			continue
		}
		c.mu.Lock()
		if _, dup := c.stmts[q]; dup {
			st.Close()
		} else {
			c.stmts[q] = st
		}
		c.mu.Unlock()
	}
}

func (c *stmtCache) close() {
	if c == nil {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	for q, st := range c.stmts {
		st.Close()
		delete(c.stmts, q)
	}
}
