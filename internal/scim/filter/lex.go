package filter

import (
	"strconv"
	"unicode/utf8"
)

// This file holds the byte-level scanning the parser is built on. The parser works directly
// on the input string with an offset rather than on a token slice: a SCIM filter is short,
// and scanning on demand lets literals be substrings of the input (no copies, no token
// allocations) while every error still knows its exact byte position.

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\r' || c == '\n' }

func isAlpha(c byte) bool { return (c|0x20) >= 'a' && (c|0x20) <= 'z' }

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

// isPathChar reports whether c may appear in an attribute path token: the name characters of
// RFC 7643 §2.1 plus ':' and '.' (URN and sub-attribute separators; URNs carry "2.0") and '$'
// for "$ref".
func isPathChar(c byte) bool {
	return isAlpha(c) || isDigit(c) || c == ':' || c == '.' || c == '-' || c == '_' || c == '$'
}

// endsBare reports whether c ends an unquoted value: the Entra bare word runs to the next
// whitespace or closing bracket.
func endsBare(c byte) bool { return isSpace(c) || c == ')' || c == ']' }

func (p *parser) skipSpace() {
	for p.pos < len(p.s) && isSpace(p.s[p.pos]) {
		p.pos++
	}
}

func (p *parser) eof() bool { return p.pos >= len(p.s) }

// keywordAt reports whether the case-insensitive word kw (lower-case) starts at p.pos and is
// followed by whitespace, a bracket or the end of input, so that "order" is never read as
// "or" while "a pr and)" still reports the missing operand after "and".
func (p *parser) keywordAt(kw string) bool {
	end := p.pos + len(kw)
	if end > len(p.s) {
		return false
	}
	for i := 0; i < len(kw); i++ {
		if p.s[p.pos+i]|0x20 != kw[i] {
			return false
		}
	}
	c := byte(' ')
	if end < len(p.s) {
		c = p.s[end]
	}
	return isSpace(c) || c == '(' || c == ')' || c == ']'
}

// lookupOp maps an operator word to its Op, ignoring case; 0 means not an operator.
func lookupOp(w string) Op {
	if len(w) != 2 {
		return 0
	}
	switch uint16(w[0]|0x20)<<8 | uint16(w[1]|0x20) {
	case 'e'<<8 | 'q':
		return OpEq
	case 'n'<<8 | 'e':
		return OpNe
	case 'c'<<8 | 'o':
		return OpCo
	case 's'<<8 | 'w':
		return OpSw
	case 'e'<<8 | 'w':
		return OpEw
	case 'g'<<8 | 't':
		return OpGt
	case 'g'<<8 | 'e':
		return OpGe
	case 'l'<<8 | 't':
		return OpLt
	case 'l'<<8 | 'e':
		return OpLe
	case 'p'<<8 | 'r':
		return OpPr
	}
	return 0
}

// equalFold reports whether w equals the lower-case ASCII word lower, ignoring case.
func equalFold(w, lower string) bool {
	if len(w) != len(lower) {
		return false
	}
	for i := 0; i < len(w); i++ {
		if w[i]|0x20 != lower[i] {
			return false
		}
	}
	return true
}

// isJSONNumber reports whether w is a number in JSON syntax:
// -? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)?
func isJSONNumber(w string) bool {
	i := 0
	if i < len(w) && w[i] == '-' {
		i++
	}
	switch {
	case i < len(w) && w[i] == '0':
		i++
	case i < len(w) && w[i] >= '1' && w[i] <= '9':
		for i < len(w) && isDigit(w[i]) {
			i++
		}
	default:
		return false
	}
	if i < len(w) && w[i] == '.' {
		i++
		if i == len(w) || !isDigit(w[i]) {
			return false
		}
		for i < len(w) && isDigit(w[i]) {
			i++
		}
	}
	if i < len(w) && (w[i] == 'e' || w[i] == 'E') {
		i++
		if i < len(w) && (w[i] == '+' || w[i] == '-') {
			i++
		}
		if i == len(w) || !isDigit(w[i]) {
			return false
		}
		for i < len(w) && isDigit(w[i]) {
			i++
		}
	}
	return i == len(w)
}

