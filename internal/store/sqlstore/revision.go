package sqlstore

import (
	"context"
	"sync"
	"time"
)

// Change notification (store.RevisionWaiter). Waiters block on a per-org channel that is
// closed, and replaced, whenever the org's revision is seen to rise. It rises through two
// paths:
//
//   - this Store's own commits: once a transaction (or, on SQLite, a group-commit batch)
//     that appended events has committed, the new revisions are published at once. Never
//     before the commit: a waiter woken early would read the database and find nothing.
//   - a poller, running only while someone waits, that reads the watched orgs' revisions
//     every poll interval (WithRevisionPoll, default defaultRevisionPoll). It catches commits
//     of other servers on the same PostgreSQL database and of other processes on the same
//     SQLite file (offline admin commands).
//
// Polling rather than LISTEN/NOTIFY for the second path: pg_notify inside the transaction
// would be delivered at commit, but PostgreSQL serialises the commits of all notifying
// transactions of the whole cluster behind one lock held across the commit's WAL flush,
// which would cap every org's write rate together at one fsync at a time; LISTEN also needs
// a dedicated session per server (not possible through a transaction-pooling PgBouncer) and
// a re-read of everything after each reconnect anyway. A poll is one indexed query per
// interval per server, for the orgs being waited on only, and costs nothing when nobody
// waits. Its latency (the interval, 100 ms by default) is well within the 1 s that another
// server is allowed, and leaves most of the 250 ms commit-to-webhook budget to a dispatcher
// on another server than the writer; a waiter on the writing server is woken without it.

// defaultRevisionPoll is how often the revisions of waited-on orgs are read.
const defaultRevisionPoll = 100 * time.Millisecond

// revisionHub wakes WaitRevision callers.
type revisionHub struct {
	s    *Store
	poll time.Duration

	mu      sync.Mutex
	orgs    map[string]*orgWatch // orgs someone waits on
	polling bool                 // the poller goroutine runs
	closed  bool
	stop    chan struct{} // closed by close
}

// orgWatch is one org's waiters.
type orgWatch struct {
	rev     int64         // highest revision seen
	ch      chan struct{} // closed when rev rises
	waiters int
}

func newRevisionHub(s *Store, poll time.Duration) *revisionHub {
	if poll <= 0 {
		poll = defaultRevisionPoll
	}
	return &revisionHub{s: s, poll: poll, orgs: map[string]*orgWatch{}, stop: make(chan struct{})}
}

// publish records that the orgs' revisions reached revs and wakes their waiters. Revisions
// only rise: a lower value (a poll that raced a commit) is ignored.
func (h *revisionHub) publish(revs map[string]int64) {
	if len(revs) == 0 {
		return
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	for org, rev := range revs {
		w := h.orgs[org]
		if w == nil || rev <= w.rev {
			continue
		}
		w.rev = rev
		close(w.ch)
		w.ch = make(chan struct{})
	}
}

// wait implements WaitRevision. The watch is registered before the database is read, so a
// commit that lands in between is either seen by the read or published to the watch.
func (h *revisionHub) wait(ctx context.Context, orgID string, after int64) (int64, error) {
	h.mu.Lock()
	if h.closed {
		h.mu.Unlock()
		return 0, errClosed
	}
	w := h.orgs[orgID]
	if w == nil {
		w = &orgWatch{ch: make(chan struct{})}
		h.orgs[orgID] = w
	}
	w.waiters++
	if !h.polling {
		h.polling = true
		go h.run()
	}
	h.mu.Unlock()
	defer func() {
		h.mu.Lock()
		if w.waiters--; w.waiters == 0 {
			delete(h.orgs, orgID)
		}
		h.mu.Unlock()
	}()

	rev, err := h.read(ctx, []string{orgID})
	if err != nil {
		return 0, err
	}
	h.publish(rev)
	for {
		h.mu.Lock()
		cur, ch := w.rev, w.ch
		h.mu.Unlock()
		if cur > after {
			return cur, nil
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return cur, ctx.Err()
		case <-h.stop:
			return cur, errClosed
		}
	}
}

// run polls the watched orgs' revisions until nobody waits or the Store closes.
func (h *revisionHub) run() {
	tick := time.NewTicker(h.poll)
	defer tick.Stop()
	for {
		select {
		case <-h.stop:
			return
		case <-tick.C:
		}
		h.mu.Lock()
		if len(h.orgs) == 0 {
			h.polling = false
			h.mu.Unlock()
			return
		}
		ids := make([]string, 0, len(h.orgs))
		for id := range h.orgs {
			ids = append(ids, id)
		}
		h.mu.Unlock()
		ctx, cancel := context.WithTimeout(context.Background(), max(h.poll, time.Second))
		revs, err := h.read(ctx, ids)
		cancel()
		if err == nil {
			h.publish(revs)
		}
		// An error (a restarting database) is retried at the next tick; waiters keep
		// waiting until their own deadline.
	}
}

// read returns the revisions of the orgs that have one (orgs before their first event have
// none, which is revision 0 and wakes nobody).
func (h *revisionHub) read(ctx context.Context, ids []string) (map[string]int64, error) {
	s := h.s
	rows, err := s.r.QueryContext(ctx, "SELECT org_id, revision FROM org_revisions WHERE org_id IN "+s.d.list(1), s.d.listArg(ids))
	if err != nil {
		return nil, s.d.mapErr(err, "revisions")
	}
	defer rows.Close()
	revs := make(map[string]int64, len(ids))
	for rows.Next() {
		var id string
		var rev int64
		if err := rows.Scan(&id, &rev); err != nil {
			return nil, s.d.mapErr(err, "revisions")
		}
		revs[id] = rev
	}
	return revs, s.d.mapErr(rows.Err(), "revisions")
}

// close wakes every waiter with errClosed and stops the poller.
func (h *revisionHub) close() {
	h.mu.Lock()
	defer h.mu.Unlock()
	if !h.closed {
		h.closed = true
		close(h.stop)
	}
}

// WaitRevision blocks until the org's revision exceeds after (store.RevisionWaiter).
func (s *Store) WaitRevision(ctx context.Context, orgID string, after int64) (int64, error) {
	return s.hub.wait(ctx, orgID, after)
}
