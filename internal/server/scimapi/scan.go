package scimapi

import (
	"net/http"
	"runtime"
	"strconv"
	"sync"
	"time"

	"github.com/rolecall/rolecall/internal/api"
	"github.com/rolecall/rolecall/internal/scim"
	"github.com/rolecall/rolecall/internal/server/respond"
	"github.com/rolecall/rolecall/internal/store"
)

// One organization must not stall another. A list whose filter or sort the database cannot
// answer from its indexes is a scan: every candidate the indexed part of the filter leaves
// is read, rendered and matched in memory, seconds per request at 100,000 users, holding one
// of SQLite's few reader connections and a CPU core throughout. Every scan takes a slot: at
// most Deps.ScanConcurrency per org (serve --scim-scan-concurrency, default 1) and
// Deps.ScanConcurrencyTotal in the whole server (--scim-scan-concurrency-total, default 2).
// A scan that finds no free slot is answered 429 (the server's middleware adds Retry-After)
// at once, before any database work, so lookups and writes, which the database answers from
// its indexes, always find a connection and a core. A scan over more candidates than
// Deps.ScanMax (serve --scim-scan-max, default 20,000) is refused with 400 tooMany after one
// count. A scan past its first batch is paced to about half a core (scanGuard.next), and
// every scan stops at the request's deadline (the request context the server's middleware
// sets, checked between batches and passed to every query).

// scanLimiter counts the scans in progress, per org and in total.
type scanLimiter struct {
	perOrg, total int // ≤ 0: no limit

	mu    sync.Mutex
	byOrg map[string]int
	n     int
}

func newScanLimiter(perOrg, total int) *scanLimiter {
	return &scanLimiter{perOrg: perOrg, total: total, byOrg: map[string]int{}}
}

// acquire takes a scan slot for org without waiting: a waiting scan would keep its read
// transaction (and database connection) open. It returns the release function, or ok=false
// and which limit was reached.
func (l *scanLimiter) acquire(org string) (release func(), perOrgFull bool, ok bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.perOrg > 0 && l.byOrg[org] >= l.perOrg {
		return nil, true, false
	}
	if l.total > 0 && l.n >= l.total {
		return nil, false, false
	}
	l.byOrg[org]++
	l.n++
	var once sync.Once
	return func() {
		once.Do(func() {
			l.mu.Lock()
			defer l.mu.Unlock()
			l.n--
			if l.byOrg[org]--; l.byOrg[org] <= 0 {
				delete(l.byOrg, org)
			}
		})
	}, false, true
}

// scanSlot takes a scan slot for org or returns the 429 to answer.
func (s *API) scanSlot(org string) (func(), error) {
	release, perOrg, ok := s.scans.acquire(org)
	if ok {
		return release, nil
	}
	msg := "this organization already runs " + strconv.Itoa(s.scans.perOrg) + " filter(s) that the database cannot answer from its indexes (serve --scim-scan-concurrency)"
	if !perOrg {
		msg = "the server already runs " + strconv.Itoa(s.scans.total) + " filters that the database cannot answer from its indexes (serve --scim-scan-concurrency-total)"
	}
	return nil, &respond.Busy{Status: http.StatusTooManyRequests, Code: api.CodeRateLimited,
		Msg: msg + "; retry after " + strconv.Itoa(int(respond.BusyRetryAfter/time.Second)) + " s, or filter on userName, externalId, displayName, emails.value, active or meta, which are answered at once"}
}

// startScan takes the scan's slot, then counts its candidates (from the org's live count or
// the index of the filter's SQL part) before reading any: a scan over more than
// Deps.ScanMax is refused with 400 tooMany. The slot comes first so that a refused scan
// (429) costs no database work at all: measured with bench/noisyorg, five workers retrying
// refused scans, each counting (or reading a first batch) before being refused, tripled
// another org's lookup p99 while the sixth scan ran.
func (e *listExec) startScan(g *scanGuard) error {
	release, err := e.s.scanSlot(e.org)
	if err != nil {
		return err
	}
	g.release = release
	_, n, err := e.list(store.Query{Filter: e.plan.cond, Page: store.Page{Limit: 0}})
	if err != nil {
		return err
	}
	if limit := e.s.cfg.ScanMax; limit > 0 && n > limit {
		return e.tooLarge(n, limit)
	}
	g.last = time.Now()
	return nil
}

// tooLarge is the refusal of a scan over n candidates, more than limit.
func (e *listExec) tooLarge(n, limit int) error {
	what := "users"
	attrs := "userName, externalId, emails.value, displayName, active, id or meta"
	if e.kind == scimGroups {
		what = "groups"
		attrs = "displayName, externalId, members.value, id or meta"
	}
	return scim.ErrTooMany("this filter or sort needs the server to read %d %s one by one, more than the %d it reads for one request (serve --scim-scan-max): the database answers only %s from its indexes; filter on those (they can be combined with the rest using and)",
		n, what, limit, attrs)
}

// scanGuard follows one scan: it holds the scan's slot, stops the scan when the request's
// deadline has passed, and paces it.
type scanGuard struct {
	release func()
	batches int
	last    time.Time // when the previous batch was read
}

// next is called after each batch of n candidates is read. A scan past its first batch
// rests between batches as long as it worked on the last one (reading, rendering,
// matching), so it takes at most about half a core; measured with bench/noisyorg, this
// halves the p90 and p99 of other orgs' lookups while a 100,000-user scan runs, for a scan
// about 1.5× slower (BENCHMARKS.md). A scan of one batch is not slowed.
func (g *scanGuard) next(e *listExec, n int) error {
	if err := e.ctx.Err(); err != nil {
		return err
	}
	if g.batches++; g.batches > 1 {
		select {
		case <-time.After(time.Since(g.last)):
		case <-e.ctx.Done():
			return e.ctx.Err()
		}
	}
	g.last = time.Now()
	return nil
}

func (g *scanGuard) done() {
	if g.release != nil {
		g.release()
	}
}

// scanYield lets other goroutines run every 32 rows of a scan's CPU-bound work (decoding
// and rendering documents, tens of microseconds each). Go would preempt the scan only after
// 10 ms, and a lookup of another org waits for a core several times on its way (network,
// handler, database driver).
func scanYield(i int) {
	if i&31 == 31 {
		runtime.Gosched()
	}
}
