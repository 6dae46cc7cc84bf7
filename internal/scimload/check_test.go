package scimload

import (
	"encoding/json"
	"strconv"
	"strings"
	"testing"
)

func TestCheckCreated(t *testing.T) {
	tests := []struct {
		name, attr, want string
		status           int
		body             string
		wantID, wantErr  string
	}{
		{"user ok", "userName", "a@x", 201, `{"id":"1","userName":"a@x"}`, "1", ""},
		{"group ok", "displayName", "G", 201, `{"id":"g","displayName":"G"}`, "g", ""},
		{"200 instead of 201", "userName", "a@x", 200, `{"id":"1","userName":"a@x"}`, "", "status 200, want 201"},
		{"conflict", "userName", "a@x", 409, `{"detail":"taken"}`, "", "taken"},
		{"no id", "userName", "a@x", 201, `{"userName":"a@x"}`, "", "without an id"},
		{"other userName", "userName", "a@x", 201, `{"id":"1","userName":"b@x"}`, "", `"b@x", sent "a@x"`},
		{"not json", "userName", "a@x", 201, `<html>`, "", "unreadable"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			id, err := checkCreated(tc.status, []byte(tc.body), tc.attr, tc.want)
			assertErr(t, err, tc.wantErr)
			if tc.wantErr == "" && id != tc.wantID {
				t.Errorf("id %q, want %q", id, tc.wantID)
			}
		})
	}
}

func TestCheckFoundAndNotFound(t *testing.T) {
	list := func(total int, res string) string {
		return `{"schemas":["` + listSchema + `"],"totalResults":` + itoa(total) + `,"Resources":[` + res + `]}`
	}
	tests := []struct {
		name, body, wantID, wantErr string
		status                      int
	}{
		{"found", list(1, `{"id":"7","userName":"A@x"}`), "7", "", 200},
		{"found wrong id", list(1, `{"id":"8","userName":"a@x"}`), "7", `id "8", want "7"`, 200},
		{"none", list(0, ``), "", "totalResults 0 with 0 Resources", 200},
		{"two", list(2, `{"id":"7","userName":"a@x"},{"id":"9","userName":"a@x"}`), "", "totalResults 2", 200},
		{"other user", list(1, `{"id":"7","userName":"b@x"}`), "", `returned "b@x"`, 200},
		{"no total", `{"schemas":["` + listSchema + `"],"Resources":[]}`, "", "without totalResults", 200},
		{"no schema", `{"totalResults":1,"Resources":[{"id":"7","userName":"a@x"}]}`, "", "without schema", 200},
		{"500", `{}`, "", "status 500", 500},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := checkFound(tc.status, []byte(tc.body), "userName", "a@x", tc.wantID)
			assertErr(t, err, tc.wantErr)
		})
	}
	if err := checkNotFound(200, []byte(list(0, ``))); err != nil {
		t.Errorf("empty list: %v", err)
	}
	if err := checkNotFound(200, []byte(list(1, `{"id":"1"}`))); err == nil {
		t.Errorf("a list with a result passed checkNotFound")
	}
}

func TestCheckPatched(t *testing.T) {
	f := false
	tests := []struct {
		name, body, wantErr string
		status              int
		active              *bool
	}{
		{"204", ``, "", 204, &f},
		{"200 empty", ``, "", 200, nil},
		{"200 inactive", `{"id":"u","active":false}`, "", 200, &f},
		{"200 still active", `{"id":"u","active":true}`, "left active true", 200, &f},
		{"200 no active", `{"id":"u"}`, "left active absent", 200, &f},
		{"200 other id", `{"id":"v"}`, `answered with id "v"`, 200, nil},
		{"404", `{"detail":"no such user"}`, "status 404, want 200 or 204: {\"detail\":\"no such user\"}", 404, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			assertErr(t, checkPatched(tc.status, []byte(tc.body), "u", tc.active), tc.wantErr)
		})
	}
}

func TestCheckPage(t *testing.T) {
	page := func(total, start int, n int) string {
		var res []string
		for i := range n {
			res = append(res, `{"id":"`+itoa(start+i)+`","userName":"u`+itoa(start+i)+`"}`)
		}
		return `{"schemas":["` + listSchema + `"],"totalResults":` + itoa(total) + `,"startIndex":` + itoa(start) + `,"Resources":[` + strings.Join(res, ",") + `]}`
	}
	tests := []struct {
		name           string
		body           string
		start, count   int
		wantTotal, wan int
		wantErr        string
	}{
		{"full page", page(250, 101, 100), 101, 100, 250, 100, ""},
		{"last page", page(250, 201, 50), 201, 100, 250, 50, ""},
		{"past the end", page(250, 301, 0), 301, 100, 250, 0, ""},
		{"too many", page(250, 1, 101), 1, 100, 250, 101, "requested count 100"},
		{"empty inside", page(250, 101, 0), 101, 100, 250, 0, "empty page"},
		{"wrong start", page(250, 1, 10), 11, 100, 250, 10, "startIndex 1, requested 11"},
		{"no userName", `{"schemas":["` + listSchema + `"],"totalResults":1,"Resources":[{"id":"1"}]}`, 1, 100, 1, 1, "without id or userName"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			total, n, err := checkPage(200, []byte(tc.body), tc.start, tc.count)
			assertErr(t, err, tc.wantErr)
			if total != tc.wantTotal || n != tc.wan {
				t.Errorf("total %d n %d, want %d and %d", total, n, tc.wantTotal, tc.wan)
			}
		})
	}
}

