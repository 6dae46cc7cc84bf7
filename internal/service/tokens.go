package service

import (
	"context"

	"github.com/rolecall/rolecall/internal/api"
	"github.com/rolecall/rolecall/internal/auth"
	"github.com/rolecall/rolecall/internal/events"
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
	err = s.write(ctx, org, func(tx store.Tx, ob *Outbox) error {
		out, err = auth.CreateToken(ctx, tx, org, req, secret)
		ob.Add(events.TokenCreated, tokenEvent(out.Token))
		return err
	})
	return out, err
}

// RevokeToken revokes a token by id or name. The record stays (audit); revoking twice is a
// no-op that answers the same record.
func (s *Service) RevokeToken(ctx context.Context, org, ref string) (out api.Token, err error) {
	err = s.write(ctx, org, func(tx store.Tx, ob *Outbox) error {
		t, err := auth.FindToken(ctx, tx, org, ref)
		if err != nil {
			return err
		}
		if out, err = auth.RevokeToken(ctx, tx, org, t.ID); err != nil {
			return err
		}
		if t.RevokedAt == nil { // revoking twice changes nothing: no second event
			ob.Add(events.TokenRevoked, tokenEvent(out))
		}
		return nil
	})
	return out, err
}

// CreateOrg creates an org (and its organization resource); the audit event is the org's.
func (s *Service) CreateOrg(ctx context.Context, name string) (org store.Org, err error) {
	err = s.store.Update(ctx, func(tx store.Tx) error {
		org, err = auth.CreateOrg(ctx, tx, name)
		return err
	})
	return org, err
}

// CreateOrgWithToken creates an org and a first token of it in one transaction, so that no
// org is left without a way in (`rolecall demo`).
func (s *Service) CreateOrgWithToken(ctx context.Context, name string, req api.CreateTokenRequest) (org store.Org, tok api.CreatedToken, err error) {
	// The org's id is known only inside the transaction, so its one event is appended here
	// rather than by s.write.
	var ob Outbox
	err = s.store.Update(ctx, func(tx store.Tx) error {
		ob = Outbox{}
		if org, err = auth.CreateOrg(ctx, tx, name); err != nil {
			return err
		}
		if tok, err = auth.CreateToken(ctx, tx, org.ID, req, ""); err != nil {
			return err
		}
		ob.Add(events.TokenCreated, tokenEvent(tok.Token))
		return ob.Commit(ctx, tx, org.ID)
	})
	if err == nil {
		ob.Publish(ctx, org.ID)
	}
	return org, tok, err
}

// Orgs lists every org of the database (offline administration).
func (s *Service) Orgs(ctx context.Context) (orgs []store.Org, err error) {
	err = s.store.View(ctx, func(tx store.Tx) error {
		orgs, err = tx.ListOrgs(ctx)
		return err
	})
	return orgs, err
}

// OrgByName reads the org named name.
func (s *Service) OrgByName(ctx context.Context, name string) (org store.Org, err error) {
	err = s.store.View(ctx, func(tx store.Tx) error {
		org, err = tx.OrgByName(ctx, name)
		return err
	})
	return org, err
}

// tokenEvent is the payload of a token event: never the secret.
func tokenEvent(t api.Token) events.TokenData {
	var d events.TokenData
	d.Token.ID, d.Token.Name, d.Token.Scope, d.Token.ExpiresAt = t.ID, t.Name, t.Scope, t.ExpiresAt
	return d
}
