package enforcegroups_test

import (
	"context"
	"errors"
	"reflect"
	"slices"
	"testing"

	"github.com/rolecall/rolecall/internal/access"
	"github.com/rolecall/rolecall/internal/api"
	"github.com/rolecall/rolecall/internal/audit"
	"github.com/rolecall/rolecall/internal/enforce"
	"github.com/rolecall/rolecall/internal/service/enforcegroups"
	"github.com/rolecall/rolecall/internal/store"
	"github.com/rolecall/rolecall/internal/testenv"
)

func preview(t *testing.T, svc *enforcegroups.Service, orgID string) api.EnforcePreview {
	t.Helper()
	pv, err := svc.Preview(ctxAs("admin"), orgID)
	if err != nil {
		t.Fatal(err)
	}
	return pv
}

func runCount(t *testing.T, st store.Store, orgID string) int {
	t.Helper()
	ctx := context.Background()
	var n int
	if err := st.View(ctx, func(tx store.Tx) (err error) { _, n, err = tx.ListRuns(ctx, orgID, store.Page{Limit: 10}); return err }); err != nil {
		t.Fatal(err)
	}
	return n
}

func auditActions(t *testing.T, st store.Store, orgID string) []string {
	t.Helper()
	ctx := context.Background()
	var evs []store.AuditEvent
	if err := st.View(ctx, func(tx store.Tx) (err error) {
		evs, _, err = tx.ListAudit(ctx, orgID, store.AuditQuery{Page: store.Page{Limit: 1000}})
		return err
	}); err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range evs {
		if e.Actor != testenv.Actor {
			out = append(out, e.Action)
		}
	}
	return out
}

// TestPreviewReference: the seeded reference organization previews exactly as the planner
// plans the reference state, and previewing writes nothing.
func TestPreviewReference(t *testing.T) {
	want := planLines(enforce.Compute(enforce.ReferenceState()))
	eachBackend(t, func(t *testing.T, st store.Store) {
		orgID, _ := testenv.Seed(t, st, "example-org", enforce.ReferenceState())
		before := takeSnapshot(t, st, orgID)
		pv := preview(t, newService(st), orgID)
		if got := planLines(&pv.Plan); !slices.Equal(got, want) {
			t.Errorf("preview:\n%q\nwant:\n%q", got, want)
		}
		if pv.Org != "example-org" || pv.GroupsOnly || !pv.Plan.OwnerAfter || pv.Plan.DeleteBindings != 6 {
			t.Errorf("preview = org %q groupsOnly %v ownerAfter %v deleteBindings %d", pv.Org, pv.GroupsOnly, pv.Plan.OwnerAfter, pv.Plan.DeleteBindings)
		}
		if after := takeSnapshot(t, st, orgID); !reflect.DeepEqual(before, after) {
			t.Error("preview changed the database")
		}
		if got := auditActions(t, st, orgID); len(got) != 0 {
			t.Errorf("preview wrote audit events %v", got)
		}
	})
}

