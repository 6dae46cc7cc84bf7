// Package scimapi is rolecall's SCIM 2.0 service provider (RFC 7643/7644) at /scim/v2: the
// routes (routes.go, lenient about the paths identity providers send), request decoding,
// filters pushed down to the store where it evaluates them exactly, lists and cursors (and
// the per-org slots that bound the lists the store cannot answer, scan.go), Bulk,
// and the rendering of users and groups — straight from their stored JSON where it is
// canonical. Writes are the service layer's provisioning calls: this package opens no write
// transaction and writes no audit event; it passes render callbacks so that the answer and
// the audit record are built inside the service's transaction.
//
// It may import service, store, scim, scim/filter, auth (the principal), server/respond and
// the standard library; never server, adminapi or console.
package scimapi

import (
	"log/slog"
	"net/http"
	"strconv"

	"github.com/rolecall/rolecall/internal/server/respond"
	"github.com/rolecall/rolecall/internal/service"
)

// Deps is what the SCIM service provider takes from the server.
type Deps struct {
	Service *service.Service
	Log     *slog.Logger
	// BaseURL is the externally visible URL used in meta.location and Location headers;
	// empty: derived from each request's Host.
	BaseURL string
	// MaxBodyBytes is the request body limit, advertised as Bulk's maxPayloadSize.
	MaxBodyBytes int64
	// PatchNoContent makes a successful User PATCH answer 204 instead of 200 + resource (a Group
	// PATCH answers 204 anyway unless it names attributes or excludedAttributes).
	PatchNoContent bool
	// ScanConcurrency and ScanConcurrencyTotal bound the list scans running at once per org
	// and in all (scan.go); ≤ 0: no limit.
	ScanConcurrency, ScanConcurrencyTotal int
	// ScanMax is the most candidates one scan may read; a larger one is refused with 400
	// tooMany before it starts (scan.go). ≤ 0: no limit.
	ScanMax int
	// Authenticate wraps a handler: a scim-scope token is required, and a refusal is
	// answered with WriteError.
	Authenticate func(http.HandlerFunc) http.HandlerFunc
}

// API serves the SCIM endpoints.
type API struct {
	cfg   Deps
	svc   *service.Service
	log   *slog.Logger
	scans *scanLimiter
}

// Register adds the SCIM service provider's routes to mux.
func Register(mux *http.ServeMux, d Deps) {
	s := &API{cfg: d, svc: d.Service, log: d.Log, scans: newScanLimiter(d.ScanConcurrency, d.ScanConcurrencyTotal)}
	s.routes(mux)
}

// Prefix is where the SCIM service provider is mounted.
const Prefix = "/scim/v2"

// IsSCIM reports whether r is addressed to the SCIM service provider, whose answers
// (errors included) use the SCIM error schema.
func IsSCIM(r *http.Request) bool {
	return len(r.URL.Path) >= len(Prefix) && r.URL.Path[:len(Prefix)] == Prefix
}

// errorDoc is the RFC 7644 §3.12 error body; status is a string there.
type errorDoc struct {
	Schemas  []string `json:"schemas"`
	Status   string   `json:"status"`
	ScimType string   `json:"scimType,omitempty"`
	Detail   string   `json:"detail,omitempty"`
}

// WriteError answers in the SCIM error schema.
func WriteError(w http.ResponseWriter, status int, scimType, detail string) {
	respond.JSON(w, status, contentType, errorDoc{
		Schemas: []string{"urn:ietf:params:scim:api:messages:2.0:Error"},
		Status:  strconv.Itoa(status), ScimType: scimType, Detail: detail,
	})
}
