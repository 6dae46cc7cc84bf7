package sqlstore

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"runtime"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/rolecall/rolecall/internal/store"
)

// Group commit is driven deterministically: the first Update blocks inside its fn until the
// others are queued behind it (writer.waiting), so they are all taken into its batch.

// openTestSQLite opens a Store on a new SQLite file (closed when tb ends) with one org, and
// returns it and the org's id.
func openTestSQLite(tb testing.TB) (*Store, string) {
	tb.Helper()
	ctx := context.Background()
	st, err := Open(ctx, "sqlite:"+filepath.Join(tb.TempDir(), "test.db"))
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { st.Close() })
	s := st.(*Store)
	var org store.Org
	if err := s.Update(ctx, func(tx store.Tx) error {
		var err error
		org, err = tx.CreateOrg(ctx, "test")
		return err
	}); err != nil {
		tb.Fatal(err)
	}
	return s, org.ID
}

// batchOf runs first (which blocks until release is closed) and then each of rest from its own
// goroutine, queued in order behind it, and returns every Update's error (first's at index 0).
// Panics are recovered and returned as errors prefixed "panic: ".
func batchOf(t *testing.T, s *Store, ctxs []context.Context, fns []func(store.Tx) error) []error {
	t.Helper()
	// The batch must stay open until every caller has queued, however slowly this machine
	// schedules them: tests assert exact commit counts.
	s.wr.mu.Lock()
	s.wr.window = time.Hour
	s.wr.mu.Unlock()
	errs := make([]error, len(fns))
	entered := make(chan struct{})
	release := make(chan struct{})
	var wg sync.WaitGroup
	run := func(i int) {
		defer wg.Done()
		defer func() {
			if p := recover(); p != nil {
				errs[i] = fmt.Errorf("panic: %v", p)
			}
		}()
		ctx := context.Background()
		if ctxs != nil && ctxs[i] != nil {
			ctx = ctxs[i]
		}
		errs[i] = s.Update(ctx, fns[i])
	}
	first := fns[0]
	fns[0] = func(tx store.Tx) error {
		close(entered)
		<-release
		return first(tx)
	}
	wg.Add(1)
	go run(0)
	<-entered
	for i := 1; i < len(fns); i++ {
		wg.Add(1)
		go run(i)
		waitFor(t, func() bool { return s.wr.waiting.Load() == int64(i) })
	}
	close(release)
	wg.Wait()
	return errs
}

func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("timed out waiting for queued Updates")
		}
		time.Sleep(time.Millisecond)
	}
}

func createUser(org, name string) func(store.Tx) error {
	return func(tx store.Tx) error {
		_, err := tx.CreateUser(context.Background(), store.User{OrgID: org, UserName: name, Active: true})
		return err
	}
}