// TestApplyThenUndo: apply does what the plan says, a second preview has nothing to change,
// and undo brings every table back to what it was.
func TestApplyThenUndo(t *testing.T) {
	eachBackend(t, func(t *testing.T, st store.Store) {
		svc := newService(st)
		orgID, ids := testenv.Seed(t, st, "acme", enforce.ReferenceState())
		before := takeSnapshot(t, st, orgID)
		pv := preview(t, svc, orgID)

		res, err := svc.Apply(ctxAs("admin"), orgID, api.EnforceApplyRequest{Fingerprint: pv.Plan.Fingerprint})
		if err != nil {
			t.Fatal(err)
		}
		if !res.Applied || res.RunID == "" || res.Run == nil || res.Run.DeletedBindings != 6 || res.Run.RemovedUsers != 1 {
			t.Fatalf("apply = %+v", res)
		}
		if !reflect.DeepEqual(res.Plan, pv.Plan) {
			t.Errorf("applied plan differs from the preview:\n%+v\n%+v", res.Plan, pv.Plan)
		}
		applied := takeSnapshot(t, st, orgID)
		for _, b := range applied.Bindings {
			if b.PrincipalType == store.PrincipalUser {
				t.Errorf("direct user binding %+v left after apply", b)
			}
		}
		for _, u := range applied.Users {
			orphan := u.ID == ids["user-orphan"]
			if u.Removed != orphan || u.Active == orphan {
				t.Errorf("user %s after apply: active %v removed %v", u.UserName, u.Active, u.Removed)
			}
		}
		if !reflect.DeepEqual(applied.Memberships, before.Memberships) || !reflect.DeepEqual(applied.Groups, before.Groups) {
			t.Error("apply changed groups or memberships")
		}

		again := preview(t, svc, orgID)
		if !again.Plan.Empty() {
			t.Errorf("preview after apply is not empty: %+v", again.Plan)
		}

		run, err := svc.Run(context.Background(), orgID, res.RunID)
		if err != nil || run.Plan == nil || !reflect.DeepEqual(*run.Plan, pv.Plan) || run.Actor != "admin" || run.UndoneAt != nil {
			t.Fatalf("Run = %+v, %v", run, err)
		}

		undo, err := svc.Undo(ctxAs("admin2"), orgID, res.RunID)
		if err != nil {
			t.Fatal(err)
		}
		if undo.RestoredBindings != 6 || undo.RestoredUsers != 1 || undo.SkippedBindings != 0 || undo.SkippedUsers != 0 {
			t.Errorf("undo = %+v", undo)
		}
		if after := takeSnapshot(t, st, orgID); !reflect.DeepEqual(before, after) {
			t.Errorf("state after undo differs from before apply:\nbefore %+v\nafter  %+v", before, after)
		}
		if got := preview(t, svc, orgID).Plan.Fingerprint; got != pv.Plan.Fingerprint {
			t.Errorf("fingerprint after undo %s, before apply %s", got, pv.Plan.Fingerprint)
		}

		_, err = svc.Undo(ctxAs("admin2"), orgID, res.RunID)
		if !errors.Is(err, enforcegroups.ErrAlreadyUndone) {
			t.Errorf("second undo: %v, want ErrAlreadyUndone", err)
		}
		run, err = svc.Run(context.Background(), orgID, res.RunID)
		if err != nil || run.UndoneAt == nil || run.UndoneBy != "admin2" || run.Undo == nil || run.Undo.RestoredBindings != 6 {
			t.Errorf("Run after undo = %+v, %v", run, err)
		}
		if got, want := auditActions(t, st, orgID), []string{audit.ActionEnforceUndo, audit.ActionEnforceApply}; !reflect.DeepEqual(got, want) {
			t.Errorf("audit events %v, want %v (newest first)", got, want)
		}
	})
}

