package scim

import (
	"encoding/json"
	"math"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Values are checked and coerced against their attribute definitions here, for both
// Normalize (POST/PUT bodies) and ApplyPatch (PATCH values), so both accept exactly the
// same things. Tolerances, each an IdP habit:
//   - boolean attributes accept the strings "true"/"false" in any case ("True" from Entra);
//   - a single-valued complex attribute with a "value" sub-attribute accepts a bare scalar
//     as {"value": x} (Entra's manager), and so do members (Microsoft's SCIM validator adds
//     members as bare id strings);
//   - a multi-valued attribute accepts a single value as a one-element list;
//   - null, "" in a complex value, [] and {} mean unassigned and are dropped;
//   - members accept "displayName" as an alias of "display" (Entra);
//   - unknown and read-only sub-attributes are dropped, like unknown top-level attributes.
//
// A value of the wrong type is 400 invalidValue naming the attribute and the expected type;
// so is a string holding a NUL character. Coercions no IdP needs are refused rather than
// guessed at: a number for a string attribute ("userName": 5 is a mapping mistake that would
// otherwise create the user "5") and a bare scalar for any other multi-valued complex
// attribute ("emails": "x").

// normAttr normalises the whole value of attribute a (a list when multi-valued). It returns
// nil when the value is unassigned.
func normAttr(a *Attribute, v any, name string) (any, error) {
	if v == nil {
		return nil, nil
	}
	if !a.MultiValued {
		if _, isList := v.([]any); isList {
			return nil, ErrInvalidValue("attribute %q is single-valued; got an array", name)
		}
		return normSingle(a, v, name)
	}
	list, isList := v.([]any)
	if !isList {
		list = []any{v}
	}
	out := make([]any, 0, len(list))
	var seen map[string]struct{} // keys of the values kept, once the list is long
	for _, e := range list {
		if _, nested := e.([]any); nested {
			return nil, ErrInvalidValue("attribute %q: an element is an array; expected %s", name, describeType(a))
		}
		n, err := normSingle(a, e, name)
		if err != nil {
			return nil, err
		}
		if n == nil {
			continue
		}
		// Short lists compare pairwise; long ones (a 10,000-member PATCH) by key, so
		// dropping duplicates stays linear.
		if len(list) <= 16 {
			if containsEqual(out, n) {
				continue
			}
		} else {
			if seen == nil {
				seen = make(map[string]struct{}, len(list))
			}
			k := valueKey(n)
			if _, dup := seen[k]; dup {
				continue
			}
			seen[k] = struct{}{}
		}
		out = append(out, n)
	}
	if len(out) == 0 {
		return nil, nil
	}
	fixPrimary(out)
	return out, nil
}

// fixPrimary keeps at most one primary value: the last one marked primary wins, as in
// RFC 7644 §3.5.2.1 where a newly added primary value demotes the others.
func fixPrimary(list []any) {
	last := -1
	for i, e := range list {
		if m, ok := e.(map[string]any); ok && m["primary"] == true {
			last = i
		}
	}
	if last < 0 {
		return
	}
	for i, e := range list {
		if m, ok := e.(map[string]any); ok && i != last && m["primary"] == true {
			m["primary"] = false
		}
	}
}

// normSingle normalises one value of attribute a.
func normSingle(a *Attribute, v any, name string) (any, error) {
	if v == nil {
		return nil, nil
	}
	if a.Type != TypeComplex {
		return normScalar(a, v, name)
	}
	m, ok := v.(map[string]any)
	if !ok {
		if a.MultiValued && a.Name != "members" {
			return nil, ErrInvalidValue("attribute %q takes complex values (JSON objects such as {\"value\": …}); got %s", name, jsonKind(v))
		}
		if vs := a.Sub("value"); vs != nil && vs.Type != TypeComplex {
			sv, err := normScalar(vs, v, name+".value")
			if err != nil {
				return nil, err
			}
			return map[string]any{vs.Name: sv}, nil
		}
		return nil, ErrInvalidValue("attribute %q must be a complex value (JSON object); got %s", name, jsonKind(v))
	}
	out := make(map[string]any, len(m))
	for k, sv := range m {
		s := a.Sub(k)
		if s == nil && strings.EqualFold(k, "displayName") {
			s = a.Sub("display")
		}
		if s == nil || s.Mutability == ReadOnly {
			continue
		}
		n, err := normAttr(s, sv, name+"."+s.Name)
		if err != nil {
			return nil, err
		}
		if n != nil {
			out[s.Name] = n
		}
	}
	if len(out) == 0 {
		return nil, nil
	}
	return out, nil
}

// normScalar normalises a simple (non-complex) value.
func normScalar(a *Attribute, v any, name string) (any, error) {
	switch a.Type {
	case TypeString, TypeReference, TypeBinary:
		switch x := v.(type) {
		case string:
			// PostgreSQL cannot store U+0000 in text (SQLite can), and no identity
			// attribute needs it: refused here, by name, so both backends answer alike.
			if strings.IndexByte(x, 0) >= 0 {
				return nil, ErrInvalidValue("attribute %q contains a NUL character (U+0000), which is not allowed", name)
			}
			return x, nil
		}
	case TypeBoolean:
		switch x := v.(type) {
		case bool:
			return x, nil
		case string:
			switch strings.ToLower(strings.TrimSpace(x)) {
			case "true":
				return true, nil
			case "false":
				return false, nil
			}
		}
	case TypeInteger:
		if n, ok := toNumber(v); ok {
			if i, err := strconv.ParseInt(string(n), 10, 64); err == nil {
				return json.Number(strconv.FormatInt(i, 10)), nil
			}
			if f, err := n.Float64(); err == nil && f == math.Trunc(f) && math.Abs(f) < 1<<53 {
				return json.Number(strconv.FormatInt(int64(f), 10)), nil
			}
		}
	case TypeDecimal:
		if n, ok := toNumber(v); ok {
			if _, err := n.Float64(); err == nil {
				return n, nil
			}
		}
	case TypeDateTime:
		if s, ok := v.(string); ok {
			if _, ok := parseDateTime(s); ok {
				return s, nil
			}
			return nil, ErrInvalidValue("attribute %q must be an RFC 3339 dateTime such as 2011-05-13T04:42:34Z; got %q", name, s)
		}
	case TypeComplex:
		return normSingle(a, v, name)
	}
	return nil, ErrInvalidValue("attribute %q must be %s; got %s", name, describeType(a), jsonKind(v))
}

func describeType(a *Attribute) string {
	switch a.Type {
	case TypeString:
		return "a string"
	case TypeBoolean:
		return "a boolean (true or false)"
	case TypeInteger:
		return "an integer"
	case TypeDecimal:
		return "a number"
	case TypeDateTime:
		return "an RFC 3339 dateTime string"
	case TypeReference:
		return "a reference (URI string)"
	case TypeBinary:
		return "a base64 string"
	case TypeComplex:
		return "a complex value (JSON object)"
	}
	return string(a.Type)
}

func jsonKind(v any) string {
	switch x := v.(type) {
	case nil:
		return "null"
	case string:
		return "string " + strconv.Quote(truncate(x, 40))
	case bool:
		return "boolean " + strconv.FormatBool(x)
	case json.Number:
		return "number " + x.String()
	case float64, float32, int, int64, int32:
		return "a number"
	case []any:
		return "an array"
	case map[string]any:
		return "an object"
	}
	return "an unsupported value"
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}

// toNumber converts a decoded JSON number (json.Number, float64 or a Go integer) to
// json.Number.
func toNumber(v any) (json.Number, bool) {
	switch x := v.(type) {
	case json.Number:
		return x, true
	case float64:
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return "", false
		}
		return json.Number(strconv.FormatFloat(x, 'g', -1, 64)), true
	case float32:
		return json.Number(strconv.FormatFloat(float64(x), 'g', -1, 32)), true
	case int:
		return json.Number(strconv.Itoa(x)), true
	case int64:
		return json.Number(strconv.FormatInt(x, 10)), true
	case int32:
		return json.Number(strconv.FormatInt(int64(x), 10)), true
	}
	return "", false
}

