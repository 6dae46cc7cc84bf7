package main

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
)

const tok = "peer-test-token"

type peerClient struct {
	t    *testing.T
	base string
}

func startPeer(t *testing.T) *peerClient {
	t.Helper()
	h, err := newHandler(tok, 1000)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return &peerClient{t: t, base: srv.URL + "/scim/v2"}
}

// do sends a request and decodes a JSON answer into a map (nil for an empty body).
func (c *peerClient) do(method, path, body string) (int, map[string]any) {
	c.t.Helper()
	req, _ := http.NewRequest(method, c.base+path, strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+tok)
	req.Header.Set("Content-Type", "application/scim+json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if len(b) == 0 {
		return resp.StatusCode, nil
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		c.t.Fatalf("%s %s: %v: %s", method, path, err, b)
	}
	return resp.StatusCode, m
}

func (c *peerClient) mustStatus(want int, method, path, body string) map[string]any {
	c.t.Helper()
	got, m := c.do(method, path, body)
	if got != want {
		c.t.Fatalf("%s %s: status %d, want %d: %v", method, path, got, want, m)
	}
	return m
}

func filterQ(f string) string { return "?filter=" + url.QueryEscape(f) }

func entraUser(name string) string {
	return `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User","urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"],
	"externalId":"e-` + name + `","userName":"` + name + `","active":true,"displayName":"D","title":"T",
	"emails":[{"primary":true,"type":"work","value":"` + name + `"}],"meta":{"resourceType":"User"},
	"name":{"formatted":"G F","familyName":"F","givenName":"G"},"roles":[],
	"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User":{"employeeNumber":"1","department":"Eng"}}`
}

func oktaUser(name string) string {
	return `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"` + name + `","name":{"givenName":"G","familyName":"F"},
	"emails":[{"primary":true,"value":"` + name + `","type":"work"}],"displayName":"G F","locale":"en-US","externalId":"00u1",
	"groups":[],"password":"secret-pw","active":true}`
}

const patchOp = `"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"]`

func total(m map[string]any) int { return int(m["totalResults"].(float64)) }

func TestAuth(t *testing.T) {
	c := startPeer(t)
	req, _ := http.NewRequest("GET", c.base+"/Users", nil)
	req.Header.Set("Authorization", "Bearer wrong")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 401 {
		t.Fatalf("wrong token: status %d", resp.StatusCode)
	}
}

func TestUsers(t *testing.T) {
	c := startPeer(t)
	e := c.mustStatus(201, "POST", "/Users", entraUser("ada@example.com"))
	o := c.mustStatus(201, "POST", "/Users", oktaUser("grace@example.com"))
	if e["userName"] != "ada@example.com" || e["id"] == "" || e["externalId"] != "e-ada@example.com" {
		t.Fatalf("created: %v", e)
	}
	if _, ok := o["password"]; ok {
		t.Errorf("password returned: %v", o)
	}
	c.mustStatus(409, "POST", "/Users", oktaUser("ADA@example.com"))

	l := c.mustStatus(200, "GET", "/Users"+filterQ(`userName eq "ADA@EXAMPLE.COM"`), "")
	if total(l) != 1 || l["Resources"].([]any)[0].(map[string]any)["id"] != e["id"] {
		t.Fatalf("lookup: %v", l)
	}
	if l := c.mustStatus(200, "GET", "/Users"+filterQ(`userName eq "nobody@example.com"`), ""); total(l) != 0 {
		t.Fatalf("miss: %v", l)
	}
	// Anything but the indexed forms goes through the library's own filter evaluation.
	if l := c.mustStatus(200, "GET", "/Users"+filterQ(`userName sw "gr" and active eq true`), ""); total(l) != 1 {
		t.Fatalf("scan filter: %v", l)
	}

	id := e["id"].(string)
	tests := []struct {
		name  string
		body  string
		check func(m map[string]any) bool
	}{
		{"entra deactivate", `{` + patchOp + `,"Operations":[{"op":"Replace","path":"active","value":false}]}`,
			func(m map[string]any) bool { return m["active"] == false }},
		{"path-less replace", `{` + patchOp + `,"Operations":[{"op":"replace","value":{"active":true,"title":"Boss"}}]}`,
			func(m map[string]any) bool { return m["active"] == true && m["title"] == "Boss" }},
		{"sub-attribute", `{` + patchOp + `,"Operations":[{"op":"Replace","path":"name.givenName","value":"Augusta"}]}`,
			func(m map[string]any) bool { return m["name"].(map[string]any)["givenName"] == "Augusta" }},
		{"extension", `{` + patchOp + `,"Operations":[{"op":"Replace","path":"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department","value":"Math"}]}`,
			func(m map[string]any) bool {
				return m["urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"].(map[string]any)["department"] == "Math"
			}},
		{"value filter", `{` + patchOp + `,"Operations":[{"op":"Replace","path":"emails[type eq \"work\"].value","value":"new@example.com"}]}`,
			func(m map[string]any) bool {
				return m["emails"].([]any)[0].(map[string]any)["value"] == "new@example.com"
			}},
		{"remove", `{` + patchOp + `,"Operations":[{"op":"Remove","path":"title"}]}`,
			func(m map[string]any) bool { _, ok := m["title"]; return !ok }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m := c.mustStatus(200, "PATCH", "/Users/"+id, tc.body)
			if !tc.check(m) {
				t.Fatalf("after PATCH: %v", m)
			}
			if got := c.mustStatus(200, "GET", "/Users/"+id, ""); !tc.check(got) {
				t.Fatalf("PATCH not stored: %v", got)
			}
		})
	}
	c.mustStatus(404, "PATCH", "/Users/nope", `{`+patchOp+`,"Operations":[{"op":"Replace","path":"active","value":false}]}`)
	c.mustStatus(204, "DELETE", "/Users/"+id, "")
	c.mustStatus(404, "GET", "/Users/"+id, "")
}

