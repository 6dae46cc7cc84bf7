package sqlstore

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/rolecall/rolecall/internal/store"
)

// benchFixture is an SQLite store with one org of 1,000,000 users, each with an email, and
// a group of the first 100,000 of them; built once per benchmark binary run.
var benchFixture struct {
	once sync.Once
	s    *Store
	org  store.Org
	big  store.Group
	err  error
}

const benchUsers = 1_000_000

func fixture(b *testing.B) (*Store, store.Org, store.Group) {
	f := &benchFixture
	f.once.Do(func() {
		ctx := context.Background()
		dir, err := mkdirTemp()
		if err != nil {
			f.err = err
			return
		}
		st, err := Open(ctx, "sqlite:"+filepath.Join(dir, "bench.db"))
		if err != nil {
			f.err = err
			return
		}
		f.s = st.(*Store)
		f.err = f.s.Update(ctx, func(tx store.Tx) error {
			if f.org, err = tx.CreateOrg(ctx, "bench"); err != nil {
				return err
			}
			f.big, err = tx.CreateGroup(ctx, store.Group{OrgID: f.org.ID, DisplayName: "big"})
			return err
		})
		if f.err != nil {
			return
		}
		bulkUsers(b, f.s, f.org.ID, benchUsers)
		_, f.err = f.s.w.ExecContext(ctx, `INSERT INTO memberships (org_id, group_id, member_type, member_id)
			SELECT org_id, $2, 'user', id FROM users WHERE org_id = $1 AND seq <= 100000`, f.org.ID, f.big.ID)
	})
	if f.err != nil {
		b.Fatal(f.err)
	}
	return f.s, f.org, f.big
}

// BenchmarkUserNameEq1M is GET /Users?filter=userName eq "…" minus HTTP: one View with
// ListUsers (count + page + emails) on an org of 1,000,000 users.
func BenchmarkUserNameEq1M(b *testing.B) {
	s, org, _ := fixture(b)
	ctx := context.Background()
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		c := store.Cond{Op: store.CondEq, Field: store.FieldUserName, Value: fmt.Sprintf("USER%06d", 1+i%benchUsers)}
		err := s.View(ctx, func(tx store.Tx) error {
			us, total, err := tx.ListUsers(ctx, org.ID, store.Query{Filter: &c, Page: store.Page{Limit: 100}})
			if err == nil && (total != 1 || len(us) != 1 || len(us[0].Emails) != 1) {
				err = fmt.Errorf("got %d users, total %d", len(us), total)
			}
			return err
		})
		if err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkPatchMember100k is PATCH add then remove of one member on a 100,000-member
// group minus HTTP: two Updates (each fsynced), each with TouchGroup as a handler would.
func BenchmarkPatchMember100k(b *testing.B) {
	s, org, big := fixture(b)
	ctx := context.Background()
	member := "id-999999"
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		for _, add := range []bool{true, false} {
			err := s.Update(ctx, func(tx store.Tx) error {
				var n int
				var err error
				if add {
					n, err = tx.AddMembers(ctx, org.ID, big.ID, []string{member})
				} else {
					n, err = tx.RemoveMembers(ctx, org.ID, big.ID, []string{member})
				}
				if err == nil && n != 1 {
					err = fmt.Errorf("changed %d members", n)
				}
				if err == nil {
					_, err = tx.TouchGroup(ctx, org.ID, big.ID)
				}
				return err
			})
			if err != nil {
				b.Fatal(err)
			}
		}
	}
}

// BenchmarkCreateUser is POST /Users minus HTTP: one Update per user.
func BenchmarkCreateUser(b *testing.B) {
	s, org, _ := fixture(b)
	ctx := context.Background()
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		err := s.Update(ctx, func(tx store.Tx) error {
			_, err := tx.CreateUser(ctx, store.User{OrgID: org.ID, UserName: fmt.Sprintf("bench-%d-%d", b.N, i), Active: true,
				Emails: []store.Email{{Value: fmt.Sprintf("bench-%d-%d@example.com", b.N, i), Primary: true}},
				Doc:    []byte(`{"name":{"givenName":"B","familyName":"N"}}`)})
			if err == nil {
				_, err = tx.AppendAudit(ctx, store.AuditEvent{OrgID: org.ID, Actor: "bench", Action: "scim.user.create"})
			}
			return err
		})
		if err != nil {
			b.Fatal(err)
		}
	}
}

