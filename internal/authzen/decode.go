package authzen

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"reflect"
	"strings"
	"unicode/utf8"
)

// ErrBadRequest is wrapped by every *RequestError: the request is malformed and the HTTP
// layer answers 400 with the error's message.
var ErrBadRequest = errors.New("bad request")

// RequestError is a malformed request. Field is the JSON path of the offending member
// ("subject.id", "evaluations[2].resource", "page.token"); empty when the body as a whole
// is wrong (not JSON, not an object, empty).
type RequestError struct {
	Field string
	Msg   string
}

func (e *RequestError) Error() string {
	if e.Field == "" {
		return e.Msg
	}
	return e.Field + ": " + e.Msg
}

// Unwrap makes errors.Is(err, ErrBadRequest) hold.
func (e *RequestError) Unwrap() error { return ErrBadRequest }

func badField(field, format string, a ...any) *RequestError {
	return &RequestError{Field: field, Msg: fmt.Sprintf(format, a...)}
}

// decode reads one JSON object into v: strict about what the spec requires (UTF-8, one
// object, member types) and tolerant of what it allows (unknown members are ignored; a
// member set to null counts as absent). Duplicate member names are not detected: the last
// one wins, as in encoding/json.
func decode(data []byte, v any) error {
	trimmed := bytes.TrimLeft(data, " \t\r\n")
	switch {
	case len(trimmed) == 0:
		return &RequestError{Msg: "the request body is empty; it must be a JSON object"}
	case !utf8.Valid(data):
		return &RequestError{Msg: "the request body is not valid UTF-8"}
	case trimmed[0] != '{':
		return &RequestError{Msg: "the request body must be a JSON object"}
	}
	// json.Unmarshal rejects anything after the object, so one call checks it all.
	if err := json.Unmarshal(data, v); err != nil {
		return jsonError(err)
	}
	return nil
}

// jsonError turns an encoding/json error into a RequestError naming the field.
func jsonError(err error) error {
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syn) && strings.HasPrefix(syn.Error(), "unexpected end of JSON input"):
		return &RequestError{Msg: "malformed JSON: the body ends too early"}
	case errors.As(err, &syn):
		return &RequestError{Msg: fmt.Sprintf("malformed JSON at byte %d: %v", syn.Offset, syn)}
	case errors.As(err, &typ):
		return badField(typ.Field, "must be %s, not %s", jsonKind(typ.Type), typ.Value)
	case errors.Is(err, io.ErrUnexpectedEOF):
		return &RequestError{Msg: "malformed JSON: the body ends too early"}
	}
	return &RequestError{Msg: "malformed JSON: " + err.Error()}
}

// jsonKind names the JSON type a Go type is decoded from.
func jsonKind(t reflect.Type) string {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch t.Kind() {
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "a boolean"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "an integer"
	case reflect.Float32, reflect.Float64:
		return "a number"
	case reflect.Slice, reflect.Array:
		return "an array"
	}
	return "an object"
}

// object checks that a kept-as-received member is a JSON object (or absent or null, which
// clears it).
// object and need take the field's name in two parts, joined only for an error: building
// "subject.type" and its siblings for every valid item was most of a batch's allocations.
func object(field, member string, raw *json.RawMessage) error {
	b := bytes.TrimSpace(*raw)
	switch {
	case len(b) == 0 || string(b) == "null":
		*raw = nil
		return nil
	case b[0] != '{':
		return badField(join(field, member), "must be an object")
	}
	return nil
}

// join names a member of field ("subject" + "type" = "subject.type"); an empty part is left
// out.
func join(field, member string) string {
	switch {
	case member == "":
		return field
	case field == "":
		return member
	}
	return field + "." + member
}

// need checks a required string member.
func need(field, member, v string) error {
	if v == "" {
		return badField(join(field, member), "is required and must be a non-empty string")
	}
	return nil
}

func checkSubject(field string, s *Subject, needID bool) error {
	if s == nil {
		return badField(field, "is required")
	}
	if err := need(field, "type", s.Type); err != nil {
		return err
	}
	if needID {
		if err := need(field, "id", s.ID); err != nil {
			return err
		}
	}
	return object(field, "properties", &s.Properties)
}

func checkResource(field string, r *Resource, needID bool) error {
	if r == nil {
		return badField(field, "is required")
	}
	if err := need(field, "type", r.Type); err != nil {
		return err
	}
	if needID {
		if err := need(field, "id", r.ID); err != nil {
			return err
		}
	}
	return object(field, "properties", &r.Properties)
}

func checkAction(field string, a *Action) error {
	if a == nil {
		return badField(field, "is required")
	}
	if err := need(field, "name", a.Name); err != nil {
		return err
	}
	return object(field, "properties", &a.Properties)
}

// check validates a complete evaluation; prefix names where it sits ("" or
// "evaluations[3].").
func (r *EvaluationRequest) check(prefix string) error {
	if err := checkSubject(prefix+"subject", r.Subject, true); err != nil {
		return err
	}
	if err := checkAction(prefix+"action", r.Action); err != nil {
		return err
	}
	if err := checkResource(prefix+"resource", r.Resource, true); err != nil {
		return err
	}
	if err := object(prefix+"context", "", &r.Context); err != nil {
		return err
	}
	_, err := parseContext(prefix+"context", r.Context)
	return err
}

