package store

import (
	"context"
	"time"
)

// PrincipalType says who a binding grants to.
type PrincipalType string

// Principal types.
const (
	PrincipalUser           PrincipalType = "user"
	PrincipalGroup          PrincipalType = "group"
	PrincipalServiceAccount PrincipalType = "service_account"
)

// Binding grants Role on a resource to a principal. (resource, principal, role) is unique.
type Binding struct {
	OrgID         string
	ID            string
	ResourceID    string
	PrincipalType PrincipalType
	PrincipalID   string
	Role          string
	CreatedAt     time.Time
	CreatedBy     string
	// RuleID names the group rule that made the binding; "" for a manual grant. Only group
	// bindings carry one. CreateBinding and InsertBindings store it as given.
	RuleID string
}

// BindingFilter narrows ListBindings; empty fields match everything.
type BindingFilter struct {
	ResourceID    string
	PrincipalType PrincipalType
	PrincipalID   string
}

// BindingTx reads and writes role bindings. Role validity per kind is checked by the caller
// (package access); the store checks that the resource and principal exist in the org.
type BindingTx interface {
	// CreateBinding is idempotent: when the same (resource, principal, role) exists it is
	// returned with created=false. ErrNotFound when the resource or principal does not exist.
	CreateBinding(ctx context.Context, b Binding) (Binding, bool, error)
	Binding(ctx context.Context, orgID, id string) (Binding, error)
	// FindBinding returns the binding with exactly that resource, principal and role.
	FindBinding(ctx context.Context, orgID, resourceID string, pt PrincipalType, principalID, role string) (Binding, error)
	DeleteBinding(ctx context.Context, orgID, id string) (Binding, error)
	ListBindings(ctx context.Context, orgID string, f BindingFilter) ([]Binding, error)
	// BindingsOf returns the bindings of the principals of type pt among ids, in no
	// particular order: the batched read behind the effective-role changes of a group-level
	// write (the bindings of thousands of members and of their groups in a few queries).
	BindingsOf(ctx context.Context, orgID string, pt PrincipalType, ids []string) ([]Binding, error)
	// AllBindings streams every binding of the org, in no particular order.
	AllBindings(ctx context.Context, orgID string, fn func(Binding) error) error
	// DeleteBindings deletes the given ids in bulk and returns how many existed.
	DeleteBindings(ctx context.Context, orgID string, ids []string) (int, error)
	// InsertBindings inserts bindings keeping their ID, CreatedAt and CreatedBy (undo).
	// ErrConflict if one already exists.
	InsertBindings(ctx context.Context, orgID string, bs []Binding) error
}
