package storetest

import (
	"context"
	"encoding/json"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/rolecall/rolecall/internal/store"
)

func init() {
	register(
		test{"Exemptions", testExemptions},
		test{"ExemptionsSurviveMoveUserBindings", testExemptionsSurviveMove},
		test{"MaxExemptionsSetting", testMaxExemptionsSetting},
		test{"DriftSchedule", testDriftSchedule},
		test{"DriftScheduleClaimRace", testDriftScheduleClaimRace},
	)
}

// testExemptions: put (create, then replace), list by userName with the current name, delete;
// a deleted user loses its exemption and cannot get one; orgs do not see each other's.
func testExemptions(t *testing.T, s store.Store) {
	o, other := newOrg(t, s, "ex"), newOrg(t, s, "ex-other")
	bob := newUser(t, s, o.ID, "bob@example.com")
	amy := newUser(t, s, o.ID, "Amy@example.com")
	at := time.Date(2026, 1, 2, 3, 4, 5, 6000, time.UTC)
	update(t, s, func(tx store.Tx) error {
		created, err := tx.PutExemption(bg, store.Exemption{OrgID: o.ID, UserID: bob.ID, Reason: "break glass", CreatedBy: "carol", CreatedAt: at})
		if err != nil || !created {
			t.Errorf("PutExemption(bob) = %v, %v; want created", created, err)
		}
		created, err = tx.PutExemption(bg, store.Exemption{OrgID: o.ID, UserID: amy.ID, Reason: "first", CreatedBy: "carol", CreatedAt: at})
		if err != nil || !created {
			t.Errorf("PutExemption(amy) = %v, %v; want created", created, err)
		}
		created, err = tx.PutExemption(bg, store.Exemption{OrgID: o.ID, UserID: amy.ID, Reason: "on call", CreatedBy: "dave", CreatedAt: at})
		if err != nil || created {
			t.Errorf("PutExemption(amy) again = %v, %v; want replaced", created, err)
		}
		return nil
	})
	var got []store.Exemption
	view(t, s, func(tx store.Tx) (err error) { got, err = tx.Exemptions(bg, o.ID); return err })
	if len(got) != 2 || got[0].UserName != "Amy@example.com" || got[0].Reason != "on call" || got[0].CreatedBy != "dave" ||
		got[1].UserName != "bob@example.com" || got[1].Reason != "break glass" || !got[1].CreatedAt.Equal(at) {
		t.Fatalf("Exemptions = %+v", got)
	}
	view(t, s, func(tx store.Tx) error {
		others, err := tx.Exemptions(bg, other.ID)
		if err != nil || len(others) != 0 {
			t.Errorf("other org's Exemptions = %v, %v; want none", others, err)
		}
		return nil
	})
	err := s.Update(bg, func(tx store.Tx) error {
		_, err := tx.PutExemption(bg, store.Exemption{OrgID: other.ID, UserID: bob.ID, Reason: "x", CreatedAt: at})
		return err
	})
	wantErr(t, "PutExemption(user of another org)", err, store.ErrNotFound)

	update(t, s, func(tx store.Tx) error { return tx.DeleteExemption(bg, o.ID, amy.ID) })
	err = s.Update(bg, func(tx store.Tx) error { return tx.DeleteExemption(bg, o.ID, amy.ID) })
	wantErr(t, "DeleteExemption twice", err, store.ErrNotFound)

	update(t, s, func(tx store.Tx) error { return tx.DeleteUser(bg, o.ID, bob.ID, 0) })
	view(t, s, func(tx store.Tx) (err error) { got, err = tx.Exemptions(bg, o.ID); return err })
	if len(got) != 0 {
		t.Errorf("after deleting bob and unexempting amy, Exemptions = %+v", got)
	}
	err = s.Update(bg, func(tx store.Tx) error {
		_, err := tx.PutExemption(bg, store.Exemption{OrgID: o.ID, UserID: bob.ID, Reason: "x", CreatedAt: at})
		return err
	})
	wantErr(t, "PutExemption(deleted user)", err, store.ErrNotFound)
	err = s.View(bg, func(tx store.Tx) error {
		_, err := tx.PutExemption(bg, store.Exemption{OrgID: o.ID, UserID: amy.ID, Reason: "x", CreatedAt: at})
		return err
	})
	if err == nil {
		t.Error("PutExemption inside View succeeded")
	}
}

