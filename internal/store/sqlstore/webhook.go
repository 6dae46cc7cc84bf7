package sqlstore

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/rolecall/rolecall/internal/store"
)

// Webhook endpoints, their delivery state and log (store.WebhookTx); see migration 0019.
//
// Leasing. LeaseWebhooks picks due endpoints and writes lease_owner/lease_until on them in
// the same transaction. On PostgreSQL the pick is SELECT … FOR UPDATE SKIP LOCKED: two
// servers leasing at once never pick the same row (the second skips the row the first has
// locked, and once the first commits the row's lease is taken, which the re-checked WHERE
// sees). SQLite's single writer serialises LeaseWebhooks calls, so a plain SELECT is enough.
// AdvanceWebhook writes only where lease_owner is still the caller: a dispatcher whose lease
// expired and was taken by another (or broken by RewindWebhook or removed by DeleteWebhook)
// gets ErrVersionMismatch and stops.

const webhookCols = `org_id, id, url, description, types, enabled, disabled_reason, secrets, created_at, created_by,
	updated_at, cursor, attempts, next_attempt_at, failing_since, last_delivered_at, COALESCE(lease_owner, ''), lease_until`

// secretJSON is one element of the secrets column.
type secretJSON struct {
	Secret    string     `json:"secret"`
	CreatedAt time.Time  `json:"created_at"`
	ExpiresAt *time.Time `json:"expires_at,omitempty"`
}

func scanWebhook(sc interface{ Scan(...any) error }) (store.WebhookEndpoint, error) {
	var e store.WebhookEndpoint
	var types, secrets string
	err := sc.Scan(&e.OrgID, &e.ID, &e.URL, &e.Description, &types, &e.Enabled, &e.DisabledReason, &secrets,
		timeCol{&e.CreatedAt}, &e.CreatedBy, timeCol{&e.UpdatedAt}, &e.Cursor, &e.Attempts, timeCol{&e.NextAttemptAt},
		timePtrCol{&e.FailingSince}, timePtrCol{&e.LastDeliveredAt}, &e.LeaseOwner, timeCol{&e.LeaseUntil})
	if err != nil {
		return e, err
	}
	if err := json.Unmarshal([]byte(types), &e.Types); err != nil {
		return e, fmt.Errorf("sqlstore: webhook %s: types: %w", e.ID, err)
	}
	var ss []secretJSON
	if err := json.Unmarshal([]byte(secrets), &ss); err != nil {
		return e, fmt.Errorf("sqlstore: webhook %s: secrets: %w", e.ID, err)
	}
	e.Secrets = make([]store.WebhookSecret, len(ss))
	for i, s := range ss {
		e.Secrets[i] = store.WebhookSecret{Secret: s.Secret, CreatedAt: s.CreatedAt.UTC(), ExpiresAt: s.ExpiresAt}
		if s.ExpiresAt != nil {
			v := s.ExpiresAt.UTC()
			e.Secrets[i].ExpiresAt = &v
		}
	}
	if e.Types == nil {
		e.Types = []string{}
	}
	return e, nil
}

// webhookText encodes the JSON columns and checks what both backends must refuse alike.
func webhookText(e *store.WebhookEndpoint) (types, secrets string, err error) {
	if strings.TrimSpace(e.URL) == "" {
		return "", "", fmt.Errorf("%w: webhook URL is empty", store.ErrInvalid)
	}
	if len(e.Secrets) == 0 {
		return "", "", fmt.Errorf("%w: webhook has no signing secret", store.ErrInvalid)
	}
	if !e.Enabled && e.DisabledReason == "" {
		e.DisabledReason = store.WebhookDisabledByAdmin
	}
	if e.Enabled {
		e.DisabledReason = ""
	}
	if e.Types == nil {
		e.Types = []string{}
	}
	tb, err := json.Marshal(e.Types)
	if err != nil {
		return "", "", err
	}
	ss := make([]secretJSON, len(e.Secrets))
	for i, s := range e.Secrets {
		if s.Secret == "" {
			return "", "", fmt.Errorf("%w: webhook secret %d is empty", store.ErrInvalid, i+1)
		}
		e.Secrets[i].CreatedAt = norm(s.CreatedAt)
		e.Secrets[i].ExpiresAt = normPtr(s.ExpiresAt)
		ss[i] = secretJSON{Secret: s.Secret, CreatedAt: e.Secrets[i].CreatedAt, ExpiresAt: e.Secrets[i].ExpiresAt}
	}
	sb, err := json.Marshal(ss)
	if err != nil {
		return "", "", err
	}
	return string(tb), string(sb), nil
}

