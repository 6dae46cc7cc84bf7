package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/rolecall/rolecall/internal/store"
)

// Group commit (SQLite). SQLite has one writer, and with synchronous=FULL every commit
// writes its pages to the WAL and waits for fsync; measured on a small SCIM write, the commit
// was a third of the request's CPU and most of its latency. So Updates that arrive while
// the writer is busy run one after another in one transaction and are committed together:
// one fsync, and a page that several of them change is written once.
//
// Each Update keeps its own all-or-nothing: its fn runs inside a SAVEPOINT, released when fn
// succeeds and rolled back when fn fails, panics or calls runtime.Goexit, so a failed Update
// leaves nothing and the others in the transaction go on. Nobody is answered before the
// commit, failures included (a failure may come from an earlier Update of the batch, such as
// a userName it took, which only counts if it commits): a caller that returns from Update
// successfully was committed durably, exactly as before. If the commit itself fails, every
// Update of the batch gets that error and none of them is kept. The Updates of a batch run
// serially, each seeing the ones before it, so the outcome is that of a serial order.
//
// fn runs on its caller's goroutine (panics keep their stack; a test's t.Fatal works): the
// callers take turns on a mutex, and the last one of a batch (no one else waiting, or the
// batch is full) commits it while the earlier ones wait for it.
//
// An Update whose fn has started runs to completion even if its context is then cancelled:
// SQLite answers an interrupted write inside an explicit transaction by rolling back the
// whole transaction, which would take the batch's other Updates with it. A context that is
// already done when the caller's turn comes skips fn.

// Batch limits: a batch stops taking Updates after maxBatch of them or once it has been open
// for maxBatchTime, so that the first caller's latency stays bounded under a steady stream.
const (
	maxBatch     = 128
	maxBatchTime = 20 * time.Millisecond
)

// errClosed answers Updates after Close.
var errClosed = errors.New("sqlstore: store is closed")

// writer runs SQLite's Updates on the writer connection, grouping them into batches.
type writer struct {
	s *Store
	// mu is held by the caller whose fn is running (or who is committing). Callers announce
	// themselves in waiting before they block on mu and leave it once they hold mu, so a
	// holder that sees waiting > 0 knows someone will continue (and commit) its batch.
	mu      sync.Mutex
	waiting atomic.Int64
	cur     *batch       // the open transaction, or nil; guarded by mu
	closed  bool         // guarded by mu
	updates atomic.Int64 // Updates that committed
	commits atomic.Int64 // transactions that committed
	// window is how long a batch stays open to later callers: maxBatchTime, except in tests
	// that assert how Updates were grouped, where a timer firing on a loaded machine would
	// close a batch before the test's callers have queued.
	window time.Duration
}

// batch is one shared transaction.
type batch struct {
	stx   *sql.Tx
	base  *tx
	start time.Time
	size  int // Updates that took their turn in it
	kept  int // Updates whose writes it holds
	// appended is the last event Seq per org of the Updates it kept, published to
	// WaitRevision callers once the batch has committed.
	appended map[string]int64
	// done is closed once the batch committed or was rolled back; err is then the outcome
	// for the Updates it kept.
	done chan struct{}
	err  error
}

func newWriter(s *Store) *writer { return &writer{s: s, window: maxBatchTime} }

// close commits an open batch (its callers are waiting for it) and refuses later Updates.
func (w *writer) close() {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.closed = true
	if w.cur != nil {
		w.finish(w.cur)
	}
}

