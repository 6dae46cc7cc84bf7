package scim

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
)

// roundTrip is what the server did before RenderMembers: decode with UseNumber, encode.
func roundTrip(raw []byte) ([]byte, error) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, err
	}
	if dec.More() {
		return nil, fmt.Errorf("trailing data")
	}
	return json.Marshal(v)
}

func TestCanonicalMembers(t *testing.T) {
	cases := []struct {
		raw  string
		keys []string // nil: not canonical
	}{
		{`{}`, []string{}},
		{`{"a":1,"b":"x","c":[true,false,null],"d":{"e":-0.5e+3}}`, []string{"a", "b", "c", "d"}},
		{`{"a":"\u003c\u003e\u0026\u2028\u2029\n\r\t\b\f\u0001\u001f\"\\"}`, []string{"a"}},
		{`{"a":"é ☃ 😀 ` + "\uFFFD" + `"}`, []string{"a"}},
		{`{"B":1,"a":2,"b":3}`, []string{"B", "a", "b"}},
		// Not what encoding/json writes:
		{`{"b":1,"a":2}`, nil},                   // unsorted
		{`{"a":1,"a":2}`, nil},                   // repeated
		{`{"a":{"y":1,"x":2}}`, nil},             // unsorted inside
		{`{"a":[{"y":1,"x":2}]}`, nil},           // unsorted inside an array
		{`{"a": 1}`, nil},                        // whitespace
		{` {"a":1}`, nil},                        // whitespace
		{`{"a":1} `, nil},                        // trailing
		{`{"a":"<"}`, nil},                       // HTML escaping
		{`{"a":"\u00e9"}`, nil},                  // needless escape
		{`{"a":"\/"}`, nil},                      // needless escape
		{`{"a":"\u000a"}`, nil},                  // \n has a short form
		{`{"a":"\u000A"}`, nil},                  // upper-case hex
		{`{"a":"\ufffd"}`, nil},                  // decodes to U+FFFD, written back raw
		{"{\"a\":\"\xff\"}", nil},                // invalid UTF-8
		{"{\"a\":\"\u2028\"}", nil},              // must be escaped
		{"{\"a\":\"\x01\"}", nil},                // raw control character
		{`{"a\u003c":1}`, nil},                   // escaped key
		{`{"a":01}`, nil},                        // invalid number
		{`{"a":-}`, nil},                         // invalid number
		{`{"a":1.}`, nil},                        // invalid number
		{`{"a":1e}`, nil},                        // invalid number
		{`{"a":tru}`, nil},                       // truncated literal
		{`{"a":[1,]}`, nil},                      // trailing comma
		{`{"a":1,}`, nil},                        // trailing comma
		{`{"a"}`, nil},                           // no value
		{`{"a":"x`, nil},                         // unterminated
		{`[1]`, nil},                             // not an object
		{``, nil},                                // empty
		{`null`, nil},                            // not an object
		{`{"a":1}{"b":2}`, nil},                  // two objects
		{`{"a":"\u00`, nil},                      // truncated escape
		{`{"a":{"b":{"c":[[[]]]}},"b":[]}`, nil}, // fine but…
	}
	cases[len(cases)-1].keys = []string{"a", "b"} // …nested empties are canonical
	for _, c := range cases {
		ms, ok := CanonicalMembers([]byte(c.raw))
		if ok != (c.keys != nil) {
			t.Errorf("CanonicalMembers(%q) ok = %v, want %v", c.raw, ok, c.keys != nil)
			continue
		}
		var keys []string
		for _, m := range ms {
			keys = append(keys, m.Key)
		}
		if ok && !slices.Equal(keys, c.keys) && !(len(keys) == 0 && len(c.keys) == 0) {
			t.Errorf("CanonicalMembers(%q) keys = %q, want %q", c.raw, keys, c.keys)
		}
		// ok means exactly: the round trip writes raw back unchanged (but for escaped keys,
		// refused although canonical).
		if rt, err := roundTrip([]byte(c.raw)); err == nil && rt[0] == '{' && ok != (string(rt) == c.raw) && c.raw != `{"a\u003c":1}` {
			t.Errorf("%q: canonical = %v, but the round trip gives %q", c.raw, ok, rt)
		}
	}
}

