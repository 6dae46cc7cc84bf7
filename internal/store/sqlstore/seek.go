package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"sort"
	"strconv"
	"sync"

	"github.com/rolecall/rolecall/internal/store"
)

// Seeking to an offset (SQLite). Okta imports by walking /Users?startIndex=N&count=100 to the
// end, and OFFSET N makes each page step over N index entries: a walk of 1,000,000 users read
// 50 billion entries. The seek cache remembers where earlier pages ended ("the M-th live row
// of the org has Seq S") and answers a page at offset N ≥ M with "Seq > S, skip N-M".
//
// What a mark says stays true while the org's live_counts.gen is unchanged: gen counts every
// change that moves a live row's position in Seq order (migration 0003's triggers bump it in
// the writing statement's transaction), and a new row is appended after every existing one.
// Marks are taken and used only in read transactions (View), which see a committed snapshot:
// a write transaction could record a position its own rollback then undoes. A snapshot older
// than the marks (same gen, fewer rows) is answered correctly too: a mark beyond its rows
// starts after a Seq it does not have, which yields the empty page its offset calls for.

// Bounds: marks per org and kind (a 1,000,000-row walk in pages of 100 makes 10,000), and
// orgs × kinds remembered.
const (
	maxSeekMarks = 20000
	maxSeekKeys  = 256
)

type seekKey struct{ org, kind string }

// seekMarks are the marks of one org and kind at one gen, sorted by offset.
type seekMarks struct {
	gen  int64
	offs []int
	seqs []int64
}

// seekCache is shared by a Store's read transactions.
type seekCache struct {
	mu   sync.Mutex
	keys map[seekKey]*seekMarks
}

// nearest returns the mark with the largest offset ≤ offset, if marks of this gen exist.
func (c *seekCache) nearest(k seekKey, gen int64, offset int) (int, int64, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	m := c.keys[k]
	if m == nil || m.gen != gen {
		return 0, 0, false
	}
	i := sort.SearchInts(m.offs, offset+1) - 1 // the last mark with offs ≤ offset
	if i < 0 {
		return 0, 0, false
	}
	return m.offs[i], m.seqs[i], true
}

// mark records that the offset-th live row (1-based) has Seq seq at gen.
func (c *seekCache) mark(k seekKey, gen int64, offset int, seq int64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	m := c.keys[k]
	switch {
	case m != nil && gen < m.gen:
		return // an older snapshot: its marks may already be wrong now
	case m == nil || gen > m.gen || len(m.offs) >= maxSeekMarks:
		if c.keys == nil || len(c.keys) >= maxSeekKeys {
			c.keys = map[seekKey]*seekMarks{}
		}
		m = &seekMarks{gen: gen}
		c.keys[k] = m
	}
	i := sort.SearchInts(m.offs, offset)
	if i < len(m.offs) && m.offs[i] == offset {
		m.seqs[i] = seq
		return
	}
	m.offs = append(m.offs, 0)
	copy(m.offs[i+1:], m.offs[i:])
	m.offs[i] = offset
	m.seqs = append(m.seqs, 0)
	copy(m.seqs[i+1:], m.seqs[i:])
	m.seqs[i] = seq
}

// seekPlan is how one list query pages: seekable lists are unfiltered, in Seq order, by
// offset, in a read transaction on SQLite.
type seekPlan struct {
	ok    bool
	key   seekKey
	gen   int64
	total int
}

// planSeek reads the org's live count and gen (one row) for a seekable query, and rewrites
// q to start after the nearest mark. The total it read is the list's totalResults.
func (t *tx) planSeek(ctx context.Context, e *entity, orgID string, q *store.Query) (seekPlan, int, error) {
	if t.d.name != dialectSQLite || !t.readOnly || q.Filter != nil || q.Sort != "" || q.Desc ||
		q.Page.After != 0 || q.Page.Limit <= 0 {
		return seekPlan{}, 0, nil
	}
	p := seekPlan{ok: true, key: seekKey{orgID, e.name}}
	err := t.one(ctx, "SELECT n, gen FROM live_counts WHERE org_id = $1 AND kind = $2", []any{orgID, e.name}, &p.total, &p.gen)
	if errors.Is(err, sql.ErrNoRows) {
		p.total, p.gen = 0, 0
	} else if err != nil {
		return seekPlan{}, 0, t.d.mapErr(err, "list "+e.name+"s")
	}
	extra := 0
	if q.Page.Offset > 0 {
		if at, seq, ok := t.s.seek.nearest(p.key, p.gen, q.Page.Offset); ok {
			extra = q.Page.Offset - at
			q.Page = store.Page{After: seq, Limit: q.Page.Limit}
		}
	}
	return p, extra, nil
}

// listPage answers one page of a list of e (ListUsers, ListGroups): the total (the seek
// plan's live count, or count(*) of the filter), then the rows, scanned by scan; it notes
// where the page ended for the next one.
func listPage[T any](t *tx, ctx context.Context, e *entity, orgID, cols string, q store.Query,
	scan func(*countedRows) (T, error), seqOf func(T) int64) ([]T, int, error) {
	if err := t.ready(); err != nil {
		return nil, 0, err
	}
	what := "list " + e.name + "s"
	offset := q.Page.Offset
	seek, extra, err := t.planSeek(ctx, e, orgID, &q)
	if err != nil {
		return nil, 0, err
	}
	sel, selArgs, count, countArgs, wanted, err := listSQL(t.d, e, orgID, cols, q)
	if err != nil {
		return nil, 0, err
	}
	total := -1
	switch {
	case q.SkipTotal:
	case seek.ok:
		total = seek.total
	default:
		if err := t.one(ctx, count, countArgs, &total); err != nil {
			return nil, 0, t.d.mapErr(err, what)
		}
	}
	items := []T{}
	if !wanted {
		return items, total, nil
	}
	rows, err := t.query(ctx, withOffset(sel, extra), selArgs...)
	if err != nil {
		return nil, 0, t.d.mapErr(err, what)
	}
	defer rows.Close()
	for rows.Next() {
		item, err := scan(rows)
		if err != nil {
			return nil, 0, t.d.mapErr(err, what)
		}
		items = append(items, item)
	}
	if err := rows.Err(); err != nil {
		return nil, 0, t.d.mapErr(err, what)
	}
	if n := len(items); n > 0 {
		seek.note(&t.s.seek, offset, n, seqOf(items[n-1]))
	}
	return items, total, nil
}

// withOffset adds the rows to skip after a seek to a list statement (which ends in LIMIT).
func withOffset(sel string, extra int) string {
	if extra <= 0 {
		return sel
	}
	return sel + " OFFSET " + strconv.Itoa(extra)
}

// note records where a page that started at offset ended.
func (p seekPlan) note(c *seekCache, offset, n int, lastSeq int64) {
	if p.ok && n > 0 {
		c.mark(p.key, p.gen, offset+n, lastSeq)
	}
}
