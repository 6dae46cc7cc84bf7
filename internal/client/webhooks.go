package client

import (
	"context"
	"net/http"
	"net/url"
	"strconv"

	"github.com/rolecall/rolecall/internal/api"
)

// Webhooks lists the org's webhook endpoints by creation time.
func (c *Client) Webhooks(ctx context.Context) ([]api.WebhookEndpoint, error) {
	var l api.List[api.WebhookEndpoint]
	return l.Items, c.do(ctx, http.MethodGet, "/api/v1/webhooks", nil, nil, &l)
}

// CreateWebhook creates an endpoint; the answer holds its secret, shown this once.
func (c *Client) CreateWebhook(ctx context.Context, req api.CreateWebhookRequest) (api.CreatedWebhook, error) {
	var out api.CreatedWebhook
	return out, c.do(ctx, http.MethodPost, "/api/v1/webhooks", nil, req, &out)
}

// Webhook reads one endpoint by id.
func (c *Client) Webhook(ctx context.Context, id string) (api.WebhookEndpoint, error) {
	var out api.WebhookEndpoint
	return out, c.do(ctx, http.MethodGet, pathOf("/api/v1/webhooks", id), nil, nil, &out)
}

// UpdateWebhook changes an endpoint (nil fields are kept).
func (c *Client) UpdateWebhook(ctx context.Context, id string, req api.UpdateWebhookRequest) (api.WebhookEndpoint, error) {
	var out api.WebhookEndpoint
	return out, c.do(ctx, http.MethodPatch, pathOf("/api/v1/webhooks", id), nil, req, &out)
}

// DeleteWebhook deletes an endpoint and its delivery log, and returns it.
func (c *Client) DeleteWebhook(ctx context.Context, id string) (api.WebhookEndpoint, error) {
	var out api.WebhookEndpoint
	return out, c.do(ctx, http.MethodDelete, pathOf("/api/v1/webhooks", id), nil, nil, &out)
}

// RotateWebhookSecret gives the endpoint a new secret, returned this once.
func (c *Client) RotateWebhookSecret(ctx context.Context, id string, req api.RotateWebhookSecretRequest) (api.CreatedWebhook, error) {
	var out api.CreatedWebhook
	return out, c.do(ctx, http.MethodPost, pathOf("/api/v1/webhooks", id)+"/rotate-secret", nil, req, &out)
}

// WebhookDeliveries reads a page of the endpoint's delivery log, newest first: before (> 0)
// is the previous page's Next; eventID keeps one event's attempts; limit 0 means 100.
func (c *Client) WebhookDeliveries(ctx context.Context, id string, before int64, eventID string, limit int) (api.WebhookDeliveries, error) {
	q := url.Values{}
	if before > 0 {
		q.Set("before", strconv.FormatInt(before, 10))
	}
	if eventID != "" {
		q.Set("event", eventID)
	}
	if limit > 0 {
		q.Set("limit", strconv.Itoa(limit))
	}
	var out api.WebhookDeliveries
	return out, c.do(ctx, http.MethodGet, pathOf("/api/v1/webhooks", id)+"/deliveries", q, nil, &out)
}

// Redeliver sends one event again now, or replays from a revision (api.RedeliverRequest).
func (c *Client) Redeliver(ctx context.Context, id string, req api.RedeliverRequest) (api.RedeliverResult, error) {
	var out api.RedeliverResult
	return out, c.do(ctx, http.MethodPost, pathOf("/api/v1/webhooks", id)+"/redeliver", nil, req, &out)
}

// TestWebhook sends the endpoint a com.rolecall.webhook.test event now.
func (c *Client) TestWebhook(ctx context.Context, id string) (api.WebhookTestResult, error) {
	var out api.WebhookTestResult
	return out, c.do(ctx, http.MethodPost, pathOf("/api/v1/webhooks", id)+"/test", nil, nil, &out)
}
