package dispatch_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/rolecall/rolecall/internal/api"
	"github.com/rolecall/rolecall/internal/audit"
	"github.com/rolecall/rolecall/internal/delivery"
	"github.com/rolecall/rolecall/internal/dispatch"
	"github.com/rolecall/rolecall/internal/service"
	"github.com/rolecall/rolecall/internal/store"
	"github.com/rolecall/rolecall/internal/store/sqlstore/sqltest"
	"github.com/rolecall/rolecall/webhook"
)

// got is one request the receiver got.
type got struct {
	ID, Type string
	Rev      int64
	Sigs     int
	Verified bool
	At       time.Time
	Header   http.Header
	Body     []byte
}

// receiver is a real HTTP receiver: it verifies each delivery's signature with its
// secrets, records it, and answers what answer says (nil: 204).
type receiver struct {
	t      *testing.T
	srv    *httptest.Server
	mu     sync.Mutex
	ver    *webhook.Verifier
	got    []got
	answer func(n int, g got) (status int, header map[string]string)
	signal chan struct{}
}

func newReceiver(t *testing.T) *receiver {
	r := &receiver{t: t, signal: make(chan struct{}, 1)}
	r.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		body, _ := io.ReadAll(req.Body)
		var ce struct {
			Type     string `json:"type"`
			Revision string `json:"revision"`
		}
		_ = json.Unmarshal(body, &ce)
		g := got{ID: req.Header.Get("webhook-id"), Type: ce.Type, At: time.Now(), Header: req.Header.Clone(), Body: body,
			Sigs: len(strings.Fields(req.Header.Get("webhook-signature")))}
		g.Rev, _ = strconv.ParseInt(ce.Revision, 10, 64)
		r.mu.Lock()
		if r.ver != nil {
			id, err := r.ver.Verify(req.Header, body)
			g.Verified = err == nil && id == g.ID
		}
		n := len(r.got)
		r.got = append(r.got, g)
		answer := r.answer
		r.mu.Unlock()
		select {
		case r.signal <- struct{}{}:
		default:
		}
		status := http.StatusNoContent
		if answer != nil {
			var h map[string]string
			status, h = answer(n, g)
			for k, v := range h {
				w.Header().Set(k, v)
			}
		}
		w.WriteHeader(status)
	}))
	t.Cleanup(r.srv.Close)
	return r
}

func (r *receiver) trust(secrets ...string) {
	v, err := webhook.NewVerifier(secrets...)
	if err != nil {
		r.t.Fatal(err)
	}
	r.mu.Lock()
	r.ver = v
	r.mu.Unlock()
}

func (r *receiver) all() []got {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]got(nil), r.got...)
}

// waitFor polls cond until it holds or 15 s pass.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// env is a store, the service with webhooks to private addresses allowed, an org and a
// running dispatcher with a retry schedule of milliseconds.
type env struct {
	t   *testing.T
	st  store.Store
	svc *service.Service
	org string
	ctx context.Context
	reg *prometheus.Registry
	d   *dispatch.Dispatcher
	// delays, when set, replaces the test schedule.
	maxAttempts int
	stop        func()
}

func newEnv(t *testing.T, st store.Store) *env {
	e := &env{t: t, st: st, svc: service.New(st), maxAttempts: 4, reg: prometheus.NewRegistry()}
	e.svc.SetWebhooks(service.WebhookOptions{Guard: delivery.Guard{AllowPrivate: true}, Sender: delivery.NewSender(delivery.Guard{AllowPrivate: true}, 2*time.Second)})
	e.ctx = audit.WithActor(context.Background(), audit.Actor{Name: "tester"})
	org, err := e.svc.CreateOrg(e.ctx, "hooks")
	if err != nil {
		t.Fatal(err)
	}
	e.org = org.ID
	return e
}

// start runs a dispatcher until the test ends.
func (e *env) start() *dispatch.Dispatcher {
	d := dispatch.New(e.svc, dispatch.Options{Lease: 3 * time.Second, Poll: 20 * time.Millisecond, IdleRelease: 300 * time.Millisecond,
		Log: testLog(e.t), Registerer: e.reg, NextDelay: func(attempt int, retryAfter time.Duration) (time.Duration, bool) {
			if attempt >= e.maxAttempts {
				return 0, false
			}
			return max(20*time.Millisecond, retryAfter), true
		}})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); d.Run(ctx) }()
	e.stop = func() { cancel(); <-done }
	e.t.Cleanup(e.stop)
	e.d = d
	return d
}

