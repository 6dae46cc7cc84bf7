package delivery

import (
	"context"
	"errors"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rolecall/rolecall/webhook"
)

func TestGuardAllowed(t *testing.T) {
	for _, tc := range []struct {
		addr            string
		public, lenient bool
	}{
		{"93.184.215.14", true, true},
		{"2606:4700:4700::1111", true, true},
		{"127.0.0.1", false, true},
		{"::1", false, true},
		{"10.1.2.3", false, true},
		{"172.16.0.1", false, true},
		{"192.168.1.1", false, true},
		{"169.254.169.254", false, true}, // cloud metadata
		{"fe80::1", false, true},
		{"fc00::1", false, true},
		{"100.64.0.1", false, true},
		{"0.0.0.0", false, false},
		{"::", false, false},
		{"224.0.0.1", false, false},
		{"::ffff:127.0.0.1", false, true}, // IPv4-mapped loopback
		{"::ffff:10.0.0.1", false, true},
		{"64:ff9b::a00:1", false, true}, // NAT64 of 10.0.0.1
		{"198.51.100.7", false, true},
		{"255.255.255.255", false, true},
	} {
		a := netip.MustParseAddr(tc.addr)
		if got := (Guard{}).Allowed(a); got != tc.public {
			t.Errorf("Guard{}.Allowed(%s) = %v, want %v", tc.addr, got, tc.public)
		}
		if got := (Guard{AllowPrivate: true}).Allowed(a); got != tc.lenient {
			t.Errorf("Guard{AllowPrivate}.Allowed(%s) = %v, want %v", tc.addr, got, tc.lenient)
		}
	}
}

func TestCheckURL(t *testing.T) {
	for _, tc := range []struct {
		url, err string
		lenient  bool
	}{
		{"https://hooks.example.com/rolecall", "", false},
		{"http://hooks.example.com:8080/x?y=1", "", false},
		{"ftp://hooks.example.com/", "use https://", false},
		{"https:///nohost", "has no host", false},
		{"https://user:pw@hooks.example.com/", "carries credentials", false},
		{"https://hooks.example.com/#frag", "#fragment", false},
		{"http://127.0.0.1:9000/", "not a public address", false},
		{"http://[::1]:9000/", "not a public address", false},
		{"http://169.254.169.254/latest/meta-data", "not a public address", false},
		{"http://localhost:9000/", "localhost", false},
		{"http://127.0.0.1:9000/", "", true},
		{"http://localhost:9000/", "", true},
		{"%zz", "invalid URL escape", false},
	} {
		_, err := Guard{AllowPrivate: tc.lenient}.CheckURL(tc.url)
		if (tc.err == "") != (err == nil) || (err != nil && !strings.Contains(err.Error(), tc.err)) {
			t.Errorf("CheckURL(%q, lenient %v) = %v, want %q", tc.url, tc.lenient, err, tc.err)
		}
	}
}

// TestSendIsGuarded: a sender with the default guard refuses to connect to loopback at
// dial time, whatever the URL check said (a name can resolve anywhere), and says why.
func TestSendIsGuarded(t *testing.T) {
	var hits atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { hits.Add(1) }))
	defer srv.Close()
	r := NewSender(Guard{}, time.Second).Send(context.Background(), Message{URL: srv.URL, ID: "evt_1", Body: []byte("{}"), Keys: [][]byte{make([]byte, 32)}})
	if r.Outcome != Retry || r.Status != 0 || !strings.Contains(r.Error, "may not reach") || hits.Load() != 0 {
		t.Fatalf("guarded send to loopback: %+v, %d hits", r, hits.Load())
	}
	// The name localhost is refused the same way at dial time.
	u := strings.Replace(srv.URL, "127.0.0.1", "localhost", 1)
	r = NewSender(Guard{}, time.Second).Send(context.Background(), Message{URL: u, ID: "evt_1", Body: []byte("{}"), Keys: [][]byte{make([]byte, 32)}})
	if r.Outcome != Retry || hits.Load() != 0 {
		t.Fatalf("guarded send to localhost: %+v", r)
	}
}

