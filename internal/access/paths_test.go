package access

import (
	"fmt"
	"strings"
	"testing"
)

func TestGroupPaths(t *testing.T) {
	parents := map[string][]string{
		"team":  {"eng", "all"},
		"eng":   {"all", "org"},
		"squad": {"team"},
		"all":   {"eng"}, // a cycle: all → eng → all
		"ops":   {"org"},
	}
	for _, tt := range []struct {
		name  string
		start []string
		want  string
	}{
		{"none", nil, ""},
		{"direct only", []string{"org"}, "org"},
		{"nested, shortest chains, names in order", []string{"squad"}, "squad | squad>team | squad>team>all | squad>team>eng | squad>team>eng>org"},
		{"two starts, each group once, cycle ends", []string{"team", "ops"}, "ops | team | ops>org | team>all | team>eng"},
		{"a start reached again is not a chain", []string{"eng", "all"}, "all | eng | eng>org"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			start := append([]string(nil), tt.start...)
			paths := GroupPaths(start, func(g string) []string { return parents[g] }, strings.Compare)
			var got []string
			for _, p := range paths {
				got = append(got, strings.Join(p, ">"))
			}
			if g := strings.Join(got, " | "); g != tt.want {
				t.Errorf("got  %s\nwant %s", g, tt.want)
			}
			if fmt.Sprint(start) != fmt.Sprint(tt.start) {
				t.Errorf("start was modified: %v", start)
			}
		})
	}
}
