package store

import (
	"context"
	"time"
)

// Webhook endpoints and their delivery state. An endpoint receives, in order, the org's
// change events (EventTx) committed after it was created, filtered by type: its Cursor is
// the Seq of the last event it has been given (or has skipped by its filter), and delivery
// resumes after it. The dispatcher leases an endpoint before it sends (LeaseWebhooks), so
// several servers on one database deliver each event to each endpoint once, one event at a
// time per endpoint: in order. A server that dies holding a lease loses it when the lease
// expires and another (or the restarted one) resumes from the Cursor: at least once.

// Reasons an endpoint is disabled (WebhookEndpoint.DisabledReason).
const (
	// WebhookDisabledByAdmin: an admin turned the endpoint off.
	WebhookDisabledByAdmin = "admin"
	// WebhookDisabledGone: the receiver answered 410 Gone.
	WebhookDisabledGone = "gone"
	// WebhookDisabledFailing: an event had all its attempts (about three days) without
	// being delivered.
	WebhookDisabledFailing = "failing"
	// WebhookDisabledExpired: the events after the endpoint's cursor are no longer
	// retained (the endpoint was disabled for longer than the event retention).
	WebhookDisabledExpired = "expired"
)

// WebhookSecret is one signing secret of an endpoint ("whsec_…", as the receiver holds it).
// During a rotation an endpoint has two: deliveries carry a signature for each, so a
// receiver may switch whenever it likes until the old one expires.
type WebhookSecret struct {
	Secret    string
	CreatedAt time.Time
	// ExpiresAt is set on a previous secret: it signs deliveries until then. nil: current.
	ExpiresAt *time.Time
}

// WebhookEndpoint is a receiver of an org's change events.
type WebhookEndpoint struct {
	OrgID string
	ID    string
	// URL is where events are POSTed (https, or http where the server allows it).
	URL         string
	Description string
	// Types keeps only events of these types (empty: every type).
	Types []string
	// Enabled: the dispatcher delivers to it. A disabled endpoint keeps its cursor: enabled
	// again, it resumes where it stopped (or is refused with WebhookDisabledExpired when
	// those events are gone).
	Enabled        bool
	DisabledReason string // one of the WebhookDisabled… constants when !Enabled
	// Secrets: the current secret first, then previous ones that have not expired. Stored
	// as given: the dispatcher needs them to sign.
	Secrets   []WebhookSecret
	CreatedAt time.Time
	CreatedBy string
	UpdatedAt time.Time

	// Delivery state, written by the dispatcher (AdvanceWebhook), read by everyone.

	// Cursor is the Seq of the last event handled; the next delivery is the first event
	// after it that passes Types. CreateWebhook sets it to the org's revision.
	Cursor int64
	// Attempts made so far for the event after Cursor (0: none failed yet).
	Attempts int
	// NextAttemptAt: the dispatcher does not lease the endpoint before this time (backoff).
	NextAttemptAt time.Time
	// FailingSince is when the event after Cursor first failed; nil while healthy.
	FailingSince *time.Time
	// LastDeliveredAt is when an event was last delivered (2xx).
	LastDeliveredAt *time.Time
	// LeaseOwner and LeaseUntil: the dispatcher delivering to it now and until when ("" and
	// zero when free). Read-only: written by LeaseWebhooks and AdvanceWebhook. A dispatcher
	// checks it before sending, so that one whose lease was broken (RewindWebhook) or
	// taken over stops before it sends.
	LeaseOwner string
	LeaseUntil time.Time
}

// WebhookProgress is what a dispatcher writes back after attempts on a leased endpoint.
type WebhookProgress struct {
	Cursor          int64
	Attempts        int
	NextAttemptAt   time.Time
	FailingSince    *time.Time
	LastDeliveredAt *time.Time
	// Disable, when not "", disables the endpoint with this reason (WebhookDisabled…).
	Disable string
	// RenewUntil, when set and the lease is not released, extends the lease to it: a
	// dispatcher that works longer than its lease (a slow receiver, a long backlog) renews
	// it with each write of progress instead of losing it to another server mid-stream.
	RenewUntil time.Time
}

