package server_test

import (
	"bufio"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/rolecall/rolecall/internal/enforce"
	"github.com/rolecall/rolecall/internal/server"
	"github.com/rolecall/rolecall/internal/testenv"
)

// scrape reads /metrics over HTTP into a map from series (name with labels, as exposed) to
// value.
func scrape(t *testing.T, base string) map[string]float64 {
	t.Helper()
	res, err := http.Get(base + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	out := map[string]float64{}
	sc := bufio.NewScanner(res.Body)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if line == "" || line[0] == '#' {
			continue
		}
		i := strings.LastIndexByte(line, ' ')
		v, err := strconv.ParseFloat(line[i+1:], 64)
		if err != nil {
			t.Fatalf("metrics line %q: %v", line, err)
		}
		out[line[:i]] = v
	}
	return out
}

// decide asks the AuthZEN API one question with token and returns the decision's body.
func decide(t *testing.T, base, token, body string) string {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, base+"/access/v1/evaluation", strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/json")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	if res.StatusCode != http.StatusOK {
		t.Fatalf("evaluation = %d: %s", res.StatusCode, b)
	}
	return string(b)
}

// TestDecisionCacheMetrics: after decisions, /metrics shows the decision cache: resident
// indexes and their bytes against the cap, builds (count and duration), evictions under a
// tiny cap, hits and misses, and a min_revision wait that was not reached.
func TestDecisionCacheMetrics(t *testing.T) {
	st := testenv.SQLite(t)
	testenv.SeedWithAdmin(t, st, "org-a", enforce.ReferenceState(), "a-admin", "rc_metrics_a_admin_token_0123456789")
	testenv.SeedWithAdmin(t, st, "org-b", enforce.ReferenceState(), "b-admin", "rc_metrics_b_admin_token_0123456789")
	// A cap of one byte: every org's index is over it, so the second org evicts the first.
	srv := testenv.Serve(t, st, server.Config{DecisionCacheBytes: 1}, nil)
	const q = `{"subject":{"type":"user","id":"user1@example.com"},"action":{"name":"write"},"resource":{"type":"project","id":"proj-1"}%s}`

	if m := scrape(t, srv.URL); m["rolecall_decision_indexes"] != 0 || m["rolecall_decision_index_bytes_max"] != 1 ||
		m[`rolecall_decision_cache_requests_total{result="miss"}`] != 0 {
		t.Fatalf("before any decision: indexes %v, cap %v, misses %v", m["rolecall_decision_indexes"],
			m["rolecall_decision_index_bytes_max"], m[`rolecall_decision_cache_requests_total{result="miss"}`])
	}

	if got := decide(t, srv.URL, "rc_metrics_a_admin_token_0123456789", fmt.Sprintf(q, "")); !strings.Contains(got, `"decision":true`) {
		t.Fatalf("org-a decision: %s", got)
	}
	decide(t, srv.URL, "rc_metrics_a_admin_token_0123456789", fmt.Sprintf(q, ""))
	m := scrape(t, srv.URL)
	for series, want := range map[string]float64{
		"rolecall_decision_indexes":                                         1,
		"rolecall_decision_index_builds_total":                              1,
		"rolecall_decision_index_build_duration_seconds_count":              1,
		`rolecall_decision_cache_requests_total{result="miss"}`:             1,
		`rolecall_decision_cache_requests_total{result="hit"}`:              1,
		"rolecall_decision_index_evictions_total":                           0,
		`rolecall_decision_min_revision_waits_total{outcome="not_reached"}`: 0,
	} {
		if got, ok := m[series]; !ok || got != want {
			t.Errorf("after org-a's decisions: %s = %v (present %v), want %v", series, got, ok, want)
		}
	}
	if m["rolecall_decision_index_bytes"] <= 1 || m["rolecall_decision_index_build_duration_seconds_sum"] <= 0 {
		t.Errorf("index bytes %v, build seconds %v: want both above zero", m["rolecall_decision_index_bytes"], m["rolecall_decision_index_build_duration_seconds_sum"])
	}

	// org-b's first decision builds its index and evicts org-a's (over the cap); it asks for
	// a revision that will not come, so it waits (MaxWait, 1 s) and says so.
	got := decide(t, srv.URL, "rc_metrics_b_admin_token_0123456789", fmt.Sprintf(q, `,"context":{"min_revision":1000000}`))
	if !strings.Contains(got, `"min_revision_reached":false`) {
		t.Fatalf("org-b decision with an unreachable min_revision: %s", got)
	}
	m = scrape(t, srv.URL)
	for series, want := range map[string]float64{
		"rolecall_decision_indexes":                                         1,
		"rolecall_decision_index_builds_total":                              2,
		"rolecall_decision_index_build_duration_seconds_count":              2,
		"rolecall_decision_index_evictions_total":                           1,
		`rolecall_decision_cache_requests_total{result="miss"}`:             2,
		`rolecall_decision_min_revision_waits_total{outcome="not_reached"}`: 1,
		`rolecall_decision_min_revision_waits_total{outcome="reached"}`:     0,
	} {
		if got, ok := m[series]; !ok || got != want {
			t.Errorf("after org-b's decision: %s = %v (present %v), want %v", series, got, ok, want)
		}
	}
}
