package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/rolecall/rolecall/internal/store"
)

// Change events (store.EventTx). The org's revision lives in org_revisions and numbers its
// events; see migration 0010.
//
// Commit order. On PostgreSQL (READ COMMITTED, many writers) the numbers must also be
// handed out in commit order, or a reader could see event 7 committed while event 6, whose
// transaction began earlier, is still to come, and move its cursor past 6 for good. The
// upsert of the org's revision row takes that row's lock and holds it until the
// transaction ends; a concurrent appender blocks on it, and once the holder has committed
// (its commit is visible before its locks are released) re-reads the row and numbers its
// events after the holder's. Numbering is therefore serial per org, and commit order equals
// number order. Its price is that one org's event-emitting transactions commit one at a
// time from AppendEvents on, which is why AppendEvents must come last (store.EventTx). A
// transaction that fails after the upsert rolls it back with everything else: no gap.
//
// On SQLite every Update runs on the single writer connection, grouped into shared
// transactions (groupcommit.go); the numbers are handed out in the order the Updates run,
// which is their commit order, and a rolled-back savepoint takes its numbers with it.

// eventCols are the columns of events in the order they are inserted and scanned.
const eventCols = "org_id, seq, id, type, subject, event_time, actor, request_id, data"

// eventColCount is the number of eventCols (parameters per inserted row, SQLite).
const eventColCount = 9

// errWriteAfterEvents refuses a write that follows AppendEvents in the same transaction.
var errWriteAfterEvents = fmt.Errorf("%w: write after AppendEvents in the same transaction: append events last (store.EventTx)", store.ErrInvalid)

// AppendEvents appends evs and advances the org's revision (store.EventTx).
func (t *tx) AppendEvents(ctx context.Context, orgID string, evs []store.Event) (first, last int64, err error) {
	if err := t.writableEvents("AppendEvents"); err != nil {
		return 0, 0, err
	}
	if len(evs) == 0 {
		return 0, 0, nil
	}
	for i := range evs {
		if evs[i].Type == "" {
			return 0, 0, fmt.Errorf("%w: event %d of %d has no type", store.ErrInvalid, i+1, len(evs))
		}
	}
	if err := t.orgExists(ctx, orgID); err != nil {
		return 0, 0, err
	}
	at := now()
	for i := range evs {
		e := &evs[i]
		e.OrgID = orgID
		if e.ID == "" {
			e.ID = newID()
		}
		if e.Time.IsZero() {
			e.Time = at
		} else {
			e.Time = norm(e.Time)
		}
	}
	if t.d.name == dialectPostgres {
		last, err = t.appendEventsPG(ctx, orgID, evs)
	} else {
		last, err = t.appendEventsSQLite(ctx, orgID, evs)
	}
	if err != nil {
		for i := range evs {
			evs[i].Seq = 0
		}
		return 0, 0, t.d.mapErr(err, fmt.Sprintf("events of org %q", orgID))
	}
	first = last - int64(len(evs)) + 1
	for i := range evs {
		evs[i].Seq = first + int64(i)
	}
	if t.appended == nil {
		t.appended = map[string]int64{}
	}
	t.appended[orgID] = last
	return first, last, nil
}

// appendEventsSQLite advances the revision, then inserts the events with multi-row INSERTs
// of insertBatch rows: 4,500 parameters, under SQLite's limit of 32,766. It returns the new
// revision.
func (t *tx) appendEventsSQLite(ctx context.Context, orgID string, evs []store.Event) (int64, error) {
	var last int64
	if err := t.one(ctx, `INSERT INTO org_revisions (org_id, revision) VALUES ($1, $2)
		ON CONFLICT (org_id) DO UPDATE SET revision = org_revisions.revision + excluded.revision
		RETURNING revision`, []any{orgID, int64(len(evs))}, &last); err != nil {
		return 0, err
	}
	seq := last - int64(len(evs))
	err := chunks(evs, insertBatch, func(part []store.Event) error {
		args := make([]any, 0, len(part)*eventColCount)
		for _, e := range part {
			seq++
			args = append(args, orgID, seq, e.ID, e.Type, e.Subject, t.d.t(e.Time), e.Actor, e.RequestID, jsonArg(e.Data))
		}
		_, err := t.exec(ctx, "INSERT INTO events ("+eventCols+") VALUES "+t.d.valuesList(len(part), eventColCount), args...)
		return err
	})
	return last, err
}

