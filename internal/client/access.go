package client

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/rolecall/rolecall/internal/access"
	"github.com/rolecall/rolecall/internal/api"
)

// Grants, effective access, explain and the audit log.

// CreateGrant grants a role. created is false when the same grant already existed (the
// server answers it unchanged, 200 instead of 201).
func (c *Client) CreateGrant(ctx context.Context, req api.GrantRequest) (g api.Grant, created bool, err error) {
	status, err := c.doStatus(ctx, http.MethodPost, "/api/v1/grants", nil, req, &g)
	return g, status == http.StatusCreated, err
}

// RevokeGrant revokes the grant that req names; it returns the revoked grant.
func (c *Client) RevokeGrant(ctx context.Context, req api.GrantRequest) (api.Grant, error) {
	var out api.Grant
	return out, c.do(ctx, http.MethodPost, "/api/v1/grants/revoke", nil, req, &out)
}

// Grant returns a grant by id.
func (c *Client) Grant(ctx context.Context, id string) (api.Grant, error) {
	var out api.Grant
	return out, c.do(ctx, http.MethodGet, pathOf("/api/v1/grants", id), nil, nil, &out)
}

// DeleteGrant revokes a grant by id.
func (c *Client) DeleteGrant(ctx context.Context, id string) (api.Grant, error) {
	var out api.Grant
	return out, c.do(ctx, http.MethodDelete, pathOf("/api/v1/grants", id), nil, nil, &out)
}

// ListGrants lists grants narrowed by f.
func (c *Client) ListGrants(ctx context.Context, f api.GrantFilter) ([]api.Grant, error) {
	q := url.Values{}
	for k, v := range map[string]string{"principalType": f.PrincipalType, "principal": f.Principal,
		"resourceKind": f.ResourceKind, "resource": f.Resource} {
		if v != "" {
			q.Set(k, v)
		}
	}
	var l api.List[api.Grant]
	return l.Items, c.do(ctx, http.MethodGet, "/api/v1/grants", q, nil, &l)
}

// AccessReview returns the org's access-review export.
func (c *Client) AccessReview(ctx context.Context) (access.Review, error) {
	var out access.Review
	return out, c.do(ctx, http.MethodGet, "/api/v1/access", nil, nil, &out)
}

// AccessReviewRows returns the org's access review as rows (what access.WriteReviewCSV
// writes).
func (c *Client) AccessReviewRows(ctx context.Context) ([]access.ReviewRow, error) {
	var l api.List[access.ReviewRow]
	return l.Items, c.do(ctx, http.MethodGet, "/api/v1/access/rows", nil, nil, &l)
}

// UserAccess returns one user's effective access.
func (c *Client) UserAccess(ctx context.Context, user string) (api.UserAccess, error) {
	var out api.UserAccess
	return out, c.do(ctx, http.MethodGet, pathOf("/api/v1/access/users", user), nil, nil, &out)
}

// Explain lists every source of a user's access: on one resource (kind "organization",
// "cloud" or "project" and its id or name), or on every resource when kind is "".
func (c *Client) Explain(ctx context.Context, user, kind, resource string) (api.Explanation, error) {
	q := url.Values{}
	if kind != "" {
		q.Set("resourceKind", kind)
	}
	if resource != "" {
		q.Set("resource", resource)
	}
	var out api.Explanation
	return out, c.do(ctx, http.MethodGet, pathOf("/api/v1/access/users", user)+"/explain", q, nil, &out)
}

// ListAudit lists one page of audit events, newest first.
func (c *Client) ListAudit(ctx context.Context, f api.AuditFilter) (api.List[api.AuditEvent], error) {
	q := url.Values{}
	if !f.Since.IsZero() {
		q.Set("since", f.Since.UTC().Format(time.RFC3339Nano))
	}
	if !f.Until.IsZero() {
		q.Set("until", f.Until.UTC().Format(time.RFC3339Nano))
	}
	for k, v := range map[string]string{"actor": f.Actor, "action": f.Action, "targetType": f.TargetType, "target": f.Target} {
		if v != "" {
			q.Set(k, v)
		}
	}
	if f.After > 0 {
		q.Set("after", strconv.FormatInt(f.After, 10))
	}
	var l api.List[api.AuditEvent]
	return l, c.do(ctx, http.MethodGet, "/api/v1/audit", pageQuery(q, f.Page), nil, &l)
}
