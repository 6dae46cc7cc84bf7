package e2e

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rolecall/rolecall/internal/api"
	"github.com/rolecall/rolecall/internal/testenv"
	"github.com/rolecall/rolecall/webhook"
)

// Webhooks end to end: the real binary delivers to real HTTP receivers, which verify every
// signature (webhook.Verifier, as a platform would).

// hookArgs are the serve flags of these tests: receivers listen on loopback, and a short
// lease lets a restarted server resume a killed one's endpoints within a second or two.
var hookArgs = []string{"--webhook-allow-private", "--webhook-lease", "2s"}

// delivery is one request a receiver endpoint got.
type delivery struct {
	ID       string
	Rev      int64
	Type     string
	Verified bool
	At       time.Time
}

// hookSink is one endpoint's receiving side: a path of a receiver.
type hookSink struct {
	mu       sync.Mutex
	ver      *webhook.Verifier
	got      []delivery
	answer   func(n int, d delivery) int // nil: 204
	inflight atomic.Int32
	maxIn    atomic.Int32
}

func (s *hookSink) trust(t *testing.T, secrets ...string) {
	v, err := webhook.NewVerifier(secrets...)
	if err != nil {
		t.Fatal(err)
	}
	s.mu.Lock()
	s.ver = v
	s.mu.Unlock()
}

func (s *hookSink) all() []delivery {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]delivery(nil), s.got...)
}

// hookReceiver serves sinks at /<name>.
type hookReceiver struct {
	srv   *httptest.Server
	mu    sync.Mutex
	sinks map[string]*hookSink
}

func newHookReceiver(t *testing.T) *hookReceiver {
	r := &hookReceiver{sinks: map[string]*hookSink{}}
	r.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		r.mu.Lock()
		s := r.sinks[strings.TrimPrefix(req.URL.Path, "/")]
		r.mu.Unlock()
		if s == nil {
			http.NotFound(w, req)
			return
		}
		if n := s.inflight.Add(1); n > s.maxIn.Load() {
			s.maxIn.Store(n)
		}
		defer s.inflight.Add(-1)
		body, _ := io.ReadAll(req.Body)
		var ce struct{ Type, Revision string }
		_ = json.Unmarshal(body, &ce)
		d := delivery{ID: req.Header.Get("webhook-id"), Type: ce.Type, At: time.Now()}
		d.Rev, _ = strconv.ParseInt(ce.Revision, 10, 64)
		s.mu.Lock()
		if s.ver != nil {
			id, err := s.ver.Verify(req.Header, body)
			d.Verified = err == nil && id == d.ID
		}
		n := len(s.got)
		s.got = append(s.got, d)
		answer := s.answer
		s.mu.Unlock()
		status := http.StatusNoContent
		if answer != nil {
			status = answer(n, d)
		}
		w.WriteHeader(status)
	}))
	t.Cleanup(r.srv.Close)
	return r
}

func (r *hookReceiver) sink(name string) (*hookSink, string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	s := &hookSink{}
	r.sinks[name] = s
	return s, r.srv.URL + "/" + name
}

// createHook creates an endpoint through the admin API and makes its sink trust its secret.
func createHook(t *testing.T, url string, sink *hookSink, req api.CreateWebhookRequest) api.WebhookEndpoint {
	t.Helper()
	var c api.CreatedWebhook
	must(t, 201, "POST", url+"/api/v1/webhooks", bootstrapToken, req, &c)
	sink.trust(t, c.Secret)
	return c.Endpoint
}

// committed reads every event of the feed: revision → event id.
func committed(t *testing.T, url string) (map[int64]string, int64) {
	t.Helper()
	out := map[int64]string{}
	after := "0"
	for {
		var p api.EventPage
		must(t, 200, "GET", url+"/api/v1/events?limit=10000&after="+after, bootstrapToken, nil, &p)
		for _, e := range p.Events {
			rev, _ := strconv.ParseInt(e.Revision, 10, 64)
			out[rev] = e.ID
		}
		if len(p.Events) == 0 {
			rev, _ := strconv.ParseInt(p.Revision, 10, 64)
			return out, rev
		}
		after = p.Next
	}
}