// TestApplyRefusesStalePlan: any write that changes the plan's input between preview and
// apply makes apply refuse and change nothing.
func TestApplyRefusesStalePlan(t *testing.T) {
	writes := []struct {
		name  string
		write func(ctx context.Context, tx store.Tx, orgID string, ids map[string]string) error
	}{
		{"new binding", func(ctx context.Context, tx store.Tx, orgID string, ids map[string]string) error {
			_, _, err := tx.CreateBinding(ctx, store.Binding{OrgID: orgID, ResourceID: ids["project-2"], PrincipalType: store.PrincipalUser,
				PrincipalID: ids["user-2"], Role: "owner", CreatedAt: store.Now()})
			return err
		}},
		{"membership added", func(ctx context.Context, tx store.Tx, orgID string, ids map[string]string) error {
			_, err := tx.AddMembers(ctx, orgID, ids["group-developers"], []string{ids["user-orphan"]})
			return err
		}},
		{"membership removed", func(ctx context.Context, tx store.Tx, orgID string, ids map[string]string) error {
			_, err := tx.RemoveMembers(ctx, orgID, ids["group-backend"], []string{ids["user-1"]})
			return err
		}},
		{"binding deleted", func(ctx context.Context, tx store.Tx, orgID string, ids map[string]string) error {
			_, err := tx.DeleteBinding(ctx, orgID, ids["b-engineering-prod"])
			return err
		}},
	}
	for _, w := range writes {
		t.Run(w.name, func(t *testing.T) {
			eachBackend(t, func(t *testing.T, st store.Store) {
				svc := newService(st)
				orgID, ids := testenv.Seed(t, st, "acme", enforce.ReferenceState())
				pv := preview(t, svc, orgID)
				ctx := ctxAs("idp")
				if err := st.Update(ctx, func(tx store.Tx) error { return w.write(ctx, tx, orgID, ids) }); err != nil {
					t.Fatal(err)
				}
				before := takeSnapshot(t, st, orgID)
				_, err := svc.Apply(ctxAs("admin"), orgID, api.EnforceApplyRequest{Fingerprint: pv.Plan.Fingerprint})
				var stale *enforcegroups.StaleError
				if !errors.As(err, &stale) || !errors.Is(err, enforcegroups.ErrStale) || stale.Previewed != pv.Plan.Fingerprint {
					t.Fatalf("apply after %s: %v, want a StaleError", w.name, err)
				}
				if after := takeSnapshot(t, st, orgID); !reflect.DeepEqual(before, after) {
					t.Error("a refused apply changed the database")
				}
				if n := runCount(t, st, orgID); n != 0 {
					t.Errorf("%d runs recorded", n)
				}
			})
		})
	}
}

// noOwnerState is the reference organization whose owners' group is inactive: nobody owns
// the organization after apply.
func noOwnerState() *access.State {
	s := enforce.ReferenceState()
	for i := range s.Groups {
		if s.Groups[i].DisplayName == "org-admins" {
			s.Groups[i].Active = false
		}
	}
	return s
}

func TestApplyNoOwner(t *testing.T) {
	eachBackend(t, func(t *testing.T, st store.Store) {
		svc := newService(st)
		orgID, _ := testenv.Seed(t, st, "acme", noOwnerState())
		pv := preview(t, svc, orgID)
		if pv.Plan.OwnerAfter {
			t.Fatal("plan keeps an owner")
		}
		before := takeSnapshot(t, st, orgID)
		_, err := svc.Apply(ctxAs("admin"), orgID, api.EnforceApplyRequest{Fingerprint: pv.Plan.Fingerprint})
		var no *enforcegroups.NoOwnerError
		if !errors.As(err, &no) || no.Org != "acme" {
			t.Fatalf("apply: %v, want a NoOwnerError for acme", err)
		}
		want := `after enforce-groups no user or service account would be an owner of organization "acme": grant owner on the organization to a group first, or allow the organization to be left without an owner`
		if err.Error() != want {
			t.Errorf("message %q", err)
		}
		if after := takeSnapshot(t, st, orgID); !reflect.DeepEqual(before, after) {
			t.Error("a refused apply changed the database")
		}
		res, err := svc.Apply(ctxAs("admin"), orgID, api.EnforceApplyRequest{Fingerprint: pv.Plan.Fingerprint, AllowNoOwner: true})
		if err != nil || !res.Applied {
			t.Fatalf("apply with AllowNoOwner: %+v, %v", res, err)
		}
	})
}