func toFloat(v any) (float64, bool) {
	n, ok := toNumber(v)
	if !ok {
		return 0, false
	}
	f, err := n.Float64()
	return f, err == nil
}

// parseDateTime accepts RFC 3339 (xsd:dateTime with an offset, any fraction) and, leniently,
// a dateTime without an offset, read as UTC.
func parseDateTime(s string) (time.Time, bool) {
	s = strings.TrimSpace(s)
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return t, true
	}
	if t, err := time.Parse("2006-01-02T15:04:05.999999999", s); err == nil {
		return t, true
	}
	return time.Time{}, false
}

// deepCopy copies a decoded JSON value so the copy shares no map or slice with v.
func deepCopy(v any) any {
	switch x := v.(type) {
	case map[string]any:
		return copyMap(x)
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = deepCopy(e)
		}
		return out
	}
	return v
}

func copyMap(m map[string]any) map[string]any {
	out := make(map[string]any, len(m))
	for k, e := range m {
		out[k] = deepCopy(e)
	}
	return out
}

// jsonEqual compares two decoded JSON values; numbers compare by value whatever their Go
// type.
func jsonEqual(a, b any) bool {
	switch x := a.(type) {
	case map[string]any:
		y, ok := b.(map[string]any)
		if !ok || len(x) != len(y) {
			return false
		}
		for k, xv := range x {
			yv, ok := y[k]
			if !ok || !jsonEqual(xv, yv) {
				return false
			}
		}
		return true
	case []any:
		y, ok := b.([]any)
		if !ok || len(x) != len(y) {
			return false
		}
		for i := range x {
			if !jsonEqual(x[i], y[i]) {
				return false
			}
		}
		return true
	case string:
		y, ok := b.(string)
		return ok && x == y
	case bool:
		y, ok := b.(bool)
		return ok && x == y
	case nil:
		return b == nil
	}
	if xf, ok := toFloat(a); ok {
		yf, ok := toFloat(b)
		return ok && xf == yf
	}
	return false
}

// valueKey renders a normalised value as a string that is equal for jsonEqual values.
func valueKey(v any) string {
	var b strings.Builder
	writeKey(&b, v)
	return b.String()
}

func writeKey(b *strings.Builder, v any) {
	switch x := v.(type) {
	case map[string]any:
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		b.WriteByte('{')
		for _, k := range keys {
			b.WriteString(strconv.Quote(k))
			b.WriteByte(':')
			writeKey(b, x[k])
			b.WriteByte(',')
		}
		b.WriteByte('}')
	case []any:
		b.WriteByte('[')
		for _, e := range x {
			writeKey(b, e)
			b.WriteByte(',')
		}
		b.WriteByte(']')
	case string:
		b.WriteString(strconv.Quote(x))
	case bool:
		b.WriteString(strconv.FormatBool(x))
	case nil:
		b.WriteString("null")
	default:
		if f, ok := toFloat(v); ok {
			b.WriteByte('#')
			b.WriteString(strconv.FormatFloat(f, 'g', -1, 64))
		}
	}
}

func containsEqual(list []any, v any) bool {
	for _, e := range list {
		if jsonEqual(e, v) {
			return true
		}
	}
	return false
}