// genValue makes a random JSON value with the strings, numbers and nesting that documents
// hold, including every character class encoding/json escapes.
func genValue(r *rand.Rand, depth int) any {
	switch n := r.IntN(10); {
	case n < 4 || depth > 2:
		return genString(r)
	case n < 5:
		return json.Number([]string{"0", "-1", "42", "3.25", "1e+21", "-0.5E-3", "12345678901234567890"}[r.IntN(7)])
	case n < 6:
		return r.IntN(2) == 0
	case n < 7:
		return nil
	case n < 8:
		l := make([]any, r.IntN(3))
		for i := range l {
			l[i] = genValue(r, depth+1)
		}
		return l
	default:
		m := map[string]any{}
		for range r.IntN(4) {
			m[genKey(r)] = genValue(r, depth+1)
		}
		return m
	}
}

func genString(r *rand.Rand) string {
	parts := []string{"a", "Z", " ", "é", "☃", "😀", "<", ">", "&", "\u2028", "\u2029", "\n", "\t", "\x01", "\x7f", `"`, `\`, "/", "\uFFFD", "user@example.com"}
	var b strings.Builder
	for range r.IntN(6) {
		b.WriteString(parts[r.IntN(len(parts))])
	}
	return b.String()
}

func genKey(r *rand.Rand) string {
	keys := []string{"a", "b", "value", "type", "primary", "display", "x-custom", "Z", "ünï", "a<b"}
	return keys[r.IntN(len(keys))]
}

// genUser makes a random stored User document: known attributes (some returned never or on
// request only), unknown ones, the enterprise extension with known and unknown members,
// and a custom extension.
func genUser(r *rand.Rand) map[string]any {
	d := map[string]any{}
	maybe := func(k string, v func() any) {
		if r.IntN(2) == 0 {
			d[k] = v()
		}
	}
	str := func() any { return genString(r) }
	maybe("schemas", func() any { return []any{URNUser, URNEnterpriseUser} })
	maybe("userName", str)
	maybe("nickName", str)
	maybe("title", str)
	maybe("name", func() any { return map[string]any{"givenName": genString(r), "familyName": genString(r)} })
	maybe("emails", func() any {
		return []any{map[string]any{"value": genString(r), "type": "work", "primary": true}}
	})
	maybe("phoneNumbers", func() any { return []any{map[string]any{"value": genString(r)}} })
	maybe("x-unknown", func() any { return genValue(r, 0) })
	if r.IntN(6) == 0 {
		d["password"] = genString(r) // returned never: the fast path must step aside
	}
	maybe(URNEnterpriseUser, func() any {
		e := map[string]any{}
		for _, k := range []string{"department", "employeeNumber", "costCenter"} {
			if r.IntN(2) == 0 {
				e[k] = genString(r)
			}
		}
		if r.IntN(5) == 0 {
			e["notAnAttribute"] = "x" // dropped by projectObject
		}
		if r.IntN(3) == 0 {
			e["manager"] = map[string]any{"value": genString(r), "displayName": genString(r)}
		}
		return e
	})
	maybe("urn:example:custom:2.0:User", func() any {
		if r.IntN(4) == 0 {
			return map[string]any{} // kept whole by default, left out under excludedAttributes
		}
		return map[string]any{"k": genValue(r, 0)}
	})
	return d
}

// TestRenderMembersMatchesProject compares RenderMembers with decode, overlay, Project and
// json.Marshal on generated documents: whenever RenderMembers answers, every byte must be
// the same; and it must answer for the documents it exists for.
func TestRenderMembersMatchesProject(t *testing.T) {
	for _, excluded := range []string{"", "groups", "emails,nickName", "meta", "id,schemas", "name"} {
		t.Run("excludedAttributes="+excluded, func(t *testing.T) {
			testRenderMembersMatchesProject(t, excluded)
		})
	}
}

func testRenderMembersMatchesProject(t *testing.T, excluded string) {
	r := rand.New(rand.NewPCG(1, 2))
	proj, err := ParseProjection(UserResourceType, "", excluded)
	if err != nil {
		t.Fatal(err)
	}
	answered, plain := 0, 0
	for i := range 5000 {
		stored, err := json.Marshal(genUser(r))
		if err != nil {
			t.Fatal(err)
		}
		ms, ok := CanonicalMembers(stored)
		if !ok {
			// The one thing json.Marshal writes that is not canonical: an escaped key.
			if !bytes.Contains(stored, []byte(`a\u003cb"`)) {
				t.Fatalf("#%d: json.Marshal output not canonical: %s", i, stored)
			}
			continue
		}
		set := map[string]any{"id": "u-1", "userName": genString(r), "active": r.IntN(2) == 0,
			"meta": map[string]any{"resourceType": "User", "version": `W/"3"`}}
		if r.IntN(2) == 0 {
			set["groups"] = []any{map[string]any{"value": "g-1", "display": genString(r), "type": "direct"}}
		}
		if r.IntN(3) == 0 {
			set["password"] = "never shown"
		}
		if r.IntN(4) == 0 { // a value the projection changes: the unknown member goes
			set[URNEnterpriseUser] = map[string]any{"department": genString(r), "notAnAttribute": 1}
		}
		if r.IntN(4) == 0 {
			set["title"] = json.RawMessage(jsonOf(t, genString(r)))
		}
		var del []string
		for _, k := range []string{"externalId", "displayName", "nickName", "groups"} {
			if _, isSet := set[k]; !isSet && r.IntN(2) == 0 {
				del = append(del, k)
			}
		}
		got, ok, err := proj.RenderMembers(ms, set, del)
		if err != nil {
			t.Fatal(err)
		}
		slow := doc(t, string(stored))
		for _, k := range del {
			delete(slow, k)
		}
		for k, v := range set {
			slow[k] = v
		}
		want := jsonOf(t, proj.Project(slow))
		_, hasPassword := slow["password"]
		ext, _ := slow[URNEnterpriseUser].(map[string]any)
		_, oddExt := ext["notAnAttribute"]
		if !hasPassword && !oddExt {
			plain++
			if !ok {
				t.Errorf("#%d: no answer for a document Project leaves whole: %s", i, stored)
			}
		}
		if !ok {
			continue
		}
		answered++
		if string(got) != want {
			t.Fatalf("#%d: stored %s\nRenderMembers %s\nProject       %s", i, stored, got, want)
		}
	}
	if answered == 0 || plain == 0 {
		t.Fatalf("answered %d, plain %d: the generator exercises nothing", answered, plain)
	}
	t.Logf("%d of 5000 rendered without decoding (%d plain documents)", answered, plain)
}

