package filter

import (
	"reflect"
	"testing"
)

// Tree builders keep the expected values in the tables readable.

func at(attr string) AttrPath            { return AttrPath{Attr: attr} }
func sub(attr, s string) AttrPath        { return AttrPath{Attr: attr, Sub: s} }
func urn(uri, attr, s string) AttrPath   { return AttrPath{URI: uri, Attr: attr, Sub: s} }
func str(s string) Value                 { return Value{Kind: KindString, Str: s} }
func bare(s string) Value                { return Value{Kind: KindString, Str: s, Bare: true} }
func num(s string, n float64) Value      { return Value{Kind: KindNumber, Str: s, Num: n} }
func boolean(b bool) Value               { return Value{Kind: KindBool, Bool: b} }
func null() Value                        { return Value{Kind: KindNull} }
func cmp(a AttrPath, o Op, v Value) Expr { return &Compare{Path: a, Op: o, Value: v} }
func pr(a AttrPath) Expr                 { return &Compare{Path: a, Op: OpPr} }
func and(l, r Expr) Expr                 { return &And{Left: l, Right: r} }
func or(l, r Expr) Expr                  { return &Or{Left: l, Right: r} }
func not(x Expr) Expr                    { return &Not{X: x} }
func vp(a AttrPath, f Expr) Expr         { return &ValuePath{Path: a, Filter: f} }
func vpThen(a AttrPath, f Expr, then Expr) Expr {
	return &ValuePath{Path: a, Filter: f, Then: then.(*Compare)}
}

const (
	coreUser   = "urn:ietf:params:scim:schemas:core:2.0:User"
	enterprise = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
)

type parseCase struct {
	name string
	in   string
	want Expr
}

func runParseCases(t *testing.T, cases []parseCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Parse(tc.in)
			if err != nil {
				t.Fatalf("Parse(%q): %v", tc.in, err)
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Fatalf("Parse(%q)\n got %s  %#v\nwant %s  %#v", tc.in, Format(got), got, Format(tc.want), tc.want)
			}
		})
	}
}

func TestParseOperators(t *testing.T) {
	runParseCases(t, []parseCase{
		{"eq", `userName eq "bjensen"`, cmp(at("userName"), OpEq, str("bjensen"))},
		{"ne", `userName ne "bjensen"`, cmp(at("userName"), OpNe, str("bjensen"))},
		{"co", `name.familyName co "O'Malley"`, cmp(sub("name", "familyName"), OpCo, str("O'Malley"))},
		{"sw", `userName sw "J"`, cmp(at("userName"), OpSw, str("J"))},
		{"ew", `userName ew "@example.com"`, cmp(at("userName"), OpEw, str("@example.com"))},
		{"gt", `meta.lastModified gt "2011-05-13T04:42:34Z"`, cmp(sub("meta", "lastModified"), OpGt, str("2011-05-13T04:42:34Z"))},
		{"ge", `meta.lastModified ge "2011-05-13T04:42:34Z"`, cmp(sub("meta", "lastModified"), OpGe, str("2011-05-13T04:42:34Z"))},
		{"lt", `meta.lastModified lt "2011-05-13T04:42:34Z"`, cmp(sub("meta", "lastModified"), OpLt, str("2011-05-13T04:42:34Z"))},
		{"le", `meta.lastModified le "2011-05-13T04:42:34Z"`, cmp(sub("meta", "lastModified"), OpLe, str("2011-05-13T04:42:34Z"))},
		{"pr", `title pr`, pr(at("title"))},
		{"pr then and", `title pr and userType eq "Employee"`, and(pr(at("title")), cmp(at("userType"), OpEq, str("Employee")))},
		{"upper EQ", `userName EQ "x"`, cmp(at("userName"), OpEq, str("x"))},
		{"mixed Eq", `userName Eq "x"`, cmp(at("userName"), OpEq, str("x"))},
		{"upper PR", `title PR`, pr(at("title"))},
		{"mixed sW", `userName sW "x"`, cmp(at("userName"), OpSw, str("x"))},
		{"no space before quote", `userName eq"x"`, cmp(at("userName"), OpEq, str("x"))},
		{"pr in parens", `(title pr)`, pr(at("title"))},
	})
}

