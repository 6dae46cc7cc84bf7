package scim

import (
	"net/http"
	"testing"
)

func TestNormalize(t *testing.T) {
	tests := []struct {
		name string
		rt   *ResourceType
		in   string
		want string
	}{
		{
			name: "case-insensitive names and Entra string boolean",
			rt:   UserResourceType,
			in: `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"USERNAME":"bob","Active":"True",
				"emails":[{"Primary":true,"Type":"work","VALUE":"b@x.com"}],"Name":{"FamilyName":"B"}}`,
			want: `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"bob","active":true,
				"emails":[{"primary":true,"type":"work","value":"b@x.com"}],"name":{"familyName":"B"}}`,
		},
		{
			name: "string False in any case",
			rt:   UserResourceType,
			in:   `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"bob","active":"fAlSe"}`,
			want: `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"bob","active":false}`,
		},
		{
			name: "read-only, write-only and unknown attributes dropped (Entra misspelled attribute)",
			rt:   UserResourceType,
			in: `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"id":"client-id","userName":"bob",
				"meta":{"created":"2019-09-18T18:15:26.5788954+00:00","resourceType":"User"},
				"groups":[{"value":"g1"}],"password":"hunter2","adreses":[{"country":"Germany"}],"externalId":"e1"}`,
			want: `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"bob","externalId":"e1"}`,
		},
		{
			name: "enterprise extension object with mixed-case names; manager.displayName read-only",
			rt:   UserResourceType,
			in: `{"schemas":["urn:ietf:params:scim:schemas:extension:enterprise:2.0:User","urn:ietf:params:scim:schemas:core:2.0:User"],
				"userName":"bob","urn:ietf:params:scim:schemas:extension:enterprise:2.0:User":{"Department":"bob",
				"Manager":{"Value":"SuzzyQ","displayName":"Suzy"}}}`,
			want: `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User","urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"],
				"userName":"bob","urn:ietf:params:scim:schemas:extension:enterprise:2.0:User":{"department":"bob","manager":{"value":"SuzzyQ"}}}`,
		},
		{
			name: "URN-qualified top-level keys, core and extension, and a lower-case URN",
			rt:   UserResourceType,
			in: `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],
				"urn:ietf:params:scim:schemas:core:2.0:User:userName":"bob",
				"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber":"7",
				"URN:IETF:PARAMS:SCIM:SCHEMAS:EXTENSION:ENTERPRISE:2.0:USER:manager":"m1"}`,
			want: `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User","urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"],
				"userName":"bob","urn:ietf:params:scim:schemas:extension:enterprise:2.0:User":{"employeeNumber":"7","manager":{"value":"m1"}}}`,
		},
		{
			name: "custom extension kept verbatim and listed in schemas",
			rt:   UserResourceType,
			in: `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User","urn:ietf:params:scim:schemas:extension:CustomExtension:2.0:User"],
				"userName":"bob","urn:ietf:params:scim:schemas:extension:CustomExtension:2.0:User":{"costCode":"A1","Nested":{"x":[1,2]}}}`,
			want: `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User","urn:ietf:params:scim:schemas:extension:CustomExtension:2.0:User"],
				"userName":"bob","urn:ietf:params:scim:schemas:extension:CustomExtension:2.0:User":{"costCode":"A1","Nested":{"x":[1,2]}}}`,
		},
		{
			name: "custom extension attribute as a URN-qualified key",
			rt:   UserResourceType,
			in: `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"bob",
				"urn:ietf:params:scim:schemas:extension:CustomExtension:2.0:User:costCode":"A1"}`,
			want: `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User","urn:ietf:params:scim:schemas:extension:CustomExtension:2.0:User"],
				"userName":"bob","urn:ietf:params:scim:schemas:extension:CustomExtension:2.0:User":{"costCode":"A1"}}`,
		},
		{
			name: "nulls and empty lists are unassigned; listed extension without data leaves schemas",
			rt:   UserResourceType,
			in: `{"schemas":["urn:ietf:params:scim:schemas:extension:enterprise:2.0:User","urn:ietf:params:scim:schemas:core:2.0:User"],
				"userName":"bob","roles":[],"title":null,"name":{"honorificPrefix":null,"givenName":"B"},
				"addresses":[{"country":null,"locality":null,"type":"other","formatted":"x"}]}`,
			want: `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"bob","name":{"givenName":"B"},
				"addresses":[{"type":"other","formatted":"x"}]}`,
		},
		{
			name: "several primary values: the last stays primary",
			rt:   UserResourceType,
			in: `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"bob",
				"emails":[{"value":"a@x","primary":true},{"value":"b@x","primary":true},{"value":"c@x"}]}`,
			want: `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"bob",
				"emails":[{"value":"a@x","primary":false},{"value":"b@x","primary":true},{"value":"c@x"}]}`,
		},
		{
			name: "single value for a multi-valued attribute, duplicates dropped",
			rt:   UserResourceType,
			in: `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"bob",
				"emails":{"value":"a@x"},"phoneNumbers":[{"value":"1"},{"value":"1"}]}`,
			want: `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"bob",
				"emails":[{"value":"a@x"}],"phoneNumbers":[{"value":"1"}]}`,
		},
		{
			name: "group with members; Entra displayName kept as display; bare id string",
			rt:   GroupResourceType,
			in: `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],"displayName":"G","externalId":"e",
				"members":[{"value":"u1","display":"VP"},{"value":"u2","displayName":"new User"},"u3"]}`,
			want: `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],"displayName":"G","externalId":"e",
				"members":[{"value":"u1","display":"VP"},{"value":"u2","display":"new User"},{"value":"u3"}]}`,
		},
		{
			name: "empty members list is dropped",
			rt:   GroupResourceType,
			in:   `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],"displayName":"G","members":[]}`,
			want: `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],"displayName":"G"}`,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			in := doc(t, tc.in)
			before := jsonOf(t, in)
			got, err := Normalize(tc.rt, in)
			if err != nil {
				t.Fatalf("Normalize: %v", err)
			}
			if g, w := jsonOf(t, got), canonStr(t, tc.want); g != w {
				t.Errorf("got  %s\nwant %s", g, w)
			}
			if jsonOf(t, in) != before {
				t.Errorf("Normalize modified its input")
			}
		})
	}
}

