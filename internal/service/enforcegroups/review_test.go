package enforcegroups_test

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rolecall/rolecall/internal/access"
	"github.com/rolecall/rolecall/internal/api"
	"github.com/rolecall/rolecall/internal/store"
	"github.com/rolecall/rolecall/internal/testenv"
)

// raceState: "owner" keeps the org through the active group "admins"; "alice" is inactive,
// in no group, with a direct binding, so the plan removes her.
func raceState() *access.State {
	return &access.State{
		Users: []access.User{
			{ID: "u-owner", UserName: "owner", Active: true},
			{ID: "u-alice", UserName: "alice", Active: false},
		},
		Groups:      []access.Group{{ID: "g-admins", DisplayName: "admins", Active: true}},
		Memberships: []access.Membership{{GroupID: "g-admins", MemberID: "u-owner", MemberType: access.PrincipalUser}},
		Resources:   []access.Resource{{ID: "r-org", Name: "example-org", Kind: access.KindOrganization}},
		Bindings: []access.Binding{
			{ID: "b1", ResourceID: "r-org", PrincipalID: "g-admins", PrincipalType: access.PrincipalGroup, Role: access.RoleOwner},
			{ID: "b2", ResourceID: "r-org", PrincipalID: "u-alice", PrincipalType: access.PrincipalUser, Role: access.RoleReadonly},
		},
	}
}

// TestApplyDoesNotLoseConcurrentUserWrite: on PostgreSQL (READ COMMITTED) an IdP write
// that reactivates a user after apply read the org must not be silently overwritten. Writes
// to what a plan is computed from take the org lock in shared mode and apply holds it
// exclusively, so the reactivation waits until apply commits and then lands after it
// (retrying its read-modify-write as the SCIM layer does). SQLite serialises writers, so only
// PostgreSQL can interleave.
func TestApplyDoesNotLoseConcurrentUserWrite(t *testing.T) {
	// PostgreSQL only (openPostgres skips without it): SQLite cannot interleave two writers.
	st := openPostgres(t)
	orgID, ids := testenv.Seed(t, st, "race-org", raceState())
	alice := ids["u-alice"]
	var r reactivation
	// Once apply has read the org's state in its transaction, reactivate alice from another
	// connection: her write must wait for apply, not be lost under it.
	svc := newService(afterLoad{Store: st, hook: func(org string) {
		if r.err == nil {
			r.busy.Store(true)
			startReactivation(st, org, alice, &r)
		}
	}})
	pv := preview(t, svc, orgID)
	if len(pv.Plan.RemovedUsers) != 1 || pv.Plan.RemovedUsers[0].UserID != alice {
		t.Fatalf("plan removes %+v, want alice only", pv.Plan.RemovedUsers)
	}

	_, err := svc.Apply(ctxAs("admin"), orgID, api.EnforceApplyRequest{Fingerprint: pv.Plan.Fingerprint})
	r.busy.Store(false)
	if err != nil {
		t.Fatalf("apply: %v, want success (nothing could commit under it)", err)
	}
	r.check(t)
	if u := userOf(t, st, orgID, alice); !u.Active {
		t.Errorf("alice is inactive after the IdP reactivated her following apply (removed=%v)", u.Removed)
	}
}

// reactivation is an IdP write (alice becomes active) started while apply or undo holds the
// org. It retries its read-modify-write on a version change, as the SCIM layer does.
type reactivation struct {
	busy   atomic.Bool // set while the enforce operation runs
	during chan bool   // whether the write returned while busy was set
	err    chan error
}

func startReactivation(st store.Store, org, userID string, r *reactivation) {
	r.during, r.err = make(chan bool, 1), make(chan error, 1)
	go func() {
		bg := context.Background()
		var werr error
		for range 5 {
			werr = st.Update(bg, func(tx store.Tx) error {
				u, err := tx.User(bg, org, userID)
				if err != nil {
					return err
				}
				u.Active = true
				_, err = tx.UpdateUser(bg, u, u.Version)
				return err
			})
			if !errors.Is(werr, store.ErrVersionMismatch) {
				break
			}
		}
		r.during <- r.busy.Load()
		r.err <- werr
	}()
	// Give the write every chance to commit under the enforce operation, if it could.
	time.Sleep(300 * time.Millisecond)
}

