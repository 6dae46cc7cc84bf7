package scim

import (
	"net/http"
	"strings"
	"testing"
)

const (
	coreUser  = `"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"]`
	coreEnt   = `"schemas":["urn:ietf:params:scim:schemas:core:2.0:User","urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"]`
	coreGroup = `"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"]`
	ent       = `urn:ietf:params:scim:schemas:extension:enterprise:2.0:User`
)

// patchUser is the stored user the user PATCH cases start from.
const patchUser = `{` + coreUser + `,"id":"u-1","userName":"OMalley","active":true,"displayName":"Kimberly Baker",
	"name":{"givenName":"Darl","familyName":"OMalley"},
	"emails":[{"type":"work","primary":true,"value":"anna33@example.com"},{"type":"other","value":"anna33@gmail.com"}],
	"addresses":[{"type":"work","streetAddress":"4939 Hess Fork","country":"Bermuda"}]}`

const patchGroup = `{` + coreGroup + `,"id":"g-1","displayName":"Group 1","externalId":"e-1"}`

// memberOps renders member operations compactly: "add[u1:Disp,u2] remove[u3] removeAll".
func memberOps(ops []MemberOp) string {
	var b strings.Builder
	for i, op := range ops {
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(op.Kind.String())
		if len(op.Members) == 0 {
			continue
		}
		b.WriteByte('[')
		for j, m := range op.Members {
			if j > 0 {
				b.WriteByte(',')
			}
			b.WriteString(m.Value)
			if m.Display != "" {
				b.WriteString(":" + m.Display)
			}
		}
		b.WriteByte(']')
	}
	return b.String()
}

