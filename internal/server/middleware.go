package server

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"log/slog"
	"net/http"
	"runtime/debug"
	"strconv"
	"time"

	"github.com/rolecall/rolecall/internal/api"
	"github.com/rolecall/rolecall/internal/server/respond"
	"github.com/rolecall/rolecall/internal/service"
)

// requestID returns the id of the request being served.
func requestID(ctx context.Context) string { return respond.RequestID(ctx) }

// statusWriter remembers the status code for logs and metrics, and answers the org's
// revision after the request's writes (api.HeaderRevision) as the headers go out: the
// handlers write their answer after the use case returned, so the revision is known by then.
type statusWriter struct {
	http.ResponseWriter
	status int
	bytes  int64
	sink   *service.RevisionSink
}

// revision sets the revision header, once, before the headers are sent.
func (w *statusWriter) revision() {
	if w.status != 0 || w.sink == nil {
		return
	}
	if _, rev, ok := w.sink.Get(); ok {
		w.Header().Set(api.HeaderRevision, strconv.FormatInt(rev, 10))
	}
}

func (w *statusWriter) WriteHeader(code int) {
	w.revision()
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	w.revision()
	if w.status == 0 {
		w.status = http.StatusOK
	}
	n, err := w.ResponseWriter.Write(b)
	w.bytes += int64(n)
	return n, err
}

func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// middleware wraps the mux: request id, body limit, panic recovery, one log line and metrics
// per request. The route label is the mux pattern that matched, known only after routing,
// hence it is read from r.Pattern once the mux has run.
func (s *Server) middleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		id := r.Header.Get("X-Request-Id")
		if id == "" || len(id) > 128 {
			id = newRequestID()
		}
		w.Header().Set("X-Request-Id", id)
		r = r.WithContext(respond.WithRequestID(r.Context(), id))
		if r.ContentLength > s.cfg.MaxBodyBytes {
			s.tooLarge(w, r)
			return
		}
		r.Body = http.MaxBytesReader(w, r.Body, s.cfg.MaxBodyBytes)
		ctx, sink := service.WithRevisionSink(r.Context())
		r = r.WithContext(ctx)
		sw := &statusWriter{ResponseWriter: w, sink: sink}
		s.metrics.inflight.Inc()
		defer func() {
			s.metrics.inflight.Dec()
			if p := recover(); p != nil {
				if p == http.ErrAbortHandler {
					panic(p)
				}
				s.log.Error("panic serving request", "request_id", id, "method", r.Method, "path", r.URL.Path,
					"panic", fmt.Sprint(p), "stack", string(debug.Stack()))
				if sw.status == 0 {
					s.internalError(sw, r)
				}
			}
			route := r.Pattern
			if route == "" {
				route = "unmatched"
			}
			d := time.Since(start)
			s.metrics.requests.WithLabelValues(route, r.Method, strconv.Itoa(sw.status)).Inc()
			s.metrics.duration.WithLabelValues(route, r.Method).Observe(d.Seconds())
			level := slog.LevelInfo
			if sw.status >= 500 {
				level = slog.LevelError
			}
			// The query string is not logged: a misguided client may put a token there.
			s.log.Log(r.Context(), level, "request", "request_id", id, "method", r.Method, "path", r.URL.Path,
				"route", route, "status", sw.status, "bytes", sw.bytes, "duration_ms", float64(d.Microseconds())/1000,
				"remote", r.RemoteAddr)
		}()
		next.ServeHTTP(sw, r)
	})
}

func newRequestID() string {
	var b [8]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}
