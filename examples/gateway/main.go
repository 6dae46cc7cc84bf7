// Command gateway is the example of docs/authzen.md: a reverse proxy in front of a platform's
// project API that asks rolecall's decision API (AuthZEN) about every request and answers 403
// on a deny. Its middleware, Authorize (authorize.go), uses only the standard library, so a
// platform can copy it as it is; the test runs it against a real rolecall server.
//
// Usage:
//
//	ROLECALL_DECISION_TOKEN=rc_… gateway -rolecall http://127.0.0.1:8080 -upstream http://127.0.0.1:9000 -action write
//
// The user is the X-User header (set by the platform's authentication in front), the project
// the first path segment after /projects/.
package main

import (
	"flag"
	"log"
	"net/http"
	"net/http/httputil"
	"net/url"
	"os"
	"strings"
)

func main() {
	listen := flag.String("listen", "127.0.0.1:8081", "address to serve on")
	pdp := flag.String("rolecall", "http://127.0.0.1:8080", "rolecall server URL")
	upstream := flag.String("upstream", "http://127.0.0.1:9000", "the platform's API")
	action := flag.String("action", "write", "the action every request needs (a built-in or custom action)")
	flag.Parse()
	token := os.Getenv("ROLECALL_DECISION_TOKEN")
	if token == "" {
		log.Fatal("set ROLECALL_DECISION_TOKEN to a rolecall token of scope decision (rolecall token create --name gateway --scope decision)")
	}
	up, err := url.Parse(*upstream)
	if err != nil {
		log.Fatalf("-upstream: %v", err)
	}
	h := Authorize(*pdp, token, *action, userOf, projectOf, httputil.NewSingleHostReverseProxy(up))
	log.Printf("gateway on %s → %s, asking %s", *listen, *upstream, *pdp)
	log.Fatal(http.ListenAndServe(*listen, h))
}

// userOf is the authenticated user's name, as the platform's authentication layer in front of
// the gateway sets it.
func userOf(r *http.Request) string { return r.Header.Get("X-User") }

// projectOf is the project a path /projects/{name}/… is about.
func projectOf(r *http.Request) string {
	rest, _ := strings.CutPrefix(r.URL.Path, "/projects/")
	name, _, _ := strings.Cut(rest, "/")
	return name
}