func TestApplyPatch(t *testing.T) {
	tests := []struct {
		name    string
		rt      *ResourceType
		doc     string
		body    string
		want    string // expected document; "" = unchanged
		members string // expected member operations
	}{
		// ---- Microsoft reference collection, bodies as sent ----
		{
			name: "ms: patch user1 replace userName",
			rt:   UserResourceType, doc: patchUser,
			body: `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"replace","path":"userName","value":"ryan3"}]}`,
			want: strings.Replace(patchUser, `"userName":"OMalley"`, `"userName":"ryan3"`, 1),
		},
		{
			name: "ms: Replace with capital R",
			rt:   UserResourceType, doc: patchUser,
			body: `{ "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"], "Operations":[ { "op":"Replace", "path":"userName", "value":"newusername" }] }`,
			want: strings.Replace(patchUser, `"userName":"OMalley"`, `"userName":"newusername"`, 1),
		},
		{
			name: "ms: Replace active with boolean",
			rt:   UserResourceType, doc: patchUser,
			body: `{ "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"], "Operations":[ { "op":"Replace", "path":"active", "value": false }] }`,
			want: strings.Replace(patchUser, `"active":true`, `"active":false`, 1),
		},
		{
			name: "ms: add member with name field and displayName",
			rt:   GroupResourceType, doc: patchGroup,
			body:    `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"name":"addMember","op":"add","path":"members","value":[{"displayName":"new User","value":"u-4"}]}]}`,
			members: "add[u-4:new User]",
		},
		{
			name: "ms: remove member by filter",
			rt:   GroupResourceType, doc: patchGroup,
			body:    `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"remove","path":"members[value eq \"u-4\"]"}]}`,
			members: "remove[u-4]",
		},
		{
			name: "ms: remove all members",
			rt:   GroupResourceType, doc: patchGroup,
			body:    `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"remove","path":"members"}]}`,
			members: "removeAll",
		},
		{
			name: "ms: add member as a bare string, with id in the body",
			rt:   GroupResourceType, doc: patchGroup,
			body:    `{"id":"g-1","Operations":[{"op":"add","path":"members","value":"string id 1"}],"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"]}`,
			members: "add[string id 1]",
		},
		// ---- Entra ----
		{
			name: "entra: Remove members with a value array",
			rt:   GroupResourceType, doc: patchGroup,
			body:    `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"Remove","path":"members","value":[{"value":"u-1"},{"value":"u-2"}]}]}`,
			members: "remove[u-1,u-2]",
		},
		{
			name: "entra: Add members, several, with display; duplicates folded",
			rt:   GroupResourceType, doc: patchGroup,
			body:    `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"Add","path":"members","value":[{"value":"u-1","display":"x"},{"value":"u-2"},{"value":"u-1","display":"y"}]}]}`,
			members: "add[u-1:y,u-2]",
		},
		{
			name: "entra: Replace active with string False",
			rt:   UserResourceType, doc: patchUser,
			body: `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"Replace","path":"active","value":"False"}]}`,
			want: strings.Replace(patchUser, `"active":true`, `"active":false`, 1),
		},
		{
			name: "entra: Add to a filtered path that matches nothing creates the value",
			rt:   UserResourceType, doc: patchUser,
			body: `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[
				{"op":"Add","path":"phoneNumbers[type eq \"mobile\"].value","value":"555-1234"},
				{"op":"Replace","path":"addresses[type eq \"home\"].locality","value":"Paris"}]}`,
			want: strings.Replace(strings.Replace(patchUser, `"addresses":[`, `"phoneNumbers":[{"type":"mobile","value":"555-1234"}],"addresses":[`, 1),
				`"country":"Bermuda"}]`, `"country":"Bermuda"},{"type":"home","locality":"Paris"}]`, 1),
		},
		{
			name: "entra: replace through a filter that matches",
			rt:   UserResourceType, doc: patchUser,
			body: `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[
				{"op":"replace","path":"emails[type eq \"work\"].value","value":"new@example.com"},
				{"op":"replace","path":"addresses[type eq \"work\"].streetAddress","value":"1 Main St"}]}`,
			want: strings.Replace(strings.Replace(patchUser, `"anna33@example.com"`, `"new@example.com"`, 1), `4939 Hess Fork`, `1 Main St`, 1),
		},
		{
			name: "entra: manager as a bare id on the URN path",
			rt:   UserResourceType, doc: patchUser,
			body: `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"Add","path":"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager","value":"m-1"}]}`,
			want: strings.Replace(strings.Replace(patchUser, `"id":"u-1"`, `"id":"u-1","`+ent+`":{"manager":{"value":"m-1"}}`, 1), coreUser, coreEnt, 1),
		},
		{
			name: "entra: custom extension attribute by URN path",
			rt:   UserResourceType, doc: patchUser,
			body: `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"Add","path":"urn:ietf:params:scim:schemas:extension:CustomExtension:2.0:User:costCode","value":"A1"}]}`,
			want: strings.Replace(strings.Replace(patchUser, `"id":"u-1"`, `"id":"u-1","urn:ietf:params:scim:schemas:extension:CustomExtension:2.0:User":{"costCode":"A1"}`, 1),
				coreUser, `"schemas":["urn:ietf:params:scim:schemas:core:2.0:User","urn:ietf:params:scim:schemas:extension:CustomExtension:2.0:User"]`, 1),
		},
		// ---- Okta ----
		{
			name: "okta: path-less replace with id and active",
			rt:   UserResourceType, doc: patchUser,
			body: `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"replace","value":{"id":"u-1","active":false}}]}`,
			want: strings.Replace(patchUser, `"active":true`, `"active":false`, 1),
		},
		{
			name: "okta: group rename path-less with id",
			rt:   GroupResourceType, doc: patchGroup,
			body: `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"replace","value":{"id":"g-1","displayName":"Renamed"}}]}`,
			want: strings.Replace(patchGroup, `"Group 1"`, `"Renamed"`, 1),
		},
		{
			name: "okta: remove members by value eq or",
			rt:   GroupResourceType, doc: patchGroup,
			body:    `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"remove","path":"members[value eq \"a\" or value eq \"b\"]"}]}`,
			members: "remove[a,b]",
		},
		{
			name: "okta: replace members list",
			rt:   GroupResourceType, doc: patchGroup,
			body:    `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"replace","path":"members","value":[{"value":"a","display":"A"},{"value":"b"}]}]}`,
			members: "replace[a:A,b]",
		},
		{
			name: "okta: password accepted and discarded",
			rt:   UserResourceType, doc: patchUser,
			body: `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"replace","value":{"password":"s3cret!"}}]}`,
		},
		{
			name: "URN-qualified core path and whole custom extension path",
			rt:   UserResourceType, doc: patchUser,
			body: `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[
				{"op":"replace","path":"urn:ietf:params:scim:schemas:core:2.0:User:userName","value":"x"},
				{"op":"add","path":"urn:x:Custom:2.0:User","value":{"a":1}},
				{"op":"remove","path":"urn:x:Custom:2.0:User:a"}]}`,
			want: strings.Replace(patchUser, `"userName":"OMalley"`, `"userName":"x"`, 1),
		},
		// ---- path-less forms ----
		{
			name: "path-less dotted and URN-qualified keys",
			rt:   UserResourceType, doc: patchUser,
			body: `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"replace","value":{
				"name.givenName":"Anna","urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber":"7",
				"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager":{"value":"m-2"},"unknownThing":1,"schemas":["x"]}}]}`,
			want: strings.Replace(strings.Replace(strings.Replace(patchUser, `"givenName":"Darl"`, `"givenName":"Anna"`, 1),
				`"id":"u-1"`, `"id":"u-1","`+ent+`":{"employeeNumber":"7","manager":{"value":"m-2"}}`, 1), coreUser, coreEnt, 1),
		},
		{
			name: "path-less extension object, mixed case",
			rt:   UserResourceType, doc: patchUser,
			body: `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"add","value":{"` + ent + `":{"Department":"Ops"}}}]}`,
			want: strings.Replace(strings.Replace(patchUser, `"id":"u-1"`, `"id":"u-1","`+ent+`":{"department":"Ops"}`, 1), coreUser, coreEnt, 1),
		},
		{
			name: "path-less replace of a complex attribute merges sub-attributes",
			rt:   UserResourceType, doc: patchUser,
			body: `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"replace","value":{"name":{"familyName":"Smith"}}}]}`,
			want: strings.Replace(patchUser, `"familyName":"OMalley"`, `"familyName":"Smith"`, 1),
		},
		{
			name: "path-less add of members",
			rt:   GroupResourceType, doc: patchGroup,
			body:    `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"add","value":{"members":[{"value":"x"}]}}]}`,
			members: "add[x]",
		},
		// ---- multi-valued ----
		{
			name: "add to multi-valued appends, skips equal values, new primary demotes the old",
			rt:   UserResourceType, doc: patchUser,
			body: `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"add","path":"emails","value":[
				{"type":"other","value":"anna33@gmail.com"},{"type":"home","value":"h@x","primary":true}]}]}`,
			want: strings.Replace(patchUser, `{"type":"work","primary":true,"value":"anna33@example.com"},{"type":"other","value":"anna33@gmail.com"}`,
				`{"type":"work","primary":false,"value":"anna33@example.com"},{"type":"other","value":"anna33@gmail.com"},{"type":"home","value":"h@x","primary":true}`, 1),
		},
		{
			name: "add of an existing value only",
			rt:   UserResourceType, doc: patchUser,
			body: `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"add","path":"emails","value":[{"type":"other","value":"anna33@gmail.com"}]}]}`,
		},
		{
			name: "replace of a multi-valued complex attribute",
			rt:   UserResourceType, doc: patchUser,
			body: `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"replace","path":"emails","value":[{"value":"only@x","type":"work"}]}]}`,
			want: strings.Replace(patchUser, `{"type":"work","primary":true,"value":"anna33@example.com"},{"type":"other","value":"anna33@gmail.com"}`, `{"value":"only@x","type":"work"}`, 1),
		},
		{
			name: "remove through a filter",
			rt:   UserResourceType, doc: patchUser,
			body: `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"remove","path":"emails[type eq \"other\"]"}]}`,
			want: strings.Replace(patchUser, `,{"type":"other","value":"anna33@gmail.com"}`, ``, 1),
		},
		{
			name: "remove through a filter that matches nothing is a no-op",
			rt:   UserResourceType, doc: patchUser,
			body: `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"remove","path":"emails[type eq \"home\"]"}]}`,
		},
		{
			name: "remove of a sub-attribute through a filter",
			rt:   UserResourceType, doc: patchUser,
			body: `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"remove","path":"addresses[type eq \"work\"].country"}]}`,
			want: strings.Replace(patchUser, `,"country":"Bermuda"`, ``, 1),
		},
		{
			name: "remove with a value array on a multi-valued attribute",
			rt:   UserResourceType, doc: patchUser,
			body: `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"remove","path":"emails","value":[{"value":"ANNA33@gmail.com"}]}]}`,
			want: strings.Replace(patchUser, `,{"type":"other","value":"anna33@gmail.com"}`, ``, 1),
		},
		{
			name: "remove a single attribute and a sub-attribute",
			rt:   UserResourceType, doc: patchUser,
			body: `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"remove","path":"displayName"},{"op":"remove","path":"name.givenName"}]}`,
			want: strings.Replace(strings.Replace(patchUser, `"displayName":"Kimberly Baker",`, ``, 1), `"givenName":"Darl",`, ``, 1),
		},
		{
			name: "replace primary through a filter demotes the others",
			rt:   UserResourceType, doc: patchUser,
			body: `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"replace","path":"emails[type eq \"other\"].primary","value":"True"}]}`,
			want: strings.Replace(strings.Replace(patchUser, `"primary":true,`, `"primary":false,`, 1), `{"type":"other","value":"anna33@gmail.com"}`, `{"type":"other","value":"anna33@gmail.com","primary":true}`, 1),
		},
		{
			name: "set then remove leaves the document unchanged",
			rt:   UserResourceType, doc: patchUser,
			body: `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"add","path":"title","value":"x"},{"op":"remove","path":"title"}]}`,
		},
		{
			name: "replace with the same value is unchanged",
			rt:   UserResourceType, doc: patchUser,
			body: `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"replace","path":"USERNAME","value":"OMalley"}]}`,
		},
		{
			name: "remove of the whole enterprise extension",
			rt:   UserResourceType, doc: strings.Replace(strings.Replace(patchUser, `"id":"u-1"`, `"id":"u-1","`+ent+`":{"department":"x"}`, 1), coreUser, coreEnt, 1),
			body: `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"remove","path":"` + ent + `"}]}`,
			want: patchUser,
		},
		{
			name: "member ops keep their order and the group's attributes change alongside",
			rt:   GroupResourceType, doc: patchGroup,
			body: `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[
				{"op":"remove","path":"members"},{"op":"add","path":"members","value":[{"value":"a"}]},
				{"op":"replace","path":"displayName","value":"G2"},{"op":"replace","path":"members","value":[]}]}`,
			want:    strings.Replace(patchGroup, `"Group 1"`, `"G2"`, 1),
			members: "removeAll add[a] removeAll",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			req, err := DecodePatch([]byte(tc.body))
			if err != nil {
				t.Fatalf("DecodePatch: %v", err)
			}
			in := doc(t, tc.doc)
			before := jsonOf(t, in)
			res, err := ApplyPatch(tc.rt, in, req.Operations)
			if err != nil {
				t.Fatalf("ApplyPatch: %v", err)
			}
			if jsonOf(t, in) != before {
				t.Errorf("ApplyPatch modified its input")
			}
			want := tc.want
			if want == "" {
				want = tc.doc
			}
			if g, w := jsonOf(t, res.Doc), canonStr(t, want); g != w {
				t.Errorf("doc\n got  %s\n want %s", g, w)
			}
			if wantChanged := tc.want != ""; res.Changed != wantChanged {
				t.Errorf("Changed = %v, want %v", res.Changed, wantChanged)
			}
			if g := memberOps(res.Members); g != tc.members {
				t.Errorf("members = %q, want %q", g, tc.members)
			}
		})
	}
}

