package enforcegroups

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"

	"github.com/rolecall/rolecall/internal/api"
	"github.com/rolecall/rolecall/internal/audit"
	"github.com/rolecall/rolecall/internal/events"
	"github.com/rolecall/rolecall/internal/service"
	"github.com/rolecall/rolecall/internal/store"
)

// Undo restores a run's restore point in one transaction under the org lock: the bindings
// it deleted and the users it removed. It leaves alone, and lists with the reason, what
// changed since: a binding equal to one that exists now (re-granted), a binding whose
// resource or user is gone, and a user that is gone or whose version is not the one the run
// left (the IdP changed it). It marks the run undone (a second undo: ErrAlreadyUndone) and
// writes one audit event. The org's groups-only setting is left as it is: it is a setting of
// its own (`rolecall org set --groups-only=false` turns it off).
func (s *Service) Undo(ctx context.Context, orgID, runID string) (api.EnforceUndoResult, error) {
	var out api.EnforceUndoResult
	// It moves every direct user binding: a transaction of its own, not a savepoint of a
	// shared one (store.OwnTransaction).
	err := service.WriteEvents(store.OwnTransaction(ctx), s.Store, orgID, func(tx store.Tx, ob *service.Outbox) error {
		var err error
		out, err = s.undo(ctx, tx, ob, orgID, runID)
		return err
	})
	if err != nil {
		return api.EnforceUndoResult{}, err
	}
	return out, nil
}

// userNow is what undo needs to know of a user that exists now.
type userNow struct {
	name    string
	version int64
}

