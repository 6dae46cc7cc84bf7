// Package enforcegroups is the service layer's enforce-groups: it previews the planner's
// (package enforce) Plan for an organization from the state service.LoadState reads, applies
// it atomically (one transaction that re-plans under the org lock and refuses when the
// fingerprint moved, with one audit event), records every live run with its restore point,
// lists runs, and undoes a run. It also computes the drift report (drift.go: what a fresh
// preview would change against the last applied run) and runs the orgs' drift schedules
// (schedule.go: claimed with a lease, applied within their limits or only reported). It knows
// nothing of HTTP: the admin API and the console map its errors to statuses and say how to
// override a refusal in their own terms.
//
// It may import service, store, access, enforce, events, audit, api and the standard library (and
// uuid); never a handler package, client or cli. The CLI reaches it only through the admin
// API (packages api and client).
package enforcegroups

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/rolecall/rolecall/internal/access"
	"github.com/rolecall/rolecall/internal/api"
	"github.com/rolecall/rolecall/internal/audit"
	"github.com/rolecall/rolecall/internal/enforce"
	"github.com/rolecall/rolecall/internal/events"
	"github.com/rolecall/rolecall/internal/service"
	"github.com/rolecall/rolecall/internal/store"
)

// Service runs enforce-groups on a store. It reads every org's state with
// service.LoadState, so that enforce-groups and every other access question read the store
// the same way.
type Service struct {
	Store store.Store
	// Now is the clock (tests); store.Now when nil.
	Now func() time.Time
}

// New returns the enforce-groups service over st.
func New(st store.Store) *Service { return &Service{Store: st} }

// Errors. Each is wrapped by an error whose message a person can act on.
var (
	// ErrStale: the organization changed since the preview the caller confirmed.
	ErrStale = errors.New("stale plan")
	// ErrNoOwner: applying would leave the organization without any owner.
	ErrNoOwner = errors.New("no owner after enforce-groups")
	// ErrAlreadyUndone: the run was undone before.
	ErrAlreadyUndone = errors.New("run already undone")
	// ErrNoFingerprint: apply was called without the preview's fingerprint.
	ErrNoFingerprint = errors.New("fingerprint required")
	// ErrBeyondLimits: a scheduled run's plan exceeds the schedule's limits.
	ErrBeyondLimits = errors.New("beyond the schedule's limits")
)

// StaleError says the plan computed at apply time is not the one previewed.
type StaleError struct {
	Previewed, Current string
	// Reason, when set, says what changed while apply ran (Current is then the fingerprint
	// apply computed, equal to Previewed: the change came after it).
	Reason string
}

func (e *StaleError) Error() string {
	if e.Reason != "" {
		return fmt.Sprintf("the organization changed while enforce-groups was applying (%s): nothing was applied; preview again and confirm the new plan", e.Reason)
	}
	return fmt.Sprintf("the organization changed since the preview (plan fingerprint %s, now %s): nothing was applied; preview again and confirm the new plan",
		short(e.Previewed), short(e.Current))
}

// Unwrap makes errors.Is(err, ErrStale) hold.
func (e *StaleError) Unwrap() error { return ErrStale }

// NoOwnerError names the organization that would be left without an owner.
type NoOwnerError struct{ Org string }

// Error says what is refused without naming how a caller overrides it: the CLI, the admin API
// and the console each say that in their own terms.
func (e *NoOwnerError) Error() string {
	return fmt.Sprintf("after enforce-groups no user or service account would be an owner of organization %q: grant owner on the organization to a group first, or allow the organization to be left without an owner", e.Org)
}

// Unwrap makes errors.Is(err, ErrNoOwner) hold.
func (e *NoOwnerError) Unwrap() error { return ErrNoOwner }

// refusal is an error whose message is meant for a person as it is, classified by kind (a
// sentinel of this package or of store) for errors.Is.
type refusal struct {
	kind error
	msg  string
}

func (e *refusal) Error() string { return e.msg }
func (e *refusal) Unwrap() error { return e.kind }

func refuse(kind error, msg string) error { return &refusal{kind: kind, msg: msg} }

// wire returns p as callers receive it, the same in process as over the API: without the
// deleted bindings, which only apply and the run's restore point need.
func wire(p *enforce.Plan) enforce.Plan {
	out := *p
	out.Deletions = nil
	return out
}

func short(fp string) string {
	if len(fp) > 12 {
		return fp[:12]
	}
	if fp == "" {
		return "(none)"
	}
	return fp
}

func (s *Service) now() time.Time {
	if s.Now != nil {
		return s.Now().UTC().Truncate(time.Microsecond)
	}
	return store.Now()
}