// update runs fn as one all-or-nothing part of the current batch and returns once the batch
// has committed.
func (w *writer) update(ctx context.Context, fn func(store.Tx) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	w.waiting.Add(1)
	w.mu.Lock()
	w.waiting.Add(-1)
	if w.closed {
		w.mu.Unlock()
		return errClosed
	}
	if store.WantsOwnTransaction(ctx) {
		return w.alone(ctx, fn)
	}
	b := w.cur
	if b == nil {
		var err error
		if b, err = w.begin(); err != nil {
			w.mu.Unlock()
			return err
		}
	}
	if err := ctx.Err(); err != nil {
		w.release(b)
		return err
	}
	if _, err := b.base.exec(context.Background(), "SAVEPOINT rc_update"); err != nil {
		w.abort(b, err)
		return fmt.Errorf("sqlstore: savepoint: %w", err)
	}
	settled := false
	defer func() {
		if !settled {
			// fn panicked or called runtime.Goexit: undo its writes, let the batch go on
			// without it, and let the panic continue.
			if err := rollbackTo(b); err != nil {
				w.abort(b, err)
			} else {
				w.release(b)
			}
		}
	}()
	ft := b.base.fork()
	ferr := fn(ft)
	settled = true
	if ferr != nil {
		if err := rollbackTo(b); err != nil {
			w.abort(b, err)
			return ferr
		}
		w.release(b)
		<-b.done
		return ferr
	}
	if _, err := b.base.exec(context.Background(), "RELEASE rc_update"); err != nil {
		// fn said it succeeded, but its writes cannot be kept: SQLite rolled the transaction
		// back under it (a full disk, an I/O error) and fn did not pass the error on.
		w.abort(b, err)
		return fmt.Errorf("sqlstore: release savepoint: %w", err)
	}
	b.kept++
	for org, seq := range ft.appended {
		if b.appended == nil {
			b.appended = map[string]int64{}
		}
		b.appended[org] = seq // later Updates of the batch number after earlier ones
	}
	w.release(b)
	<-b.done
	return b.err
}

// begin opens a batch. The transaction outlives any one caller's context: cancelling one
// must not roll back the others. Called with mu held.
func (w *writer) begin() (*batch, error) {
	s := w.s
	bg := context.Background()
	s.wcache.prepareQueued(bg) // no connection is held between batches
	stx, err := s.w.BeginTx(bg, nil)
	if err != nil {
		return nil, fmt.Errorf("sqlstore: begin: %w", err)
	}
	b := &batch{stx: stx, start: time.Now(), done: make(chan struct{}),
		base: &tx{s: s, d: s.d, tx: stx, cache: s.wcache, detached: true,
			stmts: map[string]*sql.Stmt{}, seen: map[string]bool{}}}
	w.cur = b
	return b, nil
}

// release ends the caller's turn: it hands the batch on to the next caller when one is
// waiting and the batch has room, and otherwise commits it. Called with mu held; returns
// with it released.
func (w *writer) release(b *batch) {
	b.size++
	if w.waiting.Load() > 0 && b.size < maxBatch && time.Since(b.start) < w.window {
		w.mu.Unlock()
		return
	}
	w.finish(b)
	w.mu.Unlock()
}

// finish commits the batch (or rolls back one that kept nothing) and wakes its callers.
// Called with mu held.
func (w *writer) finish(b *batch) {
	w.cur = nil
	defer close(b.done)
	if b.kept == 0 {
		_ = b.stx.Rollback()
		return
	}
	if err := b.stx.Commit(); err != nil {
		b.err = fmt.Errorf("sqlstore: commit: %w", w.s.d.mapErr(err, "transaction"))
		return
	}
	w.commits.Add(1)
	w.updates.Add(int64(b.kept))
	w.s.hub.publish(b.appended)
}

// abort gives up a batch whose transaction is gone: nothing of it is kept, and the Updates
// it kept are told so. Called with mu held; returns with it released.
func (w *writer) abort(b *batch, cause error) {
	w.cur = nil
	_ = b.stx.Rollback()
	b.err = fmt.Errorf("sqlstore: transaction rolled back with the writes grouped with it: %w", cause)
	close(b.done)
	w.mu.Unlock()
}

// rollbackTo undoes the current caller's savepoint. An error means the transaction is gone.
func rollbackTo(b *batch) error {
	bg := context.Background()
	if _, err := b.base.exec(bg, "ROLLBACK TO rc_update"); err != nil {
		return err
	}
	_, err := b.base.exec(bg, "RELEASE rc_update")
	return err
}

// alone runs fn in a transaction of its own (store.OwnTransaction), after committing the
// open batch. Called with mu held; returns with it released. The transaction is the
// caller's alone, so it may use the caller's context as before.
func (w *writer) alone(ctx context.Context, fn func(store.Tx) error) error {
	defer w.mu.Unlock()
	if w.cur != nil {
		w.finish(w.cur)
	}
	if err := w.s.run(ctx, w.s.w, false, fn); err != nil {
		return err
	}
	w.commits.Add(1)
	w.updates.Add(1)
	return nil
}
