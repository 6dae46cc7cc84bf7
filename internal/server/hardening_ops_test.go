package server

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

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
	f := newTokenFixture(t, sqltest.SQLiteDSN(t))
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
		body := `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"rid` + strconv.Itoa(i) + `@example.com"}`
		req, _ := http.NewRequest("POST", f.url+"/scim/v2/Users", strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+f.scim)
		req.Header.Set("Content-Type", "application/scim+json")
		req.Header.Set("X-Request-Id", c.sent)
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != http.StatusCreated {
			t.Fatalf("POST /Users with X-Request-Id %q: %d", c.sent, res.StatusCode)
		}
		got := res.Header.Get("X-Request-Id")
		if c.keep != (got == c.sent) {
			t.Errorf("X-Request-Id %q answered as %q; want kept=%v", c.sent, got, c.keep)
		}
		if !validRequestID(got) {
			t.Errorf("answered X-Request-Id %q is not a valid id", got)
		}
		var stored string
		if err := f.st.View(context.Background(), func(tx store.Tx) error {
			evs, _, err := tx.ListAudit(context.Background(), f.orgID, store.AuditQuery{Page: store.Page{Limit: 1}})
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

// serveOn starts s.Serve on a loopback listener and returns its address; the server stops
// when the test ends.
func serveOn(t *testing.T, s *Server) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Serve(ctx, l) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Serve: %v", err)
		}
	})
	return l.Addr().String()
}

// healthz sends GET /healthz on c and reads the status line, failing after 10 s.
func healthz(t *testing.T, c net.Conn) (string, error) {
	t.Helper()
	if _, err := io.WriteString(c, "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"); err != nil {
		return "", err
	}
	_ = c.SetReadDeadline(time.Now().Add(10 * time.Second))
	res, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		return "", err
	}
	res.Body.Close()
	return res.Status, nil
}

// TestConnectionCap opens as many connections as the cap allows and checks that one more is
// not served until one of them closes, over real TCP connections.
func TestConnectionCap(t *testing.T) {
	s, reg := newOpsServer(t, Config{MaxConns: 3})
	addr := serveOn(t, s)
	var held []net.Conn
	for range 3 {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		if st, err := healthz(t, c); err != nil || st != "200 OK" {
			t.Fatalf("a connection under the cap: %q %v", st, err)
		}
		held = append(held, c) // kept open: keep-alive
	}
	if got := gaugeValue(t, reg, "rolecall_http_connections_open"); got != 3 {
		t.Errorf("rolecall_http_connections_open = %v, want 3", got)
	}
	extra, err := net.Dial("tcp", addr) // the kernel's backlog takes it; the server must not
	if err != nil {
		t.Fatal(err)
	}
	defer extra.Close()
	answered := make(chan string, 1)
	go func() {
		st, err := healthz(t, extra)
		answered <- fmt.Sprintf("%s %v", st, err)
	}()
	select {
	case got := <-answered:
		t.Fatalf("a connection over the cap was served: %s", got)
	case <-time.After(500 * time.Millisecond):
	}
	held[0].Close() // frees a slot
	if got := <-answered; got != "200 OK <nil>" {
		t.Fatalf("the waiting connection, once a slot was free: %s", got)
	}
}

// gaugeValue reads a gauge from reg.
func gaugeValue(t *testing.T, reg *prometheus.Registry, name string) float64 {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() == name && len(mf.GetMetric()) == 1 {
			return mf.GetMetric()[0].GetGauge().GetValue()
		}
	}
	t.Fatalf("no gauge %s", name)
	return 0
}

// TestConnectionTimeouts: the server closes a connection that stays idle between requests
// past the idle timeout, one that sends its headers too slowly, and one that stalls in its
// body; each closure frees the connection's slot.
func TestConnectionTimeouts(t *testing.T) {
	const short = 200 * time.Millisecond
	s, reg := newOpsServer(t, Config{MaxConns: 10, IdleTimeout: short, ReadHeaderTimeout: short, ReadTimeout: 2 * short})
	addr := serveOn(t, s)
	closedByServer := func(c net.Conn) error {
		_ = c.SetReadDeadline(time.Now().Add(10 * time.Second))
		_, err := io.Copy(io.Discard, c) // returns nil on EOF: the server closed it
		return err
	}
	for name, send := range map[string]func(c net.Conn) error{
		"idle keep-alive": func(c net.Conn) error {
			if _, err := healthz(t, c); err != nil {
				return err
			}
			return nil
		},
		"slow headers": func(c net.Conn) error {
			_, err := io.WriteString(c, "GET /healthz HTTP/1.1\r\nHost: x\r\n")
			return err
		},
		"stalled body": func(c net.Conn) error {
			_, err := io.WriteString(c, "POST /scim/v2/Users HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\n{")
			return err
		},
	} {
		t.Run(name, func(t *testing.T) {
			c, err := net.Dial("tcp", addr)
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			if err := send(c); err != nil {
				t.Fatal(err)
			}
			if err := closedByServer(c); err != nil {
				t.Fatalf("the server did not close the connection: %v", err)
			}
		})
	}
	// The slots come back once the server has closed the connections.
	for deadline := time.Now().Add(10 * time.Second); gaugeValue(t, reg, "rolecall_http_connections_open") != 0; {
		if time.Now().After(deadline) {
			t.Fatalf("%v connections still counted open", gaugeValue(t, reg, "rolecall_http_connections_open"))
		}
		time.Sleep(10 * time.Millisecond)
	}
}
