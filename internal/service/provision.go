package service

import (
	"context"
	"errors"
	"net/http"
	"strings"

	"github.com/rolecall/rolecall/internal/scim"
	"github.com/rolecall/rolecall/internal/store"
)

// Provisioning: the SCIM writes of users and groups. Each is one transaction holding the
// change and its one audit event; nothing is written when any step fails. The SCIM handler
// renders: it passes the callbacks that turn a stored row into its answer and its audit
// record, which run inside the transaction so that both show the row as written (and, for a
// canonical stored document, straight from its stored JSON, without decoding it).

// Written is the outcome of a provisioning write: the resource's id, its new version, and
// the answer the render callback built (nil after DELETE).
type Written struct {
	ID      string
	Version int64
	Body    any
}

// maxWriteAttempts bounds the retries of a read-modify-write that lost a race with another
// writer of the same resource (PostgreSQL, READ COMMITTED) when the client sent no If-Match:
// the client asked for a change, not for a change from a given version, so it is redone on
// the new version.
const maxWriteAttempts = 4

// provision runs fn in a write transaction, retrying on a concurrent version change unless
// the write is conditional (ifMatch set), in which case the change is 412. Each attempt is
// one store.Update (s.write): a write is applied whole or not at all, its change events
// with it.
func (s *Service) provision(ctx context.Context, org, ifMatchHeader string, fn func(tx store.Tx, ob *Outbox) error) error {
	conditional := strings.TrimSpace(ifMatchHeader) != ""
	for attempt := 1; ; attempt++ {
		err := s.write(ctx, org, fn)
		var se *scim.Error
		if !errors.Is(err, store.ErrVersionMismatch) || errors.As(err, &se) {
			return err
		}
		if conditional {
			return scim.ErrStatus(http.StatusPreconditionFailed,
				"the resource was changed by someone else while this request ran (%s); GET it again and retry with its new ETag", StoreDetail(err))
		}
		if attempt == maxWriteAttempts {
			return scim.ErrStatus(http.StatusConflict, "the resource kept changing while this request ran (%s); retry the request", StoreDetail(err))
		}
	}
}