// TestApplyNothingToChange: an empty plan records nothing; only groups-only is turned on
// when asked.
func TestApplyNothingToChange(t *testing.T) {
	eachBackend(t, func(t *testing.T, st store.Store) {
		svc := newService(st)
		s := enforce.ReferenceState()
		s.Bindings = slicesDeleteUserBindings(s.Bindings)
		s.Users = s.Users[:2] // user1, user2: both in active groups
		s.Memberships = s.Memberships[:3]
		orgID, _ := testenv.Seed(t, st, "acme", s)
		pv := preview(t, svc, orgID)
		if !pv.Plan.Empty() {
			t.Fatalf("plan not empty: %+v", pv.Plan)
		}
		res, err := svc.Apply(ctxAs("admin"), orgID, api.EnforceApplyRequest{Fingerprint: pv.Plan.Fingerprint})
		if err != nil || res.Applied || res.RunID != "" || res.Run != nil || res.GroupsOnly {
			t.Fatalf("apply = %+v, %v", res, err)
		}
		if n := runCount(t, st, orgID); n != 0 {
			t.Errorf("%d runs recorded for an empty plan", n)
		}
		if got := auditActions(t, st, orgID); len(got) != 0 {
			t.Errorf("audit events %v for an empty plan", got)
		}
		res, err = svc.Apply(ctxAs("admin"), orgID, api.EnforceApplyRequest{Fingerprint: pv.Plan.Fingerprint, EnableGroupsOnly: true})
		if err != nil || res.Applied || !res.GroupsOnly {
			t.Fatalf("apply with EnableGroupsOnly = %+v, %v", res, err)
		}
		if got := auditActions(t, st, orgID); !reflect.DeepEqual(got, []string{audit.ActionOrgSettingsUpdate}) {
			t.Errorf("audit events %v", got)
		}
	})
}

func slicesDeleteUserBindings(bs []access.Binding) []access.Binding {
	var out []access.Binding
	for _, b := range bs {
		if b.PrincipalType != access.PrincipalUser {
			out = append(out, b)
		}
	}
	return out
}

func TestApplyEnablesGroupsOnly(t *testing.T) {
	eachBackend(t, func(t *testing.T, st store.Store) {
		svc := newService(st)
		orgID, _ := testenv.Seed(t, st, "acme", enforce.ReferenceState())
		pv := preview(t, svc, orgID)
		res, err := svc.Apply(ctxAs("admin"), orgID, api.EnforceApplyRequest{Fingerprint: pv.Plan.Fingerprint, EnableGroupsOnly: true})
		if err != nil || !res.Applied || !res.GroupsOnly {
			t.Fatalf("apply = %+v, %v", res, err)
		}
		if s := takeSnapshot(t, st, orgID).Settings; !s.GroupsOnly {
			t.Error("groups-only not stored")
		}
		if got := auditActions(t, st, orgID); !reflect.DeepEqual(got, []string{audit.ActionEnforceApply}) {
			t.Errorf("audit events %v, want one enforce.apply", got)
		}
		undo, err := svc.Undo(ctxAs("admin"), orgID, res.RunID)
		if err != nil || !undo.GroupsOnly {
			t.Errorf("undo = %+v, %v (groups-only stays on)", undo, err)
		}
	})
}

func TestApplyNeedsFingerprint(t *testing.T) {
	st := testenv.SQLite(t)
	orgID, _ := testenv.Seed(t, st, "acme", enforce.ReferenceState())
	_, err := newService(st).Apply(ctxAs("admin"), orgID, api.EnforceApplyRequest{})
	if !errors.Is(err, enforcegroups.ErrNoFingerprint) {
		t.Fatalf("apply without fingerprint: %v", err)
	}
}

