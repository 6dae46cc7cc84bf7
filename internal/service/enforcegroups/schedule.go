package enforcegroups

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/rolecall/rolecall/internal/api"
	"github.com/rolecall/rolecall/internal/audit"
	"github.com/rolecall/rolecall/internal/enforce"
	"github.com/rolecall/rolecall/internal/events"
	"github.com/rolecall/rolecall/internal/service"
	"github.com/rolecall/rolecall/internal/store"
)

// The drift schedule: per org, an interval after which a server computes the drift report
// and, when the org opted in (AutoApply), applies enforce-groups as an ordinary run (restore
// point, undoable) provided the plan stays within the limits the admin set; otherwise it
// only reports. Each due run is one transaction that takes the org lock, plans, applies or
// not, emits enforce.scheduled (and drift.reported when it finds drift), writes one audit
// event (enforce.scheduled) and records the run on the schedule; servers claim due
// schedules with a lease first (store.ScheduleTx), so with several servers on one database
// exactly one runs each due schedule.

// ScheduleActor is the audit actor of scheduled runs.
const ScheduleActor = "rolecall (schedule)"

// Schedule bounds.
const (
	MinScheduleEvery = time.Minute
	MaxScheduleEvery = 366 * 24 * time.Hour
	// ScheduleLease is how long a server holds a claimed schedule: a server that dies
	// mid-run leaves it to another after this long.
	ScheduleLease = 10 * time.Minute
)

// ErrNoSchedule: the org has no drift schedule.
var ErrNoSchedule = errors.New("no drift schedule")

// errScheduleChanged: a due run could not record itself because the schedule was set again
// or turned off while it ran (its lease was freed).
var errScheduleChanged = errors.New("the drift schedule changed while it ran")

// ParseEvery parses an interval: Go durations ("24h", "90m") optionally led by whole days
// ("7d", "1d12h").
func ParseEvery(s string) (time.Duration, error) {
	s = strings.TrimSpace(s)
	var d time.Duration
	if i := strings.IndexByte(s, 'd'); i >= 0 {
		n, err := strconv.Atoi(s[:i])
		if err != nil || n < 0 {
			return 0, fmt.Errorf("%q is not a duration: use e.g. 24h, 90m or 7d", s)
		}
		d, s = time.Duration(n)*24*time.Hour, s[i+1:]
		if s == "" {
			return d, nil
		}
	}
	rest, err := time.ParseDuration(s)
	if err != nil {
		return 0, fmt.Errorf("%q is not a duration: use e.g. 24h, 90m or 7d", s)
	}
	return d + rest, nil
}

func badSchedule(msg string) error { return refuse(store.ErrInvalid, msg) }

// SetSchedule creates or replaces the org's drift schedule (one audited transaction).
func (s *Service) SetSchedule(ctx context.Context, orgID string, req api.SetDriftScheduleRequest) (api.DriftSchedule, error) {
	every, err := ParseEvery(req.Every)
	if req.Every == "" {
		return api.DriftSchedule{}, badSchedule("give the interval: --every 24h (at least 1m)")
	}
	if err != nil {
		return api.DriftSchedule{}, badSchedule("every: " + err.Error())
	}
	if every < MinScheduleEvery || every > MaxScheduleEvery {
		return api.DriftSchedule{}, badSchedule(fmt.Sprintf("every %s: use 1m to 366d", every))
	}
	if req.MaxUsersRemoved < 0 || req.MaxBindingsDeleted < 0 {
		return api.DriftSchedule{}, badSchedule("the limits (--max-removed, --max-bindings-deleted) cannot be negative")
	}
	first := every
	if req.FirstRunIn != "" {
		if first, err = ParseEvery(req.FirstRunIn); err != nil {
			return api.DriftSchedule{}, badSchedule("first run in: " + err.Error())
		}
	}
	var out api.DriftSchedule
	err = service.WriteEvents(ctx, s.Store, orgID, func(tx store.Tx, _ *service.Outbox) error {
		var before any
		if old, err := tx.DriftSchedule(ctx, orgID); err == nil {
			b := scheduleView(old)
			before = b
		} else if !errors.Is(err, store.ErrNotFound) {
			return err
		}
		now := s.now()
		sc := store.DriftSchedule{OrgID: orgID, Every: every, AutoApply: req.AutoApply, MaxUsersRemoved: req.MaxUsersRemoved,
			MaxBindingsDeleted: req.MaxBindingsDeleted, NextRunAt: now.Add(first), UpdatedAt: now, UpdatedBy: audit.ActorFrom(ctx).Name}
		if err := tx.PutDriftSchedule(ctx, sc); err != nil {
			return err
		}
		got, err := tx.DriftSchedule(ctx, orgID)
		if err != nil {
			return err
		}
		out = scheduleView(got)
		return audit.Log(ctx, tx, orgID, audit.ActionScheduleSet, audit.TargetDriftSchedule, orgID, before, out)
	})
	return out, err
}

