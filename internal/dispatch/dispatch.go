// Package dispatch delivers the orgs' change events to their webhook endpoints: the
// dispatcher a server runs (server.Serve starts it and stops it with the server).
//
// It leases due endpoints (store.WebhookTx LeaseWebhooks: on PostgreSQL several servers get
// disjoint endpoints), and for each leased endpoint one worker reads the events after its
// cursor and sends them one at a time, in order, with delivery.Sender. Progress is written
// back (the new cursor, the delivery log) after each batch of events sent, renewing the
// lease; a server that dies loses at most the progress of the batch it was sending, which
// the next holder sends again with the same webhook-id: at least once, in order. A failed
// attempt backs off per the retry schedule (Retry-After honoured) and releases the endpoint
// until its next attempt is due; 410 disables it ("gone"), the last failed attempt
// ("failing"), and a cursor whose events were pruned ("expired"), each audited by the
// service as webhook.disabled.
//
// It wakes at once when an org with endpoints commits on this server (store.RevisionWaiter
// publishes this Store's commits as they happen) and within the store's poll interval (under
// a second) of other servers' commits, and polls for due retries every Options.Poll.
//
// It may import service (every read and write goes through it: one transaction each, audit
// included), store (types), delivery, events, Prometheus and the standard library.
package dispatch

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"os"
	"sync"
	"time"

	"github.com/google/uuid"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/rolecall/rolecall/internal/delivery"
	"github.com/rolecall/rolecall/internal/service"
	"github.com/rolecall/rolecall/internal/store"
)

// flushEvery and flushInterval bound the events sent, and the time, between two writes of
// progress: a server that dies sends again at most that many (with the same webhook-ids).
const (
	flushEvery    = 50
	flushInterval = 200 * time.Millisecond
)

// watchPause is the least time between two wakes by an org's commits.
const watchPause = 25 * time.Millisecond

// idleFlush is how long a caught-up worker with unwritten progress waits for more events
// before writing it.
const idleFlush = 20 * time.Millisecond

// coalesce is how long a worker woken by a commit waits for more before reading.
const coalesce = 2 * time.Millisecond

// Defaults of Options.
const (
	DefaultLease    = 30 * time.Second
	DefaultWorkers  = 16
	DefaultPoll     = 500 * time.Millisecond
	DefaultPageSize = 500
)

// Options shape a Dispatcher; zero fields take the defaults.
type Options struct {
	// Lease is how long an endpoint is leased; the worker renews it at half-time. A server
	// that dies holding a lease delays its endpoints by at most this.
	Lease time.Duration
	// Workers is the most endpoints this server delivers to at once.
	Workers int
	// Poll is how often due retries (and other servers' leases that expired) are looked for.
	Poll time.Duration
	// PageSize is how many events a worker reads at a time; progress is written after each.
	PageSize int
	// IdleRelease is how long a worker keeps an endpoint it has caught up with, waiting for
	// the next event, before releasing it (default: Lease).
	IdleRelease time.Duration
	// NextDelay is the retry schedule: the wait after failed attempt number attempt, false
	// when the event has had all its attempts. Default: delivery.NextDelay (about three
	// days, jittered). Tests inject a schedule of milliseconds.
	NextDelay func(attempt int, retryAfter time.Duration) (time.Duration, bool)
	// Owner names this dispatcher in leases; default: host, pid and a random suffix.
	Owner string
	// Registerer receives the metrics (nil: none are registered).
	Registerer prometheus.Registerer
	Log        *slog.Logger
}

// Dispatcher delivers events to webhook endpoints.
type Dispatcher struct {
	svc *service.Service
	o   Options
	m   *dispatchMetrics

	wake    chan struct{}
	changed chan struct{} // Changed: re-read which orgs have endpoints

	mu     sync.Mutex
	active map[string]*running // the workers running now, by endpoint id
	leases int64               // numbers this dispatcher's leases (leaseOwner)
}

// running is a worker: cancel stops it, done is closed when it has returned.
type running struct {
	cancel context.CancelFunc
	done   chan struct{}
}

