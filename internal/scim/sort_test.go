package scim

import (
	"net/http"
	"slices"
	"testing"
)

func TestSorter(t *testing.T) {
	docs := []map[string]any{
		doc(t, `{"id":"a","userName":"carol","meta":{"created":"2020-01-01T00:00:00Z"},"emails":[{"value":"z@x"},{"value":"b@x","primary":true}],"active":true}`),
		doc(t, `{"id":"B","userName":"Alice","meta":{"created":"2020-01-01T01:00:00+02:00"},"emails":[{"value":"c@x"}],"active":false}`),
		doc(t, `{"id":"c","userName":"bob","urn:ietf:params:scim:schemas:extension:enterprise:2.0:User":{"employeeNumber":"5"}}`),
	}
	ids := func(by string, desc bool) []string {
		s, err := NewSorter(UserResourceType, by, desc)
		if err != nil {
			t.Fatalf("%s: %v", by, err)
		}
		d := slices.Clone(docs)
		slices.SortStableFunc(d, s.Compare)
		out := make([]string, len(d))
		for i, x := range d {
			out[i] = x["id"].(string)
		}
		return out
	}
	for _, tc := range []struct {
		by   string
		desc bool
		want []string
	}{
		{"userName", false, []string{"B", "c", "a"}}, // folded: alice < bob < carol
		{"UserName", true, []string{"a", "c", "B"}},
		{"id", false, []string{"B", "a", "c"}},           // caseExact: "B" < "a"
		{"meta.created", false, []string{"B", "a", "c"}}, // 2019-12-31T23:00Z first; absent last
		{"meta.created", true, []string{"a", "B", "c"}},  // absent last in both orders
		{"emails", false, []string{"a", "B", "c"}},       // primary b@x, then c@x
		{"emails.value", true, []string{"B", "a", "c"}},
		{"active", false, []string{"B", "a", "c"}},
		{"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber", false, []string{"c", "a", "B"}},
	} {
		if got := ids(tc.by, tc.desc); !slices.Equal(got, tc.want) {
			t.Errorf("sortBy=%s desc=%v: %v, want %v", tc.by, tc.desc, got, tc.want)
		}
	}
	c, err := CompareForSort(UserResourceType, "userName", docs[0], docs[1])
	if err != nil || c <= 0 {
		t.Errorf("CompareForSort carol vs Alice = %d, %v", c, err)
	}
	for _, bad := range []string{"nope", "name", "name.nick", "urn:x:y:2.0:User:z"} {
		_, err := NewSorter(UserResourceType, bad, false)
		wantSCIMErr(t, err, http.StatusBadRequest, ScimTypeInvalidValue, "sortBy")
	}
}
