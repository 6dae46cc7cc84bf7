package scimapi_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rolecall/rolecall/internal/server"
	"github.com/rolecall/rolecall/internal/store"
)

// Regression tests of "one organization must not stall another" (issue 14, item 7): scan
// slots per org and in total, and the request deadline that reaches the store.

// gateStore holds list scans in their second batch (a store.Query with Page.After > 0)
// until released or until the request's context ends, so that tests can keep scans in
// progress without timing.
type gateStore struct {
	store.Store
	entered chan time.Time // the deadline of each held call's context (zero: none)
	release chan struct{}
}

type gateTx struct {
	store.Tx
	g *gateStore
}

func (g *gateStore) View(ctx context.Context, fn func(store.Tx) error) error {
	return g.Store.View(ctx, func(tx store.Tx) error { return fn(gateTx{Tx: tx, g: g}) })
}

func (t gateTx) ListUsers(ctx context.Context, orgID string, q store.Query) ([]store.User, int, error) {
	if q.Page.After > 0 {
		dl, _ := ctx.Deadline()
		t.g.entered <- dl
		select {
		case <-t.g.release:
		case <-ctx.Done():
			return nil, 0, ctx.Err()
		}
	}
	return t.Tx.ListUsers(ctx, orgID, q)
}

// seedOrg creates org name (or uses the default org when name is "") with n users
// name-0@example.com… written straight to the store, and returns its id and a SCIM token.
func seedOrg(t *testing.T, e *scimEnv, name string, n int) (orgID, token string) {
	t.Helper()
	ctx := context.Background()
	orgID = e.org
	err := e.st.Update(ctx, func(tx store.Tx) error {
		if name != "" {
			o, err := tx.CreateOrg(ctx, name)
			if err != nil {
				return err
			}
			orgID = o.ID
		}
		for i := range n {
			un := fmt.Sprintf("%s-%d@example.com", name, i)
			doc := fmt.Sprintf(`{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":%q}`, un)
			if _, err := tx.CreateUser(ctx, store.User{OrgID: orgID, UserName: un, Active: true, Doc: []byte(doc)}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if name == "" {
		return orgID, e.token
	}
	return orgID, e.createSCIMToken(t, orgID)
}

// scanAnswer is what scimGet got.
type scanAnswer struct {
	status     int
	retryAfter string
	body       string
	err        error
}

// scimGet sends a SCIM GET with a client timeout, so that a server that never answers fails
// the test instead of hanging it.
func scimGet(base, token, path string) scanAnswer {
	req, _ := http.NewRequest("GET", base+path, nil)
	req.Header.Set("Authorization", "Bearer "+token)
	res, err := (&http.Client{Timeout: 15 * time.Second}).Do(req)
	if err != nil {
		return scanAnswer{err: err}
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return scanAnswer{status: res.StatusCode, retryAfter: res.Header.Get("Retry-After"), body: string(b)}
}

// scanBatchSize is the scan's batch of candidates (scimapi's scanBatch): a scan of more
// needs a slot.
const scanBatchSize = 500

var worstFilter = "/scim/v2/Users?filter=" + url.QueryEscape(`groups.value eq "x"`)

// TestScanSlots: with one scan per org and two in all, an org's second scan is answered 429
// with Retry-After at once while its first runs, its lookups are answered meanwhile, another
// org's scan takes the second slot, and a third org's scan finds the server full (429); once
// the scans end, their slots are free again.
func TestScanSlots(t *testing.T) {
	e := newSCIMEnv(t, server.Config{})
	const n = scanBatchSize + 100 // more than one batch: a scan that needs a slot
	_, tokA := seedOrg(t, e, "", n)
	_, tokB := seedOrg(t, e, "bravo", n)
	_, tokC := seedOrg(t, e, "charlie", n)
	g := &gateStore{Store: e.st, entered: make(chan time.Time, 8), release: make(chan struct{})}
	srv := httptest.NewServer(server.New(server.Config{ScanConcurrency: 1, ScanConcurrencyTotal: 2}, g, nil, nil).Handler())
	t.Cleanup(srv.Close)

	var wg sync.WaitGroup
	held := make([]scanAnswer, 2)
	for i, tok := range []string{tokA, tokB} {
		wg.Add(1)
		go func() { defer wg.Done(); held[i] = scimGet(srv.URL, tok, worstFilter) }()
		select {
		case <-g.entered:
		case <-time.After(15 * time.Second):
			t.Fatal("a scan never reached its second batch")
		}
	}
	// Both slots are taken: A's second scan and C's first are refused at once, naming the
	// limit; A's lookups do not need a slot.
	for _, c := range []struct{ token, limit string }{{tokA, "--scim-scan-concurrency)"}, {tokC, "--scim-scan-concurrency-total"}} {
		done := make(chan scanAnswer, 1)
		go func() { done <- scimGet(srv.URL, c.token, worstFilter) }()
		var r scanAnswer
		select {
		case r = <-done:
		case <-g.entered:
			r = scanAnswer{err: fmt.Errorf("the scan went on instead of being refused")}
			g.release <- struct{}{}
			<-done
		}
		if r.err != nil || r.status != http.StatusTooManyRequests || r.retryAfter == "" || !strings.Contains(r.body, c.limit) {
			t.Errorf("scan over the limit: %d Retry-After %q %v %s; want 429 with Retry-After naming %s", r.status, r.retryAfter, r.err, r.body, c.limit)
		}
	}
	if r := scimGet(srv.URL, tokA, "/scim/v2/Users?filter="+url.QueryEscape(`userName eq "-7@example.com"`)); r.status != http.StatusOK || !strings.Contains(r.body, `"totalResults":1`) {
		t.Errorf("lookup while the org's scan runs: %d %s %v", r.status, r.body, r.err)
	}
	close(g.release)
	wg.Wait()
	for i, r := range held {
		if r.status != http.StatusOK {
			t.Errorf("held scan %d: %d %s %v", i, r.status, r.body, r.err)
		}
	}
	// The slots are free again.
	if r := scimGet(srv.URL, tokC, worstFilter); r.status != http.StatusOK {
		t.Errorf("scan after the others ended: %d %s %v", r.status, r.body, r.err)
	}
}

// TestRequestDeadlineReachesQuery: the request's deadline (--request-timeout) is on the
// context the store's queries get; a scan still running at the deadline stops there and is
// answered 503 with Retry-After, and the server is not left holding it.
func TestRequestDeadlineReachesQuery(t *testing.T) {
	e := newSCIMEnv(t, server.Config{})
	seedOrg(t, e, "", scanBatchSize+100)
	const timeout = 300 * time.Millisecond
	g := &gateStore{Store: e.st, entered: make(chan time.Time, 8), release: make(chan struct{})}
	srv := httptest.NewServer(server.New(server.Config{RequestTimeout: timeout}, g, nil, nil).Handler())
	t.Cleanup(srv.Close)
	start := time.Now()
	done := make(chan scanAnswer, 1)
	go func() { done <- scimGet(srv.URL, e.token, worstFilter) }()
	var dl time.Time
	select {
	case dl = <-g.entered:
	case <-time.After(15 * time.Second):
		t.Fatal("the scan never reached its second batch")
	}
	if dl.IsZero() || dl.Before(start) || dl.After(time.Now().Add(timeout)) {
		t.Errorf("the store's context has deadline %v; want one within %v of the request's start %v", dl, timeout, start)
	}
	r := <-done // never released: only the deadline ends it
	if r.err != nil || r.status != http.StatusServiceUnavailable || r.retryAfter == "" || !strings.Contains(r.body, "--request-timeout") {
		t.Errorf("scan past its deadline: %d Retry-After %q %v %s; want 503 with Retry-After naming --request-timeout", r.status, r.retryAfter, r.err, r.body)
	}
	// The scan's slot was given back: a scan with the gate open answers.
	close(g.release)
	if r := scimGet(srv.URL, e.token, worstFilter); r.status != http.StatusOK {
		t.Errorf("next scan: %d %s %v", r.status, r.body, r.err)
	}
}

// TestScanSizeCap: a scan over more candidates than --scim-scan-max is refused with 400
// tooMany before it reads a single candidate, naming what the database answers from its
// indexes; the same filter narrowed by an indexed attribute below the cap is answered, and
// so are indexed filters on the whole org.
func TestScanSizeCap(t *testing.T) {
	e := newSCIMEnv(t, server.Config{})
	seedOrg(t, e, "", 300)
	counting := &scanCounter{Store: e.st}
	srv := httptest.NewServer(server.New(server.Config{ScanMax: 150}, counting, nil, nil).Handler())
	t.Cleanup(srv.Close)

	r := scimGet(srv.URL, e.token, worstFilter)
	if r.status != http.StatusBadRequest || !strings.Contains(r.body, `"scimType":"tooMany"`) ||
		!strings.Contains(r.body, "read 300 users") || !strings.Contains(r.body, "--scim-scan-max") || !strings.Contains(r.body, "userName") {
		t.Fatalf("scan of 300 users over a cap of 150: %d %s %v", r.status, r.body, r.err)
	}
	if n := counting.rowsRead.Load(); n != 0 {
		t.Errorf("the refused scan read %d users first", n)
	}
	narrowed := "/scim/v2/Users?filter=" + url.QueryEscape(`userName sw "-1" and groups.value eq "x"`)
	if r := scimGet(srv.URL, e.token, narrowed); r.status != http.StatusOK || !strings.Contains(r.body, `"totalResults":0`) {
		t.Errorf("the same filter narrowed to 111 users by userName: %d %s %v", r.status, r.body, r.err)
	}
	if r := scimGet(srv.URL, e.token, "/scim/v2/Users?filter="+url.QueryEscape(`userName eq "-7@example.com"`)); r.status != http.StatusOK || !strings.Contains(r.body, `"totalResults":1`) {
		t.Errorf("indexed lookup: %d %s %v", r.status, r.body, r.err)
	}
	if r := scimGet(srv.URL, e.token, "/scim/v2/Users?count=5"); r.status != http.StatusOK || !strings.Contains(r.body, `"totalResults":300`) {
		t.Errorf("unfiltered page: %d %s %v", r.status, r.body, r.err)
	}
}

// scanCounter counts the users list calls return (a count-only call returns none).
type scanCounter struct {
	store.Store
	rowsRead atomic.Int64
}

type scanCounterTx struct {
	store.Tx
	c *scanCounter
}

func (c *scanCounter) View(ctx context.Context, fn func(store.Tx) error) error {
	return c.Store.View(ctx, func(tx store.Tx) error { return fn(scanCounterTx{Tx: tx, c: c}) })
}

func (t scanCounterTx) ListUsers(ctx context.Context, orgID string, q store.Query) ([]store.User, int, error) {
	us, n, err := t.Tx.ListUsers(ctx, orgID, q)
	t.c.rowsRead.Add(int64(len(us)))
	return us, n, err
}
