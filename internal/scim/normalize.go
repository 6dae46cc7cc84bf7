package scim

import (
	"sort"
	"strings"
)

// Normalize checks and canonicalises a resource document sent by a client (a POST or PUT
// body) and returns a new document; doc is not modified. The result holds only what the
// client may set: the server adds id and meta, and for PUT carries over whatever it keeps.
//
// What it does:
//   - "schemas" must be an array listing the core schema of rt (400 invalidSyntax
//     otherwise); the output "schemas" is rebuilt from what the document holds: the core
//     URN, then each extension that has attributes, known ones first.
//   - Attribute names are matched case-insensitively and rewritten in canonical case.
//   - Extension attributes may come as an object keyed by the extension URN or as
//     URN-qualified top-level keys ("urn:…:enterprise:2.0:User:department"); both end up
//     in the object keyed by the canonical URN. URN-qualified core keys
//     ("urn:…:core:2.0:User:userName") are read as plain core keys.
//   - Values are type-checked and coerced as described in value.go; a mismatch is 400
//     invalidValue naming the attribute and the expected type.
//   - Read-only attributes (id, meta, groups, manager.displayName) are dropped; so is
//     password, which is write-only and which we accept and discard because rolecall is not
//     an authenticator.
//   - Required attributes (userName for User, displayName for Group) must be present and
//     non-blank: 400 invalidValue.
//   - Each multi-valued attribute has at most one primary value: when several are marked,
//     the last one stays primary and the others get primary=false (the behaviour
//     RFC 7644 §3.5.2.1 prescribes for PATCH add, applied to whole lists too).
//   - Group members are kept under "members" as normalised objects, each with a non-empty
//     "value"; the server moves them to its membership table with TakeMembers.
//
// The unknown-attribute rule: an attribute the core schema (or a known extension) does not
// define is dropped without error, because Entra sends such attributes in PUT and expects
// 200. An object keyed by an extension URN this server does not define (an IdP's custom
// extension such as "urn:ietf:params:scim:schemas:extension:CustomExtension:2.0:User") is
// kept verbatim, returned on reads, and its URN is listed in "schemas"; it is not
// type-checked and cannot be filtered on.
func Normalize(rt *ResourceType, doc map[string]any) (map[string]any, error) {
	if doc == nil {
		return nil, ErrInvalidSyntax("the request body must be a JSON object")
	}
	if err := checkSchemas(rt, doc); err != nil {
		return nil, err
	}
	keys := make([]string, 0, len(doc))
	for k := range doc {
		keys = append(keys, k)
	}
	// Sorted so that a document holding both "userName" and "UserName" always resolves
	// the same way.
	sort.Strings(keys)

	out := make(map[string]any, len(doc))
	for _, k := range keys {
		v := doc[k]
		if strings.EqualFold(k, "schemas") {
			continue
		}
		urn, rest, isURN := rt.splitURNKey(k)
		if !isURN {
			if err := setClientAttr(rt, out, "", k, v); err != nil {
				return nil, err
			}
			continue
		}
		s := rt.SchemaFor(urn)
		if _, isObj := v.(map[string]any); s == nil && isObj && rt.customObjectKey(urn, rest) {
			urn, rest = k, ""
		}
		switch {
		case s == nil && rest == "":
			if m, ok := v.(map[string]any); ok && len(m) > 0 {
				ext := customExt(out, urn)
				for mk, mv := range m {
					ext[mk] = deepCopy(mv)
				}
			}
		case s == nil:
			if v != nil {
				customExt(out, urn)[rest] = deepCopy(v)
			}
		case rest == "":
			if v == nil {
				continue
			}
			m, ok := v.(map[string]any)
			if !ok {
				return nil, ErrInvalidValue("%q must be an object holding the attributes of that schema extension; got %s", s.ID, jsonKind(v))
			}
			mkeys := make([]string, 0, len(m))
			for mk := range m {
				mkeys = append(mkeys, mk)
			}
			sort.Strings(mkeys)
			for _, mk := range mkeys {
				if err := setClientAttr(rt, out, s.ID, mk, m[mk]); err != nil {
					return nil, err
				}
			}
		default:
			if err := setClientAttr(rt, out, s.ID, rest, v); err != nil {
				return nil, err
			}
		}
	}
	if err := checkRequired(rt, out); err != nil {
		return nil, err
	}
	if rt.Schema.Attr("members") != nil {
		if err := checkMembers(out["members"]); err != nil {
			return nil, err
		}
	}
	out["schemas"] = schemasFor(rt, out)
	return out, nil
}

