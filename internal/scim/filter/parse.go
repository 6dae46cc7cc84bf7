package filter

import (
	"strconv"
	"strings"
)

// The grammar, with precedence not > and > or and left-associative and/or:
//
//	filter    = orExpr
//	orExpr    = andExpr *("or" andExpr)
//	andExpr   = unary *("and" unary)
//	unary     = "not" "(" orExpr ")" / "(" orExpr ")" / attrExp / valuePath
//	attrExp   = attrPath "pr" / attrPath compareOp value
//	valuePath = attrPath "[" orExpr "]" ["." subAttr compareOp value]   ; no valuePath inside
//	path      = attrPath / attrPath "[" orExpr "]" ["." subAttr]        ; PATCH (§3.5.2)
//
// Recursion happens only at "(", "not (" and "[", each of which counts against MaxDepth, so
// the stack stays bounded whatever the input; and/or chains are loops.

// Parse parses a complete SCIM filter with default limits.
func Parse(s string) (Expr, error) { return ParseWithLimits(s, Limits{}) }

// ParseWithLimits parses a complete SCIM filter. Attribute names and operators are
// case-insensitive; attribute names are returned as written. Every error is a *SyntaxError.
func ParseWithLimits(s string, lim Limits) (Expr, error) {
	p := newParser(s, lim, "filter")
	if err := p.checkLen(); err != nil {
		return nil, err
	}
	p.skipSpace()
	if p.eof() {
		return nil, p.errAt(0, "empty filter")
	}
	e, err := p.parseOr()
	if err != nil {
		return nil, err
	}
	if err := p.expectEnd("and, or or the end of the filter"); err != nil {
		return nil, err
	}
	return e, nil
}

// ParsePath parses a PATCH path with default limits.
func ParsePath(s string) (Path, error) { return ParsePathWithLimits(s, Limits{}) }

// ParsePathWithLimits parses a PATCH path: `attr`, `attr.sub`, `urn:…:attr[.sub]`,
// `attr[filter]` or `attr[filter].sub`. Surrounding whitespace is ignored. Every error is a
// *SyntaxError.
func ParsePathWithLimits(s string, lim Limits) (Path, error) {
	p := newParser(s, lim, "path")
	if err := p.checkLen(); err != nil {
		return Path{}, err
	}
	p.skipSpace()
	if p.eof() {
		return Path{}, p.errAt(0, "empty path")
	}
	start := p.pos
	ap, err := p.parseAttrPath()
	if err != nil {
		return Path{}, err
	}
	out := Path{Attr: ap}
	p.skipSpace()
	if !p.eof() && p.s[p.pos] == '[' {
		if out.Filter, err = p.parseBracket(ap, start); err != nil {
			return Path{}, err
		}
		if !p.eof() && p.s[p.pos] == '.' {
			p.pos++
			if out.Sub, err = p.parseSubName(); err != nil {
				return Path{}, err
			}
		}
	}
	if err := p.expectEnd(`the end of the path (a path is attr, attr.sub, attr[filter] or attr[filter].sub)`); err != nil {
		return Path{}, err
	}
	return out, nil
}

type parser struct {
	s        string
	pos      int
	depth    int
	maxDepth int
	maxLen   int
	what     string // "filter" or "path", for messages
	inValue  bool   // inside a value filter's brackets, where another "[" is not allowed
}

func newParser(s string, lim Limits, what string) parser {
	p := parser{s: s, maxDepth: lim.MaxDepth, maxLen: lim.MaxLen, what: what}
	if p.maxDepth <= 0 {
		p.maxDepth = DefaultMaxDepth
	}
	if p.maxDepth > HardMaxDepth {
		p.maxDepth = HardMaxDepth
	}
	if p.maxLen <= 0 {
		p.maxLen = DefaultMaxLen
	}
	return p
}

func (p *parser) errAt(pos int, msg string) error {
	return &SyntaxError{Input: p.s, Pos: pos, Msg: msg}
}

func (p *parser) checkLen() error {
	if len(p.s) > p.maxLen {
		return p.errAt(p.maxLen, p.what+" is "+itoa(len(p.s))+" bytes long; the limit is "+itoa(p.maxLen)+" bytes")
	}
	return nil
}