// testExemptionsSurviveMove: MoveUserBindings keeps exempt users' direct bindings in place
// and moves everyone else's.
func testExemptionsSurviveMove(t *testing.T, s store.Store) {
	o := newOrg(t, s, "exmove")
	c := newResource(t, s, o.ID, store.KindCloud, "c1", "")
	keep, gone := newUser(t, s, o.ID, "keep@example.com"), newUser(t, s, o.ID, "gone@example.com")
	removed := newUser(t, s, o.ID, "removed@example.com")
	kb := grant(t, s, o.ID, c.ID, store.PrincipalUser, keep.ID, "owner")
	grant(t, s, o.ID, c.ID, store.PrincipalUser, gone.ID, "readonly")
	grant(t, s, o.ID, c.ID, store.PrincipalUser, removed.ID, "readonly")
	update(t, s, func(tx store.Tx) error {
		for _, id := range []string{keep.ID, removed.ID} {
			if _, err := tx.PutExemption(bg, store.Exemption{OrgID: o.ID, UserID: id, Reason: "break glass", CreatedAt: store.Now()}); err != nil {
				return err
			}
		}
		// A removed user's exemption does not keep its bindings (the planner skips removed users).
		_, err := tx.SetUserRemoved(bg, o.ID, removed.ID, true, false)
		return err
	})
	var moved int
	update(t, s, func(tx store.Tx) error {
		run, err := tx.CreateRun(bg, store.Run{OrgID: o.ID, Actor: "a", Fingerprint: "f", Plan: json.RawMessage(`{}`)}, nil, nil)
		if err != nil {
			return err
		}
		moved, err = tx.MoveUserBindings(bg, o.ID, run.ID)
		return err
	})
	if moved != 2 {
		t.Errorf("MoveUserBindings moved %d, want 2 (the exempt user's binding stays, the removed exempt user's goes)", moved)
	}
	view(t, s, func(tx store.Tx) error {
		var left []string
		err := tx.AllBindings(bg, o.ID, func(b store.Binding) error { left = append(left, b.ID); return nil })
		if err != nil || len(left) != 1 || left[0] != kb.ID {
			t.Errorf("bindings left = %v, %v; want only the exempt user's %s", left, err, kb.ID)
		}
		return nil
	})
}

// testMaxExemptionsSetting: the default is 5; a set value is kept; writing settings without
// it keeps the default.
func testMaxExemptionsSetting(t *testing.T, s store.Store) {
	o := newOrg(t, s, "exmax")
	var st store.OrgSettings
	view(t, s, func(tx store.Tx) (err error) { st, err = tx.Settings(bg, o.ID); return err })
	if st.MaxExemptions != store.DefaultMaxExemptions {
		t.Errorf("new org MaxExemptions = %d, want %d", st.MaxExemptions, store.DefaultMaxExemptions)
	}
	update(t, s, func(tx store.Tx) error {
		return tx.PutSettings(bg, store.OrgSettings{OrgID: o.ID, GroupsOnly: true, MaxExemptions: 2})
	})
	view(t, s, func(tx store.Tx) (err error) { st, err = tx.Settings(bg, o.ID); return err })
	if st.MaxExemptions != 2 || !st.GroupsOnly {
		t.Errorf("after setting 2: %+v", st)
	}
	update(t, s, func(tx store.Tx) error { return tx.PutSettings(bg, store.OrgSettings{OrgID: o.ID}) })
	view(t, s, func(tx store.Tx) (err error) { st, err = tx.Settings(bg, o.ID); return err })
	if st.MaxExemptions != store.DefaultMaxExemptions {
		t.Errorf("zero MaxExemptions written: read %d, want the default", st.MaxExemptions)
	}
}

