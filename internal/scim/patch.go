package scim

import (
	"sort"
	"strconv"
	"strings"

	"github.com/rolecall/rolecall/internal/scim/filter"
)

// PatchResult is the outcome of ApplyPatch.
type PatchResult struct {
	// Doc is the new document (a copy; the input is not modified), with "schemas" rebuilt.
	Doc map[string]any
	// Changed is false when Doc equals the input document apart from "schemas", so the
	// server can skip the write and keep the version. It says nothing about Members:
	// whether those change anything is known only to the membership table.
	Changed bool
	// Members are the membership changes, in request order, for the server to run as set
	// operations. Members are never written into Doc.
	Members []MemberOp
}

// ApplyPatch applies PATCH operations (RFC 7644 §3.5.2) to a normalised document of type
// rt and returns the new document and the membership operations. Operations apply in order
// and all-or-nothing: any error leaves nothing applied. doc should hold "id" (for Okta's
// path-less replace that repeats it); it need not hold "members".
//
// Supported forms, beyond the plain RFC ones:
//   - path-less add/replace whose value object holds attribute names, dotted names
//     ("name.givenName"), URN-qualified names ("urn:…:enterprise:2.0:User:employeeNumber")
//     and extension objects keyed by URN; unknown names there are ignored (the
//     unknown-attribute rule of Normalize); "schemas" is ignored; "id" is ignored when it
//     equals the resource id (Okta) and a mutability error otherwise;
//   - value filters in paths: emails[type eq "work"].value, addresses[type eq
//     "work"].streetAddress, members[value eq "id"], members[value eq "a" or value eq "b"];
//   - add or replace through a filter that matches nothing creates the value when the filter
//     is made of eq comparisons joined with and (Entra sends Add/Replace on
//     emails[type eq "work"].value for a user that has no work email): the new value holds
//     those sub-attributes plus the one set. Other filters give 400 noTarget;
//   - remove through a filter that matches nothing, and remove of a member that is not a
//     member, succeed without change: Okta and Entra expect it, and the result the client
//     asked for holds;
//   - replace of a single-valued complex attribute merges the given sub-attributes
//     (RFC 7644 §3.5.2.3); replace through a filter merges into the matched values; replace
//     of a multi-valued attribute replaces the whole list; add to a multi-valued attribute
//     appends, skipping values equal to one already there (a duplicate that differs only in
//     "primary" updates "primary"); a value added or set as primary demotes the others;
//   - remove with a value array on a multi-valued attribute removes the matching values
//     (Entra's {"op":"Remove","path":"members","value":[{"value":"id"}]});
//   - members: add/replace/remove on "members" (value a list of {"value","display"} objects,
//     or a bare id string) and remove on members[value eq …] become MemberOps; remove of
//     "members" without a value removes all; replace with an empty list removes all. Other
//     member paths are 400 invalidPath or invalidFilter saying what is supported;
//   - writing a read-only attribute (id, meta, groups, manager.displayName by path) is 400
//     mutability; changing an immutable attribute that has a value is 400 mutability;
//     password is accepted and discarded; an unknown path is 400 invalidPath;
//   - values are checked and coerced as in Normalize ("True"/"False" become booleans).
func ApplyPatch(rt *ResourceType, doc map[string]any, ops []PatchOperation) (*PatchResult, error) {
	if doc == nil {
		doc = map[string]any{}
	}
	p := &patcher{rt: rt, doc: copyMap(doc), res: &PatchResult{}}
	for i, op := range ops {
		if err := p.apply(op); err != nil {
			e := AsError(err)
			return nil, &Error{Status: e.Status, ScimType: e.ScimType, Detail: opLabel(i, op) + e.Detail}
		}
	}
	if err := checkRequired(rt, p.doc); err != nil {
		return nil, err
	}
	if err := checkImmutable(rt, doc, p.doc); err != nil {
		return nil, err
	}
	p.doc["schemas"] = schemasFor(rt, p.doc)
	p.res.Doc = p.doc
	p.res.Changed = !equalExceptSchemas(doc, p.doc)
	return p.res, nil
}

