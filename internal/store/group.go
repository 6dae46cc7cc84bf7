package store

import (
	"context"
	"encoding/json"
	"time"
)

// Group is a SCIM Group as stored. Doc holds the SCIM document without id, meta and members
// (members live in the membership table). A group is active unless deactivated (Active
// false) or deleted; SCIM DELETE soft-deletes it (Deleted) so it stops granting while its
// record and bindings stay for audit and undo.
type Group struct {
	OrgID        string
	ID           string
	Seq          int64
	DisplayName  string
	ExternalID   string
	Active       bool
	Deleted      bool
	Doc          json.RawMessage
	Version      int64
	Created      time.Time
	LastModified time.Time
}

// GroupTx reads and writes groups. Deleted groups are invisible to User-facing reads (Group,
// GroupByName, ListGroups) unless a method says otherwise.
type GroupTx interface {
	// CreateGroup: ErrConflict when displayName is taken among non-deleted groups of the org.
	CreateGroup(ctx context.Context, g Group) (Group, error)
	// Group and GroupByName, called inside Update, lock the row they return until commit
	// (see User).
	// GroupFlags returns the live groups of the org among ids with only ID, DisplayName and
	// Active filled in, in no particular order, without locking their rows (Group locks the
	// row it reads inside Update): the read of an access computation, which holds the org's
	// access lock and must not then wait for a row another writer holds.
	GroupFlags(ctx context.Context, orgID string, ids []string) ([]Group, error)
	Group(ctx context.Context, orgID, id string) (Group, error)
	GroupByName(ctx context.Context, orgID, displayName string) (Group, error)
	// UpdateGroup replaces displayName, externalId, active and Doc; see UpdateUser.
	UpdateGroup(ctx context.Context, g Group, expectVersion int64) (Group, error)
	// TouchGroup bumps Version and LastModified (after a membership change).
	TouchGroup(ctx context.Context, orgID, id string) (Group, error)
	// DeleteGroup soft-deletes; memberships where it is a member of other groups and its own
	// members are kept (for undo and audit) but no longer count. The groups it was a direct
	// member of get a new Version and LastModified, as their member lists changed.
	DeleteGroup(ctx context.Context, orgID, id string, expectVersion int64) error
	ListGroups(ctx context.Context, orgID string, q Query) ([]Group, int, error)
	// ScanGroups streams every non-deleted group of the org in Seq order without Doc.
	ScanGroups(ctx context.Context, orgID string, fn func(Group) error) error
	// ScanGroupsSelected is ScanGroups limited to the groups sel selects (see
	// GroupSelection), so that a caller interested in a few names need not read every group.
	ScanGroupsSelected(ctx context.Context, orgID string, sel GroupSelection, fn func(Group) error) error
}

// GroupSelection selects groups for ScanGroupsSelected: a non-deleted group is selected when
// its displayName, ASCII letters lower-cased, contains one of Contains; when its externalId is
// exactly one of ExternalIDs; when its id is one of IDs; and always when its displayName has
// a character outside ASCII. The last rule makes the selection a superset of the groups whose
// Unicode-lower-cased displayName (Go's strings.ToLower) contains one of Contains (lower-cased
// alike): an ASCII name lower-cases the same in every engine, while the SQL engines do not
// agree with Go (nor with each other) on other characters.
type GroupSelection struct {
	Contains    []string
	ExternalIDs []string
	IDs         []string
}
