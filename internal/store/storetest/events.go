package storetest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rolecall/rolecall/internal/store"
)

func init() {
	register(
		test{"Events/AppendAndRead", testEventsAppendAndRead},
		test{"Events/RollbackLeavesNoGap", testEventsRollback},
		test{"Events/AppendLast", testEventsAppendLast},
		test{"Events/Retention", testEventsRetention},
		test{"Events/CommitOrder", testEventsCommitOrder},
		test{"Events/Wait", testEventsWait},
		test{"Events/Large", testEventsLarge},
	)
}

// appendEvents appends events of the given types to the org in one Update and returns them
// as filled in by AppendEvents.
func appendEvents(t *testing.T, s store.Store, orgID string, types ...string) []store.Event {
	t.Helper()
	evs := make([]store.Event, len(types))
	for i, typ := range types {
		evs[i] = store.Event{Type: typ, Subject: fmt.Sprintf("things/%d", i), Data: json.RawMessage(fmt.Sprintf(`{"n":%d}`, i))}
	}
	update(t, s, func(tx store.Tx) error {
		_, _, err := tx.AppendEvents(bg, orgID, evs)
		return err
	})
	return evs
}

// readEvents reads a page of events in View.
func readEvents(s store.Store, orgID string, q store.EventQuery) (store.EventPage, error) {
	var p store.EventPage
	err := s.View(bg, func(tx store.Tx) error {
		var err error
		p, err = tx.EventsAfter(bg, orgID, q)
		return err
	})
	return p, err
}

func revisionOf(t *testing.T, s store.Store, orgID string) int64 {
	t.Helper()
	var rev int64
	view(t, s, func(tx store.Tx) error {
		var err error
		rev, err = tx.Revision(bg, orgID)
		return err
	})
	return rev
}

func seqs(evs []store.Event) []int64 {
	out := make([]int64, len(evs))
	for i, e := range evs {
		out[i] = e.Seq
	}
	return out
}

