package server

import (
	"net/http"
	"strings"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/rolecall/rolecall/internal/service/decisions"
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

// decisionBuildBuckets span a small org's index (well under a millisecond) to the
// enforce-groups budget population's (a few seconds).
var decisionBuildBuckets = []float64{.0005, .001, .005, .01, .05, .1, .25, .5, 1, 2.5, 5, 10, 30}

// newDecisionBuildHistogram is the histogram of decision index build times; the cache is
// created with its Observe as decisions.Options.OnBuild.
func newDecisionBuildHistogram() prometheus.Histogram {
	return prometheus.NewHistogram(prometheus.HistogramOpts{
		Name:    "rolecall_decision_index_build_duration_seconds",
		Help:    "Time to build an organization's decision index from the store (first use, after an eviction, or a rebuild).",
		Buckets: decisionBuildBuckets,
	})
}

// decisionCollector exports the decision cache's counters (decisions.Stats), read once per
// scrape, so that the cache itself stays free of Prometheus.
type decisionCollector struct {
	stats                                              func() decisions.Stats
	indexes, bytes, maxBytes, builds, evictions, apply *prometheus.Desc
	requests, waits                                    *prometheus.Desc
}

func newDecisionCollector(stats func() decisions.Stats) *decisionCollector {
	d := func(name, help string, labels ...string) *prometheus.Desc {
		return prometheus.NewDesc(name, help, labels, nil)
	}
	return &decisionCollector{stats: stats,
		indexes:   d("rolecall_decision_indexes", "Organizations whose decision index is resident in memory."),
		bytes:     d("rolecall_decision_index_bytes", "Estimated memory of the resident decision indexes together."),
		maxBytes:  d("rolecall_decision_index_bytes_max", "The cap on rolecall_decision_index_bytes (--decision-cache-bytes); least recently used indexes are evicted above it."),
		builds:    d("rolecall_decision_index_builds_total", "Decision index builds from the store (first use, after an eviction, or a rebuild)."),
		evictions: d("rolecall_decision_index_evictions_total", "Decision indexes evicted to stay under the memory cap."),
		apply:     d("rolecall_decision_index_events_applied_total", "Change events applied to resident decision indexes."),
		requests:  d("rolecall_decision_cache_requests_total", "Decision requests by whether the organization's index was resident (hit) or had to be built first (miss).", "result"),
		waits:     d("rolecall_decision_min_revision_waits_total", "Decision requests whose min_revision was ahead of the known revision, by whether it was reached within the wait.", "outcome"),
	}
}

func (c *decisionCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{c.indexes, c.bytes, c.maxBytes, c.builds, c.evictions, c.apply, c.requests, c.waits} {
		ch <- d
	}
}

func (c *decisionCollector) Collect(ch chan<- prometheus.Metric) {
	s := c.stats()
	g := func(d *prometheus.Desc, v float64, labels ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, v, labels...)
	}
	n := func(d *prometheus.Desc, v int64, labels ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.CounterValue, float64(v), labels...)
	}
	g(c.indexes, float64(s.Orgs))
	g(c.bytes, float64(s.Bytes))
	g(c.maxBytes, float64(s.MaxBytes))
	n(c.builds, s.Builds)
	n(c.evictions, s.Evictions)
	n(c.apply, s.Applied)
	n(c.requests, s.Hits, "hit")
	n(c.requests, s.Misses, "miss")
	n(c.waits, s.MinRevisionWaits-s.MinRevisionMissed, "reached")
	n(c.waits, s.MinRevisionMissed, "not_reached")
}
