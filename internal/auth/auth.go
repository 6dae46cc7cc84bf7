// Package auth authenticates API requests, carries the authenticated principal of a request
// in its context (WithPrincipal, PrincipalFrom), and manages the lifecycle of tokens (create,
// list, revoke) on top of the store, for the server and for the offline CLI alike. It may
// import store, token, audit, api and the standard library; it knows nothing of HTTP beyond
// the Authorization header value.
package auth

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/rolecall/rolecall/internal/api"
	"github.com/rolecall/rolecall/internal/audit"
	"github.com/rolecall/rolecall/internal/store"
	"github.com/rolecall/rolecall/internal/token"
)

// Principal is an authenticated caller.
type Principal struct {
	OrgID     string
	TokenID   string
	TokenName string
	Scope     store.Scope
}

// Failure is why a request was not authenticated or not allowed; Status is 401 or 403.
type Failure struct {
	Status int
	Reason string
}

func (f *Failure) Error() string { return f.Reason }

// Authenticator checks bearer tokens against the store.
type Authenticator struct {
	Store store.Store
	// TouchEvery bounds how often last-use is written per token, so that authentication does
	// not turn every read into a write (SQLite has one writer).
	TouchEvery time.Duration
	// Now is the clock (tests).
	Now func() time.Time
	// CacheFor is how long a token read from the store is trusted without reading it again
	// (default DefaultCacheFor; negative: never). Looking the token up was 9–13% of the
	// server's CPU on every SCIM request. Revocation through this Authenticator's server
	// (Forget) takes effect at once; a revocation made elsewhere (another server on the same
	// PostgreSQL database, the offline CLI) within CacheFor. Expiry is checked against the
	// clock on every request, cached or not.
	CacheFor time.Duration

	mu      sync.Mutex
	touched map[string]time.Time
	cache   map[string]cachedToken // by token hash
}

// DefaultCacheFor bounds how long a revocation made by another process can go unseen.
const DefaultCacheFor = time.Second

// maxCachedTokens bounds the cache; tokens are few, so reaching it means a flood of distinct
// valid tokens, and starting over is as good as any eviction.
const maxCachedTokens = 4096

type cachedToken struct {
	t     store.Token
	until time.Time
}

// Authenticate resolves the Authorization header value to a principal allowed to use scope.
func (a *Authenticator) Authenticate(ctx context.Context, header string, scope store.Scope) (Principal, error) {
	secret, err := token.FromHeader(header)
	if err != nil {
		return Principal{}, &Failure{Status: 401, Reason: err.Error()}
	}
	h := token.Hash(secret)
	now := a.now()
	t, ok := a.cached(h, now)
	if !ok {
		err = a.Store.View(ctx, func(tx store.Tx) error {
			var err error
			t, err = tx.TokenByHash(ctx, h)
			return err
		})
		if errors.Is(err, store.ErrNotFound) || (err == nil && !token.Equal(t.Hash, h)) {
			return Principal{}, &Failure{Status: 401, Reason: token.ErrUnknown.Error()}
		}
		if err != nil {
			return Principal{}, err
		}
		a.remember(h, t, now)
	}
	if t.RevokedAt != nil {
		return Principal{}, &Failure{Status: 401, Reason: fmt.Sprintf("token %q was revoked at %s", t.Name, t.RevokedAt.Format(time.RFC3339))}
	}
	if t.ExpiresAt != nil && !now.Before(*t.ExpiresAt) {
		return Principal{}, &Failure{Status: 401, Reason: fmt.Sprintf("token %q expired at %s", t.Name, t.ExpiresAt.Format(time.RFC3339))}
	}
	if !Satisfies(t.Scope, scope) {
		reason := fmt.Sprintf("token %q has scope %q; this endpoint needs a token with scope %q", t.Name, t.Scope, scope)
		if t.Scope == store.ScopeEvents {
			reason += " (an events token reads the change feed, GET /api/v1/events, and nothing else)"
		}
		if t.Scope == store.ScopeDecision {
			reason += " (a decision token asks for AuthZEN decisions, /access/v1/..., and nothing else)"
		}
		return Principal{}, &Failure{Status: 403, Reason: reason}
	}
	a.touch(ctx, t.ID, now, requestFrom(ctx))
	return Principal{OrgID: t.OrgID, TokenID: t.ID, TokenName: t.Name, Scope: t.Scope}, nil
}

