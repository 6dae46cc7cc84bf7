// Package decisions keeps one decision index (package decision) per organization in memory
// for the AuthZEN decision API: built from the store on first use, kept current by applying
// the org's committed change events (the outbox, store.EventTx), and evicted, least recently
// used first, when the indexes together exceed a memory cap.
//
// Freshness: before answering, an index is caught up to the org's revision as the store
// knows it, so on one server a write that has returned is in the very next decision. The
// cache keeps a WaitRevision call pending for every org it holds, so that a store that can
// peek (store.RevisionPeeker) tells it the current revision without a query; when nothing
// changed a decision costs no database work at all. Writes made through another server are
// seen within the store's poll interval, and a caller that needs its own write can pass the
// revision that write returned (context.min_revision): the cache waits briefly for it.
//
// Anything the cache cannot apply event by event (an unknown event type, a payload it cannot
// read, an expired cursor, a revision that went backwards after a restore) makes it rebuild
// the org's index from the store: slower, never stale.
//
// It may import store, events, access, decision, service (LoadState) and the standard
// library; never a handler package.
package decisions

import (
	"container/list"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/rolecall/rolecall/internal/decision"
	"github.com/rolecall/rolecall/internal/service"
	"github.com/rolecall/rolecall/internal/store"
)

// Defaults of Options.
const (
	// DefaultMaxBytes is the memory cap of all indexes together: the enforce-groups budget
	// population (100k users, 1M memberships, 500k bindings) needs a few hundred MiB, so 1 GiB
	// holds one such org beside thousands of small ones.
	DefaultMaxBytes = 1 << 30
	// DefaultMaxWait bounds how long a decision waits for a min_revision not reached yet:
	// long enough for another server's write to be polled (100 ms) and applied, short enough
	// that a client asking for a revision that will never come is not held.
	DefaultMaxWait = time.Second
)

// Options configure a Cache; zero values take the defaults.
type Options struct {
	MaxBytes int64
	MaxWait  time.Duration
	Log      *slog.Logger
	// OnBuild, when set, is told how long each index build (or rebuild) took: the server
	// feeds it to a Prometheus histogram, which this package does not import.
	OnBuild func(time.Duration)
}

// Cache holds the orgs' decision indexes. Safe for concurrent use.
type Cache struct {
	st      store.Store
	peek    store.RevisionPeeker // nil when the store cannot peek: one query per decision
	max     int64
	maxWait time.Duration
	log     *slog.Logger
	onBuild func(time.Duration)

	ctx    context.Context // ends the watchers at Close
	cancel context.CancelFunc

	mu   sync.Mutex
	orgs map[string]*entry
	lru  list.List // of *entry, most recently used first
	used int64     // sum of the held indexes' sizes

	builds, applied, evictions atomic.Int64
	// hits and misses count Index calls that found the org's index resident or had to wait
	// for it to be built; waits count calls with a min_revision above the known revision,
	// waitsMissed those of them that answered without reaching it.
	hits, misses, waits, waitsMissed atomic.Int64
}

// entry is one org's index.
type entry struct {
	org string
	// mu serialises building and catching up (the index's single writer); readers of an
	// index that is already fresh never take it.
	mu sync.Mutex
	ix atomic.Pointer[decision.Index]
	// watching is true while the entry's watcher runs; a watcher that failed (store closed,
	// database down) ends, and the next request starts another.
	watching atomic.Bool
	// The fields below are guarded by Cache.mu.
	size    int64
	elem    *list.Element
	wctx    context.Context    // the watcher's lifetime
	stop    context.CancelFunc // ends the watcher
	evicted bool
	// sinceMeasure counts the events applied since size was last measured.
	sinceMeasure int
}

// New returns a cache over st. Close it to stop its watchers.
func New(st store.Store, o Options) *Cache {
	if o.MaxBytes <= 0 {
		o.MaxBytes = DefaultMaxBytes
	}
	if o.MaxWait <= 0 {
		o.MaxWait = DefaultMaxWait
	}
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	c := &Cache{st: st, max: o.MaxBytes, maxWait: o.MaxWait, log: o.Log, onBuild: o.OnBuild, orgs: map[string]*entry{}}
	c.peek, _ = st.(store.RevisionPeeker)
	c.ctx, c.cancel = context.WithCancel(context.Background())
	return c
}

