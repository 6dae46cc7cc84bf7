package service

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"

	"github.com/rolecall/rolecall/internal/api"
	"github.com/rolecall/rolecall/internal/audit"
	"github.com/rolecall/rolecall/internal/delivery"
	"github.com/rolecall/rolecall/internal/events"
	"github.com/rolecall/rolecall/internal/store"
	"github.com/rolecall/rolecall/webhook"
)

// Webhook endpoints: the admin's use cases (create, update, rotate the secret, read the
// delivery log, redeliver, test) and the steps the dispatcher (package dispatch) takes on a
// leased endpoint (WebhookProgress). Sending is package delivery's; signing the webhook
// package's.

// WebhookOptions configure delivery for the webhook use cases (SetWebhooks).
type WebhookOptions struct {
	// Guard decides which endpoint URLs are accepted (CheckURL) and which addresses a
	// delivery may connect to. The zero Guard refuses loopback, private and link-local.
	Guard delivery.Guard
	// Sender makes the attempts of redeliveries and tests (and the dispatcher's); nil:
	// delivery.NewSender(Guard, 0).
	Sender *delivery.Sender
	// BaseURL is the server's public URL: the base of the events' CloudEvents source.
	BaseURL string
	// Changed, when set, is called with the endpoint's id after it was created, updated,
	// rotated, rewound or deleted: the server's dispatcher stops a worker that is sending
	// with the old settings and picks the endpoint up at once rather than at its next poll.
	Changed func(endpointID string)
}

// PreviousSecretTTL is how long a rotated-out secret keeps signing deliveries, so that
// receivers can switch to the new one at their own pace.
const PreviousSecretTTL = 24 * time.Hour

// maxWebhookDescription bounds an endpoint's description (characters).
const maxWebhookDescription = 1000

// SetWebhooks sets how webhooks are checked and sent. Call it before serving (server.New
// does); without it the zero Guard applies.
func (s *Service) SetWebhooks(o WebhookOptions) {
	if o.Sender == nil {
		o.Sender = delivery.NewSender(o.Guard, 0)
	}
	s.wh = o
}

// WebhookSender is the Sender deliveries use (the dispatcher shares it).
func (s *Service) WebhookSender() *delivery.Sender {
	if s.wh.Sender == nil {
		s.SetWebhooks(s.wh)
	}
	return s.wh.Sender
}

// webhooksChanged tells the dispatcher (WebhookOptions.Changed) after a commit.
func (s *Service) webhooksChanged(err error, endpointID string) {
	if err == nil && s.wh.Changed != nil {
		s.wh.Changed(endpointID)
	}
}

// WebhookBaseURL is the base of the CloudEvents source of delivered events.
func (s *Service) WebhookBaseURL() string { return s.wh.BaseURL }

// webhookView is the API view of an endpoint; rev is the org's revision.
func webhookView(e store.WebhookEndpoint, rev int64) api.WebhookEndpoint {
	v := api.WebhookEndpoint{
		ID: e.ID, URL: e.URL, Description: e.Description, Types: append([]string{}, e.Types...), Enabled: e.Enabled,
		DisabledReason: e.DisabledReason, CreatedAt: e.CreatedAt, CreatedBy: e.CreatedBy, UpdatedAt: e.UpdatedAt,
		Cursor: e.Cursor, Revision: max(rev, e.Cursor), Attempts: e.Attempts, FailingSince: e.FailingSince,
		LastDeliveredAt: e.LastDeliveredAt,
	}
	if e.Attempts > 0 {
		t := e.NextAttemptAt
		v.NextAttemptAt = &t
	}
	for _, sec := range e.Secrets[min(1, len(e.Secrets)):] {
		if sec.ExpiresAt != nil && sec.ExpiresAt.After(time.Now()) {
			t := *sec.ExpiresAt
			v.PreviousSecretExpiresAt = &t
		}
	}
	return v
}