// New returns a dispatcher over svc (its Sender and base URL come from svc.SetWebhooks).
func New(svc *service.Service, o Options) *Dispatcher {
	if o.Lease <= 0 {
		o.Lease = DefaultLease
	}
	if o.Workers <= 0 {
		o.Workers = DefaultWorkers
	}
	if o.Poll <= 0 {
		o.Poll = DefaultPoll
	}
	if o.PageSize <= 0 {
		o.PageSize = DefaultPageSize
	}
	if o.IdleRelease <= 0 {
		o.IdleRelease = o.Lease
	}
	if o.NextDelay == nil {
		rnd := rand.New(rand.NewPCG(rand.Uint64(), rand.Uint64()))
		var mu sync.Mutex
		o.NextDelay = func(attempt int, retryAfter time.Duration) (time.Duration, bool) {
			mu.Lock()
			defer mu.Unlock()
			return delivery.NextDelay(attempt, retryAfter, rnd)
		}
	}
	if o.Owner == "" {
		host, _ := os.Hostname()
		o.Owner = fmt.Sprintf("%s/%d/%s", host, os.Getpid(), uuid.NewString()[:8])
	}
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	return &Dispatcher{svc: svc, o: o, m: newMetrics(o.Registerer), wake: make(chan struct{}, 1), changed: make(chan struct{}, 1), active: map[string]*running{}}
}

// Owner is the name this dispatcher leases endpoints under.
func (d *Dispatcher) Owner() string { return d.o.Owner }

// Wake makes the dispatcher look for due endpoints now.
func (d *Dispatcher) Wake() {
	select {
	case d.wake <- struct{}{}:
	default:
	}
}

// Changed tells the dispatcher that an endpoint was created, changed, rotated, rewound or
// deleted on this server (service.WebhookOptions.Changed): a worker of this server sending
// to it stops at once, so that nothing more goes out with the old URL, secrets or types,
// or to an endpoint an admin disabled or deleted (the store broke its lease, which stops a
// worker of another server at its next write of progress, within flushEvery events); the
// dispatcher starts watching the endpoint's org for commits at once (rather than at its
// next refresh) and looks for due endpoints now.
func (d *Dispatcher) Changed(endpointID string) {
	d.mu.Lock()
	if w := d.active[endpointID]; w != nil {
		w.cancel()
	}
	d.mu.Unlock()
	select {
	case d.changed <- struct{}{}:
	default:
	}
	d.Wake()
}

// Run delivers until ctx ends, then waits for its workers to write back their progress
// and release their leases, and returns.
func (d *Dispatcher) Run(ctx context.Context) {
	var wg sync.WaitGroup
	defer wg.Wait()
	wg.Add(1)
	go func() { defer wg.Done(); d.watchOrgs(ctx) }()
	timer := time.NewTimer(0)
	defer timer.Stop()
	done := make(chan struct{}, 1)
	for {
		select {
		case <-ctx.Done():
			return
		case <-timer.C:
		case <-d.wake:
		case <-done:
		}
		d.mu.Lock()
		free := d.o.Workers - len(d.active)
		d.mu.Unlock()
		if free > 0 {
			now := time.Now()
			// Each lease has an owner of its own, so that a worker whose lease was broken
			// (an admin's update, a rewind) and taken again by this same dispatcher cannot
			// write progress under the new lease.
			d.leases++
			owner := fmt.Sprintf("%s#%d", d.o.Owner, d.leases)
			eps, err := d.svc.LeaseWebhooks(ctx, owner, now, now.Add(d.o.Lease), free)
			if err != nil && ctx.Err() == nil {
				d.o.Log.Warn("webhooks: leasing endpoints failed; retrying", "error", err.Error())
			}
			for _, e := range eps {
				wctx, cancel := context.WithCancel(ctx)
				w := &running{cancel: cancel, done: make(chan struct{})}
				d.mu.Lock()
				prev := d.active[e.ID]
				d.active[e.ID] = w
				d.mu.Unlock()
				wg.Add(1)
				go func(e store.WebhookEndpoint) {
					defer wg.Done()
					defer close(w.done)
					if prev != nil {
						// The previous worker's lease was broken: stop it before sending
						// anything, so that this process never sends to one endpoint twice
						// at once.
						prev.cancel()
						<-prev.done
					}
					d.work(wctx, e, owner, now.Add(d.o.Lease))
					cancel()
					d.mu.Lock()
					if d.active[e.ID] == w {
						delete(d.active, e.ID)
					}
					d.mu.Unlock()
					select {
					case done <- struct{}{}:
					default:
					}
				}(e)
			}
		}
		if !timer.Stop() {
			select {
			case <-timer.C:
			default:
			}
		}
		timer.Reset(d.o.Poll)
	}
}

