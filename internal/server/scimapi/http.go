package scimapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strings"

	"github.com/rolecall/rolecall/internal/scim"
	"github.com/rolecall/rolecall/internal/scim/filter"
	"github.com/rolecall/rolecall/internal/server/respond"
	"github.com/rolecall/rolecall/internal/service"
	"github.com/rolecall/rolecall/internal/store"
)

// This file holds the HTTP plumbing shared by the SCIM handlers: media types, body
// decoding, error answers, ETags and resource locations.

const contentType = "application/scim+json"

// scimKind says which resource type a handler serves.
type scimKind uint8

const (
	scimUsers scimKind = iota + 1
	scimGroups
	scimAll // root /.search over both
)

func (k scimKind) rt() *scim.ResourceType {
	if k == scimGroups {
		return scim.GroupResourceType
	}
	return scim.UserResourceType
}

func (k scimKind) endpoint() string {
	if k == scimGroups {
		return "/Groups"
	}
	return "/Users"
}

// writeSCIM answers v as application/scim+json.
func writeSCIM(w http.ResponseWriter, status int, v any) {
	respond.JSON(w, status, contentType, v)
}

// scimFail answers err as a SCIM error. *scim.Error passes as is; store errors map through
// respond.go's table (classify) with the scimType that fits; anything unknown is a server
// fault, logged and answered without its text.
func (s *API) scimFail(w http.ResponseWriter, r *http.Request, err error) {
	e := s.scimError(r, err)
	WriteError(w, e.Status, e.ScimType, e.Detail)
}

func (s *API) scimError(r *http.Request, err error) *scim.Error {
	var se *scim.Error
	if errors.As(err, &se) {
		return se
	}
	var fe *filter.SyntaxError
	if errors.As(err, &fe) {
		return scim.ErrInvalidFilter("%s", fe.Msg)
	}
	if b, ok := respond.AsBusy(r, err); ok {
		return scim.ErrStatus(b.Status, "%s", b.Msg)
	}
	status, _, known := respond.Classify(err)
	if !known {
		s.log.Error("scim request failed", "request_id", respond.RequestID(r.Context()), "error", err.Error())
		return scim.ErrStatus(http.StatusInternalServerError, "internal error (request id %s); the server log has the details", respond.RequestID(r.Context()))
	}
	switch status {
	case http.StatusRequestEntityTooLarge:
		return scim.ErrStatus(status, "request body larger than %d bytes (see maxPayloadSize in /ServiceProviderConfig)", s.cfg.MaxBodyBytes)
	case http.StatusConflict:
		return scim.ErrUniqueness("%s", err.Error())
	case http.StatusBadRequest:
		return scim.ErrInvalidValue("%s", err.Error())
	}
	return scim.ErrStatus(status, "%s", err.Error())
}

// checkSCIMMediaType accepts a request body sent as application/scim+json,
// application/json, or without a Content-Type (curl and some IdP test buttons send none).
func checkSCIMMediaType(r *http.Request) error {
	ct := r.Header.Get("Content-Type")
	if strings.TrimSpace(ct) == "" {
		return nil
	}
	mt, _, err := mime.ParseMediaType(ct)
	if err == nil && (mt == contentType || mt == "application/json") {
		return nil
	}
	return scim.ErrStatus(http.StatusUnsupportedMediaType, "Content-Type %q is not supported; send application/scim+json (or application/json)", ct)
}

// readSCIMBody reads the request body after checking its media type. A body over the
// server's limit is 413 (the middleware's MaxBytesReader reports it while reading).
func readSCIMBody(r *http.Request) ([]byte, error) {
	if err := checkSCIMMediaType(r); err != nil {
		return nil, err
	}
	b, err := io.ReadAll(r.Body)
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return nil, err
		}
		return nil, scim.ErrInvalidSyntax("cannot read the request body: %v", err)
	}
	return b, nil
}

// decodeSCIMObject decodes a JSON object with numbers kept as json.Number, as package scim
// expects.
func decodeSCIMObject(b []byte) (map[string]any, error) {
	if len(bytes.TrimSpace(b)) == 0 {
		return nil, scim.ErrInvalidSyntax("the request body is empty; send a JSON object")
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, scim.ErrInvalidSyntax("the request body is not valid JSON: %s", jsonErrText(err))
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, scim.ErrInvalidSyntax("the request body has data after the JSON object")
	}
	m, ok := v.(map[string]any)
	if !ok {
		return nil, scim.ErrInvalidSyntax("the request body must be a JSON object")
	}
	return m, nil
}

func jsonErrText(err error) string {
	var se *json.SyntaxError
	if errors.As(err, &se) {
		return fmt.Sprintf("%v (at byte %d)", se, se.Offset)
	}
	if errors.Is(err, io.ErrUnexpectedEOF) {
		return "it ends too early"
	}
	return err.Error()
}

// baseURL is the externally visible URL of the server: the configured one, or one derived
// from the request.
func (s *API) baseURL(r *http.Request) string {
	if s.cfg.BaseURL != "" {
		return strings.TrimSuffix(s.cfg.BaseURL, "/")
	}
	scheme := "http"
	if r.TLS != nil || strings.EqualFold(r.Header.Get("X-Forwarded-Proto"), "https") {
		scheme = "https"
	}
	return scheme + "://" + r.Host
}

// scimLocation is the URL of a resource; ep is "/Users" or "/Groups".
func scimLocation(base, ep, id string) string { return base + Prefix + ep + "/" + id }

// asNotFound turns the store's not-found for the addressed resource into the SCIM 404.
func asNotFound(err error, kind scimKind, id string) error {
	if errors.Is(err, store.ErrNotFound) {
		return service.NotFound(kind.rt(), id)
	}
	return err
}