// Preview plans the organization from one consistent snapshot. It never writes.
func (s *Service) Preview(ctx context.Context, orgID string) (api.EnforcePreview, error) {
	var out api.EnforcePreview
	err := s.Store.View(ctx, func(tx store.Tx) error {
		org, err := tx.Org(ctx, orgID)
		if err != nil {
			return err
		}
		set, err := tx.Settings(ctx, orgID)
		if err != nil {
			return err
		}
		st, err := service.LoadState(ctx, tx, orgID)
		if err != nil {
			return err
		}
		out = api.EnforcePreview{Org: org.Name, GroupsOnly: set.GroupsOnly, Plan: wire(enforce.Compute(st))}
		return nil
	})
	return out, err
}

// Apply carries out the plan the caller previewed, in one transaction: it locks the org,
// re-plans from the state it sees, and refuses (StaleError, nothing changed) unless the
// fingerprint is the previewed one; it refuses (NoOwnerError) when no owner would remain,
// unless req.AllowNoOwner. Then it deletes every direct user binding, marks the users in no
// active group removed (inactive), records the run with its restore point, turns on
// groups-only when asked, and writes one audit event. An empty plan changes nothing and
// records no run (only groups-only is turned on, if asked and off).
func (s *Service) Apply(ctx context.Context, orgID string, req api.EnforceApplyRequest) (api.EnforceApplyResult, error) {
	if req.Fingerprint == "" {
		return api.EnforceApplyResult{}, refuse(ErrNoFingerprint, "apply needs the fingerprint of the plan you confirmed: take it from the preview (POST /api/v1/enforce/preview)")
	}
	var out api.EnforceApplyResult
	// It moves every direct user binding: a transaction of its own, not a savepoint of a
	// shared one (store.OwnTransaction).
	err := service.WriteEvents(store.OwnTransaction(ctx), s.Store, orgID, func(tx store.Tx, ob *service.Outbox) error {
		var err error
		out, err = s.apply(ctx, tx, ob, orgID, req, nil)
		return err
	})
	if err != nil {
		return api.EnforceApplyResult{}, err
	}
	return out, nil
}

// removedAccess is every role each removed user loses, by user: st with those users
// removed, against st.
func removedAccess(st *access.State, removed []enforce.RemovedUser) map[string][]events.RoleChange {
	if len(removed) == 0 {
		return nil
	}
	ids := make([]string, len(removed))
	gone := make(map[string]bool, len(removed))
	for i, u := range removed {
		ids[i] = u.UserID
		gone[u.UserID] = true
	}
	after := *st
	after.Users = slices.Clone(st.Users)
	for i := range after.Users {
		if gone[after.Users[i].ID] {
			after.Users[i].Removed = true
		}
	}
	_, by := service.UsersChanges(st, &after, ids)
	return by
}

