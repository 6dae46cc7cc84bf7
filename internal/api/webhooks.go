package api

import "time"

// WebhookEndpoint is a receiver of the org's change events (GET /api/v1/webhooks). Its
// secrets are never part of it: the current one is answered once, by create and
// rotate-secret (CreatedWebhook).
type WebhookEndpoint struct {
	ID          string `json:"id"`
	URL         string `json:"url"`
	Description string `json:"description,omitempty"`
	// Types are the full event types delivered (com.rolecall.user.deactivated, …); empty:
	// every type.
	Types   []string `json:"types"`
	Enabled bool     `json:"enabled"`
	// DisabledReason says why a disabled endpoint is: "admin" (turned off), "gone" (the
	// receiver answered 410), "failing" (an event failed for about three days), "expired"
	// (its undelivered events were pruned by the retention).
	DisabledReason string    `json:"disabledReason,omitempty"`
	CreatedAt      time.Time `json:"createdAt"`
	CreatedBy      string    `json:"createdBy,omitempty"`
	UpdatedAt      time.Time `json:"updatedAt"`
	// PreviousSecretExpiresAt is set during a rotation: until then deliveries are also
	// signed with the previous secret.
	PreviousSecretExpiresAt *time.Time `json:"previousSecretExpiresAt,omitempty"`

	// Cursor is the revision of the last event handled (delivered, or skipped by Types);
	// Revision the org's revision when this was read: Revision - Cursor events (at most) are
	// still to be delivered.
	Cursor   int64 `json:"cursor"`
	Revision int64 `json:"revision"`
	// Attempts made so far on the next event (0 while healthy); NextAttemptAt when the next
	// one is due after a failure.
	Attempts        int        `json:"attempts"`
	NextAttemptAt   *time.Time `json:"nextAttemptAt,omitempty"`
	FailingSince    *time.Time `json:"failingSince,omitempty"`
	LastDeliveredAt *time.Time `json:"lastDeliveredAt,omitempty"`
}

// CreateWebhookRequest asks for a new endpoint (POST /api/v1/webhooks).
type CreateWebhookRequest struct {
	URL         string `json:"url"`
	Description string `json:"description,omitempty"`
	// Types: event types, full ("com.rolecall.user.deactivated") or short
	// ("user.deactivated"); empty: every type.
	Types []string `json:"types,omitempty"`
	// Disabled creates the endpoint turned off (enabled is the default).
	Disabled bool `json:"disabled,omitempty"`
}

// UpdateWebhookRequest changes an endpoint (PATCH /api/v1/webhooks/{id}); absent fields
// are kept. Types set to [] delivers every type again.
type UpdateWebhookRequest struct {
	URL         *string   `json:"url,omitempty"`
	Description *string   `json:"description,omitempty"`
	Types       *[]string `json:"types,omitempty"`
	Enabled     *bool     `json:"enabled,omitempty"`
}

// CreatedWebhook is answered by create and rotate-secret: the only time the secret
// (whsec_…) is shown. Keep it in the receiver, which verifies webhook-signature with it.
type CreatedWebhook struct {
	Endpoint WebhookEndpoint `json:"endpoint"`
	Secret   string          `json:"secret"`
}

// RotateWebhookSecretRequest (POST /api/v1/webhooks/{id}/rotate-secret).
type RotateWebhookSecretRequest struct {
	// ExpirePreviousNow stops signing with the previous secret at once (it leaked); by
	// default it keeps signing for 24 hours, so receivers can switch at their pace.
	ExpirePreviousNow bool `json:"expirePreviousNow,omitempty"`
}

// WebhookDelivery is one line of an endpoint's delivery log: one attempt.
type WebhookDelivery struct {
	ID int64 `json:"id"`
	// EventID is the webhook-id sent (the event's id, or a test delivery's own).
	EventID   string `json:"eventId"`
	EventSeq  int64  `json:"eventRevision,omitempty"`
	EventType string `json:"eventType"`
	// Attempt is the attempt number for the event (1 for the first).
	Attempt int `json:"attempt"`
	// Manual: a redelivery or a test an admin asked for, outside the ordered stream.
	Manual    bool      `json:"manual,omitempty"`
	At        time.Time `json:"at"`
	LatencyMS float64   `json:"latencyMs"`
	// Status is the HTTP status (0: no answer); Outcome "delivered", "retry" or "gone".
	Status  int    `json:"status"`
	Outcome string `json:"outcome"`
	Error   string `json:"error,omitempty"`
	Answer  string `json:"answer,omitempty"`
}

// WebhookDeliveries is a page of the delivery log, newest first. Next, when set, is the
// before= of the next (older) page.
type WebhookDeliveries struct {
	Items []WebhookDelivery `json:"items"`
	Next  int64             `json:"next,omitempty"`
}

// RedeliverRequest (POST /api/v1/webhooks/{id}/redeliver) names exactly one of:
//   - EventID or Revision: send that one event again now, synchronously, outside the
//     ordered stream (logged as manual); the answer says how it went.
//   - FromRevision: replay: move the endpoint's cursor back so that every event after that
//     revision is delivered again, in order, by the dispatcher.
type RedeliverRequest struct {
	EventID      string `json:"eventId,omitempty"`
	Revision     int64  `json:"revision,omitempty"`
	FromRevision *int64 `json:"fromRevision,omitempty"`
}

// RedeliverResult answers a redelivery: Delivery for one event sent now, Endpoint (with
// its new cursor) for a replay.
type RedeliverResult struct {
	Delivery *WebhookDelivery `json:"delivery,omitempty"`
	Endpoint *WebhookEndpoint `json:"endpoint,omitempty"`
}

// WebhookTestResult answers POST /api/v1/webhooks/{id}/test: a synthetic
// com.rolecall.webhook.test event, not part of the feed, sent now.
type WebhookTestResult struct {
	Delivery WebhookDelivery `json:"delivery"`
}

// WebhookTestEventType is the type of the event SendTestWebhook sends: never stored in the
// feed, never filtered by an endpoint's types.
const WebhookTestEventType = "com.rolecall.webhook.test"