func (e *env) hook(url string, types ...string) api.CreatedWebhook {
	e.t.Helper()
	c, err := e.svc.CreateWebhook(e.ctx, e.org, api.CreateWebhookRequest{URL: url, Types: types})
	if err != nil {
		e.t.Fatal(err)
	}
	return c
}

func (e *env) clouds(prefix string, n int) {
	e.t.Helper()
	for i := 0; i < n; i++ {
		if _, err := e.svc.CreateCloud(e.ctx, e.org, fmt.Sprintf("%s-%d", prefix, i)); err != nil {
			e.t.Fatal(err)
		}
	}
}

func (e *env) endpoint(id string) api.WebhookEndpoint {
	e.t.Helper()
	v, err := e.svc.Webhook(e.ctx, e.org, id)
	if err != nil {
		e.t.Fatal(err)
	}
	return v
}

func (e *env) log(id string) []api.WebhookDelivery {
	e.t.Helper()
	l, err := e.svc.WebhookDeliveries(e.ctx, e.org, id, 0, "", 1000)
	if err != nil {
		e.t.Fatal(err)
	}
	return l.Items
}

func (e *env) audits(action string) []store.AuditEvent {
	e.t.Helper()
	evs, _, err := e.svc.AuditLog(e.ctx, e.org, store.AuditQuery{Action: action, Page: store.Page{Limit: 100}})
	if err != nil {
		e.t.Fatal(err)
	}
	return evs
}

// inOrder checks that the first delivery of each event came in revision order, and that
// each event came at least once.
func inOrder(t *testing.T, gs []got, want []int64) {
	t.Helper()
	seen := map[int64]bool{}
	var firsts []int64
	for _, g := range gs {
		if !seen[g.Rev] {
			seen[g.Rev] = true
			firsts = append(firsts, g.Rev)
		}
	}
	if fmt.Sprint(firsts) != fmt.Sprint(want) {
		t.Errorf("first deliveries in order %v, want %v", firsts, want)
	}
}

func revs(from, to int64) []int64 {
	var out []int64
	for r := from; r <= to; r++ {
		out = append(out, r)
	}
	return out
}

func TestDispatcher(t *testing.T) {
	cases := []struct {
		name string
		fn   func(t *testing.T, e *env)
	}{
		{"OrderAndSignatures", testOrder}, {"Retries", testRetries}, {"RetryAfter", testRetryAfter},
		{"GoneDisables", testGone}, {"ExhaustedDisables", testExhausted}, {"Redelivery", testRedelivery},
		{"Rotation", testRotation}, {"DisableStopsSending", testDisableStops}, {"TypesFilter", testTypes}, {"ExpiredCursor", testExpired},
	}
	for _, b := range sqltest.Backends() {
		t.Run(b.Name, func(t *testing.T) {
			for _, c := range cases {
				// A fresh database each: a dispatcher delivers every org's endpoints.
				t.Run(c.name, func(t *testing.T) { c.fn(t, newEnv(t, sqltest.Open(t, b.DSN(t)))) })
			}
		})
	}
}

func testOrder(t *testing.T, e *env) {
	r := newReceiver(t)
	h := e.hook(r.srv.URL)
	r.trust(h.Secret)
	start := h.Endpoint.Cursor
	e.start()
	e.clouds("c", 40)
	end := start + 40
	waitFor(t, "40 deliveries", func() bool { return len(r.all()) >= 40 && e.endpoint(h.Endpoint.ID).Cursor == end })
	gs := r.all()
	inOrder(t, gs, revs(start+1, end))
	for _, g := range gs {
		if !g.Verified || g.Type != "com.rolecall.resource.created" || g.ID == "" {
			t.Fatalf("delivery %+v: want a verified resource.created", g)
		}
		if g.Header.Get("Content-Type") != "application/cloudevents+json" {
			t.Errorf("content type %q", g.Header.Get("Content-Type"))
		}
	}
	log := e.log(h.Endpoint.ID)
	if len(log) != len(gs) || log[0].Outcome != "delivered" || log[0].EventSeq != end || log[0].Attempt != 1 || log[0].Manual {
		t.Errorf("log has %d lines (receiver got %d); newest %+v", len(log), len(gs), log[0])
	}
	if n := counterValue(t, e.reg, "rolecall_webhook_attempts_total", "delivered"); n < 40 {
		t.Errorf("delivered counter = %v", n)
	}
}

