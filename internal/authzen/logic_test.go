package authzen

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
)

func mustEvaluations(t *testing.T, body string) *EvaluationsRequest {
	t.Helper()
	r, err := DecodeEvaluations([]byte(body))
	if err != nil {
		t.Fatalf("%s: %v", body, err)
	}
	return r
}

func TestEvaluationsSemantics(t *testing.T) {
	// Items: alice/read/record-1 (T), bob/write/record-1 (F), {} missing everything but
	// the defaults' action (failed), alice/write/record-1 (T), bob/read/record-3 (F).
	items := `[
		{"subject":{"type":"user","id":"alice"},"resource":{"type":"record","id":"record-1"}},
		{"subject":{"type":"user","id":"bob"},"action":{"name":"write"},"resource":{"type":"record","id":"record-1"}},
		{},
		{"subject":{"type":"user","id":"alice"},"action":{"name":"write"},"resource":{"type":"record","id":"record-1"}},
		{"subject":{"type":"user","id":"bob"},"resource":{"type":"record","id":"record-3"}}]`
	tests := []struct {
		semantic string
		want     string
		asked    int // evaluations the PDP answered
	}{
		{"", "TFFTF", 4},
		{`"execute_all"`, "TFFTF", 4},
		{`"deny_on_first_deny"`, "TF", 2},
		{`"permit_on_first_permit"`, "T", 1},
	}
	for _, tt := range tests {
		t.Run(tt.semantic, func(t *testing.T) {
			opts := ""
			if tt.semantic != "" {
				opts = `,"options":{"evaluations_semantic":` + tt.semantic + `,"another_option":"value"}`
			}
			req := mustEvaluations(t, `{"action":{"name":"read"},"evaluations":`+items+opts+`}`)
			pdp := newFake()
			resp, err := Evaluations(context.Background(), pdp, req)
			if err != nil {
				t.Fatal(err)
			}
			if got := decisions(resp); got != tt.want || len(pdp.asked) != tt.asked || pdp.calls != 1 {
				t.Errorf("decisions %q after %d evaluations in %d calls, want %q after %d in 1", got, len(pdp.asked), pdp.calls, tt.want, tt.asked)
			}
			if len(resp.Evaluations) > 2 {
				var c struct {
					Error struct {
						Status  int    `json:"status"`
						Message string `json:"message"`
					} `json:"error"`
				}
				json.Unmarshal(resp.Evaluations[2].Context, &c)
				if c.Error.Status != 400 || c.Error.Message != "evaluations[2].subject: is required" {
					t.Errorf("failed item context: %s", resp.Evaluations[2].Context)
				}
			}
		})
	}
	// A failed item first stops deny_on_first_deny before the PDP is asked anything.
	req := mustEvaluations(t, `{"options":{"evaluations_semantic":"deny_on_first_deny"},"evaluations":[{},`+
		`{"subject":{"type":"user","id":"alice"},"action":{"name":"read"},"resource":{"type":"record","id":"record-1"}}]}`)
	pdp := newFake()
	resp, err := Evaluations(context.Background(), pdp, req)
	if err != nil || decisions(resp) != "F" || len(pdp.asked) != 0 {
		t.Errorf("failed first item: %q %v, PDP asked %q", decisions(resp), err, pdp.asked)
	}
	// Only failed items: the PDP is not called at all.
	req = mustEvaluations(t, `{"evaluations":[{},{"subject":{"type":"user"}}]}`)
	pdp = newFake()
	resp, err = Evaluations(context.Background(), pdp, req)
	if err != nil || decisions(resp) != "FF" || pdp.calls != 0 {
		t.Errorf("only failed items: %q %v, %d calls", decisions(resp), err, pdp.calls)
	}
}

