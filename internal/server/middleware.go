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
		// Every "not now" answer says when to come back (RFC 9110 §10.2.3); the rate limiter
		// sets its own wait, the others (scan slots, deadlines, readiness) get a default.
		if (code == http.StatusTooManyRequests || code == http.StatusServiceUnavailable) && w.Header().Get("Retry-After") == "" {
			w.Header().Set("Retry-After", strconv.Itoa(int(respond.BusyRetryAfter/time.Second)))
		}
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
		if !validRequestID(id) {
			id = newRequestID()
		}
		w.Header().Set("X-Request-Id", id)
		// The request's deadline (deadline.go): every store call and query gets this context.
		ctx, cancel := context.WithTimeout(r.Context(), s.cfg.RequestTimeout)
		defer cancel()
		r = r.WithContext(respond.WithRequestID(ctx, id))
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
			route := routeLabel(r.Pattern)
			method := methodLabel(r.Method)
			d := time.Since(start)
			s.metrics.requests.WithLabelValues(route, method, strconv.Itoa(sw.status)).Inc()
			s.metrics.duration.WithLabelValues(route, method).Observe(d.Seconds())
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

// maxRequestIDLen bounds a client's X-Request-Id: a UUID is 36 characters, the longest ids
// proxies and IdPs send (trace ids with a span suffix) stay well under it.
const maxRequestIDLen = 128

// validRequestID reports whether a client's X-Request-Id may be adopted as the request's id.
// The id is echoed in the answer, written to every log line of the request and stored in
// audit events, so only short ids of [A-Za-z0-9._:-] are kept: no spaces, quotes, markup or
// control characters that could forge log fields or land in an audit export as a formula.
// Any other value is replaced by a server-generated id rather than cleaned, so that an id in
// the audit log is always either the client's exactly or the server's.
func validRequestID(id string) bool {
	if id == "" || len(id) > maxRequestIDLen {
		return false
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9', c == '.', c == '_', c == ':', c == '-':
		default:
			return false
		}
	}
	return true
}

func newRequestID() string {
	var b [8]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}
