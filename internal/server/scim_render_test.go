package server

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/rolecall/rolecall/internal/scim"
	"github.com/rolecall/rolecall/internal/store"
)

// TestUserJSONMatchesDecodedRender checks that a user written straight from its stored JSON
// is byte for byte the answer the decode-overlay-project path gives, for stored documents
// as the server writes them and for ones it does not (which must take that path).
func TestUserJSONMatchesDecodedRender(t *testing.T) {
	at := time.Date(2026, 11, 27, 10, 0, 0, 123000, time.UTC)
	base := store.User{ID: "0190aa00-0000-7000-8000-000000000001", UserName: "ada@example.com", Active: true,
		Version: 3, Created: at, LastModified: at.Add(time.Minute)}
	groups := []store.Group{{ID: "0190aa00-0000-7000-8000-0000000000g1", DisplayName: "Eng <core> & co"}}
	cases := []struct {
		name  string
		doc   string
		user  func(*store.User)
		fast  bool // the stored JSON is canonical and the default projection leaves it whole
		attrs [2]string
	}{
		{name: "Entra user", fast: true,
			doc:  `{"active":true,"emails":[{"primary":true,"type":"work","value":"ada@example.com"}],"externalId":"e-1","name":{"familyName":"Lovelace","givenName":"Ada"},"schemas":["urn:ietf:params:scim:schemas:core:2.0:User","urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"],"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User":{"department":"R\u0026D","manager":{"value":"m-1"}},"userName":"ada@example.com"}`,
			user: func(u *store.User) { u.ExternalID, u.DisplayName = "e-1", "Ada" }},
		{name: "stale columns win over the document", fast: true,
			doc:  `{"active":false,"displayName":"old","externalId":"old","userName":"old@example.com"}`,
			user: func(u *store.User) { u.ExternalID = "" }},
		{name: "no schemas, emails only in the table", fast: true, doc: `{}`,
			user: func(u *store.User) {
				u.Emails = []store.Email{{Value: "ada@example.com", Type: "work", Primary: true}, {Value: "a@x.org"}}
			}},
		{name: "custom extension kept whole", fast: true,
			doc: `{"urn:example:params:scim:schemas:extension:acme:2.0:User":{"badge":7,"zone":"\u003c1\u003e"},"x-unknown":[1,"2",null]}`},
		{name: "password is never shown", fast: true, doc: `{"password":"secret","userName":"ada@example.com"}`},
		{name: "unknown enterprise member", fast: false,
			doc: `{"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User":{"department":"R","notOurs":1}}`},
		{name: "not canonical: spaces", fast: false, doc: `{"userName": "ada@example.com"}`},
		{name: "not canonical: unsorted", fast: false, doc: `{"userName":"ada@example.com","active":true}`},
		{name: "null document", fast: false, doc: `null`},
		{name: "empty document", fast: true, doc: ``},
		{name: "attributes given", fast: false, doc: `{}`, attrs: [2]string{"userName", ""}},
		{name: "excludedAttributes given", fast: false, doc: `{}`, attrs: [2]string{"", "groups"}},
	}
	for _, c := range cases {
		for _, gs := range [][]store.Group{nil, groups} {
			u := base
			u.Doc = json.RawMessage(c.doc)
			if c.user != nil {
				c.user(&u)
			}
			proj, err := scim.ParseProjection(scim.UserResourceType, c.attrs[0], c.attrs[1])
			if err != nil {
				t.Fatal(err)
			}
			got, ok, err := userJSON(u, "https://rc.example/scim/v2", gs, proj)
			if err != nil {
				t.Fatalf("%s: %v", c.name, err)
			}
			if ok != c.fast {
				t.Errorf("%s: rendered from stored JSON = %v, want %v", c.name, ok, c.fast)
			}
			if !ok {
				continue
			}
			d, err := decodeDoc(u.Doc)
			if err != nil {
				t.Fatal(err)
			}
			want, err := json.Marshal(proj.Project(renderUser(u, d, "https://rc.example/scim/v2", gs)))
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != string(want) {
				t.Errorf("%s (groups %d):\n got %s\nwant %s", c.name, len(gs), got, want)
			}
		}
	}
}