// webhookTypes checks and normalizes an endpoint's event types (full or short names).
func webhookTypes(in []string) ([]string, error) {
	out := []string{}
	for _, t := range in {
		if strings.Contains(t, ",") {
			return nil, badRequest("event type %q: give one type per element", t)
		}
		full, err := ParseEventTypes(t)
		if err != nil {
			return nil, err
		}
		for _, f := range full {
			if !slices.Contains(out, f) {
				out = append(out, f)
			}
		}
	}
	return out, nil
}

// checkWebhookURL checks an endpoint URL against the guard, with the guard's message.
func (s *Service) checkWebhookURL(raw string) (string, error) {
	raw = strings.TrimSpace(raw)
	if raw == "" {
		return "", badRequest("give the endpoint's URL (https://…): where events are POSTed")
	}
	if len(raw) > 2048 {
		return "", badRequest("endpoint URL is %d bytes long; at most 2048", len(raw))
	}
	u, err := s.wh.Guard.CheckURL(raw)
	if err != nil {
		return "", badRequest("%s", err.Error())
	}
	return u.String(), nil
}

func checkDescription(d string) error {
	if n := utf8.RuneCountInString(d); n > maxWebhookDescription {
		return badRequest("description is %d characters long; at most %d", n, maxWebhookDescription)
	}
	return nil
}

// CreateWebhook creates an endpoint that receives the events committed from now on; the
// answer holds its signing secret, shown this once.
func (s *Service) CreateWebhook(ctx context.Context, org string, req api.CreateWebhookRequest) (out api.CreatedWebhook, err error) {
	u, err := s.checkWebhookURL(req.URL)
	if err != nil {
		return out, err
	}
	types, err := webhookTypes(req.Types)
	if err != nil {
		return out, err
	}
	if err := checkDescription(req.Description); err != nil {
		return out, err
	}
	secret, err := webhook.NewSecret()
	if err != nil {
		return out, err
	}
	err = s.update(ctx, org, func(l lookup) error {
		e, err := l.tx.CreateWebhook(l.ctx, store.WebhookEndpoint{OrgID: l.orgID, URL: u, Description: req.Description,
			Types: types, Enabled: !req.Disabled, Secrets: []store.WebhookSecret{{Secret: secret, CreatedAt: store.Now()}},
			CreatedBy: audit.ActorFrom(ctx).Name})
		if err != nil {
			return err
		}
		out = api.CreatedWebhook{Endpoint: webhookView(e, e.Cursor), Secret: secret}
		return l.audit(audit.ActionWebhookCreate, audit.TargetWebhook, e.ID, nil, out.Endpoint)
	})
	s.webhooksChanged(err, out.Endpoint.ID)
	return out, err
}

// Webhooks lists the org's endpoints by creation time.
func (s *Service) Webhooks(ctx context.Context, org string) (out []api.WebhookEndpoint, err error) {
	err = s.view(ctx, org, func(l lookup) error {
		es, err := l.tx.ListWebhooks(l.ctx, l.orgID)
		if err != nil {
			return err
		}
		rev, err := l.tx.Revision(l.ctx, l.orgID)
		if err != nil {
			return err
		}
		out = make([]api.WebhookEndpoint, 0, len(es))
		for _, e := range es {
			out = append(out, webhookView(e, rev))
		}
		return nil
	})
	return out, err
}

// webhook reads an endpoint by id, 404 saying how to list them.
func (l lookup) webhook(id string) (store.WebhookEndpoint, error) {
	e, err := l.tx.Webhook(l.ctx, l.orgID, id)
	if errors.Is(err, store.ErrNotFound) {
		return e, notFoundf("no webhook endpoint %q in this organization (list them with `rolecall webhook list`)", id)
	}
	return e, err
}

// webhookAt reads an endpoint and the org's revision, which its view reports beside its
// cursor (how far behind it is).
func (l lookup) webhookAt(id string) (store.WebhookEndpoint, int64, error) {
	e, err := l.webhook(id)
	if err != nil {
		return e, 0, err
	}
	rev, err := l.tx.Revision(l.ctx, l.orgID)
	return e, rev, err
}

