package scim

import (
	"strings"
)

// Projection is a parsed pair of the attributes and excludedAttributes query parameters
// (RFC 7644 §3.4.2.5), ready to apply to many documents.
//
// Names are case-insensitive, may be URN-qualified ("urn:…:enterprise:2.0:User:department",
// or a bare extension URN for the whole extension) and may name sub-attributes
// ("name.givenName"). A value filter inside a name is ignored, so Entra's
// attributes=emails[type eq "work"] means the emails attribute (RFC 7644 does not define
// filters there). Unknown names are ignored. "schemas" and attributes returned "always"
// (id) are always present; "never" ones (password) never; "request" ones only when named
// in attributes. When both parameters are given, attributes selects and excludedAttributes
// then removes.
type Projection struct {
	rt      *ResourceType
	include map[string]*selection // nil: the default set
	exclude map[string]*selection
}

// selection says which part of one attribute was named.
type selection struct {
	whole bool
	subs  map[string]bool // canonical sub-attribute names
}

// ParseProjection parses the attributes and excludedAttributes parameters (either may be
// empty). It fails only on malformed input (unbalanced brackets or quotes): 400
// invalidValue.
func ParseProjection(rt *ResourceType, attributes, excludedAttributes string) (*Projection, error) {
	p := &Projection{rt: rt}
	var err error
	if strings.TrimSpace(attributes) != "" {
		if p.include, err = parseAttrList(rt, "attributes", attributes); err != nil {
			return nil, err
		}
	}
	if strings.TrimSpace(excludedAttributes) != "" {
		if p.exclude, err = parseAttrList(rt, "excludedAttributes", excludedAttributes); err != nil {
			return nil, err
		}
	}
	return p, nil
}

func parseAttrList(rt *ResourceType, param, s string) (map[string]*selection, error) {
	items, err := splitAttrList(param, s)
	if err != nil {
		return nil, err
	}
	out := make(map[string]*selection, len(items))
	for _, it := range items {
		key, sub, ok := resolveProjected(rt, it)
		if !ok {
			continue
		}
		sl := out[key]
		if sl == nil {
			sl = &selection{}
			out[key] = sl
		}
		if sub == "" {
			sl.whole = true
			continue
		}
		if sl.subs == nil {
			sl.subs = map[string]bool{}
		}
		sl.subs[sub] = true
	}
	return out, nil
}

// splitAttrList splits on commas outside brackets and quotes and drops value filters:
// `emails[type eq "work"].value` becomes "emails.value".
func splitAttrList(param, s string) ([]string, error) {
	var items []string
	var cur strings.Builder
	depth, inQuote := 0, false
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case inQuote:
			if c == '\\' && i+1 < len(s) {
				i++
			} else if c == '"' {
				inQuote = false
			}
		case c == '"':
			if depth == 0 {
				return nil, ErrInvalidValue("%s: unexpected quote at position %d", param, i)
			}
			inQuote = true
		case c == '[':
			depth++
		case c == ']':
			if depth == 0 {
				return nil, ErrInvalidValue("%s: unbalanced ']' at position %d", param, i)
			}
			depth--
		case depth > 0:
		case c == ',':
			items = append(items, strings.TrimSpace(cur.String()))
			cur.Reset()
		default:
			cur.WriteByte(c)
		}
	}
	if depth != 0 || inQuote {
		return nil, ErrInvalidValue("%s: unbalanced '[' or quote", param)
	}
	items = append(items, strings.TrimSpace(cur.String()))
	out := items[:0]
	for _, it := range items {
		if it != "" {
			out = append(out, it)
		}
	}
	return out, nil
}

// resolveProjected maps a name to a selection key (see selKey) and a canonical
// sub-attribute name. ok is false for unknown names.
func resolveProjected(rt *ResourceType, name string) (key, sub string, ok bool) {
	urn, rest, isURN := rt.splitURNKey(name)
	if isURN {
		s := rt.SchemaFor(urn)
		switch {
		case s == nil && rest == "":
			return customKey(urn, ""), "", true
		case s == nil:
			return customKey(urn, rest), "", true
		case rest == "" && s != rt.Schema:
			return selKey(s.ID, ""), "", true
		case rest == "":
			return "", "", false
		}
		urn, name = s.ID, rest
	}
	attrName, subName, _ := strings.Cut(name, ".")
	a, ext, _ := rt.Resolve(urn, attrName)
	if a == nil {
		return "", "", false
	}
	if subName != "" {
		s := a.Sub(subName)
		if s == nil {
			return "", "", false
		}
		sub = s.Name
	}
	return selKey(ext, a.Name), sub, true
}

func selKey(ext, name string) string { return ext + "\x00" + name }

func customKey(urn, name string) string {
	return "custom\x00" + strings.ToLower(urn) + "\x00" + strings.ToLower(name)
}

