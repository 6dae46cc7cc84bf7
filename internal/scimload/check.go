package scimload

import (
	"encoding/json"
	"fmt"
	"strings"
)

// Response checks. Each takes the status and body of one exchange and what the request asked
// for, and returns a descriptive error when the server's answer is not what an IdP needs: a
// fast wrong answer must count as an error, not as throughput.

// resource is the part of a User or Group representation the checks look at.
type resource struct {
	ID          string `json:"id"`
	UserName    string `json:"userName"`
	DisplayName string `json:"displayName"`
	Active      *bool  `json:"active"`
}

// listResponse is the part of a SCIM ListResponse the checks look at.
type listResponse struct {
	Schemas      []string   `json:"schemas"`
	TotalResults *int       `json:"totalResults"`
	StartIndex   *int       `json:"startIndex"`
	ItemsPerPage *int       `json:"itemsPerPage"`
	Resources    []resource `json:"Resources"`
}

const listSchema = "urn:ietf:params:scim:api:messages:2.0:ListResponse"

// statusError describes an unexpected status, with the start of the body (where a SCIM error
// carries its detail).
func statusError(got int, want string, body []byte) error {
	return fmt.Errorf("status %d, want %s: %s", got, want, snippet(body))
}

// snippet shortens a body for an error message.
func snippet(body []byte) string {
	const n = 240
	s := strings.TrimSpace(string(body))
	if len(s) > n {
		s = s[:n] + "…"
	}
	if s == "" {
		s = "(empty body)"
	}
	return s
}

// checkCreated checks a POST answer: 201 and a representation with an id and the userName
// (Users) or displayName (Groups) that was sent. It returns the new id.
func checkCreated(status int, body []byte, attr, want string) (string, error) {
	if status != 201 {
		return "", statusError(status, "201", body)
	}
	var r resource
	if err := json.Unmarshal(body, &r); err != nil {
		return "", fmt.Errorf("201 with an unreadable body (%v): %s", err, snippet(body))
	}
	if r.ID == "" {
		return "", fmt.Errorf("201 without an id: %s", snippet(body))
	}
	got := r.UserName
	if attr == "displayName" {
		got = r.DisplayName
	}
	if got != want {
		return "", fmt.Errorf("201 with %s %q, sent %q", attr, got, want)
	}
	return r.ID, nil
}

// decodeList reads a ListResponse and checks its schema and totalResults are present.
func decodeList(status int, body []byte) (listResponse, error) {
	var l listResponse
	if status != 200 {
		return l, statusError(status, "200", body)
	}
	if err := json.Unmarshal(body, &l); err != nil {
		return l, fmt.Errorf("200 with an unreadable ListResponse (%v): %s", err, snippet(body))
	}
	if len(l.Schemas) == 0 || l.Schemas[0] != listSchema {
		return l, fmt.Errorf("ListResponse without schema %s: %s", listSchema, snippet(body))
	}
	if l.TotalResults == nil {
		return l, fmt.Errorf("ListResponse without totalResults: %s", snippet(body))
	}
	return l, nil
}

// checkFound checks a filter lookup expected to match exactly one resource whose attr
// (userName or displayName) equals want (case-insensitively, as both are caseExact=false) and,
// when wantID is not empty, whose id is wantID. It returns the id found.
func checkFound(status int, body []byte, attr, want, wantID string) (string, error) {
	l, err := decodeList(status, body)
	if err != nil {
		return "", err
	}
	if *l.TotalResults != 1 || len(l.Resources) != 1 {
		return "", fmt.Errorf("lookup of %s %q: totalResults %d with %d Resources, want 1 and 1", attr, want, *l.TotalResults, len(l.Resources))
	}
	r := l.Resources[0]
	got := r.UserName
	if attr == "displayName" {
		got = r.DisplayName
	}
	if !strings.EqualFold(got, want) {
		return "", fmt.Errorf("lookup of %s %q returned %q", attr, want, got)
	}
	if r.ID == "" || (wantID != "" && r.ID != wantID) {
		return "", fmt.Errorf("lookup of %s %q returned id %q, want %q", attr, want, r.ID, wantID)
	}
	return r.ID, nil
}

// checkNotFound checks a filter lookup expected to match nothing: 200, totalResults 0.
func checkNotFound(status int, body []byte) error {
	l, err := decodeList(status, body)
	if err != nil {
		return err
	}
	if *l.TotalResults != 0 || len(l.Resources) != 0 {
		return fmt.Errorf("lookup of an absent resource: totalResults %d with %d Resources, want 0", *l.TotalResults, len(l.Resources))
	}
	return nil
}

// checkPatched checks a PATCH answer: 204, or 200 with the representation of the resource
// patched (same id) and, when wantActive is set, that active now has that value.
func checkPatched(status int, body []byte, id string, wantActive *bool) error {
	switch status {
	case 204:
		return nil
	case 200:
	default:
		return statusError(status, "200 or 204", body)
	}
	if len(strings.TrimSpace(string(body))) == 0 {
		return nil // 200 with no body: accepted by both IdPs
	}
	var r resource
	if err := json.Unmarshal(body, &r); err != nil {
		return fmt.Errorf("200 with an unreadable body (%v): %s", err, snippet(body))
	}
	if r.ID != id {
		return fmt.Errorf("PATCH of %q answered with id %q", id, r.ID)
	}
	if wantActive != nil && (r.Active == nil || *r.Active != *wantActive) {
		got := "absent"
		if r.Active != nil {
			got = fmt.Sprint(*r.Active)
		}
		return fmt.Errorf("PATCH of %q left active %s, want %v", id, got, *wantActive)
	}
	return nil
}

// checkPage checks one page of an Okta-style walk requested with startIndex and count: every
// resource has an id and userName, no more than count come back, a page inside the result set
// is not empty, and startIndex (when present) echoes the request. It returns totalResults and
// the number of resources on the page.
func checkPage(status int, body []byte, startIndex, count int) (total, n int, err error) {
	l, err := decodeList(status, body)
	if err != nil {
		return 0, 0, err
	}
	total, n = *l.TotalResults, len(l.Resources)
	if l.StartIndex != nil && *l.StartIndex != startIndex {
		return total, n, fmt.Errorf("page startIndex %d, requested %d", *l.StartIndex, startIndex)
	}
	if n > count {
		return total, n, fmt.Errorf("page of %d resources, requested count %d", n, count)
	}
	if startIndex <= total && n == 0 {
		return total, n, fmt.Errorf("empty page at startIndex %d of totalResults %d", startIndex, total)
	}
	for _, r := range l.Resources {
		if r.ID == "" || r.UserName == "" {
			return total, n, fmt.Errorf("page resource without id or userName: %+v", r)
		}
	}
	return total, n, nil
}
