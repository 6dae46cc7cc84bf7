package authzen

import (
	"strconv"
	"unicode/utf8"
)

// Hand-written encoders for the hot responses. A batch of 100 decisions encoded with
// encoding/json spends as much CPU re-validating and compacting each decision's context
// (a json.RawMessage) as evaluating them (CPU profile of /access/v1/evaluations, docs/perf/
// authzen.md): these write the same bytes without the second pass. They rely on the PDP
// contract that a Decision's Context is valid JSON.

// AppendJSON appends d as encoding/json would encode it.
func (d Decision) AppendJSON(b []byte) []byte {
	b = append(b, `{"decision":`...)
	b = strconv.AppendBool(b, d.Decision)
	if len(d.Context) > 0 {
		b = append(b, `,"context":`...)
		b = append(b, d.Context...)
	}
	return append(b, '}')
}

// MarshalJSON encodes d (see AppendJSON).
func (d Decision) MarshalJSON() ([]byte, error) { return d.AppendJSON(nil), nil }

// AppendString appends s as a JSON string, byte for byte as encoding/json writes it (HTML
// characters, U+2028 and U+2029 escaped; invalid UTF-8 replaced by U+FFFD), for encoders
// outside this package that write decision contexts by hand.
func AppendString(b []byte, s string) []byte {
	const hex = "0123456789abcdef"
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' && c != '<' && c != '>' && c != '&' {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\b':
				b = append(b, '\\', 'b')
			case '\f':
				b = append(b, '\\', 'f')
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
			i += size
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			b = append(b, s[start:i]...)
			b = append(b, '\\', 'u', '2', '0', '2', hex[r&0xf])
			i += size
			start = i
			continue
		}
		i += size
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}
