package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"

	textfold "github.com/rolecall/rolecall/internal/scim/fold"
	"github.com/rolecall/rolecall/internal/store"
)

// tx implements store.Tx on one database/sql transaction.
type tx struct {
	s        *Store
	d        *dialect
	tx       *sql.Tx
	readOnly bool
	// streaming is set while a streaming method (ScanUsers, AllBindings, …) runs its
	// callback. The result set is still open then, and PostgreSQL cannot run another
	// statement on the connection until it is drained, so using the Tx from the callback is
	// refused on both backends alike rather than working on one only.
	streaming bool
	// orgs caches the orgs seen to exist in this transaction: orgs are never deleted, so
	// bulk loads (many CreateUser in one Update) check each org once.
	orgs map[string]bool
	// cache is the pool's statement cache (nil on PostgreSQL); stmts are prepared statements
	// bound to this transaction, and seen the statements run once unprepared in it.
	cache *stmtCache
	stmts map[string]*sql.Stmt
	seen  map[string]bool
	// detached is set when the transaction is shared by grouped Updates (groupcommit.go):
	// statements then run without the caller's cancellation, because SQLite rolls back the
	// whole transaction when a write inside it is interrupted.
	detached bool
	// shared records the orgs whose lock this transaction holds in shared mode (writableIn).
	shared map[string]bool
	// access records the orgs whose access lock this transaction holds (LockAccess).
	access map[string]bool
	// live caches member ids of org liveOrg seen live in this transaction (lookupMembers).
	live    map[string]store.MemberType
	liveOrg string
	// appended holds, per org, the last Seq AppendEvents assigned in this transaction (or
	// this Update's savepoint): published to waiters once it has committed (revision.go).
	appended map[string]int64
	// small caches smallOrg's answers (orgshare.go).
	small map[string]bool
}

// fork returns a Tx for one Update of a group-commit batch: the same transaction and
// statements, its own per-Update state (an org seen in a rolled-back savepoint may not
// exist).
func (t *tx) fork() *tx {
	c := *t
	c.orgs = nil
	c.streaming = false
	c.live, c.liveOrg = nil, ""
	c.appended = nil
	return &c
}

// c returns the context statements run under (see detached).
func (t *tx) c(ctx context.Context) context.Context {
	if t.detached {
		return context.WithoutCancel(ctx)
	}
	return ctx
}

var _ store.Tx = (*tx)(nil)

// errStreaming is returned when a Tx method is called from a streaming callback.
var errStreaming = errors.New("sqlstore: Tx used inside a streaming callback (collect what you need first, then call the Tx)")

// ready checks that the Tx may run a statement now.
func (t *tx) ready() error {
	if t.streaming {
		return errStreaming
	}
	return nil
}

// writable checks that the Tx may write: not inside View, not inside a streaming callback.
func (t *tx) writable(op string) error {
	if t.readOnly {
		return fmt.Errorf("sqlstore: %s: write inside a read-only transaction (View); use Update", op)
	}
	if len(t.appended) > 0 {
		return fmt.Errorf("sqlstore: %s: %w", op, errWriteAfterEvents)
	}
	return t.ready()
}

// writableIn is writable for a write that changes what an enforce-groups plan of the org
// is computed from (users, groups, memberships, resources, bindings, service accounts,
// settings). On PostgreSQL it also takes the org's lock in shared mode, once per
// transaction: apply and undo hold it exclusively (LockOrg) from the moment they read the
// org until they commit, so no such write can commit in between and land after a plan
// that did not see it. Writers still run concurrently with each other. SQLite's single
// writer already serialises everything.
func (t *tx) writableIn(ctx context.Context, op, orgID string) error {
	if err := t.writable(op); err != nil {
		return err
	}
	if t.d.name != dialectPostgres || t.shared[orgID] {
		return nil
	}
	if _, err := t.tx.ExecContext(ctx, "SELECT pg_advisory_xact_lock_shared($1, hashtext($2))", lockOrg, orgID); err != nil {
		return fmt.Errorf("sqlstore: %s: lock org %q (shared): %w", op, orgID, t.d.mapErr(err, "org lock"))
	}
	if t.shared == nil {
		t.shared = map[string]bool{}
	}
	t.shared[orgID] = true
	return nil
}