func testEventsAppendAndRead(t *testing.T, s store.Store) {
	o := newOrg(t, s, "ev")
	other := newOrg(t, s, "other")
	if rev := revisionOf(t, s, o.ID); rev != 0 {
		t.Fatalf("revision of a new org = %d, want 0", rev)
	}
	if p, err := readEvents(s, o.ID, store.EventQuery{}); err != nil || len(p.Events) != 0 || p.Next != 0 || p.Oldest != 1 {
		t.Fatalf("events of a new org = %+v, %v; want none, Next 0, Oldest 1", p, err)
	}
	at := time.Date(2026, 1, 2, 3, 4, 5, 6789, time.UTC)
	evs := []store.Event{
		{Type: "com.rolecall.user.created", Subject: "users/u1", Data: json.RawMessage(`{"id":"u1"}`), Actor: "okta", RequestID: "r1"},
		{Type: "com.rolecall.membership.added", Subject: "groups/g1", Time: at, ID: "fixed-id"},
		{Type: "com.rolecall.user.created", Subject: "users/u2"},
	}
	var first, last int64
	update(t, s, func(tx store.Tx) error {
		var err error
		first, last, err = tx.AppendEvents(bg, o.ID, evs)
		return err
	})
	if first != 1 || last != 3 {
		t.Fatalf("AppendEvents = %d..%d, want 1..3", first, last)
	}
	for i, e := range evs {
		if e.Seq != int64(i+1) || e.OrgID != o.ID || e.ID == "" || e.Time.IsZero() {
			t.Errorf("event %d filled in as %+v", i, e)
		}
	}
	if evs[1].ID != "fixed-id" || !evs[1].Time.Equal(at.Truncate(time.Microsecond)) {
		t.Errorf("given id and time not kept: %+v", evs[1])
	}
	if evs[0].ID == evs[2].ID {
		t.Errorf("two events got id %s", evs[0].ID)
	}
	// The other org's numbering is its own.
	if got := appendEvents(t, s, other.ID, "com.rolecall.group.created"); got[0].Seq != 1 {
		t.Errorf("other org's first event = %d, want 1", got[0].Seq)
	}
	if rev := revisionOf(t, s, o.ID); rev != 3 {
		t.Errorf("revision = %d, want 3", rev)
	}

	p, err := readEvents(s, o.ID, store.EventQuery{})
	must(t, "EventsAfter", err)
	if len(p.Events) != 3 || p.Next != 3 || p.Revision != 3 || p.Oldest != 1 {
		t.Fatalf("page = %d events, Next %d, Revision %d, Oldest %d; want 3, 3, 3, 1", len(p.Events), p.Next, p.Revision, p.Oldest)
	}
	for i, got := range p.Events {
		want := evs[i]
		if got.Seq != want.Seq || got.ID != want.ID || got.Type != want.Type || got.Subject != want.Subject ||
			got.Actor != want.Actor || got.RequestID != want.RequestID || got.OrgID != o.ID {
			t.Errorf("event %d read back as %+v, want %+v", i, got, want)
		}
		sameTime(t, "event time", got.Time, want.Time)
		if (got.Data == nil) != (want.Data == nil) || (want.Data != nil && !jsonEqual(got.Data, want.Data)) {
			t.Errorf("event %d data = %s, want %s", i, got.Data, want.Data)
		}
	}

	// Paging: a full page's Next is its last event; a short one's is the revision.
	p, err = readEvents(s, o.ID, store.EventQuery{After: 1, Limit: 1})
	must(t, "EventsAfter limit 1", err)
	if fmt.Sprint(seqs(p.Events)) != "[2]" || p.Next != 2 {
		t.Errorf("after 1, limit 1 = %v next %d, want [2] next 2", seqs(p.Events), p.Next)
	}
	// Type filter: skipped events still advance the cursor.
	p, err = readEvents(s, o.ID, store.EventQuery{After: 1, Types: []string{"com.rolecall.membership.added"}})
	must(t, "EventsAfter types", err)
	if fmt.Sprint(seqs(p.Events)) != "[2]" || p.Next != 3 {
		t.Errorf("after 1, membership.added = %v next %d, want [2] next 3", seqs(p.Events), p.Next)
	}
	p, err = readEvents(s, o.ID, store.EventQuery{After: 3})
	if err != nil || len(p.Events) != 0 || p.Next != 3 {
		t.Errorf("after the revision = %v next %d, %v; want nothing, next 3", seqs(p.Events), p.Next, err)
	}
	for _, after := range []int64{-1, 4} {
		_, err = readEvents(s, o.ID, store.EventQuery{After: after})
		wantErr(t, fmt.Sprintf("cursor %d", after), err, store.ErrInvalid)
	}
	_, err = readEvents(s, "no-such-org", store.EventQuery{})
	wantErr(t, "EventsAfter of a missing org", err, store.ErrNotFound)

	// Appending nothing writes nothing; an event needs a type; a missing org is not found.
	err = s.Update(bg, func(tx store.Tx) error {
		f, l, err := tx.AppendEvents(bg, o.ID, nil)
		if f != 0 || l != 0 || err != nil {
			t.Errorf("AppendEvents(nil) = %d, %d, %v", f, l, err)
		}
		return nil
	})
	must(t, "empty append", err)
	err = s.Update(bg, func(tx store.Tx) error {
		_, _, err := tx.AppendEvents(bg, o.ID, []store.Event{{Subject: "x"}})
		return err
	})
	wantErr(t, "event without type", err, store.ErrInvalid)
	err = s.Update(bg, func(tx store.Tx) error {
		_, _, err := tx.AppendEvents(bg, "no-such-org", []store.Event{{Type: "t"}})
		return err
	})
	wantErr(t, "AppendEvents to a missing org", err, store.ErrNotFound)
	if rev := revisionOf(t, s, o.ID); rev != 3 {
		t.Errorf("revision after refused appends = %d, want 3", rev)
	}
}