// Project returns the projected copy of doc. doc is not modified; values are shared with
// it, so treat the result as read-only or copy it.
func (p *Projection) Project(doc map[string]any) map[string]any {
	out := make(map[string]any, len(doc))
	for k, v := range doc {
		if k == "schemas" {
			out[k] = v
			continue
		}
		urn, _, isURN := p.rt.splitURNKey(k)
		if isURN {
			if s := p.rt.SchemaFor(urn); s != nil && s != p.rt.Schema {
				if m, ok := v.(map[string]any); ok {
					if pm := p.projectObject(s, s.ID, m); len(pm) > 0 {
						out[k] = pm
					}
				}
				continue
			}
			if pv, keep := p.projectCustom(k, v); keep {
				out[k] = pv
			}
			continue
		}
		a := p.rt.Attr(k)
		if a == nil {
			if p.include == nil {
				out[k] = v
			}
			continue
		}
		if pv, keep := p.projectAttr("", a, v); keep {
			out[k] = pv
		}
	}
	return out
}

func (p *Projection) projectObject(s *Schema, ext string, m map[string]any) map[string]any {
	whole := false
	if p.include != nil {
		if sl := p.include[selKey(ext, "")]; sl != nil {
			whole = true
		}
	}
	if p.exclude != nil && p.exclude[selKey(ext, "")] != nil {
		return nil
	}
	out := make(map[string]any, len(m))
	for k, v := range m {
		a := s.Attr(k)
		if a == nil {
			continue
		}
		if whole {
			if a.Returned == ReturnedNever || p.excludedWhole(ext, a) {
				continue
			}
			out[k] = v
			continue
		}
		if pv, keep := p.projectAttr(ext, a, v); keep {
			out[k] = pv
		}
	}
	return out
}

func (p *Projection) excludedWhole(ext string, a *Attribute) bool {
	if p.exclude == nil || a.Returned == ReturnedAlways {
		return false
	}
	sl := p.exclude[selKey(ext, a.Name)]
	return sl != nil && sl.whole
}

// projectAttr decides whether attribute a (value v) appears and with which sub-attributes.
func (p *Projection) projectAttr(ext string, a *Attribute, v any) (any, bool) {
	switch a.Returned {
	case ReturnedNever:
		return nil, false
	case ReturnedAlways:
		return v, true
	}
	key := selKey(ext, a.Name)
	var subs map[string]bool // nil: every sub-attribute
	if p.include != nil {
		sl := p.include[key]
		if sl == nil {
			return nil, false
		}
		if !sl.whole {
			subs = sl.subs
		}
	} else if a.Returned == ReturnedRequest {
		return nil, false
	}
	var drop map[string]bool
	if p.exclude != nil {
		if sl := p.exclude[key]; sl != nil {
			if sl.whole {
				return nil, false
			}
			drop = sl.subs
		}
	}
	if a.Type != TypeComplex || (subs == nil && drop == nil && !hasSpecialSubs(a)) {
		return v, true
	}
	pick := func(m map[string]any) map[string]any {
		out := make(map[string]any, len(m))
		for k, sv := range m {
			s := a.Sub(k)
			if s == nil {
				continue
			}
			switch {
			case s.Returned == ReturnedNever:
				continue
			case s.Returned == ReturnedAlways:
			case drop[s.Name]:
				continue
			case subs != nil && !subs[s.Name]:
				continue
			case subs == nil && s.Returned == ReturnedRequest:
				continue
			}
			out[k] = sv
		}
		return out
	}
	switch x := v.(type) {
	case map[string]any:
		m := pick(x)
		return m, len(m) > 0
	case []any:
		out := make([]any, 0, len(x))
		for _, e := range x {
			if m, ok := e.(map[string]any); ok {
				if pm := pick(m); len(pm) > 0 {
					out = append(out, pm)
				}
			}
		}
		return out, len(out) > 0
	}
	return v, true
}

// hasSpecialSubs reports whether some sub-attribute is returned other than by default,
// so a complex value needs filtering even when no sub-attribute was named.
func hasSpecialSubs(a *Attribute) bool {
	for _, s := range a.SubAttributes {
		if s.Returned == ReturnedNever || s.Returned == ReturnedRequest {
			return true
		}
	}
	return false
}

// projectCustom handles an unknown extension object, kept verbatim.
func (p *Projection) projectCustom(urn string, v any) (any, bool) {
	if p.exclude != nil && p.exclude[customKey(urn, "")] != nil {
		return nil, false
	}
	m, ok := v.(map[string]any)
	if !ok {
		return v, p.include == nil
	}
	if p.include == nil || p.include[customKey(urn, "")] != nil {
		if p.exclude == nil {
			return v, true
		}
		out := make(map[string]any, len(m))
		for k, x := range m {
			if p.exclude[customKey(urn, k)] == nil {
				out[k] = x
			}
		}
		return out, len(out) > 0
	}
	out := map[string]any{}
	for k, x := range m {
		if p.include[customKey(urn, k)] != nil && (p.exclude == nil || p.exclude[customKey(urn, k)] == nil) {
			out[k] = x
		}
	}
	return out, len(out) > 0
}

// Needs reports whether a top-level attribute of the core schema (or a common one) will
// appear in projected output, so the server can skip loading it: Needs("members") is false
// for excludedAttributes=members or attributes=displayName.
func (p *Projection) Needs(name string) bool {
	a := p.rt.Attr(name)
	if a == nil {
		return false
	}
	switch a.Returned {
	case ReturnedNever:
		return false
	case ReturnedAlways:
		return true
	}
	key := selKey("", a.Name)
	if p.exclude != nil {
		if sl := p.exclude[key]; sl != nil && sl.whole {
			return false
		}
	}
	if p.include == nil {
		return a.Returned != ReturnedRequest
	}
	return p.include[key] != nil
}
