package scim

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/")

var testConfig = Config{
	BaseURL:            "https://rolecall.example.com/scim/v2/",
	Patch:              true,
	Bulk:               false,
	BulkMaxOperations:  0,
	BulkMaxPayloadSize: 0,
	Filter:             true,
	FilterMaxResults:   1000,
	Sort:               true,
	ETag:               true,
	Pagination:         &Pagination{Cursor: true, Index: true, DefaultPaginationMethod: "index", DefaultPageSize: 100, MaxPageSize: 1000, CursorTimeout: 3600},
}

func golden(t *testing.T, name string, v any) {
	t.Helper()
	got, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	got = append(got, '\n')
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		gl, wl := strings.Split(string(got), "\n"), strings.Split(string(want), "\n")
		for i := range gl {
			if i >= len(wl) || gl[i] != wl[i] {
				w := "<end of file>"
				if i < len(wl) {
					w = wl[i]
				}
				t.Errorf("%s differs from the golden file at line %d (run go test -update if intended):\n got  %s\n want %s", name, i+1, gl[i], w)
				return
			}
		}
		t.Errorf("%s is shorter than the golden file (run go test -update if intended)", name)
	}
}

func TestDiscoveryGolden(t *testing.T) {
	golden(t, "schemas.json", SchemasList(testConfig))
	golden(t, "resource_types.json", ResourceTypesList(testConfig))
	golden(t, "service_provider_config.json", ServiceProviderConfigDocument(testConfig))
	golden(t, "service_provider_config_minimal.json", ServiceProviderConfigDocument(Config{BaseURL: "http://localhost/scim/v2", Patch: true, Filter: true, FilterMaxResults: 200}))
}

func TestDiscoveryContent(t *testing.T) {
	// Microsoft's collection checks these.
	b, _ := json.Marshal(ResourceTypesList(testConfig))
	var rts struct {
		Resources []struct {
			Endpoint         string `json:"endpoint"`
			SchemaExtensions []struct {
				Schema string `json:"schema"`
			} `json:"schemaExtensions"`
		}
	}
	if err := json.Unmarshal(b, &rts); err != nil || len(rts.Resources) != 2 || rts.Resources[0].Endpoint != "/Users" || rts.Resources[0].SchemaExtensions[0].Schema != URNEnterpriseUser {
		t.Fatalf("resource types: %s", b)
	}
	b, _ = json.Marshal(SchemasList(testConfig))
	if !strings.Contains(string(b), "User Account") {
		t.Errorf("/Schemas must describe the User schema as \"User Account\"")
	}
	b, _ = json.Marshal(ServiceProviderConfigDocument(testConfig))
	var spc map[string]any
	_ = json.Unmarshal(b, &spc)
	if spc["patch"].(map[string]any)["supported"] != true {
		t.Errorf("patch.supported must be true: %s", b)
	}
	if spc["meta"].(map[string]any)["location"] != "https://rolecall.example.com/scim/v2/ServiceProviderConfig" {
		t.Errorf("meta.location: %s", b)
	}

	// Every attribute of RFC 7643 §4.1 is defined.
	for _, name := range []string{"userName", "name", "displayName", "nickName", "profileUrl", "title", "userType", "preferredLanguage",
		"locale", "timezone", "active", "password", "emails", "phoneNumbers", "ims", "photos", "addresses", "groups", "entitlements",
		"roles", "x509Certificates"} {
		if UserSchema.Attr(name) == nil {
			t.Errorf("User schema lacks %s", name)
		}
	}
	for _, name := range []string{"formatted", "familyName", "givenName", "middleName", "honorificPrefix", "honorificSuffix"} {
		if UserSchema.Attr("name").Sub(name) == nil {
			t.Errorf("name lacks %s", name)
		}
	}
	if a := UserSchema.Attr("password"); a.Mutability != WriteOnly || a.Returned != ReturnedNever {
		t.Errorf("password must be writeOnly, returned never")
	}
	if a := UserResourceType.Attr("id"); a.Returned != ReturnedAlways || !a.CaseExact {
		t.Errorf("id must be returned always and caseExact")
	}
}

func TestDiscoveryLookups(t *testing.T) {
	if d, err := SchemaDocument(testConfig, strings.ToLower(URNEnterpriseUser)); err != nil || d.(*schemaJSON).ID != URNEnterpriseUser {
		t.Errorf("SchemaDocument: %v %v", d, err)
	}
	if _, err := SchemaDocument(testConfig, "urn:nope"); AsError(err).Status != 404 {
		t.Errorf("unknown schema: %v", err)
	}
	if d, err := ResourceTypeDocument(testConfig, "group"); err != nil || d.(*resourceTypeJSON).Endpoint != "/Groups" {
		t.Errorf("ResourceTypeDocument: %v %v", d, err)
	}
	if _, err := ResourceTypeDocument(testConfig, "Device"); AsError(err).Status != 404 {
		t.Errorf("unknown resource type: %v", err)
	}
}