func counterValue(t *testing.T, reg *prometheus.Registry, name, outcome string) float64 {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
		for _, m := range mf.GetMetric() {
			for _, l := range m.GetLabel() {
				if l.GetValue() == outcome {
					return m.GetCounter().GetValue()
				}
			}
		}
	}
	t.Fatalf("metric %s{%s} not found", name, outcome)
	return 0
}

func testRetries(t *testing.T, e *env) {
	r := newReceiver(t)
	h := e.hook(r.srv.URL)
	r.trust(h.Secret)
	start := h.Endpoint.Cursor
	// The first event fails twice (500, then a dropped connection), then succeeds.
	r.answer = func(n int, g got) (int, map[string]string) {
		if g.Rev == start+1 && n < 2 {
			return http.StatusInternalServerError, nil
		}
		return http.StatusOK, nil
	}
	e.clouds("c", 3)
	e.start()
	waitFor(t, "3 events delivered", func() bool { return e.endpoint(h.Endpoint.ID).Cursor == start+3 })
	gs := r.all()
	if len(gs) != 5 || gs[0].Rev != start+1 || gs[1].Rev != start+1 || gs[2].Rev != start+1 || gs[0].ID != gs[2].ID {
		t.Fatalf("deliveries %v; want the first event three times (same webhook-id), then the others", gs)
	}
	inOrder(t, gs, revs(start+1, start+3))
	log := e.log(h.Endpoint.ID)
	var attempts []string
	for i := len(log) - 1; i >= 0; i-- {
		attempts = append(attempts, fmt.Sprintf("%d:%d:%s", log[i].EventSeq-start, log[i].Attempt, log[i].Outcome))
	}
	if got, want := strings.Join(attempts, " "), "1:1:retry 1:2:retry 1:3:delivered 2:1:delivered 3:1:delivered"; got != want {
		t.Errorf("log %s, want %s", got, want)
	}
	ep := e.endpoint(h.Endpoint.ID)
	if ep.Attempts != 0 || ep.FailingSince != nil || !ep.Enabled {
		t.Errorf("after recovery: %+v", ep)
	}
}

func testRetryAfter(t *testing.T, e *env) {
	r := newReceiver(t)
	h := e.hook(r.srv.URL)
	r.trust(h.Secret)
	r.answer = func(n int, g got) (int, map[string]string) {
		if n == 0 {
			return http.StatusTooManyRequests, map[string]string{"Retry-After": "1"}
		}
		return http.StatusNoContent, nil
	}
	e.clouds("c", 1)
	e.start()
	waitFor(t, "two attempts", func() bool { return len(r.all()) >= 2 })
	gs := r.all()
	if gap := gs[1].At.Sub(gs[0].At); gap < 900*time.Millisecond {
		t.Errorf("second attempt %v after a 429 with Retry-After: 1; want about 1s", gap)
	}
	waitFor(t, "delivered", func() bool { return e.endpoint(h.Endpoint.ID).Cursor == h.Endpoint.Cursor+1 })
	if l := e.log(h.Endpoint.ID); len(l) != 2 || l[1].Status != 429 || l[1].Outcome != "retry" {
		t.Errorf("log %+v", l)
	}
}

func testGone(t *testing.T, e *env) {
	r := newReceiver(t)
	h := e.hook(r.srv.URL)
	r.trust(h.Secret)
	r.answer = func(int, got) (int, map[string]string) { return http.StatusGone, nil }
	e.start()
	e.clouds("c", 3)
	waitFor(t, "disabled", func() bool { return !e.endpoint(h.Endpoint.ID).Enabled })
	ep := e.endpoint(h.Endpoint.ID)
	if ep.DisabledReason != store.WebhookDisabledGone || ep.Cursor != h.Endpoint.Cursor {
		t.Errorf("after 410: %+v", ep)
	}
	time.Sleep(200 * time.Millisecond)
	if n := len(r.all()); n != 1 {
		t.Errorf("%d deliveries, want 1 (none after the 410)", n)
	}
	a := e.audits("webhook.disabled")
	if len(a) != 1 || a[0].Actor != service.DispatcherActor || !strings.Contains(string(a[0].After), `"reason":"gone"`) {
		t.Fatalf("audit %+v", a)
	}
}

