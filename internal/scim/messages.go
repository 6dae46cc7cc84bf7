package scim

import (
	"bytes"
	"encoding/json"
	"io"
	"strings"
)

// ListResponse is the body of a query answer (RFC 7644 §3.4.2), with the cursor fields of
// RFC 9865. Resources is always rendered, as [] when empty (Entra insists).
type ListResponse struct {
	TotalResults int
	ItemsPerPage int
	// StartIndex is the 1-based index of the first result; 0 omits it (cursor paging).
	StartIndex     int
	NextCursor     string // RFC 9865; omitted when empty
	PreviousCursor string // RFC 9865; omitted when empty
	// Resources are JSON-marshalable resources, usually map[string]any. A json.RawMessage
	// is written as it is, so it must be compact JSON as encoding/json writes it.
	Resources []any
}

type listResponseJSON struct {
	Schemas        []string `json:"schemas"`
	TotalResults   int      `json:"totalResults"`
	ItemsPerPage   int      `json:"itemsPerPage"`
	StartIndex     int      `json:"startIndex,omitempty"`
	NextCursor     string   `json:"nextCursor,omitempty"`
	PreviousCursor string   `json:"previousCursor,omitempty"`
}

// MarshalJSON renders the ListResponse message. The resources are written one by one, so
// that ready JSON (json.RawMessage) is not validated and copied again: on a page of 100
// users that was a third of the cost of rendering them.
func (l ListResponse) MarshalJSON() ([]byte, error) {
	head, err := json.Marshal(listResponseJSON{
		Schemas:        []string{URNListResponse},
		TotalResults:   l.TotalResults,
		ItemsPerPage:   l.ItemsPerPage,
		StartIndex:     l.StartIndex,
		NextCursor:     l.NextCursor,
		PreviousCursor: l.PreviousCursor,
	})
	if err != nil {
		return nil, err
	}
	out := append(head[:len(head)-1], `,"Resources":[`...)
	for i, r := range l.Resources {
		if i > 0 {
			out = append(out, ',')
		}
		if raw, ok := r.(json.RawMessage); ok {
			out = append(out, raw...)
			continue
		}
		b, err := json.Marshal(r)
		if err != nil {
			return nil, err
		}
		out = append(out, b...)
	}
	return append(out, ']', '}'), nil
}

// PatchOpKind is the op of a PATCH operation.
type PatchOpKind uint8

// PATCH operation kinds (RFC 7644 §3.5.2).
const (
	PatchAdd PatchOpKind = iota + 1
	PatchRemove
	PatchReplace
)

// String returns the RFC spelling of the op: add, remove or replace.
func (k PatchOpKind) String() string {
	switch k {
	case PatchAdd:
		return "add"
	case PatchRemove:
		return "remove"
	case PatchReplace:
		return "replace"
	}
	return "invalid"
}

// PatchOperation is one operation of a PatchOp message.
type PatchOperation struct {
	Op       PatchOpKind
	Path     string // "" when the operation has no path
	Value    any    // decoded JSON (json.Number for numbers); nil when absent
	HasValue bool   // a "value" member was present (even if null)
}

// MarshalJSON renders the operation in RFC form (lower-case op).
func (o PatchOperation) MarshalJSON() ([]byte, error) {
	m := map[string]any{"op": o.Op.String()}
	if o.Path != "" {
		m["path"] = o.Path
	}
	if o.HasValue {
		m["value"] = o.Value
	}
	return json.Marshal(m)
}

// PatchRequest is a PatchOp message (RFC 7644 §3.5.2).
type PatchRequest struct {
	Operations []PatchOperation
}

// MarshalJSON renders the PatchOp message.
func (p PatchRequest) MarshalJSON() ([]byte, error) {
	ops := p.Operations
	if ops == nil {
		ops = []PatchOperation{}
	}
	return json.Marshal(struct {
		Schemas    []string         `json:"schemas"`
		Operations []PatchOperation `json:"Operations"`
	}{[]string{URNPatchOp}, ops})
}

// MaxPatchOperations bounds the operations of one PATCH request. A member change of 10,000
// ids fits in one operation; this bound is on operations, not values.
const MaxPatchOperations = 1000