// checkSchemas requires "schemas" to be an array of strings listing rt's core schema.
func checkSchemas(rt *ResourceType, doc map[string]any) error {
	var raw any
	found := false
	for k, v := range doc {
		if strings.EqualFold(k, "schemas") {
			raw, found = v, true
		}
	}
	if !found {
		return ErrInvalidSyntax(`the resource needs "schemas": [%q]`, rt.Schema.ID)
	}
	list, ok := raw.([]any)
	if !ok {
		return ErrInvalidSyntax(`"schemas" must be an array of schema URNs`)
	}
	core := false
	for _, e := range list {
		s, ok := e.(string)
		if !ok {
			return ErrInvalidSyntax(`"schemas" must be an array of schema URNs; it holds %s`, jsonKind(e))
		}
		if strings.EqualFold(s, rt.Schema.ID) {
			core = true
		}
	}
	if !core {
		return ErrInvalidSyntax(`"schemas" must list %q for a %s`, rt.Schema.ID, rt.Name)
	}
	return nil
}

// setClientAttr stores one client-sent attribute (name may be dotted: "name.givenName")
// of the schema urn ("" for core) into out, applying the unknown-attribute rule.
func setClientAttr(rt *ResourceType, out map[string]any, urn, name string, v any) error {
	attrName, subName, _ := strings.Cut(name, ".")
	a, ext, _ := rt.Resolve(urn, attrName)
	if a == nil || a.Mutability == ReadOnly || a.Mutability == WriteOnly {
		return nil
	}
	target := out
	if ext != "" {
		m, _ := out[ext].(map[string]any)
		if m == nil {
			m = map[string]any{}
			out[ext] = m
		}
		target = m
	}
	label := qualifiedName(ext, a.Name)
	if subName == "" {
		n, err := normAttr(a, v, label)
		if err != nil {
			return err
		}
		if n == nil {
			delete(target, a.Name)
		} else {
			target[a.Name] = n
		}
		return nil
	}
	s := a.Sub(subName)
	if a.MultiValued || s == nil || s.Mutability == ReadOnly {
		return nil
	}
	n, err := normAttr(s, v, label+"."+s.Name)
	if err != nil {
		return err
	}
	parent, _ := target[a.Name].(map[string]any)
	if n == nil {
		delete(parent, s.Name)
		return nil
	}
	if parent == nil {
		parent = map[string]any{}
		target[a.Name] = parent
	}
	parent[s.Name] = n
	return nil
}

func qualifiedName(ext, name string) string {
	if ext == "" {
		return name
	}
	return ext + ":" + name
}

// customExt returns the verbatim object of an unknown extension, creating it. An existing
// key that differs from urn only in case is reused.
func customExt(out map[string]any, urn string) map[string]any {
	for k, v := range out {
		if strings.EqualFold(k, urn) {
			if m, ok := v.(map[string]any); ok {
				return m
			}
		}
	}
	m := map[string]any{}
	out[urn] = m
	return m
}

// checkRequired enforces required attributes of the core schema and required extensions.
func checkRequired(rt *ResourceType, doc map[string]any) error {
	for _, a := range rt.Schema.Attributes {
		if a.Required && isBlank(doc[a.Name]) {
			return ErrInvalidValue("attribute %q is required for a %s and must not be empty", a.Name, rt.Name)
		}
	}
	for _, e := range rt.Extensions {
		if !e.Required {
			continue
		}
		if _, ok := doc[e.Schema.ID].(map[string]any); !ok {
			return ErrInvalidValue("schema extension %q is required for a %s", e.Schema.ID, rt.Name)
		}
	}
	return nil
}

