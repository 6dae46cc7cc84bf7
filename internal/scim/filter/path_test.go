package filter

import (
	"reflect"
	"strings"
	"testing"
)

func TestParsePath(t *testing.T) {
	work := cmp(at("type"), OpEq, str("work"))
	for _, tc := range []struct {
		in   string
		want Path
	}{
		{`userName`, Path{Attr: at("userName")}},
		{`active`, Path{Attr: at("active")}},
		{`name.givenName`, Path{Attr: sub("name", "givenName")}},
		{`members`, Path{Attr: at("members")}},
		{`  userName  `, Path{Attr: at("userName")}},
		{`emails[type eq "work"]`, Path{Attr: at("emails"), Filter: work}},
		{`emails[type eq "work"].value`, Path{Attr: at("emails"), Filter: work, Sub: "value"}},
		{`emails[ type eq "work" ].value`, Path{Attr: at("emails"), Filter: work, Sub: "value"}},
		{`emails [type eq "work"]`, Path{Attr: at("emails"), Filter: work}},
		{`members[value eq "2819c223-7f76-453a-919d-413861904646"]`,
			Path{Attr: at("members"), Filter: cmp(at("value"), OpEq, str("2819c223-7f76-453a-919d-413861904646"))}},
		{`members[value eq 2819c223-7f76-453a-919d-413861904646]`,
			Path{Attr: at("members"), Filter: cmp(at("value"), OpEq, bare("2819c223-7f76-453a-919d-413861904646"))}},
		{`addresses[type eq "work" and primary eq true].streetAddress`,
			Path{Attr: at("addresses"), Filter: and(work, cmp(at("primary"), OpEq, boolean(true))), Sub: "streetAddress"}},
		{`emails[not (type eq "work")]`, Path{Attr: at("emails"), Filter: not(work)}},
		{enterprise + `:manager`, Path{Attr: urn(enterprise, "manager", "")}},
		{enterprise + `:manager.value`, Path{Attr: urn(enterprise, "manager", "value")}},
		{enterprise + `:employeeNumber`, Path{Attr: urn(enterprise, "employeeNumber", "")}},
		{coreUser + `:name.familyName`, Path{Attr: urn(coreUser, "name", "familyName")}},
		{coreUser + `:emails[type eq "work"].value`, Path{Attr: urn(coreUser, "emails", ""), Filter: work, Sub: "value"}},
		// A bare schema URN parses as its last segment under the rest; the caller
		// recognises it through AttrPath.String (see the AttrPath doc).
		{enterprise, Path{Attr: urn("urn:ietf:params:scim:schemas:extension:enterprise:2.0", "User", "")}},
		{`members.$ref`, Path{Attr: sub("members", "$ref")}},
		{`DisplayName`, Path{Attr: at("DisplayName")}},
	} {
		t.Run(tc.in, func(t *testing.T) {
			got, err := ParsePath(tc.in)
			if err != nil {
				t.Fatalf("ParsePath(%q): %v", tc.in, err)
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Fatalf("ParsePath(%q)\n got %s  %#v\nwant %s  %#v", tc.in, got, got, tc.want, tc.want)
			}
		})
	}
}

func TestParsePathBareURN(t *testing.T) {
	p, err := ParsePath(enterprise)
	if err != nil {
		t.Fatal(err)
	}
	if p.Attr.String() != enterprise {
		t.Fatalf("Attr.String() = %q, want the whole URN %q", p.Attr.String(), enterprise)
	}
}

func TestParsePathErrors(t *testing.T) {
	for _, tc := range []errCase{
		{"empty", ``, 0, "=empty path"},
		{"blank", `   `, 0, "=empty path"},
		{"filter not path", `userName eq "x"`, 9, `=trailing input "eq" at position 9 (expected the end of the path (a path is attr, attr.sub, attr[filter] or attr[filter].sub))`},
		{"too many dots", `name.givenName.x`, 14, `too many '.' in attribute path "name.givenName.x" at position 14`},
		{"empty sub", `name.`, 5, `=expected a sub-attribute name at position 5`},
		{"starts with bracket", `[type eq "work"]`, 0, `=expected an attribute name at position 0, found "[type"`},
		{"empty filter", `emails[]`, 6, `=empty value filter at position 6`},
		{"unterminated filter", `emails[type eq "work"`, 21, `=missing ']' to close the '[' at position 6 (the path ends at position 21)`},
		{"unterminated string", `emails[type eq "work]`, 15, `=unterminated string starting at position 15 (no closing '"')`},
		{"no operator", `emails[type]`, 11, `expected an operator (eq, ne, co, sw, ew, gt, ge, lt, le, pr) after "type" at position 11, found "]"`},
		{"sub without name", `emails[type eq "work"].`, 23, `=expected a sub-attribute name at position 23`},
		{"sub bad name", `emails[type eq "work"].1x`, 23, `invalid sub-attribute name "1x" at position 23`},
		{"two subs", `emails[type eq "work"].value.x`, 28, `trailing input ".x" at position 28`},
		{"stuff after filter", `emails[type eq "work"] x`, 23, `trailing input "x" at position 23`},
		{"filter on sub", `name.givenName[type eq "x"]`, 14, `not to the sub-attribute "name.givenName"`},
		{"nested filter", `emails[value[type pr]]`, 12, `cannot contain another value filter`},
		{"unbalanced", `emails[type pr]]`, 15, `=unbalanced ']' at position 15`},
		{"urn without attr", enterprise + `:`, len(enterprise) + 1, `expected an attribute name after the schema URN`},
		{"bad char", `user name`, 5, `trailing input "name" at position 5`},
		{"invalid name", `9lives`, 0, `invalid attribute name "9lives"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ParsePath(tc.in)
			checkErr(t, tc.in, err, tc.pos, tc.msg)
		})
	}
}

func TestParsePathLimits(t *testing.T) {
	long := "a" + strings.Repeat("b", DefaultMaxLen)
	_, err := ParsePath(long)
	checkErr(t, long, err, DefaultMaxLen, "=path is 4097 bytes long; the limit is 4096 bytes")

	in := `emails[(((type pr)))]`
	if _, err := ParsePathWithLimits(in, Limits{MaxDepth: 4}); err != nil {
		t.Fatalf("depth 4: %v", err)
	}
	_, err = ParsePathWithLimits(in, Limits{MaxDepth: 3})
	checkErr(t, in, err, 9, "=path nests deeper than the limit of 3 levels (parentheses, not and value filters) at position 9")
}
