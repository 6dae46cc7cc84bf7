package scim

import (
	"strconv"
	"strings"
)

// ETag renders a resource version as the weak entity tag of the ETag header and
// meta.version (RFC 7644 §3.14).
func ETag(version int64) string { return `W/"` + strconv.FormatInt(version, 10) + `"` }

// ETagMatch reports whether an If-Match / If-None-Match header value lists version: "*" or
// a comma-separated list of entity tags, weak or strong (compared weakly, RFC 9110
// §8.8.3.2).
func ETagMatch(header string, version int64) bool {
	want := strconv.FormatInt(version, 10)
	for _, t := range strings.Split(header, ",") {
		t = strings.TrimSpace(t)
		if t == "*" {
			return true
		}
		t = strings.TrimPrefix(t, "W/")
		t = strings.TrimPrefix(strings.TrimSuffix(t, `"`), `"`)
		if t == want {
			return true
		}
	}
	return false
}
