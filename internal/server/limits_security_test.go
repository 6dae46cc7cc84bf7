package server

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/rolecall/rolecall/internal/store/sqlstore/sqltest"
)

// TestAdminBodyLimit: the admin API answers an oversized body with its own 413 error.
func TestAdminBodyLimit(t *testing.T) {
	for _, b := range sqltest.Backends() {
		t.Run(b.Name, func(t *testing.T) {
			f := newTokenFixtureWith(t, b.DSN(t), Config{MaxBodyBytes: 1024})
			code, _, body := f.send(t, "POST", "/api/v1/clouds", "Bearer "+f.admin, `{"name":"`+strings.Repeat("x", 2048)+`"}`)
			if code != 413 || errorField(t, body, "code") != "payload_too_large" {
				t.Errorf("oversized admin body: %d %s", code, body)
			}
		})
	}
}

// errorField is a top-level string field of an error body.
func errorField(t *testing.T, body []byte, name string) string {
	t.Helper()
	var doc map[string]any
	if err := json.Unmarshal(body, &doc); err != nil {
		t.Fatalf("error body %s: %v", body, err)
	}
	s, _ := doc[name].(string)
	return s
}

// TestRateLimiterBucket drives the token bucket with a fake clock.
func TestRateLimiterBucket(t *testing.T) {
	if newRateLimiter(0, time.Now) != nil || newRateLimiter(-1, time.Now) != nil {
		t.Fatal("a rate of 0 or less must turn limiting off")
	}
	now := time.Unix(1000, 0)
	l := newRateLimiter(2, func() time.Time { return now })
	for i := range 2 {
		if _, ok := l.allow("a"); !ok {
			t.Fatalf("request %d within the burst refused", i)
		}
	}
	wait, ok := l.allow("a")
	if ok || wait != 500*time.Millisecond || retryAfterSeconds(wait) != 1 {
		t.Fatalf("third request: ok=%v wait=%v", ok, wait)
	}
	if _, ok := l.allow("b"); !ok {
		t.Fatal("another token shares the bucket")
	}
	now = now.Add(500 * time.Millisecond)
	if _, ok := l.allow("a"); !ok {
		t.Fatal("a refill of one request was not granted")
	}
	now = now.Add(time.Hour)
	for i := range 2 {
		if _, ok := l.allow("a"); !ok {
			t.Fatalf("after an idle hour request %d refused (burst must cap at 2, not grow)", i)
		}
	}
	if _, ok := l.allow("a"); ok {
		t.Fatal("the burst grew beyond its size")
	}
	l.prune(now.Add(time.Hour))
	if len(l.buckets) != 0 {
		t.Fatalf("idle buckets kept: %d", len(l.buckets))
	}
	if s := retryAfterSeconds(1500 * time.Millisecond); s != 2 {
		t.Fatalf("Retry-After of 1.5s = %d, want 2", s)
	}
}

// TestRateLimitHTTP: with --rate-limit on, a token past its budget gets 429 with Retry-After
// in the API's own error format, other tokens are unaffected, and time restores the budget.
func TestRateLimitHTTP(t *testing.T) {
	f := newTokenFixtureWith(t, sqltest.SQLiteDSN(t), Config{RateLimit: 3})
	now := time.Unix(5000, 0)
	f.server.limiter.now = func() time.Time { return now }
	get := func(path, secret string) (int, http.Header, []byte) {
		return f.send(t, "GET", path, "Bearer "+secret, "")
	}
	for range 3 {
		if code, _, body := get("/scim/v2/Users", f.scim); code != 200 {
			t.Fatalf("scim within budget: %d %s", code, body)
		}
	}
	code, hdr, body := get("/scim/v2/Users", f.scim)
	if code != http.StatusTooManyRequests || errorField(t, body, "scimType") != "" || !strings.Contains(errorField(t, body, "detail"), "retry after") {
		t.Errorf("scim over budget: %d %s, want 429 whose detail says retry after", code, body)
	}
	if ra := hdr.Get("Retry-After"); ra != "1" {
		t.Errorf("Retry-After %q, want 1", ra)
	}
	// The admin token has its own bucket, and its error is the admin format.
	for range 3 {
		if code, _, body := get("/api/v1/clouds", f.admin); code != 200 {
			t.Fatalf("admin within budget: %d %s", code, body)
		}
	}
	code, hdr, body = get("/api/v1/clouds", f.admin)
	if code != 429 || errorField(t, body, "code") != "rate_limited" || hdr.Get("Retry-After") == "" {
		t.Errorf("admin over budget: %d %v %s", code, hdr, body)
	}
	// Unauthenticated requests are refused before they touch a bucket.
	if code, _, _ := get("/scim/v2/Users", "nonsense-token-000000000000"); code != 401 {
		t.Errorf("bad token while limited: %d", code)
	}
	now = now.Add(time.Second)
	if code, _, body := get("/scim/v2/Users", f.scim); code != 200 {
		t.Errorf("scim after a second: %d %s", code, body)
	}
	// Off by default.
	d := newTokenFixture(t, sqltest.SQLiteDSN(t))
	for range 50 {
		if code, _, body := d.send(t, "GET", "/scim/v2/ServiceProviderConfig", "Bearer "+d.scim, ""); code != 200 {
			t.Fatalf("without a rate limit: %d %s", code, body)
		}
	}
}
