// Command scimload generates SCIM 2.0 load against a SCIM server and reports throughput and
// latency percentiles; see internal/scimload for the workloads. It imports only that package
// and the standard library.
//
//	scimload -url http://127.0.0.1:8080/scim/v2 -token T -workload lookup -n 100000 -c 8 -json
//	scimload -url http://127.0.0.1:8080 -token T -workload authz-eval -requests evaluations.jsonl -duration 30s
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}
