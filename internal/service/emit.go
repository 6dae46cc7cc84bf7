package service

import (
	"context"
	"sync"

	"github.com/rolecall/rolecall/internal/audit"
	"github.com/rolecall/rolecall/internal/events"
	"github.com/rolecall/rolecall/internal/store"
)

// Change events. Every use case that commits a change collects its events in an Outbox
// while it works and appends them with store.EventTx.AppendEvents as the last call of its
// transaction (Commit), after the audit entry: the feed, webhooks and the decision index of
// every server then learn of exactly the committed changes, in commit order. The write
// helpers (update, write, provision) do the appending, so a use case only adds events.
//
// The org's revision after the write (the Seq of its last event) reaches the HTTP handler
// through a RevisionSink in the request context: the handler puts one there before calling
// the service, and answers it in a header once the use case returned. Passing it through the
// context spares every use case's signature a return value that only HTTP wants, and lets a
// handler that runs several use cases (a Bulk request) answer the last.

// Outbox collects the change events of one transaction.
type Outbox struct {
	evs []store.Event
	err error
	// rev is the org's revision once the transaction commits (set by Commit).
	rev int64
}

// Add makes the event of type t with payload d. A payload that does not fit its type is a
// programming error; it fails the transaction at Commit rather than emit a wrong event.
func (o *Outbox) Add(t events.Type, d events.Data) {
	if o.err != nil {
		return
	}
	ev, err := events.New(t, d)
	if err != nil {
		o.err = err
		return
	}
	o.evs = append(o.evs, ev)
}

// Len is the number of events collected.
func (o *Outbox) Len() int { return len(o.evs) }

// Commit appends the events to org's feed, stamped with the context's actor and request id
// (as the audit log is): the last call of the transaction. With no events it reads the
// org's current revision instead (a write that changed nothing answers the revision it
// saw).
func (o *Outbox) Commit(ctx context.Context, tx store.Tx, org string) error {
	if o.err != nil {
		return o.err
	}
	if len(o.evs) == 0 {
		rev, err := tx.Revision(ctx, org)
		o.rev = rev
		return err
	}
	a := audit.ActorFrom(ctx)
	for i := range o.evs {
		o.evs[i].Actor, o.evs[i].RequestID = a.Name, a.RequestID
	}
	_, last, err := tx.AppendEvents(ctx, org, o.evs)
	o.rev = last
	return err
}

// Publish reports the committed revision to the context's sink; call it once Update returned
// nil (the numbers are final only then).
func (o *Outbox) Publish(ctx context.Context, org string) {
	if s := revisionSink(ctx); s != nil {
		s.Set(org, o.rev)
	}
}

// Revision is the org's revision after the committed transaction (0 before Commit).
func (o *Outbox) Revision() int64 { return o.rev }

// RevisionSink receives the org's revision after each write of a request.
type RevisionSink struct {
	mu  sync.Mutex
	org string
	rev int64
	set bool
}

// Set records rev for org; the highest revision of the org wins (a Bulk request's last).
func (s *RevisionSink) Set(org string, rev int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.set || s.org != org || rev > s.rev {
		s.org, s.rev, s.set = org, rev, true
	}
}

// Get returns the org's revision recorded last and whether a write recorded one.
func (s *RevisionSink) Get() (org string, rev int64, ok bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.org, s.rev, s.set
}

type sinkKey struct{}

// WithRevisionSink returns ctx carrying a new sink for the revisions of the writes made with
// it.
func WithRevisionSink(ctx context.Context) (context.Context, *RevisionSink) {
	s := &RevisionSink{}
	return context.WithValue(ctx, sinkKey{}, s), s
}

func revisionSink(ctx context.Context) *RevisionSink {
	s, _ := ctx.Value(sinkKey{}).(*RevisionSink)
	return s
}

// write runs fn in a write transaction of org and appends the events it collected in ob,
// last; once committed, the revision goes to the context's sink.
func (s *Service) write(ctx context.Context, org string, fn func(tx store.Tx, ob *Outbox) error) error {
	return writeEvents(ctx, s.store, org, fn)
}

// writeEvents is write for callers outside Service (enforce-groups, seeding).
func writeEvents(ctx context.Context, st store.Store, org string, fn func(tx store.Tx, ob *Outbox) error) error {
	var ob *Outbox
	err := st.Update(ctx, func(tx store.Tx) error {
		ob = &Outbox{} // a fresh one per attempt: a retried transaction starts over
		if err := fn(tx, ob); err != nil {
			return err
		}
		return ob.Commit(ctx, tx, org)
	})
	if err == nil {
		ob.Publish(ctx, org)
	}
	return err
}

// WriteEvents runs fn in one write transaction of org (st.Update, with ctx as given: mark it
// store.OwnTransaction for a big write) and appends the events fn collected, last. It is how
// enforce-groups, which is not this package, commits its changes.
func WriteEvents(ctx context.Context, st store.Store, org string, fn func(tx store.Tx, ob *Outbox) error) error {
	return writeEvents(ctx, st, org, fn)
}
