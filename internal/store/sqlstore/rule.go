package sqlstore

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/rolecall/rolecall/internal/store"
)

const groupRuleCols = "id, position, name, match_kind, value, resource_kind, resource_name, role, created_at, created_by, updated_at, updated_by"

// GroupRules lists the org's group rules by position, then id.
func (t *tx) GroupRules(ctx context.Context, orgID string) ([]store.GroupRule, error) {
	if err := t.ready(); err != nil {
		return nil, err
	}
	rows, err := t.query(ctx, "SELECT "+groupRuleCols+" FROM group_rules WHERE org_id = $1 ORDER BY position, id", orgID)
	if err != nil {
		return nil, t.d.mapErr(err, "group rules")
	}
	defer rows.Close()
	out := []store.GroupRule{}
	for rows.Next() {
		r := store.GroupRule{OrgID: orgID}
		if err := rows.Scan(&r.ID, &r.Position, &r.Name, &r.Match, &r.Value, &r.ResourceKind, &r.ResourceName, &r.Role,
			timeCol{&r.CreatedAt}, &r.CreatedBy, timeCol{&r.UpdatedAt}, &r.UpdatedBy); err != nil {
			return nil, t.d.mapErr(err, "group rules")
		}
		out = append(out, r)
	}
	return out, t.d.mapErr(rows.Err(), "group rules")
}

// ReplaceGroupRules deletes the org's rules and inserts rules in their place. A set is a few
// hundred rows at most in practice (rules.MaxRules bounds it), so delete-and-insert is
// simpler than a diff and costs one statement per batch.
func (t *tx) ReplaceGroupRules(ctx context.Context, orgID string, rules []store.GroupRule) error {
	if err := t.writableIn(ctx, "ReplaceGroupRules", orgID); err != nil {
		return err
	}
	if err := t.orgExists(ctx, orgID); err != nil {
		return err
	}
	seen := make(map[string]bool, len(rules))
	for _, r := range rules {
		switch {
		case r.ID == "":
			return fmt.Errorf("%w: group rule %q has no id", store.ErrInvalid, r.Name)
		case strings.TrimSpace(r.Name) == "":
			return fmt.Errorf("%w: group rule %q has no name", store.ErrInvalid, r.ID)
		case seen[r.ID]:
			return fmt.Errorf("%w: group rule id %q appears twice", store.ErrInvalid, r.ID)
		}
		seen[r.ID] = true
	}
	if _, err := t.exec(ctx, "DELETE FROM group_rules WHERE org_id = $1", orgID); err != nil {
		return t.d.mapErr(err, "replace group rules")
	}
	err := chunks(rules, insertBatch, func(part []store.GroupRule) error {
		args := make([]any, 0, len(part)*13)
		for _, r := range part {
			args = append(args, orgID, r.ID, r.Position, r.Name, r.Match, r.Value, r.ResourceKind, r.ResourceName, r.Role,
				t.d.t(norm(r.CreatedAt)), r.CreatedBy, t.d.t(norm(r.UpdatedAt)), r.UpdatedBy)
		}
		_, err := t.exec(ctx, "INSERT INTO group_rules (org_id, "+groupRuleCols+") VALUES "+t.d.valuesList(len(part), 13), args...)
		return err
	})
	return t.d.mapErr(err, "replace group rules")
}

// RuleBindings lists the rule-made bindings of the org, or of one rule.
func (t *tx) RuleBindings(ctx context.Context, orgID, ruleID string) ([]store.Binding, error) {
	if err := t.ready(); err != nil {
		return nil, err
	}
	q, args := "SELECT "+bindingSelect+" FROM bindings WHERE org_id = $1 AND rule_id IS NOT NULL", []any{orgID}
	if ruleID != "" {
		q, args = "SELECT "+bindingSelect+" FROM bindings WHERE org_id = $1 AND rule_id = $2", []any{orgID, ruleID}
	}
	out := []store.Binding{}
	err := t.stream(ctx, "rule bindings", q+bindingOrder, args, func(r *countedRows) error {
		b, err := scanBinding(r)
		if err != nil {
			return err
		}
		out = append(out, b)
		return nil
	})
	return out, err
}

// SetBindingRule sets (or, with "", clears) the rule that owns a binding.
func (t *tx) SetBindingRule(ctx context.Context, orgID, bindingID, ruleID string) error {
	if err := t.writableIn(ctx, "SetBindingRule", orgID); err != nil {
		return err
	}
	n, err := t.exec(ctx, "UPDATE bindings SET rule_id = $3 WHERE org_id = $1 AND id = $2", orgID, bindingID, nullable(ruleID))
	if err != nil {
		return t.d.mapErr(err, fmt.Sprintf("binding %q", bindingID))
	}
	if n == 0 {
		return fmt.Errorf("%w: binding %q", store.ErrNotFound, bindingID)
	}
	return nil
}

const ruleChangeCols = "id, org_id, created_at, actor, action, summary, fingerprint, old_rules, new_rules, changes, undo_of, undone_at, undone_by"

