package sqlstore

import (
	"context"
	"fmt"

	"github.com/rolecall/rolecall/internal/store"
)

// The restore point of an enforce-groups run is moved in and out of the bindings table with
// INSERT … SELECT and one DELETE: a run over 400,000 direct bindings costs a few statements
// whose rows never travel to Go and back (which cost seconds per direction in 500-row
// batches and 5,000-id lists).

// notExempt leaves out the bindings of exempt users (break-glass accounts keep theirs). A
// removed user's exemption does not count, as for the planner (enforce.Build skips removed
// users): its bindings move like everyone's.
const notExempt = ` AND principal_id NOT IN (SELECT e.user_id FROM user_exemptions e
	JOIN users u ON u.org_id = e.org_id AND u.id = e.user_id AND NOT u.removed WHERE e.org_id = $1)`

// runBindingCols are the columns of enforcement_run_bindings that hold a binding.
const runBindingCols = "org_id, run_id, binding_id, resource_id, principal_type, principal_id, role, created_at, created_by"

// MoveUserBindings copies every direct user binding of the org into the run's restore
// point, deletes them, and adds their number to the run's deleted_bindings. On PostgreSQL
// (READ COMMITTED) the delete and the copy are one statement, so that a binding granted
// concurrently is either moved or left alone, never deleted without being kept; SQLite's
// single writer cannot interleave, so there two statements do and their counts must agree.
// Exempt users' bindings stay (notExempt).
func (t *tx) MoveUserBindings(ctx context.Context, orgID, runID string) (int, error) {
	if err := t.writable("MoveUserBindings"); err != nil {
		return 0, err
	}
	if err := t.runExists(ctx, orgID, runID); err != nil {
		return 0, err
	}
	what := fmt.Sprintf("run %q: move direct user bindings", runID)
	var moved int64
	if t.d.name == dialectPostgres {
		n, err := t.exec(ctx, `WITH d AS (DELETE FROM bindings WHERE org_id = $1 AND principal_type = 'user'`+notExempt+`
				RETURNING id, org_id, resource_id, principal_type, principal_id, role, created_at, created_by)
			INSERT INTO enforcement_run_bindings (`+runBindingCols+`)
			SELECT org_id, $2, id, resource_id, principal_type, principal_id, role, created_at, created_by FROM d`,
			orgID, runID)
		if err != nil {
			return 0, t.d.mapErr(err, what)
		}
		moved = n
	} else {
		copied, err := t.exec(ctx, `INSERT INTO enforcement_run_bindings (`+runBindingCols+`)
			SELECT org_id, $2, id, resource_id, principal_type, principal_id, role, created_at, created_by
			FROM bindings WHERE org_id = $1 AND principal_type = 'user'`+notExempt, orgID, runID)
		if err != nil {
			return 0, t.d.mapErr(err, what)
		}
		deleted, err := t.exec(ctx, "DELETE FROM bindings WHERE org_id = $1 AND principal_type = 'user'"+notExempt, orgID)
		if err != nil {
			return 0, t.d.mapErr(err, what)
		}
		if deleted != copied {
			return 0, fmt.Errorf("sqlstore: %s: copied %d bindings but deleted %d", what, copied, deleted)
		}
		moved = deleted
	}
	if _, err := t.exec(ctx, "UPDATE enforcement_runs SET deleted_bindings = deleted_bindings + $3 WHERE org_id = $1 AND id = $2",
		orgID, runID, moved); err != nil {
		return 0, t.d.mapErr(err, what)
	}
	return int(moved), nil
}

// RestoreRunBindings inserts the run's kept bindings but skip, in one INSERT … SELECT that
// takes only those whose resource and principal are live objects of the org; when that
// inserts fewer rows than the restore point holds (minus skip), one was not live:
// ErrNotFound. A binding that exists already violates a unique index: ErrConflict.
func (t *tx) RestoreRunBindings(ctx context.Context, orgID, runID string, skip []string) (int, error) {
	if err := t.writable("RestoreRunBindings"); err != nil {
		return 0, err
	}
	if err := t.runExists(ctx, orgID, runID); err != nil {
		return 0, err
	}
	what := fmt.Sprintf("run %q: restore bindings", runID)
	kept := "rb.org_id = $1 AND rb.run_id = $2 AND rb.binding_id NOT IN " + t.d.list(3)
	args := []any{orgID, runID, t.d.listArg(dedupe(skip))}
	var want int64
	if err := t.one(ctx, "SELECT count(*) FROM enforcement_run_bindings rb WHERE "+kept, args, &want); err != nil {
		return 0, t.d.mapErr(err, what)
	}
	n, err := t.exec(ctx, `INSERT INTO bindings (`+bindingCols+`)
		SELECT rb.binding_id, rb.org_id, rb.resource_id, rb.principal_type, rb.principal_id, rb.role, rb.created_at, rb.created_by, NULL
		FROM enforcement_run_bindings rb
		WHERE `+kept+`
			AND EXISTS (SELECT 1 FROM resources r WHERE r.id = rb.resource_id AND r.org_id = $1)
			AND CASE rb.principal_type
				WHEN 'user' THEN EXISTS (SELECT 1 FROM users u WHERE u.id = rb.principal_id AND u.org_id = $1 AND u.deleted_at IS NULL)
				WHEN 'group' THEN EXISTS (SELECT 1 FROM groups g WHERE g.id = rb.principal_id AND g.org_id = $1 AND g.deleted_at IS NULL)
				WHEN 'service_account' THEN EXISTS (SELECT 1 FROM service_accounts s WHERE s.id = rb.principal_id AND s.org_id = $1)
				ELSE FALSE END`, args...)
	if err != nil {
		return 0, t.d.mapErr(err, what)
	}
	if n != want {
		return 0, fmt.Errorf("%w: %s: %d of the run's bindings name a resource or principal that is not in org %q",
			store.ErrNotFound, what, want-n, orgID)
	}
	return int(n), nil
}