func opLabel(i int, op PatchOperation) string {
	if op.Path == "" {
		return "operation " + strconv.Itoa(i) + " (" + op.Op.String() + "): "
	}
	return "operation " + strconv.Itoa(i) + " (" + op.Op.String() + " " + truncate(op.Path, 80) + "): "
}

type patcher struct {
	rt  *ResourceType
	doc map[string]any
	res *PatchResult
}

// target is a resolved PATCH path.
type target struct {
	ext        string      // extension URN holding a; "" for core and common attributes
	a          *Attribute  // the attribute; nil for whole-extension and custom targets
	sub        *Attribute  // sub-attribute, with or without a filter
	filter     filter.Expr // value filter on a, or nil
	wholeExt   *Schema     // the path names a whole known extension
	custom     string      // URN of an unknown extension
	customAttr string      // attribute inside the unknown extension; "" = all of it
	text       string      // the path, for messages
}

func (p *patcher) apply(op PatchOperation) error {
	if op.Path == "" {
		if op.Op == PatchRemove {
			return ErrNoTarget("remove needs a path")
		}
		m, ok := op.Value.(map[string]any)
		if !ok {
			return ErrInvalidValue("without a path, the value must be an object whose members are attribute names; got %s", jsonKind(op.Value))
		}
		for _, k := range sortedKeys(m) {
			if strings.EqualFold(k, "schemas") {
				continue
			}
			if err := p.applyKey(op.Op, k, m[k]); err != nil {
				return err
			}
		}
		return nil
	}
	t, err := p.resolvePath(op.Path)
	if err != nil {
		return err
	}
	return p.applyTarget(op.Op, t, op.Value, op.HasValue, false)
}

func sortedKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// applyKey applies one member of a path-less value object.
func (p *patcher) applyKey(kind PatchOpKind, key string, v any) error {
	urn, rest, isURN := p.rt.splitURNKey(key)
	if !isURN {
		return p.applyNamed(kind, "", key, v)
	}
	s := p.rt.SchemaFor(urn)
	if _, isObj := v.(map[string]any); s == nil && isObj && p.rt.customObjectKey(urn, rest) {
		urn, rest = key, ""
	}
	switch {
	case s == nil:
		return p.applyTarget(kind, target{custom: urn, customAttr: rest, text: key}, v, true, true)
	case rest == "":
		obj, ok := v.(map[string]any)
		if !ok {
			return ErrInvalidValue("%q must be an object holding attributes of that schema; got %s", s.ID, jsonKind(v))
		}
		for _, k := range sortedKeys(obj) {
			if err := p.applyNamed(kind, s.ID, k, obj[k]); err != nil {
				return err
			}
		}
		return nil
	}
	return p.applyNamed(kind, s.ID, rest, v)
}

// applyNamed applies a path-less attribute (name may be dotted) of schema urn.
func (p *patcher) applyNamed(kind PatchOpKind, urn, name string, v any) error {
	attrName, subName, _ := strings.Cut(name, ".")
	a, ext, _ := p.rt.Resolve(urn, attrName)
	if a == nil {
		return nil // the unknown-attribute rule
	}
	t := target{ext: ext, a: a, text: qualifiedName(ext, a.Name)}
	if subName != "" {
		if t.sub = a.Sub(subName); t.sub == nil {
			return nil
		}
		t.text += "." + t.sub.Name
	}
	return p.applyTarget(kind, t, v, true, true)
}