// enter records one more level of nesting opened at pos and refuses it past the limit.
func (p *parser) enter(pos int) error {
	p.depth++
	if p.depth > p.maxDepth {
		return p.errAt(pos, p.what+" nests deeper than the limit of "+itoa(p.maxDepth)+
			" levels (parentheses, not and value filters) at position "+itoa(pos))
	}
	return nil
}

// expectEnd checks that only whitespace is left; want says what could have come instead.
func (p *parser) expectEnd(want string) error {
	p.skipSpace()
	if p.eof() {
		return nil
	}
	switch c := p.s[p.pos]; c {
	case ')', ']':
		return p.errAt(p.pos, "unbalanced '"+string(rune(c))+"' at position "+itoa(p.pos))
	}
	return p.errAt(p.pos, "trailing input "+p.snippet(p.pos)+" at position "+itoa(p.pos)+" (expected "+want+")")
}

// expectClose checks for the closing bracket c of the one opened at open and consumes it.
func (p *parser) expectClose(c byte, open int) error {
	p.skipSpace()
	if p.eof() {
		return p.errAt(p.pos, "missing '"+string(rune(c))+"' to close the '"+string(rune(p.s[open]))+
			"' at position "+itoa(open)+" (the "+p.what+" ends at position "+itoa(p.pos)+")")
	}
	got := p.s[p.pos]
	if got == c {
		p.pos++
		return nil
	}
	if got == ')' || got == ']' {
		return p.errAt(p.pos, "unbalanced '"+string(rune(got))+"' at position "+itoa(p.pos)+
			" (the '"+string(rune(p.s[open]))+"' at position "+itoa(open)+" is still open)")
	}
	return p.errAt(p.pos, "unexpected "+p.snippet(p.pos)+" at position "+itoa(p.pos)+
		" (expected and, or or '"+string(rune(c))+"')")
}

func (p *parser) parseOr() (Expr, error) {
	left, err := p.parseAnd()
	if err != nil {
		return nil, err
	}
	for {
		p.skipSpace()
		if !p.keywordAt("or") {
			return left, nil
		}
		p.pos += 2
		right, err := p.parseAnd()
		if err != nil {
			return nil, err
		}
		left = &Or{Left: left, Right: right}
	}
}

func (p *parser) parseAnd() (Expr, error) {
	left, err := p.parseUnary()
	if err != nil {
		return nil, err
	}
	for {
		p.skipSpace()
		if !p.keywordAt("and") {
			return left, nil
		}
		p.pos += 3
		right, err := p.parseUnary()
		if err != nil {
			return nil, err
		}
		left = &And{Left: left, Right: right}
	}
}

func (p *parser) parseUnary() (Expr, error) {
	p.skipSpace()
	if p.eof() {
		return nil, p.errAt(p.pos, `expected an attribute path, '(' or "not (" at position `+itoa(p.pos)+
			", but the "+p.what+" ends there")
	}
	switch p.s[p.pos] {
	case '(':
		return p.parseGroup(p.pos, false)
	case ')', ']':
		return nil, p.errAt(p.pos, `expected an attribute path, '(' or "not (" at position `+itoa(p.pos)+
			", found '"+string(rune(p.s[p.pos]))+"'")
	}
	if p.keywordAt("not") {
		// "not" is an operator only when '(' follows; otherwise it is an attribute named
		// "not", which parseAttrExp explains if no operator follows either.
		i := p.pos + 3
		for i < len(p.s) && isSpace(p.s[i]) {
			i++
		}
		if i < len(p.s) && p.s[i] == '(' {
			start := p.pos
			p.pos = i
			return p.parseGroup(start, true)
		}
	}
	return p.parseAttrExp()
}

// parseGroup parses "(" orExpr ")" with p.pos at the '('; negate wraps the result in Not.
func (p *parser) parseGroup(start int, negate bool) (Expr, error) {
	open := p.pos
	if err := p.enter(start); err != nil {
		return nil, err
	}
	p.pos++
	x, err := p.parseOr()
	if err != nil {
		return nil, err
	}
	if err := p.expectClose(')', open); err != nil {
		return nil, err
	}
	p.depth--
	if negate {
		return &Not{X: x}, nil
	}
	return x, nil
}

