// Package scimload generates SCIM 2.0 load against any SCIM server over HTTP and measures it:
// it provisions, looks up, deactivates and groups users the way Microsoft Entra ID and Okta do,
// checks every answer, and reports throughput and latency percentiles.
//
// The authz-* workloads drive AuthZEN decision points the same way (authzen.go): rolecall's
// /access/v1 API, the HTTP floor and OpenFGA, with requests read from a file.
//
// It owns the workloads, the request bodies, the response checks and the latency histogram.
// It imports only the standard library: it must be able to measure rolecall and any other
// SCIM server (or decision point) alike, so it knows nothing of rolecall's packages.
package scimload

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"regexp"
	"slices"
	"strings"
	"time"
)

// Workloads lists the workload names Run accepts.
var Workloads = []string{"provision", "lookup", "deactivate", "groups", "biggroup", "pagewalk", "mixed",
	"authz-eval", "authz-batch", "authz-search"}

// Config is one run's parameters. Zero values take the defaults documented on each field.
type Config struct {
	BaseURL     string        // SCIM base, e.g. http://127.0.0.1:8080/scim/v2
	Token       string        // bearer token
	Workload    string        // one of Workloads
	N           int           // requests in the measured phase (default 10,000)
	Concurrency int           // workers (default 8)
	Duration    time.Duration // measured phase stops starting requests after this (0: no limit)
	Timeout     time.Duration // per request (default 2 minutes)

	Setup  int    // users created (or reused) before the measured phase (default 1,000)
	Reuse  string // when set, users Reuse-0@example.com … Reuse-(Setup-1)@example.com exist already
	Prefix string // names of everything this run creates start with it (default: random)

	Members int // biggroup: members the group is grown to (default 100,000)
	Bulk    int // biggroup: members added (then removed) by one timed PATCH (default 10,000)
	Batch   int // members per PATCH when growing groups (default: groups 100, biggroup 1,000)
	Batches int // groups: member PATCHes after each group create (default 4)
	Groups  int // mixed: groups created in setup (default 10)
	Count   int // pagewalk: page size (default 100, as Okta asks)

	// AuthZEN workloads (authzen.go): BaseURL is then the server's root, e.g.
	// http://127.0.0.1:8080, and requests go to BaseURL+PathPrefix+"/access/v1/…".
	Requests   string // file of requests with their expected answers (authzpop's evaluations.jsonl or searches.jsonl)
	PathPrefix string // e.g. "/stores/<store id>" for OpenFGA; "" for rolecall and the floor
	BatchSize  int    // authz-batch: evaluations per request (default 100)
	PageLimit  int    // authz-search: page.limit sent (0: none, the server's default page)
	// AtAs, when set, replaces every '@' in subject ids (OpenFGA's AuthZEN layer refuses
	// ids with '@'; authzpop writes OpenFGA's user ids with "_at_").
	AtAs string

	MaxErrorDetails int    // error details kept (default 5)
	Seed            uint64 // random choices (default 1)
	Log             io.Writer
}

var safeName = regexp.MustCompile(`^[A-Za-z0-9._-]{1,64}$`)

// withDefaults fills zero fields and checks the rest.
func (c Config) withDefaults() (Config, error) {
	def := func(p *int, v int) {
		if *p == 0 {
			*p = v
		}
	}
	def(&c.N, 10000)
	def(&c.Concurrency, 8)
	def(&c.Setup, 1000)
	def(&c.Members, 100000)
	def(&c.Bulk, 10000)
	def(&c.Batches, 4)
	def(&c.Groups, 10)
	def(&c.Count, 100)
	def(&c.MaxErrorDetails, 5)
	def(&c.BatchSize, 100)
	if c.Batch == 0 {
		c.Batch = 100
		if c.Workload == "biggroup" {
			c.Batch = 1000
		}
	}
	if c.Timeout == 0 {
		c.Timeout = 2 * time.Minute
	}
	if c.Seed == 0 {
		c.Seed = 1
	}
	if c.Log == nil {
		c.Log = io.Discard
	}
	if c.Prefix == "" {
		var b [4]byte
		_, _ = rand.Read(b[:])
		c.Prefix = "sl" + hex.EncodeToString(b[:])
	}
	switch {
	case !slices.Contains(Workloads, c.Workload):
		return c, fmt.Errorf("unknown workload %q (want one of %v)", c.Workload, Workloads)
	case c.BaseURL == "":
		return c, fmt.Errorf("-url is required")
	case c.N < 0 || c.Concurrency < 0 || c.Setup < 0 || c.Members < 0 || c.Bulk < 0 || c.Batch < 0 || c.Batches < 0 || c.Groups < 0 || c.Count < 0:
		return c, fmt.Errorf("counts must not be negative")
	case c.Concurrency > 4096:
		return c, fmt.Errorf("-c %d: at most 4096", c.Concurrency)
	case !safeName.MatchString(c.Prefix):
		return c, fmt.Errorf("-prefix %q: letters, digits, '.', '_' and '-' only", c.Prefix)
	case c.Reuse != "" && !safeName.MatchString(c.Reuse):
		return c, fmt.Errorf("-reuse %q: letters, digits, '.', '_' and '-' only", c.Reuse)
	case c.Workload == "groups" && c.Batch > c.Setup:
		return c, fmt.Errorf("-batch %d is larger than the %d users of -setup", c.Batch, c.Setup)
	case strings.HasPrefix(c.Workload, "authz-") && c.Requests == "":
		return c, fmt.Errorf("%s needs -requests (a file written by authzpop)", c.Workload)
	case c.PathPrefix != "" && !strings.HasPrefix(c.PathPrefix, "/"):
		return c, fmt.Errorf("-path-prefix %q must start with /", c.PathPrefix)
	case c.BatchSize < 0 || c.PageLimit < 0:
		return c, fmt.Errorf("counts must not be negative")
	case c.Workload == "mixed" && c.Setup < 2*c.Concurrency:
		return c, fmt.Errorf("mixed needs -setup ≥ 2×-c (%d)", 2*c.Concurrency)
	}
	return c, nil
}
