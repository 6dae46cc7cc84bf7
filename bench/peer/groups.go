package main

import (
	"net/http"
	"strings"
	"time"

	"github.com/elimity-com/scim"
	scimerrors "github.com/elimity-com/scim/errors"
	efilter "github.com/elimity-com/scim/filter"
	"github.com/elimity-com/scim/optional"
	"github.com/elimity-com/scim/schema"
	"github.com/scim2/filter-parser/v2"
)

// groupHandler implements scim.ResourceHandler for /Groups. Members are a set, so adding or
// removing one member costs the same at 10 or 100,000 members; PATCH answers 204 (the library
// does so when the handler returns no attributes), as rebuilding a 100,000-member
// representation per change would measure JSON encoding rather than membership changes.
type groupHandler struct{ st *store }

var (
	groupSchema   = schema.CoreGroupSchema()
	memberSubAttr = func() schema.Schema {
		a, _ := findAttr(groupSchema, "members")
		return schema.Schema{Attributes: a.SubAttributes()}
	}()
)

// resource renders a group, with its members unless excluded.
func (st *store) groupResource(g *groupRec, withMembers bool) scim.Resource {
	attrs := scim.ResourceAttributes{"displayName": g.displayName}
	if withMembers {
		list := make([]interface{}, 0, len(g.members))
		for id := range g.members {
			typ := "User"
			if _, ok := st.groups[id]; ok {
				typ = "Group"
			}
			list = append(list, map[string]interface{}{"value": id, "type": typ})
		}
		attrs["members"] = list
	}
	c, m := g.created, g.modified
	return scim.Resource{ID: g.id, ExternalID: g.ext, Attributes: attrs, Meta: scim.Meta{Created: &c, LastModified: &m}}
}

// memberIDs reads the ids of a validated members value (a list of {"value": id}, or one) and
// checks that each names an existing user or group other than self.
func (st *store) memberIDs(v interface{}, self string) ([]string, error) {
	var items []interface{}
	switch x := v.(type) {
	case []interface{}:
		items = x
	case map[string]interface{}:
		items = []interface{}{x}
	case nil:
	default:
		return nil, badValue("members must be a list of {\"value\": id}")
	}
	ids := make([]string, 0, len(items))
	for _, it := range items {
		m, _ := it.(map[string]interface{})
		id, _ := m["value"].(string)
		if id == "" {
			return nil, badValue("a member without value")
		}
		_, isUser := st.users[id]
		_, isGroup := st.groups[id]
		if (!isUser && !isGroup) || id == self {
			return nil, badValue("member %q is not an existing user or group", id)
		}
		ids = append(ids, id)
	}
	return ids, nil
}

// Create stores a new group; displayName is unique regardless of case.
func (h *groupHandler) Create(_ *http.Request, attributes scim.ResourceAttributes) (scim.Resource, error) {
	attrs, ext := takeExternalID(attributes)
	name, _ := attrs["displayName"].(string)
	if name == "" {
		return scim.Resource{}, badValue("displayName is required")
	}
	st := h.st
	st.mu.Lock()
	defer st.mu.Unlock()
	key := strings.ToLower(name)
	if _, dup := st.groupByName[key]; dup {
		return scim.Resource{}, scimerrors.ScimErrorUniqueness
	}
	id := newID()
	ids, err := st.memberIDs(attrs["members"], id)
	if err != nil {
		return scim.Resource{}, err
	}
	now := time.Now().UTC()
	g := &groupRec{id: id, displayName: name, ext: ext, members: make(map[string]struct{}, len(ids)), created: now, modified: now}
	for _, m := range ids {
		g.members[m] = struct{}{}
	}
	st.groups[id] = g
	st.groupByName[key] = id
	st.groupOrder = append(st.groupOrder, id)
	return st.groupResource(g, true), nil
}

// Get returns one group (without members when excludedAttributes=members).
func (h *groupHandler) Get(r *http.Request, id string) (scim.Resource, error) {
	h.st.mu.RLock()
	defer h.st.mu.RUnlock()
	g, ok := h.st.groups[id]
	if !ok {
		return scim.Resource{}, notFound(id)
	}
	return h.st.groupResource(g, !excludesMembers(r)), nil
}

