package enforcegroups_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"pgregory.net/rapid"

	"github.com/rolecall/rolecall/internal/access/accesstest"
	"github.com/rolecall/rolecall/internal/api"
	"github.com/rolecall/rolecall/internal/audit"
	"github.com/rolecall/rolecall/internal/enforce"
	"github.com/rolecall/rolecall/internal/events"
	"github.com/rolecall/rolecall/internal/service"
	"github.com/rolecall/rolecall/internal/service/enforcegroups"
	"github.com/rolecall/rolecall/internal/store"
	"github.com/rolecall/rolecall/internal/store/sqlstore/sqltest"
	"github.com/rolecall/rolecall/internal/testenv"
)

// userBindings reads the ids of each user's direct bindings.
func userBindings(t testing.TB, st store.Store, orgID string) map[string][]string {
	t.Helper()
	ctx := context.Background()
	out := map[string][]string{}
	err := st.View(ctx, func(tx store.Tx) error {
		return tx.AllBindings(ctx, orgID, func(b store.Binding) error {
			if b.PrincipalType == store.PrincipalUser {
				out[b.PrincipalID] = append(out[b.PrincipalID], b.ID)
			}
			return nil
		})
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, ids := range out {
		slices.Sort(ids)
	}
	return out
}

// TestExemptPreviewProperty: over random organizations with exempt users, seeded into the
// real store, the enforce-groups preview never lists an exempt user as changed or removed,
// lists every live exempt user in its Exempt section, and applying it leaves every exempt
// user's direct grants and standing exactly as they were.
func TestExemptPreviewProperty(t *testing.T) {
	eachBackend(t, func(t *testing.T, st store.Store) {
		svc := newService(st)
		n := 0
		rapid.Check(t, func(rt *rapid.T) {
			s := accesstest.Draw(rt, accesstest.Options{Storable: true, Exempt: true, Public: true})
			n++
			orgID, ids := testenv.Seed(t, st, fmt.Sprint("exempt-prop-", n), s)
			exempt := map[string]bool{}
			for _, u := range s.Users {
				if u.Exempt && !u.Removed {
					exempt[ids[u.ID]] = true
				}
			}
			pv, err := svc.Preview(ctxAs("admin"), orgID)
			if err != nil {
				rt.Fatal(err)
			}
			for _, u := range pv.Plan.Users {
				if exempt[u.UserID] {
					rt.Fatalf("exempt user %s listed as changed: %+v", u.UserName, u.Changes)
				}
			}
			for _, u := range pv.Plan.RemovedUsers {
				if exempt[u.UserID] {
					rt.Fatalf("exempt user %s listed as removed", u.UserName)
				}
			}
			listed := map[string]bool{}
			for _, x := range pv.Plan.Exempt {
				listed[x.UserID] = true
			}
			for id := range exempt {
				if !listed[id] {
					rt.Fatalf("exempt user %s missing from the Exempt section %+v", id, pv.Plan.Exempt)
				}
			}
			before := userBindings(t, st, orgID)
			if _, err := svc.Apply(ctxAs("admin"), orgID, api.EnforceApplyRequest{Fingerprint: pv.Plan.Fingerprint, AllowNoOwner: true}); err != nil {
				rt.Fatalf("apply: %v", err)
			}
			after := userBindings(t, st, orgID)
			for id := range exempt {
				if !slices.Equal(before[id], after[id]) {
					rt.Fatalf("exempt user %s's direct grants went from %v to %v", id, before[id], after[id])
				}
			}
			for id, bs := range after {
				if !exempt[id] {
					rt.Fatalf("non-exempt user %s kept direct grants %v", id, bs)
				}
			}
			var removed []string
			err = st.View(context.Background(), func(tx store.Tx) error {
				return tx.ScanUsers(context.Background(), orgID, func(u store.User) error {
					if u.Removed && exempt[u.ID] {
						removed = append(removed, u.UserName)
					}
					return nil
				})
			})
			if err != nil || len(removed) > 0 {
				rt.Fatalf("exempt users removed by apply: %v (%v)", removed, err)
			}
		})
	})
}

// TestExemptUserService: the reason is required, the org's limit holds with a message that
// says what to do, removed and deleted users cannot be exempted, each change is one audit
// event and one change event, groups-only mode lets only exempt users get direct grants,
// and the enforce preview lists the user apart.
func TestExemptUserService(t *testing.T) {
	eachBackend(t, func(t *testing.T, st store.Store) {
		orgID, _ := testenv.Seed(t, st, "exempt-svc", enforce.ReferenceState())
		svc := service.New(st)
		ctx := ctxAs("carol")
		if _, _, err := svc.ExemptUser(ctx, orgID, "user1@example.com", "  "); err == nil || !contains(err.Error(), "give a reason") {
			t.Errorf("exempt without a reason: %v", err)
		}
		v, created, err := svc.ExemptUser(ctx, orgID, "user1@example.com", "on-call break-glass")
		if err != nil || !created || v.UserName != "user1@example.com" || v.CreatedBy != "carol" {
			t.Fatalf("ExemptUser = %+v, %v, %v", v, created, err)
		}
		if _, created, err = svc.ExemptUser(ctx, orgID, "user1@example.com", "new reason"); err != nil || created {
			t.Errorf("re-exempt = %v, %v; want replaced", created, err)
		}
		if _, _, err := svc.ExemptUser(ctx, orgID, "nobody@example.com", "x"); err == nil || !contains(err.Error(), "no user") {
			t.Errorf("exempt an unknown user: %v", err)
		}
		// The limit: lower it to 1, then a second exemption is refused.
		one := 1
		if _, err := svc.UpdateSettings(ctx, orgID, api.UpdateOrgSettingsRequest{MaxExemptions: &one}); err != nil {
			t.Fatal(err)
		}
		_, _, err = svc.ExemptUser(ctx, orgID, "user2@example.com", "second")
		if err == nil || !contains(err.Error(), "already has 1 exempt users, its limit (user1@example.com)") || !contains(err.Error(), "--max-exemptions") {
			t.Errorf("beyond the limit: %v", err)
		}
		zero := 0
		if _, err := svc.UpdateSettings(ctx, orgID, api.UpdateOrgSettingsRequest{MaxExemptions: &zero}); err == nil {
			t.Error("maxExemptions 0 accepted")
		}
		pv := preview(t, newService(st), orgID)
		if len(pv.Plan.Exempt) != 1 || pv.Plan.Exempt[0].UserName != "user1@example.com" || pv.Plan.Exempt[0].DirectGrants == 0 {
			t.Errorf("preview's exempt section = %+v", pv.Plan.Exempt)
		}
		for _, u := range pv.Plan.Users {
			if u.UserName == "user1@example.com" {
				t.Errorf("exempt user1 listed as changed")
			}
		}
		// Groups-only: the exempt user may get a direct grant, another user may not.
		on := true
		if _, err := svc.UpdateSettings(ctx, orgID, api.UpdateOrgSettingsRequest{GroupsOnly: &on}); err != nil {
			t.Fatal(err)
		}
		if _, _, err := svc.CreateGrant(ctx, orgID, api.GrantRequest{Role: "readonly", PrincipalType: "user", Principal: "user1@example.com",
			ResourceKind: "cloud", Resource: "dev-cloud"}); err != nil {
			t.Errorf("groups-only refused a direct grant to an exempt user: %v", err)
		}
		if _, _, err := svc.CreateGrant(ctx, orgID, api.GrantRequest{Role: "readonly", PrincipalType: "user", Principal: "user2@example.com",
			ResourceKind: "cloud", Resource: "dev-cloud"}); err == nil || !contains(err.Error(), "groups-only") {
			t.Errorf("groups-only let a non-exempt user get a direct grant: %v", err)
		}
		// A removed user cannot be exempted (enforce-groups removes orphan-user).
		two := 2
		if _, err := svc.UpdateSettings(ctx, orgID, api.UpdateOrgSettingsRequest{MaxExemptions: &two}); err != nil {
			t.Fatal(err)
		}
		pv = preview(t, newService(st), orgID)
		if _, err := newService(st).Apply(ctxAs("carol"), orgID, api.EnforceApplyRequest{Fingerprint: pv.Plan.Fingerprint}); err != nil {
			t.Fatal(err)
		}
		if _, _, err := svc.ExemptUser(ctx, orgID, "orphan-user@example.com", "x"); err == nil || !contains(err.Error(), "removed") {
			t.Errorf("exempting a removed user: %v", err)
		}
		list, err := svc.Exemptions(ctx, orgID)
		if err != nil || len(list.Exemptions) != 1 || list.Max != 2 || list.Exemptions[0].Reason != "new reason" {
			t.Errorf("Exemptions = %+v, %v", list, err)
		}
		u, err := svc.User(ctx, orgID, "user1@example.com")
		if err != nil || !u.Exempt {
			t.Errorf("User(user1).Exempt = %v, %v", u.Exempt, err)
		}
		if _, err := svc.UnexemptUser(ctx, orgID, "user1@example.com"); err != nil {
			t.Fatal(err)
		}
		if _, err := svc.UnexemptUser(ctx, orgID, "user1@example.com"); err == nil || !contains(err.Error(), "is not exempt") {
			t.Errorf("unexempt twice: %v", err)
		}
		acts := auditActions(t, st, orgID)
		want := []string{audit.ActionUserExempted, audit.ActionUserExempted, audit.ActionUserUnexempted}
		var got []string
		for _, a := range acts {
			if a == audit.ActionUserExempted || a == audit.ActionUserUnexempted {
				got = append(got, a)
			}
		}
		slices.Sort(got)
		slices.Sort(want)
		if !slices.Equal(got, want) {
			t.Errorf("exemption audit events = %v, want %v", got, want)
		}
		types := eventTypes(t, st, orgID)
		if types[events.UserExempted] != 2 || types[events.UserUnexempted] != 1 {
			t.Errorf("exemption events = %v", types)
		}
	})
}

func contains(s, sub string) bool { return strings.Contains(s, sub) }

// eventTypes counts the org's change events by type.
func eventTypes(t testing.TB, st store.Store, orgID string) map[events.Type]int {
	t.Helper()
	ctx := context.Background()
	out := map[events.Type]int{}
	err := st.View(ctx, func(tx store.Tx) error {
		var after int64
		for {
			page, err := tx.EventsAfter(ctx, orgID, store.EventQuery{After: after, Limit: store.MaxEventPage})
			if err != nil {
				return err
			}
			for _, e := range page.Events {
				out[events.Type(e.Type)]++
			}
			if len(page.Events) == 0 || page.Next == after {
				return nil
			}
			after = page.Next
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// TestDriftReport: with no run every direct grant is new; after an apply the drift is empty;
// a new direct grant, a user in no group and a group bound by nothing show up; exempt users
// are listed apart and their grants are not new drift; an on-demand report emits no event.
func TestDriftReport(t *testing.T) {
	eachBackend(t, func(t *testing.T, st store.Store) {
		orgID, _ := testenv.Seed(t, st, "drift", enforce.ReferenceState())
		es, svc, ctx := newService(st), service.New(st), ctxAs("carol")
		d, err := es.Drift(ctx, orgID)
		if err != nil {
			t.Fatal(err)
		}
		if d.LastRun != nil || d.Summary.NewDirectGrants != 6 || !d.Summary.Drifted || d.Summary.UsersWithoutGroups != 1 {
			t.Errorf("drift before any run: %+v", d.Summary)
		}
		if _, err := es.Apply(ctx, orgID, api.EnforceApplyRequest{Fingerprint: d.Plan.Fingerprint}); err != nil {
			t.Fatal(err)
		}
		d, err = es.Drift(ctx, orgID)
		if err != nil {
			t.Fatal(err)
		}
		if d.LastRun == nil || d.Summary.Drifted || d.Summary.NewDirectGrants != 0 || d.Summary.UsersWithoutGroups != 0 {
			t.Errorf("drift right after apply: %+v", d.Summary)
		}
		before := eventTypes(t, st, orgID)
		if _, _, err := svc.CreateGrant(ctx, orgID, api.GrantRequest{Role: "owner", PrincipalType: "user", Principal: "user2@example.com",
			ResourceKind: "cloud", Resource: "dev-cloud"}); err != nil {
			t.Fatal(err)
		}
		if _, _, err := svc.ExemptUser(ctx, orgID, "user1@example.com", "break glass"); err != nil {
			t.Fatal(err)
		}
		if _, _, err := svc.CreateGrant(ctx, orgID, api.GrantRequest{Role: "owner", PrincipalType: "user", Principal: "user1@example.com",
			ResourceKind: "cloud", Resource: "dev-cloud"}); err != nil {
			t.Fatal(err)
		}
		d, err = es.Drift(ctx, orgID)
		if err != nil {
			t.Fatal(err)
		}
		if len(d.NewDirectGrants) != 1 || d.NewDirectGrants[0].UserName != "user2@example.com" || d.NewDirectGrants[0].ResourceName != "dev-cloud" ||
			d.NewDirectGrants[0].CreatedBy != "carol" || !d.Summary.Drifted || d.Summary.UsersExempt != 1 {
			t.Errorf("drift after a new direct grant: %+v %+v", d.NewDirectGrants, d.Summary)
		}
		after := eventTypes(t, st, orgID)
		if after[events.DriftReported] != before[events.DriftReported] {
			t.Error("an on-demand drift report emitted drift.reported")
		}
	})
}

// TestUnboundGroups: a group with active members and no binding of its own or of a group it
// is nested in is unbound; nesting under a bound group binds it.
func TestUnboundGroups(t *testing.T) {
	s := enforce.ReferenceState()
	st := testenv.SQLite(t)
	orgID, _ := testenv.Seed(t, st, "unbound", s)
	ctx := context.Background()
	var users []store.User
	err := st.Update(ctx, func(tx store.Tx) error {
		u, err := tx.UserByUserName(ctx, orgID, "user1@example.com")
		users = append(users, u)
		if err != nil {
			return err
		}
		lone, err := tx.CreateGroup(ctx, store.Group{OrgID: orgID, DisplayName: "lone", Active: true, Doc: []byte(`{"displayName":"lone"}`)})
		if err != nil {
			return err
		}
		if _, err := tx.AddMembers(ctx, orgID, lone.ID, []string{u.ID}); err != nil {
			return err
		}
		empty, err := tx.CreateGroup(ctx, store.Group{OrgID: orgID, DisplayName: "empty", Active: true, Doc: []byte(`{"displayName":"empty"}`)})
		_ = empty
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	d, err := newService(st).Drift(ctx, orgID)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, g := range d.UnboundGroups {
		names = append(names, g.DisplayName)
	}
	if !slices.Contains(names, "lone") || slices.Contains(names, "empty") {
		t.Errorf("unbound groups = %v; want lone (a member, no binding) and not empty (no member)", names)
	}
}

// TestScheduledRunLimitsProperty: over random organizations and random limits, a due
// scheduled run applies only a plan within its limits (users removed, bindings deleted, an
// owner left) and exactly then when auto-apply is on; otherwise it changes nothing but the
// schedule's record. Every due run emits enforce.scheduled and writes one enforce.scheduled
// audit event.
func TestScheduledRunLimitsProperty(t *testing.T) {
	eachBackend(t, func(t *testing.T, st store.Store) { scheduledRunLimits(t, st) })
}

func scheduledRunLimits(t *testing.T, st store.Store) {
	es := newService(st)
	n, applied, reported := 0, 0, 0
	defer func() {
		// Both outcomes must be exercised, or the property says nothing about one of them.
		if !t.Failed() && (applied == 0 || reported == 0) {
			t.Errorf("of %d drawn runs %d applied and %d only reported; want both", n, applied, reported)
		}
		t.Logf("%d drawn runs: %d applied, %d only reported", n, applied, reported)
	}()
	rapid.Check(t, func(rt *rapid.T) {
		s := accesstest.Draw(rt, accesstest.Options{Storable: true, Exempt: true, Public: true})
		n++
		orgID, _ := testenv.Seed(t, st, fmt.Sprint("sched-prop-", n), s)
		if rapid.Bool().Draw(rt, "robotOwner") {
			// An org owner no run touches, so that applying is often allowed.
			svc := service.New(st)
			if _, err := svc.CreateServiceAccount(ctxAs("admin"), orgID, "robot"); err != nil {
				rt.Fatal(err)
			}
			if _, _, err := svc.CreateGrant(ctxAs("admin"), orgID, api.GrantRequest{Role: "owner", PrincipalType: "service_account",
				Principal: "robot", ResourceKind: "organization"}); err != nil {
				rt.Fatal(err)
			}
		}
		req := api.SetDriftScheduleRequest{Every: "1h", FirstRunIn: "0s", AutoApply: rapid.IntRange(0, 3).Draw(rt, "auto") > 0,
			MaxUsersRemoved: rapid.IntRange(0, 6).Draw(rt, "maxRemoved"), MaxBindingsDeleted: rapid.IntRange(0, 16).Draw(rt, "maxDeleted")}
		if _, err := es.SetSchedule(ctxAs("admin"), orgID, req); err != nil {
			rt.Fatal(err)
		}
		pv, err := es.Preview(ctxAs("admin"), orgID)
		if err != nil {
			rt.Fatal(err)
		}
		before := takeSnapshot(t, st, orgID)
		runsBefore := runCount(t, st, orgID)
		done, err := es.RunDue(ctxAs("server"), fmt.Sprint("owner-", n))
		if err != nil {
			rt.Fatal(err)
		}
		res, ok := done[orgID]
		if !ok {
			rt.Fatalf("the due schedule did not run: %v", done)
		}
		p := &pv.Plan
		within := req.AutoApply && !p.Empty() && len(p.RemovedUsers) <= req.MaxUsersRemoved &&
			p.DeleteBindings <= req.MaxBindingsDeleted && p.OwnerAfter
		if res.Applied != within {
			rt.Fatalf("applied=%v but within limits=%v (auto %v, removes %d/%d, deletes %d/%d, owner %v): %s",
				res.Applied, within, req.AutoApply, len(p.RemovedUsers), req.MaxUsersRemoved, p.DeleteBindings, req.MaxBindingsDeleted, p.OwnerAfter, res.Reason)
		}
		if res.Applied {
			applied++
		} else {
			reported++
		}
		if res.Applied {
			r, err := es.Run(ctxAs("admin"), orgID, res.RunID)
			if err != nil {
				rt.Fatal(err)
			}
			if r.RemovedUsers > req.MaxUsersRemoved || r.DeletedBindings > req.MaxBindingsDeleted || r.Actor != enforcegroups.ScheduleActor {
				rt.Fatalf("scheduled run beyond its limits or not by the schedule: %+v", r)
			}
		} else {
			if res.Reason == "" {
				rt.Fatal("a run that did not apply gave no reason")
			}
			if runCount(t, st, orgID) != runsBefore {
				rt.Fatal("a run that did not apply recorded an enforce run")
			}
			if after := takeSnapshot(t, st, orgID); !snapshotsEqual(before, after) {
				rt.Fatal("a run that did not apply changed the organization")
			}
		}
		types := eventTypes(t, st, orgID)
		if types[events.EnforceScheduled] != 1 {
			rt.Fatalf("enforce.scheduled events = %d", types[events.EnforceScheduled])
		}
		var scheduledAudits int
		for _, a := range auditActions(t, st, orgID) {
			if a == audit.ActionEnforceScheduled {
				scheduledAudits++
			}
			if a == audit.ActionEnforceApply {
				rt.Fatal("a scheduled run wrote enforce.apply besides enforce.scheduled")
			}
		}
		if scheduledAudits != 1 {
			rt.Fatalf("enforce.scheduled audit events = %d", scheduledAudits)
		}
		sc, err := es.Schedule(ctxAs("admin"), orgID)
		if err != nil || sc.LastResult == nil || sc.LastResult.Applied != res.Applied || !sc.NextRunAt.After(res.RanAt) {
			rt.Fatalf("schedule after the run: %+v, %v", sc, err)
		}
	})
}

func snapshotsEqual(a, b snapshot) bool { return fmt.Sprint(a) == fmt.Sprint(b) }

// TestScheduleRaceTwoServers: two services on two stores over one PostgreSQL database run
// the same due schedule at once, many times over: exactly one of them runs it each time, and
// the plan is applied once.
func TestScheduleRaceTwoServers(t *testing.T) {
	dsn := sqltest.PostgresDSN(t)
	a, b := sqltest.Open(t, dsn), sqltest.Open(t, dsn)
	for round := range 5 {
		orgID, _ := testenv.Seed(t, a, fmt.Sprint("race-", round), enforce.ReferenceState())
		ea, eb := newService(a), newService(b)
		if _, err := ea.SetSchedule(ctxAs("admin"), orgID, api.SetDriftScheduleRequest{Every: "1h", FirstRunIn: "0s", AutoApply: true,
			MaxUsersRemoved: 5, MaxBindingsDeleted: 50}); err != nil {
			t.Fatal(err)
		}
		var wg sync.WaitGroup
		results := make([]map[string]api.ScheduledRun, 2)
		errs := make([]error, 2)
		start := make(chan struct{})
		for i, es := range []*enforcegroups.Service{ea, eb} {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				results[i], errs[i] = es.RunDue(ctxAs("server"), fmt.Sprint("server-", i))
			}()
		}
		close(start)
		wg.Wait()
		for _, err := range errs {
			if err != nil {
				t.Fatal(err)
			}
		}
		ran := 0
		for _, r := range results {
			if res, ok := r[orgID]; ok {
				ran++
				if !res.Applied {
					t.Errorf("round %d: the run did not apply: %s", round, res.Reason)
				}
			}
		}
		if ran != 1 {
			t.Errorf("round %d: %d servers ran the due schedule, want exactly 1", round, ran)
		}
		if n := runCount(t, a, orgID); n != 1 {
			t.Errorf("round %d: %d enforce runs recorded, want 1", round, n)
		}
		if n := eventTypes(t, a, orgID)[events.EnforceScheduled]; n != 1 {
			t.Errorf("round %d: %d enforce.scheduled events, want 1", round, n)
		}
	}
}

// TestScheduleReplacedWhileRunning: a schedule set again while a server holds its lease is
// free for any server at once under the new settings (the old lease does not block it).
func TestScheduleReplacedWhileRunning(t *testing.T) {
	st := testenv.SQLite(t)
	orgID, _ := testenv.Seed(t, st, "replaced", enforce.ReferenceState())
	es := newService(st)
	if _, err := es.SetSchedule(ctxAs("admin"), orgID, api.SetDriftScheduleRequest{Every: "1h", FirstRunIn: "0s", AutoApply: true,
		MaxUsersRemoved: 5, MaxBindingsDeleted: 50}); err != nil {
		t.Fatal(err)
	}
	// The store's view of a run that claimed the lease, then lost it to a new `schedule set`.
	ctx := context.Background()
	err := st.Update(ctx, func(tx store.Tx) error {
		_, err := tx.ClaimDueSchedules(ctx, store.Now(), "old-server", store.Now().Add(time.Hour), 10)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	set, err := es.SetSchedule(ctxAs("admin"), orgID, api.SetDriftScheduleRequest{Every: "2h", FirstRunIn: "0s"})
	if err != nil {
		t.Fatal(err)
	}
	// The new settings are due at once: a server claims and runs them (report only).
	done, err := es.RunDue(ctxAs("server"), "new-server")
	if err != nil || done[orgID].Applied || done[orgID].Reason != "auto-apply is off: reported only" {
		t.Fatalf("run under the new settings = %+v, %v", done, err)
	}
	if n := runCount(t, st, orgID); n != 0 {
		t.Errorf("%d enforce runs, want none", n)
	}
	sc, err := es.Schedule(ctxAs("admin"), orgID)
	if err != nil || sc.Every != "2h0m0s" || !sc.NextRunAt.After(set.NextRunAt) {
		t.Errorf("schedule = %+v, %v", sc, err)
	}
}

// Concurrent exemptions at the limit: the count and the insert are one step under the org
// lock, so of several racing requests only as many pass as the limit leaves room for.
func TestExemptLimitUnderConcurrency(t *testing.T) {
	eachBackend(t, func(t *testing.T, st store.Store) {
		orgID, _ := testenv.Seed(t, st, "exempt-race", enforce.ReferenceState())
		svc := service.New(st)
		ctx := ctxAs("carol")
		two := 2
		if _, err := svc.UpdateSettings(ctx, orgID, api.UpdateOrgSettingsRequest{MaxExemptions: &two}); err != nil {
			t.Fatal(err)
		}
		users := []string{"user1@example.com", "user2@example.com", "orphan-user@example.com", "admin@example.com"}
		errs := make([]error, len(users))
		var wg sync.WaitGroup
		for i, u := range users {
			wg.Go(func() { _, _, errs[i] = svc.ExemptUser(ctx, orgID, u, "race") })
		}
		wg.Wait()
		ok := 0
		for i, err := range errs {
			switch {
			case err == nil:
				ok++
			case !contains(err.Error(), "its limit"):
				t.Errorf("%s: %v", users[i], err)
			}
		}
		list, err := svc.Exemptions(ctx, orgID)
		if err != nil {
			t.Fatal(err)
		}
		if ok != 2 || len(list.Exemptions) != 2 {
			t.Errorf("%d requests passed and %d users are exempt; the limit is 2", ok, len(list.Exemptions))
		}
	})
}
