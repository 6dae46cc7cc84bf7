package enforcegroups

import (
	"cmp"
	"context"
	"slices"
	"time"

	"github.com/rolecall/rolecall/internal/access"
	"github.com/rolecall/rolecall/internal/api"
	"github.com/rolecall/rolecall/internal/enforce"
	"github.com/rolecall/rolecall/internal/events"
	"github.com/rolecall/rolecall/internal/service"
	"github.com/rolecall/rolecall/internal/store"
)

// Drift: what a fresh enforce-groups preview would change now, measured against the last
// applied run — the direct user grants made since it, the users in no active group, the
// groups whose membership grants nothing, and the exempt users apart. An on-demand report
// (CLI, admin API, console) only reads and emits no event; a report computed by the org's
// schedule emits drift.reported when it finds drift (schedule.go).

// Drift computes the org's drift report from one consistent snapshot. It never writes.
func (s *Service) Drift(ctx context.Context, orgID string) (api.DriftReport, error) {
	var out api.DriftReport
	err := s.Store.View(ctx, func(tx store.Tx) error {
		st, err := service.LoadState(ctx, tx, orgID)
		if err != nil {
			return err
		}
		out, err = s.drift(ctx, tx, orgID, st, enforce.Compute(st))
		return err
	})
	return out, err
}

// drift builds the report of the org whose state st is and whose fresh plan is plan, read
// in tx.
func (s *Service) drift(ctx context.Context, tx store.Tx, orgID string, st *access.State, plan *enforce.Plan) (api.DriftReport, error) {
	org, err := tx.Org(ctx, orgID)
	if err != nil {
		return api.DriftReport{}, err
	}
	out := api.DriftReport{Org: org.Name, GeneratedAt: s.now(), Plan: wire(plan),
		NewDirectGrants: []api.DriftGrant{}, UsersWithoutGroups: plan.RemovedUsers, UnboundGroups: []api.DriftGroup{}}
	if out.UsersWithoutGroups == nil {
		out.UsersWithoutGroups = []enforce.RemovedUser{}
	}
	last, err := lastAppliedRun(ctx, tx, orgID)
	if err != nil {
		return out, err
	}
	var since time.Time
	if last != nil {
		r := RunToAPI(*last, false)
		out.LastRun, since = &r, last.CreatedAt
	}
	users := make(map[string]access.User, len(st.Users))
	for _, u := range st.Users {
		users[u.ID] = u
	}
	res := make(map[string]access.Resource, len(st.Resources))
	for _, r := range st.Resources {
		res[r.ID] = r
	}
	err = tx.AllBindings(ctx, orgID, func(b store.Binding) error {
		if b.PrincipalType != store.PrincipalUser || (last != nil && !b.CreatedAt.After(since)) {
			return nil
		}
		u, ok := users[b.PrincipalID]
		if !ok || u.Exempt || u.Removed {
			return nil
		}
		r := res[b.ResourceID]
		out.NewDirectGrants = append(out.NewDirectGrants, api.DriftGrant{ID: b.ID, UserID: u.ID, UserName: u.UserName, Role: b.Role,
			ResourceKind: r.Kind.String(), ResourceID: r.ID, ResourceName: r.Name, CreatedAt: b.CreatedAt, CreatedBy: b.CreatedBy})
		return nil
	})
	if err != nil {
		return out, err
	}
	slices.SortFunc(out.NewDirectGrants, func(a, b api.DriftGrant) int {
		return cmp.Or(a.CreatedAt.Compare(b.CreatedAt), cmp.Compare(a.UserName, b.UserName), cmp.Compare(a.ID, b.ID))
	})
	out.UnboundGroups = unboundGroups(st)
	out.Summary = api.DriftSummary{NewDirectGrants: len(out.NewDirectGrants), UsersWithoutGroups: len(out.UsersWithoutGroups),
		UnboundGroups: len(out.UnboundGroups), UsersExempt: len(plan.Exempt), UsersChanged: len(plan.Users), BindingsDeleted: plan.DeleteBindings}
	out.Summary.Drifted = !plan.Empty() || len(out.UnboundGroups) > 0
	return out, nil
}

// lastAppliedRun is the newest run not undone, or nil.
func lastAppliedRun(ctx context.Context, tx store.Tx, orgID string) (*store.Run, error) {
	const page = 100
	for off := 0; ; off += page {
		runs, total, err := tx.ListRuns(ctx, orgID, store.Page{Offset: off, Limit: page})
		if err != nil {
			return nil, err
		}
		for i := range runs {
			if runs[i].UndoneAt == nil {
				return &runs[i], nil
			}
		}
		if off+page >= total || len(runs) == 0 {
			return nil, nil
		}
	}
}

// unboundGroups lists, by displayName, the active groups with at least one active,
// non-removed direct user member whose membership grants nothing: no binding names the group
// or any active group it is nested in (nested groups inherit their parents' roles).
func unboundGroups(st *access.State) []api.DriftGroup {
	active := make(map[string]bool, len(st.Groups))
	for _, g := range st.Groups {
		active[g.ID] = g.Active
	}
	users := make(map[string]bool, len(st.Users))
	for _, u := range st.Users {
		users[u.ID] = u.Active && !u.Removed
	}
	bound := map[string]bool{}
	for _, b := range st.Bindings {
		if b.PrincipalType == access.PrincipalGroup && active[b.PrincipalID] {
			bound[b.PrincipalID] = true
		}
	}
	children := map[string][]string{} // parent group -> groups nested in it
	members := map[string]int{}       // group -> active user members
	for _, m := range st.Memberships {
		switch m.MemberType {
		case access.PrincipalGroup:
			if active[m.GroupID] {
				children[m.GroupID] = append(children[m.GroupID], m.MemberID)
			}
		case access.PrincipalUser:
			if users[m.MemberID] {
				members[m.GroupID]++
			}
		}
	}
	queue := make([]string, 0, len(bound))
	for g := range bound {
		queue = append(queue, g)
	}
	for len(queue) > 0 {
		g := queue[0]
		queue = queue[1:]
		for _, c := range children[g] {
			if !bound[c] && active[c] {
				bound[c] = true
				queue = append(queue, c)
			}
		}
	}
	out := []api.DriftGroup{}
	for _, g := range st.Groups {
		if g.Active && !bound[g.ID] && members[g.ID] > 0 {
			out = append(out, api.DriftGroup{ID: g.ID, DisplayName: g.DisplayName, ActiveMembers: members[g.ID]})
		}
	}
	slices.SortFunc(out, func(a, b api.DriftGroup) int {
		return cmp.Or(cmp.Compare(a.DisplayName, b.DisplayName), cmp.Compare(a.ID, b.ID))
	})
	return out
}

// driftData is the event form of a report.
func driftData(r api.DriftReport, scheduled bool) events.DriftData {
	d := events.DriftData{NewDirectGrants: r.Summary.NewDirectGrants, UsersWithoutGroups: r.Summary.UsersWithoutGroups,
		UnboundGroups: r.Summary.UnboundGroups, UsersExempt: r.Summary.UsersExempt, Scheduled: scheduled, Access: planAccess(&r.Plan)}
	if r.LastRun != nil {
		d.LastRunID = r.LastRun.ID
	}
	return d
}
