package scim

import "strings"

// The schemas below follow RFC 7643 §4 and §8.7. They are built once at start-up and never
// changed, so they are safe to share between goroutines.

type attrOpt func(*Attribute)

func multi(a *Attribute)     { a.MultiValued = true }
func required(a *Attribute)  { a.Required = true }
func caseExact(a *Attribute) { a.CaseExact = true }
func mut(m Mutability) attrOpt {
	return func(a *Attribute) { a.Mutability = m }
}
func ret(r Returned) attrOpt {
	return func(a *Attribute) { a.Returned = r }
}
func unique(u Uniqueness) attrOpt {
	return func(a *Attribute) { a.Uniqueness = u }
}
func canon(v ...string) attrOpt {
	return func(a *Attribute) { a.CanonicalValues = v }
}
func refs(v ...string) attrOpt {
	return func(a *Attribute) { a.ReferenceTypes = v }
}
func subs(v ...*Attribute) attrOpt {
	return func(a *Attribute) { a.SubAttributes = v }
}

func attr(name string, t Type, desc string, opts ...attrOpt) *Attribute {
	a := &Attribute{Name: name, Type: t, Description: desc, Mutability: ReadWrite, Returned: ReturnedDefault, Uniqueness: UniqueNone}
	if t == TypeReference || t == TypeBinary {
		a.CaseExact = true
	}
	for _, o := range opts {
		o(a)
	}
	return a
}

// readOnlyAll marks an attribute and all its sub-attributes read-only.
func readOnlyAll(a *Attribute) *Attribute {
	a.Mutability = ReadOnly
	for _, s := range a.SubAttributes {
		readOnlyAll(s)
	}
	return a
}

// plural builds the usual value/display/type/primary multi-valued complex attribute.
func plural(name, desc string, valueType Type, valueDesc string, types []string, extra ...attrOpt) *Attribute {
	value := attr("value", valueType, valueDesc)
	if valueType == TypeReference {
		value.ReferenceTypes = []string{"external"}
	}
	a := attr(name, TypeComplex, desc, multi, subs(
		value,
		attr("display", TypeString, "A human-readable name, primarily used for display purposes."),
		attr("type", TypeString, "A label indicating the attribute's function.", canon(types...)),
		attr("primary", TypeBoolean, "A Boolean value indicating the 'primary' or preferred attribute value for this attribute. The primary attribute value 'true' MUST appear no more than once."),
	))
	for _, o := range extra {
		o(a)
	}
	return a
}

// UserSchema is the core User schema (RFC 7643 §4.1).
var UserSchema = &Schema{
	ID:          URNUser,
	Name:        "User",
	Description: "User Account",
	Attributes: []*Attribute{
		attr("userName", TypeString, "Unique identifier for the User, typically used by the user to directly authenticate to the service provider. Each User MUST include a non-empty userName value. This identifier MUST be unique across the service provider's entire set of Users. REQUIRED.",
			required, unique(UniqueServer)),
		attr("name", TypeComplex, "The components of the user's real name.", subs(
			attr("formatted", TypeString, "The full name, including all middle names, titles, and suffixes as appropriate, formatted for display."),
			attr("familyName", TypeString, "The family name of the User, or last name in most Western languages."),
			attr("givenName", TypeString, "The given name of the User, or first name in most Western languages."),
			attr("middleName", TypeString, "The middle name(s) of the User."),
			attr("honorificPrefix", TypeString, "The honorific prefix(es) of the User, or title in most Western languages."),
			attr("honorificSuffix", TypeString, "The honorific suffix(es) of the User, or suffix in most Western languages."),
		)),
		attr("displayName", TypeString, "The name of the User, suitable for display to end-users."),
		attr("nickName", TypeString, "The casual way to address the user in real life."),
		attr("profileUrl", TypeReference, "A fully qualified URL pointing to a page representing the User's online profile.", refs("external")),
		attr("title", TypeString, "The user's title, such as \"Vice President\"."),
		attr("userType", TypeString, "Used to identify the relationship between the organization and the user."),
		attr("preferredLanguage", TypeString, "Indicates the User's preferred written or spoken language, in the format of the HTTP Accept-Language header."),
		attr("locale", TypeString, "Used to indicate the User's default location for purposes of localizing items such as currency, date time format, or numerical representations."),
		attr("timezone", TypeString, "The User's time zone in the 'Olson' time zone database format, e.g., 'America/Los_Angeles'."),
		attr("active", TypeBoolean, "A Boolean value indicating the User's administrative status."),
		attr("password", TypeString, "The User's cleartext password. Accepted and discarded by this service provider, which does not authenticate users.",
			mut(WriteOnly), ret(ReturnedNever)),
		plural("emails", "Email addresses for the user.", TypeString, "Email addresses for the user.", []string{"work", "home", "other"}),
		plural("phoneNumbers", "Phone numbers for the User.", TypeString, "Phone number of the User.", []string{"work", "home", "mobile", "fax", "pager", "other"}),
		plural("ims", "Instant messaging addresses for the User.", TypeString, "Instant messaging address for the User.", []string{"aim", "gtalk", "icq", "xmpp", "msn", "skype", "qq", "yahoo"}),
		plural("photos", "URLs of photos of the User.", TypeReference, "URL of a photo of the User.", []string{"photo", "thumbnail"}),
		attr("addresses", TypeComplex, "A physical mailing address for this User.", multi, subs(
			attr("formatted", TypeString, "The full mailing address, formatted for display or use with a mailing label."),
			attr("streetAddress", TypeString, "The full street address component, which may include house number, street name, P.O. box, and multi-line extended street address information."),
			attr("locality", TypeString, "The city or locality component."),
			attr("region", TypeString, "The state or region component."),
			attr("postalCode", TypeString, "The zip code or postal code component."),
			attr("country", TypeString, "The country name component."),
			attr("type", TypeString, "A label indicating the attribute's function.", canon("work", "home", "other")),
			attr("primary", TypeBoolean, "A Boolean value indicating the 'primary' or preferred address. The primary attribute value 'true' MUST appear no more than once."),
		)),
		readOnlyAll(attr("groups", TypeComplex, "A list of groups to which the user belongs, either through direct membership, through nested groups, or dynamically calculated.", multi, subs(
			attr("value", TypeString, "The identifier of the User's group.", caseExact),
			attr("$ref", TypeReference, "The URI of the corresponding 'Group' resource to which the user belongs.", refs("User", "Group")),
			attr("display", TypeString, "A human-readable name, primarily used for display purposes."),
			attr("type", TypeString, "A label indicating the attribute's function, e.g., 'direct' or 'indirect'.", canon("direct", "indirect")),
		))),
		plural("entitlements", "A list of entitlements for the User that represent a thing the User has.", TypeString, "The value of an entitlement.", nil),
		plural("roles", "A list of roles for the User that collectively represent who the User is, e.g., 'Student', 'Faculty'.", TypeString, "The value of a role.", nil),
		plural("x509Certificates", "A list of certificates issued to the User.", TypeBinary, "The value of an X.509 certificate.", nil),
	},
}

