package scimapi

import (
	"net/url"
	"testing"
	"unicode/utf8"

	"github.com/rolecall/rolecall/internal/scim"
	"github.com/rolecall/rolecall/internal/service"
)

// Fuzz tests of what the SCIM handlers parse themselves: list query parameters, .search
// bodies, cursors and resource bodies. None may panic, and what they accept must hold
// together (a filter that plans must validate; a cursor round-trips).

func FuzzSCIMListQuery(f *testing.F) {
	for _, s := range []string{
		"filter=userName+eq+%22a%22&startIndex=1&count=100",
		"filter=name.familyName+eq+x+and+(emails.value+co+y+or+active+eq+true)&sortBy=name.familyName&sortOrder=descending",
		"cursor=&count=7", "cursor=djE6MTI", "cursor=%00", "count=-1&startIndex=-5", "sortBy=emails[type",
		"filter=members[value+eq+%22a%22]&attributes=members", "filter=meta.created+gt+%222020-01-01T00:00:00Z%22",
		"filter=not+(externalId+pr)", "filter=userName+gt+%22%C3%A9%22",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		vals, err := url.ParseQuery(raw)
		if err != nil {
			return
		}
		q, err := parseListQuery(vals)
		if err != nil {
			return
		}
		if q.startIndex < 1 || q.count < 0 || q.count > scimMaxCount {
			t.Fatalf("paging out of range: %+v", q)
		}
		for _, rt := range []*scim.ResourceType{scim.UserResourceType, scim.GroupResourceType} {
			for _, sqlite := range []bool{true, false} {
				p, err := planFilter(rt, q.filter, sqlite)
				if err != nil {
					continue
				}
				if p.cond == nil && p.residual == nil && q.filter != "" && !blank(q.filter) {
					t.Fatalf("filter %q planned to nothing", q.filter)
				}
			}
			_, _ = planSort(rt, q.sortBy, q.descending)
			_, _ = scim.ParseProjection(rt, q.attributes, q.excluded)
		}
	})
}

func blank(s string) bool {
	for _, c := range s {
		if c != ' ' && c != '\t' && c != '\n' && c != '\r' {
			return false
		}
	}
	return true
}

func FuzzSCIMSearchBody(f *testing.F) {
	for _, s := range []string{
		`{"schemas":["urn:ietf:params:scim:api:messages:2.0:SearchRequest"],"filter":"userName sw \"a\"","attributes":["userName"],"startIndex":2,"count":3}`,
		`{"count":"many"}`, `{"attributes":"a,b","cursor":""}`, `[]`, ``, `{"startIndex":1e99}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		q, err := parseSearchBody(b)
		if err == nil && (q.startIndex < 1 || q.count < 0 || q.count > scimMaxCount) {
			t.Fatalf("paging out of range: %+v", q)
		}
	})
}

func FuzzSCIMCursor(f *testing.F) {
	f.Add("djI6MDFhMjQxMGQtYjA2Ni03OGI5", "01a2410d-b066-78b9-b00c-6a7ccf791ab5")
	f.Add("djE6MTI", "x")
	f.Add("", "")
	f.Add("!!", "\xff")
	f.Fuzz(func(t *testing.T, c, id string) {
		_, _ = decodeCursor(c)
		if id == "" || len(id) > maxCursorID || !utf8.ValidString(id) {
			return
		}
		got, err := decodeCursor(encodeCursor(id))
		if err != nil || got != id {
			t.Fatalf("cursor %q round-trips to %q, %v", id, got, err)
		}
	})
}

func FuzzSCIMResourceBody(f *testing.F) {
	for _, s := range []string{
		`{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"a","emails":[{"value":"a@b","primary":"True"}],"active":"False"}`,
		`{"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],"displayName":"g","members":[{"value":"x","displayName":"X"},"y"]}`,
		`{"acve": tre}`, `{"schemas":"x"}`, `null`, `{"userName":1e400}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := decodeSCIMObject(b)
		if err != nil {
			return
		}
		if doc, err := scim.Normalize(scim.UserResourceType, m); err == nil {
			u, err := service.UserFromDoc("org", doc)
			if err != nil {
				t.Fatalf("userFromDoc: %v", err)
			}
			if u.UserName == "" {
				t.Fatalf("a normalised user without userName: %s", b)
			}
		}
		if doc, err := scim.Normalize(scim.GroupResourceType, m); err == nil {
			_ = scim.TakeMembers(doc)
			if _, err := service.GroupStoredDoc(doc, map[string]string{"a": "b"}); err != nil {
				t.Fatalf("groupStoredDoc: %v", err)
			}
		}
	})
}
