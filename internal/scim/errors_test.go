package scim

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"testing"

	"github.com/rolecall/rolecall/internal/scim/filter"
)

func TestErrorJSON(t *testing.T) {
	tests := []struct {
		err  *Error
		want string
	}{
		{ErrInvalidFilter("unknown attribute %q", "foo"), `{"schemas":["urn:ietf:params:scim:api:messages:2.0:Error"],"status":"400","scimType":"invalidFilter","detail":"unknown attribute \"foo\""}`},
		{ErrUniqueness("userName taken"), `{"schemas":["urn:ietf:params:scim:api:messages:2.0:Error"],"status":"409","scimType":"uniqueness","detail":"userName taken"}`},
		{ErrNotFound("no such user"), `{"schemas":["urn:ietf:params:scim:api:messages:2.0:Error"],"status":"404","detail":"no such user"}`},
		{ErrStatus(http.StatusPreconditionFailed, "version mismatch"), `{"schemas":["urn:ietf:params:scim:api:messages:2.0:Error"],"status":"412","detail":"version mismatch"}`},
		{ErrInvalidValue("100%% sure"), `{"schemas":["urn:ietf:params:scim:api:messages:2.0:Error"],"status":"400","scimType":"invalidValue","detail":"100% sure"}`},
	}
	for _, tc := range tests {
		b, err := json.Marshal(tc.err)
		if err != nil || string(b) != tc.want {
			t.Errorf("got %s %v\nwant %s", b, err, tc.want)
		}
		var back Error
		if err := json.Unmarshal(b, &back); err != nil || back != *tc.err {
			t.Errorf("round trip: %+v %v", back, err)
		}
	}
	var e Error
	if err := json.Unmarshal([]byte(`{"status":404,"detail":"x"}`), &e); err != nil || e.Status != 404 {
		t.Errorf("numeric status: %+v %v", e, err)
	}
	for ctor, want := range map[*Error][2]any{
		ErrTooMany("x"):       {400, "tooMany"},
		ErrMutability("x"):    {400, "mutability"},
		ErrInvalidSyntax("x"): {400, "invalidSyntax"},
		ErrInvalidPath("x"):   {400, "invalidPath"},
		ErrNoTarget("x"):      {400, "noTarget"},
		ErrInvalidVers("x"):   {400, "invalidVers"},
	} {
		if ctor.Status != want[0] || ctor.ScimType != want[1] {
			t.Errorf("%+v, want %v", ctor, want)
		}
	}
}

func TestAsError(t *testing.T) {
	e := ErrNoTarget("x")
	if AsError(fmt.Errorf("wrapped: %w", e)) != e {
		t.Errorf("wrapped *Error not unwrapped")
	}
	_, perr := filter.Parse(`userName eq`)
	if got := AsError(perr); got.Status != 400 || got.ScimType != ScimTypeInvalidFilter {
		t.Errorf("syntax error → %+v", got)
	}
	if got := AsError(errors.New("disk on fire")); got.Status != 500 || got.Detail != "internal error" {
		t.Errorf("other error → %+v", got)
	}
	if AsError(nil) != nil {
		t.Errorf("nil → non-nil")
	}
	if s := ErrInvalidPath("bad").Error(); s != "scim 400 invalidPath: bad" {
		t.Errorf("Error() = %q", s)
	}
}

func TestListResponseJSON(t *testing.T) {
	b, _ := json.Marshal(ListResponse{})
	if string(b) != `{"schemas":["urn:ietf:params:scim:api:messages:2.0:ListResponse"],"totalResults":0,"itemsPerPage":0,"Resources":[]}` {
		t.Errorf("empty: %s", b)
	}
	b, _ = json.Marshal(ListResponse{TotalResults: 5, ItemsPerPage: 2, StartIndex: 1, NextCursor: "abc", Resources: []any{map[string]any{"id": "1"}, map[string]any{"id": "2"}}})
	if string(b) != `{"schemas":["urn:ietf:params:scim:api:messages:2.0:ListResponse"],"totalResults":5,"itemsPerPage":2,"startIndex":1,"nextCursor":"abc","Resources":[{"id":"1"},{"id":"2"}]}` {
		t.Errorf("page: %s", b)
	}
	b, _ = json.Marshal(&ListResponse{Resources: []any{}})
	if string(b) != `{"schemas":["urn:ietf:params:scim:api:messages:2.0:ListResponse"],"totalResults":0,"itemsPerPage":0,"Resources":[]}` {
		t.Errorf("pointer: %s", b)
	}
}
