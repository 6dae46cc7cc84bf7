package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/rolecall/rolecall/internal/store"
)

const scheduleCols = `org_id, every_seconds, auto_apply, max_users_removed, max_bindings_deleted, next_run_at,
	last_run_at, last_result, lease_owner, lease_until, updated_at, updated_by`

func scanSchedule(sc interface{ Scan(...any) error }) (store.DriftSchedule, error) {
	var s store.DriftSchedule
	var every int64
	err := sc.Scan(&s.OrgID, &every, &s.AutoApply, &s.MaxUsersRemoved, &s.MaxBindingsDeleted, timeCol{&s.NextRunAt},
		timePtrCol{&s.LastRunAt}, jsonCol{&s.LastResult}, &s.LeaseOwner, timePtrCol{&s.LeaseUntil}, timeCol{&s.UpdatedAt}, &s.UpdatedBy)
	s.Every = time.Duration(every) * time.Second
	return s, err
}

// DriftSchedule returns the org's schedule.
func (t *tx) DriftSchedule(ctx context.Context, orgID string) (store.DriftSchedule, error) {
	if err := t.ready(); err != nil {
		return store.DriftSchedule{}, err
	}
	rows, err := t.query(ctx, "SELECT "+scheduleCols+" FROM drift_schedules WHERE org_id = $1", orgID)
	if err != nil {
		return store.DriftSchedule{}, t.d.mapErr(err, "drift schedule")
	}
	defer rows.Close()
	if !rows.Next() {
		if err := rows.Err(); err != nil {
			return store.DriftSchedule{}, t.d.mapErr(err, "drift schedule")
		}
		return store.DriftSchedule{}, fmt.Errorf("%w: drift schedule of org %q", store.ErrNotFound, orgID)
	}
	s, err := scanSchedule(rows)
	return s, t.d.mapErr(err, "drift schedule")
}

// PutDriftSchedule creates or replaces the org's schedule settings, keeping its last run and
// freeing its lease.
func (t *tx) PutDriftSchedule(ctx context.Context, s store.DriftSchedule) error {
	if err := t.writable("PutDriftSchedule"); err != nil {
		return err
	}
	if s.Every < time.Second {
		return fmt.Errorf("%w: drift schedule: every %s is below one second", store.ErrInvalid, s.Every)
	}
	if s.MaxUsersRemoved < 0 || s.MaxBindingsDeleted < 0 {
		return fmt.Errorf("%w: drift schedule: negative limit", store.ErrInvalid)
	}
	if err := t.orgExists(ctx, s.OrgID); err != nil {
		return err
	}
	every := int64(s.Every / time.Second)
	_, err := t.exec(ctx, `INSERT INTO drift_schedules (org_id, every_seconds, auto_apply, max_users_removed,
			max_bindings_deleted, next_run_at, updated_at, updated_by)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
		ON CONFLICT (org_id) DO UPDATE SET every_seconds = excluded.every_seconds, auto_apply = excluded.auto_apply,
			max_users_removed = excluded.max_users_removed, max_bindings_deleted = excluded.max_bindings_deleted,
			next_run_at = excluded.next_run_at, updated_at = excluded.updated_at, updated_by = excluded.updated_by,
			lease_owner = '', lease_until = NULL`,
		s.OrgID, every, s.AutoApply, s.MaxUsersRemoved, s.MaxBindingsDeleted, t.d.t(s.NextRunAt), t.d.t(norm(s.UpdatedAt)), s.UpdatedBy)
	return t.d.mapErr(err, fmt.Sprintf("drift schedule of org %q", s.OrgID))
}

// DeleteDriftSchedule turns the org's schedule off.
func (t *tx) DeleteDriftSchedule(ctx context.Context, orgID string) error {
	if err := t.writable("DeleteDriftSchedule"); err != nil {
		return err
	}
	n, err := t.exec(ctx, "DELETE FROM drift_schedules WHERE org_id = $1", orgID)
	if err != nil {
		return t.d.mapErr(err, "drift schedule")
	}
	if n == 0 {
		return fmt.Errorf("%w: drift schedule of org %q", store.ErrNotFound, orgID)
	}
	return nil
}

// ClaimDueSchedules leases due schedules. On PostgreSQL the due rows are read FOR UPDATE
// SKIP LOCKED: a concurrent claimer skips the rows this one locked, and once this one
// commits their lease is taken, so they are not due to anyone else. SQLite has one writer.
func (t *tx) ClaimDueSchedules(ctx context.Context, at time.Time, owner string, until time.Time, limit int) ([]store.DriftSchedule, error) {
	if err := t.writable("ClaimDueSchedules"); err != nil {
		return nil, err
	}
	if owner == "" {
		return nil, fmt.Errorf("%w: ClaimDueSchedules: empty lease owner", store.ErrInvalid)
	}
	if limit <= 0 {
		limit = 1
	}
	lock := ""
	if t.d.name == dialectPostgres {
		lock = " FOR UPDATE SKIP LOCKED"
	}
	nowArg := t.d.t(at)
	rows, err := t.query(ctx, "SELECT "+scheduleCols+` FROM drift_schedules
		WHERE next_run_at <= $1 AND (lease_until IS NULL OR lease_until < $1)
		ORDER BY next_run_at, org_id LIMIT $2`+lock, nowArg, limit)
	if err != nil {
		return nil, t.d.mapErr(err, "claim drift schedules")
	}
	var due []store.DriftSchedule
	for rows.Next() {
		s, err := scanSchedule(rows)
		if err != nil {
			rows.Close()
			return nil, t.d.mapErr(err, "claim drift schedules")
		}
		due = append(due, s)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, t.d.mapErr(err, "claim drift schedules")
	}
	u := norm(until)
	for i := range due {
		if _, err := t.exec(ctx, `UPDATE drift_schedules SET lease_owner = $2, lease_until = $3 WHERE org_id = $1`,
			due[i].OrgID, owner, t.d.t(u)); err != nil {
			return nil, t.d.mapErr(err, "claim drift schedules")
		}
		due[i].LeaseOwner, due[i].LeaseUntil = owner, &u
	}
	return due, nil
}

// FinishScheduleRun records a run by the lease holder and frees the lease.
func (t *tx) FinishScheduleRun(ctx context.Context, orgID, owner string, ranAt, next time.Time, result json.RawMessage) error {
	if err := t.writable("FinishScheduleRun"); err != nil {
		return err
	}
	n, err := t.exec(ctx, `UPDATE drift_schedules SET last_run_at = $3, next_run_at = $4, last_result = $5,
			lease_owner = '', lease_until = NULL
		WHERE org_id = $1 AND lease_owner = $2`, orgID, owner, t.d.t(ranAt), t.d.t(next), jsonArg(result))
	if err != nil {
		return t.d.mapErr(err, "drift schedule run")
	}
	if n > 0 {
		return nil
	}
	var holder string
	err = t.one(ctx, "SELECT lease_owner FROM drift_schedules WHERE org_id = $1", []any{orgID}, &holder)
	if errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("%w: drift schedule of org %q", store.ErrNotFound, orgID)
	}
	if err != nil {
		return t.d.mapErr(err, "drift schedule run")
	}
	return fmt.Errorf("%w: drift schedule of org %q: the lease is held by %q, not %q", store.ErrConflict, orgID, holder, owner)
}
