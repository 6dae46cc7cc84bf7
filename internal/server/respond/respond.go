// Package respond is how every audience of the server answers: JSON bodies, the one table
// that maps errors to HTTP statuses and admin API codes, the "not now" answers (busy.go: scan
// slots taken, request deadline passed), the admin API's error answer, the
// strict JSON request decoder, and the request id that error answers and logs cite. The
// server, the SCIM service provider (scimapi), the admin API (adminapi) and the console share
// it, so that none of them imports another.
//
// It may import api, store, service/enforcegroups (its refusals are in the table) and the
// standard library.
package respond

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"strconv"

	"github.com/rolecall/rolecall/internal/api"
	"github.com/rolecall/rolecall/internal/service/enforcegroups"
	"github.com/rolecall/rolecall/internal/store"
)

// errorStatus is the one table that maps store and enforce-groups errors to HTTP statuses and
// admin API codes.
// Anything not in it is a server fault (500) and its text is logged, not shown.
var errorStatus = []struct {
	err    error
	status int
	code   string
}{
	{store.ErrNotFound, http.StatusNotFound, api.CodeNotFound},
	{store.ErrConflict, http.StatusConflict, api.CodeConflict},
	{store.ErrVersionMismatch, http.StatusPreconditionFailed, api.CodeVersion},
	{store.ErrInvalid, http.StatusBadRequest, api.CodeBadRequest},
	{enforcegroups.ErrStale, http.StatusConflict, api.CodeStalePlan},
	{enforcegroups.ErrNoOwner, http.StatusConflict, api.CodeNoOwner},
	{enforcegroups.ErrAlreadyUndone, http.StatusConflict, api.CodeAlreadyUndone},
	{enforcegroups.ErrNoFingerprint, http.StatusBadRequest, api.CodeBadRequest},
	{enforcegroups.ErrNoSchedule, http.StatusNotFound, api.CodeNotFound},
	{enforcegroups.ErrBeyondLimits, http.StatusConflict, api.CodeConflict},
}

// Classify returns the status and code for err, and whether it is a known (client) error.
func Classify(err error) (int, string, bool) {
	var ae *api.Error
	if errors.As(err, &ae) {
		return ae.Status, ae.Code, true
	}
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		return http.StatusRequestEntityTooLarge, api.CodeTooLarge, true
	}
	for _, e := range errorStatus {
		if errors.Is(err, e.err) {
			return e.status, e.code, true
		}
	}
	return http.StatusInternalServerError, api.CodeInternal, false
}

// JSON writes v as the JSON body with status.
func JSON(w http.ResponseWriter, status int, contentType string, v any) {
	var b []byte
	var err error
	if m, ok := v.(json.Marshaler); ok {
		// Our Marshalers (scim.ListResponse, scim.Error) build their output with json.Marshal,
		// so it is already compact and HTML-escaped; json.Marshal would re-scan and copy it,
		// which for a page of 100 users costs a third as much again as encoding it.
		b, err = m.MarshalJSON()
	} else {
		b, err = json.Marshal(v)
	}
	if err != nil {
		http.Error(w, `{"status":500,"code":"internal","message":"encoding the response failed"}`, http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", contentType)
	w.Header().Set("Content-Length", strconv.Itoa(len(b)+1))
	w.WriteHeader(status)
	_, _ = w.Write(append(b, '\n'))
}

// AdminError answers err in the admin API's error format. Server faults are logged to log
// with the request id and answered without their text.
func AdminError(w http.ResponseWriter, r *http.Request, log *slog.Logger, err error) {
	if b, ok := AsBusy(r, err); ok {
		err = &api.Error{Status: b.Status, Code: b.Code, Message: b.Msg}
	}
	status, code, known := Classify(err)
	msg := err.Error()
	var details any
	var ae *api.Error
	if errors.As(err, &ae) {
		msg, details = ae.Message, ae.Details
	}
	if !known {
		log.Error("request failed", "request_id", RequestID(r.Context()), "error", err.Error())
		msg = "internal error (request id " + RequestID(r.Context()) + "); the server log has the details"
	}
	JSON(w, status, "application/json", api.Error{Status: status, Code: code, Message: msg, Details: details})
}

// DecodeJSON reads a JSON body into v, refusing unknown fields and trailing data so that a
// typo in a field name is an error rather than a silently ignored setting.
func DecodeJSON(r *http.Request, v any) error {
	dec := json.NewDecoder(r.Body)
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return err
		}
		return &api.Error{Status: http.StatusBadRequest, Code: api.CodeBadRequest, Message: "invalid JSON body: " + err.Error()}
	}
	if dec.More() {
		return &api.Error{Status: http.StatusBadRequest, Code: api.CodeBadRequest, Message: "invalid JSON body: unexpected data after the JSON document"}
	}
	return nil
}

type requestIDKey struct{}

// WithRequestID returns a context carrying the request's id (the server's middleware sets
// it on every request).
func WithRequestID(ctx context.Context, id string) context.Context {
	return context.WithValue(ctx, requestIDKey{}, id)
}

// RequestID returns the id of the request being served ("" outside a request).
func RequestID(ctx context.Context) string {
	id, _ := ctx.Value(requestIDKey{}).(string)
	return id
}
