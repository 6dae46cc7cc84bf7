package api

import "time"

// Token describes an API token. The secret is never part of it.
type Token struct {
	ID         string     `json:"id"`
	Org        string     `json:"org"`
	Name       string     `json:"name"`
	Scope      string     `json:"scope"`
	CreatedAt  time.Time  `json:"createdAt"`
	CreatedBy  string     `json:"createdBy,omitempty"`
	ExpiresAt  *time.Time `json:"expiresAt,omitempty"`
	RevokedAt  *time.Time `json:"revokedAt,omitempty"`
	LastUsedAt *time.Time `json:"lastUsedAt,omitempty"`
	// LastRequest is what the token last sent, with LastUsedAt its time: the method and the
	// resource type, e.g. "PATCH /Groups/…" (recorded at most once a minute per token; the
	// SCIM sync-health signal).
	LastRequest string `json:"lastRequest,omitempty"`
}

// CreateTokenRequest asks for a new token in the caller's org.
type CreateTokenRequest struct {
	Name  string `json:"name"`
	Scope string `json:"scope"`
	// ExpiresAt, when set, must be in the future.
	ExpiresAt *time.Time `json:"expiresAt,omitempty"`
}

// CreatedToken is answered once, on creation: the only time the secret is shown.
type CreatedToken struct {
	Token
	Secret string `json:"secret"`
}
