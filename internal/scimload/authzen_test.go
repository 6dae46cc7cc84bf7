package scimload

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

// fakePDP is an AuthZEN decision point that allows exactly the (subject, action, resource)
// triples in allow, serves resource search from found, and remembers what it was sent.
type fakePDP struct {
	prefix string
	allow  map[string]bool
	found  map[string]int // subject id -> results of a resource search
	page   int            // search page size

	mu       sync.Mutex
	paths    map[string]int
	subjects map[string]bool
	bad      []string
}

func key(s, a, r string) string { return s + "|" + a + "|" + r }

func (f *fakePDP) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	f.mu.Lock()
	f.paths[r.URL.Path]++
	if r.Header.Get("Authorization") != "Bearer "+testToken || r.Header.Get("Content-Type") != "application/json" || r.Method != "POST" {
		f.bad = append(f.bad, fmt.Sprintf("%s %s %v", r.Method, r.URL.Path, r.Header))
	}
	f.mu.Unlock()
	type ent struct{ Type, ID string }
	type item struct {
		Subject  ent
		Action   struct{ Name string }
		Resource ent
		Page     *struct {
			Token string
			Limit int
		}
	}
	decide := func(it item) bool {
		f.mu.Lock()
		f.subjects[it.Subject.ID] = true
		f.mu.Unlock()
		return f.allow[key(it.Subject.ID, it.Action.Name, it.Resource.ID)]
	}
	switch strings.TrimPrefix(r.URL.Path, f.prefix) {
	case "/access/v1/evaluation":
		var it item
		if json.Unmarshal(body, &it) != nil {
			w.WriteHeader(400)
			return
		}
		if decide(it) {
			fmt.Fprint(w, `{"decision":true}`)
		} else {
			fmt.Fprint(w, `{}`) // a deny left out, as grpc-gateway writes it
		}
	case "/access/v1/evaluations":
		var b struct{ Evaluations []item }
		if json.Unmarshal(body, &b) != nil {
			w.WriteHeader(400)
			return
		}
		out := make([]map[string]bool, len(b.Evaluations))
		for i, it := range b.Evaluations {
			out[i] = map[string]bool{"decision": decide(it)}
		}
		_ = json.NewEncoder(w).Encode(map[string]any{"evaluations": out})
	case "/access/v1/search/resource":
		var it item
		if json.Unmarshal(body, &it) != nil {
			w.WriteHeader(400)
			return
		}
		n, start := f.found[it.Subject.ID], 0
		if it.Page != nil && it.Page.Token != "" {
			fmt.Sscan(it.Page.Token, &start)
		}
		end := min(n, start+f.page)
		res := []map[string]string{}
		for i := start; i < end; i++ {
			res = append(res, map[string]string{"type": "project", "id": fmt.Sprint("p", i)})
		}
		next := ""
		if end < n {
			next = fmt.Sprint(end)
		}
		_ = json.NewEncoder(w).Encode(map[string]any{"results": res, "page": map[string]string{"next_token": next}})
	default:
		w.WriteHeader(404)
	}
}

