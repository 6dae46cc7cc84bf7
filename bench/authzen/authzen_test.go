package authzen

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// TestModelJSONMatchesDSL keeps model.json and model.fga in step: the same types, and each
// type the same relations.
func TestModelJSONMatchesDSL(t *testing.T) {
	var m struct {
		SchemaVersion string `json:"schema_version"`
		Types         []struct {
			Type      string                     `json:"type"`
			Relations map[string]json.RawMessage `json:"relations"`
		} `json:"type_definitions"`
	}
	if err := json.Unmarshal(ModelJSON, &m); err != nil {
		t.Fatal(err)
	}
	fromJSON := map[string][]string{}
	for _, td := range m.Types {
		fromJSON[td.Type] = []string{}
		for r := range td.Relations {
			fromJSON[td.Type] = append(fromJSON[td.Type], r)
		}
		slices.Sort(fromJSON[td.Type])
	}
	fromDSL := map[string][]string{}
	typ := regexp.MustCompile(`^type (\w+)$`)
	def := regexp.MustCompile(`^\s+define (\w+):`)
	cur := ""
	for _, line := range strings.Split(ModelDSL, "\n") {
		if g := typ.FindStringSubmatch(line); g != nil {
			cur = g[1]
			fromDSL[cur] = []string{}
		} else if g := def.FindStringSubmatch(line); g != nil {
			fromDSL[cur] = append(fromDSL[cur], g[1])
		}
	}
	for k := range fromDSL {
		slices.Sort(fromDSL[k])
	}
	if m.SchemaVersion != "1.1" || len(fromJSON) != len(fromDSL) {
		t.Fatalf("json %v\ndsl %v", fromJSON, fromDSL)
	}
	for k, v := range fromDSL {
		if !slices.Equal(v, fromJSON[k]) {
			t.Errorf("type %s: dsl %v, json %v", k, v, fromJSON[k])
		}
	}
}

func TestFloorOverHTTP(t *testing.T) {
	srv := httptest.NewServer(Floor("/stores/x"))
	defer srv.Close()
	post := func(path, body string) (int, string, http.Header) {
		req, _ := http.NewRequest("POST", srv.URL+path, strings.NewReader(body))
		req.Header.Set("X-Request-ID", "r1")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b), resp.Header
	}
	ev := `{"subject":{"type":"user","id":"a@example.com"},"action":{"name":"read"},"resource":{"type":"project","id":"p"},"extra":1}`
	if st, b, h := post("/stores/x/access/v1/evaluation", ev); st != 200 || b != `{"decision":true}` || h.Get("X-Request-ID") != "r1" {
		t.Fatalf("evaluation: %d %s %v", st, b, h)
	}
	if st, _, _ := post("/stores/x/access/v1/evaluation", `{"subject":{"type":"user","id":"a"}}`); st != 400 {
		t.Fatalf("incomplete evaluation: %d", st)
	}
	if st, _, _ := post("/stores/x/access/v1/evaluation", `{`); st != 400 {
		t.Fatalf("malformed evaluation: %d", st)
	}
	batch := `{"subject":{"type":"user","id":"a"},"evaluations":[{"action":{"name":"read"},"resource":{"type":"cloud","id":"c"}},{"action":{"name":"write"},"resource":{"type":"cloud","id":"c"}}]}`
	if st, b, _ := post("/stores/x/access/v1/evaluations", batch); st != 200 || b != `{"evaluations":[{"decision":true},{"decision":true}]}` {
		t.Fatalf("evaluations: %d %s", st, b)
	}
	if st, b, _ := post("/stores/x/access/v1/search/resource", `{"subject":{"type":"user","id":"a"},"action":{"name":"read"},"resource":{"type":"project"}}`); st != 200 || !strings.Contains(b, `"results":[]`) {
		t.Fatalf("search: %d %s", st, b)
	}
	if st, _, _ := post("/access/v1/evaluation", ev); st != 404 {
		t.Fatalf("outside the prefix: %d", st)
	}
}