func (p *parser) parseAttrExp() (Expr, error) {
	start := p.pos
	ap, err := p.parseAttrPath()
	if err != nil {
		return nil, err
	}
	pathEnd := p.pos
	p.skipSpace()
	if !p.eof() && p.s[p.pos] == '[' {
		f, err := p.parseBracket(ap, start)
		if err != nil {
			return nil, err
		}
		vp := &ValuePath{Path: ap, Filter: f}
		if !p.eof() && p.s[p.pos] == '.' {
			// The Entra form emails[type eq "work"].value eq "x".
			p.pos++
			subStart := p.pos
			sub, err := p.parseSubName()
			if err != nil {
				return nil, err
			}
			c := &Compare{Path: AttrPath{Attr: sub}}
			if err := p.parseOpValue(c, p.s[start:p.pos], subStart); err != nil {
				return nil, err
			}
			vp.Then = c
		}
		return vp, nil
	}
	p.pos = pathEnd
	c := &Compare{Path: ap}
	if err := p.parseOpValue(c, p.s[start:pathEnd], start); err != nil {
		return nil, err
	}
	return c, nil
}

// parseBracket parses "[" orExpr "]" after the attribute ap (written at start), with p.pos at
// the '[', and leaves p.pos after the ']'.
func (p *parser) parseBracket(ap AttrPath, start int) (Expr, error) {
	open := p.pos
	if p.inValue {
		return nil, p.errAt(open, "a value filter cannot contain another value filter ('[' at position "+itoa(open)+")")
	}
	if ap.Sub != "" {
		return nil, p.errAt(open, "a value filter applies to a multi-valued attribute, not to the sub-attribute "+
			strconv.Quote(p.s[start:open])+" ('[' at position "+itoa(open)+")")
	}
	if err := p.enter(open); err != nil {
		return nil, err
	}
	p.pos++
	p.skipSpace()
	if !p.eof() && p.s[p.pos] == ']' {
		return nil, p.errAt(open, "empty value filter at position "+itoa(open))
	}
	p.inValue = true
	f, err := p.parseOr()
	if err != nil {
		return nil, err
	}
	if err := p.expectClose(']', open); err != nil {
		return nil, err
	}
	p.inValue = false
	p.depth--
	return f, nil
}

// parseOpValue parses `op value` or `pr` into c; after is the text the operator follows
// (for messages) and afterPos where it started.
func (p *parser) parseOpValue(c *Compare, after string, afterPos int) error {
	p.skipSpace()
	opStart := p.pos
	for p.pos < len(p.s) && isAlpha(p.s[p.pos]) {
		p.pos++
	}
	c.Op = lookupOp(p.s[opStart:p.pos])
	if c.Op == 0 || (p.pos < len(p.s) && !isSpace(p.s[p.pos]) && p.s[p.pos] != '"' && p.s[p.pos] != ')' && p.s[p.pos] != ']') {
		if equalFold(after, "not") {
			return p.errAt(opStart, `expected '(' after "not" at position `+itoa(afterPos)+` (write not (…))`)
		}
		found := "the end of the " + p.what
		if opStart < len(p.s) {
			found = p.snippet(opStart)
		}
		return p.errAt(opStart, "expected an operator (eq, ne, co, sw, ew, gt, ge, lt, le, pr) after "+
			strconv.Quote(after)+" at position "+itoa(opStart)+", found "+found)
	}
	if c.Op == OpPr {
		return nil
	}
	opText := p.s[opStart:p.pos]
	p.skipSpace()
	return p.parseValue(&c.Value, opText)
}

// parseValue parses a literal: a JSON string, number, true/false/null, or an unquoted word.
func (p *parser) parseValue(v *Value, opText string) error {
	start := p.pos
	if p.eof() || p.s[start] == ')' || p.s[start] == ']' || p.s[start] == '(' || p.s[start] == '[' {
		found := "the end of the " + p.what
		if !p.eof() {
			found = "'" + string(rune(p.s[start])) + "'"
		}
		return p.errAt(start, "expected a value after "+strconv.Quote(opText)+" at position "+itoa(start)+
			` (a "string", number, true, false or null), found `+found)
	}
	if p.s[start] == '"' {
		str, err := p.scanString()
		if err != nil {
			return err
		}
		*v = Value{Kind: KindString, Str: str}
		return nil
	}
	for p.pos < len(p.s) && !endsBare(p.s[p.pos]) {
		switch p.s[p.pos] {
		case '"', '(', '[':
			return p.errAt(p.pos, "unexpected '"+string(rune(p.s[p.pos]))+"' in the unquoted value starting at position "+
				itoa(start)+" (put the value in double quotes)")
		}
		p.pos++
	}
	w := p.s[start:p.pos]
	switch {
	case equalFold(w, "true"):
		*v = Value{Kind: KindBool, Bool: true}
	case equalFold(w, "false"):
		*v = Value{Kind: KindBool}
	case equalFold(w, "null"):
		*v = Value{Kind: KindNull}
	case isJSONNumber(w):
		n, err := strconv.ParseFloat(w, 64)
		if err != nil {
			return p.errAt(start, "number "+w+" at position "+itoa(start)+" is out of range")
		}
		*v = Value{Kind: KindNumber, Str: w, Num: n}
	default:
		*v = Value{Kind: KindString, Str: w, Bare: true}
	}
	return nil
}

