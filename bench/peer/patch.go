package main

import (
	"strings"

	"github.com/elimity-com/scim"
	scimerrors "github.com/elimity-com/scim/errors"
	efilter "github.com/elimity-com/scim/filter"
	"github.com/elimity-com/scim/optional"
	"github.com/elimity-com/scim/schema"
	"github.com/scim2/filter-parser/v2"
)

// The library validates PATCH operations against the schema (op, path, value types) and hands
// the handler typed operations; applying them is the handler's job. This file applies them to
// users: plain and sub-attribute paths, the enterprise extension, value-filtered paths on
// multi-valued attributes (emails[type eq "work"].value) and path-less operations whose value
// is an object of attribute paths (Entra and Okta both send those).

// cloneAttrs copies the top level of an attribute map.
func cloneAttrs(m map[string]interface{}) map[string]interface{} {
	out := make(map[string]interface{}, len(m)+1)
	for k, v := range m {
		out[k] = v
	}
	return out
}

// filterView is what the library's PassesFilter sees of a stored resource: its attributes plus
// id and externalId, which the library keeps outside them.
func filterView(attrs map[string]interface{}, id string, ext optional.String) map[string]interface{} {
	v := cloneAttrs(attrs)
	v["id"] = id
	if ext.Present() {
		v["externalId"] = ext.Value()
	}
	return v
}

// eqValue recognises `attr eq "value"` on a top-level core attribute, the form every IdP uses
// for its lookups, so it can be answered from an index instead of a scan.
func eqValue(expr filter.Expression, attr string) (string, bool) {
	e, ok := expr.(*filter.AttributeExpression)
	if !ok || e.Operator != filter.EQ || e.AttributePath.SubAttribute != nil || !strings.EqualFold(e.AttributePath.AttributeName, attr) {
		return "", false
	}
	if uri := e.AttributePath.URI(); uri != "" && !strings.HasPrefix(uri, "urn:ietf:params:scim:schemas:core:2.0:") {
		return "", false
	}
	s, ok := e.CompareValue.(string)
	return s, ok
}

// findAttr looks an attribute up by name, ignoring case, as SCIM attribute names are.
func findAttr(s schema.Schema, name string) (schema.CoreAttribute, bool) {
	for _, a := range s.Attributes {
		if strings.EqualFold(a.Name(), name) {
			return a, true
		}
	}
	return schema.CoreAttribute{}, false
}

// applyUserOp applies one validated operation to attrs (a private copy) and ext.
func applyUserOp(attrs map[string]interface{}, ext *optional.String, op scim.PatchOperation) error {
	if op.Path != nil {
		return applyUserPath(attrs, ext, op.Op, *op.Path, op.Value)
	}
	values, ok := op.Value.(map[string]interface{})
	if !ok {
		return badValue("a PATCH operation without path needs an object value")
	}
	for k, v := range values {
		if strings.EqualFold(k, enterpriseSchema.ID) {
			sub, ok := v.(map[string]interface{})
			if !ok {
				return badValue("%s must be an object", k)
			}
			for sk, sv := range sub {
				p, err := filter.ParsePath([]byte(enterpriseSchema.ID + ":" + sk))
				if err != nil {
					return badPath("%s:%s: %v", k, sk, err)
				}
				if err := applyUserPath(attrs, ext, op.Op, p, sv); err != nil {
					return err
				}
			}
			continue
		}
		p, err := filter.ParsePath([]byte(k))
		if err != nil {
			return badPath("%s: %v", k, err)
		}
		if err := applyUserPath(attrs, ext, op.Op, p, v); err != nil {
			return err
		}
	}
	return nil
}

// applyUserPath applies add, replace or remove at one path.
func applyUserPath(attrs map[string]interface{}, ext *optional.String, op string, path filter.Path, value interface{}) error {
	sch, target := userSchema, attrs
	if uri := path.AttributePath.URI(); uri != "" && !strings.EqualFold(uri, userSchema.ID) {
		if !strings.EqualFold(uri, enterpriseSchema.ID) {
			return badPath("unknown schema %s", uri)
		}
		sch = enterpriseSchema
		old, _ := attrs[enterpriseSchema.ID].(map[string]interface{})
		target = cloneAttrs(old)
		defer func() {
			if len(target) == 0 {
				delete(attrs, enterpriseSchema.ID)
			} else {
				attrs[enterpriseSchema.ID] = target
			}
		}()
	}
	name := path.AttributePath.AttributeName
	if sch.ID == userSchema.ID && strings.EqualFold(name, "externalId") {
		if s, ok := value.(string); ok && op != scim.PatchOperationRemove {
			*ext = optional.NewString(s)
		} else {
			*ext = optional.String{}
		}
		return nil
	}
	attr, ok := findAttr(sch, name)
	if !ok {
		return badPath("no attribute %s", name)
	}
	key := attr.Name()
	sub := path.AttributePath.SubAttributeName()
	if path.ValueExpression != nil {
		return applyFiltered(target, attr, path, op, value)
	}
	if sub != "" {
		m, _ := target[key].(map[string]interface{})
		m = cloneAttrs(m)
		if sa, ok := findAttr(schema.Schema{Attributes: attr.SubAttributes()}, sub); ok {
			sub = sa.Name()
		}
		if op == scim.PatchOperationRemove {
			delete(m, sub)
		} else {
			m[sub] = value
		}
		if len(m) == 0 {
			delete(target, key)
		} else {
			target[key] = m
		}
		return nil
	}
	switch op {
	case scim.PatchOperationRemove:
		delete(target, key)
	case scim.PatchOperationAdd:
		if attr.MultiValued() {
			old, _ := target[key].([]interface{})
			add, _ := value.([]interface{})
			list := make([]interface{}, 0, len(old)+len(add))
			target[key] = append(append(list, old...), add...)
			return nil
		}
		target[key] = value
	default: // replace
		target[key] = value
	}
	return nil
}

// applyFiltered applies an operation to the elements of a multi-valued complex attribute that
// pass the path's value filter (evaluated by the library's Validator).
func applyFiltered(target map[string]interface{}, attr schema.CoreAttribute, path filter.Path, op string, value interface{}) error {
	key := attr.Name()
	sub := path.SubAttributeName()
	v := efilter.NewFilterValidator(path.ValueExpression, schema.Schema{Attributes: attr.SubAttributes()})
	list, _ := target[key].([]interface{})
	out := make([]interface{}, 0, len(list))
	matched := false
	for _, e := range list {
		m, ok := e.(map[string]interface{})
		if !ok || v.PassesFilter(m) != nil {
			out = append(out, e)
			continue
		}
		matched = true
		if op == scim.PatchOperationRemove {
			if sub == "" {
				continue
			}
			m = cloneAttrs(m)
			delete(m, sub)
			out = append(out, m)
			continue
		}
		m = cloneAttrs(m)
		if sub != "" {
			m[sub] = value
		} else if vm, ok := value.(map[string]interface{}); ok {
			for k, x := range vm {
				m[k] = x
			}
		}
		out = append(out, m)
	}
	if !matched && op != scim.PatchOperationRemove {
		return scimerrors.ScimErrorNoTarget
	}
	target[key] = out
	return nil
}