func TestApplyPatchErrors(t *testing.T) {
	tests := []struct {
		name     string
		rt       *ResourceType
		doc      string
		body     string
		scimType string
		mention  []string
	}{
		{"read-only id by path", UserResourceType, patchUser, `[{"op":"replace","path":"id","value":"x"}]`, ScimTypeMutability, []string{"id", "read-only"}},
		{"path-less id that differs", UserResourceType, patchUser, `[{"op":"replace","value":{"id":"other","active":false}}]`, ScimTypeMutability, []string{"id"}},
		{"read-only groups", UserResourceType, patchUser, `[{"op":"add","path":"groups","value":[{"value":"g"}]}]`, ScimTypeMutability, []string{"groups"}},
		{"read-only meta path-less", UserResourceType, patchUser, `[{"op":"replace","value":{"meta":{"version":"x"}}}]`, ScimTypeMutability, []string{"meta"}},
		{"read-only sub by path", UserResourceType, patchUser, `[{"op":"replace","path":"` + ent + `:manager.displayName","value":"x"}]`, ScimTypeMutability, []string{"displayName"}},
		{"unknown path", UserResourceType, patchUser, `[{"op":"replace","path":"favouriteColour","value":"x"}]`, ScimTypeInvalidPath, []string{"favouriteColour"}},
		{"unknown sub path", UserResourceType, patchUser, `[{"op":"replace","path":"name.nick","value":"x"}]`, ScimTypeInvalidPath, []string{"nick"}},
		{"unknown sub after filter", UserResourceType, patchUser, `[{"op":"replace","path":"emails[type eq \"work\"].label","value":"x"}]`, ScimTypeInvalidPath, []string{"label"}},
		{"filter on single-valued", UserResourceType, patchUser, `[{"op":"replace","path":"name[givenName eq \"x\"]","value":"x"}]`, ScimTypeInvalidPath, []string{"multi-valued"}},
		{"bad path syntax", UserResourceType, patchUser, `[{"op":"replace","path":"emails[type eq","value":"x"}]`, ScimTypeInvalidPath, nil},
		{"unknown attribute in path filter", UserResourceType, patchUser, `[{"op":"remove","path":"emails[kind eq \"work\"]"}]`, ScimTypeInvalidFilter, []string{"kind"}},
		{"replace through a non-eq filter that matches nothing", UserResourceType, patchUser, `[{"op":"replace","path":"emails[value co \"zzz\"].type","value":"x"}]`, ScimTypeNoTarget, []string{"matched no value"}},
		{"type error", UserResourceType, patchUser, `[{"op":"replace","path":"active","value":"maybe"}]`, ScimTypeInvalidValue, []string{"active", "boolean"}},
		{"number for userName", UserResourceType, patchUser, `[{"op":"replace","path":"userName","value":5}]`, ScimTypeInvalidValue, []string{"userName", "string"}},
		{"number for userName, path-less", UserResourceType, patchUser, `[{"op":"replace","value":{"userName":5}}]`, ScimTypeInvalidValue, []string{"userName", "string"}},
		{"bare string for emails", UserResourceType, patchUser, `[{"op":"add","path":"emails","value":"x"}]`, ScimTypeInvalidValue, []string{"emails", "complex"}},
		{"remove of a required attribute", UserResourceType, patchUser, `[{"op":"remove","path":"userName"}]`, ScimTypeInvalidValue, []string{"userName", "required"}},
		{"replace userName with empty", UserResourceType, patchUser, `[{"op":"replace","path":"userName","value":""}]`, ScimTypeInvalidValue, []string{"userName"}},
		{"path-less value not an object", UserResourceType, patchUser, `[{"op":"replace","value":"x"}]`, ScimTypeInvalidValue, []string{"object"}},
		{"members filter other than value eq", GroupResourceType, patchGroup, `[{"op":"remove","path":"members[display eq \"x\"]"}]`, ScimTypeInvalidFilter, []string{`value eq`}},
		{"members filter with and", GroupResourceType, patchGroup, `[{"op":"remove","path":"members[value eq \"a\" and value eq \"b\"]"}]`, ScimTypeInvalidFilter, []string{"or"}},
		{"replace through a members filter", GroupResourceType, patchGroup, `[{"op":"replace","path":"members[value eq \"a\"]","value":{"value":"b"}}]`, ScimTypeInvalidPath, []string{"only remove"}},
		{"members sub-attribute path", GroupResourceType, patchGroup, `[{"op":"replace","path":"members.display","value":"x"}]`, ScimTypeInvalidPath, []string{"members.display"}},
		{"member without value", GroupResourceType, patchGroup, `[{"op":"add","path":"members","value":[{"display":"x"}]}]`, ScimTypeInvalidValue, []string{"value"}},
		{"member value not a string", GroupResourceType, patchGroup, `[{"op":"add","path":"members","value":[{"value":true}]}]`, ScimTypeInvalidValue, []string{"members.value"}},
		{"NUL in displayName", UserResourceType, patchUser, `[{"op":"replace","path":"displayName","value":"a\u0000"}]`, ScimTypeInvalidValue, []string{"displayName", "NUL"}},
		{"NUL in a path-less value", UserResourceType, patchUser, `[{"op":"replace","value":{"externalId":"\u0000"}}]`, ScimTypeInvalidValue, []string{"externalId", "NUL"}},
		{"NUL in an added email", UserResourceType, patchUser, `[{"op":"add","path":"emails","value":[{"value":"x\u0000"}]}]`, ScimTypeInvalidValue, []string{"emails.value", "NUL"}},
		{"NUL in a member value", GroupResourceType, patchGroup, `[{"op":"add","path":"members","value":[{"value":"\u0000"}]}]`, ScimTypeInvalidValue, []string{"members.value", "NUL"}},
		{"second operation fails, first is not applied", UserResourceType, patchUser, `[{"op":"replace","path":"title","value":"x"},{"op":"replace","path":"nope","value":1}]`, ScimTypeInvalidPath, []string{"operation 1"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			req, err := DecodePatch([]byte(`{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":` + tc.body + `}`))
			if err != nil {
				t.Fatalf("DecodePatch: %v", err)
			}
			_, err = ApplyPatch(tc.rt, doc(t, tc.doc), req.Operations)
			wantSCIMErr(t, err, http.StatusBadRequest, tc.scimType, tc.mention...)
		})
	}
}