func TestSendOutcomes(t *testing.T) {
	secret, _ := webhook.NewSecret()
	key, _ := webhook.ParseSecret(secret)
	v, _ := webhook.NewVerifier(secret)
	var status atomic.Int32
	var retryAfterHeader atomic.Value
	retryAfterHeader.Store("")
	var lastBody atomic.Value
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		if _, err := v.Verify(r.Header, b); err != nil {
			http.Error(w, err.Error(), http.StatusUnauthorized)
			return
		}
		if r.Header.Get("Content-Type") != "application/cloudevents+json" {
			http.Error(w, "content type", http.StatusUnsupportedMediaType)
			return
		}
		lastBody.Store(string(b))
		if ra := retryAfterHeader.Load().(string); ra != "" {
			w.Header().Set("Retry-After", ra)
		}
		if s := status.Load(); s == http.StatusMovedPermanently {
			http.Redirect(w, r, "/elsewhere", http.StatusMovedPermanently)
			return
		}
		w.WriteHeader(int(status.Load()))
		io.WriteString(w, "answer body")
	}))
	defer srv.Close()
	s := NewSender(Guard{AllowPrivate: true}, 2*time.Second)
	msg := Message{URL: srv.URL, ID: "evt_42", Keys: [][]byte{key}, Body: []byte(`{"specversion":"1.0","type":"com.rolecall.user.created"}`)}
	for _, tc := range []struct {
		status     int
		retryAfter string
		want       Outcome
		wantAfter  time.Duration
	}{
		{200, "", Delivered, 0},
		{204, "", Delivered, 0},
		{410, "", Gone, 0},
		{429, "30", Retry, 30 * time.Second},
		{503, "", Retry, 0},
		{500, "", Retry, 0},
		{404, "", Retry, 0},
		{301, "", Retry, 0}, // not followed: the endpoint should be updated instead
	} {
		status.Store(int32(tc.status))
		retryAfterHeader.Store(tc.retryAfter)
		r := s.Send(context.Background(), msg)
		if r.Outcome != tc.want || r.Status != tc.status || r.RetryAfter != tc.wantAfter || r.Latency <= 0 {
			t.Errorf("answer %d: %+v, want %v after %v", tc.status, r, tc.want, tc.wantAfter)
		}
	}
	if lastBody.Load() != string(msg.Body) {
		t.Errorf("receiver got %q", lastBody.Load())
	}
	// A receiver that signs off as unauthorized (wrong secret) is a failed attempt, kept
	// with its answer for the admin.
	other, _ := webhook.NewSecret()
	k2, _ := webhook.ParseSecret(other)
	status.Store(200)
	r := s.Send(context.Background(), Message{URL: srv.URL, ID: "evt_43", Keys: [][]byte{k2}, Body: []byte("{}")})
	if r.Outcome != Retry || r.Status != 401 || !strings.Contains(r.Answer, "no signature matches") {
		t.Errorf("wrong secret: %+v", r)
	}
}

func TestSendTimesOut(t *testing.T) {
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { <-release }))
	defer srv.Close()
	defer close(release)
	start := time.Now()
	r := NewSender(Guard{AllowPrivate: true}, 200*time.Millisecond).Send(context.Background(), Message{URL: srv.URL, ID: "e", Keys: [][]byte{make([]byte, 32)}})
	if r.Outcome != Retry || r.Status != 0 || r.Error == "" || time.Since(start) > 5*time.Second {
		t.Fatalf("slow receiver: %+v after %v", r, time.Since(start))
	}
}

func TestNextDelay(t *testing.T) {
	rnd := rand.New(rand.NewPCG(1, 2))
	var total time.Duration
	for attempt := 1; ; attempt++ {
		d, ok := NextDelay(attempt, 0, rnd)
		if !ok {
			if attempt != MaxAttempts {
				t.Fatalf("gave up after attempt %d, want %d", attempt, MaxAttempts)
			}
			break
		}
		base := schedule[attempt-1]
		if d < base*8/10 || d > base*12/10 {
			t.Errorf("attempt %d: %v, want %v ±20%%", attempt, d, base)
		}
		total += d
	}
	// About three days from the first attempt to the last.
	if total < 55*time.Hour || total > 95*time.Hour {
		t.Errorf("retries span %v, want about three days", total)
	}
	if d, _ := NextDelay(1, time.Hour, rnd); d != time.Hour {
		t.Errorf("Retry-After of an hour after the first attempt: %v", d)
	}
	if d, _ := NextDelay(1, 30*24*time.Hour, rnd); d != maxRetryAfter {
		t.Errorf("Retry-After of a month: %v, want capped at %v", d, maxRetryAfter)
	}
	if _, ok := NextDelay(0, 0, rnd); ok {
		t.Error("attempt 0 has a delay")
	}
}

func TestRetryAfter(t *testing.T) {
	now := time.Date(2026, 12, 4, 12, 0, 0, 0, time.UTC)
	for v, want := range map[string]time.Duration{
		"": 0, "120": 2 * time.Minute, "-5": 0, "soon": 0,
		now.Add(90 * time.Second).Format(http.TimeFormat): 90 * time.Second,
		now.Add(-time.Hour).Format(http.TimeFormat):       0,
	} {
		if got := retryAfter(v, now); got != want {
			t.Errorf("retryAfter(%q) = %v, want %v", v, got, want)
		}
	}
	if !errors.Is(Guard{}.control("tcp", "127.0.0.1:80", nil), ErrForbiddenAddress) {
		t.Error("control allowed loopback")
	}
}
