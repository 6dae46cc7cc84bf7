package scimapi_test

import (
	"fmt"
	"net/url"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/rolecall/rolecall/internal/scim"
	"github.com/rolecall/rolecall/internal/scim/filter"
	"github.com/rolecall/rolecall/internal/server"
)

// seedDirectory creates 30 users with varied attributes and three groups; it returns the
// user ids by userName and the group ids by name.
func scimSeed(e *scimEnv) (users map[string]string, groups map[string]string) {
	users = map[string]string{}
	for i := range 30 {
		extra := map[string]any{
			"displayName": fmt.Sprintf("Person %d", i%7),
			"active":      i%3 != 0,
			"name":        map[string]any{"familyName": fmt.Sprintf("Family%d", i%4), "givenName": "G"},
		}
		if i%5 != 0 {
			extra["externalId"] = fmt.Sprintf("ext-%d", i%6)
		}
		switch i % 3 {
		case 1:
			extra["emails"] = []any{map[string]any{"value": fmt.Sprintf("u%d@work.example.com", i), "type": "work", "primary": true}}
		case 2:
			extra["emails"] = []any{
				map[string]any{"value": fmt.Sprintf("U%d@Work.Example.com", i), "type": "work"},
				map[string]any{"value": fmt.Sprintf("u%d@home.example.org", i), "type": "home", "primary": true},
			}
		}
		if i%4 == 0 {
			extra["urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"] = map[string]any{"department": "Eng", "employeeNumber": fmt.Sprint(100 - i)}
		}
		name := fmt.Sprintf("u%02d@example.com", i)
		if i == 29 {
			name = "Zoë@example.com"
		}
		users[name] = e.newUser(name, extra)
	}
	groups = map[string]string{}
	groups["g-a"] = e.newGroup("g-a", users["u00@example.com"], users["u01@example.com"], users["u02@example.com"])
	groups["g-b"] = e.newGroup("G-B", users["u02@example.com"], users["u03@example.com"], groups["g-a"])
	groups["empty"] = e.newGroup("empty")
	return users, groups
}

// allDocs returns every resource of an endpoint, in the server's default order.
func scimAllDocs(e *scimEnv, ep string) []map[string]any {
	e.t.Helper()
	return scimResources(e.must(200, "GET", "/scim/v2/"+ep+"?count=1000", nil))
}

func scimIDs(docs []map[string]any) []string {
	out := make([]string, len(docs))
	for i, d := range docs {
		out[i] = jstr(d, "id")
	}
	return out
}

// expectMatch evaluates a filter with scim.Match over every resource: the reference the
// server's split SQL/in-memory execution must agree with.
func scimExpectMatch(t *testing.T, rt *scim.ResourceType, text string, all []map[string]any) []string {
	t.Helper()
	expr, err := filter.Parse(text)
	if err != nil {
		t.Fatalf("parse %q: %v", text, err)
	}
	var out []string
	for _, d := range all {
		if scim.Match(rt, expr, d) {
			out = append(out, jstr(d, "id"))
		}
	}
	return out
}

