package filter

import (
	"errors"
	"strconv"
	"strings"
	"testing"
)

type errCase struct {
	name string
	in   string
	pos  int
	msg  string // the whole message when it starts with "=", else a substring
}

func checkErr(t *testing.T, in string, err error, pos int, msg string) {
	t.Helper()
	if len(in) > 80 {
		// Keep failure output readable for the limit tests' huge inputs.
		in = in[:60] + "…(" + strconv.Itoa(len(in)) + " bytes)"
	}
	if err == nil {
		t.Fatalf("%q: parsed, want error %q", in, msg)
	}
	var se *SyntaxError
	if !errors.As(err, &se) {
		t.Fatalf("%q: error %T is not a *SyntaxError", in, err)
	}
	if len(se.Input) <= 80 && se.Input != in {
		t.Errorf("%q: Input = %q", in, se.Input)
	}
	if se.Pos != pos {
		t.Errorf("%q: Pos = %d, want %d (%s)", in, se.Pos, pos, se.Msg)
	}
	if exact, ok := strings.CutPrefix(msg, "="); ok {
		if err.Error() != exact {
			t.Errorf("%q: message\n got %q\nwant %q", in, err.Error(), exact)
		}
	} else if !strings.Contains(err.Error(), msg) {
		t.Errorf("%q: message %q does not contain %q", in, err.Error(), msg)
	}
}

func TestParseErrors(t *testing.T) {
	for _, tc := range []errCase{
		{"empty", ``, 0, "=empty filter"},
		{"blank", " \t ", 0, "=empty filter"},
		{"no operator", `userName`, 8, `=expected an operator (eq, ne, co, sw, ew, gt, ge, lt, le, pr) after "userName" at position 8, found the end of the filter`},
		{"unknown operator", `userName is "x"`, 9, `=expected an operator (eq, ne, co, sw, ew, gt, ge, lt, le, pr) after "userName" at position 9, found "is"`},
		{"operator glued to word", `userName eqx "x"`, 9, `after "userName" at position 9, found "eqx"`},
		{"operator glued to digit", `a eq1`, 2, `after "a" at position 2`},
		{"symbol operator", `userName = "x"`, 9, `found "="`},
		{"symbol glued", `userName=x`, 8, `found "=x"`},
		{"not without paren", `not userName eq "x"`, 4, `=expected '(' after "not" at position 0 (write not (…))`},
		{"missing value", `userName eq`, 11, `=expected a value after "eq" at position 11 (a "string", number, true, false or null), found the end of the filter`},
		{"missing value before paren", `(userName eq )`, 13, `expected a value after "eq" at position 13`},
		{"missing value before bracket", `emails[value eq]`, 15, `expected a value after "eq" at position 15`},
		{"value is paren", `a eq (b)`, 5, `expected a value after "eq" at position 5`},
		{"unterminated string", `userName eq "bjensen`, 12, `=unterminated string starting at position 12 (no closing '"')`},
		{"unterminated after escape", `a eq "x\"`, 5, `unterminated string starting at position 5`},
		{"backslash at end", `a eq "x\`, 5, `unterminated string starting at position 5`},
		{"bad escape", `a eq "a\qb"`, 7, `invalid escape "\\q" in string at position 7`},
		{"short unicode escape", `a eq "\u12"`, 6, `invalid \u escape at position 6`},
		{"bad hex", `a eq "\u12g4"`, 6, `invalid \u escape at position 6`},
		{"NUL escape", `userName eq "a\u0000"`, 14, `\u0000 (NUL) at position 14 is not allowed`},
		{"control char", "a eq \"x\ty\"", 7, `control character '\t' in string at position 7`},
		{"control char after escape", "a eq \"\\n\x01\"", 8, `control character '\x01' in string at position 8`},
		{"quote in bare", `a eq ab"c"`, 7, `unexpected '"' in the unquoted value starting at position 5`},
		{"paren in bare", `a eq f(x)`, 6, `unexpected '(' in the unquoted value starting at position 5`},
		{"number out of range", `a eq 1e400`, 5, `=number 1e400 at position 5 is out of range`},
		{"unbalanced close paren", `userName eq "bjensen" and x pr)`, 30, `=unbalanced ')' at position 30`},
		{"unbalanced close bracket", `a pr]`, 4, `=unbalanced ']' at position 4`},
		{"missing close paren", `(a eq 1 and b pr`, 16, `=missing ')' to close the '(' at position 0 (the filter ends at position 16)`},
		{"missing close bracket", `emails[type eq "work"`, 21, `missing ']' to close the '[' at position 6`},
		{"mismatched close", `(a eq 1]`, 7, `unbalanced ']' at position 7 (the '(' at position 0 is still open)`},
		{"mismatched close bracket", `emails[type eq "x")`, 18, `unbalanced ')' at position 18 (the '[' at position 6 is still open)`},
		{"garbage in parens", `(a eq 1 b)`, 8, `unexpected "b)" at position 8 (expected and, or or ')')`},
		{"trailing input", `userName eq "x" xyz`, 16, `=trailing input "xyz" at position 16 (expected and, or or the end of the filter)`},
		{"trailing string", `title pr "x"`, 9, `trailing input "\"x\"" at position 9`},
		{"value filter then op", `emails[type eq "work"] eq "x"`, 23, `trailing input "eq" at position 23`},
		{"dangling and", `a pr and`, 8, `=expected an attribute path, '(' or "not (" at position 8, but the filter ends there`},
		{"dangling or", `a pr or  `, 9, `expected an attribute path`},
		{"and then close", `(a pr and)`, 9, `expected an attribute path, '(' or "not (" at position 9, found ')'`},
		{"empty parens", `()`, 1, `expected an attribute path, '(' or "not (" at position 1, found ')'`},
		{"not empty", `not ()`, 5, `expected an attribute path`},
		{"starts with and", `and`, 3, `after "and" at position 3`},
		{"starts with string", `"x" eq a`, 0, `=expected an attribute name at position 0, found "\"x\""`},
		{"empty value filter", `emails[]`, 6, `=empty value filter at position 6`},
		{"empty value filter spaces", `emails[ ]`, 6, `empty value filter at position 6`},
		{"nested value filter", `emails[value[x pr]]`, 12, `a value filter cannot contain another value filter ('[' at position 12)`},
		{"value filter on sub", `name.givenName[x pr]`, 14, `not to the sub-attribute "name.givenName"`},
		{"entra then without op", `emails[type eq "work"].value`, 28, `after "emails[type eq \"work\"].value" at position 28`},
		{"entra then no name", `emails[type eq "work"]. eq "x"`, 23, `expected a sub-attribute name at position 23`},
		{"entra then bad name", `emails[type eq "work"].9 eq "x"`, 23, `invalid sub-attribute name "9"`},
		{"too many dots", `a.b.c eq 1`, 3, `too many '.' in attribute path "a.b.c" at position 3`},
		{"empty sub", `name. eq 1`, 5, `expected a sub-attribute name at position 5`},
		{"empty attr before dot", `.x eq 1`, 0, `expected an attribute name at position 0`},
		{"empty urn", `:userName eq 1`, 0, `expected a schema URN before ':' at position 0`},
		{"urn without attr", `urn:ietf:params:scim:schemas:core:2.0:User: eq "x"`, 43, `expected an attribute name after the schema URN "urn:ietf:params:scim:schemas:core:2.0:User" at position 43`},
		{"digit name", `1a eq 2`, 0, `invalid attribute name "1a" at position 0`},
		{"bad char in name", `user$name eq 2`, 4, `invalid attribute name "user$name" at position 0`},
		{"dash start", `-a pr`, 0, `invalid attribute name "-a"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse(tc.in)
			checkErr(t, tc.in, err, tc.pos, tc.msg)
		})
	}
}

