package server

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
)

// Regression tests of the SCIM interoperability hardening (issue 14): what strict SCIM
// clients (scim2-client and its RFC checker) accept.

// TestServiceProviderConfigStandardOnly: /ServiceProviderConfig lists only the core schema
// and holds only RFC 7643 §5's members plus RFC 9865's pagination; strict clients refuse an
// extension schema they do not know there. The limits stay advertised through the standard
// members.
func TestServiceProviderConfigStandardOnly(t *testing.T) {
	e := newSCIMEnv(t, "sqlite", Config{})
	r := e.must(http.StatusOK, "GET", "/scim/v2/ServiceProviderConfig", nil)
	if got := fmt.Sprint(r.doc["schemas"]); got != "[urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig]" {
		t.Errorf("schemas = %s, want only the core ServiceProviderConfig schema", got)
	}
	standard := map[string]bool{"schemas": true, "documentationUri": true, "patch": true, "bulk": true, "filter": true,
		"changePassword": true, "sort": true, "etag": true, "authenticationSchemes": true, "meta": true, "pagination": true}
	for k := range r.doc {
		if !standard[k] {
			t.Errorf("ServiceProviderConfig member %q is not an RFC 7643 §5 / RFC 9865 attribute", k)
		}
	}
	for _, path := range []string{"bulk.maxOperations", "bulk.maxPayloadSize", "filter.maxResults", "pagination.maxPageSize"} {
		if n := jnum(r.doc, path); n <= 0 {
			t.Errorf("%s = %v, want the enforced limit", path, jget(r.doc, path))
		}
	}
	// Nor do the other discovery endpoints name a rolecall schema.
	for _, path := range []string{"/scim/v2/Schemas", "/scim/v2/ResourceTypes"} {
		if b := e.must(http.StatusOK, "GET", path, nil).body; strings.Contains(string(b), "urn:rolecall") {
			t.Errorf("%s names a rolecall schema", path)
		}
	}
}
