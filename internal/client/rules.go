package client

import (
	"context"
	"net/http"
	"net/url"

	"github.com/rolecall/rolecall/internal/api"
)

// Rules lists the org's group → role rules in order.
func (c *Client) Rules(ctx context.Context) ([]api.Rule, error) {
	var l api.List[api.Rule]
	return l.Items, c.do(ctx, http.MethodGet, "/api/v1/rules", nil, nil, &l)
}

// PreviewRules previews a rule change given as a whole set (req.Rules) or one rule to add
// (req.Add), or, for req.Change and req.Delete, through the PATCH and DELETE routes' dryRun.
func (c *Client) PreviewRules(ctx context.Context, req api.RuleChangeRequest) (api.RulePreview, error) {
	var out api.RulePreview
	switch {
	case req.Change != "":
		q := url.Values{"dryRun": {"true"}}
		return out, c.do(ctx, http.MethodPatch, pathOf("/api/v1/rules", req.Change), q, patchBody(req), &out)
	case req.Delete != "":
		return out, c.do(ctx, http.MethodDelete, pathOf("/api/v1/rules", req.Delete), url.Values{"dryRun": {"true"}}, nil, &out)
	}
	return out, c.do(ctx, http.MethodPost, "/api/v1/rules/preview", nil, req, &out)
}

// ApplyRules applies a rule change with the fingerprint of the preview confirmed
// (req.Fingerprint); the server refuses (409 stale_plan) when it would now do otherwise.
func (c *Client) ApplyRules(ctx context.Context, req api.RuleChangeRequest) (api.RuleApplyResult, error) {
	var out api.RuleApplyResult
	switch {
	case req.Change != "":
		return out, c.do(ctx, http.MethodPatch, pathOf("/api/v1/rules", req.Change), nil, patchBody(req), &out)
	case req.Delete != "":
		return out, c.do(ctx, http.MethodDelete, pathOf("/api/v1/rules", req.Delete), url.Values{"fingerprint": {req.Fingerprint}}, nil, &out)
	}
	return out, c.do(ctx, http.MethodPost, "/api/v1/rules", nil, req, &out)
}

func patchBody(req api.RuleChangeRequest) api.RulePatchRequest {
	var b api.RulePatchRequest
	if req.Patch != nil {
		b.RulePatch = *req.Patch
	}
	b.Fingerprint = req.Fingerprint
	return b
}

// RuleChanges lists recorded rule changes, newest first, with the total.
func (c *Client) RuleChanges(ctx context.Context, offset, limit int) ([]api.RuleChange, int, error) {
	var l api.List[api.RuleChange]
	err := c.do(ctx, http.MethodGet, "/api/v1/rules/changes", pageQuery(nil, api.Page{Offset: offset, Limit: limit}), nil, &l)
	return l.Items, l.Total, err
}

// UndoRuleChange undoes a recorded rule change.
func (c *Client) UndoRuleChange(ctx context.Context, id string) (api.RuleApplyResult, error) {
	var out api.RuleApplyResult
	return out, c.do(ctx, http.MethodPost, "/api/v1/rules/changes/"+url.PathEscape(id)+"/undo", nil, nil, &out)
}