// Webhook reads one endpoint.
func (s *Service) Webhook(ctx context.Context, org, id string) (out api.WebhookEndpoint, err error) {
	err = s.view(ctx, org, func(l lookup) error {
		e, rev, err := l.webhookAt(id)
		if err != nil {
			return err
		}
		out = webhookView(e, rev)
		return nil
	})
	return out, err
}

// UpdateWebhook changes an endpoint's URL, description, types or enabled flag. Turning it
// off is audited as webhook.disabled; turning it on makes it due at once (its backoff is
// reset), unless the events it has not received are no longer retained.
func (s *Service) UpdateWebhook(ctx context.Context, org, id string, req api.UpdateWebhookRequest) (out api.WebhookEndpoint, err error) {
	var u string
	if req.URL != nil {
		if u, err = s.checkWebhookURL(*req.URL); err != nil {
			return out, err
		}
	}
	var types []string
	if req.Types != nil {
		if types, err = webhookTypes(*req.Types); err != nil {
			return out, err
		}
	}
	if req.Description != nil {
		if err := checkDescription(*req.Description); err != nil {
			return out, err
		}
	}
	err = s.update(ctx, org, func(l lookup) error {
		e, rev, err := l.webhookAt(id)
		if err != nil {
			return err
		}
		before := webhookView(e, rev)
		if req.URL != nil {
			e.URL = u
		}
		if req.Description != nil {
			e.Description = *req.Description
		}
		if req.Types != nil {
			e.Types = types
		}
		action := audit.ActionWebhookUpdate
		if req.Enabled != nil && *req.Enabled != e.Enabled {
			if *req.Enabled {
				if _, err := l.tx.EventsAfter(l.ctx, l.orgID, store.EventQuery{After: e.Cursor, Limit: 1}); errors.Is(err, store.ErrCursorExpired) {
					return conflict("webhook %q cannot resume: the events after revision %d it has not received are no longer retained; "+
						"create a new endpoint (it starts at the current revision) and delete this one", id, e.Cursor)
				} else if err != nil {
					return err
				}
			} else {
				action = audit.ActionWebhookDisable
				e.DisabledReason = store.WebhookDisabledByAdmin
			}
			e.Enabled = *req.Enabled
		}
		if e, err = l.tx.UpdateWebhook(l.ctx, e); err != nil {
			return err
		}
		out = webhookView(e, rev)
		return l.audit(action, audit.TargetWebhook, id, before, out)
	})
	s.webhooksChanged(err, id)
	return out, err
}

// DeleteWebhook deletes an endpoint and its delivery log; it answers what was deleted.
func (s *Service) DeleteWebhook(ctx context.Context, org, id string) (out api.WebhookEndpoint, err error) {
	err = s.update(ctx, org, func(l lookup) error {
		e, rev, err := l.webhookAt(id)
		if err != nil {
			return err
		}
		out = webhookView(e, rev)
		if err := l.tx.DeleteWebhook(l.ctx, l.orgID, id); err != nil {
			return err
		}
		return l.audit(audit.ActionWebhookDelete, audit.TargetWebhook, id, out, nil)
	})
	s.webhooksChanged(err, id)
	return out, err
}