func TestNormalizeErrors(t *testing.T) {
	tests := []struct {
		name     string
		rt       *ResourceType
		in       string
		scimType string
		mention  []string
	}{
		{"no userName (Entra Post no username)", UserResourceType,
			`{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"active":true}`, ScimTypeInvalidValue, []string{"userName", "required"}},
		{"misspelled userName is no userName (Entra Put a user no username)", UserResourceType,
			`{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userame":"OMalley"}`, ScimTypeInvalidValue, []string{"userName"}},
		{"blank userName", UserResourceType,
			`{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"  "}`, ScimTypeInvalidValue, []string{"userName"}},
		{"group without displayName", GroupResourceType,
			`{"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"]}`, ScimTypeInvalidValue, []string{"displayName"}},
		{"no schemas", UserResourceType, `{"userName":"bob"}`, ScimTypeInvalidSyntax, []string{"schemas"}},
		{"schemas not an array", UserResourceType, `{"schemas":"urn:ietf:params:scim:schemas:core:2.0:User","userName":"b"}`, ScimTypeInvalidSyntax, []string{"array"}},
		{"wrong core schema", GroupResourceType,
			`{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"displayName":"x"}`, ScimTypeInvalidSyntax, []string{GroupSchema.ID}},
		{"active not boolean", UserResourceType,
			`{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"b","active":"yes"}`, ScimTypeInvalidValue, []string{"active", "boolean"}},
		{"emails not complex", UserResourceType,
			`{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"b","name":"Bob"}`, ScimTypeInvalidValue, []string{"name", "complex"}},
		{"single-valued given array", UserResourceType,
			`{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":["a","b"]}`, ScimTypeInvalidValue, []string{"userName", "single-valued"}},
		{"sub-attribute of wrong type", UserResourceType,
			`{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"b","emails":[{"value":"a","primary":"maybe"}]}`, ScimTypeInvalidValue, []string{"emails.primary", "boolean"}},
		{"extension object not an object", UserResourceType,
			`{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"b","urn:ietf:params:scim:schemas:extension:enterprise:2.0:User":"x"}`, ScimTypeInvalidValue, []string{"object"}},
		{"member without value", GroupResourceType,
			`{"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],"displayName":"G","members":[{"display":"x"}]}`, ScimTypeInvalidValue, []string{"member", "value"}},
		{"number for userName", UserResourceType,
			`{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":5}`, ScimTypeInvalidValue, []string{"userName", "string", "number"}},
		{"number for an extension string", UserResourceType,
			`{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"b","urn:ietf:params:scim:schemas:extension:enterprise:2.0:User":{"costCenter":4.5}}`, ScimTypeInvalidValue, []string{"costCenter", "string"}},
		{"bare string for emails", UserResourceType,
			`{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"b","emails":"x"}`, ScimTypeInvalidValue, []string{"emails", "complex", "string"}},
		{"bare string in an emails array", UserResourceType,
			`{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"b","emails":["x"]}`, ScimTypeInvalidValue, []string{"emails"}},
		{"NUL in userName", UserResourceType,
			`{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"a\u0000b"}`, ScimTypeInvalidValue, []string{"userName", "NUL"}},
		{"NUL in an email", UserResourceType,
			`{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"b","emails":[{"value":"\u0000"}]}`, ScimTypeInvalidValue, []string{"emails.value", "NUL"}},
		{"NUL in an enterprise attribute", UserResourceType,
			`{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"b","urn:ietf:params:scim:schemas:extension:enterprise:2.0:User":{"department":"x\u0000"}}`, ScimTypeInvalidValue, []string{"department", "NUL"}},
		{"NUL in group displayName", GroupResourceType,
			`{"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],"displayName":"\u0000"}`, ScimTypeInvalidValue, []string{"displayName", "NUL"}},
		{"NUL in externalId", GroupResourceType,
			`{"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],"displayName":"G","externalId":"e\u0000"}`, ScimTypeInvalidValue, []string{"externalId", "NUL"}},
		{"boolean for a string", UserResourceType,
			`{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"b","title":true}`, ScimTypeInvalidValue, []string{"title", "string"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Normalize(tc.rt, doc(t, tc.in))
			wantSCIMErr(t, err, http.StatusBadRequest, tc.scimType, tc.mention...)
		})
	}
}