// lockedRead returns the clause that locks the row a single-row read (User, Group, …)
// returns, alias naming its table: inside Update the caller reads a row to write it back at
// the version it read (a SCIM PATCH without If-Match), and on PostgreSQL's READ COMMITTED
// two such transactions would otherwise read the same version and all but one fail the
// version check. With the row locked they queue: each reads the version the previous one
// committed. Conditional writes (If-Match) keep failing as they should, since the version
// they name is compared with the one read after the wait.
//
// The org's shared lock (writableIn) is taken first, as every write takes it before its row
// locks: enforce-groups apply holds it exclusively and then writes user rows, so taking a
// row lock before it would deadlock against apply. Inside View, and on SQLite (one writer),
// nothing is locked.
func (t *tx) lockedRead(ctx context.Context, op, orgID, alias string) (string, error) {
	if t.readOnly || t.d.forUpdate == "" {
		return "", nil
	}
	if err := t.writableIn(ctx, op, orgID); err != nil {
		return "", err
	}
	return t.d.forUpdate + " OF " + alias, nil
}

// stmt returns q prepared and bound to this transaction, or nil to run it unprepared. A
// statement in the pool's cache is bound to the transaction; one that is not is prepared
// in the transaction on its second use, so that bulk loops (many CreateUser or batches in
// one Update) compile each statement once.
func (t *tx) stmt(ctx context.Context, q string) *sql.Stmt {
	ctx = t.c(ctx)
	if t.cache == nil {
		return nil
	}
	if st, ok := t.stmts[q]; ok {
		return st
	}
	var st *sql.Stmt
	if parent := t.cache.get(q); parent != nil {
		st = t.tx.StmtContext(ctx, parent)
	} else if t.seen[q] {
		var err error
		if st, err = t.tx.PrepareContext(ctx, q); err != nil {
			return nil
		}
	} else {
		if t.seen == nil {
			t.seen = map[string]bool{}
		}
		t.seen[q] = true
		return nil
	}
	if t.stmts == nil {
		t.stmts = map[string]*sql.Stmt{}
	}
	t.stmts[q] = st
	return st
}

// errBadText is returned for a text parameter that one backend cannot store: PostgreSQL's
// text refuses NUL and invalid UTF-8, which SQLite would store; both refuse it alike instead.
var errBadText = fmt.Errorf("%w: text holds a NUL character or is not valid UTF-8", store.ErrInvalid)

// checkText returns errBadText when a text parameter (a string, or the values of a list
// parameter) holds a NUL or invalid UTF-8. Every statement goes through it, so no caller
// can reach a backend with text only one of them accepts.
func checkText(args []any) error {
	for _, a := range args {
		switch v := a.(type) {
		case string:
			if !plainText(v) {
				return errBadText
			}
		case []string:
			for _, s := range v {
				if !plainText(s) {
					return errBadText
				}
			}
		}
	}
	return nil
}

func plainText(s string) bool { return strings.IndexByte(s, 0) < 0 && utf8.ValidString(s) }

// exec runs a statement and returns the number of rows it affected.
func (t *tx) exec(ctx context.Context, q string, args ...any) (int64, error) {
	if err := checkText(args); err != nil {
		return 0, err
	}
	ctx = t.c(ctx)
	var res sql.Result
	var err error
	if st := t.stmt(ctx, q); st != nil {
		res, err = st.ExecContext(ctx, args...)
	} else {
		res, err = t.tx.ExecContext(ctx, q, args...)
	}
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}

// countedRows counts the rows a query returns (Store.RowsRead).
type countedRows struct {
	*sql.Rows
	s *Store
	n int64
}

func (r *countedRows) Next() bool {
	if r.Rows.Next() {
		r.n++
		return true
	}
	return false
}

func (r *countedRows) Close() error {
	if r.n > 0 {
		r.s.rowsRead.Add(r.n)
		r.n = 0
	}
	return r.Rows.Close()
}

func (t *tx) query(ctx context.Context, q string, args ...any) (*countedRows, error) {
	if err := checkText(args); err != nil {
		return nil, err
	}
	ctx = t.c(ctx)
	var rows *sql.Rows
	var err error
	if st := t.stmt(ctx, q); st != nil {
		rows, err = st.QueryContext(ctx, args...)
	} else {
		rows, err = t.tx.QueryContext(ctx, q, args...)
	}
	if err != nil {
		return nil, err
	}
	return &countedRows{Rows: rows, s: t.s}, nil
}

// one runs a query that returns at most one row and scans it; sql.ErrNoRows when none.
func (t *tx) one(ctx context.Context, q string, args []any, dest ...any) error {
	if err := checkText(args); err != nil {
		return err
	}
	ctx = t.c(ctx)
	var row *sql.Row
	if st := t.stmt(ctx, q); st != nil {
		row = st.QueryRowContext(ctx, args...)
	} else {
		row = t.tx.QueryRowContext(ctx, q, args...)
	}
	err := row.Scan(dest...)
	if err == nil {
		t.s.rowsRead.Add(1)
	}
	return err
}