// testEventsRollback: a transaction that fails after appending keeps neither its events nor
// its revision; the next append reuses the numbers, so the feed has no gap.
func testEventsRollback(t *testing.T, s store.Store) {
	o := newOrg(t, s, "rb")
	appendEvents(t, s, o.ID, "a", "b")
	boom := errors.New("boom")
	err := s.Update(bg, func(tx store.Tx) error {
		if _, _, err := tx.AppendEvents(bg, o.ID, []store.Event{{Type: "lost"}, {Type: "lost"}}); err != nil {
			return err
		}
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatalf("Update = %v, want boom", err)
	}
	got := appendEvents(t, s, o.ID, "c")
	if got[0].Seq != 3 {
		t.Errorf("append after a rollback got seq %d, want 3", got[0].Seq)
	}
	p, err := readEvents(s, o.ID, store.EventQuery{})
	must(t, "EventsAfter", err)
	if fmt.Sprint(seqs(p.Events)) != "[1 2 3]" || p.Events[2].Type != "c" {
		t.Errorf("events = %v (%+v), want 1..3 ending with c", seqs(p.Events), p.Events)
	}
}

// testEventsAppendLast: the contract "append events last" is enforced alike on every
// backend, and View cannot append.
func testEventsAppendLast(t *testing.T, s store.Store) {
	o := newOrg(t, s, "last")
	err := s.Update(bg, func(tx store.Tx) error {
		if _, _, err := tx.AppendEvents(bg, o.ID, []store.Event{{Type: "x"}}); err != nil {
			return err
		}
		// Appending again is allowed (a use case may emit in two steps).
		if _, _, err := tx.AppendEvents(bg, o.ID, []store.Event{{Type: "y"}}); err != nil {
			return err
		}
		_, err := tx.CreateUser(bg, store.User{OrgID: o.ID, UserName: "late", Active: true})
		return err
	})
	wantErr(t, "write after AppendEvents", err, store.ErrInvalid)
	if rev := revisionOf(t, s, o.ID); rev != 0 {
		t.Errorf("revision after the refused transaction = %d, want 0", rev)
	}
	err = s.View(bg, func(tx store.Tx) error {
		_, _, err := tx.AppendEvents(bg, o.ID, []store.Event{{Type: "x"}})
		return err
	})
	if err == nil {
		t.Error("AppendEvents inside View succeeded")
	}
}

func testEventsRetention(t *testing.T, s store.Store) {
	o := newOrg(t, s, "ret")
	other := newOrg(t, s, "ret2")
	base := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	day := func(d int) time.Time { return base.AddDate(0, 0, d) }
	// Days of events 1..6: the clock stepped back at event 4.
	days := []int{1, 2, 3, 1, 5, 6}
	evs := make([]store.Event, len(days))
	for i, d := range days {
		evs[i] = store.Event{Type: "t", Time: day(d)}
	}
	update(t, s, func(tx store.Tx) error {
		if _, _, err := tx.AppendEvents(bg, o.ID, evs); err != nil {
			return err
		}
		_, _, err := tx.AppendEvents(bg, other.ID, []store.Event{{Type: "t", Time: day(1)}, {Type: "t", Time: day(9)}})
		return err
	})
	prune := func(org string, before time.Time, limit int) int64 {
		t.Helper()
		var n int64
		update(t, s, func(tx store.Tx) error {
			var err error
			n, err = tx.DeleteEventsBefore(bg, org, before, limit)
			return err
		})
		return n
	}
	// Nothing is older than day 1.
	if n := prune(o.ID, day(1), 0); n != 0 {
		t.Errorf("prune before day 1 deleted %d", n)
	}
	// Before day 3, in batches of one: events 1 and 2 go; event 4 (day 1, after the clock
	// stepped back) stays, because event 3 (day 3) is kept and only a prefix is deleted.
	if n := prune(o.ID, day(3), 1); n != 1 {
		t.Errorf("first batch deleted %d, want 1", n)
	}
	if n := prune(o.ID, day(3), 1); n != 1 {
		t.Errorf("second batch deleted %d, want 1", n)
	}
	if n := prune(o.ID, day(3), 1); n != 0 {
		t.Errorf("third batch deleted %d, want 0", n)
	}
	p, err := readEvents(s, o.ID, store.EventQuery{After: 2})
	must(t, "EventsAfter at the oldest cursor", err)
	if fmt.Sprint(seqs(p.Events)) != "[3 4 5 6]" || p.Oldest != 3 {
		t.Errorf("after pruning = %v oldest %d, want [3 4 5 6] oldest 3", seqs(p.Events), p.Oldest)
	}
	for _, after := range []int64{0, 1} {
		_, err = readEvents(s, o.ID, store.EventQuery{After: after})
		wantErr(t, fmt.Sprintf("cursor %d after pruning", after), err, store.ErrCursorExpired)
	}
	// Every org at once (""), before day 6, in batches of 3 that span orgs: o keeps event 6,
	// other keeps its day-9 event.
	total := int64(0)
	for i := 0; i < 4; i++ {
		n := prune("", day(6), 3)
		if n > 3 {
			t.Errorf("a batch of 3 deleted %d", n)
		}
		total += n
	}
	if total != 4 {
		t.Errorf("prune of every org deleted %d, want 4 (3 of o, 1 of other)", total)
	}
	p, err = readEvents(s, other.ID, store.EventQuery{After: 1})
	if err != nil || fmt.Sprint(seqs(p.Events)) != "[2]" {
		t.Errorf("other org after pruning = %v, %v; want [2]", seqs(p.Events), err)
	}
	// All of o pruned: the revision stays, only a cursor at it is still valid, and new
	// events continue the numbering.
	if n := prune(o.ID, day(100), 0); n != 1 {
		t.Errorf("prune of everything deleted %d, want 1", n)
	}
	if rev := revisionOf(t, s, o.ID); rev != 6 {
		t.Errorf("revision after pruning everything = %d, want 6", rev)
	}
	_, err = readEvents(s, o.ID, store.EventQuery{After: 5})
	wantErr(t, "cursor 5 with nothing retained", err, store.ErrCursorExpired)
	p, err = readEvents(s, o.ID, store.EventQuery{After: 6})
	if err != nil || len(p.Events) != 0 || p.Oldest != 7 {
		t.Errorf("cursor at the revision = %+v, %v; want empty, oldest 7", p, err)
	}
	if got := appendEvents(t, s, o.ID, "t"); got[0].Seq != 7 {
		t.Errorf("next event = %d, want 7", got[0].Seq)
	}
}

// testEventsCommitOrder: writers append concurrently (some of them failing after they
// appended), while readers follow the feed. A reader must only ever see the events right
// after its cursor: an event appearing behind a cursor (committed after a higher number was
// read) would be lost to it for good. At the end the feed holds exactly the committed events,
// numbered 1..n.
func testEventsCommitOrder(t *testing.T, s store.Store) {
	o := newOrg(t, s, "order")
	const writers, each = 8, 30
	var committed atomic.Int64
	var done atomic.Bool
	var readers sync.WaitGroup
	var reads atomic.Int64
	for r := 0; r < 2; r++ {
		readers.Add(1)
		go func() {
			defer readers.Done()
			var cursor int64
			for {
				finished := done.Load()
				p, err := readEvents(s, o.ID, store.EventQuery{After: cursor, Limit: 1000})
				if err != nil {
					t.Errorf("reader: %v", err)
					return
				}
				reads.Add(1)
				for i, e := range p.Events {
					if e.Seq != cursor+int64(i)+1 {
						t.Errorf("reader at cursor %d read %v: a gap (an event committed out of order)", cursor, seqs(p.Events))
						return
					}
				}
				if p.Next < cursor {
					t.Errorf("cursor went back from %d to %d", cursor, p.Next)
					return
				}
				cursor = p.Next
				if len(p.Events) == 0 {
					time.Sleep(time.Millisecond) // leave the cores to the writers
				}
				if finished && len(p.Events) == 0 {
					if cursor != committed.Load() {
						t.Errorf("reader ended at %d, want %d", cursor, committed.Load())
					}
					return
				}
			}
		}()
	}
	boom := errors.New("boom")
	runWorkers(writers, func(w int) {
		for i := 0; i < each; i++ {
			n := 1 + (w+i)%3
			fail := (w*each+i)%7 == 3
			err := s.Update(bg, func(tx store.Tx) error {
				// A change, then its events, last.
				if _, err := tx.CreateUser(bg, store.User{OrgID: o.ID, UserName: fmt.Sprintf("w%d-%d", w, i), Active: true}); err != nil {
					return err
				}
				evs := make([]store.Event, n)
				for k := range evs {
					evs[k] = store.Event{Type: "com.rolecall.user.created", Subject: fmt.Sprintf("w%d-%d-%d", w, i, k)}
				}
				if _, _, err := tx.AppendEvents(bg, o.ID, evs); err != nil {
					return err
				}
				if fail {
					return boom
				}
				return nil
			})
			switch {
			case fail && errors.Is(err, boom):
			case err != nil:
				t.Errorf("writer %d: %v", w, err)
				return
			default:
				committed.Add(int64(n))
			}
		}
	})
	done.Store(true)
	readers.Wait()
	p, err := readEvents(s, o.ID, store.EventQuery{Limit: store.MaxEventPage})
	must(t, "EventsAfter", err)
	if int64(len(p.Events)) != committed.Load() || p.Revision != committed.Load() {
		t.Fatalf("feed holds %d events at revision %d, want %d", len(p.Events), p.Revision, committed.Load())
	}
	for i, e := range p.Events {
		if e.Seq != int64(i+1) {
			t.Fatalf("event %d has seq %d", i, e.Seq)
		}
	}
	t.Logf("%d events committed by %d writers, %d reads", committed.Load(), writers, reads.Load())
}

// testEventsWait: WaitRevision wakes on a commit of the same Store (and only after it), and
// gives up with the context.
func testEventsWait(t *testing.T, s store.Store) {
	o := newOrg(t, s, "wait")
	if rev, err := s.WaitRevision(bg, o.ID, -1); err != nil || rev != 0 {
		t.Fatalf("WaitRevision(-1) of a new org = %d, %v; want 0 at once", rev, err)
	}
	appendEvents(t, s, o.ID, "a")

	// Already past: returns at once.
	rev, err := s.WaitRevision(bg, o.ID, 0)
	if err != nil || rev != 1 {
		t.Fatalf("WaitRevision(0) = %d, %v; want 1", rev, err)
	}
	// Times out with the revision it knows.
	ctx, cancel := context.WithTimeout(bg, 50*time.Millisecond)
	rev, err = s.WaitRevision(ctx, o.ID, 1)
	cancel()
	if !errors.Is(err, context.DeadlineExceeded) || rev != 1 {
		t.Fatalf("WaitRevision with nothing new = %d, %v; want 1, deadline exceeded", rev, err)
	}

	// Wakes on a commit, not before it.
	woke := make(chan int64, 1)
	waiting := make(chan struct{})
	go func() {
		close(waiting)
		ctx, cancel := context.WithTimeout(bg, 10*time.Second)
		defer cancel()
		rev, err := s.WaitRevision(ctx, o.ID, 1)
		if err != nil {
			t.Errorf("WaitRevision: %v", err)
		}
		woke <- rev
	}()
	<-waiting
	time.Sleep(20 * time.Millisecond) // let the waiter register
	// A transaction that appends and then fails wakes nobody.
	boom := errors.New("boom")
	if err := s.Update(bg, func(tx store.Tx) error {
		if _, _, err := tx.AppendEvents(bg, o.ID, []store.Event{{Type: "lost"}}); err != nil {
			return err
		}
		return boom
	}); !errors.Is(err, boom) {
		t.Fatalf("failing Update = %v", err)
	}
	select {
	case rev := <-woke:
		t.Fatalf("waiter woke at revision %d after a rolled-back append", rev)
	case <-time.After(300 * time.Millisecond):
	}
	var committedAt time.Time
	update(t, s, func(tx store.Tx) error {
		if _, _, err := tx.AppendEvents(bg, o.ID, []store.Event{{Type: "b"}}); err != nil {
			return err
		}
		// Appended, not committed: the waiter must not wake (the poll interval passes too).
		select {
		case rev := <-woke:
			t.Errorf("waiter woke at revision %d before the commit", rev)
		case <-time.After(300 * time.Millisecond):
		}
		committedAt = time.Now()
		return nil
	})
	select {
	case rev := <-woke:
		if rev != 2 {
			t.Errorf("waiter woke at revision %d, want 2", rev)
		}
		t.Logf("waiter woke %v after the commit began", time.Since(committedAt).Round(time.Microsecond))
	case <-time.After(5 * time.Second):
		t.Fatal("waiter did not wake within 5s of the commit")
	}
}

// eventsLargeSize is the size of the large append: one event per member of a 10,000-member
// PATCH (fewer under the race detector, which slows the pure-Go SQLite engine thirtyfold).
var eventsLargeSize = map[bool]int{false: 10_000, true: 2_000}[raceEnabled]

// testEventsLarge appends one 10,000-event batch (a 10,000-member PATCH) and reads it back
// in pages. The bound is generous (the benchmark measures); it catches a per-row round trip.
func testEventsLarge(t *testing.T, s store.Store) {
	o := newOrg(t, s, "large")
	evs := make([]store.Event, eventsLargeSize)
	for i := range evs {
		evs[i] = store.Event{Type: "com.rolecall.membership.added", Subject: "groups/g",
			Data: json.RawMessage(fmt.Sprintf(`{"group":{"id":"g","name":"G"},"member":{"type":"user","id":"u%05d"}}`, i))}
	}
	start := time.Now()
	update(t, s, func(tx store.Tx) error {
		_, _, err := tx.AppendEvents(bg, o.ID, evs)
		return err
	})
	took := time.Since(start)
	t.Logf("appended %d events in one Update in %v", len(evs), took.Round(time.Millisecond))
	if !raceEnabled && took > 5*time.Second {
		t.Errorf("appending %d events took %v", len(evs), took)
	}
	var cursor int64
	n := 0
	for {
		p, err := readEvents(s, o.ID, store.EventQuery{After: cursor, Limit: 3000})
		must(t, "EventsAfter", err)
		if len(p.Events) == 0 {
			break
		}
		for _, e := range p.Events {
			if e.Seq != int64(n+1) || !jsonEqual(e.Data, evs[n].Data) {
				t.Fatalf("event %d read back as seq %d data %s", n, e.Seq, e.Data)
			}
			n++
		}
		cursor = p.Next
	}
	if n != len(evs) {
		t.Errorf("read back %d events, want %d", n, len(evs))
	}
}