func TestPaging(t *testing.T) {
	c := startPeer(t)
	for i := range 25 {
		c.mustStatus(201, "POST", "/Users", oktaUser(fmt.Sprintf("u%d@example.com", i)))
	}
	seen := map[string]bool{}
	for start := 1; start <= 25; start += 10 {
		m := c.mustStatus(200, "GET", fmt.Sprintf("/Users?startIndex=%d&count=10", start), "")
		res := m["Resources"].([]any)
		if total(m) != 25 || len(res) != min(10, 25-start+1) || int(m["startIndex"].(float64)) != start {
			t.Fatalf("page at %d: total %d, %d resources", start, total(m), len(res))
		}
		for _, r := range res {
			seen[r.(map[string]any)["id"].(string)] = true
		}
	}
	if len(seen) != 25 {
		t.Fatalf("walk saw %d distinct users, want 25", len(seen))
	}
}

func TestGroups(t *testing.T) {
	c := startPeer(t)
	var ids []string
	for i := range 5 {
		ids = append(ids, c.mustStatus(201, "POST", "/Users", oktaUser(fmt.Sprintf("m%d@example.com", i)))["id"].(string))
	}
	g := c.mustStatus(201, "POST", "/Groups", `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],"displayName":"Eng","members":[]}`)
	gid := g["id"].(string)
	c.mustStatus(409, "POST", "/Groups", `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],"displayName":"ENG"}`)
	members := func() int {
		m := c.mustStatus(200, "GET", "/Groups/"+gid, "")
		l, _ := m["members"].([]any)
		return len(l)
	}
	isMember := func(uid string) bool {
		m := c.mustStatus(200, "GET", "/Groups"+filterQ(`id eq "`+gid+`" and members[value eq "`+uid+`"]`)+"&excludedAttributes=members", "")
		return total(m) == 1
	}
	vals := func(ids ...string) string {
		var parts []string
		for _, id := range ids {
			parts = append(parts, `{"value":"`+id+`"}`)
		}
		return "[" + strings.Join(parts, ",") + "]"
	}
	c.mustStatus(204, "PATCH", "/Groups/"+gid, `{`+patchOp+`,"Operations":[{"op":"Add","path":"members","value":`+vals(ids...)+`}]}`)
	if n := members(); n != 5 {
		t.Fatalf("after add: %d members", n)
	}
	c.mustStatus(204, "PATCH", "/Groups/"+gid, `{`+patchOp+`,"Operations":[{"op":"Remove","path":"members","value":`+vals(ids[0])+`}]}`)
	c.mustStatus(204, "PATCH", "/Groups/"+gid, `{`+patchOp+`,"Operations":[{"op":"remove","path":"members[value eq \"`+ids[1]+`\"]"}]}`)
	if n := members(); n != 3 || isMember(ids[0]) || isMember(ids[1]) || !isMember(ids[2]) {
		t.Fatalf("after removes: %d members", n)
	}
	// Okta's path-less replace renames.
	c.mustStatus(204, "PATCH", "/Groups/"+gid, `{`+patchOp+`,"Operations":[{"op":"replace","value":{"id":"`+gid+`","displayName":"Engineering"}}]}`)
	l := c.mustStatus(200, "GET", "/Groups"+filterQ(`displayName eq "engineering"`)+"&excludedAttributes=members", "")
	if total(l) != 1 {
		t.Fatalf("lookup by new name: %v", l)
	}
	if _, has := l["Resources"].([]any)[0].(map[string]any)["members"]; has {
		t.Errorf("excludedAttributes=members ignored")
	}
	// A bad operation changes nothing, even after a good one in the same request.
	c.mustStatus(400, "PATCH", "/Groups/"+gid, `{`+patchOp+`,"Operations":[{"op":"Add","path":"members","value":`+vals(ids[0])+`},{"op":"Add","path":"members","value":`+vals("ghost")+`}]}`)
	if isMember(ids[0]) {
		t.Fatalf("a refused PATCH applied its first operation")
	}
	c.mustStatus(204, "PATCH", "/Groups/"+gid, `{`+patchOp+`,"Operations":[{"op":"Remove","path":"members"}]}`)
	if n := members(); n != 0 {
		t.Fatalf("after remove all: %d members", n)
	}
}
