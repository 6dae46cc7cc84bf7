package filter

import (
	"reflect"
	"testing"
)

func TestFormatCanonical(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{`userName eq "bjensen"`, `userName eq "bjensen"`},
		{`userName  EQ   "bjensen"`, `userName eq "bjensen"`},
		{`title PR`, `title pr`},
		{`a eq 1 OR b eq 2 AND c eq 3`, `a eq 1 or b eq 2 and c eq 3`},
		{`(a eq 1 or b eq 2) and c eq 3`, `(a eq 1 or b eq 2) and c eq 3`},
		{`((a eq 1 and b eq 2)) or c eq 3`, `a eq 1 and b eq 2 or c eq 3`},
		{`a eq 1 and (b eq 2 and c eq 3)`, `a eq 1 and (b eq 2 and c eq 3)`},
		{`(a eq 1 and b eq 2) and c eq 3`, `a eq 1 and b eq 2 and c eq 3`},
		{`a pr or (b pr or c pr)`, `a pr or (b pr or c pr)`},
		{`(a pr or b pr) or c pr`, `a pr or b pr or c pr`},
		{`NOT(a pr)`, `not (a pr)`},
		{`not ( a pr or b pr ) and c pr`, `not (a pr or b pr) and c pr`},
		{`emails [ type eq "work" ]`, `emails[type eq "work"]`},
		{`emails[type eq "work"].value EQ "x"`, `emails[type eq "work"].value eq "x"`},
		{`a eq "caf\u00e9 \"q\" \/ \\ \t"`, `a eq "café \"q\" / \\ \t"`},
		{`a eq "\u0001\b\f\n\r"`, `a eq "\u0001\b\f\n\r"`},
		{`a eq TRUE and b eq False and c eq nULL`, `a eq true and b eq false and c eq null`},
		{`a eq 1.50E+2`, `a eq 1.50E+2`},
		{`userName sw O`, `userName sw O`},
		{enterprise + `:manager.value eq "x"`, enterprise + `:manager.value eq "x"`},
	} {
		e, err := Parse(tc.in)
		if err != nil {
			t.Fatalf("Parse(%q): %v", tc.in, err)
		}
		if got := Format(e); got != tc.want {
			t.Errorf("Format(Parse(%q)) = %q, want %q", tc.in, got, tc.want)
		}
		if s := e.(interface{ String() string }).String(); s != tc.want {
			t.Errorf("String() = %q, want %q", s, tc.want)
		}
	}
}

// TestFormatShapes formats trees built by hand, including shapes the parser never returns
// (right-nested chains), and checks they read back as the same tree.
func TestFormatShapes(t *testing.T) {
	a, b, c := pr(at("a")), pr(at("b")), pr(at("c"))
	for _, tc := range []struct {
		e    Expr
		want string
	}{
		{and(a, and(b, c)), `a pr and (b pr and c pr)`},
		{and(or(a, b), c), `(a pr or b pr) and c pr`},
		{and(a, or(b, c)), `a pr and (b pr or c pr)`},
		{or(and(a, b), and(b, c)), `a pr and b pr or b pr and c pr`},
		{or(a, or(b, c)), `a pr or (b pr or c pr)`},
		{not(and(a, b)), `not (a pr and b pr)`},
		{and(not(a), not(or(b, c))), `not (a pr) and not (b pr or c pr)`},
		{vp(at("emails"), or(a, b)), `emails[a pr or b pr]`},
		{cmp(at("n"), OpEq, Value{Kind: KindNumber, Num: 2.5}), `n eq 2.5`},
		{cmp(at("s"), OpEq, Value{Kind: KindString, Str: "two words", Bare: true}), `s eq "two words"`},
		{cmp(at("s"), OpEq, Value{Kind: KindString, Str: "true", Bare: true}), `s eq "true"`},
	} {
		if got := Format(tc.e); got != tc.want {
			t.Errorf("Format = %q, want %q", got, tc.want)
		}
	}
	for _, e := range []Expr{and(a, and(b, c)), or(a, or(b, c)), and(or(a, b), or(b, c)), not(not(a))} {
		back, err := Parse(Format(e))
		if err != nil || !reflect.DeepEqual(back, e) {
			t.Errorf("round trip of %s: got %v, %v", Format(e), back, err)
		}
	}
	if Format(nil) != "" {
		t.Errorf("Format(nil) = %q", Format(nil))
	}
}

func TestStringers(t *testing.T) {
	for o, want := range map[Op]string{OpEq: "eq", OpNe: "ne", OpCo: "co", OpSw: "sw", OpEw: "ew",
		OpGt: "gt", OpGe: "ge", OpLt: "lt", OpLe: "le", OpPr: "pr", 0: "op(0)", 99: "op(99)"} {
		if o.String() != want {
			t.Errorf("Op(%d).String() = %q, want %q", o, o.String(), want)
		}
	}
	if s := urn(enterprise, "manager", "value").String(); s != enterprise+":manager.value" {
		t.Errorf("AttrPath.String() = %q", s)
	}
	for v, want := range map[Value]string{
		str(`a"b`): `"a\"b"`, bare("O"): "O", num("1e3", 1000): "1e3", boolean(true): "true",
		boolean(false): "false", null(): "null", {}: "",
	} {
		if v.String() != want {
			t.Errorf("%#v.String() = %q, want %q", v, v.String(), want)
		}
	}
	for _, in := range []string{`userName`, `name.givenName`, `emails[type eq "work"]`, `emails[type eq "work"].value`,
		enterprise + `:manager.value`, `members[value eq "x" or value eq y]`} {
		p, err := ParsePath(in)
		if err != nil {
			t.Fatal(err)
		}
		if p.String() != in {
			t.Errorf("Path.String() = %q, want %q", p.String(), in)
		}
	}
}
