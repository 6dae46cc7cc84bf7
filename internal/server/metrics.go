package server

import (
	"net/http"
	"strings"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

type metrics struct {
	requests *prometheus.CounterVec
	duration *prometheus.HistogramVec
	inflight prometheus.Gauge
	handler  http.Handler
}

// writeStats is implemented by stores that group concurrent writes into shared commits
// (sqlstore on SQLite); updates/commits is the mean batch size an operator watches.
type writeStats interface {
	WriteStats() (updates, commits int64)
}

// methodLabel is the method as a metrics label: the standard methods by name, anything else
// as OTHER. A client chooses the method freely (any token is a valid HTTP method), so the raw
// value would let an unauthenticated caller mint a new series per request and grow the
// process's memory and /metrics without bound.
func methodLabel(m string) string {
	switch m {
	case http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodPatch,
		http.MethodDelete, http.MethodOptions, http.MethodConnect, http.MethodTrace:
		return m
	}
	return "OTHER"
}

// routeLabel is the route as a metrics label: the pattern that matched, whose path comes from
// a route table and not from the request, or "unmatched" for a request no route took (404,
// or 405 for a method the path does not serve). A pattern may start with a method: the mux's
// own patterns carry a registered one, but the SCIM dispatcher builds its pattern from the
// request's method, so the method part is passed through methodLabel as well.
func routeLabel(pattern string) string {
	if pattern == "" {
		return "unmatched"
	}
	if m, path, ok := strings.Cut(pattern, " "); ok {
		return methodLabel(m) + " " + path
	}
	return pattern
}

// newMetrics registers request metrics labelled by route pattern (never by raw path: ids
// would explode the series count), the store's write batching when it has any, plus the Go
// and process collectors.
func newMetrics(reg *prometheus.Registry, st any) *metrics {
	m := &metrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "rolecall_http_requests_total", Help: "HTTP requests by route pattern, method and status code.",
		}, []string{"route", "method", "code"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "rolecall_http_request_duration_seconds", Help: "HTTP request latency by route pattern.",
			Buckets: []float64{.0005, .001, .002, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10},
		}, []string{"route", "method"}),
		inflight: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "rolecall_http_requests_in_flight", Help: "HTTP requests being served.",
		}),
	}
	if ws, ok := st.(writeStats); ok {
		reg.MustRegister(
			prometheus.NewCounterFunc(prometheus.CounterOpts{
				Name: "rolecall_store_updates_total", Help: "Write transactions (store Updates) committed.",
			}, func() float64 { u, _ := ws.WriteStats(); return float64(u) }),
			prometheus.NewCounterFunc(prometheus.CounterOpts{
				Name: "rolecall_store_commits_total", Help: "Database commits that carried them (SQLite groups concurrent Updates into one commit).",
			}, func() float64 { _, c := ws.WriteStats(); return float64(c) }),
		)
	}
	reg.MustRegister(m.requests, m.duration, m.inflight,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	m.handler = promhttp.HandlerFor(reg, promhttp.HandlerOpts{})
	return m
}
