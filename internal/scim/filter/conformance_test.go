package filter

import (
	"net/url"
	"os"
	"reflect"
	"strings"
	"testing"
)

// The filters and paths sent by Microsoft's SCIM reference Postman collection (the checks
// Entra ID provisioning is validated against), URL-decoded, with the trees they must give.
// Also the filters and paths Entra ID and Okta send in practice, per their provisioning docs.
func TestMicrosoftConformanceFilters(t *testing.T) {
	runParseCases(t, []parseCase{
		{"DisplayName quoted", `DisplayName eq "BobIsAmazing"`, cmp(at("DisplayName"), OpEq, str("BobIsAmazing"))},
		{"meta.Created bare date", `meta.Created gt 2015-10-10T14:38:21.8617979-07:00`,
			cmp(sub("meta", "Created"), OpGt, bare("2015-10-10T14:38:21.8617979-07:00"))},
		{"FamilyName and bare domains",
			`name.FamilyName eq Employee and (emails.Value co example.com or emails.Value co example.org)`,
			and(cmp(sub("name", "FamilyName"), OpEq, bare("Employee")),
				or(cmp(sub("emails", "Value"), OpCo, bare("example.com")), cmp(sub("emails", "Value"), OpCo, bare("example.org"))))},
		{"userName sw bare", `userName sw O`, cmp(at("userName"), OpSw, bare("O"))},

		// What Entra ID sends when matching and provisioning.
		{"entra userName", `userName eq "Test_User_dfeef4c5-5681-4387-b016-bdf221e82081"`,
			cmp(at("userName"), OpEq, str("Test_User_dfeef4c5-5681-4387-b016-bdf221e82081"))},
		{"entra userName bare", `userName eq Test_User_abc`, cmp(at("userName"), OpEq, bare("Test_User_abc"))},
		{"entra externalId", `externalId eq "0a21f0f2-8d2a-4f8e-bf98-7363c4aed4ef"`,
			cmp(at("externalId"), OpEq, str("0a21f0f2-8d2a-4f8e-bf98-7363c4aed4ef"))},
		{"entra group displayName", `displayName eq "Group1DisplayName"`, cmp(at("displayName"), OpEq, str("Group1DisplayName"))},
		{"entra emails then", `emails[type eq "work"].value eq "Test_User_a@example.com"`,
			vpThen(at("emails"), cmp(at("type"), OpEq, str("work")), cmp(at("value"), OpEq, str("Test_User_a@example.com")))},
		{"entra member check", `id eq "e2b6f9f6-6f4e-4b3d-9b1e-5b0ae1a6a7e1" and members eq "3f3c5a8e-2a5c-4a39-9c4f-1b3b1ad4f1a0"`,
			and(cmp(at("id"), OpEq, str("e2b6f9f6-6f4e-4b3d-9b1e-5b0ae1a6a7e1")),
				cmp(at("members"), OpEq, str("3f3c5a8e-2a5c-4a39-9c4f-1b3b1ad4f1a0")))},
		{"okta userName", `userName eq "isaac.brock@example.com"`, cmp(at("userName"), OpEq, str("isaac.brock@example.com"))},
	})
}

func TestMicrosoftConformancePaths(t *testing.T) {
	for in, want := range map[string]Path{
		// PATCH paths in the collection.
		`members`:                  {Attr: at("members")},
		`members[value eq "{id}"]`: {Attr: at("members"), Filter: cmp(at("value"), OpEq, str("{id}"))},
		`userName`:                 {Attr: at("userName")},
		`active`:                   {Attr: at("active")},
		// The collection's attributes= parameters, which name paths.
		`emails[type eq "work"]`:          {Attr: at("emails"), Filter: cmp(at("type"), OpEq, str("work"))},
		`emails[value eq "emailName357"]`: {Attr: at("emails"), Filter: cmp(at("value"), OpEq, str("emailName357"))},
		// Paths Entra ID sends.
		`emails[type eq "work"].value`:                     {Attr: at("emails"), Filter: cmp(at("type"), OpEq, str("work")), Sub: "value"},
		`addresses[type eq "work"].streetAddress`:          {Attr: at("addresses"), Filter: cmp(at("type"), OpEq, str("work")), Sub: "streetAddress"},
		`phoneNumbers[type eq "mobile"].value`:             {Attr: at("phoneNumbers"), Filter: cmp(at("type"), OpEq, str("mobile")), Sub: "value"},
		`name.givenName`:                                   {Attr: sub("name", "givenName")},
		enterprise + `:manager`:                            {Attr: urn(enterprise, "manager", "")},
		enterprise + `:department`:                         {Attr: urn(enterprise, "department", "")},
		`urn:ietf:params:scim:schemas:core:2.0:User:title`: {Attr: urn(coreUser, "title", "")},
	} {
		got, err := ParsePath(in)
		if err != nil {
			t.Errorf("ParsePath(%q): %v", in, err)
			continue
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("ParsePath(%q) = %#v, want %#v", in, got, want)
		}
	}
}

// TestMicrosoftCollectionFile parses every filter= and attributes= query value found in the
// collection itself when this machine has it (it is test data, not part of the repository;
// SCIM_CONFORMANCE_COLLECTION overrides the path).
func TestMicrosoftCollectionFile(t *testing.T) {
	path := os.Getenv("SCIM_CONFORMANCE_COLLECTION")
	if path == "" {
		path = "/work/shared/conformance/microsoft-scim-reference.postman_collection.json"
	}
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Skipf("collection not available: %v", err)
	}
	seen := map[string]bool{}
	var filters, paths int
	for _, param := range []string{"filter=", "attributes="} {
		for rest := string(raw); ; {
			i := strings.Index(rest, param)
			if i < 0 {
				break
			}
			rest = rest[i+len(param):]
			end := strings.IndexAny(rest, "\"&\\")
			if end < 0 {
				end = len(rest)
			}
			enc := rest[:end]
			if seen[param+enc] {
				continue
			}
			seen[param+enc] = true
			dec, err := url.QueryUnescape(enc)
			if err != nil {
				t.Errorf("unescape %q: %v", enc, err)
				continue
			}
			if param == "filter=" {
				filters++
				if _, err := Parse(dec); err != nil {
					t.Errorf("Parse(%q): %v", dec, err)
				}
				continue
			}
			// attributes= is a comma-separated list of paths.
			for _, p := range strings.Split(dec, ",") {
				paths++
				if _, err := ParsePath(p); err != nil {
					t.Errorf("ParsePath(%q): %v", p, err)
				}
			}
		}
	}
	if filters < 4 {
		t.Errorf("found only %d distinct filters in %s; expected at least 4", filters, path)
	}
	t.Logf("parsed %d filters and %d attribute paths from %s", filters, paths, path)
}
