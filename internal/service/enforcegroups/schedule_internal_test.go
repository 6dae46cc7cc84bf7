package enforcegroups

import (
	"context"
	"testing"
	"time"

	"github.com/rolecall/rolecall/internal/api"
	"github.com/rolecall/rolecall/internal/audit"
	"github.com/rolecall/rolecall/internal/auth"
	"github.com/rolecall/rolecall/internal/enforce"
	"github.com/rolecall/rolecall/internal/service"
	"github.com/rolecall/rolecall/internal/store"
	"github.com/rolecall/rolecall/internal/store/sqlstore/sqltest"
)

// TestRunLosesItsLease: a run whose lease was freed by a new `schedule set` while it ran
// keeps nothing — not the apply it made, not its events — and says why; the new settings
// stand.
func TestRunLosesItsLease(t *testing.T) {
	ctx := audit.WithActor(context.Background(), audit.Actor{Name: "admin"})
	st := sqltest.Open(t, sqltest.SQLiteDSN(t))
	var orgID string
	err := st.Update(ctx, func(tx store.Tx) error {
		o, err := auth.CreateOrg(ctx, tx, "lease")
		orgID = o.ID
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := service.Seed(ctx, st, orgID, enforce.ReferenceState(), 0); err != nil {
		t.Fatal(err)
	}
	s := New(st)
	if _, err := s.SetSchedule(ctx, orgID, api.SetDriftScheduleRequest{Every: "1h", FirstRunIn: "0s", AutoApply: true,
		MaxUsersRemoved: 5, MaxBindingsDeleted: 50}); err != nil {
		t.Fatal(err)
	}
	var claimed []store.DriftSchedule
	err = st.Update(ctx, func(tx store.Tx) (err error) {
		claimed, err = tx.ClaimDueSchedules(ctx, store.Now(), "old", store.Now().Add(time.Hour), 10)
		return err
	})
	if err != nil || len(claimed) != 1 {
		t.Fatalf("claim = %v, %v", claimed, err)
	}
	if _, err := s.SetSchedule(ctx, orgID, api.SetDriftScheduleRequest{Every: "2h"}); err != nil {
		t.Fatal(err)
	}
	res, err := s.runScheduled(ctx, claimed[0], "old")
	if err != nil || res.Applied || res.Reason != "the schedule was changed or turned off while it ran: nothing was applied" {
		t.Fatalf("run that lost its lease = %+v, %v", res, err)
	}
	err = st.View(ctx, func(tx store.Tx) error {
		_, runs, err := tx.ListRuns(ctx, orgID, store.Page{Limit: 10})
		if err != nil || runs != 0 {
			t.Errorf("%d enforce runs kept, want none (%v)", runs, err)
		}
		page, err := tx.EventsAfter(ctx, orgID, store.EventQuery{Limit: store.MaxEventPage})
		for _, e := range page.Events {
			if e.Type == "com.rolecall.enforce.scheduled" || e.Type == "com.rolecall.enforce.applied" {
				t.Errorf("event %s kept", e.Type)
			}
		}
		sc, serr := tx.DriftSchedule(ctx, orgID)
		if serr != nil || sc.Every != 2*time.Hour || sc.AutoApply || sc.LastRunAt != nil {
			t.Errorf("schedule after = %+v, %v", sc, serr)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
}
