package client

import (
	"context"
	"net/http"

	"github.com/rolecall/rolecall/internal/authzen"
)

// The AuthZEN decision API (docs/authzen.md). The client's token must have scope decision
// (or admin); its organization is the one asked about. A deny is a Decision with Decision
// false and a reason in its context, never an error; an error means no decision was made.

// Evaluate asks one question: may the subject do the action on the resource?
func (c *Client) Evaluate(ctx context.Context, req authzen.EvaluationRequest) (authzen.Decision, error) {
	var out authzen.Decision
	return out, c.do(ctx, http.MethodPost, authzen.PathEvaluation, nil, req, &out)
}

// EvaluateBatch asks several questions in one request, answered at one revision.
func (c *Client) EvaluateBatch(ctx context.Context, req authzen.EvaluationsRequest) (authzen.EvaluationsResponse, error) {
	var out authzen.EvaluationsResponse
	return out, c.do(ctx, http.MethodPost, authzen.PathEvaluations, nil, req, &out)
}

// SearchSubjects lists the subjects that may do the action on the resource (one page).
func (c *Client) SearchSubjects(ctx context.Context, req authzen.SearchRequest) (authzen.SearchResponse[authzen.Subject], error) {
	var out authzen.SearchResponse[authzen.Subject]
	return out, c.do(ctx, http.MethodPost, authzen.PathSearchSubject, nil, req, &out)
}

// SearchResources lists the resources the subject may do the action on (one page).
func (c *Client) SearchResources(ctx context.Context, req authzen.SearchRequest) (authzen.SearchResponse[authzen.Resource], error) {
	var out authzen.SearchResponse[authzen.Resource]
	return out, c.do(ctx, http.MethodPost, authzen.PathSearchResource, nil, req, &out)
}

// SearchActions lists the actions the subject may do on the resource (one page).
func (c *Client) SearchActions(ctx context.Context, req authzen.SearchRequest) (authzen.SearchResponse[authzen.Action], error) {
	var out authzen.SearchResponse[authzen.Action]
	return out, c.do(ctx, http.MethodPost, authzen.PathSearchAction, nil, req, &out)
}
