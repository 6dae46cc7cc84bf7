package sqlstore

import (
	"context"
	"crypto/subtle"
	"fmt"
	"strings"
	"time"

	"github.com/rolecall/rolecall/internal/store"
)

const tokenCols = "id, org_id, name, scope, hash, created_at, created_by, expires_at, revoked_at, last_used_at, last_request"

func scanToken(sc interface{ Scan(...any) error }) (store.Token, error) {
	var tk store.Token
	err := sc.Scan(&tk.ID, &tk.OrgID, &tk.Name, &tk.Scope, &tk.Hash, timeCol{&tk.CreatedAt}, &tk.CreatedBy,
		timePtrCol{&tk.ExpiresAt}, timePtrCol{&tk.RevokedAt}, timePtrCol{&tk.LastUsedAt}, &tk.LastRequest)
	return tk, err
}

func normPtr(p *time.Time) *time.Time {
	if p == nil {
		return nil
	}
	v := norm(*p)
	return &v
}

// CreateToken stores a token (its hash only). Names are unique per org, case-insensitively.
func (t *tx) CreateToken(ctx context.Context, tk store.Token) (store.Token, error) {
	if err := t.writable("CreateToken"); err != nil {
		return store.Token{}, err
	}
	what := fmt.Sprintf("token %q", tk.Name)
	switch {
	case strings.TrimSpace(tk.Name) == "":
		return store.Token{}, fmt.Errorf("%w: token name is empty", store.ErrInvalid)
	case tk.Scope != store.ScopeSCIM && tk.Scope != store.ScopeAdmin && tk.Scope != store.ScopeEvents && tk.Scope != store.ScopeDecision:
		return store.Token{}, fmt.Errorf("%w: token scope %q (want scim, admin, events or decision)", store.ErrInvalid, tk.Scope)
	case len(tk.Hash) == 0:
		return store.Token{}, fmt.Errorf("%w: token %q has no hash", store.ErrInvalid, tk.Name)
	}
	if err := t.orgExists(ctx, tk.OrgID); err != nil {
		return store.Token{}, err
	}
	if tk.ID == "" {
		tk.ID = newID()
	}
	tk.CreatedAt = norm(tk.CreatedAt)
	tk.ExpiresAt, tk.RevokedAt, tk.LastUsedAt = normPtr(tk.ExpiresAt), normPtr(tk.RevokedAt), normPtr(tk.LastUsedAt)
	n, err := t.exec(ctx, `INSERT INTO tokens (id, org_id, name, name_lower, scope, hash, created_at, created_by,
			expires_at, revoked_at, last_used_at, last_request)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) ON CONFLICT DO NOTHING`,
		tk.ID, tk.OrgID, tk.Name, fold(tk.Name), string(tk.Scope), tk.Hash, t.d.t(tk.CreatedAt), tk.CreatedBy,
		t.d.tp(tk.ExpiresAt), t.d.tp(tk.RevokedAt), t.d.tp(tk.LastUsedAt), tk.LastRequest)
	if err != nil {
		return store.Token{}, t.d.mapErr(err, what)
	}
	if n == 0 {
		return store.Token{}, fmt.Errorf("%w: %s (name, id or secret taken)", store.ErrConflict, what)
	}
	return tk, nil
}

func (t *tx) getToken(ctx context.Context, what, where string, args ...any) (store.Token, error) {
	if err := t.ready(); err != nil {
		return store.Token{}, err
	}
	rows, err := t.query(ctx, "SELECT "+tokenCols+" FROM tokens WHERE "+where, args...)
	if err != nil {
		return store.Token{}, t.d.mapErr(err, what)
	}
	defer rows.Close()
	if !rows.Next() {
		if err := rows.Err(); err != nil {
			return store.Token{}, t.d.mapErr(err, what)
		}
		return store.Token{}, fmt.Errorf("%w: %s", store.ErrNotFound, what)
	}
	tk, err := scanToken(rows)
	if err != nil {
		return store.Token{}, t.d.mapErr(err, what)
	}
	return tk, nil
}

// TokenByHash finds a token of any org by the SHA-256 of its secret. The index lookup finds
// the row; the constant-time comparison makes the final check independent of where the
// bytes differ.
func (t *tx) TokenByHash(ctx context.Context, hash []byte) (store.Token, error) {
	if len(hash) == 0 {
		return store.Token{}, fmt.Errorf("%w: token", store.ErrNotFound)
	}
	tk, err := t.getToken(ctx, "token", "hash = $1", hash)
	if err != nil {
		return store.Token{}, err
	}
	if subtle.ConstantTimeCompare(tk.Hash, hash) != 1 {
		return store.Token{}, fmt.Errorf("%w: token", store.ErrNotFound)
	}
	return tk, nil
}

// Token returns a token by id.
func (t *tx) Token(ctx context.Context, orgID, id string) (store.Token, error) {
	return t.getToken(ctx, fmt.Sprintf("token %q", id), "org_id = $1 AND id = $2", orgID, id)
}

// TokenByName finds a token by name, case-insensitively.
func (t *tx) TokenByName(ctx context.Context, orgID, name string) (store.Token, error) {
	return t.getToken(ctx, fmt.Sprintf("token %q", name), "org_id = $1 AND name_lower = $2", orgID, fold(name))
}

// ListTokens lists the org's tokens by name.
func (t *tx) ListTokens(ctx context.Context, orgID string) ([]store.Token, error) {
	if err := t.ready(); err != nil {
		return nil, err
	}
	rows, err := t.query(ctx, "SELECT "+tokenCols+" FROM tokens WHERE org_id = $1 ORDER BY name_lower, id", orgID)
	if err != nil {
		return nil, t.d.mapErr(err, "list tokens")
	}
	defer rows.Close()
	out := []store.Token{}
	for rows.Next() {
		tk, err := scanToken(rows)
		if err != nil {
			return nil, t.d.mapErr(err, "list tokens")
		}
		out = append(out, tk)
	}
	return out, t.d.mapErr(rows.Err(), "list tokens")
}

// RevokeToken sets RevokedAt once; revoking again keeps the first time.
func (t *tx) RevokeToken(ctx context.Context, orgID, id string, at time.Time) (store.Token, error) {
	if err := t.writable("RevokeToken"); err != nil {
		return store.Token{}, err
	}
	n, err := t.exec(ctx, "UPDATE tokens SET revoked_at = COALESCE(revoked_at, $3) WHERE org_id = $1 AND id = $2",
		orgID, id, t.d.t(norm(at)))
	if err != nil {
		return store.Token{}, t.d.mapErr(err, fmt.Sprintf("token %q", id))
	}
	if n == 0 {
		return store.Token{}, fmt.Errorf("%w: token %q", store.ErrNotFound, id)
	}
	return t.Token(ctx, orgID, id)
}

// TouchToken records a use of the token, and what it was when request is set.
func (t *tx) TouchToken(ctx context.Context, id string, at time.Time, request string) error {
	if err := t.writable("TouchToken"); err != nil {
		return err
	}
	n, err := t.exec(ctx, `UPDATE tokens SET last_used_at = $2,
		last_request = CASE WHEN $3 = '' THEN last_request ELSE $3 END WHERE id = $1`, id, t.d.t(norm(at)), request)
	if err != nil {
		return t.d.mapErr(err, fmt.Sprintf("token %q", id))
	}
	if n == 0 {
		return fmt.Errorf("%w: token %q", store.ErrNotFound, id)
	}
	return nil
}