func isBlank(v any) bool {
	switch x := v.(type) {
	case nil:
		return true
	case string:
		return strings.TrimSpace(x) == ""
	case []any:
		return len(x) == 0
	case map[string]any:
		return len(x) == 0
	}
	return false
}

func checkMembers(v any) error {
	list, _ := v.([]any)
	for _, e := range list {
		m, _ := e.(map[string]any)
		if s, _ := m["value"].(string); strings.TrimSpace(s) == "" {
			return ErrInvalidValue(`every member needs a non-empty "value" (the id of a User or Group)`)
		}
	}
	return nil
}

// schemasFor lists the schemas a normalised document uses: the core schema, the known
// extensions that hold attributes, then custom extension objects in URN order.
func schemasFor(rt *ResourceType, doc map[string]any) []any {
	out := []any{rt.Schema.ID}
	for _, e := range rt.Extensions {
		if m, ok := doc[e.Schema.ID].(map[string]any); ok {
			if len(m) == 0 {
				delete(doc, e.Schema.ID)
				continue
			}
			out = append(out, e.Schema.ID)
		}
	}
	var custom []string
	for k, v := range doc {
		if !hasPrefixFold(k, "urn:") || rt.SchemaFor(k) != nil {
			continue
		}
		if m, ok := v.(map[string]any); ok {
			if len(m) == 0 {
				delete(doc, k)
				continue
			}
			custom = append(custom, k)
		}
	}
	sort.Strings(custom)
	for _, c := range custom {
		out = append(out, c)
	}
	return out
}

// Member is one member of a Group as sent by a client.
type Member struct {
	Value   string // id of the member User or Group
	Display string // display name as sent (Entra sends "displayName"); may be empty
	Type    string // "User" or "Group" when the client said so; may be empty
	Ref     string // $ref when the client sent one; may be empty
}

// TakeMembers removes "members" from a normalised Group document and returns them in
// order, without duplicates. Members are not kept in the document: the server stores them
// in its membership table.
func TakeMembers(doc map[string]any) []Member {
	list, _ := doc["members"].([]any)
	delete(doc, "members")
	return membersFromList(list)
}

func membersFromList(list []any) []Member {
	out := make([]Member, 0, len(list))
	seen := make(map[string]int, len(list))
	for _, e := range list {
		m, _ := e.(map[string]any)
		mb := Member{}
		mb.Value, _ = m["value"].(string)
		mb.Display, _ = m["display"].(string)
		mb.Type, _ = m["type"].(string)
		mb.Ref, _ = m["$ref"].(string)
		if mb.Value == "" {
			continue
		}
		if i, dup := seen[mb.Value]; dup {
			out[i] = mb // the later occurrence carries the newer display
			continue
		}
		seen[mb.Value] = len(out)
		out = append(out, mb)
	}
	return out
}

// Indexed holds the attributes the store keeps in indexed columns.
type Indexed struct {
	UserName    string
	ExternalID  string
	DisplayName string
	Active      bool     // true when "active" is absent: IdPs send it, and absent means not disabled
	Emails      []string // every emails[].value, in order
}

// IndexedFields extracts the indexed columns from a normalised document.
func IndexedFields(doc map[string]any) Indexed {
	ix := Indexed{Active: true}
	ix.UserName, _ = doc["userName"].(string)
	ix.ExternalID, _ = doc["externalId"].(string)
	ix.DisplayName, _ = doc["displayName"].(string)
	if b, ok := doc["active"].(bool); ok {
		ix.Active = b
	}
	if list, ok := doc["emails"].([]any); ok {
		for _, e := range list {
			if m, ok := e.(map[string]any); ok {
				if s, ok := m["value"].(string); ok && s != "" {
					ix.Emails = append(ix.Emails, s)
				}
			}
		}
	}
	return ix
}