// checkDelivered checks a sink against the feed: every committed event after from was
// delivered at least once, first deliveries in revision order, each delivery verified and
// carrying its event's id (so duplicates carry the same webhook-id), and nothing delivered
// that was not committed. It returns how many deliveries were duplicates.
func checkDelivered(t *testing.T, name string, s *hookSink, feed map[int64]string, from, to int64) int {
	t.Helper()
	seen := map[int64]bool{}
	var last int64 = from
	dups := 0
	for i, d := range s.all() {
		id, ok := feed[d.Rev]
		switch {
		case !ok || d.Rev <= from:
			t.Errorf("%s: delivery %d is revision %d, which is not a committed event after %d", name, i, d.Rev, from)
		case id != d.ID:
			t.Errorf("%s: delivery %d of revision %d carries webhook-id %s, the event's id is %s", name, i, d.Rev, d.ID, id)
		case !d.Verified:
			t.Errorf("%s: delivery %d (revision %d) failed signature verification", name, i, d.Rev)
		}
		if seen[d.Rev] {
			dups++
			continue
		}
		seen[d.Rev] = true
		if d.Rev != last+1 {
			t.Errorf("%s: first delivery of revision %d follows revision %d (out of order or a gap)", name, d.Rev, last)
		}
		last = d.Rev
	}
	for rev := from + 1; rev <= to; rev++ {
		if !seen[rev] {
			t.Errorf("%s: committed event %d was never delivered", name, rev)
		}
	}
	return dups
}

