package scimapi

import (
	"net/http"
	"strings"

	"github.com/rolecall/rolecall/internal/scim"
)

// The SCIM service provider is mounted at /scim/v2. IdPs are loose about the paths they
// send: Microsoft's own test collection asks for /scim/v2/users, Entra adds trailing slashes
// (/Users/?filter=…), and some clients shout (/USERS). Go's ServeMux matches paths
// case-sensitively, so instead of registering every spelling, the mux sends every request
// under /scim/v2/ to scimDispatch, which canonicalises the path segments it knows, picks the
// handler from the table below, and records the canonical route as r.Pattern for the
// metrics and logs written by the middleware.

// scimRoutes registers the SCIM 2.0 service provider at /scim/v2.
func (s *API) routes(mux *http.ServeMux) {
	h := http.HandlerFunc(s.scimDispatch)
	// One segment and more than one: together they cover everything below /scim/v2/ except
	// /scim/v2/ itself, which routes.go answers with a SCIM 404. Both are more specific than
	// that catch-all, so the patterns do not conflict.
	mux.Handle(Prefix+"/{seg}", h)
	mux.Handle(Prefix+"/{seg}/{rest...}", h)
}

// scimEndpoint is a canonical SCIM resource path, the first segment after /scim/v2.
type scimEndpoint string

const (
	epUsers     scimEndpoint = "Users"
	epGroups    scimEndpoint = "Groups"
	epMe        scimEndpoint = "Me"
	epSPC       scimEndpoint = "ServiceProviderConfig"
	epResTypes  scimEndpoint = "ResourceTypes"
	epSchemas   scimEndpoint = "Schemas"
	epBulk      scimEndpoint = "Bulk"
	epRootQuery scimEndpoint = ".search"
)

// scimEndpoints maps the lower-cased first segment to its canonical spelling. The plural
// "ServiceProviderConfigs" is the name draft versions of RFC 7644 used; old clients still
// ask for it.
var scimEndpoints = map[string]scimEndpoint{
	"users":                  epUsers,
	"groups":                 epGroups,
	"me":                     epMe,
	"serviceproviderconfig":  epSPC,
	"serviceproviderconfigs": epSPC,
	"resourcetypes":          epResTypes,
	"schemas":                epSchemas,
	"bulk":                   epBulk,
	".search":                epRootQuery,
}

// scimRoute is the outcome of routing: the pattern (for metrics), the handler, and the
// methods the path allows (for 405 answers).
type scimRoute struct {
	pattern string
	handler http.HandlerFunc
	allow   string
}

// scimDispatch routes a request under /scim/v2 (see the comment at the top of this file).
func (s *API) scimDispatch(w http.ResponseWriter, r *http.Request) {
	rest := strings.TrimPrefix(r.URL.Path, Prefix+"/")
	rest = strings.TrimSuffix(rest, "/") // a trailing slash is tolerated: /Users/?filter=…
	segs := strings.Split(rest, "/")
	ep, known := scimEndpoints[strings.ToLower(segs[0])]
	if !known || len(segs) > 2 || (len(segs) == 2 && segs[1] == "") {
		r.Pattern = Prefix + "/{unknown}"
		s.cfg.Authenticate(func(w http.ResponseWriter, r *http.Request) {
			WriteError(w, http.StatusNotFound, "", "no SCIM endpoint "+r.URL.Path+
				"; the endpoints are /Users, /Groups, /.search, /Bulk, /ServiceProviderConfig, /ResourceTypes and /Schemas")
		})(w, r)
		return
	}
	id := ""
	if len(segs) == 2 {
		id = segs[1]
	}
	rt := s.scimRoute(ep, id, r.Method)
	r.Pattern = rt.pattern
	if rt.handler == nil {
		s.cfg.Authenticate(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Allow", rt.allow)
			WriteError(w, http.StatusMethodNotAllowed, "", r.Method+" is not supported on "+rt.pattern+"; allowed: "+rt.allow)
		})(w, r)
		return
	}
	s.cfg.Authenticate(rt.handler)(w, r)
}

