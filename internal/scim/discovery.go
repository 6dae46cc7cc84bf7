package scim

import (
	"strings"
)

// Config describes the service provider for the discovery documents (RFC 7643 §5–6,
// RFC 7644 §4).
type Config struct {
	// BaseURL is the absolute SCIM base, e.g. "https://rolecall.example.com/scim/v2",
	// used for meta.location. A trailing slash is ignored.
	BaseURL          string
	DocumentationURI string

	Patch              bool
	Bulk               bool
	BulkMaxOperations  int
	BulkMaxPayloadSize int // bytes
	Filter             bool
	FilterMaxResults   int
	Sort               bool
	ETag               bool
	ChangePassword     bool

	// Pagination, as RFC 9865 advertises it; nil omits the "pagination" member.
	Pagination *Pagination
}

// Pagination is the "pagination" member of ServiceProviderConfig (RFC 9865 §5).
type Pagination struct {
	Cursor                  bool   `json:"cursor"`
	Index                   bool   `json:"index"`
	DefaultPaginationMethod string `json:"defaultPaginationMethod,omitempty"` // "index" or "cursor"
	DefaultPageSize         int    `json:"defaultPageSize,omitempty"`
	MaxPageSize             int    `json:"maxPageSize,omitempty"`
	CursorTimeout           int    `json:"cursorTimeout,omitempty"` // seconds
}

func (c Config) location(parts ...string) string {
	return strings.TrimRight(c.BaseURL, "/") + "/" + strings.Join(parts, "/")
}

type metaJSON struct {
	ResourceType string `json:"resourceType"`
	Location     string `json:"location"`
}

type attrJSON struct {
	Name            string      `json:"name"`
	Type            Type        `json:"type"`
	MultiValued     bool        `json:"multiValued"`
	Description     string      `json:"description"`
	Required        bool        `json:"required"`
	CaseExact       bool        `json:"caseExact"`
	Mutability      Mutability  `json:"mutability"`
	Returned        Returned    `json:"returned"`
	Uniqueness      Uniqueness  `json:"uniqueness"`
	CanonicalValues []string    `json:"canonicalValues,omitempty"`
	ReferenceTypes  []string    `json:"referenceTypes,omitempty"`
	SubAttributes   []*attrJSON `json:"subAttributes,omitempty"`
}

type schemaJSON struct {
	Schemas     []string    `json:"schemas"`
	ID          string      `json:"id"`
	Name        string      `json:"name"`
	Description string      `json:"description"`
	Attributes  []*attrJSON `json:"attributes"`
	Meta        metaJSON    `json:"meta"`
}

func renderAttrs(list []*Attribute) []*attrJSON {
	out := make([]*attrJSON, 0, len(list))
	for _, a := range list {
		out = append(out, &attrJSON{
			Name: a.Name, Type: a.Type, MultiValued: a.MultiValued, Description: a.Description,
			Required: a.Required, CaseExact: a.CaseExact, Mutability: a.Mutability,
			Returned: a.Returned, Uniqueness: a.Uniqueness, CanonicalValues: a.CanonicalValues,
			ReferenceTypes: a.ReferenceTypes, SubAttributes: renderSubs(a.SubAttributes),
		})
	}
	return out
}

func renderSubs(list []*Attribute) []*attrJSON {
	if len(list) == 0 {
		return nil
	}
	return renderAttrs(list)
}

func renderSchema(cfg Config, s *Schema) *schemaJSON {
	return &schemaJSON{
		Schemas: []string{URNSchema}, ID: s.ID, Name: s.Name, Description: s.Description,
		Attributes: renderAttrs(s.Attributes),
		Meta:       metaJSON{ResourceType: "Schema", Location: cfg.location("Schemas", s.ID)},
	}
}

// SchemasList renders GET /Schemas: a ListResponse of every schema representation.
func SchemasList(cfg Config) ListResponse {
	all := Schemas()
	res := make([]any, len(all))
	for i, s := range all {
		res[i] = renderSchema(cfg, s)
	}
	return ListResponse{TotalResults: len(res), ItemsPerPage: len(res), StartIndex: 1, Resources: res}
}

// SchemaDocument renders GET /Schemas/{id}; id is matched case-insensitively. An unknown
// id is 404.
func SchemaDocument(cfg Config, id string) (any, error) {
	for _, s := range Schemas() {
		if strings.EqualFold(s.ID, id) {
			return renderSchema(cfg, s), nil
		}
	}
	return nil, ErrNotFound("no schema %q", id)
}

type extJSON struct {
	Schema   string `json:"schema"`
	Required bool   `json:"required"`
}