// waitCaughtUp waits until every endpoint's cursor is the org's revision.
func waitCaughtUp(t *testing.T, url string, within time.Duration, p *testenv.Proc) {
	t.Helper()
	deadline := time.Now().Add(within)
	for {
		var l api.List[api.WebhookEndpoint]
		must(t, 200, "GET", url+"/api/v1/webhooks", bootstrapToken, nil, &l)
		behind := 0
		for _, e := range l.Items {
			if e.Enabled && e.Cursor < e.Revision {
				behind++
			}
		}
		if behind == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("endpoints still behind after %v: %+v\nserver log:\n%s", within, l.Items, p.Log())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func createUser(url, token, name string) int {
	status, _, _ := call("POST", url+"/scim/v2/Users", token, map[string]any{"schemas": []string{userSchema}, "userName": name})
	return status
}

// TestWebhooksEndToEnd: the real binary on SQLite and PostgreSQL delivers SCIM and admin
// changes, signed and in order; a 503 is retried; 410 disables the endpoint; redelivery,
// rotation and the test send work over the admin API.
func TestWebhooksEndToEnd(t *testing.T) {
	for _, b := range backends(t) {
		t.Run(b.name, func(t *testing.T) {
			p := start(t, b.dsn, hookArgs...)
			scim := scimToken(t, p, "okta")
			recv := newHookReceiver(t)
			all, allURL := recv.sink("all")
			users, usersURL := recv.sink("users")
			gone, goneURL := recv.sink("gone")
			epAll := createHook(t, p.URL, all, api.CreateWebhookRequest{URL: allURL})
			epUsers := createHook(t, p.URL, users, api.CreateWebhookRequest{URL: usersURL, Types: []string{"user.created"}})
			epGone := createHook(t, p.URL, gone, api.CreateWebhookRequest{URL: goneURL})
			gone.answer = func(int, delivery) int { return http.StatusGone }
			from := epAll.Cursor
			// The first delivery of the third event to "all" fails once: retried (about 5 s).
			all.answer = func(n int, d delivery) int {
				if d.Rev == from+3 && n == 2 {
					return http.StatusServiceUnavailable
				}
				return http.StatusNoContent
			}

			for i := 0; i < 10; i++ {
				if s := createUser(p.URL, scim, fmt.Sprintf("u%d@example.com", i)); s != 201 {
					t.Fatalf("create user: %d", s)
				}
			}
			must(t, 201, "POST", p.URL+"/api/v1/clouds", bootstrapToken, map[string]string{"name": "prod"}, nil)
			waitCaughtUp(t, p.URL, 30*time.Second, p)
			feed, rev := committed(t, p.URL)
			if dups := checkDelivered(t, "all", all, feed, from, rev); dups != 1 {
				t.Errorf("all: %d repeated deliveries, want 1 (the retried 503)", dups)
			}
			gs := users.all()
			if len(gs) != 10 {
				t.Errorf("users endpoint got %d deliveries, want the 10 user.created", len(gs))
			}
			for _, d := range gs {
				if d.Type != "com.rolecall.user.created" || !d.Verified {
					t.Errorf("users endpoint got %+v", d)
				}
			}
			var g api.WebhookEndpoint
			must(t, 200, "GET", p.URL+"/api/v1/webhooks/"+epGone.ID, bootstrapToken, nil, &g)
			if g.Enabled || g.DisabledReason != "gone" || len(gone.all()) != 1 {
				t.Errorf("after 410: %+v, %d deliveries", g, len(gone.all()))
			}
			var audit api.List[api.AuditEvent]
			must(t, 200, "GET", p.URL+"/api/v1/audit?action=webhook.disabled", bootstrapToken, nil, &audit)
			if audit.Total != 1 || audit.Items[0].Actor != "rolecall" {
				t.Errorf("audit of the 410: %+v", audit.Items)
			}
			var log api.WebhookDeliveries
			must(t, 200, "GET", p.URL+"/api/v1/webhooks/"+epAll.ID+"/deliveries?limit=1000", bootstrapToken, nil, &log)
			if len(log.Items) != len(all.all()) {
				t.Errorf("log of all has %d lines, receiver got %d", len(log.Items), len(all.all()))
			}

			// Redeliver one event now; test send; both verified.
			var rr api.RedeliverResult
			must(t, 200, "POST", p.URL+"/api/v1/webhooks/"+epUsers.ID+"/redeliver", bootstrapToken, api.RedeliverRequest{EventID: gs[0].ID}, &rr)
			if last := users.all()[len(users.all())-1]; rr.Delivery == nil || last.ID != gs[0].ID || !last.Verified {
				t.Errorf("redelivery %+v, receiver last %+v", rr.Delivery, last)
			}
			var tr api.WebhookTestResult
			must(t, 200, "POST", p.URL+"/api/v1/webhooks/"+epUsers.ID+"/test", bootstrapToken, nil, &tr)
			if last := users.all()[len(users.all())-1]; last.Type != "com.rolecall.webhook.test" || !last.Verified || tr.Delivery.Outcome != "delivered" {
				t.Errorf("test send %+v, receiver last %+v", tr.Delivery, last)
			}
			p.Stop(t)
		})
	}
}

// TestWebhooksCrash SIGKILLs the server repeatedly while a client streams SCIM writes, with
// two endpoints configured. Afterwards every committed event has been delivered to each
// endpoint at least once, first deliveries in order, duplicates carrying the event's
// webhook-id, and nothing was delivered that was not committed.
func TestWebhooksCrash(t *testing.T) {
	if testing.Short() {
		t.Skip("kills and restarts the server repeatedly (about 30 s per backend): it runs without -short")
	}
	for _, b := range backends(t) {
		t.Run(b.name, func(t *testing.T) {
			w := &crashWorld{b: b, db: openSQL(t, b), tag: fmt.Sprintf("rchook_%08x", rand.Uint32())}
			w.p = w.start(t, hookArgs...)
			scim := scimToken(t, w.p, "okta")
			recv := newHookReceiver(t)
			a, aURL := recv.sink("a")
			bs, bURL := recv.sink("b")
			epA := createHook(t, w.p.URL, a, api.CreateWebhookRequest{URL: aURL})
			createHook(t, w.p.URL, bs, api.CreateWebhookRequest{URL: bURL, Description: "second"})
			// The receivers are slow enough that kills land mid-delivery.
			slow := func(int, delivery) int { time.Sleep(time.Duration(rand.IntN(3)) * time.Millisecond); return 204 }
			a.answer, bs.answer = slow, slow

			var mu sync.Mutex
			url := w.p.URL
			stop := make(chan struct{})
			var writes, ok atomic.Int64
			var wg sync.WaitGroup
			for c := 0; c < 3; c++ {
				wg.Add(1)
				go func(c int) {
					defer wg.Done()
					for i := 0; ; i++ {
						select {
						case <-stop:
							return
						default:
						}
						mu.Lock()
						u := url
						mu.Unlock()
						writes.Add(1)
						if createUser(u, scim, fmt.Sprintf("w%d-%d@example.com", c, i)) == 201 {
							ok.Add(1)
						} else {
							time.Sleep(5 * time.Millisecond)
						}
					}
				}(c)
			}
			rng := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 11))
			const kills = 8
			for k := 0; k < kills; k++ {
				time.Sleep(time.Duration(300+rng.IntN(900)) * time.Millisecond)
				w.p.Kill()
				w.settle(t)
				w.p = w.start(t, hookArgs...)
				mu.Lock()
				url = w.p.URL
				mu.Unlock()
			}
			time.Sleep(500 * time.Millisecond)
			close(stop)
			wg.Wait()
			waitCaughtUp(t, w.p.URL, 60*time.Second, w.p)
			feed, rev := committed(t, w.p.URL)
			if int64(len(feed)) < ok.Load() {
				t.Errorf("feed holds %d events, %d user creations were answered 201", len(feed), ok.Load())
			}
			dupA := checkDelivered(t, "a", a, feed, epA.Cursor, rev)
			dupB := checkDelivered(t, "b", bs, feed, epA.Cursor+0, rev)
			w.p.Stop(t)
			t.Logf("%s: %d kills, %d writes (%d answered 201), %d events; duplicates a=%d b=%d",
				b.name, kills, writes.Load(), ok.Load(), rev-epA.Cursor, dupA, dupB)
		})
	}
}

