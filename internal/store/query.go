package store

import "context"

// Field names an attribute that backends can filter and sort on in SQL. The names are the
// SCIM attribute paths they stand for.
type Field string

// Fields pushed down to SQL. Case-insensitive comparison applies to userName, displayName
// and emails.value (caseExact false in RFC 7643); id and externalId compare exactly.
const (
	FieldID           Field = "id"
	FieldUserName     Field = "userName"
	FieldExternalID   Field = "externalId"
	FieldDisplayName  Field = "displayName"
	FieldEmail        Field = "emails.value"
	FieldActive       Field = "active"
	FieldCreated      Field = "meta.created"
	FieldLastModified Field = "meta.lastModified"
	// FieldMember is members.value on groups: the group has that member (directly).
	FieldMember Field = "members.value"
)

// CondOp is the operator of a Cond node.
type CondOp uint8

// Operators. And/Or/Not combine Args; the others compare Field with Value.
const (
	CondAnd CondOp = iota + 1
	CondOr
	CondNot
	CondEq
	CondNe
	CondCo
	CondSw
	CondEw
	CondGt
	CondGe
	CondLt
	CondLe
	CondPr
)

// Cond is a filter that a backend evaluates in SQL. The server translates the SQL-able part of
// a SCIM filter into a Cond and evaluates the rest in memory. Value is a string (for text
// fields and ids), a bool (active) or a time.Time (meta dates). For FieldMember only CondEq
// and CondPr are meaningful.
type Cond struct {
	Op    CondOp
	Field Field
	Value any
	Args  []Cond
}

// Query selects users or groups. Sort is one of the Fields (not FieldMember, FieldEmail);
// empty means Seq order (insertion), which is stable under concurrent writes. Ties are
// broken by Seq.
type Query struct {
	Filter *Cond
	Sort   Field
	Desc   bool
	Page   Page
	// SkipTotal lets a backend skip the COUNT when the caller does not need it (cursor paging).
	SkipTotal bool
	// EmailsFor, when set, limits which listed users get their Emails loaded: the others
	// come back with Emails nil. The SCIM server renders emails from a user's stored
	// document and needs the emails table only for users whose document has none, and
	// loading them was an eighth of a page's cost. ListUsers only.
	EmailsFor func(User) bool
}

// PagerTx resolves the keys cursor paging continues from.
type PagerTx interface {
	// PageKey returns the Seq (the key Page.After takes) of user id of the org, or of group
	// id when groups is set, whether or not it was deleted since: a SCIM cursor names the
	// last resource of a page, which may be deleted before the client asks for the next.
	// ErrNotFound when the org has no such resource (another org's id included).
	PageKey(ctx context.Context, orgID string, groups bool, id string) (int64, error)
}
