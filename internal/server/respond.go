package server

import (
	"encoding/json"
	"errors"
	"net/http"
	"strconv"

	"github.com/rolecall/rolecall/internal/api"
	"github.com/rolecall/rolecall/internal/store"
)

// errorStatus is the one table that maps store errors to HTTP statuses and admin API codes.
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
}

// classify returns the status and code for err, and whether it is a known (client) error.
func classify(err error) (int, string, bool) {
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

// writeJSON writes v as the JSON body with status.
func writeJSON(w http.ResponseWriter, status int, contentType string, v any) {
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

// adminError answers err in the admin API's error format. Server faults are logged with the
// request id and answered without their text.
func (s *Server) adminError(w http.ResponseWriter, r *http.Request, err error) {
	if be, ok := s.asBusy(r, err); ok {
		err = &api.Error{Status: be.status, Code: be.code, Message: be.msg}
	}
	status, code, known := classify(err)
	msg := err.Error()
	var details any
	var ae *api.Error
	if errors.As(err, &ae) {
		msg, details = ae.Message, ae.Details
	}
	if !known {
		s.log.Error("request failed", "request_id", requestID(r.Context()), "error", err.Error())
		msg = "internal error (request id " + requestID(r.Context()) + "); the server log has the details"
	}
	writeJSON(w, status, "application/json", api.Error{Status: status, Code: code, Message: msg, Details: details})
}

// decodeJSON reads a JSON body into v, refusing unknown fields and trailing data so that a
// typo in a field name is an error rather than a silently ignored setting.
func decodeJSON(r *http.Request, v any) error {
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

func (s *Server) tooLarge(w http.ResponseWriter, r *http.Request) {
	msg := "request body larger than " + strconv.FormatInt(s.cfg.MaxBodyBytes, 10) + " bytes"
	if isSCIM(r) {
		writeSCIMError(w, http.StatusRequestEntityTooLarge, "", msg+" (see maxPayloadSize in /ServiceProviderConfig)")
		return
	}
	writeJSON(w, http.StatusRequestEntityTooLarge, "application/json", api.Error{Status: 413, Code: api.CodeTooLarge, Message: msg})
}

func (s *Server) internalError(w http.ResponseWriter, r *http.Request) {
	msg := "internal error (request id " + requestID(r.Context()) + "); the server log has the details"
	if isSCIM(r) {
		writeSCIMError(w, http.StatusInternalServerError, "", msg)
		return
	}
	writeJSON(w, http.StatusInternalServerError, "application/json", api.Error{Status: 500, Code: api.CodeInternal, Message: msg})
}

func isSCIM(r *http.Request) bool {
	return len(r.URL.Path) >= len(scimPrefix) && r.URL.Path[:len(scimPrefix)] == scimPrefix
}

// scimPrefix is where the SCIM service provider is mounted.
const scimPrefix = "/scim/v2"

// scimErrorDoc is the RFC 7644 §3.12 error body; status is a string there.
type scimErrorDoc struct {
	Schemas  []string `json:"schemas"`
	Status   string   `json:"status"`
	ScimType string   `json:"scimType,omitempty"`
	Detail   string   `json:"detail,omitempty"`
}

// writeSCIMError answers in the SCIM error schema.
func writeSCIMError(w http.ResponseWriter, status int, scimType, detail string) {
	writeJSON(w, status, "application/scim+json", scimErrorDoc{
		Schemas: []string{"urn:ietf:params:scim:api:messages:2.0:Error"},
		Status:  strconv.Itoa(status), ScimType: scimType, Detail: detail,
	})
}
