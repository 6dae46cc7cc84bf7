package sqlstore

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/rolecall/rolecall/internal/store"
)

const auditCols = "seq, org_id, event_time, actor, action, target_type, target_id, before_doc, after_doc, request_id, target_name, summary, subject_type, subject_id, subject_name"

// AppendAudit appends an event; the store assigns Seq (and Time when zero).
func (t *tx) AppendAudit(ctx context.Context, e store.AuditEvent) (store.AuditEvent, error) {
	if err := t.writable("AppendAudit"); err != nil {
		return store.AuditEvent{}, err
	}
	if e.Action == "" {
		return store.AuditEvent{}, fmt.Errorf("%w: audit event without action", store.ErrInvalid)
	}
	if err := t.orgExists(ctx, e.OrgID); err != nil {
		return store.AuditEvent{}, err
	}
	e.Time = norm(e.Time)
	err := t.one(ctx, `INSERT INTO audit_events (org_id, event_time, actor, action, target_type, target_id,
			before_doc, after_doc, request_id, target_name, summary, subject_type, subject_id, subject_name)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14) RETURNING seq`,
		[]any{e.OrgID, t.d.t(e.Time), e.Actor, e.Action, e.TargetType, e.TargetID, jsonArg(e.Before), jsonArg(e.After), e.RequestID,
			e.TargetName, e.Summary, e.SubjectType, e.SubjectID, e.SubjectName},
		&e.Seq)
	if err != nil {
		return store.AuditEvent{}, t.d.mapErr(err, fmt.Sprintf("audit event %q", e.Action))
	}
	return e, nil
}

// ListAudit lists the org's events matching q, newest first, with the total matching. Since
// is inclusive and Until exclusive. With Page.After set, the events after that Seq are
// listed oldest first (store.Page's cursor contract), e.g. to follow new events.
func (t *tx) ListAudit(ctx context.Context, orgID string, q store.AuditQuery) ([]store.AuditEvent, int, error) {
	if err := t.ready(); err != nil {
		return nil, 0, err
	}
	b := newBuilder(t.d, orgID)
	b.w("org_id = $1")
	if !q.Since.IsZero() {
		b.w(" AND event_time >= ", b.arg(t.d.t(q.Since)))
	}
	if !q.Until.IsZero() {
		b.w(" AND event_time < ", b.arg(t.d.t(q.Until)))
	}
	for _, f := range []struct{ col, v string }{
		{"actor", q.Actor}, {"action", q.Action}, {"target_type", q.TargetType}, {"target_id", q.TargetID},
	} {
		if f.v != "" {
			b.w(" AND ", f.col, " = ", b.arg(f.v))
		}
	}
	if len(q.Actions) > 0 {
		// A prefix compares the action's first characters (substr works alike in both
		// dialects, and unlike LIKE gives '_' no meaning).
		b.w(" AND (")
		for i, a := range q.Actions {
			if i > 0 {
				b.w(" OR ")
			}
			if strings.HasSuffix(a, ".") {
				b.w("substr(action, 1, ", strconv.Itoa(len(a)), ") = ", b.arg(a))
			} else {
				b.w("action = ", b.arg(a))
			}
		}
		b.w(")")
	}
	if len(q.About) > 0 {
		b.w(" AND (")
		for i, v := range q.About {
			if i > 0 {
				b.w(" OR ")
			}
			arg := b.arg(v)
			b.w("target_id = ", arg, " OR subject_id = ", arg, " OR target_name = ", arg, " OR subject_name = ", arg)
		}
		b.w(")")
	}
	var total int
	if err := t.one(ctx, "SELECT count(*) FROM audit_events WHERE "+b.b.String(), b.args, &total); err != nil {
		return nil, 0, t.d.mapErr(err, "list audit")
	}
	out := []store.AuditEvent{}
	page, wanted := t.d.page(q.Page)
	if !wanted {
		return out, total, nil
	}
	order := " ORDER BY seq DESC"
	if q.Page.After > 0 {
		b.w(" AND seq > ", b.arg(q.Page.After))
		order = " ORDER BY seq"
	}
	rows, err := t.query(ctx, "SELECT "+auditCols+" FROM audit_events WHERE "+b.b.String()+order+page, b.args...)
	if err != nil {
		return nil, 0, t.d.mapErr(err, "list audit")
	}
	defer rows.Close()
	for rows.Next() {
		var e store.AuditEvent
		if err := rows.Scan(&e.Seq, &e.OrgID, timeCol{&e.Time}, &e.Actor, &e.Action, &e.TargetType, &e.TargetID,
			jsonCol{&e.Before}, jsonCol{&e.After}, &e.RequestID,
			&e.TargetName, &e.Summary, &e.SubjectType, &e.SubjectID, &e.SubjectName); err != nil {
			return nil, 0, t.d.mapErr(err, "list audit")
		}
		out = append(out, e)
	}
	return out, total, t.d.mapErr(rows.Err(), "list audit")
}
