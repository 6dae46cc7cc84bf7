package server

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/rolecall/rolecall/internal/store"
	"github.com/rolecall/rolecall/internal/store/sqlstore"
	"github.com/rolecall/rolecall/internal/store/sqlstore/sqltest"
)

// Regression tests of the operational hardening (issue 14): metrics cardinality, request ids,
// connection limits, request deadlines.

// newOpsServer is a server on a fresh SQLite store with its own metrics registry.
func newOpsServer(t *testing.T, cfg Config) (*Server, *prometheus.Registry) {
	t.Helper()
	st, err := sqlstore.Open(context.Background(), sqltest.SQLiteDSN(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	reg := prometheus.NewRegistry()
	return New(cfg, st, nil, reg), reg
}

// seriesCount counts the series of the request metrics in reg.
func seriesCount(t *testing.T, reg *prometheus.Registry) (n int, labels map[string]bool) {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	labels = map[string]bool{}
	for _, mf := range mfs {
		if mf.GetName() != "rolecall_http_requests_total" && mf.GetName() != "rolecall_http_request_duration_seconds" {
			continue
		}
		for _, m := range mf.GetMetric() {
			n++
			for _, l := range m.GetLabel() {
				labels[l.GetName()+"="+l.GetValue()] = true
			}
		}
	}
	return n, labels
}

// TestMetricsLabelsBounded sends requests with invented methods and paths, without a token,
// and checks the request metrics gain no series per request: unknown methods count as OTHER
// and unrouted paths as "unmatched".
func TestMetricsLabelsBounded(t *testing.T) {
	s, reg := newOpsServer(t, Config{})
	h := s.Handler()
	for i := range 500 {
		m := "X" + strconv.Itoa(i)
		for _, path := range []string{"/scim/v2/Users", "/api/v1/orgs", "/healthz", "/nope/" + strconv.Itoa(i)} {
			h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(m, path, nil))
		}
		h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodGet, "/nope/"+strconv.Itoa(i), nil))
	}
	n, labels := seriesCount(t, reg)
	if n > 40 {
		t.Errorf("%d series after 2,500 requests with invented methods and paths; labels: %v", n, labels)
	}
	for l := range labels {
		if len(l) > 7 && l[:7] == "method=" && l != "method=OTHER" && l != "method=GET" {
			t.Errorf("label %s", l)
		}
	}
	if !labels["method=OTHER"] || !labels["route=unmatched"] {
		t.Errorf("want method=OTHER and route=unmatched among %v", labels)
	}
}

// TestRequestIDBounded: a client's X-Request-Id is kept when it is a short id of
// [A-Za-z0-9._:-]; anything else (markup, spaces, formula prefixes, non-ASCII, too long) is
// replaced by a server-generated id, in the answer and in the audit event the request writes.
func TestRequestIDBounded(t *testing.T) {
	e := newSCIMEnv(t, "sqlite", Config{})
	for i, c := range []struct {
		sent string
		keep bool
	}{
		{"3f1c2a9e-6b7d-4e0f-9a1b-2c3d4e5f6a7b", true},
		{"okta:trace.0001_A-b", true},
		{strings.Repeat("a", 128), true},
		{strings.Repeat("a", 129), false},
		{"<script>alert(1)</script>", false},
		{"id with spaces", false},
		{`=HYPERLINK("http://evil")`, false},
		{"ïd", false},
		{"a\tb", false},
		{"a/b", false},
	} {
		r := e.must(http.StatusCreated, "POST", "/scim/v2/Users",
			map[string]any{"schemas": []string{"urn:ietf:params:scim:schemas:core:2.0:User"}, "userName": "rid" + strconv.Itoa(i) + "@example.com"}, "X-Request-Id", c.sent)
		got := r.header.Get("X-Request-Id")
		if c.keep != (got == c.sent) {
			t.Errorf("X-Request-Id %q answered as %q; want kept=%v", c.sent, got, c.keep)
		}
		if !validRequestID(got) {
			t.Errorf("answered X-Request-Id %q is not a valid id", got)
		}
		var stored string
		if err := e.st.View(context.Background(), func(tx store.Tx) error {
			evs, _, err := tx.ListAudit(context.Background(), e.org, store.AuditQuery{Page: store.Page{Limit: 1}})
			if len(evs) == 1 {
				stored = evs[0].RequestID
			}
			return err
		}); err != nil {
			t.Fatal(err)
		}
		if stored != got {
			t.Errorf("audit event request id %q, want the answered %q", stored, got)
		}
	}
}
