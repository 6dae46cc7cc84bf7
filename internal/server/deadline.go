package server

import (
	"context"
	"errors"
	"net/http"
	"runtime"
	"strconv"
	"sync"
	"time"

	"github.com/rolecall/rolecall/internal/api"
)

// One organization must not stall another. Two mechanisms bound what one request, and one
// organization, can take from everyone else:
//
//   - Every request runs under a deadline (serve --request-timeout, default 30 s) set by the
//     middleware on the request's context. The context reaches every store call and through
//     it every SQL query (database/sql's QueryContext; SQLite is interrupted, PostgreSQL
//     cancels the statement), and the in-memory filter scan checks it between batches. A
//     request past its deadline stops, writes nothing (its transaction rolls back) and is
//     answered 503 with Retry-After.
//   - A list whose filter or sort the database cannot answer is a scan: the server reads and
//     matches the org's resources in memory, seconds per request at 100,000 users, holding
//     one of SQLite's few reader connections and a CPU core throughout. Scans that go past
//     their first batch of candidates take a slot: at most --scim-scan-concurrency per org
//     (default 1) and --scim-scan-concurrency-total in the whole server (default 2). A scan
//     that finds no free slot is answered 429 with Retry-After at once, before it holds
//     anything for long, so lookups and writes, which the database answers from its indexes,
//     always find a connection and a core. Small scans (one batch) never need a slot. A
//     scan with a slot is paced to about half a core (scanGuard.next).

// Defaults of the limits above.
const (
	DefaultRequestTimeout       = 30 * time.Second
	DefaultScanConcurrency      = 1
	DefaultScanConcurrencyTotal = 2
)

// busyRetryAfter is the Retry-After of a 429 or 503 answer that names no wait of its own:
// long enough for a scan or a stalled request to end, short enough for an IdP's retry.
const busyRetryAfter = 5 * time.Second

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

// busyError is an answer of "not now": a scan refused for want of a slot (429) or a request
// stopped by its deadline (503). The middleware adds Retry-After to both.
type busyError struct {
	status int
	code   string
	msg    string
}

func (e *busyError) Error() string { return e.msg }

// scanSlot takes a scan slot for e's org or returns the 429 to answer.
func (s *Server) scanSlot(org string) (func(), error) {
	release, perOrg, ok := s.scans.acquire(org)
	if ok {
		return release, nil
	}
	msg := "this organization already runs " + strconv.Itoa(s.scans.perOrg) + " filter(s) that the database cannot answer from its indexes (serve --scim-scan-concurrency)"
	if !perOrg {
		msg = "the server already runs " + strconv.Itoa(s.scans.total) + " filters that the database cannot answer from its indexes (serve --scim-scan-concurrency-total)"
	}
	return nil, &busyError{status: http.StatusTooManyRequests, code: api.CodeRateLimited,
		msg: msg + "; retry after " + strconv.Itoa(int(busyRetryAfter/time.Second)) + " s, or filter on userName, externalId, displayName, emails.value, active or meta, which are answered at once"}
}

// asBusy reports whether err, returned while serving r, is a busyError, or the effect of r's
// deadline (whatever error the driver made of the interruption), as the busyError to answer.
func (s *Server) asBusy(r *http.Request, err error) (*busyError, bool) {
	var be *busyError
	if errors.As(err, &be) {
		return be, true
	}
	if errors.Is(r.Context().Err(), context.DeadlineExceeded) || errors.Is(err, context.DeadlineExceeded) {
		return &busyError{status: http.StatusServiceUnavailable, code: api.CodeUnavailable,
			msg: "the request did not finish within the server's request deadline of " + s.cfg.RequestTimeout.String() +
				" (serve --request-timeout) and was stopped; nothing was changed. Retry later, or narrow the request"}, true
	}
	return nil, false
}

// scanGuard follows one scan: it takes a slot once the scan outgrows its first batch, stops
// the scan when the request's deadline has passed, and paces it.
type scanGuard struct {
	release func()
	last    time.Time // when the previous batch was read
}

// next is called after each batch of n candidates is read.
func (g *scanGuard) next(e *listExec, n int) error {
	if err := e.ctx.Err(); err != nil {
		return err
	}
	if g.release != nil {
		// A scan that holds a slot rests between batches as long as it worked on the last
		// one (reading, rendering, matching), so it takes at most about half a core. Measured
		// with bench/noisyorg, this halves the p90 and p99 of other orgs' lookups while a
		// 100,000-user scan runs, for a scan about 1.5× slower.
		select {
		case <-time.After(time.Since(g.last)):
		case <-e.ctx.Done():
			return e.ctx.Err()
		}
	} else if n == scanBatch { // a full batch: more candidates may follow
		release, err := e.s.scanSlot(e.org)
		if err != nil {
			return err
		}
		g.release = release
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
// handler, database driver), so without it two scans on a two-core machine add tens of
// milliseconds to every other request.
func scanYield(i int) {
	if i&31 == 31 {
		runtime.Gosched()
	}
}
