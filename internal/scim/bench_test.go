package scim

import (
	"strconv"
	"strings"
	"testing"

	"github.com/rolecall/rolecall/internal/scim/filter"
)

const fullUser = `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User","urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"],
	"id":"2819c223-7f76-453a-919d-413861904646","externalId":"701984",
	"meta":{"resourceType":"User","created":"2010-01-23T04:56:22Z","lastModified":"2011-05-13T04:42:34Z","version":"W/\"3694e05e9dff591\"",
		"location":"https://example.com/v2/Users/2819c223-7f76-453a-919d-413861904646"},
	"userName":"bjensen@example.com","name":{"formatted":"Ms. Barbara J Jensen, III","familyName":"Jensen","givenName":"Barbara",
		"middleName":"Jane","honorificPrefix":"Ms.","honorificSuffix":"III"},
	"displayName":"Babs Jensen","nickName":"Babs","profileUrl":"https://login.example.com/bjensen",
	"emails":[{"value":"bjensen@example.com","type":"work","primary":true},{"value":"babs@jensen.org","type":"home"}],
	"addresses":[{"type":"work","streetAddress":"100 Universal City Plaza","locality":"Hollywood","region":"CA","postalCode":"91608",
		"country":"USA","formatted":"100 Universal City Plaza\nHollywood, CA 91608 USA","primary":true},
		{"type":"home","streetAddress":"456 Hollywood Blvd","locality":"Hollywood","region":"CA","postalCode":"91608","country":"USA"}],
	"phoneNumbers":[{"value":"555-555-5555","type":"work"},{"value":"555-555-4444","type":"mobile"}],
	"ims":[{"value":"someaimhandle","type":"aim"}],"photos":[{"value":"https://photos.example.com/profilephoto/72930000000Ccne/F","type":"photo"}],
	"userType":"Employee","title":"Tour Guide","preferredLanguage":"en-US","locale":"en-US","timezone":"America/Los_Angeles","active":true,
	"x509Certificates":[{"value":"MIIDQzCCAqygAwIBAgICEAAwDQYJKoZIhvcNAQEFBQAwTjELMAkGA1UEBhMCVVMx"}],
	"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User":{"employeeNumber":"701984","costCenter":"4130","organization":"Universal Studios",
		"division":"Theme Park","department":"Tour Operations","manager":{"value":"26118915-6090-4610-87e4-49d8ca9f808d"}}}`

const tenOpPatch = `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[
	{"op":"Replace","path":"active","value":"False"},
	{"op":"replace","path":"userName","value":"barbara@example.com"},
	{"op":"replace","path":"name.givenName","value":"Barb"},
	{"op":"replace","path":"emails[type eq \"work\"].value","value":"barbara@example.com"},
	{"op":"Add","path":"phoneNumbers[type eq \"fax\"].value","value":"555-555-0000"},
	{"op":"replace","path":"addresses[type eq \"work\"].streetAddress","value":"1 Plaza"},
	{"op":"remove","path":"ims"},
	{"op":"add","path":"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager","value":"m-2"},
	{"op":"replace","value":{"title":"Lead Guide","urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department":"Ops"}},
	{"op":"add","path":"emails","value":[{"value":"b2@example.com","type":"other"}]}]}`

// BenchmarkApplyPatch applies a 10-operation user PATCH (decoding excluded).
func BenchmarkApplyPatch(b *testing.B) {
	d := doc(b, fullUser)
	req, err := DecodePatch([]byte(tenOpPatch))
	if err != nil {
		b.Fatal(err)
	}
	if _, err := ApplyPatch(UserResourceType, d, req.Operations); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ApplyPatch(UserResourceType, d, req.Operations); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkDecodeAndApplyPatch includes decoding the request body.
func BenchmarkDecodeAndApplyPatch(b *testing.B) {
	d := doc(b, fullUser)
	body := []byte(tenOpPatch)
	b.ReportAllocs()
	for b.Loop() {
		req, err := DecodePatch(body)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := ApplyPatch(UserResourceType, d, req.Operations); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkPatch10kMembers decodes and applies one PATCH removing 5,000 and adding 5,000
// members (DESIGN budget: 10,000 member ops in one request < 500 ms, SQL included).
func BenchmarkPatch10kMembers(b *testing.B) {
	var sb strings.Builder
	sb.WriteString(`{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"Remove","path":"members","value":[`)
	for i := range 5000 {
		if i > 0 {
			sb.WriteByte(',')
		}
		sb.WriteString(`{"value":"` + strconv.Itoa(i) + `-6f1c-4a2e-9d1b-3c1e2f0a9b8c"}`)
	}
	sb.WriteString(`]},{"op":"Add","path":"members","value":[`)
	for i := range 5000 {
		if i > 0 {
			sb.WriteByte(',')
		}
		sb.WriteString(`{"value":"` + strconv.Itoa(i+5000) + `-6f1c-4a2e-9d1b-3c1e2f0a9b8c","display":"user ` + strconv.Itoa(i) + `"}`)
	}
	sb.WriteString(`]}]}`)
	body := []byte(sb.String())
	g := doc(b, patchGroup)
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		req, err := DecodePatch(body)
		if err != nil {
			b.Fatal(err)
		}
		res, err := ApplyPatch(GroupResourceType, g, req.Operations)
		if err != nil || len(res.Members) != 2 || len(res.Members[1].Members) != 5000 {
			b.Fatalf("%v %v", res, err)
		}
	}
}

// BenchmarkProject projects a full user with the default attribute set and with
// attributes=userName,emails.
func BenchmarkProject(b *testing.B) {
	d := doc(b, fullUser)
	for _, c := range []struct{ name, attrs, excluded string }{
		{"default", "", ""},
		{"attributes=userName,emails", "userName,emails", ""},
		{"excluded=emails,name.givenName", "", "emails,name.givenName"},
	} {
		b.Run(c.name, func(b *testing.B) {
			p, err := ParseProjection(UserResourceType, c.attrs, c.excluded)
			if err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			for b.Loop() {
				_ = p.Project(d)
			}
		})
	}
}

func BenchmarkNormalize(b *testing.B) {
	d := doc(b, fullUser)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Normalize(UserResourceType, d); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkMatch(b *testing.B) {
	d := doc(b, fullUser)
	for _, s := range []string{
		`userName eq "BJENSEN@example.com"`,
		`emails[type eq "work" and value co "example.com"] and meta.lastModified gt "2011-05-13T04:42:00Z"`,
	} {
		e, err := filter.Parse(s)
		if err != nil {
			b.Fatal(err)
		}
		f, err := CompileFilter(UserResourceType, e)
		if err != nil {
			b.Fatal(err)
		}
		if !f.Match(d) {
			b.Fatalf("%s does not match", s)
		}
		b.Run(s, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				f.Match(d)
			}
		})
	}
}