func TestSCIMFilters(t *testing.T) {
	forEachBackend(t, server.Config{}, func(t *testing.T, e *scimEnv) {
		users, groups := scimSeed(e)
		allUsers := scimAllDocs(e, "Users")
		allGroups := scimAllDocs(e, "Groups")
		if len(allUsers) != 30 || len(allGroups) != 3 {
			t.Fatalf("seeded %d users, %d groups", len(allUsers), len(allGroups))
		}
		created10 := jstr(allUsers[10], "meta.created")
		userFilters := []struct {
			filter string
			min    int // at least this many matches, so a filter that matches nothing by mistake is noticed
		}{
			{`userName eq "U03@EXAMPLE.com"`, 1},
			{`userName ne "u03@example.com"`, 29},
			{`userName co "1"`, 5},
			{`userName sw "u1"`, 10},
			{`userName ew ".COM"`, 30},
			{`userName gt "u20"`, 5},
			{`userName le "u05@example.com"`, 6},
			{`userName eq "zoë@example.com"`, 1},
			{`userName sw O`, 0},
			{`externalId eq "ext-3"`, 2},
			{`externalId eq "EXT-3"`, 0},
			{`externalId ne "ext-3"`, 25},
			{`externalId pr`, 20},
			{`not (externalId pr)`, 6},
			{`externalId eq null`, 6},
			{`emails.value eq "u4@work.example.com"`, 1},
			{`emails.value eq "U5@work.example.com"`, 1},
			{`emails.value ne "u4@work.example.com"`, 29},
			{`emails co "work"`, 15},
			{`emails.value pr`, 20},
			{`not (emails pr)`, 10},
			{`emails ew "home.example.org"`, 5},
			{`emails[type eq "home"]`, 10},
			{`emails[type eq "work"].value eq "u5@work.example.com"`, 1},
			{`emails[type eq "home" and primary eq true]`, 10},
			{`active eq true`, 20},
			{`active eq false`, 10},
			{`active ne true`, 10},
			{`active eq "True"`, 20},
			{`active pr`, 30},
			{`displayName eq "person 3"`, 4},
			{`displayName pr`, 30},
			{`meta.created gt "2000-01-01T00:00:00Z"`, 30},
			{`meta.created lt "` + created10 + `"`, 10},
			{`meta.created ge "` + created10 + `"`, 20},
			{`meta.lastModified le "2000-01-01T00:00:00Z"`, 0},
			{`meta.Created gt 2015-10-10T14:38:21.8617979-07:00`, 30},
			{`name.familyName eq "Family1"`, 7},
			{`name.FamilyName eq "family1" and active eq true`, 4},
			{`name.familyName eq "Family1" or userName eq "u20@example.com"`, 8},
			{`name.familyName eq "Family1" and (emails.value co "work" or emails.value co "home")`, 4},
			{`urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department eq "Eng"`, 8},
			{`urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber gt "90"`, 2},
			{`groups.value eq "` + groups["g-a"] + `"`, 3},
			{`groups.display eq "g-b" and active eq true`, 1},
			{`not (active eq true) and userName sw "u1"`, 3},
			{`id eq "` + users["u07@example.com"] + `"`, 1},
			{`id ne "` + users["u07@example.com"] + `" and userName lt "u02"`, 2},
			{`title pr`, 0},
			{`userName eq ""`, 0},
			{`externalId ne ""`, 30},
		}
		for _, f := range userFilters {
			want := scimExpectMatch(t, scim.UserResourceType, f.filter, allUsers)
			r := e.must(200, "GET", "/scim/v2/Users?count=1000&filter="+url.QueryEscape(f.filter), nil)
			got := scimIDs(scimResources(r))
			if !slices.Equal(got, want) || jnum(r.doc, "totalResults") != len(want) {
				t.Errorf("filter %s: got %d (total %d), want %d", f.filter, len(got), jnum(r.doc, "totalResults"), len(want))
			}
			if len(want) < f.min {
				t.Errorf("filter %s: the reference matched only %d (want at least %d): fix the test data", f.filter, len(want), f.min)
			}
		}
		groupFilters := []string{
			`displayName eq "G-A"`, `displayName sw "g"`, `members.value eq "` + users["u02@example.com"] + `"`,
			`members eq "` + groups["g-a"] + `"`, `members.value ne "` + users["u02@example.com"] + `"`,
			`members pr`, `not (members pr)`, `members.display eq "u03@example.com"`, `members[type eq "Group"]`,
			`externalId pr`, `id eq "` + groups["empty"] + `"`,
		}
		for _, f := range groupFilters {
			want := scimExpectMatch(t, scim.GroupResourceType, f, allGroups)
			r := e.must(200, "GET", "/scim/v2/Groups?filter="+url.QueryEscape(f), nil)
			if got := scimIDs(scimResources(r)); !slices.Equal(got, want) {
				t.Errorf("group filter %s: got %v, want %v", f, got, want)
			}
		}
		// Entra reads groups without members.
		r := e.must(200, "GET", "/scim/v2/Groups?excludedAttributes=members&filter="+url.QueryEscape(`displayName eq "g-b"`), nil)
		if len(scimResources(r)) != 1 || jget(scimResources(r)[0], "members") != nil {
			t.Errorf("excludedAttributes=members: %s", r.body)
		}

		for _, c := range []struct{ ep, filter, scimType, detail string }{
			{"Users", `nope eq "x"`, "invalidFilter", "nope"},
			{"Users", `name.nope eq "x"`, "invalidFilter", "nope"},
			{"Users", `urn:example:ext:1.0:User:x eq "y"`, "invalidFilter", "urn:example"},
			{"Users", `userName eq`, "invalidFilter", "position"},
			{"Users", `userName eq "x" and`, "invalidFilter", ""},
			{"Users", `(userName eq "x"`, "invalidFilter", ""},
			{"Users", `active gt true`, "invalidFilter", "active"},
			{"Users", `meta.created gt "yesterday"`, "invalidFilter", "yesterday"},
			{"Groups", `userName eq "x"`, "invalidFilter", "userName"},
		} {
			e.wantError(e.do("GET", "/scim/v2/"+c.ep+"?filter="+url.QueryEscape(c.filter), nil), 400, c.scimType, c.detail)
		}

		// .search bodies and the root search.
		r = e.must(200, "POST", "/scim/v2/Users/.search", map[string]any{
			"schemas": []string{"urn:ietf:params:scim:api:messages:2.0:SearchRequest"}, "filter": `userName sw "u0"`,
			"attributes": []string{"userName"}, "startIndex": 2, "count": 3, "sortBy": "userName", "sortOrder": "descending",
		})
		if got := scimResources(r); jnum(r.doc, "totalResults") != 10 || len(got) != 3 || jstr(got[0], "userName") != "u08@example.com" || got[0]["emails"] != nil {
			t.Errorf(".search: %s", r.body)
		}
		r = e.must(200, "POST", "/scim/v2/.search", map[string]any{"filter": `displayName sw "g"`, "count": 100})
		if jnum(r.doc, "totalResults") != 2 {
			t.Errorf("root .search displayName: %s", r.body)
		}
		r = e.must(200, "POST", "/scim/v2/.search", map[string]any{"filter": `displayName pr`, "startIndex": 29, "count": 3})
		if got := scimResources(r); jnum(r.doc, "totalResults") != 33 || len(got) != 3 || jstr(got[0], "meta.resourceType") != "User" || jstr(got[2], "meta.resourceType") != "Group" {
			t.Errorf("root .search across types: %s", r.body)
		}
		e.wantError(e.do("POST", "/scim/v2/.search", map[string]any{"filter": `nope eq 1`}), 400, "invalidFilter", "nope")
		e.wantError(e.do("POST", "/scim/v2/Users/.search", `{"count": "many"}`), 400, "invalidValue", "count")
	})
}