// resolvePath resolves an explicit PATCH path. Paths without a value filter are split
// here (URN prefix, dotted sub-attribute); paths with one go through filter.ParsePath.
func (p *patcher) resolvePath(path string) (target, error) {
	var raw, sub string
	var expr filter.Expr
	if strings.ContainsRune(path, '[') {
		fp, err := filter.ParsePath(path)
		if err != nil {
			return target{}, ErrInvalidPath("%s", err.Error())
		}
		raw = fp.Attr.Attr
		if fp.Attr.URI != "" {
			raw = fp.Attr.URI + ":" + fp.Attr.Attr
		}
		sub, expr = fp.Sub, fp.Filter
		if sub == "" {
			sub = fp.Attr.Sub
		}
	} else {
		raw = path
	}
	urn, rest, isURN := p.rt.splitURNKey(raw)
	name := raw
	if isURN {
		s := p.rt.SchemaFor(urn)
		switch {
		case s == nil && expr != nil:
			return target{}, ErrInvalidPath("value filters are not supported on attributes of the unknown extension %q", urn)
		case s == nil:
			return target{custom: urn, customAttr: rest, text: path}, nil
		case rest == "" && s == p.rt.Schema:
			return target{}, ErrInvalidPath("path %q names the core schema; name an attribute", path)
		case rest == "":
			return target{wholeExt: s, text: path}, nil
		}
		urn, name = s.ID, rest
	}
	if expr == nil && sub == "" {
		name, sub, _ = strings.Cut(name, ".")
	}
	a, ext, _ := p.rt.Resolve(urn, name)
	if a == nil {
		return target{}, ErrInvalidPath("unknown attribute %q: a %s has no such attribute", path, p.rt.Name)
	}
	t := target{ext: ext, a: a, filter: expr, text: path}
	if expr != nil && (a.Type != TypeComplex || !a.MultiValued) {
		return target{}, ErrInvalidPath("a value filter [...] applies only to a multi-valued complex attribute; %q is not one", a.Name)
	}
	if sub != "" {
		if t.sub = a.Sub(sub); t.sub == nil {
			return target{}, ErrInvalidPath("unknown attribute %q: %q has no sub-attribute %q", path, a.Name, sub)
		}
	}
	return t, nil
}

func (p *patcher) isMembers(t target) bool {
	return t.ext == "" && t.a.Name == "members" && p.rt.Schema.Attr("members") == t.a
}

func (p *patcher) applyTarget(kind PatchOpKind, t target, v any, hasValue, pathless bool) error {
	switch {
	case t.custom != "":
		return p.applyCustom(kind, t, v)
	case t.wholeExt != nil:
		if kind == PatchRemove {
			delete(p.doc, t.wholeExt.ID)
			return nil
		}
		obj, ok := v.(map[string]any)
		if !ok {
			return ErrInvalidValue("%q must be an object holding attributes of that schema; got %s", t.wholeExt.ID, jsonKind(v))
		}
		for _, k := range sortedKeys(obj) {
			if err := p.applyNamed(kind, t.wholeExt.ID, k, obj[k]); err != nil {
				return err
			}
		}
		return nil
	}
	if p.isMembers(t) {
		return p.applyMembers(kind, t, v, hasValue)
	}
	switch t.a.Mutability {
	case ReadOnly:
		if pathless && t.ext == "" && t.a.Name == "id" && t.sub == nil {
			id, has := p.doc["id"].(string)
			if s, ok := v.(string); !has || (ok && s == id) {
				return nil
			}
		}
		return ErrMutability("attribute %q is read-only", t.text)
	case WriteOnly:
		return nil // password: accepted and discarded, we do not authenticate users
	}
	if t.sub != nil && t.sub.Mutability == ReadOnly {
		if pathless {
			return nil
		}
		return ErrMutability("attribute %q is read-only", t.text)
	}
	c := p.container(t.ext, kind != PatchRemove)
	if c == nil {
		return nil
	}
	switch {
	case t.filter != nil:
		return p.applyFiltered(kind, t, c, v)
	case t.sub != nil:
		return p.applySub(kind, t, c, v)
	}
	return p.applyWhole(kind, t, c, v, hasValue)
}

// container returns the object holding the attributes of extension ext ("" = the
// document), creating it when create is set.
func (p *patcher) container(ext string, create bool) map[string]any {
	if ext == "" {
		return p.doc
	}
	m, _ := p.doc[ext].(map[string]any)
	if m == nil && create {
		m = map[string]any{}
		p.doc[ext] = m
	}
	return m
}

func (p *patcher) applyWhole(kind PatchOpKind, t target, c map[string]any, v any, hasValue bool) error {
	a := t.a
	if kind == PatchRemove {
		if hasValue && v != nil && a.MultiValued {
			return removeValues(t, c, v)
		}
		delete(c, a.Name)
		return nil
	}
	n, err := normAttr(a, v, t.text)
	if err != nil {
		return err
	}
	if n == nil {
		if kind == PatchReplace {
			delete(c, a.Name)
		}
		return nil
	}
	switch {
	case !a.MultiValued && a.Type == TypeComplex:
		old, _ := c[a.Name].(map[string]any)
		if old == nil {
			c[a.Name] = n
			return nil
		}
		for k, sv := range n.(map[string]any) {
			old[k] = sv
		}
	case !a.MultiValued:
		c[a.Name] = n
	case kind == PatchReplace:
		c[a.Name] = n
	default:
		old, _ := c[a.Name].([]any)
		c[a.Name] = appendValues(old, n.([]any))
	}
	return nil
}

