package scimapi_test

import (
	"encoding/json"
	"fmt"
	"net/url"
	"strings"
	"testing"
)

// BenchmarkSCIMGroupsWorkload is one task of scimload's groups workload over HTTP on SQLite:
// create a group, then four PATCHes that each add 100 members, alternating Entra's form
// (value array) and Okta's (value array with a display). It exists to profile that workload
// without a load generator:
//
//	go test ./internal/server -run '^$' -bench SCIMGroupsWorkload -benchmem -cpuprofile cpu.out
func BenchmarkSCIMGroupsWorkload(b *testing.B) {
	const (
		batch   = 100
		batches = 4
	)
	e, ids := benchEnv(b, 1000)
	patch := func(okta bool, members []string) string {
		vals := make([]map[string]any, len(members))
		for i, id := range members {
			vals[i] = map[string]any{"value": id}
			if okta {
				vals[i]["display"] = "member"
			}
		}
		op := "Add"
		if okta {
			op = "add"
		}
		body, _ := json.Marshal(scimPatchBody(scimOp(op, "members", vals)))
		return string(body)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for t := 0; b.Loop(); t++ {
		gid := e.newGroup(fmt.Sprintf("bench-group-%d", t))
		for k := range batches {
			start := ((t*batches + k) * batch) % (len(ids) - batch)
			e.must(204, "PATCH", "/scim/v2/Groups/"+gid, patch(t%2 == 1, ids[start:start+batch]))
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*(1+batches))/1e6, "ms/request")
}

// BenchmarkSCIMGroupLookup is the lookup an IdP makes before changing a group,
// GET /Groups?filter=displayName eq "…"&excludedAttributes=members, on a group that Okta
// filled: 1,000 members, each sent with a display name the server keeps in the group's
// document.
//
//	go test ./internal/server -run '^$' -bench SCIMGroupLookup -benchmem
func BenchmarkSCIMGroupLookup(b *testing.B) {
	e, ids := benchEnv(b, 1000)
	gid := e.newGroup("okta-group")
	vals := make([]map[string]any, len(ids))
	for i, id := range ids {
		vals[i] = map[string]any{"value": id, "display": fmt.Sprintf("Member %d of the Okta group", i)}
	}
	e.must(204, "PATCH", "/scim/v2/Groups/"+gid, scimPatchBody(scimOp("add", "members", vals)))
	path := "/scim/v2/Groups?filter=" + url.QueryEscape(`displayName eq "okta-group"`) + "&excludedAttributes=members"
	b.ReportAllocs()
	for b.Loop() {
		r := e.must(200, "GET", path, nil)
		if !strings.Contains(string(r.body), gid) {
			b.Fatalf("lookup answered %s", r.body)
		}
	}
}