// parseAttrPath reads `[URI ":"] ATTRNAME ["." subAttr]` at p.pos. The URN is everything up
// to the last ':' (URNs contain dots, as in "2.0", so ':' is split first, then '.').
func (p *parser) parseAttrPath() (AttrPath, error) {
	start := p.pos
	for p.pos < len(p.s) && isPathChar(p.s[p.pos]) {
		p.pos++
	}
	tok := p.s[start:p.pos]
	if tok == "" {
		found := "the end of the " + p.what
		if !p.eof() {
			found = p.snippet(start)
		}
		return AttrPath{}, p.errAt(start, "expected an attribute name at position "+itoa(start)+", found "+found)
	}
	var ap AttrPath
	rest, restPos := tok, start
	if c := strings.LastIndexByte(tok, ':'); c >= 0 {
		ap.URI = tok[:c]
		if ap.URI == "" {
			return AttrPath{}, p.errAt(start, "expected a schema URN before ':' at position "+itoa(start))
		}
		rest, restPos = tok[c+1:], start+c+1
		if rest == "" {
			return AttrPath{}, p.errAt(restPos, "expected an attribute name after the schema URN "+
				strconv.Quote(ap.URI)+" at position "+itoa(restPos))
		}
	}
	ap.Attr = rest
	if d := strings.IndexByte(rest, '.'); d >= 0 {
		ap.Attr, ap.Sub = rest[:d], rest[d+1:]
		if d2 := strings.IndexByte(ap.Sub, '.'); d2 >= 0 {
			at := restPos + d + 1 + d2
			return AttrPath{}, p.errAt(at, "too many '.' in attribute path "+strconv.Quote(tok)+" at position "+itoa(at)+
				" (SCIM paths are attr or attr.subAttr)")
		}
		if err := p.checkName(ap.Sub, restPos+d+1, "sub-attribute"); err != nil {
			return AttrPath{}, err
		}
	}
	if err := p.checkName(ap.Attr, restPos, "attribute"); err != nil {
		return AttrPath{}, err
	}
	return ap, nil
}

// parseSubName reads the sub-attribute name after "].".
func (p *parser) parseSubName() (string, error) {
	start := p.pos
	for p.pos < len(p.s) && isPathChar(p.s[p.pos]) && p.s[p.pos] != ':' && p.s[p.pos] != '.' {
		p.pos++
	}
	name := p.s[start:p.pos]
	if err := p.checkName(name, start, "sub-attribute"); err != nil {
		return "", err
	}
	return name, nil
}

// checkName enforces RFC 7643 ATTRNAME = ALPHA *(nameChar), plus "$ref".
func (p *parser) checkName(name string, pos int, what string) error {
	if name == "" {
		return p.errAt(pos, "expected "+article(what)+" name at position "+itoa(pos))
	}
	if equalFold(name, "$ref") {
		return nil
	}
	bad := -1
	if !isAlpha(name[0]) {
		bad = 0
	} else {
		for i := 1; i < len(name); i++ {
			if c := name[i]; !isAlpha(c) && !isDigit(c) && c != '-' && c != '_' {
				bad = i
				break
			}
		}
	}
	if bad < 0 {
		return nil
	}
	return p.errAt(pos+bad, "invalid "+what+" name "+strconv.Quote(name)+" at position "+itoa(pos)+
		" (a name starts with a letter and has only letters, digits, '-' and '_')")
}

func article(what string) string {
	if what == "attribute" {
		return "an attribute"
	}
	return "a " + what
}