// appendEventsPG advances the revision and inserts every event in one statement, whose
// columns travel as arrays (one parameter each, so no parameter limit applies). One
// statement rather than an upsert and then inserts: the revision row's lock is held from
// the upsert to the commit, and every round trip in between is time the org's other
// writers wait (BenchmarkEventOverhead). Its data-modifying CTE runs to completion although
// the outer query reads none of its rows. It returns the new revision.
func (t *tx) appendEventsPG(ctx context.Context, orgID string, evs []store.Event) (int64, error) {
	n := len(evs)
	ids, types, subjects := make([]string, n), make([]string, n), make([]string, n)
	times := make([]time.Time, n)
	actors, reqs := make([]string, n), make([]string, n)
	data := make([]*string, n)
	for i, e := range evs {
		ids[i], types[i], subjects[i], times[i], actors[i], reqs[i] = e.ID, e.Type, e.Subject, e.Time, e.Actor, e.RequestID
		if e.Data != nil {
			d := string(e.Data)
			data[i] = &d
		}
	}
	var last int64
	err := t.one(ctx, `WITH rev AS (
			INSERT INTO org_revisions (org_id, revision) VALUES ($1, $2)
			ON CONFLICT (org_id) DO UPDATE SET revision = org_revisions.revision + excluded.revision
			RETURNING revision
		), ins AS (
			INSERT INTO events (`+eventCols+`)
			SELECT $1, rev.revision - $2 + r.ord, r.id, r.type, r.subject, r.event_time, r.actor, r.request_id, r.data
			FROM rev, unnest($3::text[], $4::text[], $5::text[], $6::timestamptz[], $7::text[], $8::text[], $9::text[])
				WITH ORDINALITY AS r (id, type, subject, event_time, actor, request_id, data, ord)
		)
		SELECT revision FROM rev`,
		[]any{orgID, int64(n), ids, types, subjects, times, actors, reqs, data}, &last)
	return last, err
}

// writableEvents is writable for AppendEvents, which may follow itself.
func (t *tx) writableEvents(op string) error {
	if t.readOnly {
		return fmt.Errorf("sqlstore: %s: write inside a read-only transaction (View); use Update", op)
	}
	return t.ready()
}

// Revision returns the org's revision (0 before its first event).
func (t *tx) Revision(ctx context.Context, orgID string) (int64, error) {
	if err := t.ready(); err != nil {
		return 0, err
	}
	if err := t.orgExists(ctx, orgID); err != nil {
		return 0, err
	}
	return t.revision(ctx, orgID)
}

func (t *tx) revision(ctx context.Context, orgID string) (int64, error) {
	var rev int64
	err := t.one(ctx, "SELECT revision FROM org_revisions WHERE org_id = $1", []any{orgID}, &rev)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, nil
	}
	if err != nil {
		return 0, t.d.mapErr(err, fmt.Sprintf("revision of org %q", orgID))
	}
	return rev, nil
}

// EventsAfter reads events after q.After in order (store.EventTx). The statements are
// ordered so that the answer is right under any isolation level, not only in View's single
// snapshot: the revision is read first and bounds the events read, so Next never passes an
// event the page did not consider; the oldest retained event is read last, so a prune
// running in between makes the cursor expire rather than silently skip events.
func (t *tx) EventsAfter(ctx context.Context, orgID string, q store.EventQuery) (store.EventPage, error) {
	if err := t.ready(); err != nil {
		return store.EventPage{}, err
	}
	if err := t.orgExists(ctx, orgID); err != nil {
		return store.EventPage{}, err
	}
	rev, err := t.revision(ctx, orgID)
	if err != nil {
		return store.EventPage{}, err
	}
	if q.After < 0 || q.After > rev {
		return store.EventPage{}, fmt.Errorf("%w: cursor %d is outside org %q's revisions 0..%d", store.ErrInvalid, q.After, orgID, rev)
	}
	limit := q.Limit
	if limit <= 0 {
		limit = store.DefaultEventPage
	}
	limit = min(limit, store.MaxEventPage)
	page := store.EventPage{Events: []store.Event{}, Next: rev, Revision: rev}

	b := newBuilder(t.d, orgID)
	b.w("org_id = $1 AND seq > ", b.arg(q.After), " AND seq <= ", b.arg(rev))
	if len(q.Types) > 0 {
		b.w(" AND type IN ", t.d.list(len(b.args)+1))
		b.args = append(b.args, t.d.listArg(q.Types))
	}
	err = t.stream(ctx, "events", fmt.Sprintf("SELECT %s FROM events WHERE %s ORDER BY seq LIMIT %d", eventCols, b.b.String(), limit),
		b.args, func(rows *countedRows) error {
			var e store.Event
			if err := rows.Scan(&e.OrgID, &e.Seq, &e.ID, &e.Type, &e.Subject, timeCol{&e.Time}, &e.Actor, &e.RequestID, jsonCol{&e.Data}); err != nil {
				return t.d.mapErr(err, "events")
			}
			page.Events = append(page.Events, e)
			return nil
		})
	if err != nil {
		return store.EventPage{}, err
	}
	if len(page.Events) == limit {
		page.Next = page.Events[limit-1].Seq
	}
	if page.Oldest, err = t.oldestEvent(ctx, orgID, rev); err != nil {
		return store.EventPage{}, err
	}
	if q.After < page.Oldest-1 {
		return store.EventPage{}, fmt.Errorf("%w: events %d..%d of org %q are no longer retained (oldest kept: %d)",
			store.ErrCursorExpired, q.After+1, page.Oldest-1, orgID, page.Oldest)
	}
	return page, nil
}