func scanRuleChange(sc interface{ Scan(...any) error }) (store.RuleChange, error) {
	var c store.RuleChange
	err := sc.Scan(&c.ID, &c.OrgID, timeCol{&c.CreatedAt}, &c.Actor, &c.Action, &c.Summary, &c.Fingerprint,
		jsonCol{&c.OldRules}, jsonCol{&c.NewRules}, jsonCol{&c.Changes}, &c.UndoOf, timePtrCol{&c.UndoneAt}, &c.UndoneBy)
	return c, err
}

func jsonOr(b json.RawMessage, empty string) any {
	if len(b) == 0 {
		return empty
	}
	return string(b)
}

// CreateRuleChange records a rule change and its restore point.
func (t *tx) CreateRuleChange(ctx context.Context, c store.RuleChange) (store.RuleChange, error) {
	if err := t.writable("CreateRuleChange"); err != nil {
		return store.RuleChange{}, err
	}
	if err := t.orgExists(ctx, c.OrgID); err != nil {
		return store.RuleChange{}, err
	}
	if c.ID == "" {
		c.ID = newID()
	}
	c.CreatedAt = norm(c.CreatedAt)
	c.UndoneAt, c.UndoneBy = nil, ""
	what := fmt.Sprintf("rule change %q", c.ID)
	n, err := t.exec(ctx, `INSERT INTO rule_changes (id, org_id, created_at, actor, action, summary, fingerprint,
			old_rules, new_rules, changes, undo_of, undone_by)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, '') ON CONFLICT DO NOTHING`,
		c.ID, c.OrgID, t.d.t(c.CreatedAt), c.Actor, c.Action, c.Summary, c.Fingerprint,
		jsonOr(c.OldRules, "[]"), jsonOr(c.NewRules, "[]"), jsonOr(c.Changes, "{}"), c.UndoOf)
	if err != nil {
		return store.RuleChange{}, t.d.mapErr(err, what)
	}
	if n == 0 {
		return store.RuleChange{}, fmt.Errorf("%w: %s", store.ErrConflict, what)
	}
	return t.RuleChange(ctx, c.OrgID, c.ID)
}

// RuleChange returns a rule change by id.
func (t *tx) RuleChange(ctx context.Context, orgID, id string) (store.RuleChange, error) {
	if err := t.ready(); err != nil {
		return store.RuleChange{}, err
	}
	what := fmt.Sprintf("rule change %q", id)
	rows, err := t.query(ctx, "SELECT "+ruleChangeCols+" FROM rule_changes WHERE org_id = $1 AND id = $2", orgID, id)
	if err != nil {
		return store.RuleChange{}, t.d.mapErr(err, what)
	}
	defer rows.Close()
	if !rows.Next() {
		if err := rows.Err(); err != nil {
			return store.RuleChange{}, t.d.mapErr(err, what)
		}
		return store.RuleChange{}, fmt.Errorf("%w: %s", store.ErrNotFound, what)
	}
	c, err := scanRuleChange(rows)
	return c, t.d.mapErr(err, what)
}

// ListRuleChanges lists rule changes newest first, with the total. Page.After does not apply.
func (t *tx) ListRuleChanges(ctx context.Context, orgID string, p store.Page) ([]store.RuleChange, int, error) {
	if err := t.ready(); err != nil {
		return nil, 0, err
	}
	var total int
	if err := t.one(ctx, "SELECT count(*) FROM rule_changes WHERE org_id = $1", []any{orgID}, &total); err != nil {
		return nil, 0, t.d.mapErr(err, "list rule changes")
	}
	out := []store.RuleChange{}
	p.After = 0
	page, wanted := t.d.page(p)
	if !wanted {
		return out, total, nil
	}
	rows, err := t.query(ctx, "SELECT "+ruleChangeCols+" FROM rule_changes WHERE org_id = $1 ORDER BY seq DESC"+page, orgID)
	if err != nil {
		return nil, 0, t.d.mapErr(err, "list rule changes")
	}
	defer rows.Close()
	for rows.Next() {
		c, err := scanRuleChange(rows)
		if err != nil {
			return nil, 0, t.d.mapErr(err, "list rule changes")
		}
		out = append(out, c)
	}
	return out, total, t.d.mapErr(rows.Err(), "list rule changes")
}

// MarkRuleChangeUndone records an undo once: a change already undone is ErrConflict.
func (t *tx) MarkRuleChangeUndone(ctx context.Context, orgID, id string, at time.Time, by string) (store.RuleChange, error) {
	if err := t.writable("MarkRuleChangeUndone"); err != nil {
		return store.RuleChange{}, err
	}
	what := fmt.Sprintf("rule change %q", id)
	n, err := t.exec(ctx, `UPDATE rule_changes SET undone_at = $3, undone_by = $4
		WHERE org_id = $1 AND id = $2 AND undone_at IS NULL`, orgID, id, t.d.t(norm(at)), by)
	if err != nil {
		return store.RuleChange{}, t.d.mapErr(err, what)
	}
	if n == 0 {
		if _, err := t.RuleChange(ctx, orgID, id); err != nil {
			return store.RuleChange{}, err
		}
		return store.RuleChange{}, fmt.Errorf("%w: %s was already undone", store.ErrConflict, what)
	}
	return t.RuleChange(ctx, orgID, id)
}
