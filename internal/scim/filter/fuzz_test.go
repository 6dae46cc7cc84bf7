package filter

import (
	"errors"
	"reflect"
	"testing"
)

// fuzzSeeds covers every construct and every error path the table tests know, so the fuzzer
// starts from inputs that reach deep into the parser.
var fuzzSeeds = []string{
	`userName eq "bjensen@example.com"`,
	`userName Eq "john"`,
	`title pr`,
	`a eq 1 or b eq 2 and c eq 3`,
	`(a eq 1 or b eq 2) and not (c eq 3)`,
	`not(not (a pr))`,
	`emails[type eq "work" and value co "@example.com"] or (userName sw "a" and not (active eq false))`,
	`emails[type eq "work"].value eq "x"`,
	`emails[type eq "work"].value pr`,
	`members[value eq "2819c223-7f76-453a-919d-413861904646"]`,
	`urn:ietf:params:scim:schemas:core:2.0:User:userName eq "x"`,
	`urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value eq "x"`,
	`urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber gt 10`,
	`userName sw O`,
	`userName eq Test_User_abc`,
	`meta.Created gt 2015-10-10T14:38:21.8617979-07:00`,
	`name.FamilyName eq Employee and (emails.Value co example.com or emails.Value co example.org)`,
	`a eq "\"\\\/\b\f\n\r\t\u00e9\ud83d\ude00\ud800"`,
	`a eq -12.5e+3 and b eq 0 and c eq TRUE and d eq null`,
	`members.$ref pr`,
	`a eq 007`,
	"a\teq\t1\r\nor b pr",
	`userName`,
	`userName eq`,
	`(a eq 1`,
	`a eq 1)`,
	`emails[]`,
	`emails[value[x pr]]`,
	`a eq "unterminated`,
	`a eq "\u12"`,
	`a eq 1e400`,
	`a.b.c eq 1`,
	`:a pr`,
	`not a eq 1`,
	`a pr and`,
	`((((((((((a pr))))))))))`,
	``,
}

var pathSeeds = []string{
	`userName`,
	`name.givenName`,
	`emails[type eq "work"]`,
	`emails[type eq "work"].value`,
	`members[value eq "2819c223-7f76-453a-919d-413861904646"]`,
	`urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager`,
	`urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value`,
	`urn:ietf:params:scim:schemas:extension:enterprise:2.0:User`,
	`addresses[type eq "work" and not (primary eq false)].streetAddress`,
	`members[value eq abc]`,
	`emails[type eq "work"`,
	`emails[type eq "work"].`,
	`name.`,
	`user name`,
	``,
}

func FuzzParse(f *testing.F) {
	for _, s := range fuzzSeeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		e, err := Parse(s)
		if err != nil {
			var se *SyntaxError
			if !errors.As(err, &se) {
				t.Fatalf("Parse(%q): error %T is not a *SyntaxError", s, err)
			}
			if se.Pos < 0 || se.Pos > len(s) || se.Msg == "" || se.Input != s {
				t.Fatalf("Parse(%q): bad SyntaxError %+v", s, se)
			}
			return
		}
		if e == nil {
			t.Fatalf("Parse(%q) returned nil, nil", s)
		}
		text := Format(e)
		// Format may add a few bytes (a space before "and"), so the re-parse lifts MaxLen.
		back, err := ParseWithLimits(text, Limits{MaxLen: 4*len(s) + 64})
		if err != nil {
			t.Fatalf("Parse(%q) ok, but its Format %q does not parse: %v", s, text, err)
		}
		if !reflect.DeepEqual(back, e) {
			t.Fatalf("round trip of %q via %q:\n got %#v\nwant %#v", s, text, back, e)
		}
		if again := Format(back); again != text {
			t.Fatalf("Format not stable: %q then %q", text, again)
		}
	})
}

func FuzzParsePath(f *testing.F) {
	for _, s := range pathSeeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		p, err := ParsePath(s)
		if err != nil {
			var se *SyntaxError
			if !errors.As(err, &se) {
				t.Fatalf("ParsePath(%q): error %T is not a *SyntaxError", s, err)
			}
			if se.Pos < 0 || se.Pos > len(s) || se.Msg == "" {
				t.Fatalf("ParsePath(%q): bad SyntaxError %+v", s, se)
			}
			return
		}
		if p.Attr.Attr == "" || (p.Filter == nil && p.Sub != "") || (p.Filter != nil && p.Attr.Sub != "") {
			t.Fatalf("ParsePath(%q) = %#v breaks the Path invariants", s, p)
		}
		text := p.String()
		back, err := ParsePathWithLimits(text, Limits{MaxLen: 4*len(s) + 64})
		if err != nil {
			t.Fatalf("ParsePath(%q) ok, but its String %q does not parse: %v", s, text, err)
		}
		if !reflect.DeepEqual(back, p) {
			t.Fatalf("round trip of %q via %q:\n got %#v\nwant %#v", s, text, back, p)
		}
	})
}
