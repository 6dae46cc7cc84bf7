package scim

import (
	"strings"

	"github.com/rolecall/rolecall/internal/scim/filter"
	"github.com/rolecall/rolecall/internal/scim/fold"
)

// Sorter orders documents by one attribute for sortBy/sortOrder (RFC 7644 §3.4.2.3), in
// memory; the server pushes common sorts to SQL and uses this for the rest.
//
// A multi-valued attribute sorts by its primary value, or its first value when none is
// primary; a complex attribute without a sub-attribute sorts by its "value". Strings
// compare folded unless caseExact, dateTimes as instants, numbers as numbers, false before
// true. Documents without a value sort last in both orders.
type Sorter struct {
	acc  accessor
	desc bool
}

// NewSorter resolves sortBy against rt. An unknown attribute is 400 invalidValue.
func NewSorter(rt *ResourceType, sortBy string, descending bool) (*Sorter, error) {
	urn, rest, isURN := rt.splitURNKey(strings.TrimSpace(sortBy))
	if !isURN {
		urn, rest = "", strings.TrimSpace(sortBy)
	}
	name, sub, _ := strings.Cut(rest, ".")
	acc, err := resolveFilterPath(rt, nil, filter.AttrPath{URI: urn, Attr: name, Sub: sub})
	if err != nil {
		return nil, ErrInvalidValue("sortBy: %q is not an attribute of %s resources", sortBy, rt.Name)
	}
	if acc.leaf().Type == TypeComplex {
		vs := acc.leaf().Sub("value")
		if vs == nil || acc.sub != nil {
			return nil, ErrInvalidValue("sortBy: %q is complex; sort by one of its sub-attributes", sortBy)
		}
		acc.sub = vs
	}
	return &Sorter{acc: acc, desc: descending}, nil
}

// Compare returns a negative number when a sorts before b, positive when after, 0 when
// equal.
func (s *Sorter) Compare(a, b map[string]any) int {
	va, vb := s.value(a), s.value(b)
	switch {
	case va == nil && vb == nil:
		return 0
	case va == nil:
		return 1
	case vb == nil:
		return -1
	}
	c := compareValues(s.acc.leaf(), va, vb)
	if s.desc {
		return -c
	}
	return c
}

// CompareForSort compares two documents by the attribute sortBy in ascending order. It
// resolves sortBy on every call; use NewSorter to sort a list.
func CompareForSort(rt *ResourceType, sortBy string, a, b map[string]any) (int, error) {
	s, err := NewSorter(rt, sortBy, false)
	if err != nil {
		return 0, err
	}
	return s.Compare(a, b), nil
}

// value picks the sort value of doc.
func (s *Sorter) value(doc map[string]any) any {
	c := doc
	if s.acc.ext != "" {
		c, _ = doc[s.acc.ext].(map[string]any)
	}
	v := c[s.acc.attr.Name]
	if list, ok := v.([]any); ok {
		v = nil
		for _, e := range list {
			if v == nil || isPrimary(e) {
				v = e
			}
			if isPrimary(e) {
				break
			}
		}
	}
	if s.acc.sub != nil {
		m, _ := v.(map[string]any)
		v = m[s.acc.sub.Name]
	}
	if isBlank(v) {
		return nil
	}
	return v
}

func compareValues(a *Attribute, x, y any) int {
	switch a.Type {
	case TypeBoolean:
		bx, _ := x.(bool)
		by, _ := y.(bool)
		switch {
		case bx == by:
			return 0
		case !bx:
			return -1
		}
		return 1
	case TypeInteger, TypeDecimal:
		fx, ok1 := toFloat(x)
		fy, ok2 := toFloat(y)
		if ok1 && ok2 {
			return cmp3(fx, fy)
		}
	case TypeDateTime:
		sx, _ := x.(string)
		sy, _ := y.(string)
		tx, ok1 := parseDateTime(sx)
		ty, ok2 := parseDateTime(sy)
		if ok1 && ok2 {
			return tx.Compare(ty)
		}
	}
	sx, _ := x.(string)
	sy, _ := y.(string)
	if !a.CaseExact {
		if c := strings.Compare(fold.Key(sx), fold.Key(sy)); c != 0 {
			return c
		}
	}
	return strings.Compare(sx, sy)
}
