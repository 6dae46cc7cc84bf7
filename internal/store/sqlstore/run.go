package sqlstore

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/rolecall/rolecall/internal/store"
)

const runCols = "id, org_id, created_at, actor, fingerprint, plan, deleted_bindings, removed_users, undone_at, undone_by, undo_result"

func scanRun(sc interface{ Scan(...any) error }) (store.Run, error) {
	var r store.Run
	err := sc.Scan(&r.ID, &r.OrgID, timeCol{&r.CreatedAt}, &r.Actor, &r.Fingerprint, jsonCol{&r.Plan}, &r.DeletedBindings,
		&r.RemovedUsers, timePtrCol{&r.UndoneAt}, &r.UndoneBy, jsonCol{&r.UndoResult})
	return r, err
}

// CreateRun records a live enforce-groups run and its restore point: the deleted bindings
// and removed users go to their own tables in multi-row batches. DeletedBindings and
// RemovedUsers are set from the lengths of bindings and users.
func (t *tx) CreateRun(ctx context.Context, r store.Run, bindings []store.Binding, users []store.RunUser) (store.Run, error) {
	if err := t.writable("CreateRun"); err != nil {
		return store.Run{}, err
	}
	if err := t.orgExists(ctx, r.OrgID); err != nil {
		return store.Run{}, err
	}
	if r.ID == "" {
		r.ID = newID()
	}
	r.CreatedAt = norm(r.CreatedAt)
	r.DeletedBindings, r.RemovedUsers = len(bindings), len(users)
	r.UndoneAt, r.UndoneBy, r.UndoResult = nil, "", nil
	what := fmt.Sprintf("run %q", r.ID)
	n, err := t.exec(ctx, `INSERT INTO enforcement_runs (id, org_id, created_at, actor, fingerprint, plan,
			deleted_bindings, removed_users, undone_by)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, '') ON CONFLICT DO NOTHING`,
		r.ID, r.OrgID, t.d.t(r.CreatedAt), r.Actor, r.Fingerprint, jsonArg(r.Plan), r.DeletedBindings, r.RemovedUsers)
	if err != nil {
		return store.Run{}, t.d.mapErr(err, what)
	}
	if n == 0 {
		return store.Run{}, fmt.Errorf("%w: %s", store.ErrConflict, what)
	}
	err = chunks(bindings, insertBatch, func(part []store.Binding) error {
		args := make([]any, 0, len(part)*9)
		for _, b := range part {
			args = append(args, r.OrgID, r.ID, b.ID, b.ResourceID, string(b.PrincipalType), b.PrincipalID, b.Role,
				t.d.t(norm(b.CreatedAt)), b.CreatedBy)
		}
		_, err := t.exec(ctx, `INSERT INTO enforcement_run_bindings (org_id, run_id, binding_id, resource_id,
			principal_type, principal_id, role, created_at, created_by) VALUES `+t.d.valuesList(len(part), 9), args...)
		return err
	})
	if err != nil {
		return store.Run{}, t.d.mapErr(err, what+" bindings")
	}
	err = chunks(users, insertBatch, func(part []store.RunUser) error {
		args := make([]any, 0, len(part)*6)
		for _, u := range part {
			args = append(args, r.OrgID, r.ID, u.UserID, u.UserName, u.WasActive, u.VersionAfter)
		}
		_, err := t.exec(ctx, `INSERT INTO enforcement_run_users (org_id, run_id, user_id, user_name, was_active,
			version_after) VALUES `+t.d.valuesList(len(part), 6), args...)
		return err
	})
	if err != nil {
		return store.Run{}, t.d.mapErr(err, what+" users")
	}
	return r, nil
}

// Run returns a run by id.
func (t *tx) Run(ctx context.Context, orgID, id string) (store.Run, error) {
	if err := t.ready(); err != nil {
		return store.Run{}, err
	}
	rows, err := t.query(ctx, "SELECT "+runCols+" FROM enforcement_runs WHERE org_id = $1 AND id = $2", orgID, id)
	if err != nil {
		return store.Run{}, t.d.mapErr(err, fmt.Sprintf("run %q", id))
	}
	defer rows.Close()
	if !rows.Next() {
		if err := rows.Err(); err != nil {
			return store.Run{}, t.d.mapErr(err, fmt.Sprintf("run %q", id))
		}
		return store.Run{}, fmt.Errorf("%w: run %q", store.ErrNotFound, id)
	}
	r, err := scanRun(rows)
	return r, t.d.mapErr(err, fmt.Sprintf("run %q", id))
}