func userNames(t *testing.T, s *Store, org string) []string {
	t.Helper()
	var names []string
	err := s.View(context.Background(), func(tx store.Tx) error {
		us, _, err := tx.ListUsers(context.Background(), org, store.Query{Page: store.Page{Limit: 1000}})
		for _, u := range us {
			names = append(names, u.UserName)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	sort.Strings(names)
	return names
}

var errRefused = errors.New("refused by fn")

// TestGroupCommitIsolatesFailures: Updates grouped into one transaction keep their own
// all-or-nothing. One that fails after writing, one that panics after writing and one whose
// write conflicts with an earlier Update of the same batch leave nothing; the others
// commit, in one transaction.
func TestGroupCommitIsolatesFailures(t *testing.T) {
	s, org := openTestSQLite(t)
	u0, c0 := s.WriteStats()
	errs := batchOf(t, s, nil, []func(store.Tx) error{
		createUser(org, "a"),
		func(tx store.Tx) error { // writes, then fails
			if err := createUser(org, "b-failed")(tx); err != nil {
				return err
			}
			return errRefused
		},
		createUser(org, "c"),
		func(tx store.Tx) error { // writes, then panics
			if err := createUser(org, "d-panicked")(tx); err != nil {
				return err
			}
			panic("boom")
		},
		createUser(org, "a"), // conflicts with the batch's first Update
		createUser(org, "f"),
	})
	if errs[0] != nil || errs[2] != nil || errs[5] != nil {
		t.Fatalf("successful Updates failed: %v", errs)
	}
	if !errors.Is(errs[1], errRefused) {
		t.Errorf("failing Update: %v, want its own error", errs[1])
	}
	if errs[3] == nil || errs[3].Error() != "panic: boom" {
		t.Errorf("panicking Update: %v, want the panic re-raised in its caller", errs[3])
	}
	if !errors.Is(errs[4], store.ErrConflict) {
		t.Errorf("conflicting Update: %v, want ErrConflict", errs[4])
	}
	want := []string{"a", "c", "f"}
	if got := userNames(t, s, org); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("users %v, want %v", got, want)
	}
	u1, c1 := s.WriteStats()
	if u1-u0 != 3 || c1-c0 != 1 {
		t.Errorf("WriteStats: %d updates in %d commits, want 3 in 1", u1-u0, c1-c0)
	}
}

// TestGroupCommitSkipsCancelled: an Update whose context ends while it waits in the queue
// is answered with the context's error and its fn never runs.
func TestGroupCommitSkipsCancelled(t *testing.T) {
	s, org := openTestSQLite(t)
	ctx, cancel := context.WithCancel(context.Background())
	ran := false
	ctxs := []context.Context{nil, ctx, nil}
	fns := []func(store.Tx) error{
		func(tx store.Tx) error { cancel(); return createUser(org, "first")(tx) },
		func(tx store.Tx) error { ran = true; return createUser(org, "cancelled")(tx) },
		createUser(org, "last"),
	}
	errs := batchOf(t, s, ctxs, fns)
	if errs[0] != nil || errs[2] != nil {
		t.Fatalf("errors %v", errs)
	}
	if !errors.Is(errs[1], context.Canceled) || ran {
		t.Errorf("cancelled Update: err %v, ran %v; want context.Canceled without running", errs[1], ran)
	}
	if got := userNames(t, s, org); fmt.Sprint(got) != "[first last]" {
		t.Errorf("users %v", got)
	}
}

// TestGroupCommitOwnTransaction: an Update marked store.OwnTransaction is never grouped:
// the batch before it commits without it, it commits alone, and the next batch follows.
func TestGroupCommitOwnTransaction(t *testing.T) {
	s, org := openTestSQLite(t)
	u0, c0 := s.WriteStats()
	own := store.OwnTransaction(context.Background())
	errs := batchOf(t, s, []context.Context{nil, nil, own, nil, nil}, []func(store.Tx) error{
		createUser(org, "a"), createUser(org, "b"), createUser(org, "own"), createUser(org, "c"), createUser(org, "d"),
	})
	for i, err := range errs {
		if err != nil {
			t.Fatalf("Update %d: %v", i, err)
		}
	}
	u1, c1 := s.WriteStats()
	// [a b] [own] [c d]
	if u1-u0 != 5 || c1-c0 != 3 {
		t.Errorf("WriteStats: %d updates in %d commits, want 5 in 3", u1-u0, c1-c0)
	}
	// A failing own-transaction Update leaves nothing and does not disturb the next.
	err := s.Update(own, func(tx store.Tx) error {
		if err := createUser(org, "own-failed")(tx); err != nil {
			return err
		}
		return errRefused
	})
	if !errors.Is(err, errRefused) {
		t.Fatalf("failing own Update: %v", err)
	}
	if got := userNames(t, s, org); fmt.Sprint(got) != "[a b c d own]" {
		t.Errorf("users %v", got)
	}
}

// TestGroupCommitBrokenTransaction: when the shared transaction is lost under an Update
// that reports success (here its fn ends the transaction itself, as SQLite does on an I/O
// error), no Update of the batch is kept and every one of them is told so.
func TestGroupCommitBrokenTransaction(t *testing.T) {
	s, org := openTestSQLite(t)
	errs := batchOf(t, s, nil, []func(store.Tx) error{
		createUser(org, "a"),
		func(stx store.Tx) error {
			if err := createUser(org, "b")(stx); err != nil {
				return err
			}
			_, err := stx.(*tx).exec(context.Background(), "ROLLBACK")
			return err
		},
		createUser(org, "c"), // queued behind the loss: runs in the next transaction
	})
	if errs[0] == nil || errs[1] == nil || errs[2] != nil {
		t.Errorf("errors %v, want a and b told of the loss and c committed", errs)
	}
	if got := userNames(t, s, org); fmt.Sprint(got) != "[c]" {
		t.Errorf("users %v after a lost transaction, want [c]", got)
	}
	// The writer goes on.
	if err := s.Update(context.Background(), createUser(org, "after")); err != nil {
		t.Fatalf("Update after a lost transaction: %v", err)
	}
}

// TestGroupCommitClose: Updates after Close fail with a clear error instead of hanging.
func TestGroupCommitClose(t *testing.T) {
	s, org := openTestSQLite(t)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	err := s.Update(context.Background(), createUser(org, "late"))
	if !errors.Is(err, errClosed) {
		t.Errorf("Update after Close: %v, want errClosed", err)
	}
}

// TestGroupCommitGoexit: an fn that ends its goroutine (t.Fatal inside Update does that)
// leaves nothing behind, and the writer goes on.
func TestGroupCommitGoexit(t *testing.T) {
	s, org := openTestSQLite(t)
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = s.Update(context.Background(), func(tx store.Tx) error {
			if err := createUser(org, "goexit")(tx); err != nil {
				return err
			}
			runtime.Goexit()
			return nil
		})
	}()
	<-done
	if err := s.Update(context.Background(), createUser(org, "after")); err != nil {
		t.Fatalf("Update after a Goexit: %v", err)
	}
	if got := userNames(t, s, org); fmt.Sprint(got) != "[after]" {
		t.Errorf("users %v, want [after]", got)
	}
}
