package scimapi_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strconv"
	"testing"

	"github.com/rolecall/rolecall/internal/server"
	"github.com/rolecall/rolecall/internal/store"
)

// BenchmarkSCIMPageWalk is Okta's import walk on SQLite: GET /Users?startIndex=s&count=100
// over benchUsers() users, s stepping by 100 and wrapping, one page per iteration. A tenth
// of the users created are deleted first, so that the live-row filter has rows to skip.
// The handler is called directly (no socket, no client-side decode), so a profile shows the
// server's own cost of a page:
//
//	go test ./internal/server -run '^$' -bench SCIMPageWalk -benchmem -cpuprofile cpu.out
func BenchmarkSCIMPageWalk(b *testing.B) {
	n := benchUsers()
	e, ids := benchEnv(b, n+n/10)
	ctx := context.Background()
	err := e.st.Update(ctx, func(tx store.Tx) error {
		for i := 0; i < len(ids); i += 11 {
			if err := tx.DeleteUser(ctx, e.org, ids[i], 0); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
	var live int
	if err := e.st.View(ctx, func(tx store.Tx) error {
		_, total, err := tx.ListUsers(ctx, e.org, store.Query{})
		live = total
		return err
	}); err != nil {
		b.Fatal(err)
	}
	h := server.New(server.Config{}, e.st, nil, nil).Handler()
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		start := 1 + (i*100)%live
		req := httptest.NewRequest(http.MethodGet, "/scim/v2/Users?startIndex="+strconv.Itoa(start)+"&count=100", nil)
		req.Header.Set("Authorization", "Bearer "+e.token)
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != http.StatusOK {
			b.Fatalf("page at %d: %d %s", start, rec.Code, rec.Body.String())
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "pages/s")
}
