package client

import (
	"context"
	"net/http"

	"github.com/rolecall/rolecall/internal/api"
)

// CustomActions lists the org's custom decision actions by name.
func (c *Client) CustomActions(ctx context.Context) ([]api.CustomAction, error) {
	var l api.List[api.CustomAction]
	return l.Items, c.do(ctx, http.MethodGet, "/api/v1/actions", nil, nil, &l)
}

// SetCustomAction creates or replaces the custom action a.Name.
func (c *Client) SetCustomAction(ctx context.Context, a api.CustomAction) (api.CustomAction, error) {
	var out api.CustomAction
	return out, c.do(ctx, http.MethodPut, pathOf("/api/v1/actions", a.Name), nil, a, &out)
}

// DeleteCustomAction deletes a custom action and returns it.
func (c *Client) DeleteCustomAction(ctx context.Context, name string) (api.CustomAction, error) {
	var out api.CustomAction
	return out, c.do(ctx, http.MethodDelete, pathOf("/api/v1/actions", name), nil, nil, &out)
}