// WebhookAttempt is one line of an endpoint's delivery log.
type WebhookAttempt struct {
	OrgID      string
	EndpointID string
	// ID orders the log (assigned by AppendWebhookAttempt, increasing per database).
	ID        int64
	EventID   string // webhook-id: the event's id ("" for a test delivery's own id)
	EventSeq  int64  // 0 for a test delivery
	EventType string
	// Attempt is the attempt number for this event on this endpoint (1 for the first).
	Attempt int
	// Manual: a redelivery or a test an admin asked for, not the ordered stream.
	Manual  bool
	At      time.Time
	Latency time.Duration
	// Status is the HTTP status (0 when there was no answer); Outcome is "delivered",
	// "retry" or "gone"; Error and Answer as delivery.Result has them (truncated).
	Status  int
	Outcome string
	Error   string
	Answer  string
}

// WebhookAttemptQuery selects an endpoint's delivery log, newest first.
type WebhookAttemptQuery struct {
	// Before, when > 0, returns attempts with ID < Before (the next page).
	Before int64
	// EventID, when set, keeps only the attempts of that event.
	EventID string
	// Limit: 1..1000; 0 means 100.
	Limit int
}

// WebhookTx stores endpoints, their delivery state and log.
type WebhookTx interface {
	// CreateWebhook stores e (ID, CreatedAt, UpdatedAt and Cursor = the org's revision are
	// assigned) and returns it.
	CreateWebhook(ctx context.Context, e WebhookEndpoint) (WebhookEndpoint, error)
	Webhook(ctx context.Context, orgID, id string) (WebhookEndpoint, error)
	// ListWebhooks lists the org's endpoints by creation time.
	ListWebhooks(ctx context.Context, orgID string) ([]WebhookEndpoint, error)
	// WebhookOrgs lists, in every org, the ids of the orgs that have at least one enabled
	// endpoint (the orgs a dispatcher watches for commits), in id order. One query
	// however many orgs the database holds.
	WebhookOrgs(ctx context.Context) ([]string, error)
	// UpdateWebhook replaces URL, Description, Types, Enabled, DisabledReason and Secrets
	// (never the delivery state) and sets UpdatedAt. Enabling an endpoint resets Attempts,
	// NextAttemptAt and FailingSince so that it is tried at once. It breaks the lease, as
	// RewindWebhook does: the holder's next AdvanceWebhook is refused (ErrVersionMismatch),
	// so it stops sending with the old URL, types or secrets, or to a disabled endpoint, and
	// whoever leases the endpoint next sends with the new settings.
	UpdateWebhook(ctx context.Context, e WebhookEndpoint) (WebhookEndpoint, error)
	// DeleteWebhook deletes the endpoint and its log; ErrNotFound when there is none.
	DeleteWebhook(ctx context.Context, orgID, id string) error

	// LeaseWebhooks, in any org, picks up to limit enabled endpoints whose NextAttemptAt is
	// due (<= now), whose lease is free or expired, and whose Cursor is behind their org's
	// revision, and leases them to owner until until; it returns them. On PostgreSQL it
	// locks the rows it picks with FOR UPDATE SKIP LOCKED so that concurrent callers get
	// different endpoints.
	LeaseWebhooks(ctx context.Context, owner string, now, until time.Time, limit int) ([]WebhookEndpoint, error)
	// AdvanceWebhook writes p for an endpoint that owner leases, and releases the lease
	// when release is true. ErrVersionMismatch when owner no longer holds the lease (it
	// expired and another took it): the caller must drop what it was doing.
	AdvanceWebhook(ctx context.Context, orgID, id, owner string, p WebhookProgress, release bool) error

	// RewindWebhook moves the endpoint's cursor back to cursor (0 <= cursor <= its Cursor)
	// so that the events after it are delivered again, in order ("replay from seq N"). It
	// resets Attempts, NextAttemptAt and FailingSince and breaks any lease, so that a
	// dispatcher busy with the endpoint gets ErrVersionMismatch on its next AdvanceWebhook
	// rather than writing its old position back over the rewind.
	RewindWebhook(ctx context.Context, orgID, id string, cursor int64) (WebhookEndpoint, error)

	// AppendWebhookAttempt adds a line to the endpoint's delivery log (ID assigned).
	AppendWebhookAttempt(ctx context.Context, a WebhookAttempt) (WebhookAttempt, error)
	// WebhookAttempts reads the endpoint's delivery log, newest first.
	WebhookAttempts(ctx context.Context, orgID, endpointID string, q WebhookAttemptQuery) ([]WebhookAttempt, error)
	// DeleteWebhookAttemptsBefore prunes log lines older than before (every org), at most
	// limit of them (<= 0: no limit), and returns how many.
	DeleteWebhookAttemptsBefore(ctx context.Context, before time.Time, limit int) (int64, error)
}