// TestWebhooksTwoServers: two servers on one PostgreSQL database, writes going to both;
// each event is delivered to each endpoint once, in order, never two at a time.
func TestWebhooksTwoServers(t *testing.T) {
	var b backend
	for _, x := range backends(t) {
		if x.name == "postgres" {
			b = x
		}
	}
	if b.name == "" {
		t.Skip("needs PostgreSQL (ROLECALL_TEST_POSTGRES)")
	}
	p1 := start(t, b.dsn, hookArgs...)
	p2 := start(t, b.dsn, hookArgs...)
	scim := scimToken(t, p1, "okta")
	recv := newHookReceiver(t)
	var sinks []*hookSink
	var from int64
	for _, name := range []string{"x", "y", "z"} {
		s, u := recv.sink(name)
		ep := createHook(t, p2.URL, s, api.CreateWebhookRequest{URL: u})
		if name == "x" {
			from = ep.Cursor
		}
		sinks = append(sinks, s)
	}
	// x, y, z were created at revisions from, from, from (no events in between).
	var wg sync.WaitGroup
	for c, p := range []*testenv.Proc{p1, p2, p1, p2} {
		wg.Add(1)
		go func(c int, url string) {
			defer wg.Done()
			for i := 0; i < 60; i++ {
				if s := createUser(url, scim, fmt.Sprintf("s%d-%d@example.com", c, i)); s != 201 {
					t.Errorf("create user on server %d: %d", c%2+1, s)
					return
				}
			}
		}(c, p.URL)
	}
	wg.Wait()
	waitCaughtUp(t, p1.URL, 60*time.Second, p1)
	feed, rev := committed(t, p1.URL)
	if rev-from != 240 {
		t.Fatalf("%d events committed, want 240", rev-from)
	}
	for i, s := range sinks {
		name := []string{"x", "y", "z"}[i]
		if dups := checkDelivered(t, name, s, feed, from, rev); dups != 0 {
			t.Errorf("%s: %d duplicate deliveries with both servers up", name, dups)
		}
		if m := s.maxIn.Load(); m != 1 {
			t.Errorf("%s: %d deliveries at once, want 1", name, m)
		}
	}
	// Both servers took part.
	served := map[string]bool{}
	for _, p := range []*testenv.Proc{p1, p2} {
		var body []byte
		_, body, _ = call("GET", p.URL+"/metrics", "", nil)
		for _, line := range strings.Split(string(body), "\n") {
			if strings.HasPrefix(line, `rolecall_webhook_attempts_total{outcome="delivered"}`) {
				served[p.URL] = true
			}
		}
	}
	t.Logf("servers that delivered: %d of 2", len(served))
	p1.Stop(t)
	p2.Stop(t)
}

