// Package webhook signs and verifies webhooks per Standard Webhooks 1.0
// (standardwebhooks.com), the scheme rolecall's change-event webhooks use. It is the one
// package of rolecall meant to be imported by other programs: a platform that receives
// rolecall's webhooks verifies them with Verify (or the Handler middleware) and needs nothing
// else from rolecall. It imports only the standard library.
//
// The scheme: every delivery carries three headers. webhook-id identifies the event and
// stays the same on every retry, so a receiver uses it as an idempotency key.
// webhook-timestamp is the attempt's time in Unix seconds; a receiver refuses timestamps far
// from its clock, which stops replays. webhook-signature is a space-separated list of
// "v1,<base64 HMAC-SHA256>" signatures of "{id}.{timestamp}.{body}", one per secret in use:
// during a secret rotation a delivery is signed with both the old and the new secret, and a
// receiver accepts it when any signature matches any secret it holds.
package webhook

import (
	"bytes"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Header names of Standard Webhooks.
const (
	HeaderID        = "webhook-id"
	HeaderTimestamp = "webhook-timestamp"
	HeaderSignature = "webhook-signature"
)

// SecretPrefix starts every symmetric secret, so that people and scanners recognise one.
const SecretPrefix = "whsec_"

// secretBytes is the length of secrets rolecall generates: 32 random bytes (the scheme asks
// for 24 to 64).
const secretBytes = 32

// DefaultTolerance is how far a delivery's timestamp may be from the receiver's clock.
const DefaultTolerance = 5 * time.Minute

// Errors of Verify. Each is wrapped with detail; test with errors.Is.
var (
	ErrMissingHeaders = errors.New("webhook: missing webhook-id, webhook-timestamp or webhook-signature header")
	ErrTimestamp      = errors.New("webhook: timestamp outside the tolerance (a replay, or a clock far off)")
	ErrSignature      = errors.New("webhook: no signature matches any secret")
	ErrSecret         = errors.New("webhook: malformed secret")
)

// NewSecret returns a new random secret, "whsec_" and base64 of 32 random bytes.
func NewSecret() (string, error) {
	b := make([]byte, secretBytes)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	return SecretPrefix + base64.StdEncoding.EncodeToString(b), nil
}

// ParseSecret returns the key of a "whsec_…" secret. The prefix is optional, as some
// receivers store only the base64 part.
func ParseSecret(s string) ([]byte, error) {
	b, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(s, SecretPrefix))
	if err != nil {
		return nil, fmt.Errorf("%w: not base64 after %q", ErrSecret, SecretPrefix)
	}
	if len(b) < 24 || len(b) > 64 {
		return nil, fmt.Errorf("%w: %d bytes, want 24 to 64", ErrSecret, len(b))
	}
	return b, nil
}

// Sign returns the "v1,<base64>" signature of body sent as message id at ts with key.
func Sign(key []byte, id string, ts time.Time, body []byte) string {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(id))
	m.Write([]byte{'.'})
	m.Write([]byte(strconv.FormatInt(ts.Unix(), 10)))
	m.Write([]byte{'.'})
	m.Write(body)
	return "v1," + base64.StdEncoding.EncodeToString(m.Sum(nil))
}

// SetHeaders sets the three headers of a delivery of body as message id at ts, signed with
// every key (the current secret first; during a rotation, the old one too).
func SetHeaders(h http.Header, keys [][]byte, id string, ts time.Time, body []byte) {
	sigs := make([]string, len(keys))
	for i, k := range keys {
		sigs[i] = Sign(k, id, ts, body)
	}
	h.Set(HeaderID, id)
	h.Set(HeaderTimestamp, strconv.FormatInt(ts.Unix(), 10))
	h.Set(HeaderSignature, strings.Join(sigs, " "))
}

// Verifier checks deliveries against the secrets a receiver holds.
type Verifier struct {
	keys [][]byte
	// Tolerance bounds |now - webhook-timestamp|; DefaultTolerance when zero.
	Tolerance time.Duration
	// Now is the clock; time.Now when nil.
	Now func() time.Time
}

// NewVerifier returns a Verifier for the given "whsec_…" secrets (several during a rotation).
func NewVerifier(secrets ...string) (*Verifier, error) {
	if len(secrets) == 0 {
		return nil, fmt.Errorf("%w: no secret given", ErrSecret)
	}
	v := &Verifier{}
	for _, s := range secrets {
		k, err := ParseSecret(s)
		if err != nil {
			return nil, err
		}
		v.keys = append(v.keys, k)
	}
	return v, nil
}

// Verify checks that body with headers h was signed by one of v's secrets within the
// tolerance. It returns the webhook-id on success, for the receiver's idempotency check.
func (v *Verifier) Verify(h http.Header, body []byte) (id string, err error) {
	id, tsText, sigs := h.Get(HeaderID), h.Get(HeaderTimestamp), h.Get(HeaderSignature)
	if id == "" || tsText == "" || sigs == "" {
		return "", ErrMissingHeaders
	}
	sec, err := strconv.ParseInt(tsText, 10, 64)
	if err != nil {
		return "", fmt.Errorf("%w: %q is not Unix seconds", ErrTimestamp, tsText)
	}
	now := time.Now
	if v.Now != nil {
		now = v.Now
	}
	tol := v.Tolerance
	if tol <= 0 {
		tol = DefaultTolerance
	}
	ts := time.Unix(sec, 0)
	if d := now().Sub(ts); d > tol || d < -tol {
		return "", fmt.Errorf("%w: sent at %s, %s from now", ErrTimestamp, ts.UTC().Format(time.RFC3339), d.Round(time.Second))
	}
	for _, k := range v.keys {
		want := Sign(k, id, ts, body)
		for _, got := range strings.Fields(sigs) {
			// Only v1 (HMAC-SHA256) signatures are compared; others (v1a) are skipped.
			if strings.HasPrefix(got, "v1,") && hmac.Equal([]byte(got), []byte(want)) {
				return id, nil
			}
		}
	}
	return "", ErrSignature
}

// Handler wraps next so that it only sees verified deliveries: others get 401 (bad or
// missing signature) or 400 (unreadable body), and next never runs. The body next reads is
// the verified one. Bodies above maxBytes (1 MiB when 0) are refused with 413.
func (v *Verifier) Handler(maxBytes int64, next http.Handler) http.Handler {
	if maxBytes <= 0 {
		maxBytes = 1 << 20
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBytes))
		if err != nil {
			var mbe *http.MaxBytesError
			if errors.As(err, &mbe) {
				http.Error(w, "webhook body too large", http.StatusRequestEntityTooLarge)
				return
			}
			http.Error(w, "cannot read the webhook body", http.StatusBadRequest)
			return
		}
		if _, err := v.Verify(r.Header, body); err != nil {
			http.Error(w, err.Error(), http.StatusUnauthorized)
			return
		}
		r.Body = io.NopCloser(bytes.NewReader(body))
		next.ServeHTTP(w, r)
	})
}
