package sqlstore

import (
	"context"
	"errors"
	"time"

	"github.com/rolecall/rolecall/internal/store"
)

// errWebhooksPending is returned until the webhook tables land (issue 16, in progress on a
// branch): the contract is in internal/store/webhook.go.
var errWebhooksPending = errors.New("webhook endpoints are not stored by this build yet")

func (t *tx) CreateWebhook(context.Context, store.WebhookEndpoint) (store.WebhookEndpoint, error) {
	return store.WebhookEndpoint{}, errWebhooksPending
}
func (t *tx) Webhook(context.Context, string, string) (store.WebhookEndpoint, error) {
	return store.WebhookEndpoint{}, errWebhooksPending
}
func (t *tx) ListWebhooks(context.Context, string) ([]store.WebhookEndpoint, error) {
	return nil, errWebhooksPending
}
func (t *tx) UpdateWebhook(context.Context, store.WebhookEndpoint) (store.WebhookEndpoint, error) {
	return store.WebhookEndpoint{}, errWebhooksPending
}
func (t *tx) DeleteWebhook(context.Context, string, string) error { return errWebhooksPending }
func (t *tx) LeaseWebhooks(context.Context, string, time.Time, time.Time, int) ([]store.WebhookEndpoint, error) {
	return nil, errWebhooksPending
}
func (t *tx) AdvanceWebhook(context.Context, string, string, string, store.WebhookProgress, bool) error {
	return errWebhooksPending
}
func (t *tx) AppendWebhookAttempt(context.Context, store.WebhookAttempt) (store.WebhookAttempt, error) {
	return store.WebhookAttempt{}, errWebhooksPending
}
func (t *tx) WebhookAttempts(context.Context, string, string, store.WebhookAttemptQuery) ([]store.WebhookAttempt, error) {
	return nil, errWebhooksPending
}
func (t *tx) DeleteWebhookAttemptsBefore(context.Context, time.Time, int) (int64, error) {
	return 0, errWebhooksPending
}
