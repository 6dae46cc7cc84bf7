package scimapi

import (
	"strings"
	"time"

	"github.com/rolecall/rolecall/internal/scim"
	"github.com/rolecall/rolecall/internal/scim/filter"
	"github.com/rolecall/rolecall/internal/store"
)

// Filters are split in two: the part the store can evaluate in SQL with exactly the
// semantics of scim.Match (a store.Cond), and the rest, evaluated in memory with scim.Match
// over the candidates the SQL part returns. A top-level "and" is split conjunct by
// conjunct; any other node is pushed whole or not at all. The rules below are conservative:
// when the SQL result could differ from scim.Match in any case, the comparison stays in
// memory, where it is always right, only slower.

// filterPlan is a validated filter, split for execution.
type filterPlan struct {
	cond     *store.Cond  // SQL part; nil: every resource of the org is a candidate
	residual *scim.Filter // in-memory part; nil: the SQL part is exact
	refs     map[string]bool
}

// planFilter parses and validates a filter for rt and splits it. byteOrder says whether
// the store compares text in byte order (SQLite), so that gt/ge/lt/le on text may be pushed.
func planFilter(rt *scim.ResourceType, text string, byteOrder bool) (*filterPlan, error) {
	p := &filterPlan{}
	// Blank means what the parser skips as whitespace, no more: strings.TrimSpace would also
	// drop \v, \f and Unicode spaces, turning a filter the parser refuses into "no filter"
	// and answering every resource (found by FuzzSCIMListQuery).
	if strings.Trim(text, " \t\r\n") == "" {
		return p, nil
	}
	expr, err := filter.Parse(text)
	if err != nil {
		return nil, err
	}
	if err := scim.ValidateFilter(rt, expr); err != nil {
		return nil, err
	}
	var pushed []store.Cond
	var rest []filter.Expr
	for _, conj := range conjuncts(expr, nil) {
		if c, ok := pushCond(rt, conj, byteOrder); ok {
			pushed = append(pushed, c)
		} else {
			rest = append(rest, conj)
		}
	}
	switch len(pushed) {
	case 0:
	case 1:
		p.cond = &pushed[0]
	default:
		p.cond = &store.Cond{Op: store.CondAnd, Args: pushed}
	}
	if len(rest) > 0 {
		r := rest[0]
		for _, e := range rest[1:] {
			r = &filter.And{Left: r, Right: e}
		}
		if p.residual, err = scim.CompileFilter(rt, r); err != nil {
			return nil, err
		}
		p.refs = map[string]bool{}
		collectRefs(r, p.refs)
	}
	return p, nil
}

// conjuncts flattens the top-level "and" nodes of e.
func conjuncts(e filter.Expr, out []filter.Expr) []filter.Expr {
	if a, ok := e.(*filter.And); ok {
		out = conjuncts(a.Left, out)
		return conjuncts(a.Right, out)
	}
	return append(out, e)
}

// collectRefs records the lower-cased top-level attribute names e reads, so that the
// executor loads groups (Users) or members (Groups) only when the in-memory part needs them.
func collectRefs(e filter.Expr, refs map[string]bool) {
	switch x := e.(type) {
	case *filter.And:
		collectRefs(x.Left, refs)
		collectRefs(x.Right, refs)
	case *filter.Or:
		collectRefs(x.Left, refs)
		collectRefs(x.Right, refs)
	case *filter.Not:
		collectRefs(x.X, refs)
	case *filter.Compare:
		refs[strings.ToLower(x.Path.Attr)] = true
	case *filter.ValuePath:
		refs[strings.ToLower(x.Path.Attr)] = true
	}
}

// pushField says how a SCIM attribute maps onto a store field.
type pushField struct {
	field store.Field
	kind  byte // 's' text, 'b' boolean, 't' time, 'm' member id
}

// pushableField resolves a filter attribute path to a store field, or ok=false.
func pushableField(rt *scim.ResourceType, p filter.AttrPath) (pushField, bool) {
	if p.URI != "" && !strings.EqualFold(p.URI, rt.Schema.ID) {
		return pushField{}, false
	}
	attr, sub := strings.ToLower(p.Attr), strings.ToLower(p.Sub)
	users := rt == scim.UserResourceType
	switch {
	case attr == "id" && sub == "":
		return pushField{store.FieldID, 's'}, true
	case attr == "externalid" && sub == "":
		return pushField{store.FieldExternalID, 's'}, true
	case attr == "displayname" && sub == "":
		return pushField{store.FieldDisplayName, 's'}, true
	case users && attr == "username" && sub == "":
		return pushField{store.FieldUserName, 's'}, true
	case users && attr == "emails" && sub == "value":
		return pushField{store.FieldEmail, 's'}, true
	case users && attr == "active" && sub == "":
		return pushField{store.FieldActive, 'b'}, true
	case attr == "meta" && sub == "created":
		return pushField{store.FieldCreated, 't'}, true
	case attr == "meta" && sub == "lastmodified":
		return pushField{store.FieldLastModified, 't'}, true
	case !users && attr == "members" && (sub == "value" || sub == ""):
		return pushField{store.FieldMember, 'm'}, true
	}
	return pushField{}, false
}