// CreateWebhook stores a new endpoint whose cursor is the org's revision: it receives the
// events committed after it.
func (t *tx) CreateWebhook(ctx context.Context, e store.WebhookEndpoint) (store.WebhookEndpoint, error) {
	if err := t.writable("CreateWebhook"); err != nil {
		return store.WebhookEndpoint{}, err
	}
	types, secrets, err := webhookText(&e)
	if err != nil {
		return store.WebhookEndpoint{}, err
	}
	if err := t.orgExists(ctx, e.OrgID); err != nil {
		return store.WebhookEndpoint{}, err
	}
	if e.Cursor, err = t.revision(ctx, e.OrgID); err != nil {
		return store.WebhookEndpoint{}, err
	}
	if e.ID == "" {
		e.ID = newID()
	}
	e.CreatedAt = norm(e.CreatedAt)
	e.UpdatedAt = e.CreatedAt
	e.NextAttemptAt = e.CreatedAt
	e.Attempts, e.FailingSince, e.LastDeliveredAt = 0, nil, nil
	_, err = t.exec(ctx, `INSERT INTO webhooks (org_id, id, url, description, types, enabled, disabled_reason, secrets,
			created_at, created_by, updated_at, cursor, attempts, next_attempt_at, failing_since, last_delivered_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, 0, $13, NULL, NULL)`,
		e.OrgID, e.ID, e.URL, e.Description, types, e.Enabled, e.DisabledReason, secrets,
		t.d.t(e.CreatedAt), e.CreatedBy, t.d.t(e.UpdatedAt), e.Cursor, t.d.t(e.NextAttemptAt))
	if err != nil {
		if t.d.isUnique(err) {
			return store.WebhookEndpoint{}, fmt.Errorf("%w: webhook %q", store.ErrConflict, e.ID)
		}
		return store.WebhookEndpoint{}, t.d.mapErr(err, "webhook")
	}
	return e, nil
}

// Webhook returns one endpoint of the org.
func (t *tx) Webhook(ctx context.Context, orgID, id string) (store.WebhookEndpoint, error) {
	if err := t.ready(); err != nil {
		return store.WebhookEndpoint{}, err
	}
	what := fmt.Sprintf("webhook %q", id)
	rows, err := t.query(ctx, "SELECT "+webhookCols+" FROM webhooks WHERE org_id = $1 AND id = $2", orgID, id)
	if err != nil {
		return store.WebhookEndpoint{}, t.d.mapErr(err, what)
	}
	defer rows.Close()
	if !rows.Next() {
		if err := rows.Err(); err != nil {
			return store.WebhookEndpoint{}, t.d.mapErr(err, what)
		}
		return store.WebhookEndpoint{}, fmt.Errorf("%w: %s", store.ErrNotFound, what)
	}
	e, err := scanWebhook(rows)
	if err != nil {
		return store.WebhookEndpoint{}, t.d.mapErr(err, what)
	}
	return e, nil
}

