// Package server is rolecall's HTTP server: New and Serve, the middleware (request ids,
// logging, metrics, panic recovery, body limits, request deadlines), the connection cap
// (listener.go), token authentication and per-token rate limiting, the ops endpoints
// (/healthz, /readyz, /metrics), the route index (routes.go), and the background jobs Serve
// starts (deleting old change events, running due drift schedules).
// Each audience registers its own routes from its own package — scimapi (/scim/v2), adminapi
// (/api/v1) and console (/ui) — given a Deps with the service layer, the logger, its
// configuration and the authentication wrapper it needs; the audiences share only
// server/respond, never each other.
//
// It may import service, service/enforcegroups, auth, store, api, audit, delivery and
// dispatch (the webhook dispatcher it runs while serving), its subpackages and the standard
// library (and Prometheus); never client or cli.
package server

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/rolecall/rolecall/internal/auth"
	"github.com/rolecall/rolecall/internal/delivery"
	"github.com/rolecall/rolecall/internal/dispatch"
	"github.com/rolecall/rolecall/internal/service"
	"github.com/rolecall/rolecall/internal/service/decisions"
	"github.com/rolecall/rolecall/internal/service/enforcegroups"
	"github.com/rolecall/rolecall/internal/store"
)

// Config holds what the server is told from flags and the environment.
type Config struct {
	// BaseURL is the externally visible URL (e.g. https://rolecall.example.com) used in SCIM
	// meta.location and Location headers. Empty: derived from each request's Host.
	BaseURL string
	// MaxBodyBytes bounds request bodies (SCIM advertises it as bulk maxPayloadSize).
	MaxBodyBytes int64
	// PatchNoContent makes a successful SCIM User PATCH answer 204 instead of 200 + resource (a
	// Group PATCH answers 204 anyway unless it names attributes or excludedAttributes).
	PatchNoContent bool
	// ShutdownTimeout bounds graceful shutdown.
	ShutdownTimeout time.Duration
	// MaxConns caps the connections open at once (serve --max-conns); beyond it new clients
	// wait in the listen backlog. 0 means DefaultMaxConns, negative means no cap.
	MaxConns int
	// ReadHeaderTimeout bounds reading a request's headers, ReadTimeout the whole request
	// (headers and body), IdleTimeout how long a keep-alive connection may sit between
	// requests. Zero means the defaults below.
	ReadHeaderTimeout, ReadTimeout, IdleTimeout time.Duration
	// RequestTimeout is every request's deadline (serve --request-timeout); it reaches the
	// database queries through the request's context. 0 means DefaultRequestTimeout.
	RequestTimeout time.Duration
	// ScanConcurrency and ScanConcurrencyTotal bound the SCIM list scans (filters or sorts
	// the database cannot answer) running at once per org and in all (deadline.go). 0 means
	// the default, negative no limit.
	ScanConcurrency, ScanConcurrencyTotal int
	// ScanMax is the most candidates a SCIM list scan may read (serve --scim-scan-max); 0
	// means DefaultScanMax, negative no limit.
	ScanMax int
	// RateLimit is the sustained number of requests per second each token may make (a token
	// bucket with a burst of the same size); 0 turns rate limiting off, the default, because
	// Entra ID quarantines a SCIM app that answers 429.
	RateLimit float64
	// EventRetention is how long change events are kept (the feed's window): Serve deletes
	// older ones in the background. 0 means DefaultEventRetention.
	EventRetention time.Duration
	// DecisionCacheBytes caps the memory of the organizations' decision indexes together
	// (serve --decision-cache-bytes); past it the least recently used are evicted. 0 means
	// decisions.DefaultMaxBytes.
	DecisionCacheBytes int64
	// ScheduleTick is how often Serve looks for due drift schedules (enforcegroups.RunDue);
	// 0 means DefaultScheduleTick, negative turns the loop off.
	ScheduleTick time.Duration
	// WebhookAllowPrivate lets webhook endpoints be loopback, private or link-local
	// addresses (serve --webhook-allow-private): tests, and receivers on an internal network.
	WebhookAllowPrivate bool
	// WebhookLease is how long the webhook dispatcher leases an endpoint (serve
	// --webhook-lease): a server that dies delays its endpoints by at most this. 0 means
	// dispatch.DefaultLease.
	WebhookLease time.Duration
}

// DefaultScheduleTick: a due schedule runs within 30 seconds of its time.
const DefaultScheduleTick = 30 * time.Second

// DefaultEventRetention keeps change events for 30 days: a consumer offline for longer
// starts over from the state (its cursor answers 410).
const DefaultEventRetention = 30 * 24 * time.Hour

// Connection defaults. The cap stays well below the usual open-file limits (Go raises the
// soft limit to the hard one at start-up; containers and systemd give 2^19 or more, the
// smallest common hard limit is 4,096 on older hosts), leaving descriptors for the database,
// and far above what a proxy's upstream pool or a set of IdPs needs. The timeouts let an
// idle or stalled connection hold its slot for seconds, not the minutes Go's zero values (no
// limit) or the former 120 s idle timeout allowed.
const (
	DefaultMaxConns          = 4096
	DefaultReadHeaderTimeout = 5 * time.Second
	DefaultReadTimeout       = 30 * time.Second
	DefaultIdleTimeout       = 30 * time.Second
)

