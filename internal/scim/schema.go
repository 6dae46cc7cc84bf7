// Package scim owns the resource semantics of SCIM 2.0 (RFC 7643 and RFC 7644): the User,
// Enterprise User and Group schemas and their discovery documents, normalisation of incoming
// documents, filter evaluation, PATCH application, attribute projection, sorting, and the
// SCIM error and message types. It does no I/O: the HTTP handlers and the store call it with
// decoded JSON documents and act on what it returns.
//
// It may import only the standard library and its own sub-packages internal/scim/filter (the
// filter and PATCH-path syntax) and internal/scim/fold (the case folding it shares with the
// database).
//
// # Documents
//
// A resource is a JSON object held as map[string]any. Core and common attributes (id,
// externalId, meta) sit at the top level under their canonical names; the attributes of a
// schema extension sit in an object keyed by the extension's URN. Numbers are json.Number:
// callers should decode with json.Decoder.UseNumber so that integers survive intact, but
// float64 and Go integers are accepted everywhere and converted. A document produced by
// Normalize or ApplyPatch is "normalised": canonical attribute names, typed values, no
// read-only attributes; Match, Project and the sorter read documents by canonical name and
// so expect normalised documents (plus id and meta, which the server adds).
//
// A stored document that is canonical JSON (what encoding/json writes) can also be answered
// without decoding it: CanonicalMembers splits it, and Projection.RenderMembers and
// MergeMembers write it with the server's attributes merged in, byte for byte what decoding,
// projecting and encoding would give.
package scim

import (
	"strings"
)

// Type is the data type of an attribute (RFC 7643 §2.3).
type Type string

// Attribute data types.
const (
	TypeString    Type = "string"
	TypeBoolean   Type = "boolean"
	TypeDecimal   Type = "decimal"
	TypeInteger   Type = "integer"
	TypeDateTime  Type = "dateTime"
	TypeReference Type = "reference"
	TypeComplex   Type = "complex"
	TypeBinary    Type = "binary"
)

// Mutability says whether and how an attribute may be changed (RFC 7643 §7).
type Mutability string

// Mutability values.
const (
	ReadOnly  Mutability = "readOnly"
	ReadWrite Mutability = "readWrite"
	Immutable Mutability = "immutable"
	WriteOnly Mutability = "writeOnly"
)

// Returned says when an attribute appears in a response (RFC 7643 §7).
type Returned string

// Returned values.
const (
	ReturnedAlways  Returned = "always"
	ReturnedNever   Returned = "never"
	ReturnedDefault Returned = "default"
	ReturnedRequest Returned = "request"
)

// Uniqueness says how an attribute's values must be unique (RFC 7643 §7).
type Uniqueness string

// Uniqueness values.
const (
	UniqueNone   Uniqueness = "none"
	UniqueServer Uniqueness = "server"
	UniqueGlobal Uniqueness = "global"
)

// Schema URNs used by this package.
const (
	URNUser                  = "urn:ietf:params:scim:schemas:core:2.0:User"
	URNGroup                 = "urn:ietf:params:scim:schemas:core:2.0:Group"
	URNEnterpriseUser        = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
	URNSchema                = "urn:ietf:params:scim:schemas:core:2.0:Schema"
	URNResourceType          = "urn:ietf:params:scim:schemas:core:2.0:ResourceType"
	URNServiceProviderConfig = "urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig"
	URNListResponse          = "urn:ietf:params:scim:api:messages:2.0:ListResponse"
	URNPatchOp               = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
	URNError                 = "urn:ietf:params:scim:api:messages:2.0:Error"
)

// Attribute is the definition of one attribute or sub-attribute (RFC 7643 §7).
type Attribute struct {
	Name            string
	Type            Type
	MultiValued     bool
	Description     string
	Required        bool
	CaseExact       bool
	Mutability      Mutability
	Returned        Returned
	Uniqueness      Uniqueness
	CanonicalValues []string
	ReferenceTypes  []string
	SubAttributes   []*Attribute

	subs map[string]*Attribute // lower-case name → sub-attribute
}

