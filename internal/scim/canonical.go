package scim

import (
	"bytes"
	"encoding/json"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Rendering a stored document without decoding it.
//
// The server keeps each resource's document as encoding/json wrote it, and answering a
// request used to decode it into a map, overlay the server's attributes, project and encode
// it again: on a page of 100 users that round trip was half of the server's CPU. A document
// that is already in the form encoding/json writes (the canonical form below) can instead
// be copied member by member. Everything here falls back — ok false — whenever the copy
// could differ by a single byte from what the round trip writes, and the tests compare the
// two on generated documents.

// RawMember is one member of a JSON object: its key and its value's JSON text.
type RawMember struct {
	Key   string
	Value []byte
}

// CanonicalMembers splits raw, a JSON object, into its members, in order. ok is true only
// when raw is exactly what encoding/json writes for the map[string]any that decoding it
// would give (with UseNumber): compact, keys strictly ascending at every level, strings
// escaped as encoding/json escapes them, valid UTF-8; and no key has an escape (a rare
// case, refused rather than decoded to be sorted). Values share raw's memory.
func CanonicalMembers(raw []byte) ([]RawMember, bool) {
	s := canonScanner{b: raw}
	var out []RawMember
	ok := s.object(func(key string, v []byte) { out = append(out, RawMember{Key: key, Value: v}) })
	if !ok || s.i != len(raw) {
		return nil, false
	}
	return out, true
}

// canonScanner checks canonical JSON; every method returns false at the first byte that is
// not canonical, leaving i anywhere.
type canonScanner struct {
	b []byte
	i int
}

func (s *canonScanner) peek() byte {
	if s.i < len(s.b) {
		return s.b[s.i]
	}
	return 0
}

// object scans an object, calling member (when non-nil) for each member.
func (s *canonScanner) object(member func(key string, v []byte)) bool {
	if s.peek() != '{' {
		return false
	}
	s.i++
	if s.peek() == '}' {
		s.i++
		return true
	}
	var prev []byte
	for {
		key, ok := s.key()
		if !ok || (prev != nil && bytes.Compare(key, prev) <= 0) || s.peek() != ':' {
			return false
		}
		s.i++
		start := s.i
		if !s.value() {
			return false
		}
		if member != nil {
			member(string(key), s.b[start:s.i])
		}
		prev = key
		switch s.peek() {
		case ',':
			s.i++
		case '}':
			s.i++
			return true
		default:
			return false
		}
	}
}

// key scans an object key without escapes (an escaped key sorts by its decoded form,
// which a byte comparison would get wrong) and returns it, never nil.
func (s *canonScanner) key() ([]byte, bool) {
	start := s.i
	if !s.str() {
		return nil, false
	}
	k := s.b[start+1 : s.i-1 : s.i-1]
	if bytes.IndexByte(k, '\\') >= 0 {
		return nil, false
	}
	return k, true
}

func (s *canonScanner) value() bool {
	switch c := s.peek(); {
	case c == '{':
		return s.object(nil)
	case c == '[':
		s.i++
		if s.peek() == ']' {
			s.i++
			return true
		}
		for {
			if !s.value() {
				return false
			}
			switch s.peek() {
			case ',':
				s.i++
			case ']':
				s.i++
				return true
			default:
				return false
			}
		}
	case c == '"':
		return s.str()
	case c == 't':
		return s.lit("true")
	case c == 'f':
		return s.lit("false")
	case c == 'n':
		return s.lit("null")
	case c == '-' || (c >= '0' && c <= '9'):
		return s.number()
	}
	return false
}

func (s *canonScanner) lit(w string) bool {
	if len(s.b)-s.i < len(w) || string(s.b[s.i:s.i+len(w)]) != w {
		return false
	}
	s.i += len(w)
	return true
}

// number scans a JSON number (RFC 8259 §6). Any valid literal is canonical: a json.Number
// is written back exactly as it was read.
func (s *canonScanner) number() bool {
	digits := func() int {
		n := 0
		for s.i < len(s.b) && s.b[s.i] >= '0' && s.b[s.i] <= '9' {
			s.i++
			n++
		}
		return n
	}
	if s.peek() == '-' {
		s.i++
	}
	switch {
	case s.peek() == '0':
		s.i++
	case digits() == 0:
		return false
	}
	if s.peek() == '.' {
		s.i++
		if digits() == 0 {
			return false
		}
	}
	if c := s.peek(); c == 'e' || c == 'E' {
		s.i++
		if c := s.peek(); c == '+' || c == '-' {
			s.i++
		}
		if digits() == 0 {
			return false
		}
	}
	return true
}

// str scans a string as encoding/json writes it: <, >, & and U+2028/U+2029 escaped as
// \u00XX/\u20XX, control characters as \n, \r, \t, \b, \f or \u00XX, nothing else escaped,
// and valid UTF-8. (\ufffd is not canonical: encoding/json writes it for invalid UTF-8, and
// decoding it gives U+FFFD, which is written back unescaped.)
func (s *canonScanner) str() bool {
	if s.peek() != '"' {
		return false
	}
	s.i++
	for s.i < len(s.b) {
		c := s.b[s.i]
		switch {
		case c == '"':
			s.i++
			return true
		case c == '\\':
			if !s.escape() {
				return false
			}
		case c < 0x20 || c == '<' || c == '>' || c == '&':
			return false
		case c < utf8.RuneSelf:
			s.i++
		default:
			r, n := utf8.DecodeRune(s.b[s.i:])
			if (r == utf8.RuneError && n == 1) || r == '\u2028' || r == '\u2029' {
				return false
			}
			s.i += n
		}
	}
	return false
}

// escape scans one escape sequence, accepting only those encoding/json writes.
func (s *canonScanner) escape() bool {
	if s.i+1 >= len(s.b) {
		return false
	}
	switch s.b[s.i+1] {
	case '"', '\\', 'n', 'r', 't', 'b', 'f':
		s.i += 2
		return true
	case 'u':
	default:
		return false
	}
	if s.i+6 > len(s.b) {
		return false
	}
	switch hex := string(s.b[s.i+2 : s.i+6]); hex {
	case "003c", "003e", "0026", "2028", "2029":
	default:
		// \u00XX for a control character other than those with a short form.
		if !strings.HasPrefix(hex, "00") || !isLowerHex(hex[2]) || !isLowerHex(hex[3]) {
			return false
		}
		switch c := hexVal(hex[2])<<4 | hexVal(hex[3]); {
		case c >= 0x20, c == '\n', c == '\r', c == '\t', c == '\b', c == '\f':
			return false
		}
	}
	s.i += 6
	return true
}

func isLowerHex(c byte) bool { return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' }

func hexVal(c byte) byte {
	if c <= '9' {
		return c - '0'
	}
	return c - 'a' + 10
}

// RenderMembers writes what json.Marshal(p.Project(doc)) writes, where doc is the object of
// the canonical members stored (from CanonicalMembers) with set's members added or replacing
// theirs and del's keys removed — without decoding stored. ok is false when p is not a
// projection this handles (the default one, or excludedAttributes naming only whole
// attributes of the core schema, as IdPs send excludedAttributes=members), or when p would
// change one of stored's members other than by leaving it out whole; the caller then
// decodes. A value in set of type json.RawMessage is written as it is, so it must be what
// json.Marshal writes for the value it stands for.
func (p *Projection) RenderMembers(stored []RawMember, set map[string]any, del []string) (out []byte, ok bool, err error) {
	if p.include != nil || !p.excludesWholeCoreOnly() {
		return nil, false, nil
	}
	return p.merge(stored, set, del)
}

// excludesWholeCoreOnly reports whether every excludedAttributes entry names a whole
// attribute of the core schema (or a common one): what verbatim knows how to leave out.
func (p *Projection) excludesWholeCoreOnly() bool {
	for key, sl := range p.exclude {
		ext, _, ok := strings.Cut(key, "\x00")
		if !ok || ext != "" || !sl.whole || sl.subs != nil {
			return false
		}
	}
	return true
}

// MergeMembers writes what json.Marshal writes for the object of the canonical members
// stored with set's members added or replacing theirs and del's keys removed: RenderMembers
// without a projection. Values in set of type json.RawMessage are written as they are.
func MergeMembers(stored []RawMember, set map[string]any, del []string) ([]byte, error) {
	out, _, err := (*Projection)(nil).merge(stored, set, del)
	return out, err
}

// merge is RenderMembers under p, or under no projection at all when p is nil.
func (p *Projection) merge(stored []RawMember, set map[string]any, del []string) (out []byte, ok bool, err error) {
	keys := make([]string, 0, len(set))
	var projected map[string]any // set's values that the projection changes, changed
	for k, v := range set {
		switch p.extraVerdict(k) {
		case projDrop:
			continue
		case projChange:
			pv, keep := p.Project(map[string]any{k: v})[k]
			if !keep {
				continue
			}
			if projected == nil {
				projected = map[string]any{}
			}
			projected[k] = pv
		}
		keys = append(keys, k)
	}
	slices.Sort(keys)
	size := 2
	for _, m := range stored {
		size += len(m.Key) + len(m.Value) + 4
	}
	out = make([]byte, 0, size+64*len(keys))
	out = append(out, '{')
	sep := func() {
		if len(out) > 1 {
			out = append(out, ',')
		}
	}
	emitExtra := func(k string) error {
		sep()
		out = AppendJSONString(out, k)
		out = append(out, ':')
		v, ok := projected[k]
		if !ok {
			v = set[k]
		}
		switch v := v.(type) {
		case json.RawMessage:
			out = append(out, v...)
		case string:
			out = AppendJSONString(out, v)
		case bool:
			out = strconv.AppendBool(out, v)
		default:
			b, err := json.Marshal(v)
			if err != nil {
				return err
			}
			out = append(out, b...)
		}
		return nil
	}
	j := 0
	for _, m := range stored {
		if _, replaced := set[m.Key]; replaced || slices.Contains(del, m.Key) {
			continue
		}
		switch p.verbatim(m) {
		case projDrop:
			continue
		case projChange:
			return nil, false, nil
		}
		for ; j < len(keys) && keys[j] < m.Key; j++ {
			if err := emitExtra(keys[j]); err != nil {
				return nil, false, err
			}
		}
		sep()
		out = append(out, '"')
		out = append(out, m.Key...)
		out = append(out, '"', ':')
		out = append(out, m.Value...)
	}
	for ; j < len(keys); j++ {
		if err := emitExtra(keys[j]); err != nil {
			return nil, false, err
		}
	}
	return append(out, '}'), true, nil
}

// AppendJSONString appends s as encoding/json writes a string: printable ASCII without
// quotes, backslashes or HTML characters is copied, anything else goes through
// json.Marshal, so the two never differ.
func AppendJSONString(b []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c >= utf8.RuneSelf || c == '"' || c == '\\' || c == '<' || c == '>' || c == '&' {
			q, _ := json.Marshal(s) // a string always marshals
			return append(b, q...)
		}
	}
	b = append(b, '"')
	b = append(b, s...)
	return append(b, '"')
}

// extraVerdict is verbatim for a member the caller adds, without looking at its value.
func (p *Projection) extraVerdict(k string) projVerdict {
	if p == nil || k == "schemas" {
		return projKeep
	}
	if _, _, isURN := p.rt.splitURNKey(k); isURN {
		return projChange
	}
	if a := p.rt.Attr(k); a != nil {
		if p.excludedWhole("", a) {
			return projDrop
		}
		return attrVerdict(a)
	}
	return projKeep
}

// projVerdict is what a projection does to one member.
type projVerdict uint8

const (
	projKeep   projVerdict = iota // the member is kept unchanged
	projDrop                      // the member is left out
	projChange                    // the member is kept with some of its parts left out
)

// verbatim decides what Project does to member m under the default projection, or one that
// excludes whole core attributes only (excludesWholeCoreOnly); it mirrors Project,
// projectObject and projectAttr for those. A nil p keeps everything (MergeMembers).
func (p *Projection) verbatim(m RawMember) projVerdict {
	if p == nil || m.Key == "schemas" {
		return projKeep
	}
	urn, _, isURN := p.rt.splitURNKey(m.Key)
	if isURN {
		s := p.rt.SchemaFor(urn)
		if s == nil || s == p.rt.Schema {
			// projectCustom keeps unknown members whole, but for an empty object under
			// excludedAttributes (it copies the object and keeps only a non-empty copy).
			if p.exclude != nil && string(m.Value) == "{}" {
				return projDrop
			}
			return projKeep
		}
		if m.Value[0] != '{' {
			return projDrop
		}
		kept, dropped := 0, 0
		CanonicalMembersEach(m.Value, func(sub RawMember) {
			a := s.Attr(sub.Key)
			switch {
			case a == nil:
				dropped++
			default:
				switch attrVerdict(a) {
				case projKeep:
					kept++
				case projDrop:
					dropped++
				default:
					dropped, kept = dropped+1, kept+1 // changed: neither whole nor gone
				}
			}
		})
		switch {
		case kept == 0:
			return projDrop
		case dropped > 0:
			return projChange
		}
		return projKeep
	}
	a := p.rt.Attr(m.Key)
	if a == nil {
		return projKeep
	}
	if p.excludedWhole("", a) {
		return projDrop
	}
	return attrVerdict(a)
}

// attrVerdict is projectAttr's decision for a value of a under the default projection.
func attrVerdict(a *Attribute) projVerdict {
	switch a.Returned {
	case ReturnedNever, ReturnedRequest:
		return projDrop
	case ReturnedAlways:
		return projKeep
	}
	if a.Type == TypeComplex && hasSpecialSubs(a) {
		return projChange
	}
	return projKeep
}

// CanonicalMembersEach calls f for each member of raw, an object already known to be
// canonical (a value of a member CanonicalMembers returned).
func CanonicalMembersEach(raw []byte, f func(RawMember)) {
	s := canonScanner{b: raw}
	s.object(func(key string, v []byte) { f(RawMember{Key: key, Value: v}) })
}
