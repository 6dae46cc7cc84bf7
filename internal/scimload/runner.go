package scimload

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"time"
)

// kind names one sort of request, so that latencies of different requests are not mixed up
// (a 10,000-member PATCH and a lookup have nothing to say about each other's percentiles).
type kind uint8

const (
	kCreateUser kind = iota
	kLookup
	kLookupMiss
	kPatchUser
	kDeactivate
	kCreateGroup
	kGroupLookup
	kAddMembers
	kAddMember
	kRemoveMember
	kBulkAdd
	kBulkRemove
	kPage
	kVerify
	kEvaluation
	kEvaluations
	kSearch
	numKinds
)

var kindNames = [numKinds]string{
	"create_user", "lookup", "lookup_miss", "patch_user", "deactivate", "create_group",
	"group_lookup", "add_members", "add_member", "remove_member", "bulk_add", "bulk_remove",
	"page", "verify", "evaluation", "evaluations", "search",
}

// errStop tells a task that the phase's budget of requests or its time is used up. It is not
// a failure and is never recorded.
var errStop = errors.New("scimload: phase over")

// failure wraps an error that was recorded against a request: the task should give up on the
// rest of its requests (they depend on this one) but the worker goes on.
type failure struct{ err error }

func (f failure) Error() string { return f.err.Error() }

// errorLog keeps the first few error details of a run.
type errorLog struct {
	mu      sync.Mutex
	max     int
	details []string
}

func (l *errorLog) add(s string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.details) < l.max {
		l.details = append(l.details, s)
	}
}

func (l *errorLog) list() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]string(nil), l.details...)
}

// phase is one bounded stretch of work: at most budget requests, none started after deadline
// (zero: no deadline), spread over workers that claim numbered tasks in order.
type phase struct {
	name     string
	cl       *client
	budget   int64
	tasks    int // when > 0, task numbers stop below it (setup tasks index slices by it)
	deadline time.Time
	reserved atomic.Int64
	errs     *errorLog
	workers  []*worker
	elapsed  time.Duration
}

// worker runs tasks one after another and records what its requests took. Each has its own
// histograms, so recording takes no lock.
type worker struct {
	id      int
	ph      *phase
	rng     *rand.Rand
	hists   [numKinds]*Histogram
	errors  [numKinds]int64
	prepaid int
	state   any // a workload's per-worker state (a page walk, a pending membership)
}

// take claims n requests from the budget, or reports that the phase is over.
func (p *phase) take(n int) bool {
	if !p.deadline.IsZero() && time.Now().After(p.deadline) {
		return false
	}
	return p.reserved.Add(int64(n)) <= p.budget
}

// reserve claims n requests at once for a task whose requests must not be cut apart (an add
// and the remove that undoes it). The following n calls of exec use them.
func (w *worker) reserve(n int) error {
	w.prepaid = 0
	if !w.ph.take(n) {
		return errStop
	}
	w.prepaid = n
	return nil
}

// exec sends one request, times it, checks the answer with check and records the outcome
// under k. It returns errStop when the phase is over, a failure when the request was recorded
// as an error, and otherwise the response.
func (w *worker) exec(ctx context.Context, k kind, method, path string, body []byte, check func(status int, body []byte) error) (response, error) {
	if w.prepaid > 0 {
		w.prepaid--
	} else if !w.ph.take(1) {
		return response{}, errStop
	}
	start := time.Now()
	resp, err := w.ph.cl.do(ctx, method, path, body)
	d := time.Since(start)
	if err == nil {
		err = check(resp.status, resp.body)
	}
	if err != nil && ctx.Err() != nil {
		return resp, errStop // interrupted by the caller: says nothing about the server
	}
	w.record(k, d)
	if err != nil {
		w.fail(k, fmt.Sprintf("%s %s: %v", method, trimQuery(path), err))
		return resp, failure{err}
	}
	return resp, nil
}

// record adds one latency under k.
func (w *worker) record(k kind, d time.Duration) {
	h := w.hists[k]
	if h == nil {
		h = NewHistogram()
		w.hists[k] = h
	}
	h.Record(d)
}

// fail counts one error under k and keeps its detail if there is room.
func (w *worker) fail(k kind, detail string) {
	w.errors[k]++
	w.ph.errs.add(kindNames[k] + ": " + detail)
}

// trimQuery keeps error lines short when a path carries a long query.
func trimQuery(p string) string {
	if len(p) > 160 {
		return p[:160] + "…"
	}
	return p
}

// run starts workers that call task with increasing task numbers until task reports errStop
// (budget or deadline reached) or ctx ends, and waits for all of them.
func (p *phase) run(ctx context.Context, workers int, seed uint64, task func(ctx context.Context, w *worker, t int) error) {
	var next atomic.Int64
	var wg sync.WaitGroup
	p.workers = make([]*worker, workers)
	for i := range p.workers {
		p.workers[i] = &worker{id: i, ph: p, rng: rand.New(rand.NewPCG(seed, uint64(i)+1))}
	}
	start := time.Now()
	for _, w := range p.workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ctx.Err() == nil {
				t := int(next.Add(1) - 1)
				if p.tasks > 0 && t >= p.tasks {
					return
				}
				if err := task(ctx, w, t); errors.Is(err, errStop) {
					return
				}
			}
		}()
	}
	wg.Wait()
	p.elapsed = time.Since(start)
}

// totals merges the workers' records of the given kinds (all kinds when none are given).
func (p *phase) totals(kinds ...kind) (h *Histogram, errs int64) {
	if len(kinds) == 0 {
		for k := range numKinds {
			kinds = append(kinds, k)
		}
	}
	h = NewHistogram()
	for _, w := range p.workers {
		for _, k := range kinds {
			h.Merge(w.hists[k])
			errs += w.errors[k]
		}
	}
	return h, errs
}

// kindsUsed lists the kinds that recorded at least one request, in kind order.
func (p *phase) kindsUsed() []kind {
	var used []kind
	for k := range numKinds {
		for _, w := range p.workers {
			if w.hists[k] != nil || w.errors[k] > 0 {
				used = append(used, k)
				break
			}
		}
	}
	return used
}
