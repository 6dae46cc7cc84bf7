package filter

import (
	"strconv"
	"strings"
)

// Format returns the canonical text of e: lower-case operators and keywords, single spaces,
// strings in double quotes with only the escapes JSON requires, numbers as written, bare
// words left bare, and parentheses only where the tree's shape needs them. For any tree Parse
// returns, Parse(Format(e)) yields an equal tree. A nil Expr formats as "".
func Format(e Expr) string {
	var b strings.Builder
	writeExpr(&b, e)
	return b.String()
}

func (x *And) String() string       { return Format(x) }
func (x *Or) String() string        { return Format(x) }
func (x *Not) String() string       { return Format(x) }
func (x *Compare) String() string   { return Format(x) }
func (x *ValuePath) String() string { return Format(x) }

// String returns the operator's lower-case keyword, e.g. "eq".
func (o Op) String() string {
	if o >= OpEq && o <= OpPr {
		return opNames[o-1]
	}
	return "op(" + itoa(int(o)) + ")"
}

var opNames = [...]string{"eq", "ne", "co", "sw", "ew", "gt", "ge", "lt", "le", "pr"}

// String returns the path as written: [URI ":"] Attr ["." Sub].
func (a AttrPath) String() string {
	var b strings.Builder
	writeAttrPath(&b, a)
	return b.String()
}

// String returns the literal as it would appear in a filter.
func (v Value) String() string {
	var b strings.Builder
	writeValue(&b, v)
	return b.String()
}

// String returns the canonical text of the PATCH path.
func (p Path) String() string {
	var b strings.Builder
	writeAttrPath(&b, p.Attr)
	if p.Filter != nil {
		b.WriteByte('[')
		writeExpr(&b, p.Filter)
		b.WriteByte(']')
		if p.Sub != "" {
			b.WriteByte('.')
			b.WriteString(p.Sub)
		}
	}
	return b.String()
}

func writeExpr(b *strings.Builder, e Expr) {
	switch x := e.(type) {
	case *Or:
		// or is left-associative and binds loosest: only a right-hand or needs parentheses.
		writeExpr(b, x.Left)
		b.WriteString(" or ")
		writeOperand(b, x.Right, isOr(x.Right))
	case *And:
		writeOperand(b, x.Left, isOr(x.Left))
		b.WriteString(" and ")
		writeOperand(b, x.Right, isOr(x.Right) || isAnd(x.Right))
	case *Not:
		b.WriteString("not (")
		writeExpr(b, x.X)
		b.WriteByte(')')
	case *Compare:
		writeCompare(b, x)
	case *ValuePath:
		writeAttrPath(b, x.Path)
		b.WriteByte('[')
		writeExpr(b, x.Filter)
		b.WriteByte(']')
		if x.Then != nil {
			b.WriteByte('.')
			writeCompare(b, x.Then)
		}
	}
}

func writeOperand(b *strings.Builder, e Expr, paren bool) {
	if paren {
		b.WriteByte('(')
	}
	writeExpr(b, e)
	if paren {
		b.WriteByte(')')
	}
}

func isOr(e Expr) bool  { _, ok := e.(*Or); return ok }
func isAnd(e Expr) bool { _, ok := e.(*And); return ok }

func writeCompare(b *strings.Builder, c *Compare) {
	writeAttrPath(b, c.Path)
	b.WriteByte(' ')
	b.WriteString(c.Op.String())
	if c.Op != OpPr {
		b.WriteByte(' ')
		writeValue(b, c.Value)
	}
}

func writeAttrPath(b *strings.Builder, a AttrPath) {
	if a.URI != "" {
		b.WriteString(a.URI)
		b.WriteByte(':')
	}
	b.WriteString(a.Attr)
	if a.Sub != "" {
		b.WriteByte('.')
		b.WriteString(a.Sub)
	}
}

func writeValue(b *strings.Builder, v Value) {
	switch v.Kind {
	case KindString:
		if v.Bare && bareSafe(v.Str) {
			b.WriteString(v.Str)
		} else {
			writeQuoted(b, v.Str)
		}
	case KindNumber:
		if v.Str != "" {
			b.WriteString(v.Str)
		} else {
			b.WriteString(strconv.FormatFloat(v.Num, 'g', -1, 64))
		}
	case KindBool:
		if v.Bool {
			b.WriteString("true")
		} else {
			b.WriteString("false")
		}
	case KindNull:
		b.WriteString("null")
	}
}

// bareSafe reports whether s reads back as the same unquoted string, so a bare value built
// by hand that would not survive is quoted instead.
func bareSafe(s string) bool {
	if s == "" || equalFold(s, "true") || equalFold(s, "false") || equalFold(s, "null") || isJSONNumber(s) {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; endsBare(c) || c == '"' || c == '(' || c == '[' {
			return false
		}
	}
	return true
}

// writeQuoted writes s as a JSON string, escaping only '"', '\' and control characters; other
// bytes (including invalid UTF-8, which the parser passes through) are written as they are.
func writeQuoted(b *strings.Builder, s string) {
	const hexDigits = "0123456789abcdef"
	b.WriteByte('"')
	for i := 0; i < len(s); {
		c := s[i]
		if c >= 0x20 && c != '"' && c != '\\' {
			// Copy the run of ordinary bytes in one call.
			j := i + 1
			for j < len(s) && s[j] >= 0x20 && s[j] != '"' && s[j] != '\\' {
				j++
			}
			b.WriteString(s[i:j])
			i = j
			continue
		}
		switch c {
		case '"':
			b.WriteString(`\"`)
		case '\\':
			b.WriteString(`\\`)
		case '\n':
			b.WriteString(`\n`)
		case '\r':
			b.WriteString(`\r`)
		case '\t':
			b.WriteString(`\t`)
		case '\b':
			b.WriteString(`\b`)
		case '\f':
			b.WriteString(`\f`)
		default:
			b.WriteString(`\u00`)
			b.WriteByte(hexDigits[c>>4])
			b.WriteByte(hexDigits[c&0xF])
		}
		i++
	}
	b.WriteByte('"')
}