func testExhausted(t *testing.T, e *env) {
	r := newReceiver(t)
	h := e.hook(r.srv.URL)
	r.trust(h.Secret)
	r.answer = func(int, got) (int, map[string]string) { return http.StatusBadGateway, nil }
	e.start()
	e.clouds("c", 2)
	waitFor(t, "disabled", func() bool { return !e.endpoint(h.Endpoint.ID).Enabled })
	ep := e.endpoint(h.Endpoint.ID)
	if ep.DisabledReason != store.WebhookDisabledFailing || ep.Attempts != e.maxAttempts || ep.FailingSince == nil {
		t.Errorf("after exhausting attempts: %+v", ep)
	}
	gs := r.all()
	if len(gs) != e.maxAttempts {
		t.Errorf("%d attempts, want %d", len(gs), e.maxAttempts)
	}
	for _, g := range gs {
		if g.ID != gs[0].ID || !g.Verified {
			t.Errorf("attempt %+v: want the same verified event each time", g)
		}
	}
	a := e.audits("webhook.disabled")
	if len(a) != 1 || a[0].Actor != "rolecall" || !strings.Contains(string(a[0].After), `"reason":"failing"`) {
		t.Fatalf("audit %+v", a)
	}
	// Enabled again by an admin (the receiver is fixed): it resumes with the same event.
	r.mu.Lock()
	r.answer = nil
	r.mu.Unlock()
	on := true
	if _, err := e.svc.UpdateWebhook(e.ctx, e.org, h.Endpoint.ID, api.UpdateWebhookRequest{Enabled: &on}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "caught up", func() bool { return e.endpoint(h.Endpoint.ID).Cursor == h.Endpoint.Cursor+2 })
	inOrder(t, r.all(), revs(h.Endpoint.Cursor+1, h.Endpoint.Cursor+2))
}

func testRedelivery(t *testing.T, e *env) {
	r := newReceiver(t)
	h := e.hook(r.srv.URL)
	r.trust(h.Secret)
	e.start()
	e.clouds("c", 3)
	end := h.Endpoint.Cursor + 3
	waitFor(t, "delivered", func() bool { return e.endpoint(h.Endpoint.ID).Cursor == end })
	first := r.all()
	// One event again, now.
	res, err := e.svc.Redeliver(e.ctx, e.org, h.Endpoint.ID, api.RedeliverRequest{Revision: end - 1})
	if err != nil {
		t.Fatal(err)
	}
	gs := r.all()
	last := gs[len(gs)-1]
	if res.Delivery.Outcome != "delivered" || !res.Delivery.Manual || last.Rev != end-1 || last.ID != first[1].ID || !last.Verified {
		t.Errorf("redelivery %+v, receiver got %+v", res.Delivery, last)
	}
	// Replay from the start: every event again, in order, same ids.
	if _, err := e.svc.Redeliver(e.ctx, e.org, h.Endpoint.ID, api.RedeliverRequest{FromRevision: &h.Endpoint.Cursor}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "replayed", func() bool { return len(r.all()) == len(gs)+3 && e.endpoint(h.Endpoint.ID).Cursor == end })
	replay := r.all()[len(gs):]
	for i, g := range replay {
		if g.Rev != h.Endpoint.Cursor+int64(i)+1 || g.ID != first[i].ID {
			t.Errorf("replayed %d: %+v, want revision %d id %s", i, g, h.Endpoint.Cursor+int64(i)+1, first[i].ID)
		}
	}
	if a := e.audits("webhook.redelivered"); len(a) != 2 {
		t.Errorf("%d webhook.redelivered audit events, want 2", len(a))
	}
}

func testRotation(t *testing.T, e *env) {
	r := newReceiver(t)
	h := e.hook(r.srv.URL)
	r.trust(h.Secret)
	e.start()
	e.clouds("a", 1)
	// Rotate once the first delivery is recorded: a rotation breaks the lease, and what the
	// worker sent but had not yet recorded (20 ms after a pause) would be sent again.
	waitFor(t, "first", func() bool { return len(r.all()) == 1 && e.endpoint(h.Endpoint.ID).Cursor == h.Endpoint.Cursor+1 })
	rot, err := e.svc.RotateWebhookSecret(e.ctx, e.org, h.Endpoint.ID, api.RotateWebhookSecretRequest{})
	if err != nil {
		t.Fatal(err)
	}
	e.clouds("b", 1)
	waitFor(t, "second", func() bool { return len(r.all()) >= 2 })
	time.Sleep(100 * time.Millisecond)
	if n := len(r.all()); n != 2 {
		t.Errorf("%d deliveries, want 2 (one worker at a time, even when a rotation breaks its lease)", n)
	}
	g := r.all()[1]
	if g.Sigs != 2 || !g.Verified {
		t.Fatalf("after rotation: %d signatures, verified with the old secret %v; want 2, true", g.Sigs, g.Verified)
	}
	for _, sec := range []string{h.Secret, rot.Secret} {
		v, _ := webhook.NewVerifier(sec)
		if _, err := v.Verify(g.Header, g.Body); err != nil {
			t.Errorf("verify with one secret: %v", err)
		}
	}
}