func TestAppendJSONString(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	for range 2000 {
		s := genString(r)
		if got, want := string(AppendJSONString([]byte("x"), s)), "x"+jsonOf(t, s); got != want {
			t.Fatalf("AppendJSONString(%q) = %s, want %s", s, got, want)
		}
	}
}

func TestRenderMembersOtherProjections(t *testing.T) {
	ms, ok := CanonicalMembers([]byte(`{"userName":"a"}`))
	if !ok {
		t.Fatal("not canonical")
	}
	for _, p := range [][2]string{{"userName", ""}, {"", "emails.type"}, {"userName", "emails"},
		{"", URNEnterpriseUser + ":department"}, {"", "urn:example:custom:2.0:User"}} {
		proj, err := ParseProjection(UserResourceType, p[0], p[1])
		if err != nil {
			t.Fatal(err)
		}
		if _, ok, _ := proj.RenderMembers(ms, nil, nil); ok {
			t.Errorf("attributes=%q excludedAttributes=%q: RenderMembers answered; it handles only the default projection and whole core exclusions", p[0], p[1])
		}
	}
}

func BenchmarkRenderUser(b *testing.B) {
	stored := []byte(`{"emails":[{"primary":true,"type":"work","value":"user-1@example.com"}],"name":{"familyName":"One","givenName":"User"},"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User":{"department":"Eng"}}`)
	set := map[string]any{"id": "0190-1", "userName": "user-1@example.com", "active": true,
		"meta": map[string]any{"resourceType": "User", "created": "2026-11-27T10:00:00Z", "version": `W/"1"`}}
	proj, _ := ParseProjection(UserResourceType, "", "")
	b.Run("RenderMembers", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			ms, _ := CanonicalMembers(stored)
			if _, ok, _ := proj.RenderMembers(ms, set, []string{"groups"}); !ok {
				b.Fatal("no answer")
			}
		}
	})
	b.Run("decode-Project-Marshal", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			d := doc(b, string(stored))
			for k, v := range set {
				d[k] = v
			}
			if _, err := json.Marshal(proj.Project(d)); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// TestMergeMembers: without a projection the merge is json.Marshal of the overlaid map,
// whatever the document holds (password, unknown extension members).
func TestMergeMembers(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	for i := range 2000 {
		d := genUser(r)
		stored, err := json.Marshal(d)
		if err != nil {
			t.Fatal(err)
		}
		ms, ok := CanonicalMembers(stored)
		if !ok {
			continue
		}
		set := map[string]any{"id": "u-1", "active": r.IntN(2) == 0, "meta": json.RawMessage(`{"version":"W/\"1\""}`)}
		del := []string{"nickName"}
		got, err := MergeMembers(ms, set, del)
		if err != nil {
			t.Fatal(err)
		}
		delete(d, "nickName")
		for k, v := range set {
			d[k] = v
		}
		if want := jsonOf(t, d); string(got) != want {
			t.Fatalf("#%d:\n got %s\nwant %s", i, got, want)
		}
	}
}
