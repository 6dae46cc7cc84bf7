package scimapi

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/rolecall/rolecall/internal/scim"
)

// FuzzSCIMBulkRequest: decodeBulk never panics, refuses with a SCIM 400 or 413, and what
// it accepts holds together.
func FuzzSCIMBulkRequest(f *testing.F) {
	for _, s := range []string{
		`{"schemas":["urn:ietf:params:scim:api:messages:2.0:BulkRequest"],"failOnErrors":1,"Operations":[{"method":"POST","path":"/Users","bulkId":"a","data":{"userName":"x"}},{"method":"PATCH","path":"/Groups/bulkId:g","data":{"Operations":[{"op":"remove","path":"members[value eq \"bulkId:a\"]"}]}}]}`,
		`{"schemas":["urn:ietf:params:scim:api:messages:2.0:BulkRequest"],"Operations":[{"method":"delete","path":"users/x/","version":"W/\"1\""}]}`,
		`{"schemas":["urn:ietf:params:scim:api:messages:2.0:BulkRequest"],"Operations":[{"method":"POST","path":"/Groups","bulkId":"g","data":{"members":[{"value":"bulkId:g"},{"value":"bulkId:"}]}}]}`,
		`{"schemas":["urn:ietf:params:scim:api:messages:2.0:BulkRequest"],"failOnErrors":-3,"Operations":[]}`,
		`{"SCHEMAS":["URN:IETF:PARAMS:SCIM:API:MESSAGES:2.0:BULKREQUEST"],"operations":[{"Method":"PUT","Path":"/Users/bulkId:\"","Data":{}}]}`,
		`{}`, `[]`, `{"schemas":1}`, ``,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		req, err := decodeBulk(b)
		if err != nil {
			se, ok := err.(*scim.Error)
			if !ok || (se.Status != 400 && se.Status != 413) || se.Detail == "" {
				t.Fatalf("refusal %#v", err)
			}
			return
		}
		if len(req.ops) == 0 || len(req.ops) > scimBulkMaxOperations || req.failOnErrors < 0 {
			t.Fatalf("accepted %d operations, failOnErrors %d", len(req.ops), req.failOnErrors)
		}
		seen := map[string]bool{}
		for _, op := range req.ops {
			if (op.method == "POST") != (op.id == "") || (op.method == "POST" && op.bulkID == "") ||
				(op.method != "DELETE" && op.data == nil) || (op.kind != scimUsers && op.kind != scimGroups) {
				t.Fatalf("inconsistent operation %+v", op)
			}
			if op.bulkID != "" && seen[op.bulkID] {
				t.Fatalf("bulkId %q accepted twice", op.bulkID)
			}
			seen[op.bulkID] = true
			for _, r := range op.refs {
				if r == "" {
					t.Fatalf("empty reference in %+v", op)
				}
			}
			// Resolving with no ids changes nothing; resolving with an id per reference
			// puts every id in.
			if op.data != nil && !jsonEqual(resolveBulkRefs(op.data, nil), op.data) {
				t.Fatalf("resolving nothing changed %v", op.data)
			}
			ids := map[string]string{}
			for i, r := range op.refs {
				ids[r] = fmt.Sprintf("resolved-%d-id", i)
			}
			out, _ := json.Marshal(resolveBulkRefs(op.data, ids))
			for _, r := range op.refs {
				if !strings.Contains(string(out), ids[r]) && op.id != bulkRefPrefix+r {
					t.Fatalf("reference %q not resolved in %s", r, out)
				}
			}
		}
	})
}
