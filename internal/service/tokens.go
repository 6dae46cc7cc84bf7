package service

import (
	"context"

	"github.com/rolecall/rolecall/internal/api"
	"github.com/rolecall/rolecall/internal/auth"
	"github.com/rolecall/rolecall/internal/store"
)

// The org itself and its API tokens. Package auth owns what a token is (its secret, hash,
// scopes, expiry); these run its calls in their transactions.

// Org reads the org.
func (s *Service) Org(ctx context.Context, org string) (o store.Org, err error) {
	err = s.store.View(ctx, func(tx store.Tx) error {
		o, err = tx.Org(ctx, org)
		return err
	})
	return o, err
}

// Token reads one of the org's tokens (never its secret, which is not stored).
func (s *Service) Token(ctx context.Context, org, id string) (t store.Token, err error) {
	err = s.store.View(ctx, func(tx store.Tx) error {
		t, err = tx.Token(ctx, org, id)
		return err
	})
	return t, err
}

// Tokens lists the org's tokens.
func (s *Service) Tokens(ctx context.Context, org string) (out []api.Token, err error) {
	err = s.store.View(ctx, func(tx store.Tx) error {
		out, err = auth.ListTokens(ctx, tx, org)
		return err
	})
	return out, err
}

// CreateToken creates a token of the org with a new random secret, or with secret when it
// is set (bootstrap); the answer holds the secret, shown this once.
func (s *Service) CreateToken(ctx context.Context, org string, req api.CreateTokenRequest, secret string) (out api.CreatedToken, err error) {
	err = s.store.Update(ctx, func(tx store.Tx) error {
		out, err = auth.CreateToken(ctx, tx, org, req, secret)
		return err
	})
	return out, err
}

// RevokeToken revokes a token by id or name. The record stays (audit); revoking twice is a
// no-op that answers the same record.
func (s *Service) RevokeToken(ctx context.Context, org, ref string) (out api.Token, err error) {
	err = s.store.Update(ctx, func(tx store.Tx) error {
		out, err = auth.RevokeToken(ctx, tx, org, ref)
		return err
	})
	return out, err
}