// watchOrgs wakes the dispatcher whenever an org with endpoints commits events. The set of
// orgs is refreshed every few seconds (an endpoint created on another server, a new org).
func (d *Dispatcher) watchOrgs(ctx context.Context) {
	watching := map[string]context.CancelFunc{}
	defer func() {
		for _, c := range watching {
			c()
		}
	}()
	refresh := time.NewTicker(3 * time.Second)
	defer refresh.Stop()
	for {
		orgs, err := d.svc.WebhookOrgs(ctx)
		if err == nil {
			keep := map[string]bool{}
			for _, org := range orgs {
				keep[org] = true
				if watching[org] == nil {
					wctx, cancel := context.WithCancel(ctx)
					watching[org] = cancel
					go d.watchOrg(wctx, org)
				}
			}
			for org, c := range watching {
				if !keep[org] {
					c()
					delete(watching, org)
				}
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-refresh.C:
		case <-d.changed:
		}
	}
}

func (d *Dispatcher) watchOrg(ctx context.Context, org string) {
	rev, err := d.svc.WaitRevision(ctx, org, -1)
	for err == nil {
		var next int64
		next, err = d.svc.WaitRevision(ctx, org, rev)
		if next > rev {
			rev = next
			d.Wake()
			// Each WaitRevision reads the revision once; under a stream of commits this
			// watcher would read once per commit, while the endpoints' own workers (which
			// wait on their own) deliver. Waking the lease loop a few times a second more
			// than its poll is all it is for.
			select {
			case <-ctx.Done():
				return
			case <-time.After(watchPause):
			}
		}
	}
}

// worker state of one leased endpoint.
type worker struct {
	d       *Dispatcher
	owner   string // the lease's owner
	e       store.WebhookEndpoint
	p       store.WebhookProgress
	log     []store.WebhookAttempt
	until   time.Time // the lease's end as last written
	lastRun time.Time // when an event was last seen
	// flushed and lastFlush: the cursor last written, and when.
	flushed   int64
	lastFlush time.Time
}

// work delivers to e, which this dispatcher leased until until, for as long as it has
// events (and IdleRelease after), writing progress after each page of events.
func (d *Dispatcher) work(ctx context.Context, e store.WebhookEndpoint, owner string, until time.Time) {
	w := &worker{d: d, owner: owner, e: e, until: until, lastRun: time.Now(), flushed: e.Cursor, lastFlush: time.Now(), p: store.WebhookProgress{
		Cursor: e.Cursor, Attempts: e.Attempts, NextAttemptAt: e.NextAttemptAt, FailingSince: e.FailingSince,
		LastDeliveredAt: e.LastDeliveredAt}}
	d.m.active.Inc()
	defer d.m.active.Dec()
	for {
		if ctx.Err() != nil {
			w.flush(true, "")
			return
		}
		page, cur, held, err := d.svc.WebhookEvents(ctx, w.e, w.owner, w.p.Cursor, d.o.PageSize)
		switch {
		case err == nil && !held:
			// The lease was broken (a rewind), taken over or the endpoint deleted: whoever
			// leases it next starts from what is stored.
			return
		case err == nil && !cur.Enabled:
			// An admin disabled it: keep what was delivered, let go.
			w.flush(true, "")
			return
		case err == nil && !cur.UpdatedAt.Equal(w.e.UpdatedAt):
			// An admin changed its URL, types or secrets: send with the new ones from now.
			w.e = cur
		case errors.Is(err, store.ErrCursorExpired):
			w.p.Disable = store.WebhookDisabledExpired
			d.m.disabled.WithLabelValues(store.WebhookDisabledExpired).Inc()
			w.flush(true, err.Error())
			return
		case errors.Is(err, store.ErrInvalid):
			// The cursor is ahead of the org's revision: the database was restored from a
			// backup older than the endpoint's position. Nothing can be sent until the org
			// catches up (or an admin replays from an earlier revision); look again later.
			d.o.Log.Warn("webhooks: the endpoint's position is ahead of the organization's events (a restored database?); retrying in a minute, or replay it from an earlier revision",
				"endpoint", e.ID, "error", err.Error())
			w.p.NextAttemptAt = time.Now().Add(time.Minute)
			w.flush(true, "")
			return
		case err != nil:
			if ctx.Err() == nil {
				d.o.Log.Warn("webhooks: reading events failed; the endpoint is retried shortly", "endpoint", e.ID, "error", err.Error())
				w.p.NextAttemptAt = time.Now().Add(d.o.Poll)
			}
			w.flush(true, "")
			return
		}
		for _, ev := range page.Events {
			if !w.renewIfDue() {
				return
			}
			if !w.send(ctx, ev) {
				return
			}
			if len(w.log) >= flushEvery {
				if !w.flush(false, "") {
					return
				}
			}
		}
		if page.Next > w.p.Cursor {
			w.p.Cursor = page.Next // also past the events the Types filter skipped
		}
		if len(page.Events) > 0 {
			w.lastRun = time.Now()
		}
		// Progress is written every flushEvery events or flushInterval, not after each
		// page: at a steady trickle of events a page holds one or two, and a commit per
		// page would cap the endpoint's rate at the database's commit rate.
		dirty := len(w.log) > 0 || w.p.Cursor != w.flushed
		if dirty && (len(w.log) >= flushEvery || time.Since(w.lastFlush) >= flushInterval) {
			if !w.flush(false, "") {
				return
			}
			dirty = false
		}
		if len(page.Events) > 0 {
			continue
		}
		// Caught up: wait for the org's next commit, keeping the lease for IdleRelease.
		idle := time.Until(w.lastRun.Add(d.o.IdleRelease))
		if idle <= 0 {
			w.flush(true, "")
			return
		}
		wait := min(idle, time.Until(w.until)-d.o.Lease/2)
		if dirty {
			wait = min(wait, idleFlush)
		}
		if wait > 0 {
			wctx, cancel := context.WithTimeout(ctx, wait)
			rev, _ := d.svc.WaitRevision(wctx, e.OrgID, page.Revision)
			cancel()
			switch {
			case rev > page.Revision && coalesce > 0:
				// Under a stream of writes, each commit would wake the worker for one event:
				// a moment's wait lets the next few commits join the same read.
				time.Sleep(coalesce)
			case rev <= page.Revision && dirty:
				// The stream paused: write what was delivered (the log, the position) now
				// rather than when flushInterval is up.
				if !w.flush(false, "") {
					return
				}
			}
		}
		if !w.renewIfDue() {
			return
		}
	}
}

// renewIfDue renews the lease once half of it has passed; false when it was lost.
func (w *worker) renewIfDue() bool {
	if time.Until(w.until) > w.d.o.Lease/2 {
		return true
	}
	return w.flush(false, "")
}

// send makes the attempts of ev that are due now; false when the worker must stop (a
// failure that backs off, a disabled endpoint, a lost lease, shutdown).
func (w *worker) send(ctx context.Context, ev store.Event) bool {
	d := w.d
	m, err := d.svc.WebhookMessage(w.e, ev)
	if err != nil {
		d.o.Log.Error("webhooks: cannot build a delivery", "endpoint", w.e.ID, "event", ev.ID, "error", err.Error())
		w.p.NextAttemptAt = time.Now().Add(time.Minute)
		w.flush(true, "")
		return false
	}
	at := store.Now()
	r := d.svc.WebhookSender().Send(ctx, m)
	if ctx.Err() != nil && r.Outcome != delivery.Delivered {
		// Shutting down: the attempt was cut short by us, not failed by the receiver.
		w.flush(true, "")
		return false
	}
	attempt := w.p.Attempts + 1
	w.log = append(w.log, service.WebhookAttemptOf(w.e, ev, attempt, false, at, r))
	d.m.observe(r, ev)
	now := time.Now()
	switch r.Outcome {
	case delivery.Delivered:
		w.p.Cursor, w.p.Attempts, w.p.FailingSince = ev.Seq, 0, nil
		t := now.UTC()
		w.p.LastDeliveredAt = &t
		w.p.NextAttemptAt = now
		return true
	case delivery.Gone:
		w.p.Attempts = attempt
		w.p.Disable = store.WebhookDisabledGone
		d.m.disabled.WithLabelValues(store.WebhookDisabledGone).Inc()
		w.flush(true, fmt.Sprintf("the receiver answered 410 Gone to event %s (revision %d)", ev.ID, ev.Seq))
		return false
	}
	w.p.Attempts = attempt
	if w.p.FailingSince == nil {
		t := at
		w.p.FailingSince = &t
	}
	delay, ok := d.o.NextDelay(attempt, r.RetryAfter)
	if !ok {
		w.p.Disable = store.WebhookDisabledFailing
		d.m.disabled.WithLabelValues(store.WebhookDisabledFailing).Inc()
		w.flush(true, fmt.Sprintf("event %s (revision %d) failed %d attempts since %s; last: status %d %s",
			ev.ID, ev.Seq, attempt, w.p.FailingSince.Format(time.RFC3339), r.Status, r.Error))
		return false
	}
	w.p.NextAttemptAt = now.Add(delay)
	w.flush(true, "")
	return false
}

// flush writes progress and the pending log lines, renewing the lease or releasing it; false
// when the lease was lost (or the write failed): the worker stops and the endpoint is
// resumed from what was last written.
func (w *worker) flush(release bool, why string) bool {
	d := w.d
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	p := w.p
	until := time.Now().Add(d.o.Lease)
	if !release {
		p.RenewUntil = until
	}
	if p.NextAttemptAt.IsZero() {
		p.NextAttemptAt = time.Now()
	}
	err := d.svc.WebhookProgress(ctx, w.e, w.owner, p, release, w.log, why)
	if err != nil {
		if errors.Is(err, store.ErrVersionMismatch) {
			d.o.Log.Info("webhooks: lease lost; another server continues", "endpoint", w.e.ID)
		} else {
			d.o.Log.Warn("webhooks: writing delivery progress failed; the endpoint resumes from its last position", "endpoint", w.e.ID, "error", err.Error())
		}
		return false
	}
	if p.Disable != "" {
		d.o.Log.Warn("webhooks: endpoint disabled", "endpoint", w.e.ID, "org", w.e.OrgID, "reason", p.Disable, "why", why)
	}
	w.log = w.log[:0]
	w.until = until
	w.flushed, w.lastFlush = p.Cursor, time.Now()
	return true
}

type dispatchMetrics struct {
	deliveries *prometheus.CounterVec
	latency    prometheus.Histogram
	lag        prometheus.Histogram
	disabled   *prometheus.CounterVec
	active     prometheus.Gauge
}

func newMetrics(reg prometheus.Registerer) *dispatchMetrics {
	m := &dispatchMetrics{
		deliveries: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "rolecall_webhook_attempts_total",
			Help: "Webhook delivery attempts of the ordered stream, by outcome (delivered, retry, gone)."}, []string{"outcome"}),
		latency: prometheus.NewHistogram(prometheus.HistogramOpts{Name: "rolecall_webhook_attempt_duration_seconds",
			Help: "Time from sending a webhook delivery to the receiver's answer.", Buckets: prometheus.ExponentialBuckets(0.001, 2.5, 12)}),
		lag: prometheus.NewHistogram(prometheus.HistogramOpts{Name: "rolecall_webhook_delivery_lag_seconds",
			Help: "Time from an event's commit to its delivery (2xx).", Buckets: prometheus.ExponentialBuckets(0.005, 2.5, 14)}),
		disabled: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "rolecall_webhook_endpoints_disabled_total",
			Help: "Endpoints the dispatcher disabled, by reason (gone, failing, expired)."}, []string{"reason"}),
		active: prometheus.NewGauge(prometheus.GaugeOpts{Name: "rolecall_webhook_endpoints_leased",
			Help: "Endpoints this server is delivering to now."}),
	}
	if reg != nil {
		reg.MustRegister(m.deliveries, m.latency, m.lag, m.disabled, m.active)
	}
	return m
}

func (m *dispatchMetrics) observe(r delivery.Result, ev store.Event) {
	m.deliveries.WithLabelValues(r.Outcome.String()).Inc()
	m.latency.Observe(r.Latency.Seconds())
	if r.Outcome == delivery.Delivered {
		m.lag.Observe(time.Since(ev.Time).Seconds())
	}
}