// TestWebhookLatencyBenchmark measures commit → delivered to a local receiver at a
// sustained 500 events/s for 30 s (ROLECALL_WEBHOOK_BENCH=1; BENCHMARKS.md records the
// figures): SCIM user creations paced by a ticker, one endpoint, a receiver that verifies
// each signature and timestamps its arrival; the latency of an event is its arrival minus
// its CloudEvents time (set as its transaction appends it, just before the commit).
func TestWebhookLatencyBenchmark(t *testing.T) {
	if os.Getenv("ROLECALL_WEBHOOK_BENCH") == "" {
		t.Skip("a 30 s load benchmark: set ROLECALL_WEBHOOK_BENCH=1 to run it")
	}
	rate, secs := 500, 30
	if v, err := strconv.Atoi(os.Getenv("ROLECALL_WEBHOOK_BENCH_SECONDS")); err == nil && v > 0 {
		secs = v
	}
	for _, b := range backends(t) {
		t.Run(b.name, func(t *testing.T) {
			p := start(t, b.dsn, hookArgs...)
			scim := scimToken(t, p, "okta")
			recv := newHookReceiver(t)
			sink, u := recv.sink("bench")
			var mu sync.Mutex
			var lags []time.Duration
			arrivals := map[string]time.Time{} // userName → arrival at the receiver
			returned := map[string]time.Time{} // userName → when the write's answer came
			sink.answer = func(_ int, d delivery) int { return 204 }
			ep := createHook(t, p.URL, sink, api.CreateWebhookRequest{URL: u})
			// The receiver's handler records the lag from the body's time.
			recv.srv.Config.Handler = lagRecorder(recv.srv.Config.Handler, &mu, &lags, arrivals)

			total := rate * secs
			jobs := make(chan int, total)
			var wg sync.WaitGroup
			var failed atomic.Int64
			for w := 0; w < 16; w++ {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for i := range jobs {
						name := fmt.Sprintf("bench%06d@example.com", i)
						if createUser(p.URL, scim, name) != 201 {
							failed.Add(1)
						}
						at := time.Now()
						mu.Lock()
						returned[name] = at
						mu.Unlock()
					}
				}()
			}
			// Paced by the clock, not a ticker (which drops ticks on a busy machine): event i
			// is due at began + i/rate; a writer that falls behind catches up.
			began := time.Now()
			for i := 0; i < total; i++ {
				if d := time.Until(began.Add(time.Duration(i) * time.Second / time.Duration(rate))); d > 0 {
					time.Sleep(d)
				}
				jobs <- i
			}
			close(jobs)
			wg.Wait()
			elapsed := time.Since(began)
			waitCaughtUp(t, p.URL, 60*time.Second, p)
			time.Sleep(200 * time.Millisecond)
			feed, rev := committed(t, p.URL)
			checkDelivered(t, "bench", sink, feed, ep.Cursor, rev)
			mu.Lock()
			ls := append([]time.Duration(nil), lags...)
			// From the write's answer: arrival minus the time the client got its 201 (negative
			// when the webhook arrived before the answer; counted as 0).
			var fromReturn []time.Duration
			for name, ret := range returned {
				if arr, ok := arrivals[name]; ok {
					fromReturn = append(fromReturn, max(0, arr.Sub(ret)))
				}
			}
			mu.Unlock()
			qs := func(ls []time.Duration) string {
				sort.Slice(ls, func(i, j int) bool { return ls[i] < ls[j] })
				q := func(f float64) time.Duration {
					return ls[min(len(ls)-1, int(f*float64(len(ls))))].Round(100 * time.Microsecond)
				}
				return fmt.Sprintf("p50 %v p90 %v p99 %v max %v (n=%d)", q(0.50), q(0.90), q(0.99), q(1), len(ls))
			}
			t.Logf("%s: %d events in %v (%.0f/s sustained, %d writes failed); delivered after the event's time: %s; after the write's answer: %s",
				b.name, rev-ep.Cursor, elapsed.Round(time.Millisecond), float64(total)/elapsed.Seconds(), failed.Load(), qs(ls), qs(fromReturn))
			p.Stop(t)
		})
	}
}