// exists reports whether the query returns a row.
func (t *tx) exists(ctx context.Context, q string, args ...any) (bool, error) {
	var one int
	err := t.one(ctx, q, args, &one)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	return err == nil, err
}

// stream runs q and calls scan for each row with the Tx marked busy, so that the callback
// cannot interleave statements with the open result set. Errors from scan (and so from the
// caller's callback) are returned as they are; database errors are wrapped naming what.
func (t *tx) stream(ctx context.Context, what, q string, args []any, scan func(*countedRows) error) error {
	if err := t.ready(); err != nil {
		return err
	}
	rows, err := t.query(ctx, q, args...)
	if err != nil {
		return t.d.mapErr(err, what)
	}
	defer rows.Close()
	t.streaming = true
	defer func() { t.streaming = false }()
	for rows.Next() {
		if err := scan(rows); err != nil {
			return err
		}
	}
	return t.d.mapErr(rows.Err(), what)
}

// prefixCols qualifies a comma-separated column list with a table alias.
func prefixCols(alias, cols string) string {
	parts := strings.Split(cols, ", ")
	for i, p := range parts {
		parts[i] = alias + "." + p
	}
	return strings.Join(parts, ", ")
}

// LockOrg takes the org's transaction-scoped lock. On PostgreSQL it is an advisory lock keyed
// by the org id (class 1; other classes are used internally); SQLite's single writer already
// serialises every Update, so there it only checks that the org exists.
func (t *tx) LockOrg(ctx context.Context, orgID string) error {
	if err := t.writable("LockOrg"); err != nil {
		return err
	}
	if err := t.orgExists(ctx, orgID); err != nil {
		return err
	}
	return t.advisoryLock(ctx, lockOrg, orgID)
}

// LockAccess takes the org's access lock (PostgreSQL: class lockAccess, exclusive) after
// its shared org lock, so that every transaction takes the two in the same order (apply
// and undo hold the org lock exclusively and may then take this one).
func (t *tx) LockAccess(ctx context.Context, orgID string) error {
	if err := t.writableIn(ctx, "LockAccess", orgID); err != nil {
		return err
	}
	if t.d.name != dialectPostgres || t.access[orgID] {
		return nil
	}
	if err := t.advisoryLock(ctx, lockAccess, orgID); err != nil {
		return err
	}
	if t.access == nil {
		t.access = map[string]bool{}
	}
	t.access[orgID] = true
	return nil
}

// Advisory lock classes (PostgreSQL): the first key of pg_advisory_xact_lock(int, int).
const (
	lockOrg    = 1 // LockOrg (exclusive): enforce-groups apply and undo; writableIn (shared): writes to plan inputs
	lockNested = 2 // adding group members: serialises cycle checks within an org
	lockAccess = 3 // LockAccess (exclusive): writes whose events carry access changes
)

func (t *tx) advisoryLock(ctx context.Context, class int, orgID string) error {
	if t.d.name != dialectPostgres {
		return nil
	}
	_, err := t.tx.ExecContext(ctx, "SELECT pg_advisory_xact_lock($1, hashtext($2))", class, orgID)
	// Mapped like any statement's error: a deadlock detected while waiting is
	// ErrVersionMismatch, which the writes that retry on a lost race then retry.
	return t.d.mapErr(err, fmt.Sprintf("lock org %q", orgID))
}

// orgExists returns ErrNotFound naming the org unless it exists.
func (t *tx) orgExists(ctx context.Context, orgID string) error {
	if t.orgs[orgID] {
		return nil
	}
	ok, err := t.exists(ctx, "SELECT 1 FROM orgs WHERE id = $1", orgID)
	if err != nil {
		return fmt.Errorf("sqlstore: org %q: %w", orgID, err)
	}
	if !ok {
		return fmt.Errorf("%w: org %q", store.ErrNotFound, orgID)
	}
	if t.orgs == nil {
		t.orgs = map[string]bool{}
	}
	t.orgs[orgID] = true
	return nil
}

// newID returns a new object id: a UUIDv7, whose time-ordered prefix keeps index inserts
// local instead of scattered over the whole B-tree.
func newID() string {
	id, err := uuid.NewV7()
	if err != nil {
		return uuid.NewString()
	}
	return id.String()
}

// fold is the case folding of case-insensitive attributes (userName, displayName, emails,
// names): the *_lower columns hold it, and filter values are folded by it before they are
// compared with them. It is done in Go, not SQL, because SQLite's lower() folds ASCII only,
// the two backends must agree, and the in-memory filter evaluation uses the same function
// (package fold), so a filter answers the same wherever it is evaluated.
func fold(s string) string { return textfold.Key(s) }

// now returns the current time as stored.
func now() time.Time { return store.Now() }

