package authzen

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"pgregory.net/rapid"
)

// TestEvaluationsProperty checks the evaluations logic against a direct reading of the
// spec on random batches: items that are permitted, denied or incomplete after defaults,
// under each semantic. The answer is the items' decisions in order (an incomplete item is
// a deny carrying context.error), cut after the first deny (deny_on_first_deny) or permit
// (permit_on_first_permit); the PDP is asked once, about complete items only, and never
// about an item after the cut.
func TestEvaluationsProperty(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		semantic := rapid.SampledFrom([]Semantic{"", ExecuteAll, DenyOnFirstDeny, PermitOnFirstPermit}).Draw(t, "semantic")
		defaultSubject := rapid.Bool().Draw(t, "defaultSubject")
		n := rapid.IntRange(1, 12).Draw(t, "items")
		var items []string
		var want []string // "T", "F" or "E" (failed item)
		for i := range n {
			var parts []string
			hasSubject := rapid.Bool().Draw(t, "itemSubject")
			user := rapid.SampledFrom([]string{"alice", "bob"}).Draw(t, "user")
			if hasSubject {
				parts = append(parts, fmt.Sprintf(`"subject":{"type":"user","id":%q}`, user))
			} else {
				user = "alice" // the default
			}
			action := rapid.SampledFrom([]string{"read", "write"}).Draw(t, "action")
			parts = append(parts, fmt.Sprintf(`"action":{"name":%q}`, action))
			complete := rapid.IntRange(0, 4).Draw(t, "complete") > 0
			if complete {
				parts = append(parts, `"resource":{"type":"record","id":"record-1"}`)
			}
			items = append(items, "{"+strings.Join(parts, ",")+"}")
			switch {
			case !complete || !hasSubject && !defaultSubject:
				want = append(want, "E")
			case allowed(user, action, "record-1"):
				want = append(want, "T")
			default:
				want = append(want, "F")
			}
			_ = i
		}
		for i, w := range want {
			if semantic == DenyOnFirstDeny && w != "T" || semantic == PermitOnFirstPermit && w == "T" {
				want = want[:i+1]
				break
			}
		}
		body := `{"evaluations":[` + strings.Join(items, ",") + `]`
		if defaultSubject {
			body += `,"subject":{"type":"user","id":"alice"}`
		}
		if semantic != "" {
			body += `,"options":{"evaluations_semantic":"` + string(semantic) + `"}`
		}
		body += "}"
		req, err := DecodeEvaluations([]byte(body))
		if err != nil {
			t.Fatalf("%s: %v", body, err)
		}
		pdp := newFake()
		resp, err := Evaluations(context.Background(), pdp, req)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, d := range resp.Evaluations {
			var c struct {
				Error *struct{ Status int } `json:"error"`
			}
			json.Unmarshal(d.Context, &c)
			switch {
			case c.Error != nil && c.Error.Status == 400 && !d.Decision:
				got = append(got, "E")
			case d.Decision:
				got = append(got, "T")
			default:
				got = append(got, "F")
			}
		}
		if strings.Join(got, "") != strings.Join(want, "") {
			t.Fatalf("%s\n got %v\nwant %v", body, got, want)
		}
		complete := 0
		for _, w := range want {
			if w != "E" {
				complete++
			}
		}
		if len(pdp.asked) != complete || pdp.calls > 1 {
			t.Fatalf("the PDP answered %d evaluations in %d calls; %d were needed", len(pdp.asked), pdp.calls, complete)
		}
	})
}
