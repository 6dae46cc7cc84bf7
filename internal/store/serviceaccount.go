package store

import (
	"context"
	"time"
)

// ServiceAccount is a non-human principal, not managed over SCIM. Name is unique per org.
type ServiceAccount struct {
	OrgID     string
	ID        string
	Name      string
	CreatedAt time.Time
}

// ServiceAccountTx reads and writes service accounts.
type ServiceAccountTx interface {
	CreateServiceAccount(ctx context.Context, sa ServiceAccount) (ServiceAccount, error)
	ServiceAccount(ctx context.Context, orgID, id string) (ServiceAccount, error)
	ServiceAccountByName(ctx context.Context, orgID, name string) (ServiceAccount, error)
	ListServiceAccounts(ctx context.Context, orgID string) ([]ServiceAccount, error)
	// DeleteServiceAccount deletes it and its bindings.
	DeleteServiceAccount(ctx context.Context, orgID, id string) (ServiceAccount, error)
}
