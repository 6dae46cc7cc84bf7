package server

import (
	"math"
	"net/http"
	"strconv"
	"sync"
	"time"
)

// Per-token rate limiting (serve --rate-limit N). It is off by default: Microsoft Entra ID
// puts a SCIM application that answers 429 into quarantine, so an operator turns it on only
// for clients known to honour Retry-After. The limit is per token, not per address: one IdP
// behind many egress addresses is still one client, and tokens are what an operator can
// revoke. Each server process keeps its own buckets; behind a load balancer of k servers a
// token may reach k×N requests per second, which is the intended trade for statelessness.

// rateLimiter is a set of token buckets keyed by token id.
type rateLimiter struct {
	rate  float64 // tokens added per second
	burst float64 // bucket size
	now   func() time.Time

	mu      sync.Mutex
	buckets map[string]*bucket
	calls   int
}

type bucket struct {
	tokens float64
	last   time.Time
}

// newRateLimiter returns a limiter of rate requests per second per token with an equal burst
// (at least 1), or nil (no limit) when rate is not positive.
func newRateLimiter(rate float64, now func() time.Time) *rateLimiter {
	if rate <= 0 || math.IsNaN(rate) || math.IsInf(rate, 0) {
		return nil
	}
	return &rateLimiter{rate: rate, burst: math.Max(1, math.Ceil(rate)), now: now, buckets: map[string]*bucket{}}
}

// pruneEvery is how many calls pass between sweeps of idle buckets, so that the map stays
// as small as the set of recently active tokens without a background goroutine.
const pruneEvery = 4096

// allow takes one request from key's bucket. When the bucket is empty it reports how long
// until a request would be allowed.
func (l *rateLimiter) allow(key string) (time.Duration, bool) {
	if l == nil {
		return 0, true
	}
	now := l.now()
	l.mu.Lock()
	defer l.mu.Unlock()
	l.calls++
	if l.calls%pruneEvery == 0 {
		l.prune(now)
	}
	b, ok := l.buckets[key]
	if !ok {
		b = &bucket{tokens: l.burst, last: now}
		l.buckets[key] = b
	}
	if dt := now.Sub(b.last).Seconds(); dt > 0 {
		b.tokens = math.Min(l.burst, b.tokens+dt*l.rate)
	}
	b.last = now
	if b.tokens >= 1 {
		b.tokens--
		return 0, true
	}
	return time.Duration((1 - b.tokens) / l.rate * float64(time.Second)), false
}

// prune drops buckets that have been idle long enough to be full again: a new bucket starts
// full, so forgetting them changes nothing.
func (l *rateLimiter) prune(now time.Time) {
	full := time.Duration(l.burst / l.rate * float64(time.Second))
	for k, b := range l.buckets {
		if now.Sub(b.last) > full {
			delete(l.buckets, k)
		}
	}
}

// retryAfterSeconds is the Retry-After value for a wait: whole seconds, rounded up, at
// least 1 (RFC 9110 §10.2.3 allows only whole seconds).
func retryAfterSeconds(wait time.Duration) int {
	return max(1, int(math.Ceil(wait.Seconds())))
}

// rateLimited answers 429 with Retry-After, in the API's own error format (fail).
func (s *Server) rateLimited(w http.ResponseWriter, r *http.Request, wait time.Duration, fail func(w http.ResponseWriter, status int, msg string)) {
	secs := retryAfterSeconds(wait)
	w.Header().Set("Retry-After", strconv.Itoa(secs))
	fail(w, http.StatusTooManyRequests, "too many requests for this token: the server allows "+
		strconv.FormatFloat(s.cfg.RateLimit, 'f', -1, 64)+" per second (serve --rate-limit); retry after "+
		strconv.Itoa(secs)+" s")
}