// scanString reads the JSON string whose opening quote is at p.pos and leaves p.pos after the
// closing quote. Without escapes the result is a substring of the input (no allocation).
func (p *parser) scanString() (string, error) {
	start := p.pos
	i := start + 1
	for i < len(p.s) {
		c := p.s[i]
		if c == '"' {
			p.pos = i + 1
			return p.s[start+1 : i], nil
		}
		if c == '\\' {
			return p.scanEscapedString(start, i)
		}
		if c < 0x20 {
			return "", p.controlCharErr(i)
		}
		i++
	}
	return "", p.errAt(start, "unterminated string starting at position "+itoa(start)+" (no closing '\"')")
}

// scanEscapedString is the slow path of scanString, taken at the first backslash (at i).
func (p *parser) scanEscapedString(start, i int) (string, error) {
	buf := make([]byte, 0, len(p.s)-start)
	buf = append(buf, p.s[start+1:i]...)
	for i < len(p.s) {
		c := p.s[i]
		switch {
		case c == '"':
			p.pos = i + 1
			return string(buf), nil
		case c < 0x20:
			return "", p.controlCharErr(i)
		case c != '\\':
			buf = append(buf, c)
			i++
			continue
		}
		if i+1 >= len(p.s) {
			break
		}
		esc := p.s[i+1]
		switch esc {
		case '"', '\\', '/':
			buf = append(buf, esc)
		case 'b':
			buf = append(buf, '\b')
		case 'f':
			buf = append(buf, '\f')
		case 'n':
			buf = append(buf, '\n')
		case 'r':
			buf = append(buf, '\r')
		case 't':
			buf = append(buf, '\t')
		case 'u':
			r, ok := hex4(p.s, i+2)
			if !ok {
				return "", p.errAt(i, `invalid \u escape at position `+itoa(i)+` (it takes exactly four hex digits, e.g. \u00e9)`)
			}
			n := 6
			if r >= 0xD800 && r < 0xDC00 {
				// A UTF-16 high surrogate combines with a following low surrogate; alone it
				// becomes U+FFFD, as encoding/json does.
				if i+7 < len(p.s) && p.s[i+6] == '\\' && p.s[i+7] == 'u' {
					if lo, ok := hex4(p.s, i+8); ok && lo >= 0xDC00 && lo < 0xE000 {
						r = 0x10000 + (r-0xD800)<<10 + (lo - 0xDC00)
						n = 12
					}
				}
			}
			if r >= 0xD800 && r < 0xE000 {
				r = utf8.RuneError
			}
			if r == 0 {
				// No stored value holds a NUL (the server refuses it on write), and
				// PostgreSQL cannot take it as a query parameter either.
				return "", p.errAt(i, `\u0000 (NUL) at position `+itoa(i)+` is not allowed in a string: no value contains it`)
			}
			buf = utf8.AppendRune(buf, r)
			i += n
			continue
		default:
			return "", p.errAt(i, "invalid escape "+strconv.Quote(p.s[i:i+2])+" in string at position "+itoa(i)+
				` (allowed: \" \\ \/ \b \f \n \r \t \uXXXX)`)
		}
		i += 2
	}
	return "", p.errAt(start, "unterminated string starting at position "+itoa(start)+" (no closing '\"')")
}

func (p *parser) controlCharErr(i int) error {
	return p.errAt(i, "control character "+strconv.QuoteRune(rune(p.s[i]))+
		" in string at position "+itoa(i)+" (write it as a JSON escape such as \\t or \\u0009)")
}

// hex4 decodes the four hex digits at s[i:i+4].
func hex4(s string, i int) (rune, bool) {
	if i+4 > len(s) {
		return 0, false
	}
	var r rune
	for _, c := range []byte(s[i : i+4]) {
		switch {
		case isDigit(c):
			r = r<<4 | rune(c-'0')
		case (c|0x20) >= 'a' && (c|0x20) <= 'f':
			r = r<<4 | rune((c|0x20)-'a'+10)
		default:
			return 0, false
		}
	}
	return r, true
}

// snippet returns a quoted excerpt of the input from i, short enough for an error message.
func (p *parser) snippet(i int) string {
	const max = 24
	rest := p.s[i:]
	// Stop at the first whitespace so the excerpt names one token, not the rest of the filter.
	for j := 0; j < len(rest); j++ {
		if isSpace(rest[j]) {
			rest = rest[:j]
			break
		}
	}
	if len(rest) > max {
		return strconv.Quote(rest[:max]) + "…"
	}
	return strconv.Quote(rest)
}