// Close stops the watchers; the cache must not be used afterwards.
func (c *Cache) Close() { c.cancel() }

// Stats are counters for metrics and tests.
type Stats struct {
	// Orgs is the number of organizations whose index is resident; Bytes their estimated
	// size together, against MaxBytes, the cap.
	Orgs            int
	Bytes, MaxBytes int64
	// Builds counts index builds (first use, after an eviction, and rebuilds when events
	// could not be applied); Applied the change events applied to resident indexes;
	// Evictions the indexes dropped to stay under the cap.
	Builds, Applied, Evictions int64
	// Hits counts Index calls that found the org's index resident (caught up event by
	// event if needed), Misses those that waited for a build.
	Hits, Misses int64
	// MinRevisionWaits counts Index calls whose min_revision was above the revision known
	// then, so they waited; MinRevisionMissed those that answered without reaching it.
	MinRevisionWaits, MinRevisionMissed int64
}

// Stats returns the cache's counters.
func (c *Cache) Stats() Stats {
	c.mu.Lock()
	defer c.mu.Unlock()
	return Stats{Orgs: len(c.orgs), Bytes: c.used, MaxBytes: c.max, Builds: c.builds.Load(), Applied: c.applied.Load(),
		Evictions: c.evictions.Load(), Hits: c.hits.Load(), Misses: c.misses.Load(),
		MinRevisionWaits: c.waits.Load(), MinRevisionMissed: c.waitsMissed.Load()}
}

// Index returns the org's index, caught up to at least the org's current revision as this
// server knows it and, when minRevision is above that, to minRevision if it arrives within
// MaxWait. reached is false when minRevision was not reached: the index is then at the
// latest revision there is, which the decision reports (ix.Read's View.Revision), and the
// caller should say so. Callers read the index with ix.Read (or Evaluate) and report the
// revision of that read, which is never older than the state it answered from.
func (c *Cache) Index(ctx context.Context, orgID string, minRevision int64) (ix *decision.Index, reached bool, err error) {
	e := c.entry(orgID)
	if e.watching.CompareAndSwap(false, true) {
		c.mu.Lock()
		wctx := e.wctx
		c.mu.Unlock()
		go c.watch(wctx, e)
	}
	target, err := c.revision(ctx, orgID)
	if err != nil {
		return nil, false, err
	}
	waited := minRevision > target
	if waited {
		c.waits.Add(1)
		wctx, cancel := context.WithTimeout(ctx, c.maxWait)
		rev, werr := c.st.WaitRevision(wctx, orgID, minRevision-1)
		cancel()
		if rev > target {
			target = rev
		}
		if werr != nil && ctx.Err() != nil {
			return nil, false, ctx.Err()
		}
	}
	ix = e.ix.Load()
	if ix == nil {
		c.misses.Add(1)
	} else {
		c.hits.Add(1)
	}
	if ix == nil || int64(ix.Revision()) < target {
		if ix, err = c.catchUp(ctx, e, target); err != nil {
			return nil, false, err
		}
	}
	reached = minRevision <= int64(ix.Revision())
	if waited && !reached {
		c.waitsMissed.Add(1)
	}
	return ix, reached, nil
}

