package store

import (
	"context"
	"encoding/json"
	"time"
)

// User is a SCIM User as stored. Doc is the whole SCIM document (core, enterprise and any
// custom extension attributes) without id and meta; the other fields are copies of what IdPs
// filter on, kept in indexed columns, and are authoritative for those attributes.
type User struct {
	OrgID       string
	ID          string
	Seq         int64 // insertion order: stable paging key, assigned by the store
	UserName    string
	ExternalID  string
	DisplayName string
	Active      bool
	// Removed marks a user removed from the org by enforce-groups: deactivated, direct
	// bindings gone, record kept. Reactivation over SCIM (active=true) clears it.
	Removed bool
	Emails  []Email
	Doc     json.RawMessage
	Version int64 // starts at 1, +1 on every change; the ETag is derived from it
	Created time.Time
	// LastModified changes with Version.
	LastModified time.Time
}

// Email is one value of the multi-valued emails attribute, indexed for `emails.value eq`.
type Email struct {
	Value   string
	Type    string
	Primary bool
}

// UserTx reads and writes users. Deleted users (SCIM DELETE) are invisible to every method
// here: their userName is free again, their record stays only for audit.
type UserTx interface {
	// CreateUser assigns ID (when empty), Seq, Version=1, Created and LastModified (when
	// zero) and returns the stored user. ErrConflict when userName is taken in the org
	// (case-insensitive).
	CreateUser(ctx context.Context, u User) (User, error)
	// User and UserByUserName, called inside Update, lock the row they return until commit:
	// a transaction that reads a user and writes it back at the version read (a SCIM PATCH
	// without If-Match) then waits for a concurrent one instead of failing the version check.
	User(ctx context.Context, orgID, id string) (User, error)
	UserByUserName(ctx context.Context, orgID, userName string) (User, error)
	// UpdateUser replaces the user's fields (not ID, Seq, Created). When expectVersion > 0
	// and differs from the stored version, ErrVersionMismatch and nothing changes. Version
	// and LastModified are bumped. ErrConflict when the new userName is taken.
	UpdateUser(ctx context.Context, u User, expectVersion int64) (User, error)
	// DeleteUser soft-deletes: the user disappears from reads, its memberships and bindings
	// are deleted, its userName is free. The groups it was a direct member of get a new
	// Version and LastModified, as their member lists changed.
	DeleteUser(ctx context.Context, orgID, id string, expectVersion int64) error
	// ListUsers returns one page of the users matching q, ordered by q.Sort (default Seq),
	// and the total number matching.
	ListUsers(ctx context.Context, orgID string, q Query) ([]User, int, error)
	// SetUserRemoved marks a user removed (removed=true, active=false) or restores it
	// (removed=false, active as given), bumping Version and LastModified; it returns the
	// stored user. It does not touch bindings: the caller deletes them in the same Tx.
	SetUserRemoved(ctx context.Context, orgID, id string, removed, active bool) (User, error)
	// ReinstateUsers brings back those of ids that enforce-groups removed (removed=false,
	// version bumped) and returns their ids. The SCIM layer calls it when an IdP adds a
	// removed user to a group: to the IdP the user is assigned again. Its active flag becomes
	// the one its stored document holds, the IdP's latest word (false only when the document
	// says active false): a user its IdP deactivated stays inactive, and only an explicit
	// active=true activates one.
	ReinstateUsers(ctx context.Context, orgID string, ids []string) ([]string, error)
	// ScanUsers streams every (non-deleted) user of the org in Seq order without Doc and
	// Emails: the bulk read behind access evaluation and enforce-groups.
	ScanUsers(ctx context.Context, orgID string, fn func(User) error) error
	// UserNames returns userName by id for the given ids that exist (for member display).
	UserNames(ctx context.Context, orgID string, ids []string) (map[string]string, error)
	// UserFlags returns the live users of the org among ids with only what decides their
	// access filled in (ID, UserName, Active, Removed; the rest left zero), in no particular
	// order; ids that are not users are left out. It is the batched read behind the
	// effective-role changes of a membership write (one query per chunk of ids, not one per
	// member, and none of the columns an access question does not need).
	UserFlags(ctx context.Context, orgID string, ids []string) ([]User, error)
}
