package scimload

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
)

// Request bodies shaped like the ones Microsoft Entra ID and Okta send (field sets, casing of
// "op", extension placement, Okta's empty groups and password), with values derived from an
// index so that runs are reproducible and every userName is unique within a prefix.

const (
	schemaUser       = "urn:ietf:params:scim:schemas:core:2.0:User"
	schemaEnterprise = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
	schemaGroup      = "urn:ietf:params:scim:schemas:core:2.0:Group"
	schemaPatchOp    = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
)

var (
	givenNames  = []string{"Ada", "Grace", "Alan", "Edsger", "Barbara", "Ken", "Margaret", "Linus", "Frances", "Dennis", "Radia", "Donald"}
	familyNames = []string{"Lovelace", "Hopper", "Turing", "Dijkstra", "Liskov", "Thompson", "Hamilton", "Torvalds", "Allen", "Ritchie", "Perlman", "Knuth"}
	departments = []string{"Engineering", "Finance", "Sales", "Support", "Legal", "Research"}
	titles      = []string{"Engineer", "Senior Engineer", "Analyst", "Manager", "Director", "Consultant"}
)

// userName is the userName of user i of a population: prefix-i@example.com.
func userName(prefix string, i int) string {
	return prefix + "-" + strconv.Itoa(i) + "@example.com"
}

// groupName is the displayName of group i of a run.
func groupName(prefix string, i int) string {
	return prefix + "-group-" + strconv.Itoa(i)
}

type entraUser struct {
	Schemas     []string        `json:"schemas"`
	ExternalID  string          `json:"externalId"`
	UserName    string          `json:"userName"`
	Active      bool            `json:"active"`
	DisplayName string          `json:"displayName"`
	Title       string          `json:"title"`
	Emails      []email         `json:"emails"`
	Meta        resourceMeta    `json:"meta"`
	Name        personName      `json:"name"`
	Roles       []string        `json:"roles"`
	Enterprise  enterpriseAttrs `json:"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"`
}

type oktaUser struct {
	Schemas     []string   `json:"schemas"`
	UserName    string     `json:"userName"`
	Name        personName `json:"name"`
	Emails      []email    `json:"emails"`
	DisplayName string     `json:"displayName"`
	Locale      string     `json:"locale"`
	ExternalID  string     `json:"externalId"`
	Groups      []string   `json:"groups"`
	Password    string     `json:"password"`
	Active      bool       `json:"active"`
}

type email struct {
	Primary bool   `json:"primary"`
	Type    string `json:"type"`
	Value   string `json:"value"`
}

type personName struct {
	Formatted  string `json:"formatted,omitempty"`
	FamilyName string `json:"familyName"`
	GivenName  string `json:"givenName"`
}

type resourceMeta struct {
	ResourceType string `json:"resourceType"`
}

type enterpriseAttrs struct {
	EmployeeNumber string `json:"employeeNumber"`
	Department     string `json:"department"`
}

// userBody renders the POST /Users body for user i named name: Entra's shape for even i,
// Okta's for odd i, so that a run alternates between the two IdPs.
func userBody(name string, i int) []byte {
	given := givenNames[i%len(givenNames)]
	family := familyNames[(i/len(givenNames))%len(familyNames)]
	var v any
	if i%2 == 0 {
		v = entraUser{
			Schemas:     []string{schemaUser, schemaEnterprise},
			ExternalID:  fmt.Sprintf("%08x-1e48-479e-a20b-%012x", i, i),
			UserName:    name,
			Active:      true,
			DisplayName: given + " " + family,
			Title:       titles[i%len(titles)],
			Emails:      []email{{Primary: true, Type: "work", Value: name}},
			Meta:        resourceMeta{ResourceType: "User"},
			Name:        personName{Formatted: given + " " + family, FamilyName: family, GivenName: given},
			Roles:       []string{},
			Enterprise:  enterpriseAttrs{EmployeeNumber: strconv.Itoa(100000 + i), Department: departments[i%len(departments)]},
		}
	} else {
		v = oktaUser{
			Schemas:     []string{schemaUser},
			UserName:    name,
			Name:        personName{GivenName: given, FamilyName: family},
			Emails:      []email{{Primary: true, Type: "work", Value: name}},
			DisplayName: given + " " + family,
			Locale:      "en-US",
			ExternalID:  fmt.Sprintf("00u%017d", i),
			Groups:      []string{},
			Password:    fmt.Sprintf("pw-%08x!Aa", i*2654435761),
			Active:      true,
		}
	}
	b, err := json.Marshal(v)
	if err != nil {
		panic(err) // fixed types of strings and bools: cannot fail
	}
	return b
}

// groupBody renders POST /Groups: an empty group, as both IdPs create one before adding
// members with PATCH.
func groupBody(name string, i int) []byte {
	if i%2 == 0 {
		return []byte(`{"schemas":["` + schemaGroup + `"],"externalId":"` + fmt.Sprintf("%08x-8d2a-4f8e-bf98-%012x", i, i) +
			`","displayName":` + strconv.Quote(name) + `,"meta":{"resourceType":"Group"}}`)
	}
	return []byte(`{"schemas":["` + schemaGroup + `"],"displayName":` + strconv.Quote(name) + `,"members":[]}`)
}

// patchDeactivate is Entra's soft-delete: Replace active with a JSON false.
func patchDeactivate() []byte {
	return []byte(`{"schemas":["` + schemaPatchOp + `"],"Operations":[{"op":"Replace","path":"active","value":false}]}`)
}

// patchUserAttrs is Entra's attribute update: one Replace per changed attribute.
func patchUserAttrs(title, displayName string) []byte {
	return []byte(`{"schemas":["` + schemaPatchOp + `"],"Operations":[` +
		`{"op":"Replace","path":"title","value":` + strconv.Quote(title) + `},` +
		`{"op":"Replace","path":"displayName","value":` + strconv.Quote(displayName) + `}]}`)
}

// memberStyle selects the IdP whose PATCH forms are sent for membership changes.
type memberStyle int

const (
	styleEntra memberStyle = iota // {"op":"Add"|"Remove","path":"members","value":[{"value":id}…]}
	styleOkta                     // add with value array and display; remove as members[value eq "id"]
)

// patchMembers renders one PATCH that adds (or removes) every id in ids. For removal in Okta's
// style, which names one member per path, it renders one operation per id.
func patchMembers(add bool, ids []string, style memberStyle) []byte {
	var b strings.Builder
	b.Grow(64 + len(ids)*56)
	b.WriteString(`{"schemas":["` + schemaPatchOp + `"],"Operations":[`)
	switch {
	case style == styleOkta && !add:
		for k, id := range ids {
			if k > 0 {
				b.WriteByte(',')
			}
			b.WriteString(`{"op":"remove","path":`)
			b.WriteString(strconv.Quote(`members[value eq "` + id + `"]`))
			b.WriteByte('}')
		}
	default:
		op := map[bool]string{true: "Add", false: "Remove"}[add]
		if style == styleOkta {
			op = "add"
		}
		b.WriteString(`{"op":"` + op + `","path":"members","value":[`)
		for k, id := range ids {
			if k > 0 {
				b.WriteByte(',')
			}
			b.WriteString(`{"value":`)
			b.WriteString(strconv.Quote(id))
			if style == styleOkta {
				b.WriteString(`,"display":"member"`)
			}
			b.WriteByte('}')
		}
		b.WriteString(`]}`)
	}
	b.WriteString(`]}`)
	return []byte(b.String())
}