func (s *Service) undo(ctx context.Context, tx store.Tx, ob *service.Outbox, orgID, runID string) (api.EnforceUndoResult, error) {
	var out api.EnforceUndoResult
	if err := tx.LockOrg(ctx, orgID); err != nil {
		return out, err
	}
	run, err := getRun(ctx, tx, orgID, runID)
	if err != nil {
		return out, err
	}
	if run.UndoneAt != nil {
		return out, alreadyUndone(run)
	}

	// What exists now, read once: a restore point may hold 500,000 bindings, so no
	// per-binding query.
	users := map[string]userNow{}
	err = tx.ScanUsers(ctx, orgID, func(u store.User) error {
		users[u.ID] = userNow{name: u.UserName, version: u.Version}
		return nil
	})
	if err != nil {
		return out, err
	}
	resources := map[string]store.Resource{}
	rs, err := tx.ListResources(ctx, orgID, "", "")
	if err != nil {
		return out, err
	}
	for _, r := range rs {
		resources[r.ID] = r
	}
	type grant struct{ resource, principal, role string }
	granted := map[grant]bool{}
	direct, err := tx.ListBindings(ctx, orgID, store.BindingFilter{PrincipalType: store.PrincipalUser})
	if err != nil {
		return out, err
	}
	for _, b := range direct {
		granted[grant{b.ResourceID, b.PrincipalID, b.Role}] = true
	}
	runUsers, err := tx.RunUsers(ctx, orgID, run.ID)
	if err != nil {
		return out, err
	}
	names := map[string]string{}
	for _, u := range runUsers {
		names[u.UserID] = u.UserName
	}
	var saved []store.Binding
	if err := tx.RunBindings(ctx, orgID, run.ID, func(b store.Binding) error { saved = append(saved, b); return nil }); err != nil {
		return out, err
	}

	// Who the undo can give roles back to: the users of the saved bindings and the removed
	// users, as they are now (their access changes are what enforce.undone carries).
	var reached []string
	for _, b := range saved {
		if _, ok := users[b.PrincipalID]; ok && b.PrincipalType == store.PrincipalUser {
			reached = append(reached, b.PrincipalID)
		}
	}
	for _, ru := range runUsers {
		if _, ok := users[ru.UserID]; ok {
			reached = append(reached, ru.UserID)
		}
	}
	before, err := service.UsersSlice(ctx, tx, orgID, reached)
	if err != nil {
		return out, err
	}

	d := newDetails()
	var skip []string
	restore := 0
	for _, b := range saved {
		v := api.EnforceUndoBinding{ID: b.ID, ResourceID: b.ResourceID, PrincipalType: string(b.PrincipalType),
			PrincipalID: b.PrincipalID, Role: b.Role, Status: api.UndoStatusRestored}
		if r, ok := resources[b.ResourceID]; ok {
			v.ResourceKind, v.ResourceName = string(r.Kind), r.Name
		}
		u, userOK := users[b.PrincipalID]
		v.PrincipalName = u.name
		if !userOK {
			v.PrincipalName = names[b.PrincipalID]
		}
		k := grant{b.ResourceID, b.PrincipalID, b.Role}
		switch {
		case v.ResourceKind == "":
			v.Status, v.Reason = api.UndoStatusSkipped, api.UndoResourceGone
		case b.PrincipalType != store.PrincipalUser || !userOK:
			v.Status, v.Reason = api.UndoStatusSkipped, api.UndoPrincipalGone
		case granted[k]:
			v.Status, v.Reason = api.UndoStatusSkipped, api.UndoRegranted
		default:
			granted[k] = true
			restore++
			// The binding comes back as it was (same id): to a reader, granted again.
			ob.Add(events.GrantCreated, service.GrantEvent(b, resources[b.ResourceID], v.PrincipalName))
		}
		if v.Status == api.UndoStatusSkipped {
			skip = append(skip, b.ID)
		}
		d.binding(v)
	}
	// The restore point goes back set-based, in the store: the rows need not travel again.
	if restore > 0 {
		n, err := tx.RestoreRunBindings(ctx, orgID, run.ID, skip)
		if err != nil {
			return out, fmt.Errorf("restoring bindings: %w", err)
		}
		if n != restore {
			return out, fmt.Errorf("restoring bindings: the store restored %d, undo meant to restore %d", n, restore)
		}
	}

	var back []store.User // restored users, for their events once the access is known
	for _, ru := range runUsers {
		v := api.EnforceUndoUser{ID: ru.UserID, UserName: ru.UserName, Active: ru.WasActive, Status: api.UndoStatusRestored}
		cur, ok := users[ru.UserID]
		switch {
		case !ok:
			v.Status, v.Reason = api.UndoStatusSkipped, api.UndoUserGone
		case cur.version != ru.VersionAfter:
			v.Status, v.Reason = api.UndoStatusSkipped, api.UndoUserChanged
			v.UserName = cur.name
		default:
			after, err := tx.SetUserRemoved(ctx, orgID, ru.UserID, false, ru.WasActive)
			if err != nil {
				return out, fmt.Errorf("restoring user %s: %w", ru.UserName, err)
			}
			// The version was read before the update; on PostgreSQL (READ COMMITTED) an IdP
			// write can commit in between, and restoring over it would lose it.
			if after.Version != cur.version+1 {
				return out, refuse(store.ErrConflict, fmt.Sprintf("user %s was changed by its identity provider while undo ran: nothing was changed; run the undo again (the user will then be skipped)", ru.UserName))
			}
			back = append(back, after)
		}
		d.user(v)
	}
	now, err := service.UsersSlice(ctx, tx, orgID, reached)
	if err != nil {
		return out, err
	}
	_, byUser := service.UsersChanges(before, now, reached)
	// Each restored user's roles are on its user.reactivated; enforce.undone carries the
	// others' (as apply's user.removed and enforce.applied split them), so that the events,
	// read in order, add up.
	restored := make(map[string]bool, len(back))
	for _, u := range back {
		restored[u.ID] = true
	}
	var kept []string
	for _, id := range reached {
		if !restored[id] {
			kept = append(kept, id)
		}
	}
	acc := service.ChangesOf(byUser, kept)
	for _, u := range back {
		if u.Active {
			ob.Add(events.UserReactivated, events.UserData{User: service.EventUser(u), Access: service.ChangesOf(byUser, []string{u.ID})})
		} else {
			// Back to inactive, not removed: it still holds nothing, but the flag readers
			// keep changed.
			ob.Add(events.UserUpdated, events.UserData{User: service.EventUser(u), Changed: []string{"removed"}})
		}
	}

	set, err := tx.Settings(ctx, orgID)
	if err != nil {
		return out, err
	}
	at := s.now()
	actor := audit.ActorFrom(ctx).Name
	out = d.result()
	out.RunID, out.UndoneAt, out.UndoneBy, out.GroupsOnly = run.ID, at, actor, set.GroupsOnly
	doc, err := json.Marshal(out)
	if err != nil {
		return out, err
	}
	_, err = tx.MarkRunUndone(ctx, orgID, run.ID, at, actor, doc)
	if errors.Is(err, store.ErrConflict) {
		return out, alreadyUndone(run)
	}
	if err != nil {
		return out, err
	}
	ob.Add(events.EnforceUndone, events.EnforceRunData{RunID: run.ID, BindingsRestored: out.RestoredBindings, UsersRestored: out.RestoredUsers, Access: acc})
	return out, audit.Log(ctx, tx, orgID, audit.ActionEnforceUndo, audit.TargetEnforceRun, run.ID, RunToAPI(run, false), undoAudit{
		RunID: run.ID, RestoredBindings: out.RestoredBindings, SkippedBindings: out.SkippedBindings,
		RestoredUsers: out.RestoredUsers, SkippedUsers: out.SkippedUsers,
	})
}