func TestParseLogic(t *testing.T) {
	a, b, c := cmp(at("a"), OpEq, num("1", 1)), cmp(at("b"), OpEq, num("2", 2)), cmp(at("c"), OpEq, num("3", 3))
	runParseCases(t, []parseCase{
		{"and binds tighter than or", `a eq 1 or b eq 2 and c eq 3`, or(a, and(b, c))},
		{"and before or", `a eq 1 and b eq 2 or c eq 3`, or(and(a, b), c)},
		{"or is left-associative", `a eq 1 or b eq 2 or c eq 3`, or(or(a, b), c)},
		{"and is left-associative", `a eq 1 and b eq 2 and c eq 3`, and(and(a, b), c)},
		{"parens override", `(a eq 1 or b eq 2) and c eq 3`, and(or(a, b), c)},
		{"right parens", `a eq 1 and (b eq 2 or c eq 3)`, and(a, or(b, c))},
		{"right-nested or kept", `a eq 1 or (b eq 2 or c eq 3)`, or(a, or(b, c))},
		{"redundant parens", `((a eq 1))`, a},
		{"not", `not (a eq 1)`, not(a)},
		{"not binds tighter than and", `not (a eq 1) and b eq 2`, and(not(a), b)},
		{"not without space", `not(a eq 1)`, not(a)},
		{"not upper", `NOT (a eq 1)`, not(a)},
		{"not of or", `not (a eq 1 or b eq 2)`, not(or(a, b))},
		{"not not", `not (not (a eq 1))`, not(not(a))},
		{"keywords any case", `a eq 1 AND b eq 2 Or c eq 3`, or(and(a, b), c)},
		{"and before paren", `a eq 1 and(b eq 2)`, and(a, b)},
		{"attribute named not", `not pr`, pr(at("not"))},
		{"attribute named and", `and eq 1`, cmp(at("and"), OpEq, num("1", 1))},
		{"attribute starting with or", `order eq 1 or orx pr`, or(cmp(at("order"), OpEq, num("1", 1)), pr(at("orx")))},
		{"rfc example", `userType eq "Employee" and (emails co "example.com" or emails.value co "example.org")`,
			and(cmp(at("userType"), OpEq, str("Employee")),
				or(cmp(at("emails"), OpCo, str("example.com")), cmp(sub("emails", "value"), OpCo, str("example.org"))))},
		{"rfc not example", `userType ne "Employee" and not (emails co "example.com" or emails.value co "example.org")`,
			and(cmp(at("userType"), OpNe, str("Employee")),
				not(or(cmp(at("emails"), OpCo, str("example.com")), cmp(sub("emails", "value"), OpCo, str("example.org")))))},
	})
}

func TestParseWhitespace(t *testing.T) {
	a := cmp(at("a"), OpEq, num("1", 1))
	runParseCases(t, []parseCase{
		{"leading and trailing", "  a eq 1 \t", a},
		{"tabs and runs", "a\t\teq   1", a},
		{"newlines", "a eq 1\r\nand\nb pr", and(a, pr(at("b")))},
		{"spaces in parens", "(  a eq 1  )", a},
		{"spaces in not", "not   (  a eq 1 )", not(a)},
		{"spaces in brackets", `emails[  type eq "work"  ]`, vp(at("emails"), cmp(at("type"), OpEq, str("work")))},
		{"space before bracket", `emails [type eq "work"]`, vp(at("emails"), cmp(at("type"), OpEq, str("work")))},
	})
}