// DecodeEvaluation decodes and validates an Access Evaluation request. Every error is a
// *RequestError.
func DecodeEvaluation(data []byte) (*EvaluationRequest, error) {
	var r EvaluationRequest
	if err := decode(data, &r); err != nil {
		return nil, err
	}
	if err := r.check(""); err != nil {
		return nil, err
	}
	return &r, nil
}

// DecodeEvaluations decodes an Access Evaluations request. It validates what concerns the
// request as a whole (types, options, and, without items, the request itself as an
// evaluation); an item that is incomplete after defaults apply is not an error here but a
// failed item (see Evaluations), as the spec's per-item errors require.
func DecodeEvaluations(data []byte) (*EvaluationsRequest, error) {
	var r EvaluationsRequest
	if err := decode(data, &r); err != nil {
		return nil, err
	}
	if r.Options != nil {
		switch r.Options.Semantic {
		case "", ExecuteAll, DenyOnFirstDeny, PermitOnFirstPermit:
		default:
			return nil, badField("options.evaluations_semantic", "must be one of execute_all, deny_on_first_deny, permit_on_first_permit; got %q", r.Options.Semantic)
		}
	}
	if len(r.Evaluations) == 0 {
		if err := r.EvaluationRequest.check(""); err != nil {
			return nil, err
		}
		return &r, nil
	}
	if err := object("context", "", &r.Context); err != nil {
		return nil, err
	}
	return &r, nil
}

// item returns evaluation i with the defaults applied: each entity, and the context, is
// taken whole from the item when it has it and from the top level otherwise (no merging of
// members, as the certification scenario spells out).
func (r *EvaluationsRequest) item(i int) EvaluationRequest {
	it := r.Evaluations[i]
	if it.Subject == nil {
		it.Subject = r.Subject
	}
	if it.Action == nil {
		it.Action = r.Action
	}
	if it.Resource == nil {
		it.Resource = r.Resource
	}
	if len(bytes.TrimSpace(it.Context)) == 0 || string(bytes.TrimSpace(it.Context)) == "null" {
		it.Context = r.Context
	}
	return it
}

// DecodeSearch decodes and validates a search request of the given kind. The searched-for
// entity needs only its type (its id is ignored and cleared); every input entity needs its
// type and id; an action search has no action (one sent is ignored and cleared).
func DecodeSearch(kind SearchKind, data []byte) (*SearchRequest, error) {
	var r SearchRequest
	if err := decode(data, &r); err != nil {
		return nil, err
	}
	var err error
	switch kind {
	case SearchSubject:
		err = errors.Join(checkSubject("subject", r.Subject, false), checkAction("action", r.Action),
			checkResource("resource", r.Resource, true))
		if err == nil {
			r.Subject.ID = ""
		}
	case SearchResource:
		err = errors.Join(checkSubject("subject", r.Subject, true), checkAction("action", r.Action),
			checkResource("resource", r.Resource, false))
		if err == nil {
			r.Resource.ID = ""
		}
	case SearchAction:
		r.Action = nil
		err = errors.Join(checkSubject("subject", r.Subject, true), checkResource("resource", r.Resource, true))
	default:
		return nil, fmt.Errorf("authzen: unknown search kind %d", kind)
	}
	if err != nil {
		return nil, firstRequestError(err)
	}
	if err := object("context", "", &r.Context); err != nil {
		return nil, err
	}
	if _, err := parseContext("context", r.Context); err != nil {
		return nil, err
	}
	if r.Page != nil {
		if r.Page.Limit != nil && *r.Page.Limit < 0 {
			return nil, badField("page.limit", "must be a non-negative integer")
		}
		if err := object("page", "properties", &r.Page.Properties); err != nil {
			return nil, err
		}
	}
	return &r, nil
}

// firstRequestError returns the first RequestError of a joined error, so that the message
// names one field (the first missing one in request order).
func firstRequestError(err error) error {
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		for _, e := range j.Unwrap() {
			if e != nil {
				return e
			}
		}
	}
	return err
}

// RequestContext holds the members of a request's context that rolecall reads. Other
// members are ignored.
type RequestContext struct {
	// Explain asks for the sources of the decision in the response context.
	Explain bool `json:"explain"`
	// MinRevision asks for a decision computed at this revision of the organization or a
	// later one (read-your-writes); 0 when absent.
	MinRevision uint64 `json:"min_revision"`
}

// ParseContext reads the members rolecall understands from a request context (a JSON
// object, or nil). A member of the wrong type is an error naming it.
func ParseContext(raw json.RawMessage) (RequestContext, error) { return parseContext("context", raw) }

func parseContext(field string, raw json.RawMessage) (RequestContext, error) {
	if len(raw) == 0 || !bytes.Contains(raw, []byte(`"explain"`)) && !bytes.Contains(raw, []byte(`"min_revision"`)) {
		return RequestContext{}, nil // the common case: nothing of ours, nothing to decode
	}
	var c RequestContext // declared here: Unmarshal moves it to the heap, on this path only
	if err := json.Unmarshal(raw, &c); err != nil {
		var typ *json.UnmarshalTypeError
		if errors.As(err, &typ) {
			return c, badField(field+"."+typ.Field, "must be %s, not %s", jsonKind(typ.Type), typ.Value)
		}
		return c, badField(field, "%v", err)
	}
	return c, nil
}