// apply is Apply inside tx. A scheduled run (sched non-nil) applies only a plan within
// sched's limits, computed here under the org lock: otherwise it refuses with an error and
// nothing is written. Its run records sched.drift's audit event instead of enforce.apply.
func (s *Service) apply(ctx context.Context, tx store.Tx, ob *service.Outbox, orgID string, req api.EnforceApplyRequest, sched *scheduled) (api.EnforceApplyResult, error) {
	var out api.EnforceApplyResult
	if err := tx.LockOrg(ctx, orgID); err != nil {
		return out, err
	}
	org, err := tx.Org(ctx, orgID)
	if err != nil {
		return out, err
	}
	st, err := service.LoadState(ctx, tx, orgID)
	if err != nil {
		return out, err
	}
	plan := enforce.Compute(st)
	if plan.Fingerprint != req.Fingerprint {
		return out, &StaleError{Previewed: req.Fingerprint, Current: plan.Fingerprint}
	}
	if sched != nil {
		if why := sched.beyond(plan); why != "" {
			return out, refuse(ErrBeyondLimits, why)
		}
	}
	set, err := tx.Settings(ctx, orgID)
	if err != nil {
		return out, err
	}
	wasGroupsOnly := set.GroupsOnly
	turnOn := req.EnableGroupsOnly && !set.GroupsOnly
	if turnOn {
		set.OrgID, set.GroupsOnly, set.UpdatedAt = orgID, true, s.now()
		if err := tx.PutSettings(ctx, set); err != nil {
			return out, err
		}
		ob.Add(events.SettingsChanged, events.SettingsData{Before: events.Settings{GroupsOnly: false, MaxExemptions: set.MaxExemptions},
			After: events.Settings{GroupsOnly: true, MaxExemptions: set.MaxExemptions}})
	}
	out.Plan = wire(plan)
	out.GroupsOnly = set.GroupsOnly
	if plan.Empty() {
		if turnOn {
			err = audit.Log(ctx, tx, orgID, audit.ActionOrgSettingsUpdate, audit.TargetOrganization, orgID,
				settingsView{GroupsOnly: false}, settingsView{GroupsOnly: true})
		}
		return out, err
	}
	if !plan.OwnerAfter && !req.AllowNoOwner {
		return out, &NoOwnerError{Org: org.Name}
	}

	lost := removedAccess(st, plan.RemovedUsers)
	users := make([]store.RunUser, 0, len(plan.RemovedUsers))
	for _, u := range plan.RemovedUsers {
		after, err := removeUser(ctx, tx, orgID, req.Fingerprint, u)
		if err != nil {
			return out, err
		}
		users = append(users, store.RunUser{UserID: u.UserID, UserName: u.UserName, WasActive: u.Active, VersionAfter: after.Version})
		ob.Add(events.UserRemoved, events.UserData{User: service.EventUser(after), Access: service.ChangesOf(lost, []string{u.UserID})})
	}
	planJSON, err := encodePlan(plan)
	if err != nil {
		return out, err
	}
	actor := audit.ActorFrom(ctx).Name
	run, err := tx.CreateRun(ctx, store.Run{
		OrgID: orgID, CreatedAt: s.now(), Actor: actor, Fingerprint: plan.Fingerprint, Plan: planJSON,
		RemovedUsers: len(users),
	}, nil, users)
	if err != nil {
		return out, fmt.Errorf("recording the run: %w", err)
	}
	if run.DeletedBindings, err = moveDirectBindings(ctx, tx, orgID, run.ID, plan); err != nil {
		return out, err
	}
	revokedEvents(ob, st, plan)
	changes := planAccess(plan)
	ob.Add(events.EnforceApplied, events.EnforceRunData{RunID: run.ID, Scheduled: sched != nil, BindingsDeleted: run.DeletedBindings,
		UsersRemoved: len(users), Access: &changes})
	rv := RunToAPI(run, false)
	out.Applied, out.RunID, out.Run = true, run.ID, &rv
	if sched != nil {
		// The schedule's one audit event (enforce.scheduled) names the run.
		return out, nil
	}
	return out, audit.Log(ctx, tx, orgID, audit.ActionEnforceApply, audit.TargetEnforceRun, run.ID,
		applyAudit{GroupsOnly: wasGroupsOnly},
		applyAudit{RunID: run.ID, Fingerprint: plan.Fingerprint, DeletedBindings: run.DeletedBindings, RemovedUsers: len(users),
			UsersChanged: plan.Summary.UsersChanged, Changes: plan.Summary.Changes, OwnersAfter: plan.Summary.OwnersAfter,
			GroupsOnly: set.GroupsOnly})
}

// removeUser marks u removed, refusing (StaleError) when the user is no longer as planned.
// On PostgreSQL an Update is READ COMMITTED and SCIM writers do not take the org lock, so an
// IdP write to u can commit after apply read the org: without these checks apply would
// overwrite it (a reactivation lost, and the run would record the wrong active flag). The
// user is re-read first (a write committed before this point shows), and its version must
// move by exactly one (a write committed between the read and the update shows); after the
// update the row is locked until commit, so a later writer's conditional update fails and
// retries on the removed user.
func removeUser(ctx context.Context, tx store.Tx, orgID, fingerprint string, u enforce.RemovedUser) (store.User, error) {
	stale := func(why string) error {
		return &StaleError{Previewed: fingerprint, Current: fingerprint, Reason: fmt.Sprintf("user %s %s", u.UserName, why)}
	}
	cur, err := tx.User(ctx, orgID, u.UserID)
	if errors.Is(err, store.ErrNotFound) {
		return store.User{}, stale("was deleted")
	}
	if err != nil {
		return store.User{}, fmt.Errorf("removing user %s: %w", u.UserName, err)
	}
	if cur.Active != u.Active || cur.Removed || cur.UserName != u.UserName {
		return store.User{}, stale("was changed by its identity provider")
	}
	after, err := tx.SetUserRemoved(ctx, orgID, u.UserID, true, false)
	if errors.Is(err, store.ErrNotFound) {
		return store.User{}, stale("was deleted")
	}
	if err != nil {
		return store.User{}, fmt.Errorf("removing user %s: %w", u.UserName, err)
	}
	if after.Version != cur.Version+1 {
		return store.User{}, stale("was changed by its identity provider")
	}
	return after, nil
}

