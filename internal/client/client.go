// Package client is the typed Go client of rolecall's admin API (/api/v1), plus the few
// SCIM requests (/scim/v2) an identity provider sends to create users and groups, which
// `rolecall seed example` plays (scim.go). The CLI reaches the server through it and nothing
// else, so every CLI feature is also an API feature. It may import api and the standard
// library.
package client

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/rolecall/rolecall/internal/api"
)

// Client talks to one rolecall server with one token.
type Client struct {
	base  *url.URL
	token string
	http  *http.Client
}

// New returns a client for the server at baseURL (e.g. http://127.0.0.1:8080).
func New(baseURL, token string) (*Client, error) {
	u, err := url.Parse(strings.TrimRight(baseURL, "/"))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("server URL %q is not an http(s) URL: set --server or ROLECALL_URL, e.g. http://127.0.0.1:8080", baseURL)
	}
	return &Client{base: u, token: token, http: &http.Client{Timeout: 5 * time.Minute}}, nil
}

// WithHTTPClient replaces the HTTP client (tests, custom TLS).
func (c *Client) WithHTTPClient(h *http.Client) *Client { c.http = h; return c }

// BaseURL is the server URL the client talks to.
func (c *Client) BaseURL() string { return c.base.String() }

// do sends one request; in (if not nil) is the JSON body, out (if not nil) receives the JSON
// answer. Non-2xx answers come back as *api.Error.
func (c *Client) do(ctx context.Context, method, path string, query url.Values, in, out any) error {
	_, err := c.doStatus(ctx, method, path, query, in, out)
	return err
}

// doStatus is do that also returns the HTTP status (0 when no answer came), for the few
// calls whose meaning depends on it (201 created vs 200 already there).
func (c *Client) doStatus(ctx context.Context, method, path string, query url.Values, in, out any) (int, error) {
	// path arrives escaped (names in it went through url.PathEscape): keep that escaping,
	// so that a name holding '/' or '%' stays one path segment.
	u := *c.base
	u.RawPath = c.base.EscapedPath() + path
	if p, err := url.PathUnescape(u.RawPath); err == nil {
		u.Path = p
	} else {
		return 0, fmt.Errorf("bad request path %q: %w", path, err)
	}
	u.RawQuery = query.Encode()
	var body io.Reader
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return 0, err
		}
		body = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, u.String(), body)
	if err != nil {
		return 0, err
	}
	if in != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("Accept", "application/json")
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return 0, c.connError(err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, 256<<20))
	if err != nil {
		return resp.StatusCode, fmt.Errorf("reading the answer of %s %s: %w", method, u.Path, err)
	}
	if resp.StatusCode >= 300 {
		var ae api.Error
		if json.Unmarshal(data, &ae) == nil && ae.Message != "" {
			if ae.Status == 0 {
				ae.Status = resp.StatusCode
			}
			return resp.StatusCode, &ae
		}
		return resp.StatusCode, &api.Error{Status: resp.StatusCode, Code: "http_" + fmt.Sprint(resp.StatusCode),
			Message: fmt.Sprintf("%s %s answered %s: %s", method, u.Path, resp.Status, strings.TrimSpace(string(data)))}
	}
	if out != nil && resp.StatusCode != http.StatusNoContent {
		if err := json.Unmarshal(data, out); err != nil {
			return resp.StatusCode, fmt.Errorf("decoding the answer of %s %s: %w", method, u.Path, err)
		}
	}
	return resp.StatusCode, nil
}

// connError explains a failure to reach the server in terms a person can act on.
func (c *Client) connError(err error) error {
	var ne net.Error
	hint := "is `rolecall serve` running there? Point the CLI elsewhere with --server or ROLECALL_URL"
	if errors.As(err, &ne) && ne.Timeout() {
		hint = "the server did not answer in time"
	}
	return fmt.Errorf("cannot reach rolecall at %s: %v (%s)", c.base, unwrapURLError(err), hint)
}

func unwrapURLError(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}

// IsNotFound reports whether err is an API 404.
func IsNotFound(err error) bool {
	var ae *api.Error
	return errors.As(err, &ae) && ae.Status == http.StatusNotFound
}

// Org returns the org of the client's token.
func (c *Client) Org(ctx context.Context) (api.Org, error) {
	var o api.Org
	return o, c.do(ctx, http.MethodGet, "/api/v1/org", nil, nil, &o)
}

// CreateToken issues a token in the caller's org; the answer holds the secret, once.
func (c *Client) CreateToken(ctx context.Context, req api.CreateTokenRequest) (api.CreatedToken, error) {
	var t api.CreatedToken
	return t, c.do(ctx, http.MethodPost, "/api/v1/tokens", nil, req, &t)
}

// ListTokens lists the caller's org's tokens.
func (c *Client) ListTokens(ctx context.Context) ([]api.Token, error) {
	var l api.List[api.Token]
	return l.Items, c.do(ctx, http.MethodGet, "/api/v1/tokens", nil, nil, &l)
}

// RevokeToken revokes a token by id or name.
func (c *Client) RevokeToken(ctx context.Context, idOrName string) (api.Token, error) {
	var t api.Token
	return t, c.do(ctx, http.MethodDelete, "/api/v1/tokens/"+url.PathEscape(idOrName), nil, nil, &t)
}
