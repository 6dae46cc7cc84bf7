package cli

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/pprof"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/spf13/cobra"

	"github.com/rolecall/rolecall/internal/auth"
	"github.com/rolecall/rolecall/internal/dispatch"
	"github.com/rolecall/rolecall/internal/server"
	"github.com/rolecall/rolecall/internal/service/decisions"
	"github.com/rolecall/rolecall/internal/store"
	"github.com/rolecall/rolecall/internal/store/sqlstore"
)

// DefaultDB is the database used when neither --db nor ROLECALL_DB says otherwise.
const DefaultDB = "sqlite:rolecall.db"

type serveFlags struct {
	addr, db, baseURL, logFormat, logLevel string
	debugAddr                              string
	maxBody                                int64
	patch204                               bool
	rateLimit                              float64
	eventRetention                         lifetime
	maxConns                               int64
	decisionCacheBytes                     int64
	readHeaderTimeout, readTimeout         time.Duration
	idleTimeout, requestTimeout            time.Duration
	scheduleTick                           time.Duration
	scanPerOrg, scanTotal, scanMax         int64
	webhookAllowPrivate                    bool
	webhookLease                           time.Duration
}

func (a *App) serveCommand() *cobra.Command {
	var f serveFlags
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Run the rolecall server (SCIM 2.0 at /scim/v2, admin API at /api/v1)",
		Long: `Run the rolecall server. On an empty database it creates the organization "default" and an
admin token, printed once (or uses ROLECALL_BOOTSTRAP_TOKEN as that token). SIGTERM or Ctrl-C
stops it gracefully: in-flight requests finish first.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return a.serve(cmd.Context(), f) },
	}
	fl := cmd.Flags()
	fl.StringVar(&f.addr, "addr", a.env("ROLECALL_ADDR", ":8080"), "listen address (env ROLECALL_ADDR)")
	fl.StringVar(&f.db, "db", a.env("ROLECALL_DB", DefaultDB), "database: sqlite:PATH or postgres://… (env ROLECALL_DB)")
	fl.StringVar(&f.baseURL, "base-url", a.env("ROLECALL_BASE_URL", ""), "external URL used in SCIM meta.location, e.g. https://rolecall.example.com (env ROLECALL_BASE_URL; default: from each request's Host)")
	fl.StringVar(&f.logFormat, "log-format", a.env("ROLECALL_LOG_FORMAT", "text"), "log format: text or json (env ROLECALL_LOG_FORMAT)")
	fl.StringVar(&f.logLevel, "log-level", a.env("ROLECALL_LOG_LEVEL", "info"), "log level: debug, info, warn, error (env ROLECALL_LOG_LEVEL)")
	fl.Int64Var(&f.maxBody, "max-body-bytes", a.envInt("ROLECALL_MAX_BODY_BYTES", server.DefaultMaxBodyBytes), "largest request body accepted (env ROLECALL_MAX_BODY_BYTES)")
	fl.BoolVar(&f.patch204, "scim-patch-no-content", a.env("ROLECALL_SCIM_PATCH_NO_CONTENT", "") == "true", "answer a successful SCIM User PATCH with 204 instead of 200 and the user; a Group PATCH answers 204 unless it names attributes or excludedAttributes (env ROLECALL_SCIM_PATCH_NO_CONTENT=true)")
	fl.Float64Var(&f.rateLimit, "rate-limit", a.envFloat("ROLECALL_RATE_LIMIT", 0), "requests per second allowed per token, answered beyond it with 429 and Retry-After; 0 (default) is off, because Entra ID quarantines SCIM apps that answer 429 (env ROLECALL_RATE_LIMIT)")
	f.eventRetention = lifetime(server.DefaultEventRetention)
	if v := a.Getenv("ROLECALL_EVENT_RETENTION"); v != "" {
		if err := f.eventRetention.Set(v); err != nil {
			fmt.Fprintf(a.Stderr, "warning: ignoring ROLECALL_EVENT_RETENTION: %v\n", err)
		}
	}
	fl.Var(&f.eventRetention, "event-retention", "how long change events are kept for GET /api/v1/events (and webhooks); older ones are deleted hourly and a cursor before them answers 410, e.g. 720h or 30d (env ROLECALL_EVENT_RETENTION; default 720h)")
	fl.Int64Var(&f.decisionCacheBytes, "decision-cache-bytes", a.envInt("ROLECALL_DECISION_CACHE_BYTES", decisions.DefaultMaxBytes), "memory cap of the organizations' in-memory decision indexes together (AuthZEN API); past it the least recently used are dropped and rebuilt on their next decision (env ROLECALL_DECISION_CACHE_BYTES; default 1 GiB)")
	fl.Int64Var(&f.maxConns, "max-conns", a.envInt("ROLECALL_MAX_CONNS", server.DefaultMaxConns), "most client connections open at once; further clients wait in the listen backlog. -1 removes the cap (env ROLECALL_MAX_CONNS)")
	fl.DurationVar(&f.readHeaderTimeout, "read-header-timeout", a.envDuration("ROLECALL_READ_HEADER_TIMEOUT", server.DefaultReadHeaderTimeout), "time a client has to send a request's headers (env ROLECALL_READ_HEADER_TIMEOUT)")
	fl.DurationVar(&f.readTimeout, "read-timeout", a.envDuration("ROLECALL_READ_TIMEOUT", server.DefaultReadTimeout), "time a client has to send a whole request, body included (env ROLECALL_READ_TIMEOUT)")
	fl.DurationVar(&f.idleTimeout, "idle-timeout", a.envDuration("ROLECALL_IDLE_TIMEOUT", server.DefaultIdleTimeout), "how long a keep-alive connection may wait for its next request; behind a proxy, set it above the proxy's upstream idle timeout (env ROLECALL_IDLE_TIMEOUT)")
	fl.DurationVar(&f.requestTimeout, "request-timeout", a.envDuration("ROLECALL_REQUEST_TIMEOUT", server.DefaultRequestTimeout), "deadline of every request, database queries included; past it the request stops, changes nothing and is answered 503 (env ROLECALL_REQUEST_TIMEOUT)")
	fl.Int64Var(&f.scanPerOrg, "scim-scan-concurrency", a.envInt("ROLECALL_SCIM_SCAN_CONCURRENCY", server.DefaultScanConcurrency), "SCIM list scans (filters or sorts the database cannot answer from its indexes) one organization may run at once; more are answered 429 with Retry-After. -1: no limit (env ROLECALL_SCIM_SCAN_CONCURRENCY)")
	fl.Int64Var(&f.scanTotal, "scim-scan-concurrency-total", a.envInt("ROLECALL_SCIM_SCAN_CONCURRENCY_TOTAL", server.DefaultScanConcurrencyTotal), "SCIM list scans the whole server runs at once; keep it below the CPU cores and database read connections so that lookups always find one. -1: no limit (env ROLECALL_SCIM_SCAN_CONCURRENCY_TOTAL)")
	fl.Int64Var(&f.scanMax, "scim-scan-max", a.envInt("ROLECALL_SCIM_SCAN_MAX", server.DefaultScanMax), "most users or groups one SCIM list scan (a filter or sort the database cannot answer from its indexes) may read; a larger one is answered 400 tooMany at once. -1: no limit (env ROLECALL_SCIM_SCAN_MAX)")
	fl.DurationVar(&f.scheduleTick, "schedule-tick", a.envDuration("ROLECALL_SCHEDULE_TICK", server.DefaultScheduleTick), "how often the server looks for due drift schedules (rolecall scim schedule); with several servers each due schedule still runs once. -1s turns it off on this server (env ROLECALL_SCHEDULE_TICK)")
	fl.BoolVar(&f.webhookAllowPrivate, "webhook-allow-private", a.env("ROLECALL_WEBHOOK_ALLOW_PRIVATE", "") == "true", "let webhook endpoints be loopback, private or link-local addresses (receivers on an internal network, tests); refused by default so that an endpoint URL cannot reach the server's own network (env ROLECALL_WEBHOOK_ALLOW_PRIVATE=true)")
	fl.DurationVar(&f.webhookLease, "webhook-lease", a.envDuration("ROLECALL_WEBHOOK_LEASE", dispatch.DefaultLease), "how long a server leases a webhook endpoint it delivers to (renewed while it works); a server that dies delays its endpoints' deliveries by at most this. One delivery attempt times out after 2/5 of it, at most 15 s (env ROLECALL_WEBHOOK_LEASE)")
	fl.StringVar(&f.debugAddr, "debug-addr", a.env("ROLECALL_DEBUG_ADDR", ""), "serve Go's profiler (net/http/pprof, /debug/pprof/) on this separate address, e.g. 127.0.0.1:6060; off when empty (default). It has no authentication: bind it to loopback (env ROLECALL_DEBUG_ADDR)")
	return cmd
}

func (a *App) serve(ctx context.Context, f serveFlags) error {
	if f.eventRetention <= 0 {
		return fmt.Errorf("--event-retention %s: use a positive duration such as 720h or 30d (consumers offline for longer start over from the state)", time.Duration(f.eventRetention))
	}
	if f.rateLimit < 0 {
		return fmt.Errorf("--rate-limit %v: use a number of requests per second ≥ 0 (0 turns it off)", f.rateLimit)
	}
	if f.maxConns == 0 || f.maxConns < -1 {
		return fmt.Errorf("--max-conns %d: use a number of connections ≥ 1, or -1 for no cap", f.maxConns)
	}
	for name, n := range map[string]int64{"--scim-scan-concurrency": f.scanPerOrg, "--scim-scan-concurrency-total": f.scanTotal, "--scim-scan-max": f.scanMax} {
		if n == 0 || n < -1 {
			return fmt.Errorf("%s %d: use a number of scans ≥ 1, or -1 for no limit", name, n)
		}
	}
	for name, d := range map[string]time.Duration{"--webhook-lease": f.webhookLease, "--read-header-timeout": f.readHeaderTimeout, "--read-timeout": f.readTimeout,
		"--idle-timeout": f.idleTimeout, "--request-timeout": f.requestTimeout} {
		if d <= 0 {
			return fmt.Errorf("%s %v: use a positive duration such as 30s", name, d)
		}
	}
	if f.scheduleTick == 0 {
		return fmt.Errorf("--schedule-tick 0: use a positive duration such as 30s, or -1s to run no schedules on this server")
	}
	log, err := newLogger(a, f.logFormat, f.logLevel)
	if err != nil {
		return err
	}
	st, err := openStore(ctx, f.db)
	if err != nil {
		return err
	}
	defer st.Close()
	tok, created, err := auth.Bootstrap(ctx, st, a.Getenv("ROLECALL_BOOTSTRAP_TOKEN"))
	if err != nil {
		return fmt.Errorf("preparing the database: %w", err)
	}
	if created {
		if a.Getenv("ROLECALL_BOOTSTRAP_TOKEN") != "" {
			fmt.Fprintf(a.Stderr, "rolecall: created organization %q; ROLECALL_BOOTSTRAP_TOKEN is its admin token (%q).\n", auth.DefaultOrg, tok.Name)
		} else {
			fmt.Fprintf(a.Stderr, "rolecall: created organization %q and an admin token. It is shown only this once:\n\n    %s\n\n"+
				"Use it with the CLI:  export ROLECALL_TOKEN=%s\n\n", auth.DefaultOrg, tok.Secret, tok.Secret)
		}
	}
	l, err := net.Listen("tcp", f.addr)
	if err != nil {
		return fmt.Errorf("listening on %s: %w (is another server using that port? choose one with --addr)", f.addr, err)
	}
	if f.debugAddr != "" {
		dl, err := net.Listen("tcp", f.debugAddr)
		if err != nil {
			l.Close()
			return fmt.Errorf("--debug-addr %s: %w", f.debugAddr, err)
		}
		go serveDebug(ctx, dl)
		log.Info("profiler listening", "addr", dl.Addr().String(), "path", "/debug/pprof/")
	}
	srv := server.New(server.Config{BaseURL: strings.TrimRight(f.baseURL, "/"), MaxBodyBytes: f.maxBody, PatchNoContent: f.patch204,
		RateLimit: f.rateLimit, EventRetention: time.Duration(f.eventRetention), MaxConns: int(f.maxConns), ReadHeaderTimeout: f.readHeaderTimeout, ReadTimeout: f.readTimeout,
		IdleTimeout: f.idleTimeout, RequestTimeout: f.requestTimeout, ScanConcurrency: int(f.scanPerOrg), ScanConcurrencyTotal: int(f.scanTotal),
		ScanMax: int(f.scanMax), DecisionCacheBytes: f.decisionCacheBytes, WebhookAllowPrivate: f.webhookAllowPrivate,
		WebhookLease: f.webhookLease, ScheduleTick: f.scheduleTick},
		st, log, prometheus.NewRegistry())
	log.Info("rolecall listening", "addr", l.Addr().String(), "console", consoleURL(f.baseURL, l.Addr()), "db", redactDSN(f.db), "version", Version())
	return srv.Serve(ctx, l)
}

// serveDebug serves net/http/pprof's handlers on l until ctx ends. They are registered on a
// mux of their own, never on the API's, so the profiler is reachable only where the operator
// chose to bind it.
func serveDebug(ctx context.Context, l net.Listener) {
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	hs := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go func() {
		<-ctx.Done()
		hs.Close()
	}()
	_ = hs.Serve(l)
}

func newLogger(a *App, format, level string) (*slog.Logger, error) {
	var lv slog.Level
	if err := lv.UnmarshalText([]byte(level)); err != nil {
		return nil, fmt.Errorf("--log-level %q: use debug, info, warn or error", level)
	}
	opts := &slog.HandlerOptions{Level: lv}
	switch format {
	case "text":
		return slog.New(slog.NewTextHandler(a.Stderr, opts)), nil
	case "json":
		return slog.New(slog.NewJSONHandler(a.Stderr, opts)), nil
	}
	return nil, fmt.Errorf("--log-format %q: use text or json", format)
}

// openStore opens (and migrates) the database named by dsn.
func openStore(ctx context.Context, dsn string) (store.Store, error) {
	st, err := sqlstore.Open(ctx, dsn)
	if err != nil {
		return nil, fmt.Errorf("opening database %s: %w", redactDSN(dsn), err)
	}
	return st, nil
}

// redactDSN hides every password in a DSN (URL userinfo, ?password=, key=value) for logs
// and errors.
func redactDSN(dsn string) string { return sqlstore.RedactDSN(dsn) }

func (a *App) env(name, def string) string {
	if v := a.Getenv(name); v != "" {
		return v
	}
	return def
}

func (a *App) envInt(name string, def int64) int64 {
	if v := a.Getenv(name); v != "" {
		if n, err := strconv.ParseInt(v, 10, 64); err == nil {
			return n
		}
		fmt.Fprintf(a.Stderr, "warning: ignoring %s=%q: not a number\n", name, v)
	}
	return def
}

func (a *App) envDuration(name string, def time.Duration) time.Duration {
	if v := a.Getenv(name); v != "" {
		if d, err := time.ParseDuration(v); err == nil {
			return d
		}
		fmt.Fprintf(a.Stderr, "warning: ignoring %s=%q: not a duration such as 30s\n", name, v)
	}
	return def
}

func (a *App) envFloat(name string, def float64) float64 {
	if v := a.Getenv(name); v != "" {
		if n, err := strconv.ParseFloat(v, 64); err == nil {
			return n
		}
		fmt.Fprintf(a.Stderr, "warning: ignoring %s=%q: not a number\n", name, v)
	}
	return def
}

// consoleURL is where a person opens the web console: under --base-url when set, else on the
// listening address, with an unspecified host (":8080" listens on every interface) shown as
// localhost so that the URL can be opened on the machine itself.
func consoleURL(baseURL string, addr net.Addr) string {
	if baseURL != "" {
		return strings.TrimRight(baseURL, "/") + "/ui"
	}
	host, port, err := net.SplitHostPort(addr.String())
	if err != nil {
		return "http://" + addr.String() + "/ui"
	}
	if ip := net.ParseIP(host); ip == nil || ip.IsUnspecified() {
		host = "localhost"
	}
	return "http://" + net.JoinHostPort(host, port) + "/ui"
}