// Schedule reads the org's drift schedule; ErrNoSchedule when it has none.
func (s *Service) Schedule(ctx context.Context, orgID string) (api.DriftSchedule, error) {
	var out api.DriftSchedule
	err := s.Store.View(ctx, func(tx store.Tx) error {
		sc, err := tx.DriftSchedule(ctx, orgID)
		if errors.Is(err, store.ErrNotFound) {
			return noSchedule()
		}
		out = scheduleView(sc)
		return err
	})
	return out, err
}

func noSchedule() error {
	return refuse(ErrNoSchedule, "this organization has no drift schedule; set one with `rolecall scim schedule set --every 24h`")
}

// DeleteSchedule turns the org's schedule off (one audited transaction); ErrNoSchedule when
// it has none.
func (s *Service) DeleteSchedule(ctx context.Context, orgID string) (api.DriftSchedule, error) {
	var out api.DriftSchedule
	err := service.WriteEvents(ctx, s.Store, orgID, func(tx store.Tx, _ *service.Outbox) error {
		sc, err := tx.DriftSchedule(ctx, orgID)
		if errors.Is(err, store.ErrNotFound) {
			return noSchedule()
		}
		if err != nil {
			return err
		}
		out = scheduleView(sc)
		if err := tx.DeleteDriftSchedule(ctx, orgID); err != nil {
			return err
		}
		return audit.Log(ctx, tx, orgID, audit.ActionScheduleDelete, audit.TargetDriftSchedule, orgID, out, nil)
	})
	return out, err
}

func scheduleView(sc store.DriftSchedule) api.DriftSchedule {
	v := api.DriftSchedule{Every: sc.Every.String(), AutoApply: sc.AutoApply, MaxUsersRemoved: sc.MaxUsersRemoved,
		MaxBindingsDeleted: sc.MaxBindingsDeleted, NextRunAt: sc.NextRunAt, LastRunAt: sc.LastRunAt, UpdatedAt: sc.UpdatedAt, UpdatedBy: sc.UpdatedBy}
	if len(sc.LastResult) > 0 {
		var r api.ScheduledRun
		if json.Unmarshal(sc.LastResult, &r) == nil {
			v.LastResult = &r
		}
	}
	return v
}

// scheduled is a due run's schedule, whose limits apply checks under the org lock.
type scheduled struct {
	store.DriftSchedule
}

// beyond says why plan may not be applied by the schedule ("" when it may).
func (sc *scheduled) beyond(plan *enforce.Plan) string {
	switch {
	case !sc.AutoApply:
		return "auto-apply is off: reported only"
	case plan.Empty():
		return "nothing to change"
	case len(plan.RemovedUsers) > sc.MaxUsersRemoved:
		return fmt.Sprintf("would remove %d users, more than the limit of %d", len(plan.RemovedUsers), sc.MaxUsersRemoved)
	case plan.DeleteBindings > sc.MaxBindingsDeleted:
		return fmt.Sprintf("would delete %d direct bindings, more than the limit of %d", plan.DeleteBindings, sc.MaxBindingsDeleted)
	case !plan.OwnerAfter:
		return "would leave the organization without an owner"
	}
	return ""
}