func TestParseValuePaths(t *testing.T) {
	work := cmp(at("type"), OpEq, str("work"))
	runParseCases(t, []parseCase{
		{"simple", `emails[type eq "work"]`, vp(at("emails"), work)},
		{"rfc and", `emails[type eq "work" and value co "@example.com"]`,
			vp(at("emails"), and(work, cmp(at("value"), OpCo, str("@example.com"))))},
		{"members", `members[value eq "2819c223-7f76-453a-919d-413861904646"]`,
			vp(at("members"), cmp(at("value"), OpEq, str("2819c223-7f76-453a-919d-413861904646")))},
		{"nested logic", `emails[(type eq "work" or type eq "home") and not (primary eq false)]`,
			vp(at("emails"), and(or(work, cmp(at("type"), OpEq, str("home"))), not(cmp(at("primary"), OpEq, boolean(false)))))},
		{"pr inside", `addresses[postalCode pr]`, vp(at("addresses"), pr(at("postalCode")))},
		{"combined with or", `userType eq "Employee" and emails[type eq "work" and value co "@example.com"]`,
			and(cmp(at("userType"), OpEq, str("Employee")),
				vp(at("emails"), and(work, cmp(at("value"), OpCo, str("@example.com")))))},
		{"rfc two value paths", `emails[type eq "work" and value co "@example.com"] or ims[type eq "xmpp" and value co "@foo.com"]`,
			or(vp(at("emails"), and(work, cmp(at("value"), OpCo, str("@example.com")))),
				vp(at("ims"), and(cmp(at("type"), OpEq, str("xmpp")), cmp(at("value"), OpCo, str("@foo.com")))))},
		{"urn qualified", enterprise + `:manager[value eq "x"]`, vp(urn(enterprise, "manager", ""), cmp(at("value"), OpEq, str("x")))},
		{"bare value inside", `members[value eq abc]`, vp(at("members"), cmp(at("value"), OpEq, bare("abc")))},
		{"entra then", `emails[type eq "work"].value eq "x@example.com"`,
			vpThen(at("emails"), work, cmp(at("value"), OpEq, str("x@example.com")))},
		{"entra then pr", `emails[type eq "work"].value pr`, vpThen(at("emails"), work, pr(at("value")))},
		{"entra then bare and", `emails[type eq "work"].value eq x and active eq true`,
			and(vpThen(at("emails"), work, cmp(at("value"), OpEq, bare("x"))), cmp(at("active"), OpEq, boolean(true)))},
		{"entra then in parens", `(addresses[type eq "work"].locality co "Paris")`,
			vpThen(at("addresses"), work, cmp(at("locality"), OpCo, str("Paris")))},
	})
}

func TestParseAttrPaths(t *testing.T) {
	runParseCases(t, []parseCase{
		{"core urn", coreUser + `:userName eq "bjensen"`, cmp(urn(coreUser, "userName", ""), OpEq, str("bjensen"))},
		{"core urn sub", coreUser + `:name.givenName eq "Barbara"`, cmp(urn(coreUser, "name", "givenName"), OpEq, str("Barbara"))},
		{"enterprise sub", enterprise + `:manager.value eq "26118915-6090-4610-87e4-49d8ca9f808d"`,
			cmp(urn(enterprise, "manager", "value"), OpEq, str("26118915-6090-4610-87e4-49d8ca9f808d"))},
		{"enterprise attr", enterprise + `:employeeNumber eq "701984"`, cmp(urn(enterprise, "employeeNumber", ""), OpEq, str("701984"))},
		{"case preserved", `DisplayName eq "x"`, cmp(at("DisplayName"), OpEq, str("x"))},
		{"sub case preserved", `name.FamilyName eq "x"`, cmp(sub("name", "FamilyName"), OpEq, str("x"))},
		{"name chars", `x-y_z9 pr`, pr(at("x-y_z9"))},
		{"$ref", `members.$ref pr`, pr(sub("members", "$ref"))},
		{"$ref top", `$ref eq "x"`, cmp(at("$ref"), OpEq, str("x"))},
		{"custom urn", `urn:example:custom:1.0:Thing:widgetCount gt 3`, cmp(urn("urn:example:custom:1.0:Thing", "widgetCount", ""), OpGt, num("3", 3))},
	})
}