func testTypes(t *testing.T, e *env) {
	r := newReceiver(t)
	h := e.hook(r.srv.URL, "service_account.created")
	r.trust(h.Secret)
	e.start()
	for i := 0; i < 3; i++ {
		e.clouds(fmt.Sprintf("c%d", i), 2)
		if _, err := e.svc.CreateServiceAccount(e.ctx, e.org, fmt.Sprintf("sa-%d", i)); err != nil {
			t.Fatal(err)
		}
	}
	end := h.Endpoint.Cursor + 9
	waitFor(t, "cursor at the revision", func() bool { return e.endpoint(h.Endpoint.ID).Cursor == end })
	gs := r.all()
	if len(gs) != 3 {
		t.Fatalf("%d deliveries, want the 3 service accounts", len(gs))
	}
	for i, g := range gs {
		if g.Type != "com.rolecall.service_account.created" || g.Rev != h.Endpoint.Cursor+int64(3*i+3) {
			t.Errorf("delivery %d: %s at %d", i, g.Type, g.Rev)
		}
	}
}

func testExpired(t *testing.T, e *env) {
	r := newReceiver(t)
	h := e.hook(r.srv.URL)
	e.clouds("c", 2)
	if _, err := e.svc.PruneEvents(e.ctx, time.Now().Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	e.start()
	waitFor(t, "disabled", func() bool { return !e.endpoint(h.Endpoint.ID).Enabled })
	if ep := e.endpoint(h.Endpoint.ID); ep.DisabledReason != store.WebhookDisabledExpired {
		t.Errorf("reason %q", ep.DisabledReason)
	}
	if len(r.all()) != 0 {
		t.Errorf("delivered %d events", len(r.all()))
	}
	on := true
	if _, err := e.svc.UpdateWebhook(e.ctx, e.org, h.Endpoint.ID, api.UpdateWebhookRequest{Enabled: &on}); err == nil || !strings.Contains(err.Error(), "no longer retained") {
		t.Errorf("enabling an expired endpoint: %v", err)
	}
}

// testLog logs the dispatcher's warnings to the test's output.
func testLog(t *testing.T) *slog.Logger {
	return slog.New(slog.NewTextHandler(testWriter{t}, &slog.HandlerOptions{Level: slog.LevelWarn}))
}

type testWriter struct{ t *testing.T }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimSpace(string(p)))
	return len(p), nil
}

// An admin's change reaches a worker in the middle of a backlog: on the server that made it
// the worker stops at once (Dispatcher.Changed), so nothing more goes to a disabled
// endpoint than the delivery already in flight.
func testDisableStops(t *testing.T, e *env) {
	r := newReceiver(t)
	r.answer = func(int, got) (int, map[string]string) {
		time.Sleep(20 * time.Millisecond) // a slow receiver: the backlog lasts
		return http.StatusNoContent, nil
	}
	h := e.hook(r.srv.URL)
	e.clouds("backlog", 60)
	e.svc.SetWebhooks(service.WebhookOptions{Guard: delivery.Guard{AllowPrivate: true},
		Sender:  delivery.NewSender(delivery.Guard{AllowPrivate: true}, 2*time.Second),
		Changed: func(id string) { e.d.Changed(id) }})
	e.start()
	waitFor(t, "some delivered", func() bool { return len(r.all()) >= 3 })
	off := false
	if _, err := e.svc.UpdateWebhook(e.ctx, e.org, h.Endpoint.ID, api.UpdateWebhookRequest{Enabled: &off}); err != nil {
		t.Fatal(err)
	}
	at := len(r.all())
	time.Sleep(300 * time.Millisecond)
	if n := len(r.all()); n > at+1 {
		t.Errorf("%d deliveries after the endpoint was disabled (at %d); want at most the one in flight", n-at, at)
	}
}