// ListRuns lists runs newest first, with the total. Page.After does not apply to runs.
func (t *tx) ListRuns(ctx context.Context, orgID string, p store.Page) ([]store.Run, int, error) {
	if err := t.ready(); err != nil {
		return nil, 0, err
	}
	var total int
	if err := t.one(ctx, "SELECT count(*) FROM enforcement_runs WHERE org_id = $1", []any{orgID}, &total); err != nil {
		return nil, 0, t.d.mapErr(err, "list runs")
	}
	out := []store.Run{}
	p.After = 0
	page, wanted := t.d.page(p)
	if !wanted {
		return out, total, nil
	}
	rows, err := t.query(ctx, "SELECT "+runCols+" FROM enforcement_runs WHERE org_id = $1 ORDER BY seq DESC"+page, orgID)
	if err != nil {
		return nil, 0, t.d.mapErr(err, "list runs")
	}
	defer rows.Close()
	for rows.Next() {
		r, err := scanRun(rows)
		if err != nil {
			return nil, 0, t.d.mapErr(err, "list runs")
		}
		out = append(out, r)
	}
	return out, total, t.d.mapErr(rows.Err(), "list runs")
}

func (t *tx) runExists(ctx context.Context, orgID, id string) error {
	ok, err := t.exists(ctx, "SELECT 1 FROM enforcement_runs WHERE org_id = $1 AND id = $2", orgID, id)
	if err != nil {
		return t.d.mapErr(err, fmt.Sprintf("run %q", id))
	}
	if !ok {
		return fmt.Errorf("%w: run %q", store.ErrNotFound, id)
	}
	return nil
}

// RunBindings streams the bindings a run deleted, in binding id order.
func (t *tx) RunBindings(ctx context.Context, orgID, runID string, fn func(store.Binding) error) error {
	if err := t.ready(); err != nil {
		return err
	}
	if err := t.runExists(ctx, orgID, runID); err != nil {
		return err
	}
	return t.stream(ctx, fmt.Sprintf("bindings of run %q", runID), `SELECT binding_id, org_id, resource_id,
			principal_type, principal_id, role, created_at, created_by, ''
		FROM enforcement_run_bindings WHERE org_id = $1 AND run_id = $2 ORDER BY binding_id`,
		[]any{orgID, runID}, func(r *countedRows) error {
			b, err := scanBinding(r)
			if err != nil {
				return err
			}
			return fn(b)
		})
}

// RunUsers lists the users a run removed, by userName.
func (t *tx) RunUsers(ctx context.Context, orgID, runID string) ([]store.RunUser, error) {
	if err := t.ready(); err != nil {
		return nil, err
	}
	if err := t.runExists(ctx, orgID, runID); err != nil {
		return nil, err
	}
	what := fmt.Sprintf("users of run %q", runID)
	rows, err := t.query(ctx, `SELECT user_id, user_name, was_active, version_after FROM enforcement_run_users
		WHERE org_id = $1 AND run_id = $2 ORDER BY user_name, user_id`, orgID, runID)
	if err != nil {
		return nil, t.d.mapErr(err, what)
	}
	defer rows.Close()
	out := []store.RunUser{}
	for rows.Next() {
		var u store.RunUser
		if err := rows.Scan(&u.UserID, &u.UserName, &u.WasActive, &u.VersionAfter); err != nil {
			return nil, t.d.mapErr(err, what)
		}
		out = append(out, u)
	}
	return out, t.d.mapErr(rows.Err(), what)
}

// MarkRunUndone records an undo once: a run already undone is ErrConflict.
func (t *tx) MarkRunUndone(ctx context.Context, orgID, id string, at time.Time, by string, result json.RawMessage) (store.Run, error) {
	if err := t.writable("MarkRunUndone"); err != nil {
		return store.Run{}, err
	}
	n, err := t.exec(ctx, `UPDATE enforcement_runs SET undone_at = $3, undone_by = $4, undo_result = $5
		WHERE org_id = $1 AND id = $2 AND undone_at IS NULL`, orgID, id, t.d.t(norm(at)), by, jsonArg(result))
	if err != nil {
		return store.Run{}, t.d.mapErr(err, fmt.Sprintf("run %q", id))
	}
	if n == 0 {
		if err := t.runExists(ctx, orgID, id); err != nil {
			return store.Run{}, err
		}
		return store.Run{}, fmt.Errorf("%w: run %q was already undone", store.ErrConflict, id)
	}
	return t.Run(ctx, orgID, id)
}
