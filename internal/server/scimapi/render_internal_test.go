package scimapi

import (
	"encoding/json"
	"fmt"
	"reflect"
	"testing"
	"time"

	"github.com/rolecall/rolecall/internal/scim"
	"github.com/rolecall/rolecall/internal/service"
	"github.com/rolecall/rolecall/internal/store"
)

// checkStoredRender checks one answer written from stored JSON (got, ok, err) against
// whether it should have been (wantFast) and, when it was, against the decoding path's.
func checkStoredRender(t *testing.T, name string, got []byte, ok bool, err error, wantFast bool, decoded func() (map[string]any, error)) {
	t.Helper()
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	if ok != wantFast {
		t.Errorf("%s: rendered from stored JSON = %v, want %v", name, ok, wantFast)
	}
	if !ok {
		return
	}
	doc, err := decoded()
	if err != nil {
		t.Fatal(err)
	}
	want, err := json.Marshal(doc)
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != string(want) {
		t.Errorf("%s:\n got %s\nwant %s", name, got, want)
	}
}

// jsonEqual compares decoded JSON values, numbers by value.
func jsonEqual(a, b any) bool {
	na, _ := json.Marshal(a)
	nb, _ := json.Marshal(b)
	var x, y any
	_ = json.Unmarshal(na, &x)
	_ = json.Unmarshal(nb, &y)
	return reflect.DeepEqual(x, y)
}

// TestUserJSONMatchesDecodedRender checks that a user written straight from its stored JSON
// is byte for byte the answer the decode-overlay-project path gives, for stored documents
// as the server writes them and for ones it does not (which must take that path).
func TestUserJSONMatchesDecodedRender(t *testing.T) {
	at := time.Date(2026, 11, 27, 10, 0, 0, 123000, time.UTC)
	user := store.User{ID: "0190aa00-0000-7000-8000-000000000001", UserName: "ada@example.com", Active: true,
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
		{name: "excludedAttributes of whole attributes", fast: true, doc: `{"nickName":"n","title":"t"}`, attrs: [2]string{"", "groups,nickName"}},
		{name: "excludedAttributes of a sub-attribute", fast: false, doc: `{}`, attrs: [2]string{"", "emails.type"}},
	}
	for _, c := range cases {
		for i, gs := range [][]store.Group{nil, groups} {
			// The base URL comes from the request: one with characters JSON escapes.
			base := []string{"https://rc.example/scim/v2", "https://rc.example/t&x<1>/scim/v2"}[i]
			u := user
			u.Doc = json.RawMessage(c.doc)
			if c.user != nil {
				c.user(&u)
			}
			proj, err := scim.ParseProjection(scim.UserResourceType, c.attrs[0], c.attrs[1])
			if err != nil {
				t.Fatal(err)
			}
			got, ok, err := userJSON(u, base, gs, proj)
			checkStoredRender(t, fmt.Sprintf("%s (groups %d)", c.name, len(gs)), got, ok, err, c.fast, func() (map[string]any, error) {
				d, err := service.DecodeDoc(u.Doc)
				if err != nil {
					return nil, err
				}
				return proj.Project(renderUser(u, d, base, gs)), nil
			})
		}
	}
}

func TestSCIMMetaJSON(t *testing.T) {
	times := []time.Time{
		time.Date(2026, 11, 27, 10, 0, 0, 123456000, time.FixedZone("X", 3600)),
		time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC), // no fraction
		time.Date(1999, 12, 31, 23, 59, 59, 100000000, time.UTC),
	}
	for _, loc := range []string{"https://rc.example/scim/v2/Users/1", "http://h/a?b=1&c=<2>", "https://ü.example/\"x\""} {
		for _, at := range times {
			for _, v := range []int64{1, 7, 1234567890123} {
				want, err := json.Marshal(scimMeta("User", at, at.Add(time.Second), loc, v))
				if err != nil {
					t.Fatal(err)
				}
				if got := scimMetaJSON("User", at, at.Add(time.Second), loc, v); string(got) != string(want) {
					t.Errorf("location %q, %v, version %d:\n got %s\nwant %s", loc, at, v, got, want)
				}
			}
		}
	}
}

// TestGroupJSONMatchesDecodedRender: a group answered without its members straight from its
// stored JSON is byte for byte what decoding (and dropping the member displays) gives.
func TestGroupJSONMatchesDecodedRender(t *testing.T) {
	at := time.Date(2026, 11, 27, 10, 0, 0, 5000, time.UTC)
	group := store.Group{ID: "0190aa00-0000-7000-8000-0000000000g1", DisplayName: "Eng <core>", Version: 4,
		Created: at, LastModified: at.Add(time.Hour)}
	cases := []struct {
		name     string
		doc      string
		extID    string
		excluded string
		fast     bool
	}{
		{name: "Okta group with member displays", fast: true, excluded: "members",
			doc: `{"displayName":"old","schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],"x-rolecall-member-display":{"u1":"Ada \u0026 co","u2":"Bob"}}`},
		{name: "external id", fast: true, excluded: "members", extID: "okta-00g1", doc: `{"externalId":"stale"}`},
		{name: "no external id left", fast: true, excluded: "members,externalId", doc: `{"externalId":"stale"}`},
		{name: "empty document", fast: true, excluded: "members", doc: ``},
		{name: "members shown", fast: false, excluded: "", doc: `{}`},
		{name: "not canonical", fast: false, excluded: "members", doc: `{"displayName": "x"}`},
	}
	for _, c := range cases {
		g := group
		g.Doc, g.ExternalID = json.RawMessage(c.doc), c.extID
		proj, err := scim.ParseProjection(scim.GroupResourceType, "", c.excluded)
		if err != nil {
			t.Fatal(err)
		}
		got, ok, err := groupJSON(g, "https://rc.example/scim/v2", proj)
		checkStoredRender(t, c.name, got, ok, err, c.fast, func() (map[string]any, error) {
			d, displays, err := service.LoadGroupDoc(g)
			if err != nil {
				return nil, err
			}
			return proj.Project(renderGroup(g, d, "https://rc.example/scim/v2", nil, displays)), nil
		})
	}
}
