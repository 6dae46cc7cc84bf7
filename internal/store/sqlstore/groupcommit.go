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
// the writer is busy are run one after another in one transaction and committed together:
// one fsync, and a page that several of them change is written once.
//
// Each Update keeps its own all-or-nothing: it runs inside a SAVEPOINT, released when fn
// succeeds and rolled back when fn fails or panics, so a failed Update leaves nothing and
// the others in the transaction go on. Nobody is answered before the commit: a caller that
// returns from Update successfully was committed durably, exactly as before. If the commit
// itself fails, every Update of the batch gets that error and none of them is kept. The
// Updates of one batch run serially, each seeing the ones before it, so the outcome is the
// one some serial order of the callers would have produced.
//
// An Update whose fn has started runs to completion even if its context is then cancelled:
// SQLite answers an interrupted write inside an explicit transaction by rolling back the
// whole transaction, which would take the batch's other Updates with it. A context that is
// already done when its turn comes skips fn.

// Batch limits: a batch stops taking Updates after maxBatch of them or once it has run for
// maxBatchTime, so that the first caller's latency stays bounded under a steady stream.
const (
	maxBatch     = 128
	maxBatchTime = 20 * time.Millisecond
)

// errClosed answers Updates after Close.
var errClosed = errors.New("sqlstore: store is closed")

// writeReq is one Update waiting for the writer.
type writeReq struct {
	ctx context.Context
	fn  func(store.Tx) error
	res chan writeRes // buffered (1): the writer never blocks on an answer
}

// writeRes is the outcome of one Update; a panic in fn is carried back to the caller.
type writeRes struct {
	err      error
	panicked bool
	panicVal any
}

// writer owns SQLite's writer connection for Updates: one goroutine takes Updates from
// queue and runs them in batches.
type writer struct {
	s *Store
	// queue is unbuffered: a send succeeds only when the writer takes the request, so a
	// request can never be stranded in a buffer after the writer has stopped.
	queue     chan *writeReq
	quit      chan struct{}
	stopped   chan struct{}
	closeOnce sync.Once
	waiting   atomic.Int64 // Updates waiting to be taken (tests, diagnostics)
	updates   atomic.Int64 // Updates that committed
	commits   atomic.Int64 // transactions that committed
}

func newWriter(s *Store) *writer {
	w := &writer{s: s, queue: make(chan *writeReq), quit: make(chan struct{}), stopped: make(chan struct{})}
	go w.loop()
	return w
}

// close stops the writer after the batch it is running; Updates waiting get errClosed.
func (w *writer) close() {
	w.closeOnce.Do(func() { close(w.quit) })
	<-w.stopped
}

// update queues fn and waits for its outcome. It waits even when ctx is cancelled while fn
// runs: fn is the caller's closure and may write to the caller's variables.
func (w *writer) update(ctx context.Context, fn func(store.Tx) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	req := &writeReq{ctx: ctx, fn: fn, res: make(chan writeRes, 1)}
	w.waiting.Add(1)
	select {
	case w.queue <- req:
		w.waiting.Add(-1)
	case <-w.quit:
		w.waiting.Add(-1)
		return errClosed
	case <-ctx.Done():
		w.waiting.Add(-1)
		return ctx.Err()
	}
	r := <-req.res
	if r.panicked {
		panic(r.panicVal)
	}
	return r.err
}

func (w *writer) loop() {
	defer close(w.stopped)
	var next *writeReq
	for {
		if next == nil {
			select {
			case next = <-w.queue:
			case <-w.quit:
				return
			}
		}
		next = w.batch(next)
	}
}