// RotateWebhookSecret gives the endpoint a new signing secret, answered this once. The
// previous one keeps signing (a second webhook-signature) for PreviousSecretTTL, or stops
// at once with expirePreviousNow; older ones are dropped.
func (s *Service) RotateWebhookSecret(ctx context.Context, org, id string, req api.RotateWebhookSecretRequest) (out api.CreatedWebhook, err error) {
	secret, err := webhook.NewSecret()
	if err != nil {
		return out, err
	}
	err = s.update(ctx, org, func(l lookup) error {
		e, rev, err := l.webhookAt(id)
		if err != nil {
			return err
		}
		before := webhookView(e, rev)
		now := store.Now()
		secrets := []store.WebhookSecret{{Secret: secret, CreatedAt: now}}
		if !req.ExpirePreviousNow && len(e.Secrets) > 0 {
			prev := e.Secrets[0]
			exp := now.Add(PreviousSecretTTL)
			prev.ExpiresAt = &exp
			secrets = append(secrets, prev)
		}
		e.Secrets = secrets
		if e, err = l.tx.UpdateWebhook(l.ctx, e); err != nil {
			return err
		}
		out = api.CreatedWebhook{Endpoint: webhookView(e, rev), Secret: secret}
		return l.audit(audit.ActionWebhookSecretRotate, audit.TargetWebhook, id, before,
			struct {
				api.WebhookEndpoint
				PreviousExpiredNow bool `json:"previousExpiredNow"`
			}{out.Endpoint, req.ExpirePreviousNow})
	})
	s.webhooksChanged(err, id)
	return out, err
}

// webhookKeys returns the keys that sign a delivery to e now: the current secret and the
// previous ones that have not expired.
func webhookKeys(e store.WebhookEndpoint, now time.Time) ([][]byte, error) {
	var keys [][]byte
	for _, sec := range e.Secrets {
		if sec.ExpiresAt != nil && !sec.ExpiresAt.After(now) {
			continue
		}
		k, err := webhook.ParseSecret(sec.Secret)
		if err != nil {
			return nil, fmt.Errorf("webhook %s: stored secret: %w", e.ID, err)
		}
		keys = append(keys, k)
	}
	return keys, nil
}

// WebhookMessage builds the delivery of event ev to endpoint e: the CloudEvent body and
// the signing keys.
func (s *Service) WebhookMessage(e store.WebhookEndpoint, ev store.Event) (delivery.Message, error) {
	body, err := events.Marshal(s.wh.BaseURL, ev)
	if err != nil {
		return delivery.Message{}, err
	}
	keys, err := webhookKeys(e, time.Now())
	if err != nil {
		return delivery.Message{}, err
	}
	return delivery.Message{URL: e.URL, Keys: keys, ID: ev.ID, Body: body}, nil
}

// WebhookAttemptOf is the delivery log line of result r for event ev on endpoint e.
func WebhookAttemptOf(e store.WebhookEndpoint, ev store.Event, attempt int, manual bool, at time.Time, r delivery.Result) store.WebhookAttempt {
	// The receiver's answer is kept where someone reads it: a failed attempt, a test or a
	// redelivery. A busy endpoint's stream of successes would otherwise keep up to 1 KB of
	// body per event for the whole retention.
	answer := r.Answer
	if r.Outcome == delivery.Delivered && !manual {
		answer = ""
	}
	return store.WebhookAttempt{OrgID: e.OrgID, EndpointID: e.ID, EventID: ev.ID, EventSeq: ev.Seq, EventType: ev.Type,
		Attempt: attempt, Manual: manual, At: at, Latency: r.Latency, Status: r.Status, Outcome: r.Outcome.String(),
		Error: r.Error, Answer: answer}
}

func deliveryView(a store.WebhookAttempt) api.WebhookDelivery {
	return api.WebhookDelivery{ID: a.ID, EventID: a.EventID, EventSeq: a.EventSeq, EventType: a.EventType, Attempt: a.Attempt,
		Manual: a.Manual, At: a.At, LatencyMS: float64(a.Latency.Microseconds()) / 1000, Status: a.Status, Outcome: a.Outcome,
		Error: a.Error, Answer: a.Answer}
}