func alreadyUndone(r store.Run) error {
	when := "before"
	if r.UndoneAt != nil {
		when = "at " + r.UndoneAt.UTC().Format("2006-01-02T15:04:05Z")
	}
	by := ""
	if r.UndoneBy != "" {
		by = " by " + r.UndoneBy
	}
	return refuse(ErrAlreadyUndone, fmt.Sprintf("enforce-groups run %s was already undone %s%s; nothing was changed", r.ID, when, by))
}

// undoAudit is the after of an enforce.undo event.
type undoAudit struct {
	RunID            string `json:"runId"`
	RestoredBindings int    `json:"restoredBindings"`
	SkippedBindings  int    `json:"skippedBindings"`
	RestoredUsers    int    `json:"restoredUsers"`
	SkippedUsers     int    `json:"skippedUsers"`
}

// details collects the per-item lists of an undo answer: skipped items first (they are what
// a person must look at), then restored ones, at most api.MaxUndoDetails of each kind.
type details struct {
	res                        api.EnforceUndoResult
	skippedB, restoredB        []api.EnforceUndoBinding
	skippedU, restoredU        []api.EnforceUndoUser
	truncatedB, truncatedUsers bool
}

func newDetails() *details { return &details{} }

func (d *details) binding(v api.EnforceUndoBinding) {
	if v.Status == api.UndoStatusSkipped {
		d.res.SkippedBindings++
		d.skippedB = appendCapped(d.skippedB, v, &d.truncatedB)
		return
	}
	d.res.RestoredBindings++
	d.restoredB = appendCapped(d.restoredB, v, &d.truncatedB)
}

func (d *details) user(v api.EnforceUndoUser) {
	if v.Status == api.UndoStatusSkipped {
		d.res.SkippedUsers++
		d.skippedU = appendCapped(d.skippedU, v, &d.truncatedUsers)
		return
	}
	d.res.RestoredUsers++
	d.restoredU = appendCapped(d.restoredU, v, &d.truncatedUsers)
}

func appendCapped[T any](xs []T, v T, truncated *bool) []T {
	if len(xs) >= api.MaxUndoDetails {
		*truncated = true
		return xs
	}
	return append(xs, v)
}

// kindOrder lists bindings the way the preview does: clouds, projects, then the org.
var kindOrder = map[string]int{string(store.KindCloud): 0, string(store.KindProject): 1, string(store.KindOrganization): 2}

func (d *details) result() api.EnforceUndoResult {
	r := d.res
	for _, bs := range [][]api.EnforceUndoBinding{d.skippedB, d.restoredB} {
		slices.SortFunc(bs, func(a, b api.EnforceUndoBinding) int {
			return cmp.Or(cmp.Compare(a.PrincipalName, b.PrincipalName), cmp.Compare(kindOrder[a.ResourceKind], kindOrder[b.ResourceKind]),
				cmp.Compare(a.ResourceName, b.ResourceName), cmp.Compare(a.Role, b.Role), cmp.Compare(a.ID, b.ID))
		})
	}
	for _, us := range [][]api.EnforceUndoUser{d.skippedU, d.restoredU} {
		slices.SortFunc(us, func(a, b api.EnforceUndoUser) int {
			return cmp.Or(cmp.Compare(a.UserName, b.UserName), cmp.Compare(a.ID, b.ID))
		})
	}
	r.Bindings = capped(append(d.skippedB, d.restoredB...), &d.truncatedB)
	r.Users = capped(append(d.skippedU, d.restoredU...), &d.truncatedUsers)
	r.Truncated = d.truncatedB || d.truncatedUsers
	return r
}

func capped[T any](xs []T, truncated *bool) []T {
	if xs == nil {
		return []T{}
	}
	if len(xs) > api.MaxUndoDetails {
		*truncated = true
		return xs[:api.MaxUndoDetails]
	}
	return xs
}
