package enforcegroups_test

import (
	"context"
	"encoding/json"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/rolecall/rolecall/internal/store"
)

// timings adds up the wall time spent in each store method, so that the benchmark can say
// which bulk method costs what.
type timings struct {
	mu sync.Mutex
	m  map[string]time.Duration
}

func (t *timings) add(name string, since time.Time) {
	t.mu.Lock()
	t.m[name] += time.Since(since)
	t.mu.Unlock()
}

// timedStore wraps a store so that every transaction's Tx is a timedTx.
type timedStore struct {
	store.Store
	t *timings
}

func (s timedStore) Update(ctx context.Context, fn func(store.Tx) error) error {
	st := time.Now()
	defer s.t.add("Update(total)", st)
	return s.Store.Update(ctx, func(tx store.Tx) error { return fn(timedTx{tx, s.t}) })
}
func (s timedStore) View(ctx context.Context, fn func(store.Tx) error) error {
	st := time.Now()
	defer s.t.add("View(total)", st)
	return s.Store.View(ctx, func(tx store.Tx) error { return fn(timedTx{tx, s.t}) })
}

// timedTx times the Tx methods enforce-groups uses in bulk.
type timedTx struct {
	store.Tx
	t *timings
}

func (x timedTx) ScanUsers(ctx context.Context, o string, fn func(store.User) error) error {
	defer x.t.add("ScanUsers", time.Now())
	return x.Tx.ScanUsers(ctx, o, fn)
}
func (x timedTx) ScanGroups(ctx context.Context, o string, fn func(store.Group) error) error {
	defer x.t.add("ScanGroups", time.Now())
	return x.Tx.ScanGroups(ctx, o, fn)
}
func (x timedTx) AllMemberships(ctx context.Context, o string, fn func(store.Membership) error) error {
	defer x.t.add("AllMemberships", time.Now())
	return x.Tx.AllMemberships(ctx, o, fn)
}
func (x timedTx) AllBindings(ctx context.Context, o string, fn func(store.Binding) error) error {
	defer x.t.add("AllBindings", time.Now())
	return x.Tx.AllBindings(ctx, o, fn)
}
func (x timedTx) ListBindings(ctx context.Context, o string, f store.BindingFilter) ([]store.Binding, error) {
	defer x.t.add("ListBindings", time.Now())
	return x.Tx.ListBindings(ctx, o, f)
}
func (x timedTx) DeleteBindings(ctx context.Context, o string, ids []string) (int, error) {
	defer x.t.add("DeleteBindings", time.Now())
	return x.Tx.DeleteBindings(ctx, o, ids)
}
func (x timedTx) InsertBindings(ctx context.Context, o string, bs []store.Binding) error {
	defer x.t.add("InsertBindings", time.Now())
	return x.Tx.InsertBindings(ctx, o, bs)
}
func (x timedTx) SetUserRemoved(ctx context.Context, o, id string, r, a bool) (store.User, error) {
	defer x.t.add("SetUserRemoved", time.Now())
	return x.Tx.SetUserRemoved(ctx, o, id, r, a)
}
func (x timedTx) CreateRun(ctx context.Context, r store.Run, bs []store.Binding, us []store.RunUser) (store.Run, error) {
	defer x.t.add("CreateRun", time.Now())
	return x.Tx.CreateRun(ctx, r, bs, us)
}
func (x timedTx) RunBindings(ctx context.Context, o, id string, fn func(store.Binding) error) error {
	defer x.t.add("RunBindings", time.Now())
	return x.Tx.RunBindings(ctx, o, id, fn)
}
func (x timedTx) RunUsers(ctx context.Context, o, id string) ([]store.RunUser, error) {
	defer x.t.add("RunUsers", time.Now())
	return x.Tx.RunUsers(ctx, o, id)
}
func (x timedTx) MarkRunUndone(ctx context.Context, o, id string, at time.Time, by string, res json.RawMessage) (store.Run, error) {
	defer x.t.add("MarkRunUndone", time.Now())
	return x.Tx.MarkRunUndone(ctx, o, id, at, by, res)
}
func (x timedTx) AppendAudit(ctx context.Context, e store.AuditEvent) (store.AuditEvent, error) {
	defer x.t.add("AppendAudit", time.Now())
	return x.Tx.AppendAudit(ctx, e)
}
func (x timedTx) LockOrg(ctx context.Context, o string) error {
	defer x.t.add("LockOrg", time.Now())
	return x.Tx.LockOrg(ctx, o)
}

// report logs the time spent in each store method under label and starts over.
func (t *timings) report(tb testing.TB, label string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	ks := make([]string, 0, len(t.m))
	for k := range t.m {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	for _, k := range ks {
		tb.Logf("%-8s %-16s %7.2fs", label, k, t.m[k].Seconds())
	}
	t.m = map[string]time.Duration{}
}

func (x timedTx) MoveUserBindings(ctx context.Context, o, id string) (int, error) {
	defer x.t.add("MoveUserBindings", time.Now())
	return x.Tx.MoveUserBindings(ctx, o, id)
}
func (x timedTx) RestoreRunBindings(ctx context.Context, o, id string, skip []string) (int, error) {
	defer x.t.add("RestoreRunBindings", time.Now())
	return x.Tx.RestoreRunBindings(ctx, o, id, skip)
}
