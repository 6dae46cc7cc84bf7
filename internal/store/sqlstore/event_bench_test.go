package sqlstore_test

import (
	"encoding/json"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/rolecall/rolecall/internal/store"
	"github.com/rolecall/rolecall/internal/store/sqlstore/sqltest"
)

// benchStores opens a fresh store per backend (PostgreSQL when sqltest.EnvPostgres is
// set) with one org.
func benchStores(b *testing.B, fn func(b *testing.B, s store.Store, orgID string)) {
	for _, backend := range sqltest.Backends() {
		b.Run(backend.Name, func(b *testing.B) {
			s := sqltest.Open(b, backend.DSN(b))
			var org store.Org
			if err := s.Update(bg, func(tx store.Tx) error {
				var err error
				org, err = tx.CreateOrg(bg, "bench")
				return err
			}); err != nil {
				b.Fatal(err)
			}
			fn(b, s, org.ID)
		})
	}
}

// memberEvents returns n membership.added events shaped like those a PATCH of n members
// emits.
func memberEvents(n int) []store.Event {
	evs := make([]store.Event, n)
	for i := range evs {
		evs[i] = store.Event{Type: "com.rolecall.membership.added", Subject: "groups/0190f4a2-7c1e-7d3a-9b1e-2f6c1d0e4a11",
			Actor: "okta-scim", RequestID: "req-0190f4a2",
			Data: json.RawMessage(fmt.Sprintf(`{"group":{"id":"0190f4a2-7c1e-7d3a-9b1e-2f6c1d0e4a11","name":"engineering"},`+
				`"member":{"type":"user","id":"0190f4a2-7c1e-7d3a-9b1e-%012d","name":"user%06d@example.com"}}`, i, i))}
	}
	return evs
}

// BenchmarkAppendEvents: one Update appending n events, as a PATCH of n members would
// (budget: the whole 10,000-member PATCH < 500 ms).
//
//	go test -run '^$' -bench 'AppendEvents' -benchtime 20x ./internal/store/sqlstore/
func BenchmarkAppendEvents(b *testing.B) {
	for _, n := range []int{1, 100, 10_000} {
		b.Run(fmt.Sprint(n), func(b *testing.B) {
			benchStores(b, func(b *testing.B, s store.Store, orgID string) {
				evs := memberEvents(n)
				for b.Loop() {
					for i := range evs {
						evs[i].ID = "" // each run appends new events
					}
					if err := s.Update(bg, func(tx store.Tx) error {
						_, _, err := tx.AppendEvents(bg, orgID, evs)
						return err
					}); err != nil {
						b.Fatal(err)
					}
				}
				b.ReportMetric(float64(b.Elapsed().Microseconds())/float64(b.N*n), "µs/event")
			})
		})
	}
}

// BenchmarkEventOverhead: what emitting one event adds to a small write (a SCIM POST /Users),
// with 1 and with 8 concurrent writers to one org, where PostgreSQL's appenders queue on
// the org's revision row.
//
//	go test -run '^$' -bench 'EventOverhead' -benchtime 2s ./internal/store/sqlstore/
func BenchmarkEventOverhead(b *testing.B) {
	for _, par := range []int{1, 8} {
		for _, withEvent := range []bool{false, true} {
			name := fmt.Sprintf("writers=%d/event=%v", par, withEvent)
			b.Run(name, func(b *testing.B) {
				benchStores(b, func(b *testing.B, s store.Store, orgID string) {
					var n atomic.Int64
					b.ResetTimer()
					var wg sync.WaitGroup
					for w := 0; w < par; w++ {
						wg.Add(1)
						go func() {
							defer wg.Done()
							for {
								i := n.Add(1)
								if i > int64(b.N) {
									return
								}
								err := s.Update(bg, func(tx store.Tx) error {
									u, err := tx.CreateUser(bg, store.User{OrgID: orgID, UserName: fmt.Sprintf("u%d", i), Active: true})
									if err != nil || !withEvent {
										return err
									}
									_, _, err = tx.AppendEvents(bg, orgID, []store.Event{{Type: "com.rolecall.user.created",
										Subject: "users/" + u.ID, Data: json.RawMessage(`{"user":{"id":"` + u.ID + `","userName":"u"}}`)}})
									return err
								})
								if err != nil {
									b.Error(err)
									return
								}
							}
						}()
					}
					wg.Wait()
					b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "writes/s")
				})
			})
		}
	}
}

// BenchmarkPatch10kMembersWithEvents: the store's part of a PATCH that adds 10,000 members
// to a group and emits one membership.added event per member, in one Update, next to the
// same PATCH without events (budget for the whole request over HTTP: < 500 ms). Each
// iteration adds the members and the next one's setup removes them, untimed.
//
//	go test -run '^$' -bench 'Patch10kMembers' -benchtime 10x ./internal/store/sqlstore/
func BenchmarkPatch10kMembersWithEvents(b *testing.B) {
	const n = 10_000
	for _, withEvents := range []bool{false, true} {
		b.Run(fmt.Sprintf("events=%v", withEvents), func(b *testing.B) {
			benchStores(b, func(b *testing.B, s store.Store, orgID string) {
				ids := make([]string, n)
				var g store.Group
				if err := s.Update(store.OwnTransaction(bg), func(tx store.Tx) error {
					for i := range ids {
						u, err := tx.CreateUser(bg, store.User{OrgID: orgID, UserName: fmt.Sprintf("user%06d@example.com", i), Active: true})
						if err != nil {
							return err
						}
						ids[i] = u.ID
					}
					var err error
					g, err = tx.CreateGroup(bg, store.Group{OrgID: orgID, DisplayName: "engineering"})
					return err
				}); err != nil {
					b.Fatal(err)
				}
				for b.Loop() {
					evs := make([]store.Event, 0, n)
					if err := s.Update(bg, func(tx store.Tx) error {
						if _, err := tx.AddMembers(bg, orgID, g.ID, ids); err != nil {
							return err
						}
						if !withEvents {
							return nil
						}
						for i, id := range ids {
							evs = append(evs, store.Event{Type: "com.rolecall.membership.added", Subject: "groups/" + g.ID + "/members/" + id,
								Data: json.RawMessage(`{"group":{"id":"` + g.ID + `","displayName":"engineering"},"member":{"type":"user","id":"` +
									id + `","name":"` + fmt.Sprintf("user%06d@example.com", i) + `"},"access":{"changes":[]}}`)})
						}
						_, _, err := tx.AppendEvents(bg, orgID, evs)
						return err
					}); err != nil {
						b.Fatal(err)
					}
					b.StopTimer()
					if err := s.Update(bg, func(tx store.Tx) error { _, err := tx.RemoveAllMembers(bg, orgID, g.ID); return err }); err != nil {
						b.Fatal(err)
					}
					b.StartTimer()
				}
			})
		})
	}
}
