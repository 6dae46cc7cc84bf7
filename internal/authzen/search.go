package authzen

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
)

// Page sizes of the searches: a request without page.limit (or with 0) gets DefaultLimit
// results; a larger limit than MaxLimit is lowered to it.
const (
	DefaultLimit = 100
	MaxLimit     = 1000
)

// SearchSubjects answers a subject search. scope is the tenant the request is answered for
// (the token's organization): page tokens are bound to it and to every parameter of the
// request, so a token is refused by another organization and when anything but the token
// changes between pages.
func SearchSubjects(ctx context.Context, pdp PDP, scope string, req *SearchRequest) (*SearchResponse[Subject], error) {
	return search(ctx, scope, SearchSubject, req, pdp.SearchSubjects)
}

// SearchResources answers a resource search; see SearchSubjects for scope.
func SearchResources(ctx context.Context, pdp PDP, scope string, req *SearchRequest) (*SearchResponse[Resource], error) {
	return search(ctx, scope, SearchResource, req, pdp.SearchResources)
}

// SearchActions answers an action search; see SearchSubjects for scope.
func SearchActions(ctx context.Context, pdp PDP, scope string, req *SearchRequest) (*SearchResponse[Action], error) {
	return search(ctx, scope, SearchAction, req, pdp.SearchActions)
}

func search[T any](ctx context.Context, scope string, kind SearchKind, req *SearchRequest,
	find func(context.Context, *SearchRequest, string, int) (SearchPage[T], error)) (*SearchResponse[T], error) {
	limit, explicit := DefaultLimit, false
	if req.Page != nil && req.Page.Limit != nil && *req.Page.Limit > 0 {
		limit, explicit = min(*req.Page.Limit, MaxLimit), true
	}
	digest := requestDigest(scope, kind, req)
	after := ""
	if req.Page != nil && req.Page.Token != "" {
		t, err := parseToken(req.Page.Token)
		if err != nil {
			return nil, err
		}
		if want := t.check(digest); subtle.ConstantTimeCompare(t.sum[:], want[:]) != 1 || explicit && t.limit != limit {
			return nil, badField("page.token", "the request changed between pages: subject, action, resource, context and page.limit must stay as they were when the token was issued")
		}
		after, limit = t.after, t.limit
	}
	page, err := find(ctx, req, after, limit)
	if err != nil {
		return nil, err
	}
	resp := &SearchResponse[T]{Page: &PageResponse{Count: len(page.Results)}, Context: page.Context, Results: page.Results}
	if resp.Results == nil {
		resp.Results = []T{}
	}
	if page.Next != "" {
		t := token{limit: limit, after: page.Next}
		t.sum = t.check(digest)
		resp.Page.NextToken = t.String()
	}
	return resp, nil
}

// requestDigest binds a page token to the tenant, the search and every parameter of the
// request but the token: the entities and context as decoded (re-encoded, so whitespace
// does not matter; the searched-for entity's ignored id is already cleared) and
// page.properties. page.limit is kept in the token itself, so a follow-up request may omit
// it (as the spec's own example does) but not change it.
func requestDigest(scope string, kind SearchKind, req *SearchRequest) [16]byte {
	canon := struct {
		Subject    *Subject        `json:"s,omitempty"`
		Action     *Action         `json:"a,omitempty"`
		Resource   *Resource       `json:"r,omitempty"`
		Context    json.RawMessage `json:"c,omitempty"`
		Properties json.RawMessage `json:"p,omitempty"`
	}{Subject: req.Subject, Action: req.Action, Resource: req.Resource, Context: req.Context}
	if req.Page != nil {
		canon.Properties = req.Page.Properties
	}
	b, err := json.Marshal(canon)
	if err != nil { // the members were validated as JSON; this cannot happen
		b = nil
	}
	h := sha256.New()
	h.Write([]byte(scope))
	h.Write([]byte{0, byte(kind)})
	h.Write(b)
	var d [16]byte
	copy(d[:], h.Sum(nil))
	return d
}

// token is a page token: version 1, a check sum, the page size and the PDP's key,
// base64url-encoded. It is opaque to clients. The sum covers the request digest, the size
// and the key, so a token is refused for another request and when it was altered or cut.
// It is not a secret and not signed: it only resumes a search its holder could repeat.
type token struct {
	sum   [16]byte
	limit int
	after string
}

// check computes the sum of t for a request digest.
func (t token) check(digest [16]byte) [16]byte {
	h := sha256.New()
	h.Write(digest[:])
	h.Write(binary.AppendUvarint(nil, uint64(t.limit)))
	h.Write([]byte(t.after))
	var s [16]byte
	copy(s[:], h.Sum(nil))
	return s
}

const tokenVersion = 1

func (t token) String() string {
	b := make([]byte, 0, 1+16+binary.MaxVarintLen64+len(t.after))
	b = append(b, tokenVersion)
	b = append(b, t.sum[:]...)
	b = binary.AppendUvarint(b, uint64(t.limit))
	b = append(b, t.after...)
	return base64.RawURLEncoding.EncodeToString(b)
}

func parseToken(s string) (token, error) {
	bad := badField("page.token", "is not a token this server issued; start again without one")
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil || len(b) < 1+16+1 || b[0] != tokenVersion {
		return token{}, bad
	}
	var t token
	copy(t.sum[:], b[1:17])
	limit, n := binary.Uvarint(b[17:])
	if n <= 0 || limit == 0 || limit > MaxLimit {
		return token{}, bad
	}
	t.limit, t.after = int(limit), string(b[17+n:])
	if t.after == "" {
		return token{}, bad
	}
	return t, nil
}