// EnterpriseUserSchema is the Enterprise User extension (RFC 7643 §4.3).
var EnterpriseUserSchema = &Schema{
	ID:          URNEnterpriseUser,
	Name:        "EnterpriseUser",
	Description: "Enterprise User",
	Attributes: []*Attribute{
		attr("employeeNumber", TypeString, "Numeric or alphanumeric identifier assigned to a person, typically based on order of hire or association with an organization."),
		attr("costCenter", TypeString, "Identifies the name of a cost center."),
		attr("organization", TypeString, "Identifies the name of an organization."),
		attr("division", TypeString, "Identifies the name of a division."),
		attr("department", TypeString, "Identifies the name of a department."),
		attr("manager", TypeComplex, "The User's manager.", subs(
			attr("value", TypeString, "The id of the SCIM resource representing the User's manager.", caseExact),
			attr("$ref", TypeReference, "The URI of the SCIM resource representing the User's manager.", refs("User")),
			attr("displayName", TypeString, "The displayName of the User's manager. READ-ONLY.", mut(ReadOnly)),
		)),
	},
}

// GroupSchema is the core Group schema (RFC 7643 §4.2). displayName is required here
// (RFC 7643 leaves it optional) because groups are unique by displayName within an org.
var GroupSchema = &Schema{
	ID:          URNGroup,
	Name:        "Group",
	Description: "Group",
	Attributes: []*Attribute{
		attr("displayName", TypeString, "A human-readable name for the Group. REQUIRED.", required, unique(UniqueServer)),
		attr("members", TypeComplex, "A list of members of the Group.", multi, subs(
			attr("value", TypeString, "Identifier of the member of this Group.", mut(Immutable), caseExact),
			attr("$ref", TypeReference, "The URI corresponding to a SCIM resource that is a member of this Group.", refs("User", "Group"), mut(Immutable)),
			attr("display", TypeString, "A human-readable name, primarily used for display purposes."),
			attr("type", TypeString, "A label indicating the type of resource, e.g., 'User' or 'Group'.", canon("User", "Group"), mut(Immutable)),
		)),
	},
}

// UserResourceType is the User resource type, served at /Users.
var UserResourceType = &ResourceType{
	ID: "User", Name: "User", Endpoint: "/Users", Description: "User Account",
	Schema:     UserSchema,
	Extensions: []SchemaExtension{{Schema: EnterpriseUserSchema, Required: false}},
}

// GroupResourceType is the Group resource type, served at /Groups.
var GroupResourceType = &ResourceType{
	ID: "Group", Name: "Group", Endpoint: "/Groups", Description: "Group",
	Schema: GroupSchema,
}

// ResourceTypes lists every resource type, User first (Entra reads Resources[0]).
func ResourceTypes() []*ResourceType { return []*ResourceType{UserResourceType, GroupResourceType} }

// Schemas lists every published schema.
func Schemas() []*Schema { return []*Schema{UserSchema, EnterpriseUserSchema, GroupSchema} }

// LookupResourceType returns the resource type with the given name (case-insensitive) or nil.
func LookupResourceType(name string) *ResourceType {
	for _, rt := range ResourceTypes() {
		if strings.EqualFold(rt.Name, name) {
			return rt
		}
	}
	return nil
}

func init() {
	for _, s := range []*Schema{commonSchema, UserSchema, EnterpriseUserSchema, GroupSchema} {
		s.index()
	}
}
