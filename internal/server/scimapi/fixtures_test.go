package scimapi_test

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/rolecall/rolecall/internal/server"
	"github.com/rolecall/rolecall/internal/server/scimapi"
)

// IdP fixtures (testdata/scim/idp/*.json) replay the request sequences Okta and Entra ID
// send; golden files (testdata/scim/golden/*.json) pin the exact shape of typical answers.
// Refresh the golden files with: go test ./internal/server -run Golden -update

func init() {
	// Defined here unless another test file of the package already did.
	if flag.Lookup("update") == nil {
		flag.Bool("update", false, "rewrite golden files")
	}
}

func updateGolden() bool {
	f := flag.Lookup("update")
	return f != nil && f.Value.String() == "true"
}

type idpFixture struct {
	Name  string    `json:"name"`
	About string    `json:"about"`
	Steps []idpStep `json:"steps"`
}

type idpStep struct {
	Name    string                     `json:"name"`
	Method  string                     `json:"method"`
	Path    string                     `json:"path"`
	Headers map[string]string          `json:"headers"`
	Body    json.RawMessage            `json:"body"`
	Status  int                        `json:"status"`
	Expect  map[string]json.RawMessage `json:"expect"`
	Save    map[string]string          `json:"save"`
}

var placeholder = regexp.MustCompile(`\$\{([A-Za-z0-9_]+)\}`)

func TestSCIMIdPFixtures(t *testing.T) {
	files, err := filepath.Glob("testdata/scim/idp/*.json")
	if err != nil || len(files) == 0 {
		t.Fatalf("no IdP fixtures: %v", err)
	}
	for _, file := range files {
		raw, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		var fx idpFixture
		if err := json.Unmarshal(raw, &fx); err != nil {
			t.Fatalf("%s: %v", file, err)
		}
		t.Run(fx.Name, func(t *testing.T) {
			forEachBackend(t, server.Config{}, func(t *testing.T, e *scimEnv) {
				vars := map[string]string{}
				subst := func(s string) string {
					return placeholder.ReplaceAllStringFunc(s, func(m string) string {
						name := placeholder.FindStringSubmatch(m)[1]
						v, ok := vars[name]
						if !ok {
							t.Fatalf("%s: ${%s} is not saved yet", file, name)
						}
						return v
					})
				}
				for i, st := range fx.Steps {
					var body any
					if len(st.Body) > 0 {
						body = subst(string(st.Body))
					}
					var hdr []string
					for k, v := range st.Headers {
						hdr = append(hdr, k, subst(v))
					}
					r := e.do(st.Method, subst(st.Path), body, hdr...)
					if r.status != st.Status {
						t.Fatalf("step %d %q: %s %s = %d, want %d: %s", i, st.Name, st.Method, st.Path, r.status, st.Status, r.body)
					}
					for path, want := range st.Expect {
						var w any
						if err := json.Unmarshal([]byte(subst(string(want))), &w); err != nil {
							t.Fatalf("step %d: expect %s: %v", i, path, err)
						}
						got := jgetDotted(r.doc, path)
						if !scimapi.JSONEqual(got, w) {
							t.Errorf("step %d %q: %s = %v, want %v", i, st.Name, path, got, w)
						}
					}
					for name, path := range st.Save {
						vars[name] = jstr(r.doc, path)
						if vars[name] == "" {
							t.Fatalf("step %d: nothing at %s to save as %s", i, path, name)
						}
					}
				}
			})
		})
	}
}

// jgetDotted is jget, but a path segment may be a schema URN (which holds dots).
func jgetDotted(doc map[string]any, path string) any {
	if strings.HasPrefix(path, "urn:") {
		if i := strings.LastIndex(path, "."); i > 0 {
			ext, _ := doc[path[:i]].(map[string]any)
			return jget(ext, path[i+1:])
		}
	}
	return jget(doc, path)
}

var goldenTime = regexp.MustCompile(`\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z`)

// checkGolden compares an answer with testdata/scim/golden/name.json after replacing the
// server URL, the given ids and timestamps with placeholders.
func checkGolden(t *testing.T, e *scimEnv, name string, r scimResp, ids map[string]string) {
	t.Helper()
	s := strings.ReplaceAll(string(r.body), e.srv.URL, "{{base}}")
	keys := make([]string, 0, len(ids))
	for k := range ids {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		s = strings.ReplaceAll(s, ids[k], "{{"+k+"}}")
	}
	s = goldenTime.ReplaceAllString(s, "{{time}}")
	var v any
	if err := json.Unmarshal([]byte(s), &v); err != nil {
		t.Fatalf("%s: answer is not JSON: %v", name, err)
	}
	got, _ := json.MarshalIndent(map[string]any{"status": r.status, "body": v}, "", "  ")
	got = append(got, '\n')
	file := filepath.Join("testdata", "scim", "golden", name+".json")
	if updateGolden() {
		if err := os.WriteFile(file, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(file)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from %s (run with -update if the change is intended):\n%s", name, file, got)
	}
}

func TestSCIMGolden(t *testing.T) {
	e := newSCIMEnv(t, server.Config{})
	user := e.must(201, "POST", "/scim/v2/Users", map[string]any{
		"schemas":     []string{"urn:ietf:params:scim:schemas:core:2.0:User"},
		"userName":    "bjensen@example.com",
		"externalId":  "bjensen",
		"name":        map[string]any{"formatted": "Ms. Barbara J Jensen III", "familyName": "Jensen", "givenName": "Barbara"},
		"displayName": "Babs Jensen",
		"emails": []any{
			map[string]any{"value": "bjensen@example.com", "type": "work", "primary": true},
			map[string]any{"value": "babs@jensen.org", "type": "home"},
		},
		"active": true,
	})
	uid := jstr(user.doc, "id")
	ent := e.must(201, "POST", "/scim/v2/Users", map[string]any{
		"schemas":  []string{"urn:ietf:params:scim:schemas:core:2.0:User", "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"},
		"userName": "jsmith@example.com",
		"name":     map[string]any{"familyName": "Smith", "givenName": "John"},
		"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": map[string]any{
			"employeeNumber": "701984", "costCenter": "4130", "organization": "Universal Studios",
			"division": "Theme Park", "department": "Tour Operations",
			"manager": map[string]any{"value": uid},
		},
	})
	eid := jstr(ent.doc, "id")
	grp := e.must(201, "POST", "/scim/v2/Groups", map[string]any{
		"schemas": []string{"urn:ietf:params:scim:schemas:core:2.0:Group"}, "displayName": "Tour Guides",
		"members": []any{map[string]any{"value": uid}, map[string]any{"value": eid, "display": "Johnny"}},
	})
	gid := jstr(grp.doc, "id")
	ids := map[string]string{"userId": uid, "enterpriseUserId": eid, "groupId": gid}
	checkGolden(t, e, "user_created", user, ids)
	checkGolden(t, e, "enterprise_user_created", ent, ids)
	checkGolden(t, e, "group_with_members", e.must(200, "GET", "/scim/v2/Groups/"+gid, nil), ids)
	checkGolden(t, e, "list_response", e.must(200, "GET", "/scim/v2/Users?filter=userName+sw+%22bj%22&attributes=userName,groups&startIndex=1&count=10", nil), ids)
	checkGolden(t, e, "error_uniqueness", e.do("POST", "/scim/v2/Users", map[string]any{
		"schemas": []string{"urn:ietf:params:scim:schemas:core:2.0:User"}, "userName": "BJensen@example.com"}), ids)
	checkGolden(t, e, "error_filter", e.do("GET", "/scim/v2/Users?filter=nickName+eq", nil), ids)
}
