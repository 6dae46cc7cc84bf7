package scim

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
)

// FuzzPatch decodes arbitrary PATCH bodies and applies them to a user and a group. It
// must never panic; a successful result must not alias or modify the input, must encode
// as JSON, and must survive Normalize (so a PATCH cannot store what a PUT would refuse).
func FuzzPatch(f *testing.F) {
	seeds := []string{
		`{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"replace","path":"userName","value":"ryan3"}]}`,
		`{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"name":"addMember","op":"add","path":"members","value":[{"displayName":"new User","value":"u4"}]}]}`,
		`{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"remove","path":"members[value eq \"u4\"]"}]}`,
		`{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"Remove","path":"members","value":[{"value":"id"}]}]}`,
		`{"id":"g","Operations":[{"op":"add","path":"members","value":"string id 1"}],"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"]}`,
		`{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"Replace","path":"active","value":"False"}]}`,
		`{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"replace","value":{"id":"u-1","active":false,"name.givenName":"x","urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager":{"value":"m"}}}]}`,
		`{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"add","path":"emails[type eq \"work\"].value","value":"a@b"},{"op":"remove","path":"addresses[type eq \"work\"].country"}]}`,
		`{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"add","path":"urn:x:Custom:2.0:User","value":{"a":[1,{"b":null}]}}]}`,
		`{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"add","path":"emails","value":[{"value":"x","primary":true},{"value":"y","primary":"true"}]}]}`,
	}
	for _, s := range seeds {
		f.Add([]byte(s))
	}
	user := patchUser
	group := `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],"id":"g","displayName":"G"}`
	f.Fuzz(func(t *testing.T, body []byte) {
		req, err := DecodePatch(body)
		if err != nil {
			if AsError(err).Status != 400 {
				t.Fatalf("decode error not 400: %v", err)
			}
			return
		}
		for _, c := range []struct {
			rt  *ResourceType
			doc string
		}{{UserResourceType, user}, {GroupResourceType, group}} {
			in := doc(t, c.doc)
			before := jsonOf(t, in)
			res, err := ApplyPatch(c.rt, in, req.Operations)
			if jsonOf(t, in) != before {
				t.Fatalf("input modified")
			}
			if err != nil {
				if e := AsError(err); e.Status != 400 || e.ScimType == "" {
					t.Fatalf("apply error: %v", err)
				}
				continue
			}
			b, err := json.Marshal(res.Doc)
			if err != nil {
				t.Fatalf("result does not encode: %v", err)
			}
			back := doc(t, string(b))
			if _, err := Normalize(c.rt, back); err != nil {
				t.Fatalf("patched document fails Normalize: %v\n%s", err, b)
			}
			for _, op := range res.Members {
				for _, m := range op.Members {
					if strings.TrimSpace(m.Value) == "" {
						t.Fatalf("empty member id in %+v", op)
					}
				}
			}
		}
	})
}