// writeRequests writes a requests file: n evaluations over users u0…u9 (odd ones allowed),
// and n searches.
func writeRequests(t *testing.T, n int) (evals, searches string, f *fakePDP) {
	t.Helper()
	dir := t.TempDir()
	f = &fakePDP{prefix: "/stores/S1", allow: map[string]bool{}, found: map[string]int{}, page: 7,
		paths: map[string]int{}, subjects: map[string]bool{}}
	var ev, se strings.Builder
	for i := range n {
		u := fmt.Sprintf("u%d@example.com", i%10)
		res := fmt.Sprint("proj-", i)
		allow := i%2 == 1
		if allow {
			f.allow[key(strings.ReplaceAll(u, "@", "_at_"), "read", res)] = true
		}
		fmt.Fprintf(&ev, `{"subject":{"type":"user","id":%q},"action":{"name":"read"},"resource":{"type":"project","id":%q},"expect":%v}`+"\n", u, res, allow)
		f.found[strings.ReplaceAll(u, "@", "_at_")] = i % 10 * 3
		fmt.Fprintf(&se, `{"subject":{"type":"user","id":%q},"action":{"name":"read"},"resource":{"type":"project"},"expect":%d}`+"\n", u, i%10*3)
	}
	evals, searches = filepath.Join(dir, "evaluations.jsonl"), filepath.Join(dir, "searches.jsonl")
	if err := os.WriteFile(evals, []byte(ev.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(searches, []byte(se.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	return evals, searches, f
}

func TestReadAuthzRequests(t *testing.T) {
	evals, searches, _ := writeRequests(t, 4)
	items, err := readAuthzRequests(evals, false, "_at_")
	if err != nil {
		t.Fatal(err)
	}
	want := `{"subject":{"id":"u1_at_example.com","type":"user"},"action":{"name":"read"},"resource":{"type":"project","id":"proj-1"}}`
	if len(items) != 4 || string(items[1].body) != want || !items[1].expectAllow || items[0].expectAllow || !items[0].hasExpect {
		t.Fatalf("items: %d, %s %+v", len(items), items[1].body, items[0])
	}
	if b := string(batchBody(items[:2])); !strings.HasPrefix(b, `{"evaluations":[{"subject"`) || strings.Count(b, `"action"`) != 2 {
		t.Fatalf("batch body %s", b)
	}
	s, err := readAuthzRequests(searches, true, "")
	if err != nil || s[3].expectCount != 9 {
		t.Fatalf("searches: %v %+v", err, s)
	}
	if b := string(searchBody(s[0].body, "t1", 5)); !strings.HasSuffix(b, `"page":{"limit":5,"token":"t1"}}`) || !json.Valid([]byte(b)) {
		t.Fatalf("search body %s", b)
	}
	if string(searchBody(s[0].body, "", 0)) != string(s[0].body) {
		t.Fatal("a search without page parameters must go as it is")
	}
	for _, bad := range []string{`{"subject":{}}`, `{`, ``} {
		p := filepath.Join(t.TempDir(), "r.jsonl")
		_ = os.WriteFile(p, []byte(bad), 0o644)
		if _, err := readAuthzRequests(p, false, ""); err == nil {
			t.Errorf("%q: accepted", bad)
		}
	}
	if _, err := (Config{BaseURL: "http://x", Workload: "authz-eval"}).withDefaults(); err == nil {
		t.Error("authz-eval without -requests accepted")
	}
}

func TestAuthzWorkloadsAgainstFakePDP(t *testing.T) {
	evals, searches, f := writeRequests(t, 50)
	srv := httptest.NewServer(f)
	defer srv.Close()
	base := Config{BaseURL: srv.URL, Token: testToken, PathPrefix: "/stores/S1", AtAs: "_at_", Concurrency: 3, BatchSize: 10}
	for _, tc := range []struct {
		workload, file string
		n              int
		path           string
		wantAllow      int64
		wantDecide     float64
	}{
		{"authz-eval", evals, 50, "/stores/S1/access/v1/evaluation", 25, 1},
		{"authz-batch", evals, 5, "/stores/S1/access/v1/evaluations", 25, 1},
		{"authz-search", searches, 50, "/stores/S1/access/v1/search/resource", 5 * (3 + 6 + 9 + 12 + 15 + 18 + 21 + 24 + 27), 0},
	} {
		c := base
		c.Workload, c.Requests, c.N = tc.workload, tc.file, tc.n
		res, err := Run(context.Background(), c)
		if err != nil {
			t.Fatalf("%s: %v", tc.workload, err)
		}
		if res.Errors != 0 || res.Ops != int64(tc.n) || *res.Mismatches != 0 || *res.Allowed != tc.wantAllow {
			t.Errorf("%s: %d ops %d errors %d mismatches %d allowed; %v", tc.workload, res.Ops, res.Errors, *res.Mismatches, *res.Allowed, res.ErrorDetails)
		}
		if (res.DecisionsPerS > 0) != (tc.wantDecide > 0) {
			t.Errorf("%s: %.1f decisions/s", tc.workload, res.DecisionsPerS)
		}
		if f.paths[tc.path] == 0 {
			t.Errorf("%s: nothing sent to %s (%v)", tc.workload, tc.path, f.paths)
		}
	}
	if len(f.bad) > 0 || len(f.subjects) != 10 || f.subjects["u1@example.com"] {
		t.Errorf("bad requests %v; subjects %v", f.bad, f.subjects)
	}
	// A wrong answer is a mismatch, not an error.
	c := base
	c.Workload, c.Requests, c.N, c.AtAs = "authz-eval", evals, 20, "" // the fake knows _at_ ids only: all deny
	res, err := Run(context.Background(), c)
	if err != nil || res.Errors != 0 || *res.Mismatches != 10 {
		t.Fatalf("%v: %+v", err, res)
	}
}
