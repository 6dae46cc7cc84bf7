// Package fold is rolecall's one case folding: the key under which case-insensitive text
// (SCIM attributes with caseExact false — userName, displayName, emails.value — and the
// names of orgs, resources, tokens and service accounts) is compared, made unique, indexed
// and sorted. The database stores Key of each such value in an indexed column and compares
// filter values through Key too, and the in-memory filter evaluation (package scim) compares
// through Key: one function, so SQL and in-memory evaluation agree exactly, on every backend.
//
// Key is Unicode canonical caseless matching (Unicode §3.13, D145): full case folding
// (CaseFolding.txt C+F, not the Turkic variant) between canonical normalisations, with the
// result in NFC. So "İnfo" folds to "i̇nfo" (not "info"), "ς", "σ" and "Σ" fold alike, and a
// composed and a decomposed "josé" are the same key. Byte-wise comparison of keys is
// code-point order, which is what both databases compare the key columns with.
//
// It may import the standard library and golang.org/x/text only.
package fold

import (
	"strings"
	"sync"

	"golang.org/x/text/cases"
	"golang.org/x/text/unicode/norm"
)

// folders holds Casers, which keep state between calls and so are not safe to share.
var folders = sync.Pool{New: func() any { return cases.Fold() }}

// Key returns the folded key of s. ASCII text (the vast majority) takes a fast path that
// allocates nothing when s has no upper-case letter; for ASCII the result is the same as
// the full folding's.
func Key(s string) string {
	if isASCII(s) {
		return strings.ToLower(s)
	}
	c := folders.Get().(cases.Caser)
	k := c.String(norm.NFD.String(s))
	folders.Put(c)
	return norm.NFC.String(k)
}

// Equal reports whether Key(s) == key, without allocating when s is ASCII. key must be a
// Key result (a filter value folded once, compared with many attribute values).
func Equal(s, key string) bool {
	if !isASCII(s) {
		return Key(s) == key
	}
	if len(s) != len(key) {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		if c != key[i] {
			return false
		}
	}
	return true
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}