// FuzzNormalize checks that Normalize never panics and is idempotent.
func FuzzNormalize(f *testing.F) {
	f.Add([]byte(patchUser))
	f.Add([]byte(projUser))
	f.Add([]byte(evalUser))
	f.Add([]byte(`{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"USERNAME":"bob","Active":"True","emails":{"value":"a"},"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager":"m"}`))
	f.Add([]byte(`{"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],"displayName":"G","members":[{"value":"u1","displayName":"x"},"u2"]}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		var m map[string]any
		dec := json.NewDecoder(strings.NewReader(string(body)))
		dec.UseNumber()
		if dec.Decode(&m) != nil || m == nil {
			return
		}
		for _, rt := range ResourceTypes() {
			out, err := Normalize(rt, m)
			if err != nil {
				if AsError(err).Status != 400 {
					t.Fatalf("error not 400: %v", err)
				}
				continue
			}
			again, err := Normalize(rt, out)
			if err != nil {
				t.Fatalf("normalised document fails Normalize: %v", err)
			}
			if jsonOf(t, again) != jsonOf(t, out) {
				t.Fatalf("not idempotent:\n%s\n%s", jsonOf(t, out), jsonOf(t, again))
			}
		}
	})
}

// FuzzCanonicalMembers checks the definition CanonicalMembers promises: it accepts raw only
// when decoding and re-encoding raw gives raw back, and refuses such a raw only for an
// escape (in an escaped key); it never panics.
func FuzzCanonicalMembers(f *testing.F) {
	for _, s := range []string{`{}`, `{"a":1,"b":[true,null,"x"]}`, `{"a":"\u003c\n"}`, `{"b":1,"a":2}`, `{"a":"\u00e9"}`, `{"a":{"c":1,"b":2}}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		ms, ok := CanonicalMembers(raw)
		rt, err := roundTrip(raw)
		same := err == nil && len(rt) > 0 && rt[0] == '{' && bytes.Equal(rt, raw)
		if (ok && !same) || (!ok && same && !bytes.Contains(raw, []byte(`\`))) {
			t.Fatalf("CanonicalMembers(%q) ok = %v, round trip %q (err %v)", raw, ok, rt, err)
		}
		if ok {
			var d map[string]json.RawMessage
			if err := json.Unmarshal(raw, &d); err != nil || len(d) != len(ms) {
				t.Fatalf("%q: %d members, decoded %d (%v)", raw, len(ms), len(d), err)
			}
			for _, m := range ms {
				if !bytes.Equal(d[m.Key], m.Value) {
					t.Fatalf("%q: member %q = %q, decoded %q", raw, m.Key, m.Value, d[m.Key])
				}
			}
		}
	})
}

// FuzzRenderMembers feeds arbitrary stored documents and server attributes through
// RenderMembers (default projection, and excludedAttributes=emails,groups) and MergeMembers:
// whenever the document is canonical and RenderMembers answers, its bytes must be those of
// decoding, overlaying, projecting and encoding; and MergeMembers' those of decoding,
// overlaying and encoding.
func FuzzRenderMembers(f *testing.F) {
	for _, s := range []string{
		`{"emails":[{"value":"a@b"}],"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"a"}`,
		`{"password":"x","urn:ietf:params:scim:schemas:extension:enterprise:2.0:User":{"department":"d","x":1}}`,
		`{"urn:example:c:2.0:User":{"k":[1,"\u003c"]},"x-other":null}`,
	} {
		f.Add([]byte(s), "u-1", true, "nickName")
	}
	var projs []*Projection
	for _, excluded := range []string{"", "emails,groups"} {
		proj, err := ParseProjection(UserResourceType, "", excluded)
		if err != nil {
			f.Fatal(err)
		}
		projs = append(projs, proj)
	}
	f.Fuzz(func(t *testing.T, stored []byte, id string, active bool, del string) {
		ms, ok := CanonicalMembers(stored)
		if !ok {
			return
		}
		set := map[string]any{"id": id, "active": active, "meta": map[string]any{"version": id}}
		dels := []string{del}
		if _, clash := set[del]; clash {
			dels = nil
		}
		want := func(proj *Projection) string {
			d := doc(t, string(stored))
			for _, k := range dels {
				delete(d, k)
			}
			for k, v := range set {
				d[k] = v
			}
			if proj != nil {
				return jsonOf(t, proj.Project(d))
			}
			return jsonOf(t, d)
		}
		for _, proj := range projs {
			if got, ok, err := proj.RenderMembers(ms, set, dels); err != nil {
				t.Fatal(err)
			} else if ok && string(got) != want(proj) {
				t.Fatalf("RenderMembers(%s):\n got %s\nwant %s", stored, got, want(proj))
			}
		}
		got, err := MergeMembers(ms, set, dels)
		if err != nil {
			t.Fatal(err)
		}
		if string(got) != want(nil) {
			t.Fatalf("MergeMembers(%s):\n got %s\nwant %s", stored, got, want(nil))
		}
	})
}
