package scim

import (
	"strconv"
	"strings"
	"time"

	"github.com/rolecall/rolecall/internal/scim/filter"
	"github.com/rolecall/rolecall/internal/scim/fold"
)

// Filter is a filter expression checked against a resource type, ready to evaluate
// against many documents. Build one per request with CompileFilter.
//
// Semantics (RFC 7644 §3.4.2.2, with the choices the RFC leaves open):
//   - attribute names are case-insensitive; URN-qualified paths reach extension attributes;
//   - string comparison honours caseExact: userName (caseExact false) compares folded
//     (package fold: NFC and Unicode full case folding, as the database does), id
//     and externalId (caseExact true) exactly; gt/ge/lt/le on strings are lexical (folded
//     when not caseExact);
//   - dateTime attributes compare as instants, so "2011-05-13T04:42:34Z" equals
//     "2011-05-13T06:42:34+02:00"; integer and decimal attributes compare as numbers;
//     booleans support eq and ne only (others are 400 invalidFilter, as are gt/ge/lt/le on
//     binary and co/sw/ew on numbers, booleans and dates);
//   - a multi-valued attribute matches when any of its values matches; a complex attribute
//     without a sub-attribute compares its "value" sub-attribute (emails co "x" ≡
//     emails.value co "x");
//   - pr is true when the attribute has a value that is not null, "", [] or {};
//   - ne is the negation of eq, so an absent attribute is ne any value; "eq null" is true
//     when the attribute is absent and "ne null" when present;
//   - Entra's `emails[type eq "work"].value eq "x"` requires one element to satisfy both.
//
// An attribute the resource type does not define is 400 invalidFilter naming it: Entra
// would read an empty result as "no such user" and create a duplicate. Attributes of
// custom (unknown) extensions are therefore not filterable.
type Filter struct {
	root node
}

type node interface {
	match(ctx map[string]any) bool
}

// ValidateFilter checks that expr only names attributes of rt and uses operators and
// literals that suit their types; it returns a 400 invalidFilter *Error otherwise.
func ValidateFilter(rt *ResourceType, expr filter.Expr) error {
	_, err := CompileFilter(rt, expr)
	return err
}

// CompileFilter validates expr against rt (see ValidateFilter) and prepares it for Match.
func CompileFilter(rt *ResourceType, expr filter.Expr) (*Filter, error) {
	n, err := compile(rt, nil, expr)
	if err != nil {
		return nil, err
	}
	return &Filter{root: n}, nil
}

// Match reports whether the normalised document doc satisfies the filter.
func (f *Filter) Match(doc map[string]any) bool {
	if f == nil || f.root == nil {
		return true
	}
	return f.root.match(doc)
}

// Match evaluates expr against doc; an expression that does not validate matches nothing.
// Prefer CompileFilter when evaluating one filter against many documents.
func Match(rt *ResourceType, expr filter.Expr, doc map[string]any) bool {
	f, err := CompileFilter(rt, expr)
	if err != nil {
		return false
	}
	return f.Match(doc)
}

