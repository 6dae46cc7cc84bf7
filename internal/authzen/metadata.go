package authzen

import (
	"fmt"
	"net/url"
	"strings"
)

// Metadata is the Policy Decision Point metadata document served at
// /.well-known/authzen-configuration. Parameters without a value are omitted, as the spec
// requires.
type Metadata struct {
	PolicyDecisionPoint       string   `json:"policy_decision_point"`
	AccessEvaluationEndpoint  string   `json:"access_evaluation_endpoint"`
	AccessEvaluationsEndpoint string   `json:"access_evaluations_endpoint,omitempty"`
	SearchSubjectEndpoint     string   `json:"search_subject_endpoint,omitempty"`
	SearchResourceEndpoint    string   `json:"search_resource_endpoint,omitempty"`
	SearchActionEndpoint      string   `json:"search_action_endpoint,omitempty"`
	Capabilities              []string `json:"capabilities,omitempty"`
}

// NewMetadata returns the metadata of a PDP whose identifier (base URL) is pdp, serving
// every endpoint at its default path under it. pdp must be an absolute http or https URL
// without query or fragment; the spec asks for https, and plain http is accepted only for
// development and for servers behind a TLS-terminating proxy that name their public URL
// elsewhere. A trailing slash is dropped, so that policy_decision_point is exactly the
// identifier a client derives the well-known URL from. rolecall declares no capability
// (none is registered for what it does).
func NewMetadata(pdp string) (Metadata, error) {
	u, err := url.Parse(pdp)
	switch {
	case err != nil:
		return Metadata{}, fmt.Errorf("authzen: PDP identifier %q: %v", pdp, err)
	case u.Scheme != "https" && u.Scheme != "http" || u.Host == "":
		return Metadata{}, fmt.Errorf("authzen: PDP identifier %q must be an absolute https URL", pdp)
	case u.RawQuery != "" || u.Fragment != "" || strings.ContainsAny(pdp, "?#"):
		return Metadata{}, fmt.Errorf("authzen: PDP identifier %q must have no query or fragment", pdp)
	}
	base := strings.TrimRight(pdp, "/")
	return Metadata{
		PolicyDecisionPoint:       base,
		AccessEvaluationEndpoint:  base + PathEvaluation,
		AccessEvaluationsEndpoint: base + PathEvaluations,
		SearchSubjectEndpoint:     base + PathSearchSubject,
		SearchResourceEndpoint:    base + PathSearchResource,
		SearchActionEndpoint:      base + PathSearchAction,
	}, nil
}
