// Package audit records who changed what. Every mutation in rolecall — SCIM, admin API,
// enforce-groups, offline CLI — writes exactly one event through Log inside the same
// transaction as the change, so the log and the data can never disagree. Action names and
// target types are the constants of actions.go. Describe (describe.go) makes each event
// readable as it is written: the target's name, a grant's principal as a searchable
// subject, and a one-line summary, all derived from the event's before/after documents. It may import the store package and the
// standard library.
package audit

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/rolecall/rolecall/internal/store"
)

// Actor is who is acting: the token's name (or "system", "cli") and the request id.
type Actor struct {
	Name      string
	RequestID string
}

type actorKey struct{}

// WithActor returns a context carrying the actor.
func WithActor(ctx context.Context, a Actor) context.Context {
	return context.WithValue(ctx, actorKey{}, a)
}

// ActorFrom returns the context's actor, or "system" when none was set.
func ActorFrom(ctx context.Context) Actor {
	if a, ok := ctx.Value(actorKey{}).(Actor); ok {
		return a
	}
	return Actor{Name: "system"}
}

// Log appends one event in tx. before and after are marshalled to JSON (nil → null); pass
// the API representation of the target so that the log reads like the API, and so that
// Describe can name the target and summarise the event from them.
func Log(ctx context.Context, tx store.Tx, orgID, action, targetType, targetID string, before, after any) error {
	a := ActorFrom(ctx)
	e := store.AuditEvent{
		OrgID:      orgID,
		Time:       store.Now(),
		Actor:      a.Name,
		Action:     action,
		TargetType: targetType,
		TargetID:   targetID,
		RequestID:  a.RequestID,
	}
	var err error
	if e.Before, err = marshal(before); err != nil {
		return fmt.Errorf("audit %s: %w", action, err)
	}
	if e.After, err = marshal(after); err != nil {
		return fmt.Errorf("audit %s: %w", action, err)
	}
	Describe(&e)
	_, err = tx.AppendAudit(ctx, e)
	return err
}

func marshal(v any) (json.RawMessage, error) {
	switch v := v.(type) {
	case nil:
		return nil, nil
	case json.RawMessage:
		return v, nil
	}
	return json.Marshal(v)
}