// memberTest recognises Entra's membership check, id eq "G" and members[value eq "U"].
func memberTest(expr filter.Expression) (gid, uid string, ok bool) {
	e, isAnd := expr.(*filter.LogicalExpression)
	if !isAnd || e.Operator != filter.AND {
		return "", "", false
	}
	for _, pair := range [2][2]filter.Expression{{e.Left, e.Right}, {e.Right, e.Left}} {
		g, okG := eqValue(pair[0], "id")
		vp, okV := pair[1].(*filter.ValuePath)
		if !okG || !okV || !strings.EqualFold(vp.AttributePath.AttributeName, "members") {
			continue
		}
		if u, okU := eqValue(vp.ValueFilter, "value"); okU {
			return g, u, true
		}
	}
	return "", "", false
}

// GetAll answers list and filter queries: displayName eq, id eq and the membership check are
// index lookups; any other filter goes through the library's PassesFilter on every group.
func (h *groupHandler) GetAll(r *http.Request, params scim.ListRequestParams) (scim.Page, error) {
	st := h.st
	withMembers := !excludesMembers(r)
	st.mu.RLock()
	defer st.mu.RUnlock()
	var matches []scim.Resource
	add := func(g *groupRec) { matches = append(matches, st.groupResource(g, withMembers)) }
	switch {
	case params.FilterValidator == nil:
		start := min(max(params.StartIndex-1, 0), len(st.groupOrder))
		end := min(start+max(params.Count, 0), len(st.groupOrder))
		res := make([]scim.Resource, 0, end-start)
		for _, id := range st.groupOrder[start:end] {
			res = append(res, st.groupResource(st.groups[id], withMembers))
		}
		return scim.Page{TotalResults: len(st.groupOrder), Resources: res}, nil
	default:
		expr := params.FilterValidator.GetFilter()
		if v, ok := eqValue(expr, "displayName"); ok {
			if id, ok := st.groupByName[strings.ToLower(v)]; ok {
				add(st.groups[id])
			}
			break
		}
		if v, ok := eqValue(expr, "id"); ok {
			if g, ok := st.groups[v]; ok {
				add(g)
			}
			break
		}
		if gid, uid, ok := memberTest(expr); ok {
			if g, ok := st.groups[gid]; ok {
				if _, in := g.members[uid]; in {
					add(g)
				}
			}
			break
		}
		for _, id := range st.groupOrder {
			g := st.groups[id]
			view := filterView(st.groupResource(g, true).Attributes, g.id, g.ext)
			if params.FilterValidator.PassesFilter(view) == nil {
				add(g)
			}
		}
	}
	return page(matches, params.StartIndex, params.Count), nil
}

// Replace swaps a group's displayName and members (PUT).
func (h *groupHandler) Replace(_ *http.Request, id string, attributes scim.ResourceAttributes) (scim.Resource, error) {
	attrs, ext := takeExternalID(attributes)
	st := h.st
	st.mu.Lock()
	defer st.mu.Unlock()
	g, ok := st.groups[id]
	if !ok {
		return scim.Resource{}, notFound(id)
	}
	name, _ := attrs["displayName"].(string)
	if err := st.renameGroup(g, name, false); err != nil {
		return scim.Resource{}, err
	}
	ids, err := st.memberIDs(attrs["members"], id)
	if err != nil {
		return scim.Resource{}, err
	}
	_ = st.renameGroup(g, name, true)
	g.ext = ext
	g.members = make(map[string]struct{}, len(ids))
	for _, m := range ids {
		g.members[m] = struct{}{}
	}
	g.modified = time.Now().UTC()
	return st.groupResource(g, true), nil
}

// renameGroup checks (and with apply, makes) a displayName change.
func (st *store) renameGroup(g *groupRec, name string, apply bool) error {
	if name == "" {
		return badValue("displayName is required")
	}
	oldKey, newKey := strings.ToLower(g.displayName), strings.ToLower(name)
	if other, dup := st.groupByName[newKey]; dup && other != g.id {
		return scimerrors.ScimErrorUniqueness
	}
	if apply {
		delete(st.groupByName, oldKey)
		st.groupByName[newKey] = g.id
		g.displayName = name
	}
	return nil
}

// Delete removes a group and its memberships in other groups.
func (h *groupHandler) Delete(_ *http.Request, id string) error {
	st := h.st
	st.mu.Lock()
	defer st.mu.Unlock()
	g, ok := st.groups[id]
	if !ok {
		return notFound(id)
	}
	delete(st.groups, id)
	delete(st.groupByName, strings.ToLower(g.displayName))
	st.groupOrder = removeID(st.groupOrder, id)
	for _, o := range st.groups {
		delete(o.members, id)
	}
	return nil
}

