// Package api holds the wire types of rolecall's admin API (/api/v1): the JSON documents the
// server writes and the client reads, so both sides agree by construction. It holds no logic
// beyond small conversions. Where the pure core already has the document (the planner's
// enforce.Plan, the access review access.Review), the API uses that type as it is instead of a
// copy. It may import access, enforce, rules (the rule-change preview), events (the CloudEvent of the change feed) and the
// standard library.
package api

import (
	"fmt"
	"time"
)

// Error is the body of every non-2xx admin API answer.
type Error struct {
	Status  int    `json:"status"`
	Code    string `json:"code"`
	Message string `json:"message"`
	// Details carries structured context when there is some (e.g. the valid roles).
	Details any `json:"details,omitempty"`
}

func (e *Error) Error() string { return fmt.Sprintf("%s (HTTP %d %s)", e.Message, e.Status, e.Code) }

// Error codes. They are stable: scripts may match on them.
const (
	CodeBadRequest   = "bad_request"
	CodeUnauthorized = "unauthorized"
	CodeForbidden    = "forbidden"
	CodeNotFound     = "not_found"
	CodeConflict     = "conflict"
	CodeVersion      = "version_mismatch"
	CodeTooLarge     = "payload_too_large"
	CodeInternal     = "internal"
	CodeUnavailable  = "unavailable"
	// CodeCursorExpired (410): the change feed no longer holds the events after the cursor
	// given (retention deleted them); read the state again and follow from a new cursor.
	CodeCursorExpired = "cursor_expired"
	// CodeRateLimited: the token sent more requests per second than the server's
	// --rate-limit allows; retry after the Retry-After header's seconds.
	CodeRateLimited = "rate_limited"
)

// HeaderRevision is the response header in which every write (SCIM and admin API) answers
// the org's revision after it: the sequence number of the org's last change event (the
// feed's cursor, GET /api/v1/events). A write that changed nothing answers the revision it
// saw. A client that holds it can wait for the feed, or a decision, to have caught up.
const HeaderRevision = "X-Rolecall-Revision"

// List is the envelope of list answers.
type List[T any] struct {
	Items []T `json:"items"`
	Total int `json:"total"`
}

// Org is an organization.
type Org struct {
	ID        string    `json:"id"`
	Name      string    `json:"name"`
	CreatedAt time.Time `json:"createdAt"`
}
