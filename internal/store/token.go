package store

import (
	"context"
	"time"
)

// Scope is what a token may do.
type Scope string

// Token scopes.
const (
	ScopeSCIM  Scope = "scim"
	ScopeAdmin Scope = "admin"
	// ScopeDecision may call the AuthZEN decision endpoints (/access/v1/…) and nothing else:
	// what a platform's gateway holds to ask "may this user do that?" on every request,
	// without the power to change or list anything.
	ScopeDecision Scope = "decision"
	// ScopeEvents reads the org's change feed (GET /api/v1/events) and nothing else: what a
	// platform that reacts to access changes holds, without the power to make them.
	ScopeEvents Scope = "events"
)

// Token is an API credential. Only the SHA-256 of the secret is stored. Name is unique per
// org.
type Token struct {
	OrgID      string
	ID         string
	Name       string
	Scope      Scope
	Hash       []byte
	CreatedAt  time.Time
	CreatedBy  string
	ExpiresAt  *time.Time
	RevokedAt  *time.Time
	LastUsedAt *time.Time
	// LastRequest is what the token last did, recorded with LastUsedAt: the method and the
	// resource type it addressed, e.g. "PATCH /Groups/…" (ids left out).
	LastRequest string
}

// TokenTx reads and writes tokens.
type TokenTx interface {
	CreateToken(ctx context.Context, t Token) (Token, error)
	// TokenByHash finds a token of any org by the SHA-256 of its secret (authentication).
	TokenByHash(ctx context.Context, hash []byte) (Token, error)
	Token(ctx context.Context, orgID, id string) (Token, error)
	TokenByName(ctx context.Context, orgID, name string) (Token, error)
	ListTokens(ctx context.Context, orgID string) ([]Token, error)
	// RevokeToken sets RevokedAt (idempotent: an already revoked token keeps its time).
	RevokeToken(ctx context.Context, orgID, id string, at time.Time) (Token, error)
	// TouchToken records a use at at, and request as LastRequest when not empty.
	TouchToken(ctx context.Context, id string, at time.Time, request string) error
}
