package store

import (
	"context"
	"encoding/json"
	"time"
)

// AuditEvent records one change: who did what to which target, with the state before and
// after as JSON (null for creations and deletions respectively).
type AuditEvent struct {
	OrgID      string
	Seq        int64 // assigned by the store, increasing
	Time       time.Time
	Actor      string // the token's name, or "system"
	Action     string // e.g. "scim.user.create", "grant.create", "enforce.apply"
	TargetType string
	TargetID   string
	// TargetName is what the target was called when the event was written (a user's
	// userName, a grant as "collaborator on prod-cloud to bob@example.com"), so that the log
	// reads by name after the target is renamed or deleted. Empty in events written before
	// names were recorded.
	TargetName string
	// Summary is the event in one line for people ("okta deactivated alice@example.com").
	Summary string
	// SubjectType, SubjectID and SubjectName are a second object the event is about: the
	// principal of a grant event, so that a search for that principal finds grants to it.
	SubjectType string
	SubjectID   string
	SubjectName string
	Before      json.RawMessage
	After       json.RawMessage
	RequestID   string
}

// AuditQuery filters ListAudit; zero fields match everything. Results are newest first.
type AuditQuery struct {
	Since, Until time.Time
	Actor        string
	Action       string
	TargetType   string
	TargetID     string
	// Actions matches any of its entries: an action name, or a prefix when the entry ends
	// with "." ("enforce." is every enforce event).
	Actions []string
	// About matches events whose target or subject has one of these ids or recorded names
	// (a user's events and the grants to and from it).
	About []string
	Page  Page
}

// AuditTx appends and reads audit events. There is no way to change or delete one.
type AuditTx interface {
	AppendAudit(ctx context.Context, e AuditEvent) (AuditEvent, error)
	ListAudit(ctx context.Context, orgID string, q AuditQuery) ([]AuditEvent, int, error)
}
