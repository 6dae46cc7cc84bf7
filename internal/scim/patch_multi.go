package scim

import (
	"encoding/json"

	"github.com/rolecall/rolecall/internal/scim/filter"
	"github.com/rolecall/rolecall/internal/scim/fold"
)

// Multi-valued attributes under PATCH: appending with de-duplication and a single primary,
// removal by value, and value-filtered paths such as emails[type eq "work"].value.

// appendValues adds values to a multi-valued attribute, skipping equal ones; the last
// added primary value becomes the only primary.
func appendValues(list, add []any) []any {
	out := append([]any(nil), list...)
	primary := -1
	for _, v := range add {
		idx := -1
		for i, e := range out {
			if equalIgnoringPrimary(e, v) {
				idx = i
				break
			}
		}
		if idx < 0 {
			out = append(out, v)
			idx = len(out) - 1
		} else if m, ok := v.(map[string]any); ok {
			if pv, has := m["primary"]; has {
				out[idx].(map[string]any)["primary"] = pv
			}
		}
		if isPrimary(v) {
			primary = idx
		}
	}
	if primary >= 0 {
		demoteOthers(out, primary)
	}
	return out
}

func isPrimary(v any) bool {
	m, ok := v.(map[string]any)
	return ok && m["primary"] == true
}

func demoteOthers(list []any, keep int) {
	for i, e := range list {
		if m, ok := e.(map[string]any); ok && i != keep && m["primary"] == true {
			m["primary"] = false
		}
	}
}

func equalIgnoringPrimary(a, b any) bool {
	am, aok := a.(map[string]any)
	bm, bok := b.(map[string]any)
	if !aok || !bok {
		return jsonEqual(a, b)
	}
	for k, av := range am {
		if k == "primary" {
			continue
		}
		if bv, ok := bm[k]; !ok || !jsonEqual(av, bv) {
			return false
		}
	}
	for k := range bm {
		if _, ok := am[k]; !ok && k != "primary" {
			return false
		}
	}
	return true
}

// removeValues removes from a multi-valued attribute the values that match the given
// ones: an object matches a value holding the same sub-attributes, a bare scalar matches
// a value whose "value" is equal.
func removeValues(t target, c map[string]any, v any) error {
	n, err := normAttr(t.a, v, t.text)
	if err != nil || n == nil {
		return err
	}
	list, _ := c[t.a.Name].([]any)
	out := list[:0:0]
	for _, e := range list {
		drop := false
		for _, r := range n.([]any) {
			if valueMatches(t.a, e, r) {
				drop = true
				break
			}
		}
		if !drop {
			out = append(out, e)
		}
	}
	setList(c, t.a.Name, out)
	return nil
}

func valueMatches(a *Attribute, e, r any) bool {
	rm, rok := r.(map[string]any)
	em, eok := e.(map[string]any)
	if !rok || !eok {
		return jsonEqual(e, r)
	}
	for k, rv := range rm {
		if k == "primary" {
			continue
		}
		ev := em[k]
		if s := a.Sub(k); s != nil && !s.CaseExact {
			es, ok1 := ev.(string)
			rs, ok2 := rv.(string)
			if ok1 && ok2 {
				if fold.Key(es) != fold.Key(rs) {
					return false
				}
				continue
			}
		}
		if !jsonEqual(ev, rv) {
			return false
		}
	}
	return true
}

func setList(c map[string]any, name string, list []any) {
	if len(list) == 0 {
		delete(c, name)
		return
	}
	c[name] = list
}

// dropEmpty removes elements left without sub-attributes.
func dropEmpty(list []any) []any {
	out := list[:0]
	for _, e := range list {
		if m, ok := e.(map[string]any); ok && len(m) == 0 {
			continue
		}
		out = append(out, e)
	}
	return out
}

func (p *patcher) applyFiltered(kind PatchOpKind, t target, c map[string]any, v any) error {
	match, err := compile(p.rt, t.a, t.filter)
	if err != nil {
		return err
	}
	list, _ := c[t.a.Name].([]any)
	var hits []int
	for i, e := range list {
		if m, ok := e.(map[string]any); ok && match.match(m) {
			hits = append(hits, i)
		}
	}
	if kind == PatchRemove {
		if len(hits) == 0 {
			return nil
		}
		out := make([]any, 0, len(list))
		h := 0
		for i, e := range list {
			if h < len(hits) && hits[h] == i {
				h++
				if t.sub == nil {
					continue
				}
				delete(e.(map[string]any), t.sub.Name)
			}
			out = append(out, e)
		}
		setList(c, t.a.Name, dropEmpty(out))
		return nil
	}
	var val map[string]any
	if t.sub != nil {
		n, err := normAttr(t.sub, v, t.text)
		if err != nil {
			return err
		}
		if n == nil {
			if kind == PatchReplace {
				return p.applyFiltered(PatchRemove, t, c, nil)
			}
			return nil
		}
		val = map[string]any{t.sub.Name: n}
	} else {
		if l, ok := v.([]any); ok && len(l) == 1 {
			v = l[0]
		}
		n, err := normSingle(t.a, v, t.text)
		if err != nil {
			return err
		}
		if n == nil {
			return nil
		}
		val = n.(map[string]any)
	}
	if len(hits) == 0 {
		el, ok := deriveElement(t.a, t.filter)
		if !ok {
			return ErrNoTarget("the filter in %q matched no value, and a new value can only be built from eq comparisons joined with and", t.text)
		}
		for k, x := range val {
			el[k] = x
		}
		c[t.a.Name] = appendValues(list, []any{el})
		return nil
	}
	for _, i := range hits {
		m := list[i].(map[string]any)
		for k, x := range val {
			m[k] = x
		}
	}
	if isPrimary(val) {
		demoteOthers(list, hits[len(hits)-1])
	}
	return nil
}

// deriveElement builds the value a filter of eq comparisons joined with and describes,
// e.g. {"type": "work"} for [type eq "work"].
func deriveElement(a *Attribute, e filter.Expr) (map[string]any, bool) {
	out := map[string]any{}
	var walk func(filter.Expr) bool
	walk = func(e filter.Expr) bool {
		switch x := e.(type) {
		case *filter.And:
			return walk(x.Left) && walk(x.Right)
		case *filter.Compare:
			if x.Op != filter.OpEq || x.Path.URI != "" || x.Path.Sub != "" {
				return false
			}
			s := a.Sub(x.Path.Attr)
			if s == nil || s.Type == TypeComplex {
				return false
			}
			n, err := normScalar(s, literalValue(x.Value), s.Name)
			if err != nil || n == nil {
				return false
			}
			out[s.Name] = n
			return true
		}
		return false
	}
	if !walk(e) {
		return nil, false
	}
	return out, true
}

func literalValue(v filter.Value) any {
	switch v.Kind {
	case filter.KindString:
		return v.Str
	case filter.KindBool:
		return v.Bool
	case filter.KindNumber:
		return json.Number(v.Str)
	}
	return nil
}