// DecodePatch decodes a PatchOp request body. It is lenient where IdPs differ from the RFC
// and strict where the meaning would be unclear:
//   - member names are matched case-insensitively ("Operations", "operations", "OP"…);
//   - op is add, remove or replace in any case ("Add", "Replace" from Entra);
//   - extra members of an operation ("name" from Entra) are ignored;
//   - schemas must list urn:ietf:params:scim:api:messages:2.0:PatchOp;
//   - Operations must hold 1..MaxPatchOperations operations;
//   - add and replace need a value; remove needs a path unless it is Entra's remove with a
//     value and no path, which is refused too (RFC 7644 §3.5.2.2: noTarget).
//
// Numbers are decoded as json.Number.
func DecodePatch(body []byte) (*PatchRequest, error) {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	var raw any
	if err := dec.Decode(&raw); err != nil {
		return nil, ErrInvalidSyntax("PATCH body is not valid JSON: %v", err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, ErrInvalidSyntax("PATCH body has trailing data after the JSON object")
	}
	msg, ok := raw.(map[string]any)
	if !ok {
		return nil, ErrInvalidSyntax("PATCH body must be a JSON object")
	}
	var schemasRaw, opsRaw any
	for k, v := range msg {
		switch strings.ToLower(k) {
		case "schemas":
			schemasRaw = v
		case "operations":
			opsRaw = v
		}
	}
	schemas, _ := schemasRaw.([]any)
	found := false
	for _, s := range schemas {
		if str, ok := s.(string); ok && strings.EqualFold(str, URNPatchOp) {
			found = true
		}
	}
	if !found {
		return nil, ErrInvalidSyntax(`PATCH body needs "schemas": [%q]`, URNPatchOp)
	}
	ops, ok := opsRaw.([]any)
	if !ok {
		return nil, ErrInvalidSyntax(`PATCH body needs "Operations": an array of operation objects`)
	}
	if len(ops) == 0 {
		return nil, ErrInvalidSyntax(`PATCH "Operations" is empty; it needs at least one operation`)
	}
	if len(ops) > MaxPatchOperations {
		return nil, ErrTooMany("PATCH has %d operations; at most %d are allowed", len(ops), MaxPatchOperations)
	}
	req := &PatchRequest{Operations: make([]PatchOperation, 0, len(ops))}
	for i, o := range ops {
		m, ok := o.(map[string]any)
		if !ok {
			return nil, ErrInvalidSyntax("operation %d must be an object with op, path and value", i)
		}
		op, err := decodeOperation(i, m)
		if err != nil {
			return nil, err
		}
		req.Operations = append(req.Operations, op)
	}
	return req, nil
}

func decodeOperation(i int, o map[string]any) (PatchOperation, error) {
	var op PatchOperation
	var opName string
	for k, v := range o {
		switch strings.ToLower(k) {
		case "op":
			s, ok := v.(string)
			if !ok {
				return op, ErrInvalidSyntax("operation %d: \"op\" must be a string", i)
			}
			opName = s
		case "path":
			if v == nil {
				continue
			}
			s, ok := v.(string)
			if !ok {
				return op, ErrInvalidPath("operation %d: \"path\" must be a string", i)
			}
			op.Path = s
		case "value":
			op.Value, op.HasValue = v, true
		}
	}
	switch strings.ToLower(opName) {
	case "add":
		op.Op = PatchAdd
	case "remove":
		op.Op = PatchRemove
	case "replace":
		op.Op = PatchReplace
	case "":
		return op, ErrInvalidSyntax("operation %d has no \"op\" (add, remove or replace)", i)
	default:
		return op, ErrInvalidSyntax("operation %d: op %q is not add, remove or replace", i, opName)
	}
	op.Path = strings.TrimSpace(op.Path)
	switch op.Op {
	case PatchAdd, PatchReplace:
		if !op.HasValue {
			return op, ErrInvalidValue("operation %d (%s) needs a \"value\"", i, op.Op)
		}
	case PatchRemove:
		if op.Path == "" {
			return op, ErrNoTarget("operation %d (remove) needs a \"path\"", i)
		}
	}
	return op, nil
}
