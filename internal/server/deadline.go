package server

import "time"

// Limits that keep one organization from stalling another (issue 14, item 7):
//
//   - Every request runs under a deadline (serve --request-timeout, default 30 s) that the
//     middleware sets on the request's context. The context reaches every service and store
//     call and through them every SQL query (database/sql's QueryContext: SQLite is
//     interrupted, PostgreSQL cancels the statement); a request past its deadline stops,
//     writes nothing (its transaction rolls back) and is answered 503 with Retry-After
//     (respond.AsBusy).
//   - SCIM list scans (filters or sorts the database cannot answer from its indexes) take a
//     slot, per org and in total, or are answered 429 with Retry-After (scimapi/scan.go).
//   - A scan over more candidates than DefaultScanMax (serve --scim-scan-max) is refused
//     with 400 tooMany before it reads any: in a large organization such a filter costs
//     seconds of CPU and, through the garbage it makes, slows every other organization's
//     requests too; identity providers filter only on indexed attributes.
const (
	DefaultRequestTimeout       = 30 * time.Second
	DefaultScanConcurrency      = 1
	DefaultScanConcurrencyTotal = 2
	DefaultScanMax              = 20000
)
