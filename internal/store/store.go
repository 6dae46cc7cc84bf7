// Package store owns rolecall's persistence contract: the domain types as they are stored,
// the Store and Tx interfaces every backend implements, query types, and the sentinel errors
// callers map to HTTP statuses. It holds no SQL and does no I/O itself; backends live in
// sub-packages (sqlstore) and are checked by one conformance suite (storetest). It may import
// only the standard library.
//
// Every read and write names the organization it works in: no method crosses orgs, so tenant
// isolation is a property of the interface, not of each caller's care. Writes happen only
// inside Update, one transaction per call.
package store

import (
	"context"
	"errors"
	"time"
)

// Sentinel errors. Backends wrap them (errors.Is works) with a message that names the object.
var (
	// ErrNotFound: the object does not exist in this org (or was deleted).
	ErrNotFound = errors.New("not found")
	// ErrConflict: a uniqueness rule would be broken (userName, group displayName, names).
	ErrConflict = errors.New("already exists")
	// ErrVersionMismatch: an optimistic-concurrency check (ETag, expected version) failed.
	ErrVersionMismatch = errors.New("version mismatch")
	// ErrInvalid: the request breaks a rule of the model (a membership cycle, a project in a
	// cloud of another org, …).
	ErrInvalid = errors.New("invalid")
)

// Store is a rolecall database. Implementations are safe for concurrent use.
type Store interface {
	// View runs fn in a read-only transaction that sees one consistent snapshot.
	View(ctx context.Context, fn func(Tx) error) error
	// Update runs fn in a read-write transaction. If fn returns an error (or panics) nothing
	// it wrote is kept; otherwise the transaction commits durably before Update returns.
	Update(ctx context.Context, fn func(Tx) error) error
	// Ping checks that the database answers (readiness).
	Ping(ctx context.Context) error
	// Dialect names the backend: "sqlite" or "postgres".
	Dialect() string
	// Close releases the database.
	Close() error
	RevisionWaiter
}

// Tx is one transaction. Every method is scoped to the org it is given, except the few that
// find an org (OrgByName, TokenByHash, ListOrgs). Methods that write return an error when
// called inside View.
type Tx interface {
	OrgTx
	UserTx
	GroupTx
	MembershipTx
	ResourceTx
	BindingTx
	ServiceAccountTx
	TokenTx
	AuditTx
	RunTx
	EventTx
	PagerTx
	ActionTx
	WebhookTx
	ExemptionTx
	ScheduleTx
	RuleTx

	// Lock takes an exclusive, transaction-scoped lock on the org (PostgreSQL advisory lock;
	// SQLite's single writer already serialises). enforce-groups apply and undo take it so
	// that two servers on one database apply a plan exactly once, and so that no write to the
	// org's users, groups, memberships, resources, bindings, service accounts or settings
	// commits between their read of the org and their commit (such writes wait for it).
	LockOrg(ctx context.Context, orgID string) error
	// LockAccess serialises, within one org, the writes whose change events carry
	// effective-role changes computed from what other writes change (memberships, grants,
	// groups, resources): taken before the first read of that computation and held to
	// commit, it makes each such write see every one committed before it, so that the
	// events, read in order, add up (PostgreSQL: an exclusive advisory lock of its own,
	// after the org's shared lock; SQLite's single writer already serialises). Writes that
	// carry no such change (a user created, attributes updated) do not take it.
	LockAccess(ctx context.Context, orgID string) error
}

// Page selects a window of an ordered list. Offset is 0-based (SCIM startIndex-1). Limit 0
// means "count only": no items are returned, Total still is. After, when set, is a cursor:
// items strictly after that sequence number in ascending order (Offset is then ignored).
type Page struct {
	Offset int
	Limit  int
	After  int64
}

// Timestamps are stored in UTC with microsecond precision; backends truncate so that what
// is written is exactly what is read back (ETags and meta.lastModified depend on it).
func Now() time.Time { return time.Now().UTC().Truncate(time.Microsecond) }

// ownTxKey marks a context whose Update must run in a transaction of its own.
type ownTxKey struct{}

// OwnTransaction returns ctx marked so that Update runs fn in a transaction of its own.
// Backends that group concurrent Updates into one commit (SQLite) otherwise may run fn in a
// savepoint of a shared transaction, whose rollback journal holds the original of every page
// fn changes. A write that touches many rows (enforce-groups apply and undo, bulk loads)
// asks for its own transaction so that it needs no such journal; small writes should not,
// since sharing the commit is what makes them cheap.
func OwnTransaction(ctx context.Context) context.Context {
	return context.WithValue(ctx, ownTxKey{}, true)
}

// WantsOwnTransaction reports whether ctx was marked by OwnTransaction.
func WantsOwnTransaction(ctx context.Context) bool {
	v, _ := ctx.Value(ownTxKey{}).(bool)
	return v
}
