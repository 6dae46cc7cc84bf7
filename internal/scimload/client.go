package scimload

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// client sends SCIM requests to one server. It is safe for concurrent use.
type client struct {
	base  string // e.g. http://127.0.0.1:8080/scim/v2, without a trailing slash
	auth  string // "Bearer …"
	http  *http.Client
	limit int64  // largest response body read, so a runaway server cannot exhaust memory
	media string // Accept and Content-Type: application/scim+json, or application/json for AuthZEN
}

// newClient builds a client tuned for load: keep-alive on, enough idle connections that every
// worker keeps its own connection between requests (otherwise each request would pay for a new
// TCP handshake and the numbers would measure the kernel, not the server), no compression.
func newClient(base, token string, concurrency int, timeout time.Duration) (*client, error) {
	u, err := url.Parse(base)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("-url %q: want http(s)://host:port/path", base)
	}
	tr := &http.Transport{
		Proxy:               nil, // loopback targets only: never route through an environment proxy
		DialContext:         (&net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		MaxIdleConns:        2*concurrency + 4,
		MaxIdleConnsPerHost: 2*concurrency + 4,
		IdleConnTimeout:     90 * time.Second,
		DisableCompression:  true,
		ForceAttemptHTTP2:   false,
	}
	return &client{
		base:  strings.TrimRight(base, "/"),
		auth:  "Bearer " + token,
		http:  &http.Client{Transport: tr, Timeout: timeout},
		limit: 256 << 20,
		media: "application/scim+json",
	}, nil
}

// response is what a check sees of one exchange.
type response struct {
	status int
	body   []byte
}

// do sends one request and reads the whole answer (so the connection can be reused).
// path is relative to the base and may carry a query string.
func (c *client) do(ctx context.Context, method, path string, body []byte) (response, error) {
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, rd)
	if err != nil {
		return response{}, err
	}
	req.Header.Set("Authorization", c.auth)
	req.Header.Set("Accept", c.media)
	if body != nil {
		req.Header.Set("Content-Type", c.media)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return response{}, err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, c.limit))
	if err != nil {
		return response{status: resp.StatusCode}, fmt.Errorf("reading body: %w", err)
	}
	return response{status: resp.StatusCode, body: data}, nil
}

// close drops idle connections.
func (c *client) close() { c.http.CloseIdleConnections() }

// filterQuery renders ?filter=… for an attribute eq "value" filter the way IdPs send it
// (the whole expression URL-encoded), plus any extra raw query parameters.
func filterQuery(attr, value, extra string) string {
	q := "?filter=" + url.QueryEscape(attr+` eq "`+value+`"`)
	if extra != "" {
		q += "&" + extra
	}
	return q
}

// membershipQuery renders Entra's membership test for user uid in group gid.
func membershipQuery(gid, uid string) string {
	return "?filter=" + url.QueryEscape(`id eq "`+gid+`" and members[value eq "`+uid+`"]`) + "&excludedAttributes=members"
}
