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
	"github.com/rolecall/rolecall/internal/server"
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
	fl.BoolVar(&f.patch204, "scim-patch-no-content", a.env("ROLECALL_SCIM_PATCH_NO_CONTENT", "") == "true", "answer every successful SCIM PATCH with 204; without it users answer 200 and the user, groups 204 unless the request asks for attributes (env ROLECALL_SCIM_PATCH_NO_CONTENT=true)")
	fl.Float64Var(&f.rateLimit, "rate-limit", a.envFloat("ROLECALL_RATE_LIMIT", 0), "requests per second allowed per token, answered beyond it with 429 and Retry-After; 0 (default) is off, because Entra ID quarantines SCIM apps that answer 429 (env ROLECALL_RATE_LIMIT)")
	fl.StringVar(&f.debugAddr, "debug-addr", a.env("ROLECALL_DEBUG_ADDR", ""), "serve Go's profiler (net/http/pprof, /debug/pprof/) on this separate address, e.g. 127.0.0.1:6060; off when empty (default). It has no authentication: bind it to loopback (env ROLECALL_DEBUG_ADDR)")
	return cmd
}

func (a *App) serve(ctx context.Context, f serveFlags) error {
	if f.rateLimit < 0 {
		return fmt.Errorf("--rate-limit %v: use a number of requests per second ≥ 0 (0 turns it off)", f.rateLimit)
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
		RateLimit: f.rateLimit},
		st, log, prometheus.NewRegistry())
	log.Info("rolecall listening", "addr", l.Addr().String(), "db", redactDSN(f.db), "version", Version())
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

// redactDSN hides a password in a postgres:// DSN for logs and errors.
func redactDSN(dsn string) string {
	scheme, rest, ok := strings.Cut(dsn, "://")
	if !ok {
		return dsn
	}
	at := strings.LastIndex(rest, "@")
	if at < 0 {
		return dsn
	}
	user, _, hasPw := strings.Cut(rest[:at], ":")
	if !hasPw {
		return dsn
	}
	return scheme + "://" + user + ":***" + rest[at:]
}

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

func (a *App) envFloat(name string, def float64) float64 {
	if v := a.Getenv(name); v != "" {
		if n, err := strconv.ParseFloat(v, 64); err == nil {
			return n
		}
		fmt.Fprintf(a.Stderr, "warning: ignoring %s=%q: not a number\n", name, v)
	}
	return def
}
