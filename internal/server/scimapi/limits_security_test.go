package scimapi_test

import (
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/rolecall/rolecall/internal/scim"
	"github.com/rolecall/rolecall/internal/scim/filter"
	"github.com/rolecall/rolecall/internal/server"
	"github.com/rolecall/rolecall/internal/server/scimapi"
)

// TestSCIMLimitsAdvertisedAndEnforced checks each request limit SCIM has a member for is
// advertised in ServiceProviderConfig (bulk, filter, RFC 9865 pagination) with the value
// actually enforced, and that going past any limit, advertised or only documented
// (docs/scim-limits.md), gets a SCIM error that names the limit, and writes nothing.
func TestSCIMLimitsAdvertisedAndEnforced(t *testing.T) {
	const maxBody = 256 << 10
	forEachBackend(t, server.Config{MaxBodyBytes: maxBody}, func(t *testing.T, e *scimEnv) {
		spc := e.must(200, "GET", "/scim/v2/ServiceProviderConfig", nil)
		for path, want := range map[string]int{
			"bulk.maxOperations":     scimapi.BulkMaxOperations,
			"bulk.maxPayloadSize":    maxBody,
			"filter.maxResults":      scimapi.MaxCount,
			"pagination.maxPageSize": scimapi.MaxCount,
		} {
			got := jget(spc.doc, path)
			if fmt.Sprint(got) != fmt.Sprint(want) {
				t.Errorf("ServiceProviderConfig %s = %v, want %d", path, got, want)
			}
		}
		users := func() int { return jnum(e.must(200, "GET", "/scim/v2/Users?count=0", nil).doc, "totalResults") }
		before := users()

		// Body size: with a Content-Length and streamed without one.
		big := `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"big@example.com","displayName":"` + strings.Repeat("x", maxBody) + `"}`
		e.wantError(e.do("POST", "/scim/v2/Users", big), http.StatusRequestEntityTooLarge, "", "maxPayloadSize")
		req, _ := http.NewRequest("POST", e.srv.URL+"/scim/v2/Users", io.MultiReader(strings.NewReader(big)))
		req.ContentLength = -1
		req.Header.Set("Authorization", "Bearer "+e.token)
		req.Header.Set("Content-Type", "application/scim+json")
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if res.StatusCode != http.StatusRequestEntityTooLarge || !strings.Contains(string(body), "urn:ietf:params:scim:api:messages:2.0:Error") {
			t.Errorf("chunked oversize body: %d %s", res.StatusCode, body)
		}

		// Bulk: one operation too many.
		ops := make([]map[string]any, scimapi.BulkMaxOperations+1)
		for i := range ops {
			ops[i] = map[string]any{"method": "POST", "path": "/Users", "bulkId": fmt.Sprint("b", i), "data": map[string]any{"userName": fmt.Sprintf("bulk%d@example.com", i)}}
		}
		r := e.do("POST", "/scim/v2/Bulk", map[string]any{"schemas": []string{"urn:ietf:params:scim:api:messages:2.0:BulkRequest"}, "Operations": ops})
		if r.status != http.StatusRequestEntityTooLarge && r.status != http.StatusBadRequest {
			t.Errorf("bulk of %d ops: %d %s", len(ops), r.status, r.body)
		}
		if !strings.Contains(jstr(r.doc, "detail"), "maxOperations") {
			t.Errorf("bulk refusal does not name maxOperations: %s", r.body)
		}

		// Filter length and depth.
		long := `userName eq "` + strings.Repeat("a", filter.DefaultMaxLen) + `"`
		e.wantError(e.do("GET", "/scim/v2/Users?filter="+url.QueryEscape(long), nil), 400, "invalidFilter", "")
		deep := strings.Repeat("(", filter.DefaultMaxDepth+1) + `userName eq "a"` + strings.Repeat(")", filter.DefaultMaxDepth+1)
		e.wantError(e.do("GET", "/scim/v2/Users?filter="+url.QueryEscape(deep), nil), 400, "invalidFilter", "")
		ok := strings.Repeat("(", filter.DefaultMaxDepth-1) + `userName eq "a"` + strings.Repeat(")", filter.DefaultMaxDepth-1)
		e.must(200, "GET", "/scim/v2/Users?filter="+url.QueryEscape(ok), nil)

		// count above the maximum is lowered to it (RFC 7644 §3.4.2.4 lets the server return fewer).
		for i := range 3 {
			e.newUser(fmt.Sprintf("count%d@example.com", i), nil)
		}
		if r := e.must(200, "GET", "/scim/v2/Users?count=1000000", nil); jnum(r.doc, "itemsPerPage") > scimapi.MaxCount {
			t.Errorf("count=1000000 gave %d items per page", jnum(r.doc, "itemsPerPage"))
		}

		// PATCH operations: one too many.
		uid := e.newUser("patched@example.com", nil)
		pops := make([]map[string]any, scim.MaxPatchOperations+1)
		for i := range pops {
			pops[i] = scimOp("replace", "displayName", fmt.Sprint("n", i))
		}
		e.wantError(e.do("PATCH", "/scim/v2/Users/"+uid, scimPatchBody(pops...)), 400, "tooMany", "")

		// Members per PATCH are bounded by the body size: a member list that does not fit is
		// refused whole; one that fits is applied whole.
		gid := e.newGroup("limits")
		memberOps := func(n int) map[string]any {
			ms := make([]map[string]any, n)
			for i := range ms {
				ms[i] = map[string]any{"value": fmt.Sprintf("01900000-0000-7000-8000-%012d", i)}
			}
			return scimPatchBody(scimOp("add", "members", ms))
		}
		e.wantError(e.do("PATCH", "/scim/v2/Groups/"+gid, memberOps(maxBody/40)), http.StatusRequestEntityTooLarge, "", "")
		if v := jstr(e.must(200, "GET", "/scim/v2/Groups/"+gid, nil).doc, "meta.version"); v != `W/"1"` {
			t.Errorf("refused member PATCH changed the group: version %s", v)
		}
		if got := users(); got != before+3+1 {
			t.Errorf("users: %d, want %d (refused requests must write nothing)", got, before+4)
		}
	})
}