func TestEvaluationsDefaults(t *testing.T) {
	// Whole-entity replacement: an item's resource replaces the default, it is not merged
	// with it; the item's context replaces the top-level one.
	req := mustEvaluations(t, `{
		"subject":{"type":"user","id":"alice"},
		"action":{"name":"write"},
		"resource":{"type":"record","id":"record-1","properties":{"status":"active"}},
		"context":{"time":"t0"},
		"evaluations":[{}, {"resource":{"type":"record","id":"record-2"},"context":{"time":"t1"}}, {"context":null}]}`)
	it := req.item(1)
	if it.Resource.ID != "record-2" || it.Resource.Properties != nil || string(it.Context) != `{"time":"t1"}` {
		t.Errorf("item 1: %+v %s %s", it.Resource, it.Resource.Properties, it.Context)
	}
	if it := req.item(0); it.Resource.ID != "record-1" || string(it.Context) != `{"time":"t0"}` || it.Subject.ID != "alice" {
		t.Errorf("item 0: %+v %s", it.Resource, it.Context)
	}
	if it := req.item(2); string(it.Context) != `{"time":"t0"}` {
		t.Errorf("item 2 (context null): %s", it.Context)
	}
	resp, err := Evaluations(context.Background(), newFake(), req)
	if err != nil || decisions(resp) != "TFT" {
		t.Errorf("%q %v", decisions(resp), err)
	}
}

func TestEvaluationsLimits(t *testing.T) {
	item := `{"subject":{"type":"user","id":"alice"},"action":{"name":"read"},"resource":{"type":"record","id":"record-1"}}`
	body := `{"evaluations":[` + strings.Repeat(item+",", MaxEvaluations) + item + `]}`
	req := mustEvaluations(t, body)
	if _, err := Evaluations(context.Background(), newFake(), req); !errors.Is(err, ErrBadRequest) {
		t.Errorf("%d items: %v, want a bad request", MaxEvaluations+1, err)
	}
	pdp := newFake()
	pdp.fail = errors.New("index unavailable")
	req = mustEvaluations(t, `{"evaluations":[`+item+`]}`)
	if _, err := Evaluations(context.Background(), pdp, req); err == nil || errors.Is(err, ErrBadRequest) {
		t.Errorf("PDP failure: %v, want it passed on (not a 400)", err)
	}
	if _, err := DecodeEvaluations([]byte(`{"options":{"evaluations_semantic":"all"},"evaluations":[` + item + `]}`)); err == nil ||
		!strings.HasPrefix(err.Error(), "options.evaluations_semantic: ") {
		t.Errorf("unknown semantic: %v", err)
	}
}

func TestDecodeErrors(t *testing.T) {
	ok := `"subject":{"type":"user","id":"alice"},"action":{"name":"read"},"resource":{"type":"record","id":"r"}`
	tests := []struct {
		body, want string
	}{
		{``, "the request body is empty; it must be a JSON object"},
		{"  \n", "the request body is empty; it must be a JSON object"},
		{`[]`, "the request body must be a JSON object"},
		{`null`, "the request body must be a JSON object"},
		{`{` + ok, "malformed JSON: the body ends too early"},
		{`{` + ok + `}{}`, "malformed JSON at byte 104: invalid character '{' after top-level value"},
		{`{` + ok + `,}`, "malformed JSON at byte 104: invalid character '}' looking for beginning of object key string"},
		{"{\"subject\":{\"type\":\"user\",\"id\":\"al\xffice\"}}", "the request body is not valid UTF-8"},
		{`{"subject":null,"action":{"name":"read"},"resource":{"type":"record","id":"r"}}`, "subject: is required"},
		{`{"subject":{"type":"user","id":""},"action":{"name":"read"},"resource":{"type":"record","id":"r"}}`, "subject.id: is required and must be a non-empty string"},
		{`{"subject":{"type":"user","id":7},"action":{"name":"read"},"resource":{"type":"record","id":"r"}}`, "subject.id: must be a string, not number"},
		{`{"subject":{"type":"user","id":"a","properties":[1]},"action":{"name":"read"},"resource":{"type":"record","id":"r"}}`, "subject.properties: must be an object"},
		{`{` + ok + `,"context":"now"}`, "context: must be an object"},
		{`{` + ok + `,"context":{"explain":"yes"}}`, "context.explain: must be a boolean, not string"},
		{`{` + ok + `,"context":{"min_revision":-1}}`, "context.min_revision: must be an integer, not number -1"},
		{`{"subject":{"type":"user","id":"a"},"action":["read"],"resource":{"type":"record","id":"r"}}`, "action: must be an object, not array"},
	}
	for _, tt := range tests {
		_, err := DecodeEvaluation([]byte(tt.body))
		if err == nil || err.Error() != tt.want || !errors.Is(err, ErrBadRequest) {
			t.Errorf("%q:\n got %v\nwant %s", tt.body, err, tt.want)
		}
	}
	r, err := DecodeEvaluation([]byte(`{` + ok + `,"context":{"explain":true,"min_revision":42,"time":"x"},"subject":{"type":"user","id":"bob","future":1}}`))
	if err != nil || r.Subject.ID != "bob" {
		t.Fatalf("%v %+v", err, r)
	}
	if c, err := ParseContext(r.Context); err != nil || !c.Explain || c.MinRevision != 42 {
		t.Errorf("context: %+v %v", c, err)
	}
}

