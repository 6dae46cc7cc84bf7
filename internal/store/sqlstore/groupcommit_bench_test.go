package sqlstore

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"

	"github.com/rolecall/rolecall/internal/store"
)

// BenchmarkGroupCommit is a user create with its audit event (POST /Users minus HTTP) from
// 1, 8 and 32 concurrent callers on a fresh SQLite file, synchronous=FULL: with one caller
// every Update is its own commit; with more, Updates that queue share one. It reports
// Updates per commit and creates per second.
//
//	go test ./internal/store/sqlstore -run '^$' -bench GroupCommit -benchtime 5000x
func BenchmarkGroupCommit(b *testing.B) {
	for _, writers := range []int{1, 8, 32} {
		b.Run(fmt.Sprintf("writers=%d", writers), func(b *testing.B) {
			ctx := context.Background()
			s, orgID := openTestSQLite(b)
			u0, c0 := s.WriteStats()
			var seq atomic.Int64
			b.ReportAllocs()
			b.SetParallelism(max(1, writers/2)) // RunParallel runs GOMAXPROCS × this goroutines
			if writers == 1 {
				b.SetParallelism(1)
			}
			b.ResetTimer()
			run := func() {
				i := seq.Add(1)
				err := s.Update(ctx, func(tx store.Tx) error {
					_, err := tx.CreateUser(ctx, store.User{OrgID: orgID, UserName: fmt.Sprintf("u%d", i), Active: true,
						Emails: []store.Email{{Value: fmt.Sprintf("u%d@example.com", i), Primary: true}},
						Doc:    []byte(`{"name":{"givenName":"B","familyName":"N"}}`)})
					if err == nil {
						_, err = tx.AppendAudit(ctx, store.AuditEvent{OrgID: orgID, Actor: "bench", Action: "scim.user.create"})
					}
					return err
				})
				if err != nil {
					b.Error(err)
				}
			}
			if writers == 1 {
				for b.Loop() {
					run()
				}
			} else {
				b.RunParallel(func(pb *testing.PB) {
					for pb.Next() {
						run()
					}
				})
			}
			b.StopTimer()
			u1, c1 := s.WriteStats()
			if c1 > c0 {
				b.ReportMetric(float64(u1-u0)/float64(c1-c0), "updates/commit")
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "creates/s")
		})
	}
}

// BenchmarkUpdateUser is the store side of PATCH active=false / a title change: UpdateUser
// of one of 10,000 users with its emails unchanged and a new document, one caller, each
// Update its own durable commit.
//
//	go test ./internal/store/sqlstore -run '^$' -bench UpdateUser -benchtime 5000x
func BenchmarkUpdateUser(b *testing.B) {
	ctx := context.Background()
	st, orgID := openTestSQLite(b)
	users := make([]store.User, 10000)
	err := st.Update(ctx, func(tx store.Tx) (err error) {
		for i := range users {
			users[i], err = tx.CreateUser(ctx, store.User{OrgID: orgID, UserName: fmt.Sprintf("u%d", i), Active: true,
				Emails: []store.Email{{Value: fmt.Sprintf("u%d@example.com", i), Type: "work", Primary: true}},
				Doc:    []byte(`{"title":"t0"}`)})
			if err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		u := users[i%len(users)]
		i++
		u.Doc = fmt.Appendf(nil, `{"title":"t%d"}`, i)
		err := st.Update(ctx, func(tx store.Tx) error {
			_, err := tx.UpdateUser(ctx, u, 0)
			return err
		})
		if err != nil {
			b.Fatal(err)
		}
	}
}