// batch runs first and whatever queues behind it in one transaction, commits, and answers
// them. It returns a request it took but could not run in this batch (one that wants its own
// transaction), to start the next.
func (w *writer) batch(first *writeReq) (carry *writeReq) {
	s := w.s
	bg := context.Background()
	s.wcache.prepareQueued(bg)
	// The transaction outlives any one caller's context: cancelling one must not roll back
	// the others.
	stx, err := s.w.BeginTx(bg, nil)
	if err != nil {
		first.res <- writeRes{err: fmt.Errorf("sqlstore: begin: %w", err)}
		return nil
	}
	base := &tx{s: s, d: s.d, tx: stx, cache: s.wcache, detached: true,
		stmts: map[string]*sql.Stmt{}, seen: map[string]bool{}}
	alone := store.WantsOwnTransaction(first.ctx)
	// Every answer waits for the commit, failures too: a failure may have been caused by
	// an earlier Update of the batch (a userName it took), which only counts if it commits.
	var answers []answer
	start := time.Now()
	req := first
	for {
		var res writeRes
		var broken error
		switch {
		case req.ctx.Err() != nil:
			res = writeRes{err: req.ctx.Err()}
		case alone:
			res = call(base.fork(), req.fn)
		default:
			res, broken = runInSavepoint(base, req.fn)
		}
		answers = append(answers, answer{req, res})
		if broken != nil {
			// The transaction is gone: nothing of the batch is kept.
			_ = stx.Rollback()
			deliver(answers, fmt.Errorf("sqlstore: transaction rolled back with the writes grouped with it: %w", broken))
			return nil
		}
		if alone || len(answers) >= maxBatch || time.Since(start) >= maxBatchTime {
			break
		}
		select {
		case req = <-w.queue:
		default:
			req = nil
		}
		if req == nil {
			break
		}
		if store.WantsOwnTransaction(req.ctx) {
			carry = req
			break
		}
	}
	n := 0
	for _, a := range answers {
		if a.res.ok() {
			n++
		}
	}
	if n == 0 {
		_ = stx.Rollback()
		deliver(answers, nil)
		return carry
	}
	if err := stx.Commit(); err != nil {
		deliver(answers, fmt.Errorf("sqlstore: commit: %w", s.d.mapErr(err, "transaction")))
		return carry
	}
	w.commits.Add(1)
	w.updates.Add(int64(n))
	deliver(answers, nil)
	return carry
}

// answer is a request's outcome, held until its batch commits.
type answer struct {
	req *writeReq
	res writeRes
}

func (r writeRes) ok() bool { return r.err == nil && !r.panicked }

// deliver answers every request; fail, when set, replaces the outcome of those whose fn
// succeeded (their writes were not kept).
func deliver(answers []answer, fail error) {
	for _, a := range answers {
		if fail != nil && a.res.ok() {
			a.res = writeRes{err: fail}
		}
		a.req.res <- a.res
	}
}

// runInSavepoint runs fn inside a savepoint of the shared transaction: released when fn
// succeeds, rolled back to when it fails or panics. broken is set when the transaction
// itself is gone (the savepoint can be neither released nor rolled back to).
func runInSavepoint(base *tx, fn func(store.Tx) error) (res writeRes, broken error) {
	bg := context.Background()
	if _, err := base.exec(bg, "SAVEPOINT rc_update"); err != nil {
		return writeRes{err: fmt.Errorf("sqlstore: savepoint: %w", err)}, err
	}
	res = call(base.fork(), fn)
	if res.ok() {
		if _, err := base.exec(bg, "RELEASE rc_update"); err != nil {
			// fn said it succeeded, but its writes cannot be kept (SQLite rolled the
			// transaction back under it, e.g. on a full disk, and fn ignored the error).
			return writeRes{err: fmt.Errorf("sqlstore: release savepoint: %w", err)}, err
		}
		return res, nil
	}
	if _, err := base.exec(bg, "ROLLBACK TO rc_update"); err != nil {
		return res, err
	}
	if _, err := base.exec(bg, "RELEASE rc_update"); err != nil {
		return res, err
	}
	return res, nil
}

// call runs fn, turning a panic into a result the caller re-raises.
func call(t *tx, fn func(store.Tx) error) (res writeRes) {
	defer func() {
		if p := recover(); p != nil {
			res = writeRes{panicked: true, panicVal: p}
		}
	}()
	return writeRes{err: fn(t)}
}
