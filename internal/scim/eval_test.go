package scim

import (
	"net/http"
	"testing"

	"github.com/rolecall/rolecall/internal/scim/filter"
)

const evalUser = `{
	"schemas":["urn:ietf:params:scim:schemas:core:2.0:User","urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"],
	"id":"2819c223-7f76-453a-919d-413861904646","externalId":"Ext-1",
	"meta":{"resourceType":"User","created":"2011-05-13T04:42:34Z","lastModified":"2011-05-13T06:42:34.5+02:00","version":"W/\"3\""},
	"userName":"Bjensen","displayName":"Babs Jensen","title":"Tour Guide","active":true,
	"name":{"familyName":"Jensen","givenName":"Barbara"},
	"emails":[{"value":"bjensen@example.com","type":"work","primary":true},{"value":"babs@jensen.org","type":"home"}],
	"phoneNumbers":[{"value":"555-555-5555","type":"work"}],
	"x509Certificates":[{"value":"TUlJRERqQ0NBL"}],
	"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User":{"employeeNumber":"701984","department":"Tour Operations",
		"manager":{"value":"26118915-6090-4610-87e4-49d8ca9f808d"}}
}`

func TestMatch(t *testing.T) {
	u := doc(t, evalUser)
	tests := []struct {
		filter string
		want   bool
	}{
		// strings, caseExact false
		{`userName eq "bjensen"`, true},
		{`USERNAME EQ "BJENSEN"`, true},
		{`userName eq "bjensen2"`, false},
		{`userName ne "bjensen"`, false},
		{`userName ne "other"`, true},
		{`userName co "JENS"`, true},
		{`userName sw "bj"`, true},
		{`userName sw O`, false}, // Entra's bare word
		{`userName ew "SEN"`, true},
		{`userName gt "a"`, true},
		{`userName gt "C"`, false}, // lexical, folded: "bjensen" < "c"
		{`userName ge "bjensen"`, true},
		{`userName lt "bz"`, true},
		{`userName le "BJENSEN"`, true},
		{`DisplayName eq "Babs Jensen"`, true},
		{`name.FamilyName eq Jensen`, true},
		{`name.familyName eq "jensen"`, true},
		// caseExact true
		{`id eq "2819c223-7f76-453a-919d-413861904646"`, true},
		{`id eq "2819C223-7F76-453A-919D-413861904646"`, false},
		{`externalId eq "ext-1"`, false},
		{`externalId eq "Ext-1"`, true},
		{`meta.version eq "W/\"3\""`, true},
		// booleans
		{`active eq true`, true},
		{`active eq false`, false},
		{`active ne false`, true},
		{`active eq "True"`, true},
		// presence
		{`title pr`, true},
		{`nickName pr`, false},
		{`emails pr`, true},
		{`addresses pr`, false},
		{`name.middleName pr`, false},
		{`not (nickName pr)`, true},
		{`nickName eq null`, true},
		{`title ne null`, true},
		{`nickName ne "x"`, true}, // ne is not(eq): absent is ne anything
		// multi-valued
		{`emails.value eq "babs@jensen.org"`, true},
		{`emails.Value co example.com or emails.Value co example.org`, true},
		{`emails co "jensen.org"`, true}, // complex without sub compares value
		{`emails.type eq "other"`, false},
		{`emails.value ne "babs@jensen.org"`, false},
		{`emails.primary eq true`, true},
		{`phoneNumbers.value sw "555"`, true},
		// value paths
		{`emails[type eq "work" and value co "example.com"]`, true},
		{`emails[type eq "home" and value co "example.com"]`, false},
		{`emails[type eq "work"].value eq "bjensen@example.com"`, true},
		{`emails[type eq "work"].value eq "babs@jensen.org"`, false}, // same element must match both
		{`emails[not (type eq "work")]`, true},
		// dates as instants
		{`meta.lastModified gt "2011-05-13T04:42:34Z"`, true},
		{`meta.lastModified eq "2011-05-13T04:42:34.5Z"`, true},
		{`meta.lastModified lt "2011-05-13T04:42:35Z"`, true},
		{`meta.created ge "2011-05-13T04:42:34Z"`, true},
		{`meta.created gt "2011-05-13T04:42:34Z"`, false},
		{`meta.Created gt 2015-10-10T14:38:21.8617979-07:00`, false},
		{`meta.Created gt 2010-10-10T14:38:21.8617979-07:00`, true},
		{`meta.created le "2011-05-13T06:42:34+02:00"`, true},
		// extension, URN-qualified
		{`urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber eq "701984"`, true},
		{`urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber eq 701984`, true},
		{`urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value eq "26118915-6090-4610-87e4-49d8ca9f808d"`, true},
		{`urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department co "operations"`, true},
		{`urn:ietf:params:scim:schemas:core:2.0:User:userName eq "bjensen"`, true},
		// logic
		{`userName eq "bjensen" and active eq true`, true},
		{`userName eq "x" or title eq "Tour Guide"`, true},
		{`not (userName eq "bjensen")`, false},
		{`name.FamilyName eq Employee and (emails.Value co example.com or emails.Value co example.org)`, false},
		// binary
		{`x509Certificates.value eq "TUlJRERqQ0NBL"`, true},
		{`x509Certificates.value eq "tUlJRERqQ0NBL"`, false},
	}
	for _, tc := range tests {
		t.Run(tc.filter, func(t *testing.T) {
			e, err := filter.Parse(tc.filter)
			if err != nil {
				t.Fatalf("parse: %v", err)
			}
			f, err := CompileFilter(UserResourceType, e)
			if err != nil {
				t.Fatalf("compile: %v", err)
			}
			if got := f.Match(u); got != tc.want {
				t.Errorf("Match = %v, want %v", got, tc.want)
			}
			if got := Match(UserResourceType, e, u); got != tc.want {
				t.Errorf("Match() = %v, want %v", got, tc.want)
			}
		})
	}
}