// compile builds a node; parent is the complex attribute whose elements are the context
// inside a value filter, nil at the top level.
func compile(rt *ResourceType, parent *Attribute, e filter.Expr) (node, error) {
	switch x := e.(type) {
	case *filter.And:
		l, err := compile(rt, parent, x.Left)
		if err != nil {
			return nil, err
		}
		r, err := compile(rt, parent, x.Right)
		if err != nil {
			return nil, err
		}
		return &andNode{l, r}, nil
	case *filter.Or:
		l, err := compile(rt, parent, x.Left)
		if err != nil {
			return nil, err
		}
		r, err := compile(rt, parent, x.Right)
		if err != nil {
			return nil, err
		}
		return &orNode{l, r}, nil
	case *filter.Not:
		n, err := compile(rt, parent, x.X)
		if err != nil {
			return nil, err
		}
		return &notNode{n}, nil
	case *filter.Compare:
		acc, err := resolveFilterPath(rt, parent, x.Path)
		if err != nil {
			return nil, err
		}
		return compileCompare(acc, x)
	case *filter.ValuePath:
		if parent != nil {
			return nil, ErrInvalidFilter("value filters cannot be nested (inside %q)", parent.Name)
		}
		acc, err := resolveFilterPath(rt, nil, filter.AttrPath{URI: x.Path.URI, Attr: x.Path.Attr})
		if err != nil {
			return nil, err
		}
		if acc.attr.Type != TypeComplex || x.Path.Sub != "" {
			return nil, ErrInvalidFilter("a value filter [...] applies to a complex attribute; %q is not one", pathString(x.Path))
		}
		inner, err := compile(rt, acc.attr, x.Filter)
		if err != nil {
			return nil, err
		}
		vp := &valuePathNode{acc: acc, inner: inner}
		if x.Then != nil {
			then, err := compile(rt, acc.attr, x.Then)
			if err != nil {
				return nil, err
			}
			vp.then = then
		}
		return vp, nil
	case nil:
		return nil, ErrInvalidFilter("empty filter")
	}
	return nil, ErrInvalidFilter("unsupported filter expression %T", e)
}

func pathString(p filter.AttrPath) string {
	s := p.Attr
	if p.URI != "" {
		s = p.URI + ":" + s
	}
	if p.Sub != "" {
		s += "." + p.Sub
	}
	return s
}

// accessor reaches the values of an attribute in a document or, inside a value filter,
// in one element of a complex attribute.
type accessor struct {
	ext  string     // extension URN holding attr, "" for core, common and element context
	attr *Attribute // top-level attribute, or the sub-attribute in element context
	sub  *Attribute // sub-attribute of attr, or nil
}

func (ac *accessor) leaf() *Attribute {
	if ac.sub != nil {
		return ac.sub
	}
	return ac.attr
}

// each calls fn with every value of the path until fn returns true; it reports whether
// one did.
func (ac *accessor) each(ctx map[string]any, fn func(any) bool) bool {
	container := ctx
	if ac.ext != "" {
		container, _ = ctx[ac.ext].(map[string]any)
	}
	v, ok := container[ac.attr.Name]
	if !ok || v == nil {
		return false
	}
	visit := func(e any) bool {
		if ac.sub == nil {
			return fn(e)
		}
		m, ok := e.(map[string]any)
		if !ok {
			return false
		}
		sv, ok := m[ac.sub.Name]
		if !ok || sv == nil {
			return false
		}
		if list, ok := sv.([]any); ok {
			for _, x := range list {
				if fn(x) {
					return true
				}
			}
			return false
		}
		return fn(sv)
	}
	if list, ok := v.([]any); ok {
		for _, e := range list {
			if visit(e) {
				return true
			}
		}
		return false
	}
	return visit(v)
}

// resolveFilterPath resolves a filter attribute path against rt (parent == nil) or against
// the sub-attributes of parent.
func resolveFilterPath(rt *ResourceType, parent *Attribute, p filter.AttrPath) (accessor, error) {
	if parent != nil {
		if p.URI != "" {
			return accessor{}, ErrInvalidFilter("inside the value filter of %q, %q must be a plain sub-attribute name", parent.Name, pathString(p))
		}
		s := parent.Sub(p.Attr)
		if s == nil {
			return accessor{}, ErrInvalidFilter("%q has no sub-attribute %q", parent.Name, p.Attr)
		}
		acc := accessor{attr: s}
		if p.Sub != "" {
			if acc.sub = s.Sub(p.Sub); acc.sub == nil {
				return accessor{}, ErrInvalidFilter("%q has no sub-attribute %q", parent.Name+"."+s.Name, p.Sub)
			}
		}
		return acc, nil
	}
	uri, name := p.URI, p.Attr
	if uri == "" && hasPrefixFold(name, "urn:") {
		uri, name, _ = rt.splitURNKey(name)
	}
	a, ext, known := rt.Resolve(uri, name)
	if !known {
		return accessor{}, ErrInvalidFilter("unknown schema %q in filter attribute %q; %s resources support %s", uri, pathString(p), rt.Name, schemaList(rt))
	}
	if a == nil {
		return accessor{}, ErrInvalidFilter("unknown attribute %q in filter: %s resources have no such attribute", pathString(p), rt.Name)
	}
	acc := accessor{ext: ext, attr: a}
	if p.Sub != "" {
		if acc.sub = a.Sub(p.Sub); acc.sub == nil {
			return accessor{}, ErrInvalidFilter("unknown attribute %q in filter: %q has no sub-attribute %q", pathString(p), a.Name, p.Sub)
		}
	}
	return acc, nil
}

