package auth

import (
	"context"
	"strings"
)

// What a token last did ("last seen"), recorded with its last use: the method and the kind
// of resource it addressed, never an id or a query (they can name people), so that the
// tokens page can say "PATCH /Groups/… 2 minutes ago" for an identity provider.

type requestKey struct{}

// WithRequest returns ctx carrying the request the authentication is for, as RequestLine
// words it; Authenticate records it with the token's last use.
func WithRequest(ctx context.Context, method, path string) context.Context {
	return context.WithValue(ctx, requestKey{}, RequestLine(method, path))
}

func requestFrom(ctx context.Context) string {
	s, _ := ctx.Value(requestKey{}).(string)
	return s
}

// scimPrefix is left out of SCIM request lines: an identity provider only speaks SCIM.
const scimPrefix = "/scim/v2"

// RequestLine words a request for "last seen": the method, then the path up to its resource
// type with what follows elided: "PATCH /Groups/…", "GET /Users", "POST /api/v1/grants",
// "GET /api/v1/users/…".
func RequestLine(method, path string) string {
	if i := strings.IndexAny(path, "?#"); i >= 0 {
		path = path[:i]
	}
	prefix := ""
	rest := path
	if strings.HasPrefix(path, scimPrefix+"/") || path == scimPrefix {
		rest = strings.TrimPrefix(path, scimPrefix)
	} else {
		// Keep the API's own prefix (/api/v1, /access/v1): two segments.
		segs := strings.SplitN(strings.TrimPrefix(path, "/"), "/", 3)
		if len(segs) == 3 {
			prefix, rest = "/"+segs[0]+"/"+segs[1], "/"+segs[2]
		}
	}
	seg, more, _ := strings.Cut(strings.TrimPrefix(rest, "/"), "/")
	if len(seg) > 64 { // a path is not a place for stories; keep the line short
		seg, more = strings.ToValidUTF8(seg[:64], ""), "…"
	}
	line := prefix + "/" + seg
	if more != "" {
		line += "/…"
	}
	return strings.ToUpper(method) + " " + line
}