// norm returns t as stored (UTC, microseconds), or now when t is zero.
func norm(t time.Time) time.Time {
	if t.IsZero() {
		return now()
	}
	return t.UTC().Truncate(time.Microsecond)
}

// timeCol scans a time column of either encoding (SQLite INTEGER microseconds, PostgreSQL
// timestamptz) into a UTC time; NULL scans as the zero time.
type timeCol struct{ p *time.Time }

func (c timeCol) Scan(src any) error {
	switch v := src.(type) {
	case nil:
		*c.p = time.Time{}
	case int64:
		*c.p = time.UnixMicro(v).UTC()
	case time.Time:
		*c.p = v.UTC()
	default:
		return fmt.Errorf("sqlstore: cannot scan %T as a time", src)
	}
	return nil
}

// timePtrCol scans a nullable time column into a *time.Time (nil for NULL).
type timePtrCol struct{ p **time.Time }

func (c timePtrCol) Scan(src any) error {
	if src == nil {
		*c.p = nil
		return nil
	}
	var t time.Time
	if err := (timeCol{&t}).Scan(src); err != nil {
		return err
	}
	*c.p = &t
	return nil
}

// jsonArg encodes a JSON document parameter: NULL for nil, else its text.
func jsonArg(b []byte) any {
	if b == nil {
		return nil
	}
	return string(b)
}

// ph returns "$n".
func ph(n int) string { return "$" + strconv.Itoa(n) }

// valuesList returns "($1,$2,…),(…)" for rows rows of cols parameters, the only
// parameters of the statement. SQLite gets anonymous "?" instead: it resolves each named
// parameter by a linear search of those seen so far, which makes compiling a 4,500-parameter
// batch quadratic.
func (d *dialect) valuesList(rows, cols int) string {
	var b strings.Builder
	b.Grow(rows * cols * 6)
	n := 1
	for r := 0; r < rows; r++ {
		if r > 0 {
			b.WriteByte(',')
		}
		b.WriteByte('(')
		for c := 0; c < cols; c++ {
			if c > 0 {
				b.WriteByte(',')
			}
			if d.name == dialectSQLite {
				b.WriteByte('?')
			} else {
				b.WriteByte('$')
				b.WriteString(strconv.Itoa(n))
			}
			n++
		}
		b.WriteByte(')')
	}
	return b.String()
}

// Batch sizes: rows per multi-row INSERT (well under both engines' parameter limits) and
// values per list parameter.
const (
	insertBatch = 500
	listBatch   = 5000
)

// chunks calls fn with consecutive slices of s of at most n elements.
func chunks[T any](s []T, n int, fn func([]T) error) error {
	for len(s) > 0 {
		k := min(n, len(s))
		if err := fn(s[:k]); err != nil {
			return err
		}
		s = s[k:]
	}
	return nil
}

// dedupe returns ids without duplicates and empty strings, in first-seen order.
func dedupe(ids []string) []string {
	seen := make(map[string]struct{}, len(ids))
	out := make([]string, 0, len(ids))
	for _, id := range ids {
		if id == "" {
			continue
		}
		if _, ok := seen[id]; ok {
			continue
		}
		seen[id] = struct{}{}
		out = append(out, id)
	}
	return out
}

// page returns the LIMIT/OFFSET clause of p, and whether rows are wanted at all (Limit
// 0 means count only). A negative Limit means no limit.
func (d *dialect) page(p store.Page) (string, bool) {
	if p.Limit == 0 {
		return "", false
	}
	var b strings.Builder
	if p.Limit > 0 {
		b.WriteString(" LIMIT ")
		b.WriteString(strconv.Itoa(p.Limit))
	} else if p.Offset > 0 && p.After == 0 {
		// SQLite needs a LIMIT before OFFSET: -1 is "no limit" there, ALL in PostgreSQL.
		if d.name == dialectSQLite {
			b.WriteString(" LIMIT -1")
		} else {
			b.WriteString(" LIMIT ALL")
		}
	}
	if p.Offset > 0 && p.After == 0 {
		b.WriteString(" OFFSET ")
		b.WriteString(strconv.Itoa(p.Offset))
	}
	return b.String(), true
}

// jsonCol scans a nullable JSON text column into a json.RawMessage (nil for NULL).
type jsonCol struct{ p *json.RawMessage }

func (c jsonCol) Scan(src any) error {
	switch v := src.(type) {
	case nil:
		*c.p = nil
	case string:
		*c.p = json.RawMessage(v)
	case []byte:
		*c.p = append(json.RawMessage(nil), v...)
	default:
		return fmt.Errorf("sqlstore: cannot scan %T as JSON", src)
	}
	return nil
}
