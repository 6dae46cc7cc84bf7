package server

import (
	"net/http"

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
