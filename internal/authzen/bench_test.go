package authzen

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
)

// BenchmarkDecodeEvaluation measures decoding and validating one Access Evaluation
// request: the wire layer's share of a decision (the HTTP floor of issue 15 decodes the
// same request).
//
//	go test ./internal/authzen -run '^$' -bench . -benchtime 20000x
func BenchmarkDecodeEvaluation(b *testing.B) {
	body := []byte(`{"subject":{"type":"user","id":"user000123@example.com"},"action":{"name":"write"},` +
		`"resource":{"type":"project","id":"proj-01234"},"context":{"time":"2026-12-04T11:00:00Z"}}`)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := DecodeEvaluation(body); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkEvaluations100 measures a batch of 100 evaluations through the wire layer
// (decode, defaults, semantics, encode) with a PDP that answers at once: the batch budget
// of issue 15 (p99 < 3 ms) minus the decisions themselves.
func BenchmarkEvaluations100(b *testing.B) {
	var items []string
	for i := range 100 {
		items = append(items, fmt.Sprintf(`{"resource":{"type":"record","id":"record-%d"}}`, i%3+1))
	}
	body := []byte(`{"subject":{"type":"user","id":"alice"},"action":{"name":"read"},"evaluations":[` + strings.Join(items, ",") + `]}`)
	pdp := newFake()
	b.ReportAllocs()
	for b.Loop() {
		pdp.asked = pdp.asked[:0]
		req, err := DecodeEvaluations(body)
		if err != nil {
			b.Fatal(err)
		}
		resp, err := Evaluations(context.Background(), pdp, req)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := json.Marshal(resp); err != nil {
			b.Fatal(err)
		}
	}
}
