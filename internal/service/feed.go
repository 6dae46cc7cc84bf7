package service

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/rolecall/rolecall/internal/api"
	"github.com/rolecall/rolecall/internal/events"
	"github.com/rolecall/rolecall/internal/store"
)

// The change feed: an org's events after a cursor, in order, with long-polling. What the
// admin API's GET /api/v1/events answers and `rolecall events tail` follows.

// MaxFeedWait bounds a long-poll: a client waiting longer reconnects, so that proxies (and
// the server's own write timeout) never see a request idle for minutes.
const MaxFeedWait = 60 * time.Second

// feedMargin is the time a long-poll leaves before its request's deadline to answer.
const feedMargin = 500 * time.Millisecond

// FeedQuery selects a page of the feed.
type FeedQuery struct {
	// After is the cursor (an event's revision); nil starts at the oldest retained event.
	After *int64
	// Types keeps only these event types (full names; ParseEventTypes reads short ones).
	Types []string
	// Limit caps the events answered (0: store.DefaultEventPage).
	Limit int
	// Wait, when positive, holds an empty answer until a matching event commits, Wait (at
	// most MaxFeedWait) has passed or ctx ends.
	Wait time.Duration
}

// ParseEventTypes reads a comma-separated list of event types, full
// ("com.rolecall.user.deactivated") or short ("user.deactivated"), checking each against the
// catalogue.
func ParseEventTypes(s string) ([]string, error) {
	var out []string
	for _, t := range strings.Split(s, ",") {
		t = strings.TrimSpace(t)
		if t == "" {
			continue
		}
		full := t
		if !strings.HasPrefix(full, "com.rolecall.") {
			full = "com.rolecall." + full
		}
		if _, ok := events.Lookup(events.Type(full)); !ok {
			return nil, badRequest("unknown event type %q: the types are listed in docs/events.md (e.g. user.deactivated, membership.added)", t)
		}
		out = append(out, full)
	}
	return out, nil
}

// Events answers a page of org's feed: the events after q.After in order, the cursor to
// resume from (page.Next) and the org's revision. An expired cursor is 410, a cursor ahead
// of the org's revision 400, both saying what to do.
func (s *Service) Events(ctx context.Context, org string, q FeedQuery) (store.EventPage, error) {
	if q.Limit < 0 || q.Limit > store.MaxEventPage {
		return store.EventPage{}, badRequest("limit %d: use 1 to %d", q.Limit, store.MaxEventPage)
	}
	if q.Wait < 0 || q.Wait > MaxFeedWait {
		return store.EventPage{}, badRequest("wait %s: use 0 to %s (reconnect to wait longer)", q.Wait, MaxFeedWait)
	}
	var deadline time.Time
	if q.Wait > 0 {
		deadline = time.Now().Add(q.Wait)
		// The request's own deadline (serve --request-timeout) bounds the wait too: stop a
		// moment before it, so that the empty page is answered rather than a timeout.
		if d, ok := ctx.Deadline(); ok && deadline.After(d.Add(-feedMargin)) {
			deadline = d.Add(-feedMargin)
		}
	}
	after := int64(-1)
	if q.After != nil {
		after = *q.After
	}
	for {
		page, err := s.eventsPage(ctx, org, after, q)
		if err != nil || len(page.Events) > 0 || deadline.IsZero() {
			return page, err
		}
		// Nothing (matching) yet: wait for the org's revision to move past what was read,
		// then read again from where the page left off (a type filter may have skipped
		// events and advanced Next).
		after = page.Next
		wctx, cancel := context.WithDeadline(ctx, deadline)
		_, err = s.store.WaitRevision(wctx, org, page.Revision)
		cancel()
		if err != nil {
			// The wait is over (its time is up, the client left, or the server is shutting
			// down): answer the empty page read, resumable from its Next.
			return page, nil
		}
	}
}

// eventsPage reads one page after cursor (-1: from the oldest retained event).
func (s *Service) eventsPage(ctx context.Context, org string, after int64, q FeedQuery) (page store.EventPage, err error) {
	err = s.store.View(ctx, func(tx store.Tx) error {
		if after < 0 {
			// From the oldest retained event: an empty read at the org's revision says
			// which that is (Oldest).
			rev, err := tx.Revision(ctx, org)
			if err != nil {
				return err
			}
			head, err := tx.EventsAfter(ctx, org, store.EventQuery{After: rev, Limit: 1})
			if err != nil {
				return err
			}
			after = head.Oldest - 1
		}
		page, err = tx.EventsAfter(ctx, org, store.EventQuery{After: after, Types: q.Types, Limit: q.Limit})
		return err
	})
	switch {
	case errors.Is(err, store.ErrCursorExpired):
		return page, &api.Error{Status: http.StatusGone, Code: api.CodeCursorExpired, Message: fmt.Sprintf(
			"the events after cursor %d are no longer retained (the server keeps events for its --event-retention): "+
				"read the current state again (e.g. the access listing), then follow the feed from the cursor this org is at now (omit after to start at the oldest retained event)", after)}
	case errors.Is(err, store.ErrInvalid):
		return page, badRequest("cursor %d is ahead of this organization's feed: use a revision this server answered (a cursor from another database or from before a restore does not apply here)", after)
	}
	return page, err
}

// pruneBatch bounds one retention delete: a big backlog goes in several short transactions,
// so that writers of the org never wait long behind the pruner.
const pruneBatch = 10000

// PruneEvents deletes every org's events older than before, in batches, and returns how many
// it deleted. Servers run it in the background (--event-retention); several servers on one
// database may run it at once: each batch deletes what is still there.
func (s *Service) PruneEvents(ctx context.Context, before time.Time) (int64, error) {
	var total int64
	for {
		var n int64
		err := s.store.Update(ctx, func(tx store.Tx) (err error) {
			n, err = tx.DeleteEventsBefore(ctx, "", before, pruneBatch)
			return err
		})
		total += n
		if err != nil || n < pruneBatch {
			return total, err
		}
	}
}