// RunDue claims the schedules due now (as owner, a name unique to this server) and runs
// each; it returns what each did, by org id. A schedule whose run fails is recorded as
// failed and runs again at its next time; the error is returned (joined) for the log.
func (s *Service) RunDue(ctx context.Context, owner string) (map[string]api.ScheduledRun, error) {
	now := s.now()
	var due []store.DriftSchedule
	err := s.Store.Update(ctx, func(tx store.Tx) (err error) {
		due, err = tx.ClaimDueSchedules(ctx, now, owner, now.Add(ScheduleLease), 10)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("claiming due drift schedules: %w", err)
	}
	out := map[string]api.ScheduledRun{}
	var errs []error
	for _, sc := range due {
		r, err := s.runScheduled(ctx, sc, owner)
		if err != nil {
			errs = append(errs, fmt.Errorf("drift schedule of org %s: %w", sc.OrgID, err))
			continue
		}
		out[sc.OrgID] = r
	}
	return out, errors.Join(errs...)
}

// runScheduled runs one claimed schedule: one transaction under the org lock that computes
// the drift, applies within the limits or only reports, emits its events, writes its audit
// event and records the run. When that transaction fails (an IdP write raced the apply, say),
// a second one records the failure instead, so that the schedule moves on.
func (s *Service) runScheduled(ctx context.Context, sc store.DriftSchedule, owner string) (api.ScheduledRun, error) {
	ctx = audit.WithActor(ctx, audit.Actor{Name: ScheduleActor, RequestID: audit.ActorFrom(ctx).RequestID})
	var res api.ScheduledRun
	err := service.WriteEvents(store.OwnTransaction(ctx), s.Store, sc.OrgID, func(tx store.Tx, ob *service.Outbox) error {
		if err := tx.LockOrg(ctx, sc.OrgID); err != nil {
			return err
		}
		st, err := service.LoadState(ctx, tx, sc.OrgID)
		if err != nil {
			return err
		}
		plan := enforce.Compute(st)
		report, err := s.drift(ctx, tx, sc.OrgID, st, plan)
		if err != nil {
			return err
		}
		res = api.ScheduledRun{RanAt: s.now(), Summary: report.Summary}
		lim := &scheduled{sc}
		if res.Reason = lim.beyond(plan); res.Reason == "" {
			applied, err := s.apply(ctx, tx, ob, sc.OrgID, api.EnforceApplyRequest{Fingerprint: plan.Fingerprint}, lim)
			if err != nil {
				return err
			}
			res.Applied, res.RunID = applied.Applied, applied.RunID
		}
		return s.recordScheduled(ctx, tx, ob, sc, owner, res, &report)
	})
	if err == nil {
		return res, nil
	}
	if errors.Is(err, errScheduleChanged) {
		// Set again or turned off while it ran: the new settings win, nothing of this run
		// was kept (its transaction rolled back), and there is nothing to record it on.
		return api.ScheduledRun{RanAt: s.now(), Reason: "the schedule was changed or turned off while it ran: nothing was applied"}, nil
	}
	if ctx.Err() != nil {
		return res, err
	}
	res = api.ScheduledRun{RanAt: s.now(), Reason: "failed: " + err.Error()}
	ferr := service.WriteEvents(ctx, s.Store, sc.OrgID, func(tx store.Tx, ob *service.Outbox) error {
		return s.recordScheduled(ctx, tx, ob, sc, owner, res, nil)
	})
	return res, errors.Join(err, ferr)
}

// recordScheduled emits enforce.scheduled (and drift.reported when report found drift),
// writes the run's audit event and records it on the schedule, freeing the lease.
func (s *Service) recordScheduled(ctx context.Context, tx store.Tx, ob *service.Outbox, sc store.DriftSchedule, owner string,
	res api.ScheduledRun, report *api.DriftReport) error {
	result, err := json.Marshal(res)
	if err != nil {
		return err
	}
	if err := tx.FinishScheduleRun(ctx, sc.OrgID, owner, res.RanAt, res.RanAt.Add(sc.Every), result); err != nil {
		if errors.Is(err, store.ErrConflict) || errors.Is(err, store.ErrNotFound) {
			return fmt.Errorf("%w: %w", errScheduleChanged, err)
		}
		return err
	}
	if report != nil && report.Summary.Drifted {
		ob.Add(events.DriftReported, driftData(*report, true))
	}
	ob.Add(events.EnforceScheduled, events.ScheduledRunData{Applied: res.Applied, RunID: res.RunID, Reason: res.Reason})
	targetType, target := audit.TargetDriftSchedule, sc.OrgID
	if res.RunID != "" {
		targetType, target = audit.TargetEnforceRun, res.RunID
	}
	return audit.Log(ctx, tx, sc.OrgID, audit.ActionEnforceScheduled, targetType, target, scheduleView(sc),
		scheduledAudit{ScheduledRun: res, Every: sc.Every.String(), AutoApply: sc.AutoApply,
			MaxUsersRemoved: sc.MaxUsersRemoved, MaxBindingsDeleted: sc.MaxBindingsDeleted}.withRun())
}

// scheduledAudit is the after of an enforce.scheduled audit event: what the run did and the
// limits it was held to.
type scheduledAudit struct {
	api.ScheduledRun
	Every              string `json:"every"`
	AutoApply          bool   `json:"autoApply"`
	MaxUsersRemoved    int    `json:"maxUsersRemoved"`
	MaxBindingsDeleted int    `json:"maxBindingsDeleted"`
	// RemovedUsers and DeletedBindings are what an applied run did (as enforce.apply's
	// after says it).
	RemovedUsers    int `json:"removedUsers,omitempty"`
	DeletedBindings int `json:"deletedBindings,omitempty"`
}

// withRun fills what an applied run did: the plan it applied is the one the summary counts.
func (a scheduledAudit) withRun() scheduledAudit {
	if a.Applied {
		a.RemovedUsers, a.DeletedBindings = a.Summary.UsersWithoutGroups, a.Summary.BindingsDeleted
	}
	return a
}
