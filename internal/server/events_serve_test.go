package server

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"testing"
	"time"

	"github.com/rolecall/rolecall/internal/auth"
	"github.com/rolecall/rolecall/internal/store"
	"github.com/rolecall/rolecall/internal/store/sqlstore/sqltest"
)

// serving starts Serve on a loopback port; stop cancels it and returns Serve's error.
func serving(t *testing.T, st store.Store, cfg Config) (url string, stop func() error) {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	errc := make(chan error, 1)
	go func() { errc <- New(cfg, st, nil, nil).Serve(ctx, l) }()
	var once bool
	stop = func() error {
		if once {
			return nil
		}
		once = true
		cancel()
		return <-errc
	}
	t.Cleanup(func() { _ = stop() })
	return "http://" + l.Addr().String(), stop
}

// TestServePrunesOldEvents: Serve deletes the change events older than its retention, at
// start, and keeps the newer ones.
func TestServePrunesOldEvents(t *testing.T) {
	for _, b := range sqltest.Backends() {
		t.Run(b.Name, func(t *testing.T) {
			ctx := context.Background()
			st := sqltest.Open(t, b.DSN(t))
			var org store.Org
			err := st.Update(ctx, func(tx store.Tx) (err error) {
				if org, err = tx.CreateOrg(ctx, "acme"); err != nil {
					return err
				}
				_, _, err = tx.AppendEvents(ctx, org.ID, []store.Event{
					{Type: "com.rolecall.user.created", Time: store.Now().Add(-48 * time.Hour)},
					{Type: "com.rolecall.user.created", Time: store.Now().Add(-36 * time.Hour)},
					{Type: "com.rolecall.user.created"},
				})
				return err
			})
			if err != nil {
				t.Fatal(err)
			}
			serving(t, st, Config{EventRetention: 24 * time.Hour})
			deadline := time.Now().Add(10 * time.Second)
			for {
				var page store.EventPage
				err := st.View(ctx, func(tx store.Tx) (err error) {
					page, err = tx.EventsAfter(ctx, org.ID, store.EventQuery{After: 2})
					return err
				})
				if err != nil {
					t.Fatal(err)
				}
				if page.Oldest == 3 {
					if len(page.Events) != 1 || page.Revision != 3 {
						t.Errorf("after pruning: %d events, revision %d", len(page.Events), page.Revision)
					}
					return
				}
				if time.Now().After(deadline) {
					t.Fatalf("old events not pruned: oldest retained %d, want 3", page.Oldest)
				}
				time.Sleep(20 * time.Millisecond)
			}
		})
	}
}

// TestShutdownEndsLongPoll: a long-poll of the feed does not hold up graceful shutdown for
// its whole wait: it answers (200, empty) when shutdown begins.
func TestShutdownEndsLongPoll(t *testing.T) {
	ctx := context.Background()
	st := sqltest.Open(t, sqltest.SQLiteDSN(t))
	tok, _, err := auth.Bootstrap(ctx, st, "")
	if err != nil {
		t.Fatal(err)
	}
	url, stop := serving(t, st, Config{ShutdownTimeout: 30 * time.Second})
	type answer struct {
		status int
		body   string
		err    error
	}
	done := make(chan answer, 1)
	go func() {
		req, _ := http.NewRequest("GET", url+"/api/v1/events?after=0&wait=60s", nil)
		req.Header.Set("Authorization", "Bearer "+tok.Secret)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			done <- answer{err: err}
			return
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		done <- answer{status: resp.StatusCode, body: string(b)}
	}()
	time.Sleep(300 * time.Millisecond) // the request is waiting
	start := time.Now()
	if err := stop(); err != nil && !errors.Is(err, http.ErrServerClosed) {
		t.Fatalf("Serve: %v", err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("shutdown took %s with a long-poll open", d)
	}
	select {
	case a := <-done:
		if a.err != nil || a.status != 200 {
			t.Errorf("long-poll during shutdown: %d %s %v, want 200", a.status, a.body, a.err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the long-poll never answered")
	}
}