func (p *patcher) applySub(kind PatchOpKind, t target, c map[string]any, v any) error {
	a, s := t.a, t.sub
	if !a.MultiValued {
		parent, _ := c[a.Name].(map[string]any)
		n, err := normAttr(s, v, t.text)
		if err != nil {
			return err
		}
		if kind == PatchRemove || n == nil {
			if parent != nil && (kind == PatchRemove || kind == PatchReplace) {
				delete(parent, s.Name)
				if len(parent) == 0 {
					delete(c, a.Name)
				}
			}
			return nil
		}
		if parent == nil {
			parent = map[string]any{}
			c[a.Name] = parent
		}
		parent[s.Name] = n
		return nil
	}
	// A sub-attribute of a multi-valued attribute without a filter targets every value.
	list, _ := c[a.Name].([]any)
	if kind == PatchRemove {
		for _, e := range list {
			if m, ok := e.(map[string]any); ok {
				delete(m, s.Name)
			}
		}
		setList(c, a.Name, dropEmpty(list))
		return nil
	}
	n, err := normAttr(s, v, t.text)
	if err != nil || n == nil {
		return err
	}
	if len(list) == 0 {
		c[a.Name] = []any{map[string]any{s.Name: n}}
		return nil
	}
	for _, e := range list {
		if m, ok := e.(map[string]any); ok {
			m[s.Name] = n
		}
	}
	if s.Name == "primary" {
		fixPrimary(list)
	}
	return nil
}

// applyCustom writes into an extension this server does not define, verbatim.
func (p *patcher) applyCustom(kind PatchOpKind, t target, v any) error {
	key := t.custom
	for k := range p.doc {
		if strings.EqualFold(k, t.custom) {
			key = k
		}
	}
	ext, _ := p.doc[key].(map[string]any)
	if t.customAttr == "" {
		if kind == PatchRemove {
			delete(p.doc, key)
			return nil
		}
		obj, ok := v.(map[string]any)
		if !ok {
			return ErrInvalidValue("%q must be an object holding attributes of that schema extension; got %s", t.custom, jsonKind(v))
		}
		if ext == nil {
			ext = map[string]any{}
			p.doc[key] = ext
		}
		for k, x := range obj {
			ext[k] = deepCopy(x)
		}
		return nil
	}
	if kind == PatchRemove || v == nil {
		delete(ext, t.customAttr)
		return nil
	}
	if ext == nil {
		ext = map[string]any{}
		p.doc[key] = ext
	}
	ext[t.customAttr] = deepCopy(v)
	return nil
}

// checkImmutable refuses a change to an immutable attribute that had a value.
func checkImmutable(rt *ResourceType, before, after map[string]any) error {
	check := func(s *Schema, b, a map[string]any, prefix string) error {
		for _, attr := range s.Attributes {
			if attr.Mutability != Immutable {
				continue
			}
			old, had := b[attr.Name]
			if had && old != nil && !jsonEqual(old, a[attr.Name]) {
				return ErrMutability("attribute %q is immutable", prefix+attr.Name)
			}
		}
		return nil
	}
	if err := check(rt.Schema, before, after, ""); err != nil {
		return err
	}
	for _, e := range rt.Extensions {
		b, _ := before[e.Schema.ID].(map[string]any)
		a, _ := after[e.Schema.ID].(map[string]any)
		if err := check(e.Schema, b, a, e.Schema.ID+":"); err != nil {
			return err
		}
	}
	return nil
}

func equalExceptSchemas(a, b map[string]any) bool {
	n := 0
	for k, av := range a {
		if k == "schemas" {
			continue
		}
		n++
		bv, ok := b[k]
		if !ok || !jsonEqual(av, bv) {
			return false
		}
	}
	for k := range b {
		if k != "schemas" {
			n--
		}
	}
	return n == 0
}
