package authzen

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"testing"
)

// FuzzDecode feeds arbitrary bodies to every decoder. None may panic; every failure must
// be a *RequestError (a 400 naming what is wrong, never a 500); what decodes must decode
// the same after encoding it again; and a decoded evaluations request must be answerable,
// one decision per item under execute_all.
//
//	go test ./internal/authzen -run '^$' -fuzz FuzzDecode -fuzztime 60s
func FuzzDecode(f *testing.F) {
	files, _ := filepath.Glob(filepath.Join("testdata", "*", "*.json"))
	for _, name := range files {
		b, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte(`{"evaluations":[{},{"context":null}],"options":{"evaluations_semantic":"deny_on_first_deny"}}`))
	f.Add([]byte(`{"subject":{"type":"user"},"page":{"token":"AQ","limit":0}}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		check := func(what string, v any, err error, again func([]byte) (any, error)) {
			if err != nil {
				var re *RequestError
				if !errors.As(err, &re) || !errors.Is(err, ErrBadRequest) || re.Error() == "" {
					t.Fatalf("%s: %T %v is not a RequestError", what, err, err)
				}
				return
			}
			enc, err := json.Marshal(v)
			if err != nil {
				t.Fatalf("%s: re-encoding: %v", what, err)
			}
			w, err := again(enc)
			if err != nil {
				t.Fatalf("%s: %s decoded, but its re-encoding %s does not: %v", what, body, enc, err)
			}
			if !reflect.DeepEqual(normalize(t, v), normalize(t, w)) {
				t.Fatalf("%s: decoding is not stable:\n%s\n%s", what, enc, mustJSON(w))
			}
		}
		ev, err := DecodeEvaluation(body)
		check("evaluation", ev, err, func(b []byte) (any, error) { return DecodeEvaluation(b) })
		evs, err := DecodeEvaluations(body)
		check("evaluations", evs, err, func(b []byte) (any, error) { return DecodeEvaluations(b) })
		if err == nil && len(evs.Evaluations) <= MaxEvaluations {
			resp, err := Evaluations(context.Background(), newFake(), evs)
			if err != nil {
				t.Fatalf("evaluations: %v", err)
			}
			sem := ExecuteAll
			if evs.Options != nil && evs.Options.Semantic != "" {
				sem = evs.Options.Semantic
			}
			if n := len(evs.Evaluations); n > 0 && sem == ExecuteAll && len(resp.Evaluations) != n {
				t.Fatalf("%d decisions for %d items", len(resp.Evaluations), n)
			}
			if _, err := json.Marshal(resp); err != nil {
				t.Fatalf("response does not encode: %v", err)
			}
		}
		for _, k := range []SearchKind{SearchSubject, SearchResource, SearchAction} {
			s, err := DecodeSearch(k, body)
			check(k.String()+" search", s, err, func(b []byte) (any, error) { return DecodeSearch(k, b) })
			if err == nil {
				_, err := SearchSubjects(context.Background(), newFake(), "org", s)
				if err != nil && !errors.Is(err, ErrBadRequest) && k == SearchSubject {
					t.Fatalf("subject search: %v", err)
				}
			}
		}
	})
}

// normalize re-decodes v's JSON into generic values, so that equal requests compare equal
// whatever the spacing of their raw members.
func normalize(t *testing.T, v any) any {
	var out any
	if err := json.Unmarshal(mustJSON(v), &out); err != nil {
		t.Fatal(err)
	}
	return out
}

func mustJSON(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return b
}