type resourceTypeJSON struct {
	Schemas          []string  `json:"schemas"`
	ID               string    `json:"id"`
	Name             string    `json:"name"`
	Endpoint         string    `json:"endpoint"`
	Description      string    `json:"description"`
	Schema           string    `json:"schema"`
	SchemaExtensions []extJSON `json:"schemaExtensions,omitempty"`
	Meta             metaJSON  `json:"meta"`
}

func renderResourceType(cfg Config, rt *ResourceType) *resourceTypeJSON {
	r := &resourceTypeJSON{
		Schemas: []string{URNResourceType}, ID: rt.ID, Name: rt.Name, Endpoint: rt.Endpoint,
		Description: rt.Description, Schema: rt.Schema.ID,
		Meta: metaJSON{ResourceType: "ResourceType", Location: cfg.location("ResourceTypes", rt.Name)},
	}
	for _, e := range rt.Extensions {
		r.SchemaExtensions = append(r.SchemaExtensions, extJSON{Schema: e.Schema.ID, Required: e.Required})
	}
	return r
}

// ResourceTypesList renders GET /ResourceTypes: User first, then Group.
func ResourceTypesList(cfg Config) ListResponse {
	all := ResourceTypes()
	res := make([]any, len(all))
	for i, rt := range all {
		res[i] = renderResourceType(cfg, rt)
	}
	return ListResponse{TotalResults: len(res), ItemsPerPage: len(res), StartIndex: 1, Resources: res}
}

// ResourceTypeDocument renders GET /ResourceTypes/{name}; name is matched
// case-insensitively. An unknown name is 404.
func ResourceTypeDocument(cfg Config, name string) (any, error) {
	rt := LookupResourceType(name)
	if rt == nil {
		return nil, ErrNotFound("no resource type %q", name)
	}
	return renderResourceType(cfg, rt), nil
}

type supportedJSON struct {
	Supported bool `json:"supported"`
}

type bulkJSON struct {
	Supported      bool `json:"supported"`
	MaxOperations  int  `json:"maxOperations"`
	MaxPayloadSize int  `json:"maxPayloadSize"`
}

type filterJSON struct {
	Supported  bool `json:"supported"`
	MaxResults int  `json:"maxResults"`
}

type authSchemeJSON struct {
	Type             string `json:"type"`
	Name             string `json:"name"`
	Description      string `json:"description"`
	SpecURI          string `json:"specUri"`
	DocumentationURI string `json:"documentationUri,omitempty"`
	Primary          bool   `json:"primary"`
}

type spcJSON struct {
	Schemas               []string         `json:"schemas"`
	DocumentationURI      string           `json:"documentationUri,omitempty"`
	Patch                 supportedJSON    `json:"patch"`
	Bulk                  bulkJSON         `json:"bulk"`
	Filter                filterJSON       `json:"filter"`
	ChangePassword        supportedJSON    `json:"changePassword"`
	Sort                  supportedJSON    `json:"sort"`
	ETag                  supportedJSON    `json:"etag"`
	Pagination            *Pagination      `json:"pagination,omitempty"`
	AuthenticationSchemes []authSchemeJSON `json:"authenticationSchemes"`
	Meta                  metaJSON         `json:"meta"`
}

// ServiceProviderConfigDocument renders GET /ServiceProviderConfig (RFC 7643 §5). It holds
// the core schema's members and RFC 9865's "pagination", nothing else: strict clients
// (scim2-client's checker among them) refuse a ServiceProviderConfig that lists an extension
// schema they do not know, so the limits RFC 7643 has no member for (filter length and depth,
// PATCH operations) are documented (docs/scim-limits.md) rather than advertised here.
func ServiceProviderConfigDocument(cfg Config) any {
	d := &spcJSON{
		Schemas:          []string{URNServiceProviderConfig},
		DocumentationURI: cfg.DocumentationURI,
		Patch:            supportedJSON{cfg.Patch},
		Bulk:             bulkJSON{cfg.Bulk, cfg.BulkMaxOperations, cfg.BulkMaxPayloadSize},
		Filter:           filterJSON{cfg.Filter, cfg.FilterMaxResults},
		ChangePassword:   supportedJSON{cfg.ChangePassword},
		Sort:             supportedJSON{cfg.Sort},
		ETag:             supportedJSON{cfg.ETag},
		Pagination:       cfg.Pagination,
		AuthenticationSchemes: []authSchemeJSON{{
			Type:        "oauthbearertoken",
			Name:        "OAuth Bearer Token",
			Description: "Authentication with a bearer token issued by rolecall and scoped to one organization.",
			SpecURI:     "https://www.rfc-editor.org/info/rfc6750",
			Primary:     true,
		}},
		Meta: metaJSON{ResourceType: "ServiceProviderConfig", Location: cfg.location("ServiceProviderConfig")},
	}
	return d
}