// scimRoute is the routing table. id is the second path segment ("" when absent).
func (s *API) scimRoute(ep scimEndpoint, id, method string) scimRoute {
	base := Prefix + "/" + string(ep)
	pick := func(pattern string, byMethod map[string]http.HandlerFunc) scimRoute {
		allow := make([]string, 0, len(byMethod))
		for _, m := range []string{http.MethodGet, http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete} {
			if byMethod[m] != nil {
				allow = append(allow, m)
			}
		}
		return scimRoute{pattern: method + " " + pattern, handler: byMethod[method], allow: strings.Join(allow, ", ")}
	}
	switch ep {
	case epUsers, epGroups:
		kind := scimUsers
		if ep == epGroups {
			kind = scimGroups
		}
		if id == "" {
			return pick(base, map[string]http.HandlerFunc{
				http.MethodGet:  func(w http.ResponseWriter, r *http.Request) { s.scimList(w, r, kind) },
				http.MethodPost: func(w http.ResponseWriter, r *http.Request) { s.scimCreate(w, r, kind) },
			})
		}
		if strings.EqualFold(id, ".search") {
			return pick(base+"/.search", map[string]http.HandlerFunc{
				http.MethodPost: func(w http.ResponseWriter, r *http.Request) { s.scimSearch(w, r, kind) },
			})
		}
		return pick(base+"/{id}", map[string]http.HandlerFunc{
			http.MethodGet:    func(w http.ResponseWriter, r *http.Request) { s.scimGet(w, r, kind, id) },
			http.MethodPut:    func(w http.ResponseWriter, r *http.Request) { s.scimReplace(w, r, kind, id) },
			http.MethodPatch:  func(w http.ResponseWriter, r *http.Request) { s.scimPatch(w, r, kind, id) },
			http.MethodDelete: func(w http.ResponseWriter, r *http.Request) { s.scimDelete(w, r, kind, id) },
		})
	case epRootQuery:
		if id != "" {
			break
		}
		return pick(base, map[string]http.HandlerFunc{
			http.MethodPost: func(w http.ResponseWriter, r *http.Request) { s.scimSearch(w, r, scimAll) },
		})
	case epSPC:
		if id != "" {
			break
		}
		return pick(base, map[string]http.HandlerFunc{http.MethodGet: s.scimServiceProviderConfig})
	case epResTypes:
		if id == "" {
			return pick(base, map[string]http.HandlerFunc{http.MethodGet: s.scimResourceTypes})
		}
		return pick(base+"/{id}", map[string]http.HandlerFunc{
			http.MethodGet: func(w http.ResponseWriter, r *http.Request) { s.scimResourceType(w, r, id) },
		})
	case epSchemas:
		if id == "" {
			return pick(base, map[string]http.HandlerFunc{http.MethodGet: s.scimSchemas})
		}
		return pick(base+"/{id}", map[string]http.HandlerFunc{
			http.MethodGet: func(w http.ResponseWriter, r *http.Request) { s.scimSchema(w, r, id) },
		})
	case epMe:
		// /Me would need a token bound to a user; rolecall's SCIM tokens belong to an IdP
		// integration, not a person (RFC 7644 §3.11 allows 501).
		p := base
		if id != "" {
			p += "/{id}"
		}
		notImpl := func(w http.ResponseWriter, r *http.Request) {
			WriteError(w, http.StatusNotImplemented, "", "/Me is not supported: rolecall SCIM tokens authenticate an identity provider, not a user")
		}
		return scimRoute{pattern: method + " " + p, handler: notImpl}
	case epBulk:
		if id != "" {
			break
		}
		// RFC 7644 §3.7; the semantics rolecall chose are described in scim_bulk.go.
		return pick(base, map[string]http.HandlerFunc{http.MethodPost: s.scimBulk})
	}
	return scimRoute{pattern: method + " " + Prefix + "/{unknown}", handler: func(w http.ResponseWriter, r *http.Request) {
		WriteError(w, http.StatusNotFound, "", "no SCIM endpoint "+r.URL.Path)
	}}
}

// The discovery endpoints (RFC 7644 §4) are rendered by package scim from this server's
// configuration. They require a SCIM token like every other SCIM endpoint: Microsoft's
// collection sends one, and the documents say nothing an IdP without a token needs.

func (s *API) scimConfig(r *http.Request) scim.Config {
	return scim.Config{
		BaseURL:            s.baseURL(r) + Prefix,
		Patch:              true,
		Bulk:               true,
		BulkMaxOperations:  scimBulkMaxOperations,
		BulkMaxPayloadSize: int(s.cfg.MaxBodyBytes),
		Filter:             true,
		FilterMaxResults:   scimMaxCount,
		Sort:               true,
		ETag:               true,
		Pagination: &scim.Pagination{
			Cursor: true, Index: true, DefaultPaginationMethod: "index",
			DefaultPageSize: scimDefaultCount, MaxPageSize: scimMaxCount,
		},
	}
}

func (s *API) scimServiceProviderConfig(w http.ResponseWriter, r *http.Request) {
	writeSCIM(w, http.StatusOK, scim.ServiceProviderConfigDocument(s.scimConfig(r)))
}

func (s *API) scimResourceTypes(w http.ResponseWriter, r *http.Request) {
	writeSCIM(w, http.StatusOK, scim.ResourceTypesList(s.scimConfig(r)))
}

func (s *API) scimResourceType(w http.ResponseWriter, r *http.Request, id string) {
	doc, err := scim.ResourceTypeDocument(s.scimConfig(r), id)
	if err != nil {
		s.scimFail(w, r, err)
		return
	}
	writeSCIM(w, http.StatusOK, doc)
}

func (s *API) scimSchemas(w http.ResponseWriter, r *http.Request) {
	writeSCIM(w, http.StatusOK, scim.SchemasList(s.scimConfig(r)))
}

func (s *API) scimSchema(w http.ResponseWriter, r *http.Request, id string) {
	doc, err := scim.SchemaDocument(s.scimConfig(r), id)
	if err != nil {
		s.scimFail(w, r, err)
		return
	}
	writeSCIM(w, http.StatusOK, doc)
}