// TestMatchNumbers covers integer and decimal attributes, which the standard schemas do
// not have, with a test-only resource type.
func TestMatchNumbers(t *testing.T) {
	s := &Schema{ID: "urn:test:2.0:Thing", Name: "Thing", Attributes: []*Attribute{
		attr("count", TypeInteger, ""), attr("ratio", TypeDecimal, ""), attr("when", TypeDateTime, ""),
		attr("tags", TypeInteger, "", multi),
	}}
	s.index()
	rt := &ResourceType{ID: "Thing", Name: "Thing", Endpoint: "/Things", Schema: s}
	d := map[string]any{"count": 10.0, "ratio": "x", "tags": []any{1, 5}}
	d2 := doc(t, `{"count":10,"ratio":0.25,"tags":[1,5]}`)
	for _, tc := range []struct {
		f    string
		want bool
	}{
		{`count eq 10`, true}, {`count gt 9`, true}, {`count gt 10`, false}, {`count ge 10`, true},
		{`count lt 10.5`, true}, {`count le 9.99`, false}, {`count ne 10`, false}, {`count eq "10"`, true},
		{`ratio gt 0.2`, true}, {`ratio lt 0.25`, false}, {`tags eq 5`, true}, {`tags gt 6`, false},
	} {
		e, err := filter.Parse(tc.f)
		if err != nil {
			t.Fatal(err)
		}
		if got := Match(rt, e, d2); got != tc.want {
			t.Errorf("%s on json.Number doc = %v, want %v", tc.f, got, tc.want)
		}
		if tc.f == `ratio gt 0.2` || tc.f == `ratio lt 0.25` {
			continue // d has a non-number ratio
		}
		if got := Match(rt, e, d); got != tc.want {
			t.Errorf("%s on float64/int doc = %v, want %v", tc.f, got, tc.want)
		}
	}
	if Match(rt, &filter.Compare{Path: filter.AttrPath{Attr: "ratio"}, Op: filter.OpGt, Value: filter.Value{Kind: filter.KindNumber, Num: 0}}, d) {
		t.Errorf("a non-number value must not compare")
	}
}

func TestValidateFilter(t *testing.T) {
	tests := []struct {
		rt      *ResourceType
		filter  string
		mention string
	}{
		{UserResourceType, `employeeId eq "1"`, "employeeId"},
		{UserResourceType, `userName eq "a" and foo pr`, "foo"},
		{UserResourceType, `name.nickname eq "x"`, "nickname"},
		{UserResourceType, `emails[kind eq "work"]`, "kind"},
		{UserResourceType, `emails[type eq "work"].label eq "x"`, "label"},
		{UserResourceType, `urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:badge eq "1"`, "badge"},
		{UserResourceType, `urn:ietf:params:scim:schemas:extension:Custom:2.0:User:costCode eq "1"`, "unknown schema"},
		{UserResourceType, `active gt true`, "boolean"},
		{UserResourceType, `active co "t"`, "boolean"},
		{UserResourceType, `active eq "maybe"`, "boolean"},
		{UserResourceType, `meta.created gt "yesterday"`, "RFC 3339"},
		{UserResourceType, `meta.created gt 5`, "dateTime"},
		{UserResourceType, `x509Certificates.value gt "a"`, "binary"},
		{UserResourceType, `name eq "x"`, "complex"},
		{UserResourceType, `userName gt null`, "null"},
		{UserResourceType, `title eq true`, "quote"},
		{UserResourceType, `userName[value eq "x"]`, "complex"},
		{GroupResourceType, `userName eq "x"`, "userName"},
		{GroupResourceType, `members[display eq "x"].type eq "User"`, ""},
	}
	for _, tc := range tests {
		t.Run(tc.filter, func(t *testing.T) {
			e, err := filter.Parse(tc.filter)
			if err != nil {
				t.Fatalf("parse: %v", err)
			}
			err = ValidateFilter(tc.rt, e)
			if tc.mention == "" {
				if err != nil {
					t.Fatalf("want valid, got %v", err)
				}
				return
			}
			wantSCIMErr(t, err, http.StatusBadRequest, ScimTypeInvalidFilter, tc.mention)
			if Match(tc.rt, e, doc(t, evalUser)) {
				t.Errorf("an invalid filter must match nothing")
			}
		})
	}
}

func TestMatchGroupMembersInDoc(t *testing.T) {
	g := doc(t, `{"displayName":"Admins","members":[{"value":"u1","type":"User"},{"value":"u2"}]}`)
	for f, want := range map[string]bool{
		`members.value eq "u2"`:   true,
		`members[value eq "u3"]`:  false,
		`displayName eq "admins"`: true,
		`members pr`:              true,
		`members.type eq "user"`:  true, // members.type is not caseExact
	} {
		e, err := filter.Parse(f)
		if err != nil {
			t.Fatal(err)
		}
		if got := Match(GroupResourceType, e, g); got != want {
			t.Errorf("%s = %v, want %v", f, got, want)
		}
	}
}