// DefaultMaxBodyBytes is the default request body limit: 1 MiB, as large as a 1,000-operation
// Bulk request of typical users needs.
const DefaultMaxBodyBytes = 1 << 20

// Server serves rolecall over HTTP.
type Server struct {
	cfg     Config
	store   store.Store
	svc     *service.Service
	enforce *enforcegroups.Service
	log     *slog.Logger
	auth    *auth.Authenticator
	// decisions holds the orgs' decision indexes (the AuthZEN API's).
	decisions *decisions.Cache
	metrics   *metrics
	// dispatch delivers change events to webhook endpoints while Serve runs.
	dispatch *dispatch.Dispatcher
	handler  http.Handler
	limiter  *rateLimiter // nil when rate limiting is off
	// stopping ends when graceful shutdown begins (stop): long-polls answer then.
	stopping context.Context
	stop     context.CancelFunc
	conns    atomic.Int64 // connections open on Serve's listener
}

// New builds a server on st. reg receives the server's Prometheus metrics (nil: a private
// registry, for tests that start several servers in one process).
func New(cfg Config, st store.Store, log *slog.Logger, reg *prometheus.Registry) *Server {
	if cfg.MaxBodyBytes <= 0 {
		cfg.MaxBodyBytes = DefaultMaxBodyBytes
	}
	if cfg.ShutdownTimeout <= 0 {
		cfg.ShutdownTimeout = 20 * time.Second
	}
	if cfg.EventRetention <= 0 {
		cfg.EventRetention = DefaultEventRetention
	}
	if cfg.ScheduleTick == 0 {
		cfg.ScheduleTick = DefaultScheduleTick
	}
	if cfg.MaxConns == 0 {
		cfg.MaxConns = DefaultMaxConns
	}
	if cfg.ReadHeaderTimeout <= 0 {
		cfg.ReadHeaderTimeout = DefaultReadHeaderTimeout
	}
	if cfg.ReadTimeout <= 0 {
		cfg.ReadTimeout = DefaultReadTimeout
	}
	if cfg.IdleTimeout <= 0 {
		cfg.IdleTimeout = DefaultIdleTimeout
	}
	if cfg.RequestTimeout <= 0 {
		cfg.RequestTimeout = DefaultRequestTimeout
	}
	if cfg.ScanConcurrency == 0 {
		cfg.ScanConcurrency = DefaultScanConcurrency
	}
	if cfg.ScanMax == 0 {
		cfg.ScanMax = DefaultScanMax
	}
	if cfg.ScanConcurrencyTotal == 0 {
		cfg.ScanConcurrencyTotal = DefaultScanConcurrencyTotal
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if reg == nil {
		reg = prometheus.NewRegistry()
	}
	decisionBuilds := newDecisionBuildHistogram()
	s := &Server{cfg: cfg, store: st, svc: service.New(st), enforce: enforcegroups.New(st), log: log, auth: &auth.Authenticator{Store: st}, metrics: newMetrics(reg, st),
		limiter: newRateLimiter(cfg.RateLimit, time.Now), decisions: decisions.New(st, decisions.Options{MaxBytes: cfg.DecisionCacheBytes, Log: log,
			OnBuild: func(d time.Duration) { decisionBuilds.Observe(d.Seconds()) }})}
	s.dispatch = dispatch.New(s.svc, dispatch.Options{Lease: cfg.WebhookLease, Registerer: reg, Log: log})
	guard := delivery.Guard{AllowPrivate: cfg.WebhookAllowPrivate}
	s.svc.SetWebhooks(service.WebhookOptions{Guard: guard, BaseURL: cfg.BaseURL, Changed: s.dispatch.Changed,
		Sender: delivery.NewSender(guard, webhookTimeout(cfg.WebhookLease))})
	s.stopping, s.stop = context.WithCancel(context.Background())
	reg.MustRegister(decisionBuilds, newDecisionCollector(s.decisions.Stats),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "rolecall_http_connections_open", Help: "Client connections open now.",
		}, func() float64 { return float64(s.conns.Load()) }),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "rolecall_http_connections_max", Help: "The cap on open client connections (--max-conns; 0: none).",
		}, func() float64 { return float64(max(s.cfg.MaxConns, 0)) }),
	)
	mux := http.NewServeMux()
	s.routes(mux, reg)
	s.handler = s.middleware(mux)
	return s
}

// Handler is the whole HTTP surface, middleware included.
func (s *Server) Handler() http.Handler { return s.handler }

