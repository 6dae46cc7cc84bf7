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
	Before     json.RawMessage
	After      json.RawMessage
	RequestID  string
}

// AuditQuery filters ListAudit; zero fields match everything. Results are newest first.
type AuditQuery struct {
	Since, Until time.Time
	Actor        string
	Action       string
	TargetType   string
	TargetID     string
	Page         Page
}

// AuditTx appends and reads audit events. There is no way to change or delete one.
type AuditTx interface {
	AppendAudit(ctx context.Context, e AuditEvent) (AuditEvent, error)
	ListAudit(ctx context.Context, orgID string, q AuditQuery) ([]AuditEvent, int, error)
}