func TestTakeMembersAndIndexed(t *testing.T) {
	d, err := Normalize(GroupResourceType, doc(t, `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],"displayName":"G",
		"members":[{"value":"u1","display":"VP","type":"User"},{"value":"u2"},{"value":"u1","display":"VP2"}]}`))
	if err != nil {
		t.Fatal(err)
	}
	ms := TakeMembers(d)
	if _, ok := d["members"]; ok {
		t.Fatalf("members still in document")
	}
	if len(ms) != 2 || ms[0] != (Member{Value: "u1", Display: "VP2"}) || ms[1] != (Member{Value: "u2"}) {
		// normAttr drops the exact duplicate only; the later u1 replaces the first.
		t.Fatalf("members = %+v", ms)
	}

	u, err := Normalize(UserResourceType, doc(t, `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"Bob",
		"externalId":"x1","displayName":"B","active":"False","emails":[{"value":"a@x"},{"value":"b@x"}]}`))
	if err != nil {
		t.Fatal(err)
	}
	ix := IndexedFields(u)
	if ix.UserName != "Bob" || ix.ExternalID != "x1" || ix.DisplayName != "B" || ix.Active || len(ix.Emails) != 2 || ix.Emails[1] != "b@x" {
		t.Fatalf("indexed = %+v", ix)
	}
	if !IndexedFields(map[string]any{}).Active {
		t.Fatalf("absent active should read as active")
	}
}