// Serve accepts connections on l until ctx is cancelled, then shuts down gracefully: it stops
// accepting, lets in-flight requests finish (up to ShutdownTimeout) and returns.
func (s *Server) Serve(ctx context.Context, l net.Listener) error {
	defer s.decisions.Close() // its watchers wait on the store, which the caller closes next
	l = newLimitListener(l, s.cfg.MaxConns, &s.conns)
	// No WriteTimeout: it would cut long answers (audit exports, large pages) mid-body; a
	// handler's time is bounded by the request deadline instead.
	hs := &http.Server{
		Handler:           s.handler,
		ReadHeaderTimeout: s.cfg.ReadHeaderTimeout,
		ReadTimeout:       s.cfg.ReadTimeout,
		IdleTimeout:       s.cfg.IdleTimeout,
		ErrorLog:          slog.NewLogLogger(s.log.Handler(), slog.LevelWarn),
		BaseContext:       func(net.Listener) context.Context { return context.WithoutCancel(ctx) },
	}
	// Long-polls of the change feed end (answering what they have) when shutdown begins,
	// rather than hold it up for their whole wait.
	hs.RegisterOnShutdown(s.stop)
	go s.pruneEvents(ctx)
	if s.cfg.ScheduleTick > 0 {
		go s.runSchedules(ctx)
	}
	// The dispatcher stops with ctx and, before Serve returns, writes back its progress and
	// releases its leases, so that another server (or this one restarted) resumes at once.
	dctx, dstop := context.WithCancel(ctx)
	ddone := make(chan struct{})
	go func() { defer close(ddone); s.dispatch.Run(dctx) }()
	defer func() { dstop(); <-ddone }()
	errc := make(chan error, 1)
	go func() { errc <- hs.Serve(l) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	s.log.Info("shutting down", "timeout", s.cfg.ShutdownTimeout.String())
	sctx, cancel := context.WithTimeout(context.Background(), s.cfg.ShutdownTimeout)
	defer cancel()
	if err := hs.Shutdown(sctx); err != nil {
		return fmt.Errorf("graceful shutdown: %w", err)
	}
	if err := <-errc; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	s.log.Info("stopped")
	return nil
}

// webhookTimeout bounds one delivery attempt so that it ends well inside the half of the
// lease that is left when the dispatcher last checked it (it renews at half-time): a hung
// receiver cannot outlast the lease and let another server send to the endpoint at the same
// time. 12 s with the default 30 s lease (delivery.DefaultTimeout is 15 s).
func webhookTimeout(lease time.Duration) time.Duration {
	if lease <= 0 {
		lease = dispatch.DefaultLease
	}
	return min(delivery.DefaultTimeout, max(lease*2/5, 500*time.Millisecond))
}

// pruneInterval is how often the retention job runs: often enough that the feed holds
// little more than the retention, rarely enough to cost nothing.
const pruneInterval = time.Hour

// pruneEvents deletes the change events older than the retention, at start and then every
// pruneInterval, until ctx ends.
func (s *Server) pruneEvents(ctx context.Context) {
	t := time.NewTicker(pruneInterval)
	defer t.Stop()
	for {
		s.pruneEventsOnce(ctx)
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

func (s *Server) pruneEventsOnce(ctx context.Context) {
	n, err := s.svc.PruneEvents(ctx, time.Now().Add(-s.cfg.EventRetention))
	switch {
	case err != nil && ctx.Err() == nil:
		// Nothing is lost by failing: the next run deletes what this one did not.
		s.log.Warn("deleting old change events failed; retrying at the next run", "error", err.Error(), "retention", s.cfg.EventRetention.String())
	case n > 0:
		s.log.Info("deleted old change events", "events", n, "retention", s.cfg.EventRetention.String())
	}
	// The webhook delivery log is kept as long as the events it is about.
	n, err = s.svc.PruneWebhookAttempts(ctx, time.Now().Add(-s.cfg.EventRetention))
	switch {
	case err != nil && ctx.Err() == nil:
		s.log.Warn("deleting old webhook delivery log lines failed; retrying at the next run", "error", err.Error())
	case n > 0:
		s.log.Info("deleted old webhook delivery log lines", "lines", n, "retention", s.cfg.EventRetention.String())
	}
}

// runSchedules runs the orgs' due drift schedules every ScheduleTick until ctx ends. The
// lease owner names this server uniquely, so that with several servers on one database each
// due schedule is claimed and run by exactly one of them.
func (s *Server) runSchedules(ctx context.Context) {
	owner := scheduleOwner()
	t := time.NewTicker(s.cfg.ScheduleTick)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		done, err := s.enforce.RunDue(ctx, owner)
		if err != nil && ctx.Err() == nil {
			s.log.Warn("drift schedule run failed; it runs again at its next time", "error", err.Error())
		}
		for org, r := range done {
			s.log.Info("drift schedule ran", "org", org, "applied", r.Applied, "run", r.RunID, "reason", r.Reason)
		}
	}
}

// scheduleOwner is this process's lease name: host, pid and a random part.
func scheduleOwner() string {
	host, _ := os.Hostname()
	var b [6]byte
	_, _ = rand.Read(b[:])
	return fmt.Sprintf("%s/%d/%s", host, os.Getpid(), hex.EncodeToString(b[:]))
}