// cached returns the token of hash h if it was read from the store less than CacheFor ago.
func (a *Authenticator) cached(h []byte, now time.Time) (store.Token, bool) {
	if a.CacheFor < 0 {
		return store.Token{}, false
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	c, ok := a.cache[string(h)]
	if !ok || !now.Before(c.until) {
		return store.Token{}, false
	}
	return c.t, true
}

func (a *Authenticator) remember(h []byte, t store.Token, now time.Time) {
	ttl := a.CacheFor
	if ttl < 0 {
		return
	}
	if ttl == 0 {
		ttl = DefaultCacheFor
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.cache == nil || len(a.cache) >= maxCachedTokens {
		a.cache = map[string]cachedToken{}
	}
	a.cache[string(h)] = cachedToken{t: t, until: now.Add(ttl)}
}

// Forget drops the cached record of token id, so that its revocation through this server
// takes effect on the next request.
func (a *Authenticator) Forget(id string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	for h, c := range a.cache {
		if c.t.ID == id {
			delete(a.cache, h)
		}
	}
}

func (a *Authenticator) now() time.Time {
	if a.Now != nil {
		return a.Now().UTC()
	}
	return store.Now()
}

// touch records last use, and what the request was, at most once per TouchEvery per token
// (default a minute): the request recorded is the first of each window, so "last seen" is
// at most that stale, and a busy identity provider costs one write a minute rather than one
// per request. A failure to record it is not a reason to refuse the request.
func (a *Authenticator) touch(ctx context.Context, id string, now time.Time, request string) {
	every := a.TouchEvery
	if every == 0 {
		every = time.Minute
	}
	a.mu.Lock()
	if a.touched == nil {
		a.touched = map[string]time.Time{}
	}
	last, ok := a.touched[id]
	if ok && now.Sub(last) < every {
		a.mu.Unlock()
		return
	}
	a.touched[id] = now
	a.mu.Unlock()
	_ = a.Store.Update(ctx, func(tx store.Tx) error { return tx.TouchToken(ctx, id, now, request) })
}

// Satisfies reports whether a token of scope have may call an endpoint that needs scope
// need: the same scope, or admin for the change feed and for decisions. An admin may read
// what its org's events token reads; and whoever can grant roles can already work out every
// decision, so refusing it would only make operators mint a second token to test with. The
// events and decision scopes reach nothing else, and a SCIM token no decision: an identity
// provider has no business asking them.
func Satisfies(have, need store.Scope) bool {
	return have == need || (have == store.ScopeAdmin && (need == store.ScopeEvents || need == store.ScopeDecision))
}

// ParseScope validates a scope name.
func ParseScope(s string) (store.Scope, error) {
	switch store.Scope(strings.ToLower(s)) {
	case store.ScopeSCIM:
		return store.ScopeSCIM, nil
	case store.ScopeAdmin:
		return store.ScopeAdmin, nil
	case store.ScopeEvents:
		return store.ScopeEvents, nil
	case store.ScopeDecision:
		return store.ScopeDecision, nil
	}
	return "", fmt.Errorf("%w: scope %q: use scim, admin, events (reads the change feed only) or decision (AuthZEN decisions only)", store.ErrInvalid, s)
}

// CreateToken issues a token in the org: a new random secret, or the given one (bootstrap).
// The secret is returned once and never stored.
func CreateToken(ctx context.Context, tx store.Tx, orgID string, req api.CreateTokenRequest, secret string) (api.CreatedToken, error) {
	name := strings.TrimSpace(req.Name)
	if name == "" {
		return api.CreatedToken{}, fmt.Errorf("%w: a token needs a name (--name): it is how the audit log names the actor", store.ErrInvalid)
	}
	scope, err := ParseScope(req.Scope)
	if err != nil {
		return api.CreatedToken{}, err
	}
	now := store.Now()
	if req.ExpiresAt != nil && !req.ExpiresAt.After(now) {
		return api.CreatedToken{}, fmt.Errorf("%w: expiry %s is in the past", store.ErrInvalid, req.ExpiresAt.Format(time.RFC3339))
	}
	var hash []byte
	if secret == "" {
		secret, hash = token.Generate()
	} else {
		if err := token.CheckShape(secret); err != nil {
			return api.CreatedToken{}, fmt.Errorf("%w: a chosen token must be %d–%d printable characters without spaces", store.ErrInvalid, token.MinLen, token.MaxLen)
		}
		hash = token.Hash(secret)
	}
	t := store.Token{OrgID: orgID, Name: name, Scope: scope, Hash: hash, CreatedAt: now, CreatedBy: audit.ActorFrom(ctx).Name}
	if req.ExpiresAt != nil {
		e := req.ExpiresAt.UTC().Truncate(time.Microsecond)
		t.ExpiresAt = &e
	}
	t, err = tx.CreateToken(ctx, t)
	if err != nil {
		return api.CreatedToken{}, err
	}
	org, err := tx.Org(ctx, orgID)
	if err != nil {
		return api.CreatedToken{}, err
	}
	view := TokenView(org, t)
	if err := audit.Log(ctx, tx, orgID, audit.ActionTokenCreate, audit.TargetToken, t.ID, nil, view); err != nil {
		return api.CreatedToken{}, err
	}
	return api.CreatedToken{Token: view, Secret: secret}, nil
}

// RevokeToken revokes the token named by id or name.
func RevokeToken(ctx context.Context, tx store.Tx, orgID, idOrName string) (api.Token, error) {
	t, err := FindToken(ctx, tx, orgID, idOrName)
	if err != nil {
		return api.Token{}, err
	}
	org, err := tx.Org(ctx, orgID)
	if err != nil {
		return api.Token{}, err
	}
	before := TokenView(org, t)
	if t.RevokedAt != nil {
		return before, nil
	}
	t, err = tx.RevokeToken(ctx, orgID, t.ID, store.Now())
	if err != nil {
		return api.Token{}, err
	}
	after := TokenView(org, t)
	return after, audit.Log(ctx, tx, orgID, audit.ActionTokenRevoke, audit.TargetToken, t.ID, before, after)
}

// FindToken finds a token by id, then by name.
func FindToken(ctx context.Context, tx store.Tx, orgID, idOrName string) (store.Token, error) {
	t, err := tx.Token(ctx, orgID, idOrName)
	if errors.Is(err, store.ErrNotFound) {
		t, err = tx.TokenByName(ctx, orgID, idOrName)
	}
	if errors.Is(err, store.ErrNotFound) {
		return t, fmt.Errorf("%w: no token with id or name %q in this org", store.ErrNotFound, idOrName)
	}
	return t, err
}

// ListTokens lists the org's tokens.
func ListTokens(ctx context.Context, tx store.Tx, orgID string) ([]api.Token, error) {
	org, err := tx.Org(ctx, orgID)
	if err != nil {
		return nil, err
	}
	ts, err := tx.ListTokens(ctx, orgID)
	if err != nil {
		return nil, err
	}
	out := make([]api.Token, len(ts))
	for i, t := range ts {
		out[i] = TokenView(org, t)
	}
	return out, nil
}

// TokenView is the API form of a stored token.
func TokenView(org store.Org, t store.Token) api.Token {
	return api.Token{ID: t.ID, Org: org.Name, Name: t.Name, Scope: string(t.Scope), CreatedAt: t.CreatedAt,
		CreatedBy: t.CreatedBy, ExpiresAt: t.ExpiresAt, RevokedAt: t.RevokedAt, LastUsedAt: t.LastUsedAt,
		LastRequest: t.LastRequest}
}
