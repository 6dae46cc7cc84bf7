package scim

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"

	"github.com/rolecall/rolecall/internal/scim/filter"
)

// SCIM error types (RFC 7644 §3.12, Table 9).
const (
	ScimTypeInvalidFilter = "invalidFilter"
	ScimTypeTooMany       = "tooMany"
	ScimTypeUniqueness    = "uniqueness"
	ScimTypeMutability    = "mutability"
	ScimTypeInvalidSyntax = "invalidSyntax"
	ScimTypeInvalidPath   = "invalidPath"
	ScimTypeNoTarget      = "noTarget"
	ScimTypeInvalidValue  = "invalidValue"
	ScimTypeInvalidVers   = "invalidVers"
	ScimTypeSensitive     = "sensitive"
)

// Error is a SCIM error response (RFC 7644 §3.12). Every error this package returns is an
// *Error, so the server can send it as is.
type Error struct {
	Status   int    // HTTP status code
	ScimType string // one of the ScimType constants, or "" for plain statuses
	Detail   string // what went wrong, in words a person can act on
}

// Error renders status, scimType and detail on one line, for logs.
func (e *Error) Error() string {
	if e.ScimType != "" {
		return fmt.Sprintf("scim %d %s: %s", e.Status, e.ScimType, e.Detail)
	}
	return fmt.Sprintf("scim %d: %s", e.Status, e.Detail)
}

type errorJSON struct {
	Schemas  []string `json:"schemas"`
	Status   string   `json:"status"`
	ScimType string   `json:"scimType,omitempty"`
	Detail   string   `json:"detail,omitempty"`
}

// MarshalJSON renders the SCIM error message, with status as a string as RFC 7644 §3.12
// shows it.
func (e *Error) MarshalJSON() ([]byte, error) {
	return json.Marshal(errorJSON{
		Schemas:  []string{URNError},
		Status:   strconv.Itoa(e.Status),
		ScimType: e.ScimType,
		Detail:   e.Detail,
	})
}

// UnmarshalJSON reads a SCIM error message; status may be a string or a number.
func (e *Error) UnmarshalJSON(b []byte) error {
	var raw struct {
		Status   json.RawMessage `json:"status"`
		ScimType string          `json:"scimType"`
		Detail   string          `json:"detail"`
	}
	if err := json.Unmarshal(b, &raw); err != nil {
		return err
	}
	var s string
	if err := json.Unmarshal(raw.Status, &s); err != nil {
		s = string(raw.Status)
	}
	n, err := strconv.Atoi(s)
	if err != nil {
		return fmt.Errorf("scim error: bad status %q", s)
	}
	*e = Error{Status: n, ScimType: raw.ScimType, Detail: raw.Detail}
	return nil
}

func newErr(status int, scimType, format string, args ...any) *Error {
	return &Error{Status: status, ScimType: scimType, Detail: fmt.Sprintf(format, args...)}
}

// ErrInvalidFilter is 400 invalidFilter: the filter syntax or an attribute it names is wrong.
func ErrInvalidFilter(format string, args ...any) *Error {
	return newErr(http.StatusBadRequest, ScimTypeInvalidFilter, format, args...)
}

// ErrTooMany is 400 tooMany: the query would return more results than the server allows.
func ErrTooMany(format string, args ...any) *Error {
	return newErr(http.StatusBadRequest, ScimTypeTooMany, format, args...)
}

// ErrUniqueness is 409 uniqueness: a unique attribute value is already taken.
func ErrUniqueness(format string, args ...any) *Error {
	return newErr(http.StatusConflict, ScimTypeUniqueness, format, args...)
}

// ErrMutability is 400 mutability: the request changes a read-only or immutable attribute.
func ErrMutability(format string, args ...any) *Error {
	return newErr(http.StatusBadRequest, ScimTypeMutability, format, args...)
}

// ErrInvalidSyntax is 400 invalidSyntax: the request body is not a valid SCIM message.
func ErrInvalidSyntax(format string, args ...any) *Error {
	return newErr(http.StatusBadRequest, ScimTypeInvalidSyntax, format, args...)
}

// ErrInvalidPath is 400 invalidPath: a PATCH path is malformed or names no attribute.
func ErrInvalidPath(format string, args ...any) *Error {
	return newErr(http.StatusBadRequest, ScimTypeInvalidPath, format, args...)
}

// ErrNoTarget is 400 noTarget: a PATCH path matched nothing where a match was required.
func ErrNoTarget(format string, args ...any) *Error {
	return newErr(http.StatusBadRequest, ScimTypeNoTarget, format, args...)
}

// ErrInvalidValue is 400 invalidValue: a value has the wrong type or a required one is missing.
func ErrInvalidValue(format string, args ...any) *Error {
	return newErr(http.StatusBadRequest, ScimTypeInvalidValue, format, args...)
}

// ErrInvalidVers is 400 invalidVers: the protocol version or schema URN is not supported.
func ErrInvalidVers(format string, args ...any) *Error {
	return newErr(http.StatusBadRequest, ScimTypeInvalidVers, format, args...)
}

// ErrStatus is a plain error with an HTTP status and no scimType (404, 401, 403, 409, 412,
// 413, 500, 501…).
func ErrStatus(status int, format string, args ...any) *Error {
	return newErr(status, "", format, args...)
}

// ErrNotFound is 404 for a resource that does not exist (or is not visible to the caller).
func ErrNotFound(format string, args ...any) *Error {
	return newErr(http.StatusNotFound, "", format, args...)
}

// AsError converts any error to an *Error: an *Error is returned as is, a filter syntax
// error becomes 400 invalidFilter, anything else 500 with a generic detail (the caller logs
// the original).
func AsError(err error) *Error {
	if err == nil {
		return nil
	}
	var e *Error
	if errors.As(err, &e) {
		return e
	}
	var se *filter.SyntaxError
	if errors.As(err, &se) {
		return ErrInvalidFilter("%s", se.Error())
	}
	return ErrStatus(http.StatusInternalServerError, "internal error")
}
