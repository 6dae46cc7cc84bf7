package client

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strconv"

	"github.com/rolecall/rolecall/internal/api"
)

// EnforcePreview plans enforce-groups for the caller's org. It never changes anything.
func (c *Client) EnforcePreview(ctx context.Context) (api.EnforcePreview, error) {
	var out api.EnforcePreview
	return out, c.do(ctx, http.MethodPost, "/api/v1/enforce/preview", nil, struct{}{}, &out)
}

// EnforceApply applies the previewed plan (req.Fingerprint). A 409 answer with code
// api.CodeStalePlan or api.CodeNoOwner means nothing was changed.
func (c *Client) EnforceApply(ctx context.Context, req api.EnforceApplyRequest) (api.EnforceApplyResult, error) {
	var out api.EnforceApplyResult
	return out, c.do(ctx, http.MethodPost, "/api/v1/enforce/apply", nil, req, &out)
}

// EnforceRuns lists recorded runs, newest first (limit 0: the server's default page).
func (c *Client) EnforceRuns(ctx context.Context, offset, limit int) (api.List[api.EnforceRun], error) {
	q := url.Values{}
	if offset > 0 {
		q.Set("offset", strconv.Itoa(offset))
	}
	if limit > 0 {
		q.Set("limit", strconv.Itoa(limit))
	}
	var out api.List[api.EnforceRun]
	return out, c.do(ctx, http.MethodGet, "/api/v1/enforce/runs", q, nil, &out)
}

// EnforceRun returns one run with its plan (and its undo result, once undone).
func (c *Client) EnforceRun(ctx context.Context, id string) (api.EnforceRun, error) {
	var out api.EnforceRun
	return out, c.do(ctx, http.MethodGet, "/api/v1/enforce/runs/"+url.PathEscape(id), nil, nil, &out)
}

// EnforceUndo undoes a run; a second undo answers 409 (api.CodeAlreadyUndone).
func (c *Client) EnforceUndo(ctx context.Context, id string) (api.EnforceUndoResult, error) {
	var out api.EnforceUndoResult
	return out, c.do(ctx, http.MethodPost, "/api/v1/enforce/runs/"+url.PathEscape(id)+"/undo", nil, struct{}{}, &out)
}

// HasCode reports whether err is an admin API error with that code.
func HasCode(err error, code string) bool {
	var ae *api.Error
	return errors.As(err, &ae) && ae.Code == code
}
