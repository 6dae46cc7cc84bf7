package authzen

import (
	"encoding/json"
	"testing"
)

// The hand-written encoders must write exactly what encoding/json writes.

func FuzzAppendString(f *testing.F) {
	for _, s := range []string{"", "plain", `q"uote\back`, "<a&b>", "\x00\x1f\t\n\r\b\f", "\u2028\u2029", "é漢🙂", "bad\xff\xfeutf8", "\xed\xa0\x80"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		want, err := json.Marshal(s)
		if err != nil {
			t.Fatal(err)
		}
		if got := AppendString(nil, s); string(got) != string(want) {
			t.Fatalf("AppendString(%q) = %s, encoding/json writes %s", s, got, want)
		}
	})
}

func TestDecisionJSONMatchesEncodingJSON(t *testing.T) {
	for _, d := range []Decision{
		{Decision: true},
		{Decision: false, Context: json.RawMessage(`{"revision":3}`)},
		{Decision: true, Context: json.RawMessage(`{"a":[1,2],"b":{"c":"\u003cx\u003e"}}`)}, // contexts come HTML-escaped from their encoders
	} {
		type plain Decision // encoding/json's encoding, without the MarshalJSON method
		want, _ := json.Marshal(plain(d))
		got, _ := d.MarshalJSON()
		if string(got) != string(want) {
			t.Errorf("Decision %+v: MarshalJSON = %s, want %s", d, got, want)
		}
	}
	r := EvaluationsResponse{Evaluations: []Decision{{Decision: true}, {Context: json.RawMessage(`{"error":{"status":400}}`)}}}
	got, _ := r.MarshalJSON()
	if want := `{"evaluations":[{"decision":true},{"decision":false,"context":{"error":{"status":400}}}]}`; string(got) != want {
		t.Errorf("EvaluationsResponse = %s, want %s", got, want)
	}
	if got, _ := (EvaluationsResponse{}).MarshalJSON(); string(got) != `{"evaluations":[]}` {
		t.Errorf("empty EvaluationsResponse = %s", got)
	}
}
