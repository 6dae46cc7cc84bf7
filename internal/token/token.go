// Package token owns the format of rolecall's API secrets: how they are generated, hashed
// for storage and checked for shape. It stores nothing and may import only the standard
// library; the server looks hashes up in the store.
//
// A secret is "rc_" followed by 32 random bytes in unpadded base64url (46 characters). Only
// its SHA-256 is ever stored, so a stolen database yields no usable credential. An operator
// may also choose a bootstrap secret (ROLECALL_BOOTSTRAP_TOKEN): any printable string of at
// least MinLen characters, hashed the same way.
package token

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"strings"
)

// Prefix marks rolecall secrets so that secret scanners and people recognise them.
const Prefix = "rc_"

// MinLen is the shortest secret accepted, including operator-chosen bootstrap secrets.
const MinLen = 20

// MaxLen bounds what is hashed from a request header.
const MaxLen = 512

// Generate returns a new random secret and its hash.
func Generate() (secret string, hash []byte) {
	var b [32]byte
	if _, err := rand.Read(b[:]); err != nil {
		// crypto/rand.Read never fails on supported platforms (Go ≥ 1.24 crashes instead).
		panic(err)
	}
	secret = Prefix + base64.RawURLEncoding.EncodeToString(b[:])
	return secret, Hash(secret)
}

// Hash is the stored form of a secret.
func Hash(secret string) []byte {
	h := sha256.Sum256([]byte(secret))
	return h[:]
}

// Equal compares two hashes in constant time. The store finds a token by its hash (an index
// lookup, which reveals nothing about a secret the caller does not already hold); Equal then
// re-checks the found hash so that no comparison of secret-derived bytes short-circuits.
func Equal(a, b []byte) bool { return subtle.ConstantTimeCompare(a, b) == 1 }

// Errors of CheckShape and FromHeader; the server turns them into 401 answers that say which.
var (
	ErrMissing   = errors.New("missing bearer token: send an Authorization: Bearer <token> header")
	ErrMalformed = errors.New("malformed Authorization header: expected \"Bearer <token>\"")
	// ErrUnknown: the header is well formed but no token has that secret. A credential that
	// could never have been issued (too short, not printable ASCII) is told the same: to the
	// person holding it, it is a wrong token, not a wrong header.
	ErrUnknown = errors.New("unknown or revoked token: rolecall has no token with this secret (never issued, deleted, or mistyped); use one an administrator created")
)

// CheckShape reports whether s could be a secret: MinLen..MaxLen printable ASCII, no spaces.
func CheckShape(s string) error {
	if len(s) < MinLen || len(s) > MaxLen {
		return ErrMalformed
	}
	for i := 0; i < len(s); i++ {
		if s[i] <= ' ' || s[i] > '~' {
			return ErrMalformed
		}
	}
	return nil
}

// FromHeader extracts the secret from an Authorization header value. The scheme is
// case-insensitive (RFC 7235); exactly one space-free credential must follow.
func FromHeader(h string) (string, error) {
	if h == "" {
		return "", ErrMissing
	}
	scheme, cred, ok := strings.Cut(h, " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return "", ErrMalformed
	}
	cred = strings.TrimLeft(cred, " ")
	if cred == "" || strings.Contains(cred, " ") {
		return "", ErrMalformed
	}
	if err := CheckShape(cred); err != nil {
		return "", ErrUnknown
	}
	return cred, nil
}