func TestSCIMPaging(t *testing.T) {
	forEachBackend(t, server.Config{}, func(t *testing.T, e *scimEnv) {
		scimSeed(e)
		all := scimIDs(scimAllDocs(e, "Users"))

		r := e.must(200, "GET", "/scim/v2/Users?count=0", nil)
		if jnum(r.doc, "totalResults") != 30 || jnum(r.doc, "itemsPerPage") != 0 || !strings.Contains(string(r.body), `"Resources":[]`) {
			t.Errorf("count=0: %s", r.body)
		}
		r = e.must(200, "GET", "/scim/v2/Users?startIndex=0&count=2", nil)
		if got := scimIDs(scimResources(r)); !slices.Equal(got, all[:2]) || jnum(r.doc, "startIndex") != 1 || jnum(r.doc, "itemsPerPage") != 2 {
			t.Errorf("startIndex=0: %s", r.body)
		}
		r = e.must(200, "GET", "/scim/v2/Users?startIndex=29&count=5", nil)
		if got := scimIDs(scimResources(r)); !slices.Equal(got, all[28:]) || jnum(r.doc, "startIndex") != 29 {
			t.Errorf("last page: %v", got)
		}
		r = e.must(200, "GET", "/scim/v2/Users?startIndex=31", nil)
		if len(scimResources(r)) != 0 || jnum(r.doc, "totalResults") != 30 {
			t.Errorf("past the end: %s", r.body)
		}
		if r = e.must(200, "GET", "/scim/v2/Users?count=50000", nil); len(scimResources(r)) != 30 {
			t.Errorf("large count: %d", len(scimResources(r)))
		}
		if r = e.must(200, "GET", "/scim/v2/Users?count=-3", nil); len(scimResources(r)) != 0 || jnum(r.doc, "totalResults") != 30 {
			t.Errorf("negative count: %s", r.body)
		}
		e.wantError(e.do("GET", "/scim/v2/Users?startIndex=abc", nil), 400, "invalidValue", "startIndex")
		e.wantError(e.do("GET", "/scim/v2/Users?count=1.5", nil), 400, "invalidValue", "count")

		// The in-memory path pages and counts exactly like the SQL one.
		inMem := `name.familyName pr`
		r = e.must(200, "GET", "/scim/v2/Users?startIndex=4&count=5&filter="+url.QueryEscape(inMem), nil)
		if got := scimIDs(scimResources(r)); !slices.Equal(got, all[3:8]) || jnum(r.doc, "totalResults") != 30 {
			t.Errorf("in-memory page: %v total %d", got, jnum(r.doc, "totalResults"))
		}

		// Cursor paging, pushed and in memory, covers every resource exactly once.
		for _, f := range []string{"", `userName sw "u"`, `name.familyName ne "Family0"`} {
			want := all
			if f != "" {
				want = scimExpectMatch(t, scim.UserResourceType, f, scimAllDocs(e, "Users"))
			}
			var got []string
			cursor := ""
			for range 20 {
				r = e.must(200, "GET", "/scim/v2/Users?count=7&filter="+url.QueryEscape(f)+"&cursor="+url.QueryEscape(cursor), nil)
				if jnum(r.doc, "totalResults") != len(want) || r.doc["startIndex"] != nil {
					t.Errorf("cursor page %q: %s", f, r.body)
				}
				got = append(got, scimIDs(scimResources(r))...)
				cursor = jstr(r.doc, "nextCursor")
				if cursor == "" {
					break
				}
			}
			if !slices.Equal(got, want) {
				t.Errorf("cursor paging %q: got %d ids, want %d", f, len(got), len(want))
			}
		}
		for _, bad := range []string{"not-a-cursor!", "djE6eA", "djE6LTU"} {
			e.wantError(e.do("GET", "/scim/v2/Users?cursor="+bad, nil), 400, "invalidCursor", "nextCursor")
		}
		e.wantError(e.do("GET", "/scim/v2/Users?cursor=&startIndex=2", nil), 400, "invalidValue", "cursor")
		e.wantError(e.do("GET", "/scim/v2/Users?cursor=&sortBy=userName", nil), 400, "invalidValue", "sortBy")

		// Sorting: pushed (userName) and in memory (name.familyName, emails).
		r = e.must(200, "GET", "/scim/v2/Users?sortBy=userName&sortOrder=descending&count=3", nil)
		if got := scimResources(r); jstr(got[0], "userName") != "Zoë@example.com" || jstr(got[1], "userName") != "u28@example.com" {
			t.Errorf("sortBy userName descending: %v", scimIDs(got))
		}
		for _, q := range []string{"sortBy=name.familyName", "sortBy=name.familyName&filter=" + url.QueryEscape(`active eq true`), "sortBy=userName&filter=" + url.QueryEscape(`name.givenName eq "G"`)} {
			r = e.must(200, "GET", "/scim/v2/Users?count=100&"+q, nil)
			key := "name.familyName"
			if strings.HasPrefix(q, "sortBy=userName") {
				key = "userName"
			}
			vals := make([]string, 0)
			for _, d := range scimResources(r) {
				vals = append(vals, strings.ToLower(jstr(d, key)))
			}
			if len(vals) == 0 || !sort.StringsAreSorted(vals) {
				t.Errorf("%s: not sorted: %v", q, vals)
			}
		}
		r = e.must(200, "GET", "/scim/v2/Users?sortBy=emails&count=100", nil)
		if got := scimResources(r); jstr(got[len(got)-1], "emails.0.value") != "" {
			t.Errorf("sortBy emails: users without emails must come last")
		}
		e.wantError(e.do("GET", "/scim/v2/Users?sortBy=nope", nil), 400, "invalidValue", "nope")
		e.wantError(e.do("GET", "/scim/v2/Users?sortBy=userName&sortOrder=up", nil), 400, "invalidValue", "sortOrder")
	})
}

