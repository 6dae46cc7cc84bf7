package store

import (
	"context"
	"time"
)

// Org is a tenant. Name is unique (case-insensitive) across the database.
type Org struct {
	ID        string
	Name      string
	CreatedAt time.Time
}

// OrgSettings are an org's switches.
type OrgSettings struct {
	OrgID string
	// GroupsOnly is the drift guard: when on, new direct user grants are refused.
	GroupsOnly bool
	// MaxExemptions is how many exempt users the org may have; 0 means DefaultMaxExemptions
	// (so a caller that builds OrgSettings without it keeps the default).
	MaxExemptions int
	UpdatedAt     time.Time
}

// OrgTx reads and writes organizations and their settings.
type OrgTx interface {
	// CreateOrg creates an org and its organization resource (kind "organization", named
	// after the org) in one go. ErrConflict when the name is taken.
	CreateOrg(ctx context.Context, name string) (Org, error)
	Org(ctx context.Context, id string) (Org, error)
	OrgByName(ctx context.Context, name string) (Org, error)
	ListOrgs(ctx context.Context) ([]Org, error)
	Settings(ctx context.Context, orgID string) (OrgSettings, error)
	PutSettings(ctx context.Context, s OrgSettings) error
}
