package server

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/rolecall/rolecall/internal/scim"
	"github.com/rolecall/rolecall/internal/scim/filter"
)

// TestSCIMLimitsAdvertisedAndEnforced checks each request limit SCIM has a member for is
// advertised in ServiceProviderConfig (bulk, filter, RFC 9865 pagination) with the value
// actually enforced, and that going past any limit, advertised or only documented
// (docs/scim-limits.md), gets a SCIM error that names the limit, and writes nothing.
func TestSCIMLimitsAdvertisedAndEnforced(t *testing.T) {
	const maxBody = 256 << 10
	forEachBackend(t, Config{MaxBodyBytes: maxBody}, func(t *testing.T, e *scimEnv) {
		spc := e.must(200, "GET", "/scim/v2/ServiceProviderConfig", nil)
		for path, want := range map[string]int{
			"bulk.maxOperations":     scimBulkMaxOperations,
			"bulk.maxPayloadSize":    maxBody,
			"filter.maxResults":      scimMaxCount,
			"pagination.maxPageSize": scimMaxCount,
		} {
			got := jget(spc.doc, path)
			if fmt.Sprint(got) != fmt.Sprint(want) {
				t.Errorf("ServiceProviderConfig %s = %v, want %d", path, got, want)
			}
		}
		users := func() int { return jnum(e.must(200, "GET", "/scim/v2/Users?count=0", nil).doc, "totalResults") }
		before := users()

		// Body size: with a Content-Length and streamed without one.
		big := `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"big@example.com","displayName":"` + strings.Repeat("x", maxBody) + `"}`
		e.wantError(e.do("POST", "/scim/v2/Users", big), http.StatusRequestEntityTooLarge, "", "maxPayloadSize")
		req, _ := http.NewRequest("POST", e.srv.URL+"/scim/v2/Users", io.MultiReader(strings.NewReader(big)))
		req.ContentLength = -1
		req.Header.Set("Authorization", "Bearer "+e.token)
		req.Header.Set("Content-Type", "application/scim+json")
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if res.StatusCode != http.StatusRequestEntityTooLarge || !strings.Contains(string(body), "urn:ietf:params:scim:api:messages:2.0:Error") {
			t.Errorf("chunked oversize body: %d %s", res.StatusCode, body)
		}

		// Bulk: one operation too many.
		ops := make([]map[string]any, scimBulkMaxOperations+1)
		for i := range ops {
			ops[i] = map[string]any{"method": "POST", "path": "/Users", "bulkId": fmt.Sprint("b", i), "data": map[string]any{"userName": fmt.Sprintf("bulk%d@example.com", i)}}
		}
		r := e.do("POST", "/scim/v2/Bulk", map[string]any{"schemas": []string{"urn:ietf:params:scim:api:messages:2.0:BulkRequest"}, "Operations": ops})
		if r.status != http.StatusRequestEntityTooLarge && r.status != http.StatusBadRequest {
			t.Errorf("bulk of %d ops: %d %s", len(ops), r.status, r.body)
		}
		if !strings.Contains(jstr(r.doc, "detail"), "maxOperations") {
			t.Errorf("bulk refusal does not name maxOperations: %s", r.body)
		}

		// Filter length and depth.
		long := `userName eq "` + strings.Repeat("a", filter.DefaultMaxLen) + `"`
		e.wantError(e.do("GET", "/scim/v2/Users?filter="+url.QueryEscape(long), nil), 400, "invalidFilter", "")
		deep := strings.Repeat("(", filter.DefaultMaxDepth+1) + `userName eq "a"` + strings.Repeat(")", filter.DefaultMaxDepth+1)
		e.wantError(e.do("GET", "/scim/v2/Users?filter="+url.QueryEscape(deep), nil), 400, "invalidFilter", "")
		ok := strings.Repeat("(", filter.DefaultMaxDepth-1) + `userName eq "a"` + strings.Repeat(")", filter.DefaultMaxDepth-1)
		e.must(200, "GET", "/scim/v2/Users?filter="+url.QueryEscape(ok), nil)

		// count above the maximum is lowered to it (RFC 7644 §3.4.2.4 lets the server return fewer).
		for i := range 3 {
			e.newUser(fmt.Sprintf("count%d@example.com", i), nil)
		}
		if r := e.must(200, "GET", "/scim/v2/Users?count=1000000", nil); jnum(r.doc, "itemsPerPage") > scimMaxCount {
			t.Errorf("count=1000000 gave %d items per page", jnum(r.doc, "itemsPerPage"))
		}

		// PATCH operations: one too many.
		uid := e.newUser("patched@example.com", nil)
		pops := make([]map[string]any, scim.MaxPatchOperations+1)
		for i := range pops {
			pops[i] = scimOp("replace", "displayName", fmt.Sprint("n", i))
		}
		e.wantError(e.do("PATCH", "/scim/v2/Users/"+uid, scimPatchBody(pops...)), 400, "tooMany", "")

		// Members per PATCH are bounded by the body size: a member list that does not fit is
		// refused whole; one that fits is applied whole.
		gid := e.newGroup("limits")
		memberOps := func(n int) map[string]any {
			ms := make([]map[string]any, n)
			for i := range ms {
				ms[i] = map[string]any{"value": fmt.Sprintf("01900000-0000-7000-8000-%012d", i)}
			}
			return scimPatchBody(scimOp("add", "members", ms))
		}
		e.wantError(e.do("PATCH", "/scim/v2/Groups/"+gid, memberOps(maxBody/40)), http.StatusRequestEntityTooLarge, "", "")
		if v := jstr(e.must(200, "GET", "/scim/v2/Groups/"+gid, nil).doc, "meta.version"); v != `W/"1"` {
			t.Errorf("refused member PATCH changed the group: version %s", v)
		}
		if got := users(); got != before+3+1 {
			t.Errorf("users: %d, want %d (refused requests must write nothing)", got, before+4)
		}
	})
}