// Bodies must be valid JSON carrying what the checks compare against.
func TestBodies(t *testing.T) {
	for i := range 4 {
		var u struct {
			Schemas  []string `json:"schemas"`
			UserName string   `json:"userName"`
			Active   bool     `json:"active"`
			Emails   []email  `json:"emails"`
		}
		b := userBody("n"+itoa(i)+"@example.com", i)
		if err := json.Unmarshal(b, &u); err != nil {
			t.Fatalf("user body %d: %v: %s", i, err, b)
		}
		if u.UserName != "n"+itoa(i)+"@example.com" || !u.Active || u.Schemas[0] != schemaUser || len(u.Emails) != 1 {
			t.Errorf("user body %d: %s", i, b)
		}
		if hasExt := strings.Contains(string(b), schemaEnterprise); hasExt != (i%2 == 0) {
			t.Errorf("body %d: enterprise extension present=%v; Entra (even) bodies carry it, Okta's do not", i, hasExt)
		}
		var g struct{ DisplayName string }
		if err := json.Unmarshal(groupBody(`G "q"`, i), &g); err != nil || g.DisplayName != `G "q"` {
			t.Errorf("group body %d: %v %q", i, err, g.DisplayName)
		}
	}
	for _, style := range []memberStyle{styleEntra, styleOkta} {
		for _, add := range []bool{true, false} {
			var p struct {
				Schemas    []string
				Operations []struct {
					Op, Path string
					Value    []struct{ Value string }
				}
			}
			b := patchMembers(add, []string{"a", "b"}, style)
			if err := json.Unmarshal(b, &p); err != nil || p.Schemas[0] != schemaPatchOp {
				t.Fatalf("patch style %d add %v: %v: %s", style, add, err, b)
			}
			ids := 0
			for _, op := range p.Operations {
				ids += len(op.Value)
				if strings.HasPrefix(op.Path, "members[value eq") {
					ids++
				}
			}
			if ids != 2 {
				t.Errorf("patch style %d add %v names %d members, want 2: %s", style, add, ids, b)
			}
		}
	}
	for _, b := range [][]byte{patchDeactivate(), patchUserAttrs(`t"`, "d")} {
		if !json.Valid(b) {
			t.Errorf("invalid patch body %s", b)
		}
	}
}

// FuzzChecks feeds arbitrary bodies and statuses to every check: none may panic, and none may
// accept a body that is not a JSON object.
func FuzzChecks(f *testing.F) {
	f.Add(201, []byte(`{"id":"1","userName":"a"}`))
	f.Add(200, []byte(`{"schemas":["`+listSchema+`"],"totalResults":1,"Resources":[{"id":"1","userName":"a"}]}`))
	f.Add(200, []byte(`{"schemas":["`+listSchema+`"],"totalResults":-1,"startIndex":0,"Resources":null}`))
	f.Add(204, []byte(``))
	f.Add(200, []byte(`{"id":"u","active":"false"}`))
	f.Fuzz(func(t *testing.T, status int, body []byte) {
		valid := json.Valid(body) && strings.HasPrefix(strings.TrimSpace(string(body)), "{")
		if _, err := checkCreated(status, body, "userName", "a"); err == nil && !valid {
			t.Fatalf("checkCreated accepted %q", body)
		}
		if _, err := checkFound(status, body, "userName", "a", ""); err == nil && !valid {
			t.Fatalf("checkFound accepted %q", body)
		}
		_ = checkNotFound(status, body)
		_ = checkPatched(status, body, "u", nil)
		_, _, _ = checkPage(status, body, 1, 100)
	})
}

func assertErr(t *testing.T, err error, want string) {
	t.Helper()
	switch {
	case want == "" && err != nil:
		t.Fatalf("unexpected error: %v", err)
	case want != "" && err == nil:
		t.Fatalf("no error, want one mentioning %q", want)
	case want != "" && !strings.Contains(err.Error(), want):
		t.Fatalf("error %q does not mention %q", err, want)
	}
}

func itoa(i int) string { return strconv.Itoa(i) }