// Sub returns the sub-attribute with the given name, matched case-insensitively, or nil.
func (a *Attribute) Sub(name string) *Attribute {
	if a == nil || a.subs == nil {
		return nil
	}
	return a.subs[strings.ToLower(name)]
}

func (a *Attribute) index() {
	if len(a.SubAttributes) == 0 {
		return
	}
	a.subs = make(map[string]*Attribute, len(a.SubAttributes))
	for _, s := range a.SubAttributes {
		a.subs[strings.ToLower(s.Name)] = s
		s.index()
	}
}

// Schema is a set of attribute definitions identified by a URN (RFC 7643 §7).
type Schema struct {
	ID          string
	Name        string
	Description string
	Attributes  []*Attribute

	attrs map[string]*Attribute
}

// Attr returns the attribute with the given name, matched case-insensitively, or nil.
func (s *Schema) Attr(name string) *Attribute {
	if s == nil {
		return nil
	}
	return s.attrs[strings.ToLower(name)]
}

func (s *Schema) index() {
	s.attrs = make(map[string]*Attribute, len(s.Attributes))
	for _, a := range s.Attributes {
		s.attrs[strings.ToLower(a.Name)] = a
		a.index()
	}
}

// SchemaExtension attaches an extension schema to a resource type.
type SchemaExtension struct {
	Schema   *Schema
	Required bool
}

// ResourceType is a kind of resource served at an endpoint (RFC 7643 §6): its core schema,
// its extensions and the common attributes id, externalId and meta.
type ResourceType struct {
	ID          string
	Name        string
	Endpoint    string
	Description string
	Schema      *Schema
	Extensions  []SchemaExtension
}

// Extension returns the extension schema whose URN equals urn case-insensitively, or nil.
func (rt *ResourceType) Extension(urn string) *Schema {
	for _, e := range rt.Extensions {
		if strings.EqualFold(e.Schema.ID, urn) {
			return e.Schema
		}
	}
	return nil
}

// SchemaFor returns the core schema or the extension schema named by urn
// (case-insensitively), or nil when the resource type has no such schema.
func (rt *ResourceType) SchemaFor(urn string) *Schema {
	if strings.EqualFold(rt.Schema.ID, urn) {
		return rt.Schema
	}
	return rt.Extension(urn)
}

// Attr resolves a top-level attribute name of the core schema or a common attribute (id,
// externalId, meta), case-insensitively. It returns nil when there is none.
func (rt *ResourceType) Attr(name string) *Attribute {
	if a := commonSchema.Attr(name); a != nil {
		return a
	}
	return rt.Schema.Attr(name)
}

// Resolve looks up an attribute by schema URN (empty for the core schema and common
// attributes) and name. ext is the extension URN in canonical case when the attribute
// belongs to an extension, "" otherwise. known is false when urn names no schema of this
// resource type (a custom extension we keep verbatim).
func (rt *ResourceType) Resolve(urn, name string) (a *Attribute, ext string, known bool) {
	if urn == "" || strings.EqualFold(urn, rt.Schema.ID) {
		return rt.Attr(name), "", true
	}
	s := rt.Extension(urn)
	if s == nil {
		return nil, "", false
	}
	return s.Attr(name), s.ID, true
}

