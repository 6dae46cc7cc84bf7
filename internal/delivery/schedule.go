package delivery

import (
	"math/rand/v2"
	"time"
)

// schedule is the delay before each retry, after Standard Webhooks' example: quick retries
// for a blip, then hours apart; the last attempt comes a little more than three days after
// the first. A receiver that is down for a weekend still gets every event.
var schedule = []time.Duration{
	5 * time.Second,
	5 * time.Minute,
	30 * time.Minute,
	2 * time.Hour,
	5 * time.Hour,
	10 * time.Hour,
	14 * time.Hour,
	20 * time.Hour,
	24 * time.Hour,
}

// MaxAttempts is how many attempts an event gets: the first and one per scheduled retry.
var MaxAttempts = len(schedule) + 1

// maxRetryAfter caps a receiver's Retry-After so that one answer cannot park an endpoint for
// longer than the schedule's longest step.
const maxRetryAfter = 24 * time.Hour

// NextDelay returns how long to wait after failed attempt number attempt (1 for the first)
// before the next one, and false when the event has had all its attempts. Each delay is
// jittered by ±20% so that endpoints that failed together do not retry in lockstep; a
// receiver's Retry-After, when longer, wins (up to a day).
func NextDelay(attempt int, retryAfter time.Duration, rnd *rand.Rand) (time.Duration, bool) {
	if attempt < 1 || attempt >= MaxAttempts {
		return 0, false
	}
	base := schedule[attempt-1]
	f := 0.8 + 0.4*rnd.Float64()
	d := time.Duration(float64(base) * f)
	if retryAfter > d {
		d = min(retryAfter, maxRetryAfter)
	}
	return d, true
}
