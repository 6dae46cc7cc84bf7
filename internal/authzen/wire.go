// Package authzen owns rolecall's OpenID AuthZEN Authorization API 1.0 wire layer: the Go
// types of its requests and responses (evaluation, evaluations with defaults and
// evaluation semantics, subject/resource/action search with paging, the PDP metadata
// document), strict-but-tolerant decoding that names the offending field, and the request
// logic that sits between the wire and a decision point: default merging, per-item errors,
// short-circuit semantics, and opaque page tokens bound to the request they page.
//
// It does no I/O and knows nothing of HTTP or of rolecall's model: it calls a PDP, a small
// interface the server implements over package decision (and tests implement with fakes).
// It imports only the standard library.
//
// The HTTP layer maps a *RequestError to 400 with its message, echoes X-Request-ID, checks
// the bearer token and Content-Type, and limits the body size before decoding.
package authzen

import (
	"encoding/json"
)

// Default paths of the HTTPS binding (spec, "HTTPS JSON Binding").
const (
	PathEvaluation     = "/access/v1/evaluation"
	PathEvaluations    = "/access/v1/evaluations"
	PathSearchSubject  = "/access/v1/search/subject"
	PathSearchResource = "/access/v1/search/resource"
	PathSearchAction   = "/access/v1/search/action"
	PathWellKnown      = "/.well-known/authzen-configuration"
)

// Subject is the principal a request is about. Properties is any JSON object, kept as
// received.
type Subject struct {
	Type       string          `json:"type"`
	ID         string          `json:"id,omitempty"`
	Properties json.RawMessage `json:"properties,omitempty"`
}

// Resource is the target of a request.
type Resource struct {
	Type       string          `json:"type"`
	ID         string          `json:"id,omitempty"`
	Properties json.RawMessage `json:"properties,omitempty"`
}

// Action is what the subject wants to do.
type Action struct {
	Name       string          `json:"name"`
	Properties json.RawMessage `json:"properties,omitempty"`
}

// EvaluationRequest is the body of an Access Evaluation request, and one item of an Access
// Evaluations request (where any entity may be missing and inherited from the defaults).
// Context is any JSON object, kept as received.
type EvaluationRequest struct {
	Subject  *Subject        `json:"subject,omitempty"`
	Action   *Action         `json:"action,omitempty"`
	Resource *Resource       `json:"resource,omitempty"`
	Context  json.RawMessage `json:"context,omitempty"`
}

// Semantic is an evaluations semantic (options.evaluations_semantic).
type Semantic string

// The evaluations semantics. The zero value means ExecuteAll.
const (
	ExecuteAll          Semantic = "execute_all"
	DenyOnFirstDeny     Semantic = "deny_on_first_deny"
	PermitOnFirstPermit Semantic = "permit_on_first_permit"
)

// EvaluationsOptions is the options object of an Access Evaluations request. Options this
// package does not know are ignored.
type EvaluationsOptions struct {
	Semantic Semantic `json:"evaluations_semantic,omitempty"`
}

// EvaluationsRequest is the body of an Access Evaluations request: top-level defaults
// (the embedded EvaluationRequest) and the items.
type EvaluationsRequest struct {
	EvaluationRequest
	Evaluations []EvaluationRequest `json:"evaluations,omitempty"`
	Options     *EvaluationsOptions `json:"options,omitempty"`
}

// Decision is the response to one evaluation. Context, when set, is a JSON object, and must
// be valid JSON: responses copy it as it is (AppendJSON).
type Decision struct {
	Decision bool            `json:"decision"`
	Context  json.RawMessage `json:"context,omitempty"`
}

// EvaluationsResponse is the response of the evaluations endpoint: either the items'
// decisions, in request order (stopping early under a short-circuit semantic), or, for a
// request without items (the backwards-compatible form), a single Decision.
type EvaluationsResponse struct {
	// Single is set for a request without items; it is then the whole response.
	Single      *Decision
	Evaluations []Decision
}

// MarshalJSON writes Single alone, or {"evaluations": [...]} (the top-level decision is
// omitted, as the spec recommends).
func (r EvaluationsResponse) MarshalJSON() ([]byte, error) {
	if r.Single != nil {
		return r.Single.AppendJSON(nil), nil
	}
	b := make([]byte, 0, 32+len(r.Evaluations)*48)
	b = append(b, `{"evaluations":[`...)
	for i, d := range r.Evaluations {
		if i > 0 {
			b = append(b, ',')
		}
		b = d.AppendJSON(b)
	}
	return append(b, "]}"...), nil
}

// UnmarshalJSON reads either form (for clients).
func (r *EvaluationsResponse) UnmarshalJSON(b []byte) error {
	var v struct {
		Decision    *bool           `json:"decision"`
		Context     json.RawMessage `json:"context"`
		Evaluations []Decision      `json:"evaluations"`
	}
	if err := json.Unmarshal(b, &v); err != nil {
		return err
	}
	*r = EvaluationsResponse{Evaluations: v.Evaluations}
	if v.Evaluations == nil && v.Decision != nil {
		r.Single = &Decision{Decision: *v.Decision, Context: v.Context}
	}
	return nil
}

// SearchKind is which entity a search looks for.
type SearchKind uint8

// The searches.
const (
	SearchSubject SearchKind = iota + 1
	SearchResource
	SearchAction
)

// String returns "subject", "resource" or "action".
func (k SearchKind) String() string {
	switch k {
	case SearchSubject:
		return "subject"
	case SearchResource:
		return "resource"
	case SearchAction:
		return "action"
	}
	return "unknown"
}

// PageRequest is the page object of a search request.
type PageRequest struct {
	Token string `json:"token,omitempty"`
	// Limit is the maximum number of results; absent or 0 means the server's default.
	Limit      *int            `json:"limit,omitempty"`
	Properties json.RawMessage `json:"properties,omitempty"`
}

// SearchRequest is the body of a subject, resource or action search. In a subject search
// Subject.ID is ignored (cleared by the decoder), in a resource search Resource.ID, and an
// action search has no Action (ignored when sent).
type SearchRequest struct {
	Subject  *Subject        `json:"subject,omitempty"`
	Action   *Action         `json:"action,omitempty"`
	Resource *Resource       `json:"resource,omitempty"`
	Context  json.RawMessage `json:"context,omitempty"`
	Page     *PageRequest    `json:"page,omitempty"`
}

// PageResponse is the page object of a search response. NextToken is "" on the last page.
type PageResponse struct {
	NextToken string `json:"next_token"`
	Count     int    `json:"count"`
}

// SearchResponse is a search response: results are Subjects, Resources or Actions. Page
// comes first, as the spec recommends.
type SearchResponse[T any] struct {
	Page    *PageResponse   `json:"page,omitempty"`
	Context json.RawMessage `json:"context,omitempty"`
	Results []T             `json:"results"`
}