var condOps = map[filter.Op]store.CondOp{
	filter.OpEq: store.CondEq, filter.OpNe: store.CondNe, filter.OpCo: store.CondCo,
	filter.OpSw: store.CondSw, filter.OpEw: store.CondEw, filter.OpGt: store.CondGt,
	filter.OpGe: store.CondGe, filter.OpLt: store.CondLt, filter.OpLe: store.CondLe, filter.OpPr: store.CondPr,
}

// pushCond translates e into a store.Cond when the store evaluates it exactly as
// scim.Match would.
func pushCond(rt *scim.ResourceType, e filter.Expr, byteOrder bool) (store.Cond, bool) {
	switch x := e.(type) {
	case *filter.And, *filter.Or:
		var l, r filter.Expr
		op := store.CondAnd
		if a, ok := x.(*filter.And); ok {
			l, r = a.Left, a.Right
		} else {
			o := x.(*filter.Or)
			l, r, op = o.Left, o.Right, store.CondOr
		}
		lc, ok := pushCond(rt, l, byteOrder)
		if !ok {
			return store.Cond{}, false
		}
		rc, ok := pushCond(rt, r, byteOrder)
		if !ok {
			return store.Cond{}, false
		}
		return store.Cond{Op: op, Args: []store.Cond{lc, rc}}, true
	case *filter.Not:
		c, ok := pushCond(rt, x.X, byteOrder)
		if !ok {
			return store.Cond{}, false
		}
		return store.Cond{Op: store.CondNot, Args: []store.Cond{c}}, true
	case *filter.Compare:
		return pushCompare(rt, x, byteOrder)
	}
	// Value filters (emails[type eq "work"]) need the element context: in memory.
	return store.Cond{}, false
}

func pushCompare(rt *scim.ResourceType, c *filter.Compare, byteOrder bool) (store.Cond, bool) {
	f, ok := pushableField(rt, c.Path)
	if !ok {
		return store.Cond{}, false
	}
	op := condOps[c.Op]
	if c.Op == filter.OpPr {
		switch f.kind {
		case 'b', 't':
			// Always rendered, so always present.
			return store.Cond{Op: store.CondPr, Field: f.field}, true
		case 'm':
			return store.Cond{Op: store.CondPr, Field: f.field}, true
		}
		// Text: the columns hold '' for absent, which is what pr tests. emails.value pr
		// holds because only non-empty addresses are indexed.
		return store.Cond{Op: store.CondPr, Field: f.field}, true
	}
	switch f.kind {
	case 'b':
		var b bool
		switch {
		case c.Value.Kind == filter.KindBool:
			b = c.Value.Bool
		case c.Value.Kind == filter.KindString && strings.EqualFold(c.Value.Str, "true"):
			b = true
		case c.Value.Kind == filter.KindString && strings.EqualFold(c.Value.Str, "false"):
			b = false
		default:
			return store.Cond{}, false
		}
		if c.Op != filter.OpEq && c.Op != filter.OpNe {
			return store.Cond{}, false
		}
		return store.Cond{Op: op, Field: f.field, Value: b}, true
	case 't':
		if c.Value.Kind != filter.KindString {
			return store.Cond{}, false
		}
		switch c.Op {
		case filter.OpCo, filter.OpSw, filter.OpEw:
			return store.Cond{}, false // substring of the rendered text: in memory
		}
		t, err := time.Parse(time.RFC3339Nano, c.Value.Str)
		// The store keeps microseconds; a finer literal would compare differently there.
		if err != nil || !t.Equal(t.Truncate(time.Microsecond)) {
			return store.Cond{}, false
		}
		return store.Cond{Op: op, Field: f.field, Value: t.UTC()}, true
	case 'm':
		if (c.Op != filter.OpEq && c.Op != filter.OpNe) || !textLiteral(c.Value) {
			return store.Cond{}, false
		}
		return store.Cond{Op: op, Field: f.field, Value: c.Value.Str}, true
	}
	if !textLiteral(c.Value) {
		return store.Cond{}, false // null, booleans: in memory
	}
	switch c.Op {
	case filter.OpGt, filter.OpGe, filter.OpLt, filter.OpLe:
		// PostgreSQL orders text by its collation, Go by bytes.
		if !byteOrder {
			return store.Cond{}, false
		}
	}
	if f.field == store.FieldEmail && c.Op == filter.OpNe {
		// scim.Match: no address equals the value. The store's own ne on emails means
		// "some address differs", so push the negation of eq instead.
		eq := store.Cond{Op: store.CondEq, Field: f.field, Value: c.Value.Str}
		return store.Cond{Op: store.CondNot, Args: []store.Cond{eq}}, true
	}
	return store.Cond{Op: op, Field: f.field, Value: c.Value.Str}, true
}

// textLiteral reports whether v compares as a non-empty string: the store uses ” for an
// absent value, so an empty literal would match absent attributes there but not in
// scim.Match.
func textLiteral(v filter.Value) bool {
	return (v.Kind == filter.KindString || v.Kind == filter.KindNumber) && v.Str != ""
}