// splitURNKey splits a URN-qualified attribute key such as
// "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value" into the schema
// URN and the rest ("manager.value"). A key that equals a schema URN of rt returns that URN
// and an empty rest. For a URN the resource type does not know, the last colon separates the
// URN from the attribute name; ok is false when key is not a URN at all.
func (rt *ResourceType) splitURNKey(key string) (urn, rest string, ok bool) {
	if !hasPrefixFold(key, "urn:") {
		return "", key, false
	}
	schemas := make([]*Schema, 0, 1+len(rt.Extensions))
	schemas = append(schemas, rt.Schema)
	for _, e := range rt.Extensions {
		schemas = append(schemas, e.Schema)
	}
	for _, s := range schemas {
		if strings.EqualFold(key, s.ID) {
			return s.ID, "", true
		}
		if len(key) > len(s.ID) && key[len(s.ID)] == ':' && strings.EqualFold(key[:len(s.ID)], s.ID) {
			return s.ID, key[len(s.ID)+1:], true
		}
	}
	// Unknown URN. By convention an extension URN ends with the resource type name
	// ("urn:…:CustomExtension:2.0:User"): such a key names the whole extension. Otherwise
	// the attribute is what follows the last colon ("urn:…:2.0:User:costCode").
	i := strings.LastIndexByte(key, ':')
	if i <= len("urn:") || i == len(key)-1 || strings.EqualFold(key[i+1:], rt.Name) {
		return key, "", true
	}
	return key[:i], key[i+1:], true
}

// customObjectKey reports whether an object value under an unknown-URN key that
// splitURNKey split into (urn, rest) is better read as a whole extension keyed by the full
// key: it is, unless urn itself looks like an extension URN of this resource type
// ("urn:…:2.0:User" + ":address"). This keeps Normalize idempotent on odd URNs.
func (rt *ResourceType) customObjectKey(urn, rest string) bool {
	return rest != "" && !(len(urn) > len(rt.Name) && urn[len(urn)-len(rt.Name)-1] == ':' &&
		strings.EqualFold(urn[len(urn)-len(rt.Name):], rt.Name))
}

func hasPrefixFold(s, prefix string) bool {
	return len(s) >= len(prefix) && strings.EqualFold(s[:len(prefix)], prefix)
}

// commonSchema holds the attributes every resource has (RFC 7643 §3.1). It is not published
// under /Schemas: RFC 7643 §8.7.1 leaves id, externalId and meta out of the schema
// representations too.
var commonSchema = &Schema{
	ID:   "common",
	Name: "Common",
	Attributes: []*Attribute{
		{Name: "id", Type: TypeString, CaseExact: true, Mutability: ReadOnly, Returned: ReturnedAlways, Uniqueness: UniqueServer,
			Description: "Unique identifier for the SCIM resource as defined by the service provider."},
		{Name: "externalId", Type: TypeString, CaseExact: true, Mutability: ReadWrite, Returned: ReturnedDefault, Uniqueness: UniqueNone,
			Description: "Identifier of the resource as defined by the provisioning client."},
		{Name: "meta", Type: TypeComplex, Mutability: ReadOnly, Returned: ReturnedDefault, Uniqueness: UniqueNone,
			Description: "Resource metadata.",
			SubAttributes: []*Attribute{
				{Name: "resourceType", Type: TypeString, CaseExact: true, Mutability: ReadOnly, Returned: ReturnedDefault, Uniqueness: UniqueNone,
					Description: "The name of the resource type of the resource."},
				{Name: "created", Type: TypeDateTime, Mutability: ReadOnly, Returned: ReturnedDefault, Uniqueness: UniqueNone,
					Description: "The date and time the resource was added to the service provider."},
				{Name: "lastModified", Type: TypeDateTime, Mutability: ReadOnly, Returned: ReturnedDefault, Uniqueness: UniqueNone,
					Description: "The most recent date and time the resource was modified."},
				{Name: "location", Type: TypeReference, ReferenceTypes: []string{"uri"}, CaseExact: true, Mutability: ReadOnly, Returned: ReturnedDefault, Uniqueness: UniqueNone,
					Description: "The URI of the resource being returned."},
				{Name: "version", Type: TypeString, CaseExact: true, Mutability: ReadOnly, Returned: ReturnedDefault, Uniqueness: UniqueNone,
					Description: "The version (entity tag) of the resource."},
			}},
	},
}
