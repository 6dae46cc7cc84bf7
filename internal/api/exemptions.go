package api

import "time"

// Exemption is a break-glass user: enforce-groups keeps its direct grants and never removes
// it; the preview lists it apart ("Exempt (kept as they are)").
type Exemption struct {
	UserID    string    `json:"userId"`
	UserName  string    `json:"userName"`
	Reason    string    `json:"reason"`
	CreatedBy string    `json:"createdBy"`
	CreatedAt time.Time `json:"createdAt"`
}

// ExemptUserRequest marks a user exempt (PUT /api/v1/users/{user}/exemption).
type ExemptUserRequest struct {
	// Reason is required: why this user stays outside group control.
	Reason string `json:"reason"`
}

// Exemptions is the list of an org's exemptions with its limit.
type Exemptions struct {
	Exemptions []Exemption `json:"exemptions"`
	// Max is the org's limit (OrgSettings.MaxExemptions).
	Max int `json:"max"`
}
