package store

import (
	"context"
	"time"
)

// DefaultMaxExemptions is how many exempt users an org may have until it sets its own limit
// (OrgSettings.MaxExemptions): the escape hatch stays small.
const DefaultMaxExemptions = 5

// Exemption marks a user as a break-glass account: enforce-groups keeps its direct bindings
// and never removes it. Only live users carry one; deleting the user deletes it.
type Exemption struct {
	OrgID  string
	UserID string
	// UserName is the user's current userName (read only: filled by Exemptions).
	UserName  string
	Reason    string
	CreatedBy string
	CreatedAt time.Time
}

// ExemptionTx stores exemptions.
type ExemptionTx interface {
	// Exemptions lists the exemptions of the org's live users by userName.
	Exemptions(ctx context.Context, orgID string) ([]Exemption, error)
	// PutExemption creates the user's exemption or replaces its reason, author and time;
	// created says which. ErrNotFound when the user is not a live user of the org.
	PutExemption(ctx context.Context, e Exemption) (created bool, err error)
	// DeleteExemption deletes the user's exemption; ErrNotFound when it has none.
	DeleteExemption(ctx context.Context, orgID, userID string) error
}
