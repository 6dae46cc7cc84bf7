package store

import "context"

// MemberType says what a group member is.
type MemberType string

// Member types.
const (
	MemberUser  MemberType = "user"
	MemberGroup MemberType = "group"
)

// Member is one member of a group as returned by reads.
type Member struct {
	Type MemberType
	ID   string
	// Display is the user's userName or the group's displayName at read time.
	Display string
}

// Membership is a group→member edge, used for bulk loads (access evaluation, enforce).
type Membership struct {
	GroupID    string
	MemberType MemberType
	MemberID   string
}

// ParentEdge is one membership seen from its member: the live group MemberID is directly
// in, with what access needs of that group.
type ParentEdge struct {
	MemberID    string
	GroupID     string
	GroupName   string
	GroupActive bool
}

// MembershipTx changes and reads group membership with set operations: no method loads a
// whole member list to change it, so a 100,000-member group is as cheap to change as a
// 10-member one.
type MembershipTx interface {
	// AddMembers adds the ids (users or groups of the same org; the store finds which) to the
	// group; ids already members are skipped. It returns how many were added. An id that is
	// neither a user nor a group of the org → ErrNotFound naming it; a group member that would
	// make a cycle (or the group itself) → ErrInvalid.
	AddMembers(ctx context.Context, orgID, groupID string, ids []string) (int, error)
	// KnownMembers returns the ids (deduplicated, in the given order) that are users or
	// non-deleted groups of the org: callers that must tolerate stale ids (an IdP adding a
	// member it failed to provision) filter with it before AddMembers/ReplaceMembers.
	KnownMembers(ctx context.Context, orgID string, ids []string) ([]string, error)
	// RemoveMembers removes the ids; ids that are not members are ignored.
	RemoveMembers(ctx context.Context, orgID, groupID string, ids []string) (int, error)
	// RemoveAllMembers empties the group.
	RemoveAllMembers(ctx context.Context, orgID, groupID string) (int, error)
	// ReplaceMembers makes the member set exactly ids (computed as set differences in SQL).
	ReplaceMembers(ctx context.Context, orgID, groupID string, ids []string) (added, removed int, err error)
	// AddMembersReturning, RemoveMembersReturning, RemoveAllMembersReturning and
	// ReplaceMembersReturning are the methods above returning the members they added and
	// removed (Type and ID; Display empty), in id order, rather than counts: a change event
	// is emitted per member that really changed, never for one that was already (or never)
	// a member. They cost the same statements (RETURNING), not an extra read.
	AddMembersReturning(ctx context.Context, orgID, groupID string, ids []string) ([]Member, error)
	RemoveMembersReturning(ctx context.Context, orgID, groupID string, ids []string) ([]Member, error)
	RemoveAllMembersReturning(ctx context.Context, orgID, groupID string) ([]Member, error)
	ReplaceMembersReturning(ctx context.Context, orgID, groupID string, ids []string) (added, removed []Member, err error)
	// Members lists one page of a group's members ordered by member id, with the total.
	Members(ctx context.Context, orgID, groupID string, p Page) ([]Member, int, error)
	// MembersOf returns, for each given group id, its members (for list responses). Groups
	// with no members are absent from the map.
	MembersOf(ctx context.Context, orgID string, groupIDs []string) (map[string][]Member, error)
	// IsMember reports whether memberID is a direct member of the group.
	IsMember(ctx context.Context, orgID, groupID, memberID string) (bool, error)
	// GroupsOfMember lists the non-deleted groups memberID (user or group) is directly in.
	GroupsOfMember(ctx context.Context, orgID, memberID string) ([]Group, error)
	// GroupsOfMembers is GroupsOfMember for many members at once (a page of users in a list
	// response: one query, not one per user). The groups come without Doc. Members in no
	// live group are absent from the map.
	GroupsOfMembers(ctx context.Context, orgID string, memberIDs []string) (map[string][]Group, error)
	// ChildEdges returns the membership edges of the given groups (whatever their members'
	// state: a deleted user or group member is the caller's to skip), in no particular
	// order: the downward step of finding the users a group's change reaches, without the
	// member names and liveness joins of MembersOf.
	ChildEdges(ctx context.Context, orgID string, groupIDs []string) ([]Membership, error)
	// AncestryGranted reports whether the group or any group above it (transitively, the
	// deleted and inactive ones included) holds a binding: one query that tells a membership
	// write whether it can change anyone's roles at all (most groups' cannot).
	AncestryGranted(ctx context.Context, orgID, groupID string) (bool, error)
	// ParentsOf returns the edges from each of memberIDs (users, or groups that are not
	// deleted) to the live groups it is directly in, in no particular order: the upward
	// step of reading the part of an org that decides some users' access, as lean as one
	// index range per id (GroupsOfMembers reads whole group rows, sorted, for answers).
	ParentsOf(ctx context.Context, orgID string, memberIDs []string) ([]ParentEdge, error)
	// AllMemberships streams every membership edge of the org whose group is not deleted.
	AllMemberships(ctx context.Context, orgID string, fn func(Membership) error) error
}