// WebhookDeliveries reads a page of an endpoint's delivery log, newest first: before (> 0)
// continues from a previous page's Next, eventID keeps one event's attempts.
func (s *Service) WebhookDeliveries(ctx context.Context, org, id string, before int64, eventID string, limit int) (out api.WebhookDeliveries, err error) {
	if limit < 0 || limit > 1000 {
		return out, badRequest("limit %d: use 1 to 1000", limit)
	}
	if limit == 0 {
		limit = 100
	}
	if before < 0 {
		return out, badRequest("before %d: use the next value of the previous page", before)
	}
	err = s.view(ctx, org, func(l lookup) error {
		if _, err := l.webhook(id); err != nil {
			return err
		}
		as, err := l.tx.WebhookAttempts(l.ctx, l.orgID, id, store.WebhookAttemptQuery{Before: before, EventID: eventID, Limit: limit})
		if err != nil {
			return err
		}
		out.Items = make([]api.WebhookDelivery, 0, len(as))
		for _, a := range as {
			out.Items = append(out.Items, deliveryView(a))
		}
		if len(as) == limit {
			out.Next = as[len(as)-1].ID
		}
		return nil
	})
	return out, err
}

// Redeliver sends one event again now (req.EventID or req.Revision), synchronously and
// outside the ordered stream, logging the attempt as manual; or, with req.FromRevision,
// moves the endpoint's cursor back so that the dispatcher delivers every event after that
// revision again, in order.
func (s *Service) Redeliver(ctx context.Context, org, id string, req api.RedeliverRequest) (out api.RedeliverResult, err error) {
	n := 0
	for _, set := range []bool{req.EventID != "", req.Revision != 0, req.FromRevision != nil} {
		if set {
			n++
		}
	}
	if n != 1 {
		return out, badRequest("name exactly one of eventId or revision (send that event again now) or fromRevision (replay every event after it, in order)")
	}
	if req.FromRevision != nil {
		return s.replayWebhook(ctx, org, id, *req.FromRevision)
	}
	if req.Revision < 0 {
		return out, badRequest("revision %d: give an event's revision (its CloudEvents revision attribute)", req.Revision)
	}
	var e store.WebhookEndpoint
	var ev store.Event
	var attempt int
	err = s.view(ctx, org, func(l lookup) error {
		var err error
		if e, err = l.webhook(id); err != nil {
			return err
		}
		seq := req.Revision
		if req.EventID != "" {
			// The log maps the event ids this endpoint was sent to their revisions.
			as, err := l.tx.WebhookAttempts(l.ctx, l.orgID, id, store.WebhookAttemptQuery{EventID: req.EventID, Limit: 1})
			if err != nil {
				return err
			}
			if len(as) == 0 || as[0].EventSeq == 0 {
				return notFoundf("event %q is not in webhook %q's delivery log; name it by its revision instead (the CloudEvents revision attribute, or `rolecall events tail`)", req.EventID, id)
			}
			seq = as[0].EventSeq
		}
		page, err := l.tx.EventsAfter(l.ctx, l.orgID, store.EventQuery{After: seq - 1, Limit: 1})
		switch {
		case errors.Is(err, store.ErrCursorExpired):
			return &api.Error{Status: http.StatusGone, Code: api.CodeNotFound,
				Message: fmt.Sprintf("event at revision %d is no longer retained (events are kept for the retention window)", seq)}
		case errors.Is(err, store.ErrInvalid):
			return notFoundf("no event at revision %d in this organization", seq)
		case err != nil:
			return err
		}
		if len(page.Events) == 0 || page.Events[0].Seq != seq {
			return notFoundf("no event at revision %d in this organization", seq)
		}
		ev = page.Events[0]
		as, err := l.tx.WebhookAttempts(l.ctx, l.orgID, id, store.WebhookAttemptQuery{EventID: ev.ID, Limit: 1000})
		attempt = len(as) + 1
		return err
	})
	if err != nil {
		return out, err
	}
	d, err := s.sendNow(ctx, org, e, ev, attempt, audit.ActionWebhookRedeliver)
	out.Delivery = &d
	return out, err
}