// testDriftSchedule: put, read, replace (last run and lease kept), claim when due only, the
// lease blocks a second claim until it expires, only the holder finishes, delete.
func testDriftSchedule(t *testing.T, s store.Store) {
	o := newOrg(t, s, "sched")
	err := s.View(bg, func(tx store.Tx) error { _, err := tx.DriftSchedule(bg, o.ID); return err })
	wantErr(t, "DriftSchedule before any", err, store.ErrNotFound)
	t0 := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	put := store.DriftSchedule{OrgID: o.ID, Every: 24 * time.Hour, AutoApply: true, MaxUsersRemoved: 3, MaxBindingsDeleted: 10,
		NextRunAt: t0.Add(time.Hour), UpdatedAt: t0, UpdatedBy: "carol"}
	update(t, s, func(tx store.Tx) error { return tx.PutDriftSchedule(bg, put) })
	var got store.DriftSchedule
	view(t, s, func(tx store.Tx) (err error) { got, err = tx.DriftSchedule(bg, o.ID); return err })
	if got.Every != 24*time.Hour || !got.AutoApply || got.MaxUsersRemoved != 3 || got.MaxBindingsDeleted != 10 ||
		!got.NextRunAt.Equal(t0.Add(time.Hour)) || got.LastRunAt != nil || got.LeaseOwner != "" || got.UpdatedBy != "carol" {
		t.Fatalf("DriftSchedule = %+v", got)
	}
	err = s.Update(bg, func(tx store.Tx) error {
		return tx.PutDriftSchedule(bg, store.DriftSchedule{OrgID: o.ID, Every: 0, NextRunAt: t0, UpdatedAt: t0})
	})
	wantErr(t, "PutDriftSchedule(every 0)", err, store.ErrInvalid)

	claim := func(at time.Time, owner string) []store.DriftSchedule {
		var out []store.DriftSchedule
		update(t, s, func(tx store.Tx) (err error) {
			out, err = tx.ClaimDueSchedules(bg, at, owner, at.Add(time.Minute), 10)
			return err
		})
		return out
	}
	if c := claim(t0, "a"); len(c) != 0 {
		t.Errorf("claimed before due: %+v", c)
	}
	due := t0.Add(time.Hour)
	c := claim(due, "a")
	if len(c) != 1 || c[0].OrgID != o.ID || c[0].LeaseOwner != "a" {
		t.Fatalf("claim when due = %+v", c)
	}
	if c := claim(due.Add(time.Second), "b"); len(c) != 0 {
		t.Errorf("claimed while leased: %+v", c)
	}
	err = s.Update(bg, func(tx store.Tx) error {
		return tx.FinishScheduleRun(bg, o.ID, "b", due, due.Add(24*time.Hour), nil)
	})
	wantErr(t, "FinishScheduleRun by a non-holder", err, store.ErrConflict)
	// The lease expires: b takes over, and a can no longer finish.
	if c := claim(due.Add(2*time.Minute), "b"); len(c) != 1 || c[0].LeaseOwner != "b" {
		t.Fatalf("claim after the lease expired = %+v", c)
	}
	err = s.Update(bg, func(tx store.Tx) error {
		return tx.FinishScheduleRun(bg, o.ID, "a", due, due.Add(24*time.Hour), nil)
	})
	wantErr(t, "FinishScheduleRun after losing the lease", err, store.ErrConflict)
	result := json.RawMessage(`{"applied":false}`)
	update(t, s, func(tx store.Tx) error {
		return tx.FinishScheduleRun(bg, o.ID, "b", due, due.Add(24*time.Hour), result)
	})
	view(t, s, func(tx store.Tx) (err error) { got, err = tx.DriftSchedule(bg, o.ID); return err })
	if got.LastRunAt == nil || !got.LastRunAt.Equal(due) || !got.NextRunAt.Equal(due.Add(24*time.Hour)) ||
		got.LeaseOwner != "" || got.LeaseUntil != nil || string(got.LastResult) != string(result) {
		t.Errorf("after finish: %+v (result %s)", got, got.LastResult)
	}
	if c := claim(due.Add(time.Hour), "a"); len(c) != 0 {
		t.Errorf("claimed before the next run: %+v", c)
	}
	// Replacing the settings keeps the last run and frees the lease: a run still going under
	// the old settings cannot record itself.
	later := due.Add(2 * time.Hour)
	put.NextRunAt = later
	update(t, s, func(tx store.Tx) error { return tx.PutDriftSchedule(bg, put) })
	if c := claim(later, "c"); len(c) != 1 {
		t.Fatalf("claim at %v = %+v", later, c)
	}
	put.Every, put.AutoApply, put.NextRunAt = time.Hour, false, later.Add(time.Hour)
	update(t, s, func(tx store.Tx) error { return tx.PutDriftSchedule(bg, put) })
	view(t, s, func(tx store.Tx) (err error) { got, err = tx.DriftSchedule(bg, o.ID); return err })
	if got.Every != time.Hour || got.AutoApply || got.LastRunAt == nil || !got.LastRunAt.Equal(due) || got.LeaseOwner != "" || got.LeaseUntil != nil {
		t.Errorf("after replace: %+v", got)
	}
	err = s.Update(bg, func(tx store.Tx) error { return tx.FinishScheduleRun(bg, o.ID, "c", later, later, nil) })
	wantErr(t, "FinishScheduleRun of a run the new settings replaced", err, store.ErrConflict)
	update(t, s, func(tx store.Tx) error { return tx.DeleteDriftSchedule(bg, o.ID) })
	err = s.Update(bg, func(tx store.Tx) error { return tx.DeleteDriftSchedule(bg, o.ID) })
	wantErr(t, "DeleteDriftSchedule twice", err, store.ErrNotFound)
	err = s.Update(bg, func(tx store.Tx) error { return tx.FinishScheduleRun(bg, o.ID, "b", due, due, nil) })
	wantErr(t, "FinishScheduleRun without a schedule", err, store.ErrNotFound)
}