func TestParseLiterals(t *testing.T) {
	runParseCases(t, []parseCase{
		{"empty string", `a eq ""`, cmp(at("a"), OpEq, str(""))},
		{"escaped quote", `a eq "say \"hi\""`, cmp(at("a"), OpEq, str(`say "hi"`))},
		{"all simple escapes", `a eq "\\\/\b\f\n\r\t"`, cmp(at("a"), OpEq, str("\\/\b\f\n\r\t"))},
		{"unicode escape", `a eq "caf\u00e9"`, cmp(at("a"), OpEq, str("café"))},
		{"unicode escape upper hex", `a eq "\u00E9\u00c9"`, cmp(at("a"), OpEq, str("éÉ"))},
		{"surrogate pair", `a eq "\ud83d\ude00!"`, cmp(at("a"), OpEq, str("😀!"))},
		{"lone high surrogate", `a eq "\ud83dx"`, cmp(at("a"), OpEq, str("\uFFFDx"))},
		{"lone low surrogate", `a eq "\ude00"`, cmp(at("a"), OpEq, str("\uFFFD"))},
		{"high then non-low", `a eq "\ud83d\u0041"`, cmp(at("a"), OpEq, str("\uFFFDA"))},
		{"raw utf8", `a eq "Zoë 北京"`, cmp(at("a"), OpEq, str("Zoë 北京"))},
		{"brackets in string", `a eq "x)]( and or"`, cmp(at("a"), OpEq, str("x)]( and or"))},
		{"int", `a eq 42`, cmp(at("a"), OpEq, num("42", 42))},
		{"negative", `a gt -1`, cmp(at("a"), OpGt, num("-1", -1))},
		{"zero", `a eq 0`, cmp(at("a"), OpEq, num("0", 0))},
		{"fraction", `a lt 1.5`, cmp(at("a"), OpLt, num("1.5", 1.5))},
		{"exponent", `a ge 1e3`, cmp(at("a"), OpGe, num("1e3", 1000))},
		{"full number", `a le -12.50E-2`, cmp(at("a"), OpLe, num("-12.50E-2", -0.125))},
		{"true", `active eq true`, cmp(at("active"), OpEq, boolean(true))},
		{"false", `active eq false`, cmp(at("active"), OpEq, boolean(false))},
		{"True", `active eq True`, cmp(at("active"), OpEq, boolean(true))},
		{"FALSE", `active eq FALSE`, cmp(at("active"), OpEq, boolean(false))},
		{"null", `title eq null`, cmp(at("title"), OpEq, null())},
		{"NULL", `title ne NULL`, cmp(at("title"), OpNe, null())},
		{"quoted true is a string", `a eq "true"`, cmp(at("a"), OpEq, str("true"))},
		{"bare word", `userName sw O`, cmp(at("userName"), OpSw, bare("O"))},
		{"bare underscore", `userName eq Test_User_abc`, cmp(at("userName"), OpEq, bare("Test_User_abc"))},
		{"bare domain", `emails.Value co example.com`, cmp(sub("emails", "Value"), OpCo, bare("example.com"))},
		{"bare date", `meta.Created gt 2015-10-10T14:38:21.8617979-07:00`,
			cmp(sub("meta", "Created"), OpGt, bare("2015-10-10T14:38:21.8617979-07:00"))},
		{"bare leading zero", `employeeNumber eq 007`, cmp(at("employeeNumber"), OpEq, bare("007"))},
		{"bare not-quite number", `a eq 1.`, cmp(at("a"), OpEq, bare("1."))},
		{"bare plus", `a eq +1`, cmp(at("a"), OpEq, bare("+1"))},
		{"bare email", `userName eq bjensen@example.com`, cmp(at("userName"), OpEq, bare("bjensen@example.com"))},
		{"bare ends at paren", `(userName eq x)`, cmp(at("userName"), OpEq, bare("x"))},
		{"bare ends at bracket", `emails[value eq x]`, vp(at("emails"), cmp(at("value"), OpEq, bare("x")))},
		{"bare keyword-like", `a eq and`, cmp(at("a"), OpEq, bare("and"))},
		{"bare utf8", `a eq Zoë`, cmp(at("a"), OpEq, bare("Zoë"))},
	})
}

// TestParseStringSharesInput checks the no-escape fast path returns a substring of the input
// (one allocation per parse: the node), which is what keeps the parse inside its budget.
func TestParseStringSharesInput(t *testing.T) {
	in := `userName eq "bjensen@example.com"`
	e, err := Parse(in)
	if err != nil {
		t.Fatal(err)
	}
	got := e.(*Compare).Value.Str
	if got != "bjensen@example.com" {
		t.Fatalf("got %q", got)
	}
	if allocs := testing.AllocsPerRun(100, func() { _, _ = Parse(in) }); allocs > 1 {
		t.Fatalf("simple filter parse allocates %v times, want 1 (the Compare node)", allocs)
	}
}