func schemaList(rt *ResourceType) string {
	s := rt.Schema.ID
	for _, e := range rt.Extensions {
		s += " and " + e.Schema.ID
	}
	return s
}

type andNode struct{ l, r node }
type orNode struct{ l, r node }
type notNode struct{ x node }

func (n *andNode) match(ctx map[string]any) bool { return n.l.match(ctx) && n.r.match(ctx) }
func (n *orNode) match(ctx map[string]any) bool  { return n.l.match(ctx) || n.r.match(ctx) }
func (n *notNode) match(ctx map[string]any) bool { return !n.x.match(ctx) }

type valuePathNode struct {
	acc   accessor
	inner node
	then  node
}

func (n *valuePathNode) match(ctx map[string]any) bool {
	return n.acc.each(ctx, func(e any) bool {
		m, ok := e.(map[string]any)
		return ok && n.inner.match(m) && (n.then == nil || n.then.match(m))
	})
}

// literal kinds a compare node evaluates with.
type cmpKind uint8

const (
	cmpString cmpKind = iota
	cmpBool
	cmpNumber
	cmpTime
	cmpNull
	cmpPresent
)

type compareNode struct {
	acc  accessor
	op   filter.Op
	kind cmpKind
	fold bool // string comparison ignores case
	str  string
	b    bool
	num  float64
	t    time.Time
}

func compileCompare(acc accessor, c *filter.Compare) (node, error) {
	leaf := acc.leaf()
	name := leaf.Name
	if leaf.Type == TypeComplex && c.Op != filter.OpPr {
		vs := leaf.Sub("value")
		if vs == nil || acc.sub != nil {
			return nil, ErrInvalidFilter("%q is a complex attribute; compare one of its sub-attributes instead (e.g. %s.%s)", name, name, leaf.SubAttributes[0].Name)
		}
		acc.sub = vs
		leaf = vs
	}
	n := &compareNode{acc: acc, op: c.Op}
	if c.Op == filter.OpPr {
		n.kind = cmpPresent
		return n, nil
	}
	if c.Value.Kind == filter.KindNull {
		if c.Op != filter.OpEq && c.Op != filter.OpNe {
			return nil, ErrInvalidFilter("null can only be compared with eq or ne (attribute %q)", name)
		}
		n.kind = cmpNull
		return n, nil
	}
	ordering := c.Op == filter.OpGt || c.Op == filter.OpGe || c.Op == filter.OpLt || c.Op == filter.OpLe
	substring := c.Op == filter.OpCo || c.Op == filter.OpSw || c.Op == filter.OpEw
	switch leaf.Type {
	case TypeBoolean:
		if ordering || substring {
			return nil, ErrInvalidFilter("attribute %q is a boolean: only eq, ne and pr apply", name)
		}
		n.kind = cmpBool
		switch {
		case c.Value.Kind == filter.KindBool:
			n.b = c.Value.Bool
		case c.Value.Kind == filter.KindString && strings.EqualFold(c.Value.Str, "true"):
			n.b = true
		case c.Value.Kind == filter.KindString && strings.EqualFold(c.Value.Str, "false"):
			n.b = false
		default:
			return nil, ErrInvalidFilter("attribute %q is a boolean: compare it with true or false", name)
		}
	case TypeInteger, TypeDecimal:
		if substring {
			return nil, ErrInvalidFilter("attribute %q is a number: co, sw and ew do not apply", name)
		}
		n.kind = cmpNumber
		switch c.Value.Kind {
		case filter.KindNumber:
			n.num = c.Value.Num
		case filter.KindString:
			f, err := strconv.ParseFloat(strings.TrimSpace(c.Value.Str), 64)
			if err != nil {
				return nil, ErrInvalidFilter("attribute %q is a number; %q is not one", name, c.Value.Str)
			}
			n.num = f
		default:
			return nil, ErrInvalidFilter("attribute %q is a number: compare it with a number", name)
		}
	case TypeDateTime:
		if c.Value.Kind != filter.KindString {
			return nil, ErrInvalidFilter("attribute %q is a dateTime: compare it with a quoted RFC 3339 time such as \"2011-05-13T04:42:34Z\"", name)
		}
		if substring {
			n.kind, n.str, n.fold = cmpString, c.Value.Str, false
			return n, nil
		}
		t, ok := parseDateTime(c.Value.Str)
		if !ok {
			return nil, ErrInvalidFilter("attribute %q is a dateTime; %q is not an RFC 3339 time such as \"2011-05-13T04:42:34Z\"", name, c.Value.Str)
		}
		n.kind, n.t = cmpTime, t
	default: // string, reference, binary
		if leaf.Type == TypeBinary && ordering {
			return nil, ErrInvalidFilter("attribute %q is binary: gt, ge, lt and le do not apply", name)
		}
		switch c.Value.Kind {
		case filter.KindString, filter.KindNumber:
			n.str = c.Value.Str
		case filter.KindBool:
			return nil, ErrInvalidFilter("attribute %q is a string: quote the value (\"%t\")", name, c.Value.Bool)
		default:
			return nil, ErrInvalidFilter("attribute %q needs a value to compare with", name)
		}
		n.kind = cmpString
		n.fold = !leaf.CaseExact
		if n.fold {
			n.str = fold.Key(n.str)
		}
	}
	return n, nil
}

