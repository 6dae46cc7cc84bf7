package rules

import (
	"errors"
	"regexp"
	"strings"
	"testing"

	"github.com/rolecall/rolecall/internal/access"
)

// FuzzRule feeds arbitrary patterns, roles and group names through validation and matching:
// validation never panics and either accepts or returns an *Error that says something; an
// accepted pattern's prefilters never reject a name the regexp matches; and evaluating the
// rule over a group of that name never panics and binds only valid roles on existing
// resources.
//
//	go test -run '^$' -fuzz FuzzRule -fuzztime 30s ./internal/rules
func FuzzRule(f *testing.F) {
	for _, seed := range [][4]string{
		{`^rc-(?P<project>[a-z0-9-]+)-(?P<role>owner|write|readonly)$`, "", "rc-web-write", ""},
		{`^eng-(?P<cloud>.+)$`, "readonly", "eng-prod", ""},
		{`(?i)^ENG-(?P<cloud>.*)`, "owner", "eng-", ""},
		{`^(?P<cloud>a)|(?P<role>b)`, "", "b", ""},
		{`\Aab(?:c|d)`, "write", "abd", "project"},
		{`(?m)^x$`, "owner", "y\nx", "organization"},
		{`^(?P<projet>x)`, "owner", "x", ""},
		{`(`, "owner", "(", "cloud"},
		{`^a{1001}`, "owner", "a", "cloud"},
		{`^\x{1F600}-(?P<project>.+)`, "", "😀-web", ""},
	} {
		f.Add(seed[0], seed[1], seed[2], seed[3])
	}
	resources := exampleResources()
	index := NewResources(resources)
	f.Fuzz(func(t *testing.T, pattern, role, name, kind string) {
		r := Rule{ID: "r", Name: "fuzz", Match: MatchPattern, Value: pattern, Role: role}
		if kind != "" {
			k, err := ParseResourceKind(kind)
			if err != nil {
				return
			}
			r.ResourceKind = k
			if k != access.KindOrganization {
				r.ResourceName = "web"
				if k == access.KindCloud {
					r.ResourceName = "prod"
				}
			}
		}
		c, err := compile(r)
		if err != nil {
			var e *Error
			if !errors.As(err, &e) || e.Field == "" || e.Msg == "" || !errors.Is(err, ErrInvalidRule) {
				t.Fatalf("compile(%q) = %v: not an *Error with field and message", pattern, err)
			}
			return
		}
		re := regexp.MustCompile(pattern) // accepted patterns compile
		if re.MatchString(name) {
			if !strings.HasPrefix(name, c.prefix) || !strings.Contains(name, c.need) {
				t.Fatalf("pattern %q matches %q but its prefilter (prefix %q, need %q) rejects it", pattern, name, c.prefix, c.need)
			}
		}
		set, err := Compile([]Rule{r})
		if err != nil {
			t.Fatalf("Compile of a valid rule: %v", err)
		}
		res := set.Evaluate([]Group{{ID: "g", DisplayName: name, Active: true}}, index)
		matched := len(res.Matches[0].Groups) == 1
		if matched != re.MatchString(name) {
			t.Fatalf("pattern %q on %q: matched=%v, regexp says %v", pattern, name, matched, !matched)
		}
		for _, b := range res.Bindings {
			var kind access.Kind
			for _, x := range resources {
				if x.ID == b.ResourceID {
					kind = x.Kind
				}
			}
			if err := access.ValidateBinding(kind, b.Role); err != nil {
				t.Fatalf("pattern %q on %q made %+v: %v", pattern, name, b, err)
			}
		}
	})
}
