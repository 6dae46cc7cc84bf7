package fold

import (
	"strings"
	"testing"
	"unicode/utf8"

	"pgregory.net/rapid"
)

func TestKey(t *testing.T) {
	for _, c := range []struct {
		a, b string
		same bool
	}{
		{"Bob", "bOB", true},
		{"josé", "jose\u0301", true}, // composed and decomposed
		{"JOSÉ", "jose\u0301", true},
		{"ς", "σ", true}, // final sigma folds to sigma
		{"Σ", "ς", true},
		{"Straße", "STRASSE", true}, // full folding: ß is ss
		{"İnfo", "info", false},     // İ folds to i + combining dot, not to i
		{"ınfo", "info", false},     // dotless ı has no folding to i
		{"\u212a", "k", true},       // Kelvin sign
		{"ﬁle", "FILE", true},
		{"é", "e", false},
	} {
		if got := Key(c.a) == Key(c.b); got != c.same {
			t.Errorf("Key(%q) = %q, Key(%q) = %q: equal %v, want %v", c.a, Key(c.a), c.b, Key(c.b), got, c.same)
		}
	}
}

// alphabet mixes ASCII with the runes that broke the old folding.
var alphabet = []rune("aAiIsSkKeEzZ@.-_ İıσςΣßẞéÉ\u0301\u0307\u212aﬁǅǄǆ")

func str() *rapid.Generator[string] {
	return rapid.Custom(func(t *rapid.T) string {
		n := rapid.IntRange(0, 8).Draw(t, "n")
		var b strings.Builder
		for range n {
			b.WriteRune(rapid.SampledFrom(alphabet).Draw(t, "r"))
		}
		return b.String()
	})
}

func TestEqualIsKeyEquality(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		s, o := str().Draw(t, "s"), str().Draw(t, "o")
		if got, want := Equal(s, Key(o)), Key(s) == Key(o); got != want {
			t.Fatalf("Equal(%q, Key(%q)) = %v, want %v", s, o, got, want)
		}
		if k := Key(s); !utf8.ValidString(k) {
			t.Fatalf("Key(%q) = %q is not UTF-8", s, k)
		}
	})
}

func BenchmarkKeyASCII(b *testing.B) {
	for range b.N {
		_ = Key("Barbara.Jensen@example.com")
	}
}

func BenchmarkKeyUnicode(b *testing.B) {
	for range b.N {
		_ = Key("José.Müller@example.com")
	}
}
