package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/rolecall/rolecall/internal/scimload"
)

// run parses args, runs one workload and prints its result. Exit codes: 0 all requests
// succeeded, 1 some measured requests failed, 2 the run could not be carried out.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("scimload", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var c scimload.Config
	var asJSON, quiet bool
	fs.StringVar(&c.BaseURL, "url", "", "SCIM base URL, e.g. http://127.0.0.1:8080/scim/v2; for authz-* the server root, e.g. http://127.0.0.1:8080 (loopback targets only)")
	fs.StringVar(&c.Token, "token", "", "bearer token (or env SCIMLOAD_TOKEN)")
	fs.StringVar(&c.Workload, "workload", "", "one of: "+strings.Join(scimload.Workloads, ", "))
	fs.IntVar(&c.N, "n", 10000, "requests in the measured phase")
	fs.IntVar(&c.Concurrency, "c", 8, "concurrent workers (connections)")
	fs.DurationVar(&c.Duration, "duration", 0, "stop starting measured requests after this long (0: only -n bounds the run)")
	fs.DurationVar(&c.Timeout, "timeout", 2*time.Minute, "timeout of one request")
	fs.IntVar(&c.Setup, "setup", 1000, "users created through SCIM before measuring (lookup, deactivate, groups, pagewalk, mixed)")
	fs.StringVar(&c.Reuse, "reuse", "", "use existing users PREFIX-0@example.com … PREFIX-(setup-1)@example.com instead of creating them")
	fs.StringVar(&c.Prefix, "prefix", "", "prefix of everything this run creates (default: random); provision -prefix P -n N seeds a population for -reuse P")
	fs.IntVar(&c.Members, "members", 100000, "biggroup: members the group is grown to")
	fs.IntVar(&c.Bulk, "bulk", 10000, "biggroup: members added, then removed, by one timed PATCH")
	fs.IntVar(&c.Batch, "batch", 0, "members per PATCH when growing groups (default: groups 100, biggroup 1000)")
	fs.IntVar(&c.Batches, "batches", 4, "groups: member PATCHes after each group create")
	fs.IntVar(&c.Groups, "groups", 10, "mixed: groups created in setup")
	fs.IntVar(&c.Count, "count", 100, "pagewalk: page size")
	fs.StringVar(&c.Requests, "requests", "", "authz-*: file of AuthZEN requests with expected answers (authzpop's evaluations.jsonl or searches.jsonl)")
	fs.StringVar(&c.PathPrefix, "path-prefix", "", "authz-*: path between -url and /access/v1 (OpenFGA: /stores/STORE_ID)")
	fs.IntVar(&c.BatchSize, "batch-size", 100, "authz-batch: evaluations per request")
	fs.StringVar(&c.AtAs, "at-as", "", "authz-*: replace '@' in subject ids by this (OpenFGA: _at_, as authzpop writes its tuples)")
	fs.IntVar(&c.PageLimit, "page-limit", 0, "authz-search: page.limit sent (0: none, the server's default)")
	fs.IntVar(&c.MaxErrorDetails, "errors", 5, "error details printed")
	fs.Uint64Var(&c.Seed, "seed", 1, "seed of random choices")
	fs.BoolVar(&asJSON, "json", false, "print one JSON object with the result as the last line")
	fs.BoolVar(&quiet, "q", false, "no progress messages on stderr")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "scimload: unexpected arguments %q\n", fs.Args())
		return 2
	}
	if c.Token == "" {
		c.Token = getenv("SCIMLOAD_TOKEN")
	}
	if !quiet {
		c.Log = stderr
	}
	res, err := scimload.Run(ctx, c)
	if err != nil {
		fmt.Fprintf(stderr, "scimload: %v\n", err)
		return 2
	}
	res.WriteText(stdout)
	if asJSON {
		b, err := json.Marshal(res)
		if err != nil {
			fmt.Fprintf(stderr, "scimload: %v\n", err)
			return 2
		}
		fmt.Fprintf(stdout, "%s\n", b)
	}
	if res.Errors > 0 || res.VerifyErrors > 0 {
		return 1
	}
	return 0
}

// getenv is os.Getenv behind a variable so tests can run without touching the environment.
var getenv = os.Getenv