// TestUndoSkipsWhatChangedSince: a binding re-granted after the run and a user the IdP
// changed after the run are left as they are and listed with their reasons; the rest is
// restored.
func TestUndoSkipsWhatChangedSince(t *testing.T) {
	eachBackend(t, func(t *testing.T, st store.Store) {
		svc := newService(st)
		orgID, ids := testenv.Seed(t, st, "acme", enforce.ReferenceState())
		pv := preview(t, svc, orgID)
		res, err := svc.Apply(ctxAs("admin"), orgID, api.EnforceApplyRequest{Fingerprint: pv.Plan.Fingerprint})
		if err != nil {
			t.Fatal(err)
		}
		ctx := ctxAs("idp")
		var regrant store.Binding
		err = st.Update(ctx, func(tx store.Tx) error {
			regrant, _, err = tx.CreateBinding(ctx, store.Binding{OrgID: orgID, ResourceID: ids["cloud-staging"],
				PrincipalType: store.PrincipalUser, PrincipalID: ids["user-1"], Role: "owner", CreatedAt: store.Now(), CreatedBy: "admin"})
			if err != nil {
				return err
			}
			u, err := tx.User(ctx, orgID, ids["user-orphan"])
			if err != nil {
				return err
			}
			u.Active, u.Removed, u.DisplayName = true, false, "Back Again"
			_, err = tx.UpdateUser(ctx, u, 0)
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		undo, err := svc.Undo(ctxAs("admin"), orgID, res.RunID)
		if err != nil {
			t.Fatal(err)
		}
		if undo.RestoredBindings != 5 || undo.SkippedBindings != 1 || undo.RestoredUsers != 0 || undo.SkippedUsers != 1 {
			t.Fatalf("undo counts = %+v", undo)
		}
		if b := undo.Bindings[0]; b.Status != api.UndoStatusSkipped || b.Reason != api.UndoRegranted ||
			b.ResourceName != "staging-cloud" || b.PrincipalName != "user1@example.com" || b.Role != "owner" {
			t.Errorf("skipped binding = %+v", b)
		}
		if u := undo.Users[0]; u.Status != api.UndoStatusSkipped || u.Reason != api.UndoUserChanged || u.UserName != "orphan-user@example.com" {
			t.Errorf("skipped user = %+v", u)
		}
		snap := takeSnapshot(t, st, orgID)
		var direct int
		for _, b := range snap.Bindings {
			if b.PrincipalType == store.PrincipalUser {
				direct++
			}
			if b.PrincipalType == store.PrincipalUser && b.ResourceID == ids["cloud-staging"] && b.ID != regrant.ID {
				t.Errorf("the re-granted binding was restored as well: %+v", b)
			}
		}
		if direct != 6 {
			t.Errorf("%d direct bindings after undo, want 6 (5 restored + 1 re-granted)", direct)
		}
		for _, u := range snap.Users {
			if u.ID == ids["user-orphan"] && (!u.Active || u.Removed || u.DisplayName != "Back Again") {
				t.Errorf("undo touched the user the IdP changed: %+v", u)
			}
		}
	})
}

func TestUndoUnknownRun(t *testing.T) {
	st := testenv.SQLite(t)
	orgID, _ := testenv.Seed(t, st, "acme", enforce.ReferenceState())
	_, err := newService(st).Undo(ctxAs("admin"), orgID, "no-such-run")
	if !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("undo of an unknown run: %v", err)
	}
}

// TestRunsAreScopedToTheirOrg: another org sees neither the runs nor can undo them.
func TestRunsAreScopedToTheirOrg(t *testing.T) {
	st := testenv.SQLite(t)
	svc := newService(st)
	orgID, _ := testenv.Seed(t, st, "acme", enforce.ReferenceState())
	s := enforce.ReferenceState()
	for i := range s.Users {
		s.Users[i].UserName = "other-" + s.Users[i].UserName
	}
	other, _ := testenv.Seed(t, st, "other", s)
	pv := preview(t, svc, orgID)
	res, err := svc.Apply(ctxAs("admin"), orgID, api.EnforceApplyRequest{Fingerprint: pv.Plan.Fingerprint})
	if err != nil {
		t.Fatal(err)
	}
	if runs, n, err := svc.Runs(context.Background(), other, store.Page{Limit: 10}); err != nil || n != 0 || len(runs) != 0 {
		t.Errorf("other org lists %v (%d), %v", runs, n, err)
	}
	if _, err := svc.Undo(ctxAs("admin"), other, res.RunID); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("other org undoes the run: %v", err)
	}
	if _, err := svc.Apply(ctxAs("admin"), other, api.EnforceApplyRequest{Fingerprint: pv.Plan.Fingerprint}); !errors.Is(err, enforcegroups.ErrStale) {
		t.Errorf("acme's fingerprint applied to other: %v", err)
	}
	runs, n, err := svc.Runs(context.Background(), orgID, store.Page{Limit: 10})
	if err != nil || n != 1 || runs[0].ID != res.RunID || runs[0].Plan != nil {
		t.Errorf("Runs = %+v (%d), %v", runs, n, err)
	}
}