func (n *compareNode) match(ctx map[string]any) bool {
	switch n.kind {
	case cmpPresent:
		return n.acc.each(ctx, func(v any) bool { return !isBlank(v) })
	case cmpNull:
		present := n.acc.each(ctx, func(v any) bool { return !isBlank(v) })
		return present == (n.op == filter.OpNe)
	}
	if n.op == filter.OpNe {
		return !n.acc.each(ctx, func(v any) bool { return n.test(filter.OpEq, v) })
	}
	return n.acc.each(ctx, func(v any) bool { return n.test(n.op, v) })
}

// test applies op (never ne) to one attribute value.
func (n *compareNode) test(op filter.Op, v any) bool {
	switch n.kind {
	case cmpBool:
		b, ok := v.(bool)
		return ok && b == n.b
	case cmpNumber:
		f, ok := toFloat(v)
		if !ok {
			return false
		}
		return ordered(op, cmp3(f, n.num))
	case cmpTime:
		s, ok := v.(string)
		if !ok {
			return false
		}
		t, ok := parseDateTime(s)
		if !ok {
			return false
		}
		return ordered(op, t.Compare(n.t))
	}
	s, ok := v.(string)
	if !ok {
		return false
	}
	if n.fold {
		// The database compares the same keys (package fold), so a filter gives the same
		// answer whether SQL or this code evaluates it.
		if op == filter.OpEq {
			return fold.Equal(s, n.str)
		}
		s = fold.Key(s)
	}
	switch op {
	case filter.OpEq:
		return s == n.str
	case filter.OpCo:
		return strings.Contains(s, n.str)
	case filter.OpSw:
		return strings.HasPrefix(s, n.str)
	case filter.OpEw:
		return strings.HasSuffix(s, n.str)
	}
	return ordered(op, strings.Compare(s, n.str))
}

func cmp3(a, b float64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// ordered maps a three-way comparison result to op.
func ordered(op filter.Op, c int) bool {
	switch op {
	case filter.OpEq:
		return c == 0
	case filter.OpGt:
		return c > 0
	case filter.OpGe:
		return c >= 0
	case filter.OpLt:
		return c < 0
	case filter.OpLe:
		return c <= 0
	}
	return false
}
