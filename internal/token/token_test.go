package token

import (
	"bytes"
	"errors"
	"strings"
	"testing"
)

func TestGenerate(t *testing.T) {
	s1, h1 := Generate()
	s2, h2 := Generate()
	if s1 == s2 || bytes.Equal(h1, h2) {
		t.Fatal("two generated secrets are equal")
	}
	if !strings.HasPrefix(s1, Prefix) || len(s1) != 46 {
		t.Fatalf("secret %q: want %s prefix and 46 characters", s1, Prefix)
	}
	if !Equal(Hash(s1), h1) || Equal(h1, h2) {
		t.Fatal("hash of the secret does not match")
	}
	if err := CheckShape(s1); err != nil {
		t.Fatalf("generated secret fails its own shape check: %v", err)
	}
}

func TestFromHeader(t *testing.T) {
	good := "rc_" + strings.Repeat("a", 43)
	for _, tc := range []struct {
		header string
		want   string
		err    error
	}{
		{"", "", ErrMissing},
		{"Bearer " + good, good, nil},
		{"bearer " + good, good, nil},
		{"BEARER  " + good, good, nil},
		{"Basic " + good, "", ErrMalformed},
		{"Bearer", "", ErrMalformed},
		// A well-formed header whose credential no token could have is a wrong token.
		{"Bearer short", "", ErrUnknown},
		{"Bearer " + good + " extra", "", ErrMalformed},
		{"Bearer " + good + "\x7f", "", ErrUnknown},
		{"Bearer " + strings.Repeat("x", MaxLen+1), "", ErrUnknown},
		{good, "", ErrMalformed},
	} {
		got, err := FromHeader(tc.header)
		if !errors.Is(err, tc.err) || got != tc.want {
			t.Errorf("FromHeader(%q) = %q, %v; want %q, %v", tc.header, got, err, tc.want, tc.err)
		}
	}
}
