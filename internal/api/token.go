package api

import (
	"fmt"
	"time"
)

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

// LastSeen says what the token last did and how long ago, for people: "PATCH /Groups/… 2
// minutes ago", "used 3 hours ago" (a use recorded before requests were), or "never used".
func (t Token) LastSeen(now time.Time) string {
	if t.LastUsedAt == nil {
		return "never used"
	}
	what := t.LastRequest
	if what == "" {
		what = "used"
	}
	return what + " " + Ago(now.Sub(*t.LastUsedAt))
}

// Ago words a past duration roughly: "just now", "5 seconds ago", "2 minutes ago", "3 hours
// ago", "4 days ago".
func Ago(d time.Duration) string {
	unit := func(n int, s string) string {
		if n == 1 {
			return "1 " + s + " ago"
		}
		return fmt.Sprintf("%d %ss ago", n, s)
	}
	switch {
	case d < time.Second:
		return "just now"
	case d < time.Minute:
		return unit(int(d/time.Second), "second")
	case d < time.Hour:
		return unit(int(d/time.Minute), "minute")
	case d < 48*time.Hour:
		return unit(int(d/time.Hour), "hour")
	}
	return unit(int(d/(24*time.Hour)), "day")
}