// testDriftScheduleClaimRace: many claimers at once (goroutines on one store; on PostgreSQL
// separate connections) claim every due schedule exactly once.
func testDriftScheduleClaimRace(t *testing.T, s store.Store) {
	const orgs, claimers = 6, 8
	t0 := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	for i := range orgs {
		o := newOrg(t, s, "race"+string(rune('a'+i)))
		update(t, s, func(tx store.Tx) error {
			return tx.PutDriftSchedule(bg, store.DriftSchedule{OrgID: o.ID, Every: time.Hour, NextRunAt: t0, UpdatedAt: t0})
		})
	}
	var (
		mu     sync.Mutex
		seen   = map[string]string{}
		wg     sync.WaitGroup
		errs   = make(chan error, claimers)
		start  = make(chan struct{})
		at     = t0.Add(time.Minute)
		claims int
	)
	for i := range claimers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			owner := "server-" + string(rune('0'+i))
			<-start
			err := s.Update(context.Background(), func(tx store.Tx) error {
				got, err := tx.ClaimDueSchedules(bg, at, owner, at.Add(time.Hour), 2)
				if err != nil {
					return err
				}
				mu.Lock()
				defer mu.Unlock()
				for _, g := range got {
					if prev, dup := seen[g.OrgID]; dup {
						return errors.New("org " + g.OrgID + " claimed by " + prev + " and " + owner)
					}
					seen[g.OrgID] = owner
					claims++
				}
				return nil
			})
			if err != nil {
				errs <- err
			}
		}()
	}
	close(start)
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	// Claimers that found nothing left claim nothing more; the rest is claimed by a later one.
	for {
		var got []store.DriftSchedule
		update(t, s, func(tx store.Tx) (err error) {
			got, err = tx.ClaimDueSchedules(bg, at, "late", at.Add(time.Hour), orgs)
			return err
		})
		if len(got) == 0 {
			break
		}
		for _, g := range got {
			if prev, dup := seen[g.OrgID]; dup {
				t.Errorf("org %s claimed by %s and late", g.OrgID, prev)
			}
			seen[g.OrgID] = "late"
			claims++
		}
	}
	if claims != orgs || len(seen) != orgs {
		t.Errorf("%d claims of %d orgs, want each of %d exactly once", claims, len(seen), orgs)
	}
}
