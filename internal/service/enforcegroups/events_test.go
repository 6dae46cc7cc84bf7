package enforcegroups_test

import (
	"context"
	"encoding/json"
	"slices"
	"testing"

	"github.com/rolecall/rolecall/internal/api"
	"github.com/rolecall/rolecall/internal/enforce"
	"github.com/rolecall/rolecall/internal/events"
	"github.com/rolecall/rolecall/internal/store"
	"github.com/rolecall/rolecall/internal/testenv"
)

// feedAfter reads the org's events after cursor.
func feedAfter(t *testing.T, st store.Store, orgID string, after int64) []store.Event {
	t.Helper()
	ctx := context.Background()
	var page store.EventPage
	if err := st.View(ctx, func(tx store.Tx) (err error) {
		page, err = tx.EventsAfter(ctx, orgID, store.EventQuery{After: after, Limit: store.MaxEventPage})
		return err
	}); err != nil {
		t.Fatal(err)
	}
	return page.Events
}

// TestApplyAndUndoEvents: apply emits, in its one transaction, the groups-only change, a
// user.removed per removed user, a grant.revoked per deleted binding and enforce.applied;
// undo a grant.created per restored binding, the restored users' events and
// enforce.undone — what an index following the feed needs to stay exact.
func TestApplyAndUndoEvents(t *testing.T) {
	eachBackend(t, func(t *testing.T, st store.Store) {
		svc := newService(st)
		orgID, ids := testenv.Seed(t, st, "acme", enforce.ReferenceState())
		start := int64(0)
		if evs := feedAfter(t, st, orgID, 0); len(evs) > 0 {
			start = evs[len(evs)-1].Seq
		}
		direct := map[string]bool{}
		ctx := context.Background()
		if err := st.View(ctx, func(tx store.Tx) error {
			bs, err := tx.ListBindings(ctx, orgID, store.BindingFilter{PrincipalType: store.PrincipalUser})
			for _, b := range bs {
				direct[b.ID] = true
			}
			return err
		}); err != nil {
			t.Fatal(err)
		}
		pv := preview(t, svc, orgID)
		res, err := svc.Apply(ctxAs("admin"), orgID, api.EnforceApplyRequest{Fingerprint: pv.Plan.Fingerprint, EnableGroupsOnly: true})
		if err != nil {
			t.Fatal(err)
		}
		evs := feedAfter(t, st, orgID, start)
		var types []string
		revoked := map[string]bool{}
		// What apply took away (the kept users' changes and the removed user's roles),
		// each line the other way round: what undo must give back.
		giveBack := map[string]bool{}
		var took []events.RoleChange
		reverse := func(a *events.AccessChanges) { took = append(took, a.Changes...) }
		for i, ev := range evs {
			types = append(types, ev.Type)
			if ev.Seq != evs[0].Seq+int64(i) || ev.Actor != "admin" {
				t.Errorf("event %d: seq %d actor %q", i, ev.Seq, ev.Actor)
			}
			switch events.Type(ev.Type) {
			case events.GrantRevoked:
				var d events.GrantData
				if err := json.Unmarshal(ev.Data, &d); err != nil {
					t.Fatal(err)
				}
				if d.Principal.Type != "user" || d.Principal.Name == "" || d.Resource.Name == "" || d.Role == "" {
					t.Errorf("grant.revoked data %+v", d)
				}
				revoked[d.BindingID] = true
			case events.UserRemoved:
				var d events.UserData
				if err := json.Unmarshal(ev.Data, &d); err != nil {
					t.Fatal(err)
				}
				if d.User.ID != ids["user-orphan"] || d.User.Active || !d.User.Removed {
					t.Errorf("user.removed data %+v", d.User)
				}
				if d.Access == nil {
					t.Fatalf("user.removed carries no access")
				}
				reverse(d.Access)
			case events.EnforceApplied:
				var d events.EnforceRunData
				if err := json.Unmarshal(ev.Data, &d); err != nil {
					t.Fatal(err)
				}
				if d.RunID != res.RunID || d.BindingsDeleted != 6 || d.UsersRemoved != 1 || ev.Subject != "runs/"+res.RunID {
					t.Errorf("enforce.applied %s %+v", ev.Subject, d)
				}
				// The affected users' role changes, as the preview listed them.
				want := 0
				for _, u := range pv.Plan.Users {
					want += len(u.Changes.Clouds) + len(u.Changes.Projects)
					if u.Changes.Organization != nil {
						want++
					}
				}
				if d.Access == nil || len(d.Access.Changes) != want || want == 0 {
					t.Fatalf("enforce.applied access %+v, want the plan's %d changes", d.Access, want)
				}
				for _, c := range d.Access.Changes {
					if c.UserID == "" || c.UserName == "" || c.ResourceID == "" || c.Before == c.After || c.Before == "none" {
						t.Errorf("role change %+v", c)
					}
				}
				reverse(d.Access)
			}
		}
		want := []string{string(events.SettingsChanged), string(events.UserRemoved)}
		for range 6 {
			want = append(want, string(events.GrantRevoked))
		}
		want = append(want, string(events.EnforceApplied))
		if !slices.Equal(types, want) {
			t.Errorf("apply events %q\nwant %q", types, want)
		}
		if len(revoked) != len(direct) {
			t.Errorf("%d bindings revoked by events, %d direct bindings before", len(revoked), len(direct))
		}
		for id := range direct {
			if !revoked[id] {
				t.Errorf("direct binding %s deleted without a grant.revoked event", id)
			}
		}

		// A user who is an org owner again after undo is owner everywhere: as in the
		// preview, only its organization line is listed.
		ownerAgain := map[string]bool{}
		for _, c := range took {
			if c.ResourceKind == "organization" && c.Before == "owner" {
				ownerAgain[c.UserID] = true
			}
		}
		for _, c := range took {
			if !ownerAgain[c.UserID] || c.ResourceKind == "organization" {
				giveBack[c.UserID+" "+c.ResourceID+" "+c.After+"→"+c.Before] = true
			}
		}
		start = evs[len(evs)-1].Seq
		if _, err := svc.Undo(ctxAs("admin2"), orgID, res.RunID); err != nil {
			t.Fatal(err)
		}
		evs = feedAfter(t, st, orgID, start)
		types = types[:0]
		restored := map[string]bool{}
		// What undo gives back: the restored user's roles on its user.reactivated, the
		// others' on enforce.undone, no user on both (the events add up read in order).
		gaveBack, reactivated, undoneUsers := map[string]bool{}, map[string]bool{}, map[string]bool{}
		for _, ev := range evs {
			types = append(types, ev.Type)
			switch ev.Type {
			case string(events.EnforceUndone):
				var d events.EnforceRunData
				if err := json.Unmarshal(ev.Data, &d); err != nil {
					t.Fatal(err)
				}
				if d.Access == nil {
					t.Fatalf("enforce.undone carries no access")
				}
				for _, c := range d.Access.Changes {
					gaveBack[c.UserID+" "+c.ResourceID+" "+c.Before+"→"+c.After] = true
					undoneUsers[c.UserID] = true
				}
			case string(events.UserReactivated):
				var d events.UserData
				if err := json.Unmarshal(ev.Data, &d); err != nil {
					t.Fatal(err)
				}
				if d.Access == nil || len(d.Access.Changes) == 0 {
					t.Errorf("the reactivated user regains nothing: %+v", d.Access)
					break
				}
				for _, c := range d.Access.Changes {
					gaveBack[c.UserID+" "+c.ResourceID+" "+c.Before+"→"+c.After] = true
					reactivated[c.UserID] = true
				}
			}
			if ev.Type == string(events.GrantCreated) {
				var d events.GrantData
				if err := json.Unmarshal(ev.Data, &d); err != nil {
					t.Fatal(err)
				}
				restored[d.BindingID] = true
			}
		}
		want = nil
		for range 6 {
			want = append(want, string(events.GrantCreated))
		}
		want = append(want, string(events.UserReactivated), string(events.EnforceUndone))
		if !slices.Equal(types, want) {
			t.Errorf("undo events %q\nwant %q", types, want)
		}
		if !sameSet(restored, revoked) {
			t.Errorf("undo re-created %v, apply revoked %v", restored, revoked)
		}
		if !sameSet(gaveBack, giveBack) || len(giveBack) == 0 {
			t.Errorf("undo gives back %v\napply took %v", gaveBack, giveBack)
		}
		for u := range reactivated {
			if undoneUsers[u] {
				t.Errorf("user %s's roles are on both user.reactivated and enforce.undone", u)
			}
		}
		if len(reactivated) == 0 || len(undoneUsers) == 0 {
			t.Errorf("reactivated %v, on enforce.undone %v: want users on each", reactivated, undoneUsers)
		}
	})
}

func sameSet(a, b map[string]bool) bool {
	if len(a) != len(b) {
		return false
	}
	for k := range a {
		if !b[k] {
			return false
		}
	}
	return true
}