// lagRecorder wraps a receiver's handler: it records, per request, arrival minus the
// CloudEvent's time, then serves the request as before.
func lagRecorder(next http.Handler, mu *sync.Mutex, lags *[]time.Duration, arrivals map[string]time.Time) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		arrived := time.Now()
		body, _ := io.ReadAll(r.Body)
		var ce struct {
			Time time.Time
			Data struct{ User struct{ UserName string } }
		}
		if json.Unmarshal(body, &ce) == nil && !ce.Time.IsZero() {
			mu.Lock()
			*lags = append(*lags, arrived.Sub(ce.Time))
			if _, seen := arrivals[ce.Data.User.UserName]; !seen && ce.Data.User.UserName != "" {
				arrivals[ce.Data.User.UserName] = arrived
			}
			mu.Unlock()
		}
		r.Body = io.NopCloser(bytes.NewReader(body))
		next.ServeHTTP(w, r)
	})
}

// TestWebhookProvisioningOverhead measures two provisioning budgets of DESIGN.md on the real
// binary (SQLite) without and then with one webhook endpoint configured and delivering
// (ROLECALL_WEBHOOK_BENCH=1): POST /Users sustained at c=8 (> 2,000/s) and one PATCH adding
// 10,000 members (< 500 ms).
func TestWebhookProvisioningOverhead(t *testing.T) {
	if os.Getenv("ROLECALL_WEBHOOK_BENCH") == "" {
		t.Skip("a load benchmark: set ROLECALL_WEBHOOK_BENCH=1 to run it")
	}
	const users, conc = 10000, 8
	for _, withHook := range []bool{false, true} {
		t.Run(fmt.Sprintf("endpoint=%v", withHook), func(t *testing.T) {
			b := backends(t)[0]
			p := start(t, b.dsn, hookArgs...)
			scim := scimToken(t, p, "okta")
			var sink *hookSink
			if withHook {
				recv := newHookReceiver(t)
				var u string
				sink, u = recv.sink("all")
				createHook(t, p.URL, sink, api.CreateWebhookRequest{URL: u})
			}
			ids := make([]string, users)
			jobs := make(chan int, users)
			for i := range users {
				jobs <- i
			}
			close(jobs)
			var wg sync.WaitGroup
			began := time.Now()
			for c := 0; c < conc; c++ {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for i := range jobs {
						status, body, _ := call("POST", p.URL+"/scim/v2/Users", scim, map[string]any{"schemas": []string{userSchema}, "userName": fmt.Sprintf("p%06d@example.com", i)})
						if status != 201 {
							t.Errorf("create user: %d %s", status, body)
							return
						}
						var u struct{ ID string }
						_ = json.Unmarshal(body, &u)
						ids[i] = u.ID
					}
				}()
			}
			wg.Wait()
			posts := time.Since(began)
			var g struct{ ID string }
			must(t, 201, "POST", p.URL+"/scim/v2/Groups", scim, map[string]any{"schemas": []string{groupSchema}, "displayName": "everyone"}, &g)
			patchAt := time.Now()
			must(t, 204, "PATCH", p.URL+"/scim/v2/Groups/"+g.ID, scim, memberPatch(ids), nil)
			patch := time.Since(patchAt)
			delivered := 0
			if withHook {
				waitCaughtUp(t, p.URL, 120*time.Second, p)
				delivered = len(sink.all())
			}
			t.Logf("endpoint=%v: POST /Users %d at c=%d: %.0f/s; PATCH adding 10,000 members: %v; webhooks delivered: %d",
				withHook, users, conc, float64(users)/posts.Seconds(), patch.Round(time.Millisecond), delivered)
			p.Stop(t)
		})
	}
}
