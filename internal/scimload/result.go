package scimload

import (
	"fmt"
	"io"
	"slices"
	"strings"
	"time"
)

// Result is what a run measured. Latencies are in milliseconds; the top-level figures are those
// of the workload's measured requests (for biggroup: the single-member adds and removes; the
// bulk PATCHes are reported apart). Ops counts every measured request, failed or not; Throughput
// counts only those that passed their check, per second of the measured phase; latencies cover
// all of them.
type Result struct {
	Workload     string   `json:"workload"`
	Ops          int64    `json:"ops"`
	Errors       int64    `json:"errors"`
	ElapsedS     float64  `json:"elapsed_s"`
	Throughput   float64  `json:"throughput"`
	P50          float64  `json:"p50_ms"`
	P95          float64  `json:"p95_ms"`
	P99          float64  `json:"p99_ms"`
	Max          float64  `json:"max_ms"`
	Mean         float64  `json:"mean_ms"`
	Concurrency  int      `json:"concurrency"`
	SetupS       float64  `json:"setup_s"`
	SetupOps     int64    `json:"setup_ops"`
	Population   int      `json:"population,omitempty"`
	BulkAddMs    *float64 `json:"bulk_add_ms,omitempty"`
	BulkRemoveMs *float64 `json:"bulk_remove_ms,omitempty"`
	BulkSize     int      `json:"bulk_size,omitempty"`
	GroupSize    int      `json:"group_size,omitempty"`
	VerifyErrors int64    `json:"verify_errors"`
	// AuthZEN workloads: decisions answered per second (a batch counts each of its items),
	// decisions that were allow (authz-search: results found), and answers (decisions, or search result counts) that differ
	// from the expectation written with the requests. The floor allows everything, so its
	// mismatches are the expected denies.
	DecisionsPerS float64             `json:"decisions_per_s,omitempty"`
	Allowed       *int64              `json:"allowed,omitempty"`
	Mismatches    *int64              `json:"mismatches,omitempty"`
	Requests      int                 `json:"requests,omitempty"`
	Target        string              `json:"target,omitempty"`
	Kinds         map[string]KindStat `json:"kinds,omitempty"`
	ErrorDetails  []string            `json:"error_details,omitempty"`
}

// KindStat is the measured-phase figure for one kind of request.
type KindStat struct {
	Ops    int64   `json:"ops"`
	Errors int64   `json:"errors"`
	P50    float64 `json:"p50_ms"`
	P99    float64 `json:"p99_ms"`
	Max    float64 `json:"max_ms"`
}

// ms converts a duration to fractional milliseconds.
func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// WriteText prints a Result for a person: the headline figures, one line per kind of request
// and the first error details.
func (r *Result) WriteText(w io.Writer) {
	fmt.Fprintf(w, "workload %s: %d ops, %d errors in %.2fs with %d workers (setup %.2fs, %d requests)\n",
		r.Workload, r.Ops, r.Errors, r.ElapsedS, r.Concurrency, r.SetupS, r.SetupOps)
	fmt.Fprintf(w, "throughput %.1f ops/s\n", r.Throughput)
	fmt.Fprintf(w, "latency ms: p50 %.3f  p95 %.3f  p99 %.3f  max %.3f  mean %.3f\n", r.P50, r.P95, r.P99, r.Max, r.Mean)
	if r.BulkAddMs != nil {
		fmt.Fprintf(w, "one PATCH adding %d members to a %d-member group: %.1f ms\n", r.BulkSize, r.GroupSize, *r.BulkAddMs)
	}
	if r.BulkRemoveMs != nil {
		fmt.Fprintf(w, "one PATCH removing those %d members: %.1f ms\n", r.BulkSize, *r.BulkRemoveMs)
	}
	if r.Allowed != nil && r.Mismatches != nil {
		fmt.Fprintf(w, "decisions %.1f/s; %d allowed; %d answers differ from the expected ones (of %d requests in the file)\n",
			r.DecisionsPerS, *r.Allowed, *r.Mismatches, r.Requests)
	}
	if r.Workload == "biggroup" {
		fmt.Fprintf(w, "membership checks that failed afterwards: %d\n", r.VerifyErrors)
	}
	names := make([]string, 0, len(r.Kinds))
	for k := range r.Kinds {
		names = append(names, k)
	}
	slices.Sort(names)
	for _, k := range names {
		s := r.Kinds[k]
		fmt.Fprintf(w, "  %-14s %8d ops %6d errors  p50 %.3f  p99 %.3f  max %.3f ms\n", k, s.Ops, s.Errors, s.P50, s.P99, s.Max)
	}
	if len(r.ErrorDetails) > 0 {
		fmt.Fprintln(w, "first errors:")
		for _, d := range r.ErrorDetails {
			fmt.Fprintln(w, "  "+strings.ReplaceAll(d, "\n", " "))
		}
	}
}