// ListWebhooks lists the org's endpoints by creation time.
func (t *tx) ListWebhooks(ctx context.Context, orgID string) ([]store.WebhookEndpoint, error) {
	out := []store.WebhookEndpoint{}
	err := t.stream(ctx, "webhooks", "SELECT "+webhookCols+" FROM webhooks WHERE org_id = $1 ORDER BY created_at, id",
		[]any{orgID}, func(rows *countedRows) error {
			e, err := scanWebhook(rows)
			if err != nil {
				return t.d.mapErr(err, "webhooks")
			}
			out = append(out, e)
			return nil
		})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// WebhookOrgs lists the orgs with an enabled endpoint.
func (t *tx) WebhookOrgs(ctx context.Context) ([]string, error) {
	out := []string{}
	err := t.stream(ctx, "webhook orgs", "SELECT DISTINCT org_id FROM webhooks WHERE enabled ORDER BY org_id", nil,
		func(rows *countedRows) error {
			var id string
			if err := rows.Scan(&id); err != nil {
				return err
			}
			out = append(out, id)
			return nil
		})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// UpdateWebhook replaces the endpoint's settings (never its delivery state); enabling a
// disabled endpoint makes it due at once. It breaks the lease, as RewindWebhook does: the
// holder's next write of progress is refused, so it stops sending with the old URL or
// secrets, and whoever leases the endpoint next sends with the new ones.
func (t *tx) UpdateWebhook(ctx context.Context, e store.WebhookEndpoint) (store.WebhookEndpoint, error) {
	if err := t.writable("UpdateWebhook"); err != nil {
		return store.WebhookEndpoint{}, err
	}
	types, secrets, err := webhookText(&e)
	if err != nil {
		return store.WebhookEndpoint{}, err
	}
	at := now()
	// Enabling (enabled was false, is now true) resets the backoff: the admin wants it tried.
	n, err := t.exec(ctx, `UPDATE webhooks SET url = $3, description = $4, types = $5, disabled_reason = $7,
			secrets = $8, updated_at = $9,
			attempts = CASE WHEN enabled THEN attempts WHEN $6 THEN 0 ELSE attempts END,
			next_attempt_at = CASE WHEN enabled THEN next_attempt_at WHEN $6 THEN $9 ELSE next_attempt_at END,
			failing_since = CASE WHEN enabled THEN failing_since WHEN $6 THEN NULL ELSE failing_since END,
			enabled = $6, lease_owner = NULL, lease_until = NULL
		WHERE org_id = $1 AND id = $2`,
		e.OrgID, e.ID, e.URL, e.Description, types, e.Enabled, e.DisabledReason, secrets, t.d.t(at))
	if err != nil {
		return store.WebhookEndpoint{}, t.d.mapErr(err, fmt.Sprintf("webhook %q", e.ID))
	}
	if n == 0 {
		return store.WebhookEndpoint{}, fmt.Errorf("%w: webhook %q", store.ErrNotFound, e.ID)
	}
	return t.Webhook(ctx, e.OrgID, e.ID)
}

// DeleteWebhook deletes the endpoint and its delivery log.
func (t *tx) DeleteWebhook(ctx context.Context, orgID, id string) error {
	if err := t.writable("DeleteWebhook"); err != nil {
		return err
	}
	n, err := t.exec(ctx, "DELETE FROM webhooks WHERE org_id = $1 AND id = $2", orgID, id)
	if err != nil {
		return t.d.mapErr(err, fmt.Sprintf("webhook %q", id))
	}
	if n == 0 {
		return fmt.Errorf("%w: webhook %q", store.ErrNotFound, id)
	}
	if _, err := t.exec(ctx, "DELETE FROM webhook_attempts WHERE org_id = $1 AND endpoint_id = $2", orgID, id); err != nil {
		return t.d.mapErr(err, fmt.Sprintf("delivery log of webhook %q", id))
	}
	return nil
}

// RewindWebhook moves the cursor back and breaks the lease (store.WebhookTx).
func (t *tx) RewindWebhook(ctx context.Context, orgID, id string, cursor int64) (store.WebhookEndpoint, error) {
	if err := t.writable("RewindWebhook"); err != nil {
		return store.WebhookEndpoint{}, err
	}
	e, err := t.Webhook(ctx, orgID, id)
	if err != nil {
		return store.WebhookEndpoint{}, err
	}
	if cursor < 0 || cursor > e.Cursor {
		return store.WebhookEndpoint{}, fmt.Errorf("%w: webhook %q can be rewound to 0..%d (its position), not %d",
			store.ErrInvalid, id, e.Cursor, cursor)
	}
	at := now()
	_, err = t.exec(ctx, `UPDATE webhooks SET cursor = $3, attempts = 0, next_attempt_at = $4, failing_since = NULL,
			lease_owner = NULL, lease_until = NULL
		WHERE org_id = $1 AND id = $2`, orgID, id, cursor, t.d.t(at))
	if err != nil {
		return store.WebhookEndpoint{}, t.d.mapErr(err, fmt.Sprintf("webhook %q", id))
	}
	e.Cursor, e.Attempts, e.NextAttemptAt, e.FailingSince = cursor, 0, at, nil
	return e, nil
}

// LeaseWebhooks leases due endpoints that have events to handle (store.WebhookTx).
func (t *tx) LeaseWebhooks(ctx context.Context, owner string, now, until time.Time, limit int) ([]store.WebhookEndpoint, error) {
	if err := t.writable("LeaseWebhooks"); err != nil {
		return nil, err
	}
	if owner == "" || limit <= 0 {
		return nil, fmt.Errorf("%w: LeaseWebhooks needs an owner and a limit > 0", store.ErrInvalid)
	}
	lock := ""
	if t.d.name == dialectPostgres {
		lock = " FOR UPDATE OF w SKIP LOCKED"
	}
	type key struct{ org, id string }
	var picked []key
	err := t.stream(ctx, "due webhooks", `SELECT w.org_id, w.id FROM webhooks w JOIN org_revisions r ON r.org_id = w.org_id
		WHERE w.enabled AND w.next_attempt_at <= $1 AND (w.lease_until IS NULL OR w.lease_until <= $1)
			AND w.cursor < r.revision
		ORDER BY w.next_attempt_at, w.org_id, w.id LIMIT `+fmt.Sprint(limit)+lock,
		[]any{t.d.t(now)}, func(rows *countedRows) error {
			var k key
			if err := rows.Scan(&k.org, &k.id); err != nil {
				return t.d.mapErr(err, "due webhooks")
			}
			picked = append(picked, k)
			return nil
		})
	if err != nil {
		return nil, err
	}
	out := make([]store.WebhookEndpoint, 0, len(picked))
	for _, k := range picked {
		what := fmt.Sprintf("webhook %q", k.id)
		rows, err := t.query(ctx, `UPDATE webhooks SET lease_owner = $3, lease_until = $4 WHERE org_id = $1 AND id = $2
			RETURNING `+webhookCols, k.org, k.id, owner, t.d.t(until))
		if err != nil {
			return nil, t.d.mapErr(err, what)
		}
		if rows.Next() {
			e, err := scanWebhook(rows)
			if err != nil {
				rows.Close()
				return nil, t.d.mapErr(err, what)
			}
			out = append(out, e)
		}
		err = rows.Err()
		rows.Close()
		if err != nil {
			return nil, t.d.mapErr(err, what)
		}
	}
	return out, nil
}

// AdvanceWebhook writes a leased endpoint's progress (store.WebhookTx).
func (t *tx) AdvanceWebhook(ctx context.Context, orgID, id, owner string, p store.WebhookProgress, release bool) error {
	if err := t.writable("AdvanceWebhook"); err != nil {
		return err
	}
	keep := p.Disable == ""
	var leaseOwner, leaseUntil any = owner, nil
	if release || !keep {
		leaseOwner = nil
	}
	q := `UPDATE webhooks SET cursor = $4, attempts = $5, next_attempt_at = $6, failing_since = $7,
			last_delivered_at = $8, enabled = (enabled AND $9),
			disabled_reason = CASE WHEN $9 THEN disabled_reason ELSE $10 END,
			lease_owner = $11, lease_until = `
	args := []any{orgID, id, owner, p.Cursor, p.Attempts, t.d.t(norm(p.NextAttemptAt)), t.d.tp(normPtr(p.FailingSince)),
		t.d.tp(normPtr(p.LastDeliveredAt)), keep, p.Disable, leaseOwner}
	switch {
	case leaseOwner == nil:
		q += "NULL"
	case !p.RenewUntil.IsZero():
		leaseUntil = t.d.t(p.RenewUntil)
		q += "$12"
		args = append(args, leaseUntil)
	default:
		q += "lease_until"
	}
	n, err := t.exec(ctx, q+" WHERE org_id = $1 AND id = $2 AND lease_owner = $3", args...)
	if err != nil {
		return t.d.mapErr(err, fmt.Sprintf("webhook %q", id))
	}
	if n == 0 {
		return fmt.Errorf("%w: webhook %q is not leased to %q any more", store.ErrVersionMismatch, id, owner)
	}
	return nil
}

const webhookAttemptCols = `id, org_id, endpoint_id, event_id, event_seq, event_type, attempt, manual, at, latency_us,
	status, outcome, error, answer`

// maxAttemptText bounds the error and answer kept per log line.
const maxAttemptText = 2048

func truncText(s string) string {
	if len(s) <= maxAttemptText {
		return s
	}
	s = s[:maxAttemptText]
	for len(s) > 0 && !plainText(s) { // do not cut a UTF-8 sequence in two
		s = s[:len(s)-1]
	}
	return s
}

// AppendWebhookAttempt adds a line to an endpoint's delivery log.
func (t *tx) AppendWebhookAttempt(ctx context.Context, a store.WebhookAttempt) (store.WebhookAttempt, error) {
	if err := t.writable("AppendWebhookAttempt"); err != nil {
		return store.WebhookAttempt{}, err
	}
	if a.OrgID == "" || a.EndpointID == "" || a.Outcome == "" {
		return store.WebhookAttempt{}, fmt.Errorf("%w: a delivery log line needs an org, an endpoint and an outcome", store.ErrInvalid)
	}
	a.At = norm(a.At)
	a.Error, a.Answer = truncText(strings.ToValidUTF8(strings.ReplaceAll(a.Error, "\x00", ""), "?")),
		truncText(strings.ToValidUTF8(strings.ReplaceAll(a.Answer, "\x00", ""), "?"))
	a.Latency = a.Latency.Truncate(time.Microsecond)
	err := t.one(ctx, `INSERT INTO webhook_attempts (org_id, endpoint_id, event_id, event_seq, event_type, attempt, manual,
			at, latency_us, status, outcome, error, answer)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13) RETURNING id`,
		[]any{a.OrgID, a.EndpointID, a.EventID, a.EventSeq, a.EventType, a.Attempt, a.Manual, t.d.t(a.At),
			a.Latency.Microseconds(), a.Status, a.Outcome, a.Error, a.Answer}, &a.ID)
	if err != nil {
		return store.WebhookAttempt{}, t.d.mapErr(err, "delivery log")
	}
	return a, nil
}

// WebhookAttempts reads an endpoint's delivery log, newest first.
func (t *tx) WebhookAttempts(ctx context.Context, orgID, endpointID string, q store.WebhookAttemptQuery) ([]store.WebhookAttempt, error) {
	limit := q.Limit
	if limit <= 0 {
		limit = 100
	}
	if limit > 1000 {
		return nil, fmt.Errorf("%w: delivery log limit %d (at most 1000)", store.ErrInvalid, limit)
	}
	where, args := "org_id = $1 AND endpoint_id = $2", []any{orgID, endpointID}
	if q.Before > 0 {
		args = append(args, q.Before)
		where += " AND id < " + ph(len(args))
	}
	if q.EventID != "" {
		args = append(args, q.EventID)
		where += " AND event_id = " + ph(len(args))
	}
	out := []store.WebhookAttempt{}
	err := t.stream(ctx, "delivery log", fmt.Sprintf("SELECT %s FROM webhook_attempts WHERE %s ORDER BY id DESC LIMIT %d",
		webhookAttemptCols, where, limit), args, func(rows *countedRows) error {
		var a store.WebhookAttempt
		var us int64
		if err := rows.Scan(&a.ID, &a.OrgID, &a.EndpointID, &a.EventID, &a.EventSeq, &a.EventType, &a.Attempt, &a.Manual,
			timeCol{&a.At}, &us, &a.Status, &a.Outcome, &a.Error, &a.Answer); err != nil {
			return t.d.mapErr(err, "delivery log")
		}
		a.Latency = time.Duration(us) * time.Microsecond
		out = append(out, a)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// DeleteWebhookAttemptsBefore prunes old log lines, oldest first.
func (t *tx) DeleteWebhookAttemptsBefore(ctx context.Context, before time.Time, limit int) (int64, error) {
	if err := t.writable("DeleteWebhookAttemptsBefore"); err != nil {
		return 0, err
	}
	q, args := "DELETE FROM webhook_attempts WHERE at < $1", []any{t.d.t(before)}
	if limit > 0 {
		q = fmt.Sprintf("DELETE FROM webhook_attempts WHERE id IN (SELECT id FROM webhook_attempts WHERE at < $1 ORDER BY id LIMIT %d)", limit)
	}
	n, err := t.exec(ctx, q, args...)
	if err != nil {
		return 0, t.d.mapErr(err, "prune delivery log")
	}
	return n, nil
}