func TestApplyPatchImmutable(t *testing.T) {
	s := &Schema{ID: "urn:test:2.0:Thing", Name: "Thing", Attributes: []*Attribute{
		attr("serial", TypeString, "", mut(Immutable)), attr("label", TypeString, ""),
	}}
	s.index()
	rt := &ResourceType{ID: "Thing", Name: "Thing", Endpoint: "/Things", Schema: s}
	ops := []PatchOperation{{Op: PatchReplace, Path: "serial", Value: "B", HasValue: true}}
	if _, err := ApplyPatch(rt, map[string]any{"serial": "A"}, ops); err == nil {
		t.Fatalf("changing an immutable value must fail")
	} else {
		wantSCIMErr(t, err, http.StatusBadRequest, ScimTypeMutability, "serial", "immutable")
	}
	res, err := ApplyPatch(rt, map[string]any{"label": "x"}, ops)
	if err != nil || res.Doc["serial"] != "B" {
		t.Fatalf("setting an unset immutable value: %v %v", res, err)
	}
	if _, err := ApplyPatch(rt, map[string]any{"serial": "B"}, ops); err != nil {
		t.Fatalf("same immutable value: %v", err)
	}
}

func TestDecodePatch(t *testing.T) {
	req, err := DecodePatch([]byte(`{"SCHEMAS":["URN:IETF:PARAMS:SCIM:API:MESSAGES:2.0:PATCHOP"],"operations":[
		{"OP":"ADD","Path":"emails","Value":[{"value":"a@x"}]},{"op":"Remove","path":"title"},{"op":"replace","value":{"active":1.5e0}}]}`))
	if err != nil {
		t.Fatal(err)
	}
	ops := req.Operations
	if len(ops) != 3 || ops[0].Op != PatchAdd || ops[0].Path != "emails" || !ops[0].HasValue || ops[1].Op != PatchRemove || ops[1].HasValue || ops[2].Op != PatchReplace {
		t.Fatalf("ops = %+v", ops)
	}
	if got := jsonOf(t, req); got != `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"add","path":"emails","value":[{"value":"a@x"}]},{"op":"remove","path":"title"},{"op":"replace","value":{"active":1.5e0}}]}` {
		t.Errorf("marshal = %s", got)
	}

	bad := []struct {
		body     string
		scimType string
		mention  string
	}{
		{`not json`, ScimTypeInvalidSyntax, "JSON"},
		{`{"Operations":[{"op":"add","path":"x","value":1}]}`, ScimTypeInvalidSyntax, "schemas"},
		{`{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"Operations":[]}`, ScimTypeInvalidSyntax, "PatchOp"},
		{`{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"]}`, ScimTypeInvalidSyntax, "Operations"},
		{`{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[]}`, ScimTypeInvalidSyntax, "empty"},
		{`{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":{"op":"add"}}`, ScimTypeInvalidSyntax, "array"},
		{`{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"merge","path":"x","value":1}]}`, ScimTypeInvalidSyntax, "merge"},
		{`{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"path":"x","value":1}]}`, ScimTypeInvalidSyntax, "op"},
		{`{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"add","path":"x"}]}`, ScimTypeInvalidValue, "value"},
		{`{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"remove"}]}`, ScimTypeNoTarget, "path"},
		{`{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"add","path":5,"value":1}]}`, ScimTypeInvalidPath, "path"},
		{`{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"add","path":"x","value":1}]} {}`, ScimTypeInvalidSyntax, "trailing"},
	}
	for _, b := range bad {
		_, err := DecodePatch([]byte(b.body))
		wantSCIMErr(t, err, http.StatusBadRequest, b.scimType, b.mention)
	}
	many := `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[` + strings.Repeat(`{"op":"remove","path":"title"},`, MaxPatchOperations) + `{"op":"remove","path":"title"}]}`
	_, err = DecodePatch([]byte(many))
	wantSCIMErr(t, err, http.StatusBadRequest, ScimTypeTooMany, "at most")
}