// replayWebhook moves the endpoint's cursor back to from.
func (s *Service) replayWebhook(ctx context.Context, org, id string, from int64) (out api.RedeliverResult, err error) {
	err = s.update(ctx, org, func(l lookup) error {
		e, err := l.webhook(id)
		if err != nil {
			return err
		}
		if from < 0 || from > e.Cursor {
			return badRequest("fromRevision %d: give 0 to %d (the endpoint's position); events after it are delivered again, in order", from, e.Cursor)
		}
		if _, err := l.tx.EventsAfter(l.ctx, l.orgID, store.EventQuery{After: from, Limit: 1}); errors.Is(err, store.ErrCursorExpired) {
			return badRequest("fromRevision %d: the events after it are no longer all retained; give a later revision", from)
		} else if err != nil {
			return err
		}
		rev, err := l.tx.Revision(l.ctx, l.orgID)
		if err != nil {
			return err
		}
		before := webhookView(e, rev)
		if e, err = l.tx.RewindWebhook(l.ctx, l.orgID, id, from); err != nil {
			return err
		}
		v := webhookView(e, rev)
		out.Endpoint = &v
		return l.audit(audit.ActionWebhookRedeliver, audit.TargetWebhook, id, before, struct {
			api.WebhookEndpoint
			ReplayFrom int64 `json:"replayFrom"`
		}{v, from})
	})
	s.webhooksChanged(err, id)
	return out, err
}

// sendNow makes one manual attempt of ev to e, then logs and audits it in one transaction.
func (s *Service) sendNow(ctx context.Context, org string, e store.WebhookEndpoint, ev store.Event, attempt int, action string) (api.WebhookDelivery, error) {
	m, err := s.WebhookMessage(e, ev)
	if err != nil {
		return api.WebhookDelivery{}, err
	}
	at := store.Now()
	r := s.WebhookSender().Send(ctx, m)
	var d api.WebhookDelivery
	err = s.update(ctx, org, func(l lookup) error {
		a, err := l.tx.AppendWebhookAttempt(l.ctx, WebhookAttemptOf(e, ev, attempt, true, at, r))
		if err != nil {
			return err
		}
		d = deliveryView(a)
		return l.audit(action, audit.TargetWebhook, e.ID, nil, d)
	})
	return d, err
}

// WebhookTestData is the data of a com.rolecall.webhook.test event.
type WebhookTestData struct {
	Endpoint string `json:"endpoint"`
	Message  string `json:"message"`
}

// SendTestWebhook sends the endpoint a synthetic com.rolecall.webhook.test event (not part
// of the feed, not filtered by the endpoint's types, revision "0"), now, signed like any
// delivery; the attempt is logged (manual) and answered.
func (s *Service) SendTestWebhook(ctx context.Context, org, id string) (out api.WebhookTestResult, err error) {
	var e store.WebhookEndpoint
	if err := s.view(ctx, org, func(l lookup) error { e, err = l.webhook(id); return err }); err != nil {
		return out, err
	}
	data, _ := json.Marshal(WebhookTestData{Endpoint: id, Message: "a test delivery from rolecall: this endpoint receives and verifies events"})
	ev := store.Event{OrgID: org, ID: uuid.NewString(), Type: api.WebhookTestEventType, Subject: "webhooks/" + id,
		Time: store.Now(), Data: data, Actor: audit.ActorFrom(ctx).Name, RequestID: audit.ActorFrom(ctx).RequestID}
	out.Delivery, err = s.sendNow(ctx, org, e, ev, 1, audit.ActionWebhookTest)
	return out, err
}

// PruneWebhookAttempts deletes delivery log lines older than before, in batches.
func (s *Service) PruneWebhookAttempts(ctx context.Context, before time.Time) (int64, error) {
	const batch = 10000
	var total int64
	for {
		var n int64
		err := s.store.Update(ctx, func(tx store.Tx) (err error) {
			n, err = tx.DeleteWebhookAttemptsBefore(ctx, before, batch)
			return err
		})
		total += n
		if err != nil || n < batch {
			return total, err
		}
	}
}