func mkdirTemp() (string, error) { return os.MkdirTemp("", "rolecall-bench-") }

// BenchmarkEnforceBulk500k times the bulk paths of an enforce-groups apply and undo on an
// org with 100,000 users and 500,000 user bindings: stream them (AllBindings), delete them
// all and record them in a run (one Update, as apply does), then re-insert them (undo).
// Run with -benchtime 1x; each step is reported as a metric in seconds.
func BenchmarkEnforceBulk500k(b *testing.B) {
	ctx := context.Background()
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		st, err := Open(ctx, "sqlite:"+filepath.Join(b.TempDir(), "bulk.db"))
		if err != nil {
			b.Fatal(err)
		}
		s := st.(*Store)
		var org store.Org
		var projects []store.Resource
		err = s.Update(ctx, func(tx store.Tx) error {
			if org, err = tx.CreateOrg(ctx, "bulk"); err != nil {
				return err
			}
			c, err := tx.CreateResource(ctx, store.Resource{OrgID: org.ID, Kind: store.KindCloud, Name: "c"})
			if err != nil {
				return err
			}
			for p := 0; p < 5; p++ {
				r, err := tx.CreateResource(ctx, store.Resource{OrgID: org.ID, Kind: store.KindProject, Name: fmt.Sprint("p", p), ParentID: c.ID})
				if err != nil {
					return err
				}
				projects = append(projects, r)
			}
			return nil
		})
		if err != nil {
			b.Fatal(err)
		}
		bulkUsers(b, s, org.ID, 100_000)
		for p, r := range projects {
			if _, err := s.w.ExecContext(ctx, `INSERT INTO bindings (id, org_id, resource_id, principal_type, principal_id, role, created_at, created_by)
				SELECT 'b-' || $3 || '-' || seq, org_id, $2, 'user', id, 'readonly', 0, 'bench' FROM users WHERE org_id = $1`,
				org.ID, r.ID, p); err != nil {
				b.Fatal(err)
			}
		}
		b.StartTimer()

		t0 := time.Now()
		var all []store.Binding
		err = s.Update(ctx, func(tx store.Tx) error {
			if err := tx.LockOrg(ctx, org.ID); err != nil {
				return err
			}
			if err := tx.AllBindings(ctx, org.ID, func(b store.Binding) error { all = append(all, b); return nil }); err != nil {
				return err
			}
			t1 := time.Now()
			b.ReportMetric(t1.Sub(t0).Seconds(), "s/AllBindings")
			ids := make([]string, len(all))
			for i, x := range all {
				ids[i] = x.ID
			}
			n, err := tx.DeleteBindings(ctx, org.ID, ids)
			if err != nil || n != len(ids) {
				return fmt.Errorf("DeleteBindings = %d, %v", n, err)
			}
			t2 := time.Now()
			b.ReportMetric(t2.Sub(t1).Seconds(), "s/DeleteBindings")
			_, err = tx.CreateRun(ctx, store.Run{OrgID: org.ID, Actor: "bench", Fingerprint: "f"}, all, nil)
			b.ReportMetric(time.Since(t2).Seconds(), "s/CreateRun")
			return err
		})
		if err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(time.Since(t0).Seconds(), "s/apply")
		if len(all) != 500_000 {
			b.Fatalf("streamed %d bindings", len(all))
		}
		t3 := time.Now()
		if err := s.Update(ctx, func(tx store.Tx) error { return tx.InsertBindings(ctx, org.ID, all) }); err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(time.Since(t3).Seconds(), "s/InsertBindings")
		s.Close()
	}
}
