package cli

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// lifetime is a flag value for durations that also takes days, the unit people think of
// token lifetimes in: "30d", "1d12h", "720h". Go's time.ParseDuration stops at hours.
type lifetime time.Duration

func (l *lifetime) String() string {
	if *l == 0 {
		return "0"
	}
	return time.Duration(*l).String()
}

func (l *lifetime) Type() string { return "duration" }

func (l *lifetime) Set(s string) error {
	d, err := parseLifetime(s)
	if err != nil {
		return err
	}
	*l = lifetime(d)
	return nil
}

// parseLifetime parses an optional whole number of days ("30d") followed by anything
// time.ParseDuration takes ("12h", "90m").
func parseLifetime(s string) (time.Duration, error) {
	days, rest := "", s
	if i := strings.IndexByte(s, 'd'); i >= 0 {
		days, rest = s[:i], s[i+1:]
	}
	var d time.Duration
	if days != "" || strings.Contains(s, "d") {
		n, err := strconv.Atoi(days)
		if err != nil || n < 0 {
			return 0, fmt.Errorf("%q: write days as a whole number before d, e.g. 30d or 1d12h", s)
		}
		if n > 100*365 {
			return 0, fmt.Errorf("%q: more than 100 years", s)
		}
		d = time.Duration(n) * 24 * time.Hour
	}
	if rest != "" {
		r, err := time.ParseDuration(rest)
		if err != nil {
			return 0, fmt.Errorf("%q: use days (30d), hours (720h) or both (1d12h)", s)
		}
		d += r
	}
	return d, nil
}