// TestSearchPaging walks subject search pages with every limit and checks the tokens: the
// pages hold every result once in order, the last page's next_token is "", and a token is
// refused when anything but the token changes, or in another scope.
func TestSearchPaging(t *testing.T) {
	ctx := context.Background()
	pdp := newFake()
	for i := range 25 {
		pdp.users = append(pdp.users, fmt.Sprintf("user-%02d", i))
	}
	slices.Sort(pdp.users)
	all := []string{}
	for _, u := range pdp.users {
		if allowed(u, "read", "record-2") {
			all = append(all, u)
		}
	}
	body := func(limit, token string) []byte {
		page := ""
		switch {
		case limit != "" && token != "":
			page = `,"page":{"limit":` + limit + `,"token":"` + token + `"}`
		case limit != "":
			page = `,"page":{"limit":` + limit + `}`
		case token != "":
			page = `,"page":{"token":"` + token + `"}`
		}
		return []byte(`{"subject":{"type":"user"},"action":{"name":"read"},"resource":{"type":"record","id":"record-2"},"context":{"a":1}` + page + `}`)
	}
	for limit := 1; limit <= 31; limit += 3 {
		var got []string
		token := ""
		for pages := 0; ; pages++ {
			lim := fmt.Sprint(limit)
			if pages%2 == 1 {
				lim = "" // the spec's own example omits the limit on later pages
			}
			req, err := DecodeSearch(SearchSubject, body(lim, token))
			if err != nil {
				t.Fatal(err)
			}
			resp, err := SearchSubjects(ctx, pdp, "org-a", req)
			if err != nil {
				t.Fatalf("limit %d page %d: %v", limit, pages, err)
			}
			if resp.Page == nil || resp.Page.Count != len(resp.Results) || len(resp.Results) > limit {
				t.Fatalf("limit %d: page %+v with %d results", limit, resp.Page, len(resp.Results))
			}
			for _, r := range resp.Results {
				got = append(got, r.ID)
			}
			if resp.Page.NextToken == "" {
				break
			}
			token = resp.Page.NextToken
		}
		if !slices.Equal(got, all) {
			t.Errorf("limit %d: %q, want %q", limit, got, all)
		}
	}
	first, _ := DecodeSearch(SearchSubject, body("2", ""))
	resp, err := SearchSubjects(ctx, pdp, "org-a", first)
	if err != nil || resp.Page.NextToken == "" {
		t.Fatalf("%+v %v", resp, err)
	}
	tok := resp.Page.NextToken
	changed := map[string][]byte{
		"limit":    body("3", tok),
		"context":  []byte(`{"subject":{"type":"user"},"action":{"name":"read"},"resource":{"type":"record","id":"record-2"},"context":{"a":2},"page":{"token":"` + tok + `"}}`),
		"action":   []byte(`{"subject":{"type":"user"},"action":{"name":"write"},"resource":{"type":"record","id":"record-2"},"context":{"a":1},"page":{"token":"` + tok + `"}}`),
		"resource": []byte(`{"subject":{"type":"user"},"action":{"name":"read"},"resource":{"type":"record","id":"record-1"},"context":{"a":1},"page":{"token":"` + tok + `"}}`),
	}
	for what, b := range changed {
		req, err := DecodeSearch(SearchSubject, b)
		if err != nil {
			t.Fatal(err)
		}
		var re *RequestError
		if _, err := SearchSubjects(ctx, pdp, "org-a", req); !errors.As(err, &re) || re.Field != "page.token" {
			t.Errorf("%s changed between pages: %v, want a page.token error", what, err)
		}
	}
	same, _ := DecodeSearch(SearchSubject, []byte(`{ "page":{"token":"`+tok+`","limit":2}, "resource":{"id":"record-2","type":"record"},
		"action":{"name":"read"}, "subject":{"type":"user","id":"ignored"}, "context":{ "a" : 1 }}`))
	if _, err := SearchSubjects(ctx, pdp, "org-a", same); err != nil {
		t.Errorf("the same request, spelled differently, with the ignored id: %v", err)
	}
	if _, err := SearchSubjects(ctx, pdp, "org-b", same); err == nil {
		t.Error("a token of org-a accepted for org-b")
	}
	for _, bad := range []string{"x", "", "AAAA", tok[:len(tok)-2], "a3M9NDU2O3N6PTI="} {
		req, _ := DecodeSearch(SearchSubject, body("", bad))
		if _, err := SearchSubjects(ctx, pdp, "org-a", req); bad != "" && !errors.Is(err, ErrBadRequest) {
			t.Errorf("token %q: %v, want a bad request", bad, err)
		}
	}
	neg, err := DecodeSearch(SearchSubject, body("-1", ""))
	if err == nil || err.Error() != "page.limit: must be a non-negative integer" {
		t.Errorf("negative limit: %v %+v", err, neg)
	}
	if _, err := DecodeSearch(SearchSubject, body("1.5", "")); err == nil {
		t.Error("fractional limit accepted")
	}
}