// Patch checks every operation first and only then applies them, so that a bad operation
// changes nothing; membership changes touch only the members named.
func (h *groupHandler) Patch(_ *http.Request, id string, operations []scim.PatchOperation) (scim.Resource, error) {
	st := h.st
	st.mu.Lock()
	defer st.mu.Unlock()
	g, ok := st.groups[id]
	if !ok {
		return scim.Resource{}, notFound(id)
	}
	var steps []func()
	for _, op := range operations {
		s, err := st.planGroupOp(g, op)
		if err != nil {
			return scim.Resource{}, err
		}
		steps = append(steps, s...)
	}
	for _, s := range steps {
		s()
	}
	g.modified = time.Now().UTC()
	return scim.Resource{}, nil
}

// planGroupOp validates one operation and returns the steps that carry it out.
func (st *store) planGroupOp(g *groupRec, op scim.PatchOperation) ([]func(), error) {
	if op.Path == nil {
		values, ok := op.Value.(map[string]interface{})
		if !ok {
			return nil, badValue("a PATCH operation without path needs an object value")
		}
		var steps []func()
		for k, v := range values {
			s, err := st.planGroupAttr(g, op.Op, k, nil, v)
			if err != nil {
				return nil, err
			}
			steps = append(steps, s...)
		}
		return steps, nil
	}
	return st.planGroupAttr(g, op.Op, op.Path.AttributePath.AttributeName, op.Path.ValueExpression, op.Value)
}

// planGroupAttr plans an operation on displayName, externalId or members.
func (st *store) planGroupAttr(g *groupRec, op, attr string, valueFilter filter.Expression, value interface{}) ([]func(), error) {
	switch strings.ToLower(attr) {
	case "displayname":
		name, _ := value.(string)
		if op == scim.PatchOperationRemove {
			return nil, badValue("displayName is required")
		}
		if err := st.renameGroup(g, name, false); err != nil {
			return nil, err
		}
		return []func(){func() { _ = st.renameGroup(g, name, true) }}, nil
	case "externalid":
		s, _ := value.(string)
		return []func(){func() {
			g.ext = optional.String{}
			if op != scim.PatchOperationRemove && s != "" {
				g.ext = optional.NewString(s)
			}
		}}, nil
	case "id":
		return nil, nil // Okta repeats the id in path-less replaces; it cannot change
	case "members":
	default:
		return nil, badPath("attribute %s cannot be patched on a group", attr)
	}
	if valueFilter != nil {
		if op != scim.PatchOperationRemove {
			return nil, badPath("only remove is supported with a members value filter")
		}
		ids := st.matchMembers(g, valueFilter)
		return []func(){func() {
			for _, m := range ids {
				delete(g.members, m)
			}
		}}, nil
	}
	switch op {
	case scim.PatchOperationRemove:
		if value == nil {
			return []func(){func() { g.members = map[string]struct{}{} }}, nil
		}
		ids, err := st.memberIDs(value, "")
		if err != nil {
			return nil, err
		}
		return []func(){func() {
			for _, m := range ids {
				delete(g.members, m)
			}
		}}, nil
	default:
		ids, err := st.memberIDs(value, g.id)
		if err != nil {
			return nil, err
		}
		replace := op == scim.PatchOperationReplace
		return []func(){func() {
			if replace {
				g.members = make(map[string]struct{}, len(ids))
			}
			for _, m := range ids {
				g.members[m] = struct{}{}
			}
		}}, nil
	}
}

// matchMembers returns the members that pass a value filter: members[value eq "x"] directly,
// anything else through the library's Validator on each member.
func (st *store) matchMembers(g *groupRec, expr filter.Expression) []string {
	if v, ok := eqValue(expr, "value"); ok {
		if _, in := g.members[v]; in {
			return []string{v}
		}
		return nil
	}
	val := efilter.NewFilterValidator(expr, memberSubAttr)
	var ids []string
	for m := range g.members {
		typ := "User"
		if _, ok := st.groups[m]; ok {
			typ = "Group"
		}
		if val.PassesFilter(map[string]interface{}{"value": m, "type": typ}) == nil {
			ids = append(ids, m)
		}
	}
	return ids
}
