package authzenapi_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/rolecall/rolecall/internal/authzen"
	"github.com/rolecall/rolecall/internal/server/authzenapi"
)

// BenchmarkEvaluations100 measures what a batch of 100 evaluations costs between the
// decoder and the socket: the decisions (two thirds of them denies, as in the side-by-side
// benchmark's requests) and the response's encoding.
//
//	go test ./internal/server/authzenapi -run '^$' -bench Evaluations100 -benchmem
func BenchmarkEvaluations100(b *testing.B) {
	var items []string
	users, projects := []string{"alice", "bob", "carl", "nobody"}, []string{"record-1", "record-2", "record-9"}
	actions := []string{"read", "write", "delete", "owner"}
	for i := range 100 {
		items = append(items, fmt.Sprintf(`{"subject":{"type":"user","id":%q},"action":{"name":%q},"resource":{"type":"project","id":%q}}`,
			users[i%len(users)], actions[(i/4)%len(actions)], projects[(i/16)%len(projects)]))
	}
	req, err := authzen.DecodeEvaluations([]byte(`{"evaluations":[` + strings.Join(items, ",") + `]}`))
	if err != nil {
		b.Fatal(err)
	}
	p := authzenapi.NewPDP(scenarioOrg())
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		resp, err := authzen.Evaluations(ctx, p, req)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := resp.MarshalJSON(); err != nil {
			b.Fatal(err)
		}
	}
}
