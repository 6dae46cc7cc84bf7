package rules

import (
	"regexp/syntax"
	"strings"
)

// prefilter derives two cheap necessary conditions from a pattern, so that matching 1,000
// rules against 10,000 groups does not run 10 million regexps:
//
//   - prefix: a literal every matching string starts with. Only a pattern anchored at the
//     start (^ without (?m), or \A) has one; the Set indexes rules by it, so a group only
//     meets the patterns whose prefix its name starts with.
//   - need: a literal every matching string contains (the longest literal of the pattern's
//     top-level concatenation), checked with strings.Contains before the regexp runs.
//
// Both are conservative: a literal under (?i), inside a repetition or an alternation is not
// used, and any doubt yields "". regexp.LiteralPrefix does not serve: it reports nothing for
// most anchored patterns (it only looks through ^ when the pattern happens to be one-pass) and
// for an unanchored pattern its prefix is not required at the start of the string.
func prefilter(pattern string) (prefix, need string) {
	re, err := syntax.Parse(pattern, syntax.Perl) // the flags regexp.Compile uses
	if err != nil {
		return "", ""
	}
	re = re.Simplify()
	subs := []*syntax.Regexp{re}
	if re.Op == syntax.OpConcat {
		subs = re.Sub
	}
	if len(subs) > 1 && subs[0].Op == syntax.OpBeginText {
		var b strings.Builder
		for _, s := range subs[1:] {
			lit, ok := literal(s)
			if !ok {
				break
			}
			b.WriteString(lit)
		}
		prefix = b.String()
	}
	for _, s := range subs {
		if lit, ok := literal(s); ok && len(lit) > len(need) {
			need = lit
		}
	}
	return prefix, need
}

// literal returns the exact text s matches when s matches exactly one case-sensitive string.
func literal(s *syntax.Regexp) (string, bool) {
	switch s.Op {
	case syntax.OpLiteral:
		if s.Flags&syntax.FoldCase != 0 {
			return "", false
		}
		return string(s.Rune), true
	case syntax.OpCapture:
		return literal(s.Sub[0])
	case syntax.OpConcat:
		var b strings.Builder
		for _, sub := range s.Sub {
			lit, ok := literal(sub)
			if !ok {
				return "", false
			}
			b.WriteString(lit)
		}
		return b.String(), true
	}
	return "", false
}