// moveDirectBindings deletes every direct user binding into the run's restore point, in
// the store (set-based: 400,000 bindings never travel through Go). The plan was computed in
// this transaction, under the org lock, and deletes exactly the org's direct user bindings;
// a different count means the plan is wrong, and the transaction is rolled back.
func moveDirectBindings(ctx context.Context, tx store.Tx, orgID, runID string, plan *enforce.Plan) (int, error) {
	if plan.DeleteBindings == 0 {
		return 0, nil
	}
	n, err := tx.MoveUserBindings(ctx, orgID, runID)
	if err != nil {
		return 0, fmt.Errorf("recording the run: %w", err)
	}
	if n != plan.DeleteBindings {
		return 0, fmt.Errorf("enforce-groups: the store held %d direct user bindings but the plan deletes %d", n, plan.DeleteBindings)
	}
	return n, nil
}

// settingsView is how the audit log shows the org setting this package changes.
type settingsView struct {
	GroupsOnly bool `json:"groupsOnly"`
}

// applyAudit is the before/after of an enforce.apply event: the run's summary (the full
// plan is in the run record).
type applyAudit struct {
	RunID           string `json:"runId,omitempty"`
	Fingerprint     string `json:"fingerprint,omitempty"`
	DeletedBindings int    `json:"deletedBindings"`
	RemovedUsers    int    `json:"removedUsers"`
	UsersChanged    int    `json:"usersChanged"`
	Changes         int    `json:"changes"`
	OwnersAfter     int    `json:"ownersAfter"`
	GroupsOnly      bool   `json:"groupsOnly"`
}

// Runs lists the org's runs, newest first, without their plans.
func (s *Service) Runs(ctx context.Context, orgID string, p store.Page) ([]api.EnforceRun, int, error) {
	var (
		out   []api.EnforceRun
		total int
	)
	err := s.Store.View(ctx, func(tx store.Tx) error {
		runs, n, err := tx.ListRuns(ctx, orgID, p)
		if err != nil {
			return err
		}
		total = n
		out = make([]api.EnforceRun, len(runs))
		for i, r := range runs {
			out[i] = RunToAPI(r, false)
		}
		return nil
	})
	return out, total, err
}

// Run returns one run with its plan and, when undone, what the undo did.
func (s *Service) Run(ctx context.Context, orgID, id string) (api.EnforceRun, error) {
	var out api.EnforceRun
	err := s.Store.View(ctx, func(tx store.Tx) error {
		r, err := getRun(ctx, tx, orgID, id)
		if err != nil {
			return err
		}
		out = RunToAPI(r, true)
		return nil
	})
	return out, err
}

func getRun(ctx context.Context, tx store.Tx, orgID, id string) (store.Run, error) {
	r, err := tx.Run(ctx, orgID, id)
	if errors.Is(err, store.ErrNotFound) {
		return r, refuse(store.ErrNotFound, fmt.Sprintf("no enforce-groups run %q in this organization (list them with `rolecall scim runs list`)", id))
	}
	return r, err
}

// planAccess is the effective-role changes of the users the plan lists, as the preview
// computed them (the removed users, which lose everything, have their user.removed events).
func planAccess(plan *enforce.Plan) events.AccessChanges {
	var cs []events.RoleChange
	for _, u := range plan.Users {
		add := func(kind string, c enforce.Change) {
			cs = append(cs, events.RoleChange{UserID: u.UserID, UserName: u.UserName, ResourceKind: kind,
				ResourceID: c.ResourceID, ResourceName: c.Resource, Before: c.Before.String(), After: c.After.String()})
		}
		if c := u.Changes.Organization; c != nil {
			add("organization", *c)
		}
		for _, c := range u.Changes.Clouds {
			add("cloud", c)
		}
		for _, c := range u.Changes.Projects {
			add("project", c)
		}
	}
	return events.NewAccessChanges(cs)
}

// revokedEvents adds a grant.revoked event per direct binding the plan deletes, named from
// the state the plan was computed from (no query: a run may delete 500,000 bindings).
func revokedEvents(ob *service.Outbox, st *access.State, plan *enforce.Plan) {
	if len(plan.Deletions) == 0 {
		return
	}
	users := make(map[string]string, len(st.Users))
	for _, u := range st.Users {
		users[u.ID] = u.UserName
	}
	res := make(map[string]store.Resource, len(st.Resources))
	for _, r := range st.Resources {
		res[r.ID] = store.Resource{ID: r.ID, Kind: store.ResourceKind(r.Kind.String()), Name: r.Name, ParentID: r.ParentID}
	}
	for _, b := range plan.Deletions {
		// Deletions are direct user bindings only (enforce.Plan).
		sb := store.Binding{ID: b.ID, ResourceID: b.ResourceID, PrincipalType: store.PrincipalUser,
			PrincipalID: b.PrincipalID, Role: b.Role.String()}
		ob.Add(events.GrantRevoked, service.GrantEvent(sb, res[b.ResourceID], users[b.PrincipalID]))
	}
}
