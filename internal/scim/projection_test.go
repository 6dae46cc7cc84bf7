package scim

import (
	"net/http"
	"testing"
)

const projUser = `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User","urn:ietf:params:scim:schemas:extension:enterprise:2.0:User","urn:x:Custom:2.0:User"],
	"id":"u1","externalId":"e1","meta":{"resourceType":"User","version":"W/\"1\""},"userName":"bob","displayName":"Bob","password":"leaked",
	"name":{"givenName":"Bob","familyName":"B"},
	"emails":[{"value":"a@x","type":"work"},{"value":"b@x","type":"home"}],
	"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User":{"department":"D","manager":{"value":"m"}},
	"urn:x:Custom:2.0:User":{"costCode":"C","other":"O"}}`

func TestProject(t *testing.T) {
	schemas := `"schemas":["urn:ietf:params:scim:schemas:core:2.0:User","urn:ietf:params:scim:schemas:extension:enterprise:2.0:User","urn:x:Custom:2.0:User"]`
	tests := []struct {
		name, attrs, excluded, want string
	}{
		{"default drops never-returned password", "", "",
			`{` + schemas + `,"id":"u1","externalId":"e1","meta":{"resourceType":"User","version":"W/\"1\""},"userName":"bob","displayName":"Bob",
			"name":{"givenName":"Bob","familyName":"B"},"emails":[{"value":"a@x","type":"work"},{"value":"b@x","type":"home"}],
			"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User":{"department":"D","manager":{"value":"m"}},"urn:x:Custom:2.0:User":{"costCode":"C","other":"O"}}`},
		{"attributes=userName,emails (case-insensitive)", "USERNAME, Emails", "",
			`{` + schemas + `,"id":"u1","userName":"bob","emails":[{"value":"a@x","type":"work"},{"value":"b@x","type":"home"}]}`},
		{"Entra filter inside attributes", `emails[type eq "work"]`, "",
			`{` + schemas + `,"id":"u1","emails":[{"value":"a@x","type":"work"},{"value":"b@x","type":"home"}]}`},
		{"Entra filter with a comma inside quotes", `emails[value eq "a,b"],userName`, "",
			`{` + schemas + `,"id":"u1","userName":"bob","emails":[{"value":"a@x","type":"work"},{"value":"b@x","type":"home"}]}`},
		{"sub-attributes", "name.familyName,emails.value", "",
			`{` + schemas + `,"id":"u1","name":{"familyName":"B"},"emails":[{"value":"a@x"},{"value":"b@x"}]}`},
		{"URN-qualified extension attribute and sub-attribute", "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value", "",
			`{` + schemas + `,"id":"u1","urn:ietf:params:scim:schemas:extension:enterprise:2.0:User":{"manager":{"value":"m"}}}`},
		{"whole extension by URN", "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User", "",
			`{` + schemas + `,"id":"u1","urn:ietf:params:scim:schemas:extension:enterprise:2.0:User":{"department":"D","manager":{"value":"m"}}}`},
		{"URN-qualified core attribute", "urn:ietf:params:scim:schemas:core:2.0:User:userName", "",
			`{` + schemas + `,"id":"u1","userName":"bob"}`},
		{"custom extension attribute", "urn:x:Custom:2.0:User:costCode", "",
			`{` + schemas + `,"id":"u1","urn:x:Custom:2.0:User":{"costCode":"C"}}`},
		{"password asked for is still never returned; id cannot be excluded", "password,userName", "id,userName",
			`{` + schemas + `,"id":"u1"}`},
		{"unknown names ignored", "nope,userName", "nope2",
			`{` + schemas + `,"id":"u1","userName":"bob"}`},
		{"excluded attributes and sub-attributes", "", "emails,name.givenName,meta,externalId,urn:x:Custom:2.0:User,urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department",
			`{` + schemas + `,"id":"u1","userName":"bob","displayName":"Bob","name":{"familyName":"B"},
			"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User":{"manager":{"value":"m"}}}`},
		{"exclude whole extension", "", "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User,urn:x:Custom:2.0:User:other",
			`{` + schemas + `,"id":"u1","externalId":"e1","meta":{"resourceType":"User","version":"W/\"1\""},"userName":"bob","displayName":"Bob",
			"name":{"givenName":"Bob","familyName":"B"},"emails":[{"value":"a@x","type":"work"},{"value":"b@x","type":"home"}],"urn:x:Custom:2.0:User":{"costCode":"C"}}`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p, err := ParseProjection(UserResourceType, tc.attrs, tc.excluded)
			if err != nil {
				t.Fatal(err)
			}
			d := doc(t, projUser)
			before := jsonOf(t, d)
			got := p.Project(d)
			if g, w := jsonOf(t, got), canonStr(t, tc.want); g != w {
				t.Errorf("got  %s\nwant %s", g, w)
			}
			if jsonOf(t, d) != before {
				t.Errorf("Project modified its input")
			}
		})
	}
}

func TestProjectionNeeds(t *testing.T) {
	tests := []struct {
		attrs, excluded, name string
		want                  bool
	}{
		{"", "", "members", true},
		{"", "members", "members", false},
		{"", "MEMBERS", "members", false},
		{"displayName", "", "members", false},
		{"members.value", "", "members", true},
		{"members", "", "Members", true},
		{"", "members.display", "members", true},
		{"displayName", "", "id", true},
		{"", "", "nope", false},
	}
	for _, tc := range tests {
		p, err := ParseProjection(GroupResourceType, tc.attrs, tc.excluded)
		if err != nil {
			t.Fatal(err)
		}
		if got := p.Needs(tc.name); got != tc.want {
			t.Errorf("attributes=%q excludedAttributes=%q Needs(%q) = %v, want %v", tc.attrs, tc.excluded, tc.name, got, tc.want)
		}
	}
	p, _ := ParseProjection(UserResourceType, "", "")
	if p.Needs("password") {
		t.Errorf("password is never returned")
	}
}

func TestParseProjectionErrors(t *testing.T) {
	for _, s := range []string{`emails[type eq "work"`, `emails]`, `emails[type eq "work]`, `"userName"`} {
		_, err := ParseProjection(UserResourceType, s, "")
		wantSCIMErr(t, err, http.StatusBadRequest, ScimTypeInvalidValue, "attributes")
		_, err = ParseProjection(UserResourceType, "", s)
		wantSCIMErr(t, err, http.StatusBadRequest, ScimTypeInvalidValue, "excludedAttributes")
	}
}