func TestSCIMAttributes(t *testing.T) {
	forEachBackend(t, server.Config{}, func(t *testing.T, e *scimEnv) {
		users, groups := scimSeed(e)
		id := users["u02@example.com"]
		r := e.must(200, "GET", "/scim/v2/Users/"+id+"?attributes=userName", nil)
		if jstr(r.doc, "userName") == "" || jstr(r.doc, "id") == "" || r.doc["emails"] != nil || r.doc["name"] != nil || r.doc["groups"] != nil {
			t.Errorf("attributes=userName: %s", r.body)
		}
		r = e.must(200, "GET", "/scim/v2/Users/"+id+"?excludedAttributes=emails,groups", nil)
		if r.doc["emails"] != nil || r.doc["groups"] != nil || jstr(r.doc, "name.familyName") == "" {
			t.Errorf("excludedAttributes: %s", r.body)
		}
		r = e.must(200, "GET", "/scim/v2/Users/"+id, nil)
		if gs, _ := r.doc["groups"].([]any); len(gs) != 2 {
			t.Errorf("groups attribute: %s", r.body)
		}
		r = e.must(200, "GET", "/scim/v2/Users?attributes="+url.QueryEscape(`emails[type eq "work"]`)+"&filter="+url.QueryEscape(`userName eq "u02@example.com"`), nil)
		if !strings.Contains(string(r.body), "U2@Work.Example.com") || strings.Contains(string(r.body), "Family") {
			t.Errorf("Entra attributes filter: %s", r.body)
		}
		r = e.must(201, "POST", "/scim/v2/Users?attributes=userName", map[string]any{
			"schemas": []string{scim.URNUser}, "userName": "proj@example.com", "displayName": "P"})
		if r.doc["displayName"] != nil || jstr(r.doc, "userName") != "proj@example.com" {
			t.Errorf("POST attributes: %s", r.body)
		}
		pid := jstr(r.doc, "id")
		r = e.must(200, "PUT", "/scim/v2/Users/"+pid+"?excludedAttributes=displayName", map[string]any{
			"schemas": []string{scim.URNUser}, "userName": "proj@example.com", "displayName": "Q"})
		if r.doc["displayName"] != nil || jstr(r.doc, "userName") == "" {
			t.Errorf("PUT excludedAttributes: %s", r.body)
		}
		r = e.must(200, "PATCH", "/scim/v2/Users/"+pid+"?attributes=displayName", scimPatchBody(scimOp("replace", "displayName", "R")))
		if jstr(r.doc, "displayName") != "R" || r.doc["userName"] != nil {
			t.Errorf("PATCH attributes: %s", r.body)
		}
		r = e.must(200, "GET", "/scim/v2/Groups/"+groups["g-b"]+"?excludedAttributes=members", nil)
		if r.doc["members"] != nil || jstr(r.doc, "displayName") != "G-B" {
			t.Errorf("group excludedAttributes=members: %s", r.body)
		}
		r = e.must(200, "GET", "/scim/v2/Groups?attributes=displayName", nil)
		for _, g := range scimResources(r) {
			if g["members"] != nil {
				t.Errorf("group list attributes=displayName has members")
			}
		}
	})
}
