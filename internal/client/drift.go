package client

import (
	"context"
	"net/http"

	"github.com/rolecall/rolecall/internal/api"
)

// Drift reads the org's drift report (GET /api/v1/enforce/drift).
func (c *Client) Drift(ctx context.Context) (api.DriftReport, error) {
	var out api.DriftReport
	return out, c.do(ctx, http.MethodGet, "/api/v1/enforce/drift", nil, nil, &out)
}

// Schedule reads the org's drift schedule; a 404 means it has none.
func (c *Client) Schedule(ctx context.Context) (api.DriftSchedule, error) {
	var out api.DriftSchedule
	return out, c.do(ctx, http.MethodGet, "/api/v1/enforce/schedule", nil, nil, &out)
}

// SetSchedule sets the org's drift schedule.
func (c *Client) SetSchedule(ctx context.Context, req api.SetDriftScheduleRequest) (api.DriftSchedule, error) {
	var out api.DriftSchedule
	return out, c.do(ctx, http.MethodPut, "/api/v1/enforce/schedule", nil, req, &out)
}

// DeleteSchedule turns the org's drift schedule off and returns it.
func (c *Client) DeleteSchedule(ctx context.Context) (api.DriftSchedule, error) {
	var out api.DriftSchedule
	return out, c.do(ctx, http.MethodDelete, "/api/v1/enforce/schedule", nil, nil, &out)
}

// Exemptions lists the users exempt from enforce-groups and the org's limit.
func (c *Client) Exemptions(ctx context.Context) (api.Exemptions, error) {
	var out api.Exemptions
	return out, c.do(ctx, http.MethodGet, "/api/v1/exemptions", nil, nil, &out)
}

// ExemptUser marks the user (id or userName) exempt from enforce-groups with reason.
func (c *Client) ExemptUser(ctx context.Context, user, reason string) (api.Exemption, error) {
	var out api.Exemption
	return out, c.do(ctx, http.MethodPut, pathOf("/api/v1/users", user)+"/exemption", nil, api.ExemptUserRequest{Reason: reason}, &out)
}

// UnexemptUser lifts the user's exemption and returns it.
func (c *Client) UnexemptUser(ctx context.Context, user string) (api.Exemption, error) {
	var out api.Exemption
	return out, c.do(ctx, http.MethodDelete, pathOf("/api/v1/users", user)+"/exemption", nil, nil, &out)
}