// revision is the org's revision as known here: peeked when a watcher is pending, else read.
func (c *Cache) revision(ctx context.Context, orgID string) (int64, error) {
	if c.peek != nil {
		if rev, ok := c.peek.PeekRevision(orgID); ok {
			return rev, nil
		}
	}
	var rev int64
	err := c.st.View(ctx, func(tx store.Tx) (err error) {
		rev, err = tx.Revision(ctx, orgID)
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("reading the organization's revision: %w", err)
	}
	return rev, nil
}

// entry returns the org's entry, creating it (with its watcher) on first use, and marks it
// most recently used.
func (c *Cache) entry(orgID string) *entry {
	c.mu.Lock()
	defer c.mu.Unlock()
	if e := c.orgs[orgID]; e != nil {
		c.lru.MoveToFront(e.elem)
		return e
	}
	e := &entry{org: orgID}
	e.elem = c.lru.PushFront(e)
	c.orgs[orgID] = e
	e.wctx, e.stop = context.WithCancel(c.ctx)
	return e
}

// watch keeps a WaitRevision call pending for the org, so that PeekRevision knows its
// revision; it applies nothing itself (decisions catch up on demand). On an error (the
// store closed, the database is down, the entry was evicted) it ends: decisions then read
// the revision from the database, and the next one starts a new watcher.
func (c *Cache) watch(ctx context.Context, e *entry) {
	defer e.watching.Store(false)
	after := int64(-1)
	for {
		rev, err := c.st.WaitRevision(ctx, e.org, after)
		if err != nil {
			return
		}
		after = rev
	}
}

// catchUp brings e's index to at least target: building it when there is none, applying
// the events after its revision, or rebuilding when they cannot be applied.
func (c *Cache) catchUp(ctx context.Context, e *entry, target int64) (*decision.Index, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	ix := e.ix.Load()
	if ix != nil && int64(ix.Revision()) >= target {
		return ix, nil // another request caught up meanwhile
	}
	if ix == nil {
		return c.build(ctx, e)
	}
	n := 0
	for int64(ix.Revision()) < target {
		var page store.EventPage
		err := c.st.View(ctx, func(tx store.Tx) (err error) {
			page, err = tx.EventsAfter(ctx, e.org, store.EventQuery{After: int64(ix.Revision()), Limit: store.MaxEventPage})
			return err
		})
		if err != nil {
			if errors.Is(err, store.ErrCursorExpired) || errors.Is(err, store.ErrInvalid) {
				c.log.Info("decision index rebuilt", "org", e.org, "why", err.Error())
				return c.build(ctx, e)
			}
			return nil, fmt.Errorf("reading the organization's changes: %w", err)
		}
		if page.Next <= int64(ix.Revision()) {
			break // nothing newer after all (a peeked revision raced a rollback)
		}
		changes, err := translate(page.Events)
		if err == nil {
			err = ix.Apply(uint64(page.Next), changes...)
		}
		if err != nil {
			c.log.Info("decision index rebuilt", "org", e.org, "why", err.Error())
			return c.build(ctx, e)
		}
		n += len(page.Events)
	}
	c.applied.Add(int64(n))
	c.mu.Lock()
	e.sinceMeasure += n
	remeasure := !e.evicted && e.sinceMeasure >= 1024
	c.mu.Unlock()
	if remeasure {
		c.account(e, ix.SizeBytes())
	}
	return ix, nil
}

// build reads the org's state and revision in one snapshot and replaces e's index.
func (c *Cache) build(ctx context.Context, e *entry) (*decision.Index, error) {
	start := time.Now()
	var ix *decision.Index
	err := c.st.View(ctx, func(tx store.Tx) error {
		rev, err := tx.Revision(ctx, e.org)
		if err != nil {
			return err
		}
		st, err := service.LoadState(ctx, tx, e.org)
		if err != nil {
			return err
		}
		actions, err := service.LoadCustomActions(ctx, tx, e.org)
		if err != nil {
			return err
		}
		if len(actions) == 0 || rev == 0 {
			// rev 0 with actions: written around the service (no event); they wait for
			// the next change of them.
			ix = decision.New(st, uint64(rev))
			return nil
		}
		// The index takes custom actions as a change: build one revision below and apply
		// them at rev, so that the whole is at rev.
		ix = decision.New(st, uint64(rev-1))
		return ix.Apply(uint64(rev), decision.ActionsReplaced{Actions: actions})
	})
	if err != nil {
		return nil, fmt.Errorf("building the decision index: %w", err)
	}
	e.ix.Store(ix)
	c.builds.Add(1)
	if c.onBuild != nil {
		c.onBuild(time.Since(start))
	}
	c.account(e, ix.SizeBytes())
	return ix, nil
}

// account records e's size and evicts least recently used indexes while the total exceeds
// the cap. The index just used is never evicted, so one org larger than the cap still
// answers (alone).
func (c *Cache) account(e *entry, size int64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if e.evicted {
		return
	}
	c.used += size - e.size
	e.size, e.sinceMeasure = size, 0
	for c.used > c.max {
		back := c.lru.Back()
		if back == nil || back.Value.(*entry) == e {
			break
		}
		c.evict(back.Value.(*entry))
	}
}

// evict drops an entry. A request holding its index finishes with it; the next request
// for the org builds afresh. Called with c.mu held.
func (c *Cache) evict(e *entry) {
	c.lru.Remove(e.elem)
	delete(c.orgs, e.org)
	c.used -= e.size
	e.evicted = true
	e.stop()
	c.evictions.Add(1)
}
