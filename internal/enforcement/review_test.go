package enforcement_test

import (
	"context"
	"errors"
	"os"
	"testing"

	"github.com/rolecall/rolecall/internal/access"
	"github.com/rolecall/rolecall/internal/api"
	"github.com/rolecall/rolecall/internal/enforcement"
	"github.com/rolecall/rolecall/internal/store"
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
// that reactivates a user after apply read the org, but before apply marks that user
// removed, must not be silently overwritten: apply either refuses (stale) or leaves the
// user as the IdP set it. SQLite serialises writers, so only PostgreSQL can interleave.
func TestApplyDoesNotLoseConcurrentUserWrite(t *testing.T) {
	if os.Getenv("ROLECALL_TEST_POSTGRES") == "" {
		t.Skip("needs ROLECALL_TEST_POSTGRES: SQLite cannot interleave two writers")
	}
	st := openPostgres(t)
	orgID, ids := seeded(t, st, "race-org", raceState())
	alice := ids["u-alice"]
	svc := service(st)
	pv := preview(t, svc, orgID)
	if len(pv.Plan.RemovedUsers) != 1 || pv.Plan.RemovedUsers[0].UserID != alice {
		t.Fatalf("plan removes %+v, want alice only", pv.Plan.RemovedUsers)
	}

	load := svc.Load
	fired := false
	svc.Load = func(ctx context.Context, tx store.Tx, org string) (*access.State, error) {
		s, err := load(ctx, tx, org)
		if err != nil || fired {
			return s, err
		}
		fired = true
		// The IdP reactivates alice in its own transaction, which commits now.
		bg := context.Background()
		werr := st.Update(bg, func(tx store.Tx) error {
			u, err := tx.User(bg, org, alice)
			if err != nil {
				return err
			}
			u.Active = true
			_, err = tx.UpdateUser(bg, u, u.Version)
			return err
		})
		if werr != nil {
			t.Errorf("concurrent reactivation: %v", werr)
		}
		return s, nil
	}
	_, err := svc.Apply(ctxAs("admin"), orgID, api.EnforceApplyRequest{Fingerprint: pv.Plan.Fingerprint})
	var u store.User
	if verr := st.View(context.Background(), func(tx store.Tx) (e error) { u, e = tx.User(context.Background(), orgID, alice); return e }); verr != nil {
		t.Fatal(verr)
	}
	switch {
	case err == nil && (!u.Active || u.Removed):
		t.Fatalf("apply succeeded and overwrote the IdP's committed reactivation: alice active=%v removed=%v", u.Active, u.Removed)
	case err != nil && !errors.Is(err, enforcement.ErrStale):
		t.Fatalf("apply: %v, want success or ErrStale", err)
	case err != nil && (!u.Active || u.Removed):
		t.Fatalf("apply refused but alice is active=%v removed=%v", u.Active, u.Removed)
	}
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

// TestUndoDoesNotLoseConcurrentUserWrite: undo checks that a removed user is still at the
// version the run left before restoring it; an IdP write committed after that check (on
// PostgreSQL) must not be overwritten by the restore.
func TestUndoDoesNotLoseConcurrentUserWrite(t *testing.T) {
	if os.Getenv("ROLECALL_TEST_POSTGRES") == "" {
		t.Skip("needs ROLECALL_TEST_POSTGRES: SQLite cannot interleave two writers")
	}
	st := openPostgres(t)
	orgID, ids := seeded(t, st, "race-org", raceState())
	alice := ids["u-alice"]
	svc := service(st)
	pv := preview(t, svc, orgID)
	res, err := svc.Apply(ctxAs("admin"), orgID, api.EnforceApplyRequest{Fingerprint: pv.Plan.Fingerprint})
	if err != nil {
		t.Fatal(err)
	}
	fired := false
	svc.Store = hookStore{Store: st, before: func() {
		if fired {
			return
		}
		fired = true
		bg := context.Background()
		werr := st.Update(bg, func(tx store.Tx) error {
			u, err := tx.User(bg, orgID, alice)
			if err != nil {
				return err
			}
			u.Active = true
			_, err = tx.UpdateUser(bg, u, u.Version)
			return err
		})
		if werr != nil {
			t.Errorf("concurrent reactivation: %v", werr)
		}
	}}
	_, err = svc.Undo(ctxAs("admin"), orgID, res.RunID)
	var u store.User
	if verr := st.View(context.Background(), func(tx store.Tx) (e error) { u, e = tx.User(context.Background(), orgID, alice); return e }); verr != nil {
		t.Fatal(verr)
	}
	if !fired {
		t.Fatal("undo restored no user")
	}
	if !u.Active || u.Removed {
		t.Fatalf("undo (err %v) overwrote the IdP's committed reactivation: alice active=%v removed=%v", err, u.Active, u.Removed)
	}
}