func TestParseLimits(t *testing.T) {
	long := `userName eq "` + strings.Repeat("x", DefaultMaxLen) + `"`
	_, err := Parse(long)
	checkErr(t, long, err, DefaultMaxLen, "=filter is 4110 bytes long; the limit is 4096 bytes")

	if _, err := ParseWithLimits(long, Limits{MaxLen: 8192}); err != nil {
		t.Fatalf("raised MaxLen: %v", err)
	}
	_, err = ParseWithLimits(`a eq 1 and b eq 2`, Limits{MaxLen: 10})
	checkErr(t, `a eq 1 and b eq 2`, err, 10, "=filter is 17 bytes long; the limit is 10 bytes")

	nest := func(n int) string { return strings.Repeat("(", n) + "a pr" + strings.Repeat(")", n) }
	if _, err := Parse(nest(DefaultMaxDepth)); err != nil {
		t.Fatalf("depth %d: %v", DefaultMaxDepth, err)
	}
	in := nest(DefaultMaxDepth + 1)
	_, err = Parse(in)
	checkErr(t, in, err, DefaultMaxDepth, "=filter nests deeper than the limit of 32 levels (parentheses, not and value filters) at position 32")

	in = nest(3)
	_, err = ParseWithLimits(in, Limits{MaxDepth: 2})
	checkErr(t, in, err, 2, "the limit of 2 levels")

	// not, parentheses and brackets all count.
	in = `not (emails[type eq "x"])`
	if _, err := ParseWithLimits(in, Limits{MaxDepth: 2}); err != nil {
		t.Fatalf("depth 2: %v", err)
	}
	_, err = ParseWithLimits(in, Limits{MaxDepth: 1})
	checkErr(t, in, err, 11, "the limit of 1 levels")
	in = `not (not (a pr))`
	_, err = ParseWithLimits(in, Limits{MaxDepth: 1})
	checkErr(t, in, err, 5, "the limit of 1 levels")

	// Siblings do not add up: depth is nesting, not count.
	in = strings.Repeat("(a pr) and ", 100) + "(a pr)"
	if _, err := ParseWithLimits(in, Limits{MaxDepth: 1}); err != nil {
		t.Fatalf("siblings: %v", err)
	}

	// A caller cannot lift the depth past HardMaxDepth, so hostile nesting never recurses deeply.
	in = nest(HardMaxDepth + 1)
	_, err = ParseWithLimits(in, Limits{MaxDepth: 1 << 30, MaxLen: 1 << 20})
	checkErr(t, in, err, HardMaxDepth, "the limit of 256 levels")
	in = strings.Repeat("not (", 100000) + "a pr" + strings.Repeat(")", 100000)
	_, err = ParseWithLimits(in, Limits{MaxDepth: 1 << 30, MaxLen: 1 << 30})
	checkErr(t, in, err, 5*HardMaxDepth, "the limit of 256 levels")

	// A long flat chain is parsed by loops and is fine whatever its length.
	in = strings.Repeat("a pr or ", 50000) + "a pr"
	if _, err := ParseWithLimits(in, Limits{MaxLen: 1 << 20}); err != nil {
		t.Fatalf("long chain: %v", err)
	}
}