// check fails the test if the write landed while the org was held or failed after.
func (r *reactivation) check(t *testing.T) {
	t.Helper()
	if <-r.during {
		t.Errorf("the reactivation committed while the enforce operation held the org")
	}
	if err := <-r.err; err != nil {
		t.Fatalf("reactivation after the enforce operation: %v", err)
	}
}

func userOf(t *testing.T, st store.Store, org, id string) store.User {
	t.Helper()
	var u store.User
	if err := st.View(context.Background(), func(tx store.Tx) (e error) { u, e = tx.User(context.Background(), org, id); return e }); err != nil {
		t.Fatal(err)
	}
	return u
}

// hookStore runs before ahead of every SetUserRemoved of its write transactions.
type hookStore struct {
	store.Store
	before func()
}

type hookTx struct {
	store.Tx
	before func()
}

func (s hookStore) Update(ctx context.Context, fn func(store.Tx) error) error {
	return s.Store.Update(ctx, func(tx store.Tx) error { return fn(hookTx{tx, s.before}) })
}

func (t hookTx) SetUserRemoved(ctx context.Context, orgID, id string, removed, active bool) (store.User, error) {
	t.before()
	return t.Tx.SetUserRemoved(ctx, orgID, id, removed, active)
}

// TestUndoDoesNotLoseConcurrentUserWrite: an IdP write that reactivates a removed user
// while undo runs (on PostgreSQL) must not be overwritten by the restore: it waits for the
// org, which undo holds, and lands after it.
func TestUndoDoesNotLoseConcurrentUserWrite(t *testing.T) {
	// PostgreSQL only (openPostgres skips without it): SQLite cannot interleave two writers.
	st := openPostgres(t)
	orgID, ids := testenv.Seed(t, st, "race-org", raceState())
	alice := ids["u-alice"]
	svc := newService(st)
	pv := preview(t, svc, orgID)
	res, err := svc.Apply(ctxAs("admin"), orgID, api.EnforceApplyRequest{Fingerprint: pv.Plan.Fingerprint})
	if err != nil {
		t.Fatal(err)
	}
	var r reactivation
	svc.Store = hookStore{Store: st, before: func() {
		if r.err != nil {
			return
		}
		r.busy.Store(true)
		startReactivation(st, orgID, alice, &r)
	}}
	_, err = svc.Undo(ctxAs("admin"), orgID, res.RunID)
	r.busy.Store(false)
	if r.err == nil {
		t.Fatal("undo restored no user")
	}
	if err != nil {
		t.Fatalf("undo: %v, want success (nothing could commit under it)", err)
	}
	r.check(t)
	if u := userOf(t, st, orgID, alice); !u.Active || u.Removed {
		t.Fatalf("the IdP's reactivation after undo was lost: alice active=%v removed=%v", u.Active, u.Removed)
	}
}

// afterLoad is a store whose write transactions call hook once they have read the org's
// bindings, the last thing service.LoadState reads: the point where apply has its state.
type afterLoad struct {
	store.Store
	hook func(org string)
}

func (a afterLoad) Update(ctx context.Context, fn func(store.Tx) error) error {
	return a.Store.Update(ctx, func(tx store.Tx) error { return fn(loadedTx{Tx: tx, hook: a.hook}) })
}

type loadedTx struct {
	store.Tx
	hook func(org string)
}

func (t loadedTx) AllBindings(ctx context.Context, org string, fn func(store.Binding) error) error {
	if err := t.Tx.AllBindings(ctx, org, fn); err != nil {
		return err
	}
	t.hook(org)
	return nil
}
