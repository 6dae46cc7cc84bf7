// Command peer is a SCIM 2.0 server built on github.com/elimity-com/scim with an in-memory
// store, run beside rolecall by bench/run.sh so that every scimload workload has a second
// server to be compared with. It lives in its own module so that rolecall does not depend on
// the library.
//
// The library routes requests, validates bodies against the core User (with the enterprise
// extension) and Group schemas, parses filters and PATCH operations, and writes responses.
// What it leaves to a handler, and what this one does:
//
//   - Filtering: the library hands over a parsed, validated filter. `userName eq`,
//     `displayName eq`, `id eq` and Entra's membership test `id eq "G" and members[value eq
//     "U"]` are answered from maps; any other filter is evaluated by the library's
//     Validator.PassesFilter over every resource (a scan).
//
//   - Paging: startIndex/count (count capped at -max-results) are applied by the handler;
//     unfiltered lists build only the requested page.
//
//   - excludedAttributes: ignored by the library; the handler drops Group members when
//     excludedAttributes names them, as Entra asks on every group lookup.
//
//   - PATCH: the library validates each operation and types its value; applying it is the
//     handler's: on users, plain, sub-attribute (name.givenName), enterprise-URN and
//     value-filtered paths (emails[type eq "work"].value, matched with the library's
//     Validator) and path-less objects; on groups, members add/remove/replace with value
//     arrays, Okta's remove by members[value eq "id"], and path-less displayName replaces.
//     All operations of a request apply or none do.
//
//   - Group PATCH answers 204 (the library does when the handler returns no attributes); user
//     PATCH answers 200 with the user.
//
//   - Members must be existing users or groups (else 400 invalidValue); userName and group
//     displayName are unique ignoring case (409); password is accepted and never stored.
//
//   - Storage: maps behind one RWMutex; group members are a set, so one member changes in
//     O(1) at any group size.
//
// Usage:
//
//	peer -addr 127.0.0.1:18081 -token T
package main

import (
	"context"
	"crypto/subtle"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/elimity-com/scim"
	"github.com/elimity-com/scim/optional"
	"github.com/elimity-com/scim/schema"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:18081", "listen address (loopback only)")
	token := flag.String("token", os.Getenv("PEER_TOKEN"), "bearer token clients must send (or env PEER_TOKEN)")
	maxResults := flag.Int("max-results", 1000, "largest page the server returns")
	flag.Parse()
	if err := serve(*addr, *token, *maxResults); err != nil {
		fmt.Fprintln(os.Stderr, "peer:", err)
		os.Exit(1)
	}
}

// serve listens on addr until SIGINT or SIGTERM.
func serve(addr, token string, maxResults int) error {
	if len(token) < 8 {
		return errors.New("-token (or PEER_TOKEN) of at least 8 characters is required")
	}
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return err
	}
	if ip := net.ParseIP(host); host != "localhost" && (ip == nil || !ip.IsLoopback()) {
		return fmt.Errorf("-addr %s: only loopback addresses are allowed", addr)
	}
	h, err := newHandler(token, maxResults)
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	go func() {
		<-ctx.Done()
		shut, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(shut)
	}()
	slog.Info("peer SCIM server listening", "url", "http://"+ln.Addr().String()+"/scim/v2")
	if err := srv.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// newHandler builds the whole HTTP surface: /scim/v2/… behind the bearer token check.
func newHandler(token string, maxResults int) (http.Handler, error) {
	st := newStore()
	srv, err := scim.NewServer(&scim.ServerArgs{
		ServiceProviderConfig: &scim.ServiceProviderConfig{
			DocumentationURI: optional.NewString("bench/peer"),
			MaxResults:       maxResults,
			SupportFiltering: true,
			SupportPatch:     true,
			AuthenticationSchemes: []scim.AuthenticationScheme{{
				Type: scim.AuthenticationTypeOauthBearerToken, Name: "Bearer", Description: "static bearer token", Primary: true,
			}},
		},
		ResourceTypes: []scim.ResourceType{
			{
				ID: optional.NewString("User"), Name: "User", Endpoint: "/Users",
				Description:      optional.NewString("User Account"),
				Schema:           schema.CoreUserSchema(),
				SchemaExtensions: []scim.SchemaExtension{{Schema: schema.ExtensionEnterpriseUser()}},
				Handler:          &userHandler{st: st},
			},
			{
				ID: optional.NewString("Group"), Name: "Group", Endpoint: "/Groups",
				Description: optional.NewString("Group"),
				Schema:      schema.CoreGroupSchema(),
				Handler:     &groupHandler{st: st},
			},
		},
	})
	if err != nil {
		return nil, err
	}
	want := []byte("Bearer " + token)
	mux := http.NewServeMux()
	// The library routes on the path after an optional /v2 prefix.
	mux.Handle("/scim/", http.StripPrefix("/scim", srv))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !strings.HasPrefix(r.URL.Path, "/scim/") {
			http.NotFound(w, r)
			return
		}
		if subtle.ConstantTimeCompare([]byte(r.Header.Get("Authorization")), want) != 1 {
			w.Header().Set("Content-Type", "application/scim+json")
			w.Header().Set("WWW-Authenticate", "Bearer")
			w.WriteHeader(http.StatusUnauthorized)
			_, _ = w.Write([]byte(`{"schemas":["urn:ietf:params:scim:api:messages:2.0:Error"],"status":"401","detail":"missing or wrong bearer token"}`))
			return
		}
		r.Body = http.MaxBytesReader(w, r.Body, 64<<20)
		mux.ServeHTTP(w, r)
	}), nil
}
