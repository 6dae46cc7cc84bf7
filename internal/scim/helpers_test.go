package scim

import (
	"bytes"
	"encoding/json"
	"errors"
	"strings"
	"testing"
)

// doc decodes a JSON object the way the server does (UseNumber).
func doc(t testing.TB, s string) map[string]any {
	t.Helper()
	dec := json.NewDecoder(strings.NewReader(s))
	dec.UseNumber()
	var m map[string]any
	if err := dec.Decode(&m); err != nil {
		t.Fatalf("bad test JSON %s: %v", s, err)
	}
	return m
}

// canon renders a value as compact JSON with sorted keys, for comparisons.
func jsonOf(t testing.TB, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatalf("marshal: %v", err)
	}
	return string(b)
}

// canonStr re-renders a JSON text canonically.
func canonStr(t testing.TB, s string) string {
	t.Helper()
	var v any
	dec := json.NewDecoder(bytes.NewReader([]byte(s)))
	dec.UseNumber()
	if err := dec.Decode(&v); err != nil {
		t.Fatalf("bad test JSON %s: %v", s, err)
	}
	return jsonOf(t, v)
}

// wantSCIMErr checks err is an *Error with the status and scimType, and that its detail
// mentions every word in mention.
func wantSCIMErr(t testing.TB, err error, status int, scimType string, mention ...string) {
	t.Helper()
	var e *Error
	if !errors.As(err, &e) {
		t.Fatalf("want *Error %d %s, got %v", status, scimType, err)
	}
	if e.Status != status || e.ScimType != scimType {
		t.Fatalf("want %d %s, got %d %s (%s)", status, scimType, e.Status, e.ScimType, e.Detail)
	}
	for _, m := range mention {
		if !strings.Contains(e.Detail, m) {
			t.Errorf("detail %q does not mention %q", e.Detail, m)
		}
	}
}
