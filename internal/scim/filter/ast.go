// Package filter owns the syntax of SCIM 2.0 filters and PATCH paths (RFC 7644 §3.4.2.2 and
// §3.5.2): the abstract syntax tree, a hand-written recursive-descent parser with error
// positions, and nothing else. It knows no schema and does no I/O; it may import only the
// standard library. Meaning (which attributes exist, caseExact, types) lives in package scim.
package filter

// Op is a comparison operator of a SCIM filter.
type Op uint8

// The comparison operators of RFC 7644 §3.4.2.2.
const (
	OpEq Op = iota + 1 // eq
	OpNe               // ne
	OpCo               // co
	OpSw               // sw
	OpEw               // ew
	OpGt               // gt
	OpGe               // ge
	OpLt               // lt
	OpLe               // le
	OpPr               // pr (no value)
)

// ValueKind says which kind of literal a comparison holds.
type ValueKind uint8

// Literal kinds. An unquoted bare word that is not true/false/null/number (an Entra habit,
// e.g. `userName sw O`) is kept as KindString with Bare set.
const (
	KindNone ValueKind = iota // only for OpPr
	KindString
	KindNumber
	KindBool
	KindNull
)

// Value is a comparison literal. Str holds the decoded string for KindString and the
// literal text as written for KindNumber (so "1.50" survives a round trip); Num holds the
// parsed number; Bool the boolean. Str is empty for KindBool and KindNull.
type Value struct {
	Kind ValueKind
	Str  string
	Num  float64
	Bool bool
	Bare bool // an unquoted string literal
}

// AttrPath is `[URI ":"] ATTRNAME ["." subAttr]` as written (case preserved). URI is the
// schema URN prefix when the path was qualified, e.g.
// "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": everything before the last
// ':' of the path.
//
// A bare schema URN such as the PATCH path "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
// is syntactically indistinguishable from an attribute "User" of schema "…:2.0", and parses
// as exactly that; callers that know their schemas check whether String() names a schema.
type AttrPath struct {
	URI  string
	Attr string
	Sub  string
}

// Expr is a node of a filter expression tree: one of *And, *Or, *Not, *Compare, *ValuePath.
type Expr interface{ expr() }

// And is `Left and Right`.
type And struct{ Left, Right Expr }

// Or is `Left or Right`.
type Or struct{ Left, Right Expr }

// Not is `not ( X )`.
type Not struct{ X Expr }

// Compare is `attrPath op value` or `attrPath pr`.
type Compare struct {
	Path  AttrPath
	Op    Op
	Value Value
}

// ValuePath is `attrPath "[" valFilter "]"`: it matches a resource when at least one
// element of the multi-valued complex attribute Path matches Filter. Paths inside Filter are
// relative to the element: their Attr is a sub-attribute name such as "type" (URI and Sub
// are normally empty). A value filter never contains another value filter (RFC 7644).
//
// Then carries the Entra ID form `emails[type eq "work"].value eq "x"`, a value filter
// followed by `.sub op value`: a matching element must satisfy Filter AND Then, where
// Then.Path.Attr names the sub-attribute ("value") of that same element. Then is nil for the
// plain RFC form.
type ValuePath struct {
	Path   AttrPath // the multi-valued attribute; its Sub is always empty
	Filter Expr     // never nil
	Then   *Compare // nil unless the Entra `].sub op value` form was used
}

func (*And) expr()       {}
func (*Or) expr()        {}
func (*Not) expr()       {}
func (*Compare) expr()   {}
func (*ValuePath) expr() {}

// Path is a PATCH operation path (RFC 7644 §3.5.2): `attrPath` or
// `attrPath "[" valFilter "]" ["." subAttr]`.
type Path struct {
	Attr   AttrPath // the attribute (Attr.Sub set only when there is no Filter)
	Filter Expr     // nil when the path has no value filter; paths inside are element-relative
	Sub    string   // sub-attribute after the filter, e.g. "value" in emails[type eq "work"].value
}

// SyntaxError reports where and why a filter or path failed to parse. Msg is written for a
// person (an IdP administrator reading a SCIM error detail) and already names the position,
// e.g. `expected an operator (eq, ne, co, sw, ew, gt, ge, lt, le, pr) after "userName" at position 9`.
type SyntaxError struct {
	Input string
	Pos   int // byte offset in Input where the problem was found
	Msg   string
}

// Error returns Msg, which is complete on its own; Input and Pos are there for programs.
func (e *SyntaxError) Error() string { return e.Msg }

func itoa(n int) string {
	if n == 0 {
		return "0"
	}
	var b [20]byte
	i := len(b)
	neg := n < 0
	if neg {
		n = -n
	}
	for n > 0 {
		i--
		b[i] = byte('0' + n%10)
		n /= 10
	}
	if neg {
		i--
		b[i] = '-'
	}
	return string(b[i:])
}

// Limits bound what Parse accepts, so a hostile filter cannot exhaust the server.
type Limits struct {
	MaxLen   int // bytes; 0 (or less) means DefaultMaxLen
	MaxDepth int // nesting of parentheses, not and value filters; 0 (or less) means DefaultMaxDepth
}

// Default limits, advertised by the server.
const (
	DefaultMaxLen   = 4096
	DefaultMaxDepth = 32
)

// HardMaxDepth caps Limits.MaxDepth whatever the caller asks: the parser recurses once per
// nesting level, and this keeps its stack use small and bounded.
const HardMaxDepth = 256
