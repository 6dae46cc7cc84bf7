// Package e2e holds rolecall's multi-process reliability tests: the real binary, built once,
// started as `rolecall serve` processes on real SQLite files and PostgreSQL schemas, killed
// with SIGKILL in the middle of requests, run two at a time on one database, backed up under
// load. Every test lives in _test.go files; the package has no code of its own. It may
// import every internal package (for wire types) and the two database drivers (to read the
// tables a test checks directly).
package e2e
