package service_test

import (
	"context"
	"fmt"
	"testing"

	"pgregory.net/rapid"

	"github.com/rolecall/rolecall/internal/access"
	"github.com/rolecall/rolecall/internal/access/accesstest"
	"github.com/rolecall/rolecall/internal/auth"
	"github.com/rolecall/rolecall/internal/service"
	"github.com/rolecall/rolecall/internal/store"
	"github.com/rolecall/rolecall/internal/store/sqlstore/sqltest"
)

// TestStateRoundTrip: an organization drawn with public projects, seeded into a real store
// and read back by LoadState, gives every user and service account the same effective
// access (public-project collaborators included) as the drawn State: visibility survives
// storage, and nothing else is lost on the way.
func TestStateRoundTrip(t *testing.T) {
	ctx := context.Background()
	st := sqltest.Open(t, sqltest.SQLiteDSN(t))
	n := 0
	rapid.Check(t, func(t *rapid.T) {
		s := accesstest.Draw(t, accesstest.Options{Storable: true, Public: true})
		n++
		var orgID string
		err := st.Update(ctx, func(tx store.Tx) error {
			o, err := auth.CreateOrg(ctx, tx, fmt.Sprint("org-", n))
			orgID = o.ID
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		ids, err := service.Seed(ctx, st, orgID, s, 0)
		if err != nil {
			t.Fatal(err)
		}
		var loaded *access.State
		if err := st.View(ctx, func(tx store.Tx) (err error) { loaded, err = service.LoadState(ctx, tx, orgID); return err }); err != nil {
			t.Fatal(err)
		}
		want, got := access.NewIndex(s), access.NewIndex(loaded)
		for _, r := range s.Resources {
			for _, u := range s.Users {
				a, _ := want.EffectiveRole(u.ID, r.ID)
				b, err := got.EffectiveRole(ids[u.ID], ids[r.ID])
				if err != nil || a != b {
					t.Fatalf("user %s on %s: drawn %+v, stored %+v (%v)", u.ID, r.ID, a, b, err)
				}
			}
			for _, sa := range s.ServiceAccounts {
				a, _ := want.ServiceAccountRole(sa.ID, r.ID)
				b, err := got.ServiceAccountRole(ids[sa.ID], ids[r.ID])
				if err != nil || a != b {
					t.Fatalf("service account %s on %s: drawn %+v, stored %+v (%v)", sa.ID, r.ID, a, b, err)
				}
			}
		}
	})
}
