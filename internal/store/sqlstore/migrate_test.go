package sqlstore

import (
	"context"
	"errors"
	"path/filepath"
	"reflect"
	"sync"
	"testing"
	"time"

	"github.com/rolecall/rolecall/internal/store"
)

type appliedMigration struct {
	version   int
	appliedAt time.Time
}

func appliedMigrations(t *testing.T, s *Store) []appliedMigration {
	t.Helper()
	rows, err := s.r.QueryContext(context.Background(), "SELECT version, applied_at FROM schema_migrations ORDER BY version")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []appliedMigration
	for rows.Next() {
		var m appliedMigration
		if err := rows.Scan(&m.version, timeCol{&m.appliedAt}); err != nil {
			t.Fatal(err)
		}
		out = append(out, m)
	}
	return out
}

// TestMigrations opens the same database several times, also concurrently (two servers
// starting at once): each migration is applied and recorded exactly once, and data survives.
func TestMigrations(t *testing.T) {
	t.Run("sqlite", func(t *testing.T) {
		testMigrations(t, "sqlite:"+filepath.Join(t.TempDir(), "m.db"))
	})
	t.Run("postgres", func(t *testing.T) {
		testMigrations(t, pgSchemaDSN(t))
	})
}

func testMigrations(t *testing.T, dsn string) {
	ctx := context.Background()
	want, err := loadMigrations(map[bool]string{true: dialectSQLite, false: dialectPostgres}[dsn[:7] == "sqlite:"])
	if err != nil || len(want) == 0 {
		t.Fatalf("loadMigrations: %v (%d)", err, len(want))
	}
	// Concurrent first opens on an empty database.
	var wg sync.WaitGroup
	errs := make(chan error, 4)
	for i := 0; i < 4; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s, err := Open(ctx, dsn)
			if err != nil {
				errs <- err
				return
			}
			errs <- s.Close()
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatalf("concurrent Open: %v", err)
		}
	}
	st, err := Open(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	s1 := st.(*Store)
	first := appliedMigrations(t, s1)
	if len(first) != len(want) {
		t.Fatalf("schema_migrations has %d rows, want %d", len(first), len(want))
	}
	for i, m := range first {
		if m.version != want[i].version || m.appliedAt.IsZero() {
			t.Errorf("schema_migrations[%d] = %+v", i, m)
		}
	}
	var org store.Org
	if err := s1.Update(ctx, func(tx store.Tx) error { org, err = tx.CreateOrg(ctx, "kept"); return err }); err != nil {
		t.Fatal(err)
	}
	s1.Close()

	st, err = Open(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	s2 := st.(*Store)
	defer s2.Close()
	if again := appliedMigrations(t, s2); !reflect.DeepEqual(again, first) {
		t.Errorf("reopening changed schema_migrations: %+v, was %+v", again, first)
	}
	if err := s2.View(ctx, func(tx store.Tx) error { _, err := tx.Org(ctx, org.ID); return err }); err != nil {
		t.Errorf("org lost across reopen: %v", err)
	}
}

// TestLoadMigrations: versions increase, and both dialects have the same ones. Gaps are
// allowed: branches developed at the same time reserve ranges of numbers (0005…, 0010…) so
// that they never collide, and migrate applies whatever is not yet recorded, in order.
func TestLoadMigrations(t *testing.T) {
	versions := map[string][]int{}
	for _, d := range []string{dialectSQLite, dialectPostgres} {
		ms, err := loadMigrations(d)
		if err != nil {
			t.Fatalf("%s: %v", d, err)
		}
		for i, m := range ms {
			if i > 0 && m.version <= ms[i-1].version {
				t.Errorf("%s: migration %s has version %d, after %d", d, m.name, m.version, ms[i-1].version)
			}
			versions[d] = append(versions[d], m.version)
		}
		if len(ms) == 0 || ms[0].version != 1 {
			t.Errorf("%s: migrations do not start at 1", d)
		}
	}
	if sq, pg := versions[dialectSQLite], versions[dialectPostgres]; !reflect.DeepEqual(sq, pg) {
		t.Errorf("SQLite has migrations %v, PostgreSQL %v: keep the dialects in step", sq, pg)
	}
}

// TestStreamingCallbackCannotUseTx: a streaming method's callback runs while the result set
// is open; using the Tx there fails the same way on both backends instead of working on
// SQLite only.
func TestStreamingCallbackCannotUseTx(t *testing.T) {
	ctx := context.Background()
	s := openForPlans(t, "sqlite:"+filepath.Join(t.TempDir(), "s.db"))
	var org store.Org
	err := s.Update(ctx, func(tx store.Tx) error {
		var err error
		if org, err = tx.CreateOrg(ctx, "o"); err != nil {
			return err
		}
		_, err = tx.CreateUser(ctx, store.User{OrgID: org.ID, UserName: "u"})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	err = s.View(ctx, func(tx store.Tx) error {
		return tx.ScanUsers(ctx, org.ID, func(u store.User) error {
			_, err := tx.User(ctx, org.ID, u.ID)
			return err
		})
	})
	if !errors.Is(err, errStreaming) {
		t.Errorf("Tx used in a ScanUsers callback: %v, want errStreaming", err)
	}
	// After the stream, the Tx works again.
	err = s.View(ctx, func(tx store.Tx) error {
		var id string
		if err := tx.ScanUsers(ctx, org.ID, func(u store.User) error { id = u.ID; return nil }); err != nil {
			return err
		}
		_, err := tx.User(ctx, org.ID, id)
		return err
	})
	if err != nil {
		t.Errorf("Tx after a stream: %v", err)
	}
}