// oldestEvent returns the org's first retained Seq, or rev+1 when none is retained. Events
// are deleted only as a prefix, so every Seq from it up to the revision is there.
func (t *tx) oldestEvent(ctx context.Context, orgID string, rev int64) (int64, error) {
	var oldest sql.NullInt64
	if err := t.one(ctx, "SELECT min(seq) FROM events WHERE org_id = $1", []any{orgID}, &oldest); err != nil {
		return 0, t.d.mapErr(err, fmt.Sprintf("oldest event of org %q", orgID))
	}
	if !oldest.Valid {
		// rev was read before; a concurrent append may have committed since, but its
		// events are all retained, so rev+1 still is a lower bound of what is missing.
		return rev + 1, nil
	}
	return oldest.Int64, nil
}

// DeleteEventsBefore prunes a prefix of each org's events older than before
// (store.EventTx). Each org's prefix is found walking its events in seq order from the
// oldest, limit at a time, so a call reads about as many rows as it deletes.
func (t *tx) DeleteEventsBefore(ctx context.Context, orgID string, before time.Time, limit int) (int64, error) {
	if err := t.writable("DeleteEventsBefore"); err != nil {
		return 0, err
	}
	var orgs []string
	if orgID != "" {
		if err := t.orgExists(ctx, orgID); err != nil {
			return 0, err
		}
		orgs = []string{orgID}
	} else {
		err := t.stream(ctx, "orgs with events", "SELECT org_id FROM org_revisions ORDER BY org_id", nil,
			func(rows *countedRows) error {
				var id string
				if err := rows.Scan(&id); err != nil {
					return err
				}
				orgs = append(orgs, id)
				return nil
			})
		if err != nil {
			return 0, err
		}
	}
	var deleted int64
	for _, org := range orgs {
		n, err := t.pruneOrg(ctx, org, before, limit-int(deleted))
		if err != nil {
			return deleted, err
		}
		deleted += n
		if limit > 0 && deleted >= int64(limit) {
			break
		}
	}
	return deleted, nil
}

// pruneOrg deletes up to limit (<= 0: all) of the org's oldest events that precede the
// first one at or after before.
func (t *tx) pruneOrg(ctx context.Context, orgID string, before time.Time, limit int) (int64, error) {
	var oldest sql.NullInt64
	if err := t.one(ctx, "SELECT min(seq) FROM events WHERE org_id = $1", []any{orgID}, &oldest); err != nil {
		return 0, t.d.mapErr(err, fmt.Sprintf("oldest event of org %q", orgID))
	}
	if !oldest.Valid {
		return 0, nil
	}
	// Seqs are consecutive from oldest, so [oldest, oldest+limit) holds exactly the next
	// limit events; the cut is the first of them that is recent enough, else the window's end.
	q := "SELECT seq FROM events WHERE org_id = $1 AND seq >= $2 AND event_time >= $3"
	args := []any{orgID, oldest.Int64, t.d.t(before)}
	end := int64(-1)
	if limit > 0 {
		end = oldest.Int64 + int64(limit)
		q += " AND seq < $4"
		args = append(args, end)
	}
	var cut int64
	err := t.one(ctx, q+" ORDER BY seq LIMIT 1", args, &cut)
	switch {
	case errors.Is(err, sql.ErrNoRows) && end < 0:
		cut = -1 // every event is old: delete them all
	case errors.Is(err, sql.ErrNoRows):
		cut = end
	case err != nil:
		return 0, t.d.mapErr(err, fmt.Sprintf("events of org %q to prune", orgID))
	}
	if cut == oldest.Int64 {
		return 0, nil
	}
	del, dargs := "DELETE FROM events WHERE org_id = $1 AND seq < $2", []any{orgID, cut}
	if cut < 0 {
		del, dargs = "DELETE FROM events WHERE org_id = $1", []any{orgID}
	}
	n, err := t.exec(ctx, del, dargs...)
	if err != nil {
		return 0, t.d.mapErr(err, fmt.Sprintf("prune events of org %q", orgID))
	}
	return n, nil
}