// TestAdminBodyLimit: the admin API answers an oversized body with its own 413 error.
func TestAdminBodyLimit(t *testing.T) {
	forEachBackend(t, Config{MaxBodyBytes: 1024}, func(t *testing.T, e *scimEnv) {
		r := e.do("POST", "/api/v1/clouds", `{"name":"`+strings.Repeat("x", 2048)+`"}`, "Authorization", "Bearer "+e.admin)
		if r.status != 413 || jstr(r.doc, "code") != "payload_too_large" {
			t.Errorf("oversized admin body: %d %s", r.status, r.body)
		}
	})
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
	e := newSCIMEnv(t, "sqlite", Config{})
	srv := New(Config{RateLimit: 3}, e.st, nil, nil)
	hs := httptest.NewServer(srv.Handler())
	t.Cleanup(hs.Close)
	e.srv = hs
	now := time.Unix(5000, 0)
	srv.limiter.now = func() time.Time { return now }
	for range 3 {
		e.must(200, "GET", "/scim/v2/Users", nil)
	}
	r := e.do("GET", "/scim/v2/Users", nil)
	e.wantError(r, http.StatusTooManyRequests, "", "retry after")
	if ra := r.header.Get("Retry-After"); ra != "1" {
		t.Errorf("Retry-After %q, want 1", ra)
	}
	// The admin token has its own bucket, and its error is the admin format.
	for range 3 {
		if r := e.do("GET", "/api/v1/clouds", nil, "Authorization", "Bearer "+e.admin); r.status != 200 {
			t.Fatalf("admin within budget: %d %s", r.status, r.body)
		}
	}
	r = e.do("GET", "/api/v1/clouds", nil, "Authorization", "Bearer "+e.admin)
	if r.status != 429 || jstr(r.doc, "code") != "rate_limited" || r.header.Get("Retry-After") == "" {
		t.Errorf("admin over budget: %d %v %s", r.status, r.header, r.body)
	}
	// Unauthenticated requests are refused before they touch a bucket.
	if r := e.do("GET", "/scim/v2/Users", nil, "Authorization", "Bearer nonsense-token-000000000000"); r.status != 401 {
		t.Errorf("bad token while limited: %d", r.status)
	}
	now = now.Add(time.Second)
	e.must(200, "GET", "/scim/v2/Users", nil)
	// Off by default.
	d := newSCIMEnv(t, "sqlite", Config{})
	for range 50 {
		d.must(200, "GET", "/scim/v2/ServiceProviderConfig", nil)
	}
}
