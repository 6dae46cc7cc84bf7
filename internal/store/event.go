package store

import (
	"context"
	"encoding/json"
	"errors"
	"time"
)

// Change events (the outbox). Every committed change of an org appends its events in the same
// transaction as the change, numbered by the org's revision: a per-org counter that starts at
// 0 and that each appended event advances by one. Numbers have no gaps, and they grow in
// commit order: a reader that has seen event N never later sees a newly committed event
// numbered below N. The feed, webhooks and the decision index's freshness all rest on that.
//
// What an event means (its type, its data) belongs to package events; the store keeps the
// record and its order, and reads data as opaque JSON.
//
// Writing, in a use case (after the change and its audit event, as the last call):
//
//	ev, err := events.New(events.UserDeactivated, events.UserData{…})
//	…
//	_, rev, err := tx.AppendEvents(ctx, orgID, []store.Event{ev}) // rev: the org's new revision
//
// Reading, in a long-polling feed or a webhook dispatcher that holds a cursor:
//
//	st.WaitRevision(waitCtx, orgID, cursor)          // returns at once if there is news
//	st.View(ctx, func(tx store.Tx) error {
//		page, err = tx.EventsAfter(ctx, orgID, store.EventQuery{After: cursor, Types: types})
//		return err
//	})
//	// answer page.Events; page.Next is the next cursor. With a Types filter a page may be
//	// empty and still advance Next: wait again from it until events come or time is up.

// ErrCursorExpired: the events after the given cursor are no longer all retained (retention
// deleted some of them); the reader must start over from a fresh state. The feed answers 410.
var ErrCursorExpired = errors.New("cursor expired")

// Event is one stored change event.
type Event struct {
	OrgID string
	// Seq is the org's revision once this event is applied: 1 for the org's first event,
	// then consecutive. Assigned by AppendEvents.
	Seq int64
	// ID is unique across all events (a UUID; the CloudEvents id and the webhook-id).
	// AppendEvents assigns one when empty.
	ID string
	// Type is the event type, e.g. "com.rolecall.user.deactivated" (package events).
	Type string
	// Subject names what changed, e.g. "users/<id>" (the CloudEvents subject).
	Subject string
	// Time is when the change was made; AppendEvents sets store.Now() when zero.
	Time time.Time
	// Data is the payload as JSON (nil for none), stored and returned byte for byte.
	Data json.RawMessage
	// Actor and RequestID say who asked for the change and in which request (may be empty).
	Actor     string
	RequestID string
}

// EventQuery selects events of one org for EventsAfter.
type EventQuery struct {
	// After is the cursor: events with Seq > After are returned (0: from the first).
	After int64
	// Types keeps only events of these types (empty: all). The cursor still advances over
	// the events it skips (EventPage.Next).
	Types []string
	// Limit caps the number of events returned: 1..MaxEventPage; 0 or less means
	// DefaultEventPage.
	Limit int
}

// Page sizes of EventsAfter.
const (
	DefaultEventPage = 100
	MaxEventPage     = 10000
)

// EventPage is what EventsAfter returns.
type EventPage struct {
	// Events in Seq order; never nil.
	Events []Event
	// Next is the cursor to resume from: the Seq of the last event returned when the page is
	// full, else the revision read (every event up to it was considered, including those the
	// Types filter skipped). Next >= the query's After.
	Next int64
	// Revision is the org's revision in the snapshot the page was read from.
	Revision int64
	// Oldest is the first retained Seq (Revision+1 when none is retained): a cursor below
	// Oldest-1 has expired.
	Oldest int64
}

// EventTx appends, reads and prunes an org's change events.
type EventTx interface {
	// AppendEvents appends evs to the org's feed and advances its revision by len(evs). It
	// fills in each event's OrgID and Seq, and ID and Time when empty, in evs itself, and
	// returns the first and last Seq assigned (0, 0 when evs is empty: nothing is written).
	// Every event needs a Type. The numbers are final only once Update has returned nil:
	// a transaction (or an SQLite group-commit savepoint) that is rolled back gives them to
	// the next appender.
	//
	// Call it LAST in the transaction, once per org, after every other write of the change.
	// To number events in commit order it locks the org's revision row (PostgreSQL: a row
	// lock; SQLite's single writer needs none) and holds that lock until the transaction
	// ends, so every other writer of the org waits for this transaction's commit; the
	// shorter the time between AppendEvents and the commit, the less they wait. Writes
	// after AppendEvents in the same transaction are refused (ErrInvalid), so the contract
	// is checked on every backend, not only where it matters for correctness.
	AppendEvents(ctx context.Context, orgID string, evs []Event) (first, last int64, err error)
	// Revision returns the org's current revision: the Seq of its last event, 0 before any.
	Revision(ctx context.Context, orgID string) (int64, error)
	// EventsAfter reads events with Seq > q.After in Seq order. ErrCursorExpired when some
	// of them are no longer retained; ErrInvalid when After is negative or ahead of the
	// org's revision (a cursor from another database, or from before a restore).
	EventsAfter(ctx context.Context, orgID string, q EventQuery) (EventPage, error)
	// DeleteEventsBefore prunes events older than before, oldest first, deleting at most
	// limit events (limit <= 0: no limit) and returning how many it deleted; call it again
	// while it returns limit. orgID "" prunes every org. Only a prefix of each org's feed
	// is ever deleted: it stops at the first event at or after before, so a clock that
	// stepped back keeps a few old events a little longer rather than punching a hole in
	// the feed. The revision is not affected.
	DeleteEventsBefore(ctx context.Context, orgID string, before time.Time, limit int) (int64, error)
}

// RevisionWaiter lets a reader block until an org changes: long-polling feeds, webhook
// dispatchers and decision indexes waiting for a write (context.min_revision).
type RevisionWaiter interface {
	// WaitRevision blocks until the org's revision is greater than after, and returns it
	// (after -1 returns the current revision at once). When ctx ends first it returns the
	// last revision it knew of and ctx's error; after Close, an error. An org that does not
	// exist has revision 0 for ever.
	//
	// It wakes as soon as a commit of this Store that appended events for the org has
	// succeeded (after the commit, never before), and within a poll interval (backend
	// dependent, under a second) of a commit made through another Store or process on the
	// same database.
	WaitRevision(ctx context.Context, orgID string, after int64) (int64, error)
}
