package sqlstore

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/rolecall/rolecall/internal/store"
)

// TestMapErrRetryable: PostgreSQL's deadlock and serialization failures become
// ErrVersionMismatch, so the SCIM layer's retry loop runs the request again instead of
// answering 500; uniqueness stays ErrConflict; other errors keep their cause.
func TestMapErrRetryable(t *testing.T) {
	d := postgresDialect
	for _, tc := range []struct {
		err  error
		want error
	}{
		{&pgconn.PgError{Code: "40P01"}, store.ErrVersionMismatch},
		{fmt.Errorf("exec: %w", &pgconn.PgError{Code: "40001"}), store.ErrVersionMismatch},
		{&pgconn.PgError{Code: "23505"}, store.ErrConflict},
	} {
		if got := d.mapErr(tc.err, "members of group \"g\""); !errors.Is(got, tc.want) {
			t.Errorf("mapErr(%v) = %v, want %v", tc.err, got, tc.want)
		}
	}
	other := &pgconn.PgError{Code: "42P01"}
	if got := d.mapErr(other, "x"); errors.Is(got, store.ErrVersionMismatch) || !errors.As(got, new(*pgconn.PgError)) {
		t.Errorf("mapErr(undefined table) = %v", got)
	}
}

// TestSQLiteWriterPragmas: the writer connection commits durably (synchronous=FULL in WAL
// mode) and checkpoints at sqliteCheckpointPages; a setting lost in the DSN would change
// either the promise or the measured throughput without any other test noticing.
func TestSQLiteWriterPragmas(t *testing.T) {
	st, _ := openTestSQLite(t)
	w := st.w
	for _, c := range []struct {
		pragma string
		want   string
	}{
		{"journal_mode", "wal"},
		{"synchronous", "2"}, // FULL
		{"wal_autocheckpoint", fmt.Sprint(sqliteCheckpointPages)},
		{"journal_size_limit", fmt.Sprint(sqliteWALLimit)},
	} {
		var got string
		if err := w.QueryRowContext(t.Context(), "PRAGMA "+c.pragma).Scan(&got); err != nil {
			t.Fatal(err)
		}
		if got != c.want {
			t.Errorf("PRAGMA %s = %s, want %s", c.pragma, got, c.want)
		}
	}
}

// TestRemovedProbeUsesIndex: ReinstateUsers' probe must be answered by the users_removed
// partial index; SQLite uses a partial index only when the query repeats its WHERE clause,
// so a probe written differently would silently look at every user of the org instead.
func TestRemovedProbeUsesIndex(t *testing.T) {
	st, _ := openTestSQLite(t)
	rows, err := st.w.QueryContext(t.Context(),
		"EXPLAIN QUERY PLAN SELECT 1 FROM users WHERE org_id = ? AND "+sqliteDialect.removedLive()+" LIMIT 1", "o")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var plan []string
	for rows.Next() {
		var id, parent, notused int
		var detail string
		if err := rows.Scan(&id, &parent, &notused, &detail); err != nil {
			t.Fatal(err)
		}
		plan = append(plan, detail)
	}
	if !strings.Contains(strings.Join(plan, "; "), "users_removed") {
		t.Errorf("the removed-users probe does not use users_removed: %q", plan)
	}
}
