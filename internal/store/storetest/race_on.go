//go:build race

package storetest

// raceEnabled reports whether the race detector is on. It instruments the pure-Go SQLite
// engine too, which then runs some thirty times slower, so the suite scales its bulk test
// down (the full size runs in the ordinary, non-race test run).
const raceEnabled = true