func TestSearchClearsIgnoredIDs(t *testing.T) {
	r, err := DecodeSearch(SearchResource, []byte(`{"subject":{"type":"user","id":"alice"},"action":{"name":"read"},"resource":{"type":"record","id":"record-1"}}`))
	if err != nil || r.Resource.ID != "" || r.Subject.ID != "alice" {
		t.Errorf("resource search: %+v %v", r, err)
	}
	r, err = DecodeSearch(SearchAction, []byte(`{"subject":{"type":"user","id":"alice"},"action":{"name":"read"},"resource":{"type":"record","id":"record-1"}}`))
	if err != nil || r.Action != nil {
		t.Errorf("action search keeps an action: %+v %v", r, err)
	}
}

func TestMetadata(t *testing.T) {
	m, err := NewMetadata("https://pdp.example.com/")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(m)
	want := `{"policy_decision_point":"https://pdp.example.com","access_evaluation_endpoint":"https://pdp.example.com/access/v1/evaluation",` +
		`"access_evaluations_endpoint":"https://pdp.example.com/access/v1/evaluations","search_subject_endpoint":"https://pdp.example.com/access/v1/search/subject",` +
		`"search_resource_endpoint":"https://pdp.example.com/access/v1/search/resource","search_action_endpoint":"https://pdp.example.com/access/v1/search/action"}`
	if string(b) != want {
		t.Errorf("metadata:\n got %s\nwant %s", b, want)
	}
	for _, bad := range []string{"pdp.example.com", "https://pdp.example.com/?x=1", "https://pdp.example.com/#f", "ftp://pdp.example.com", "https://"} {
		if _, err := NewMetadata(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
	if m, err := NewMetadata("https://pdp.example.com/tenant1"); err != nil || m.SearchActionEndpoint != "https://pdp.example.com/tenant1/access/v1/search/action" {
		t.Errorf("with a path: %+v %v", m, err)
	}
}
