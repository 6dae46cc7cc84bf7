package service

import (
	"context"
	"errors"
	"time"

	"github.com/rolecall/rolecall/internal/audit"
	"github.com/rolecall/rolecall/internal/store"
)

// The dispatcher's steps (package dispatch): it leases endpoints, reads the events after
// their cursors, sends them, and writes back progress and the delivery log. Each step is one
// transaction here, so the dispatcher opens none and writes no audit itself.

// DispatcherActor is the audit actor of what the dispatcher does on its own: disabling an
// endpoint that answered 410, failed for about three days, or fell behind the retention.
const DispatcherActor = "rolecall"

// LeaseWebhooks leases up to limit due endpoints of any org to owner until until.
func (s *Service) LeaseWebhooks(ctx context.Context, owner string, now, until time.Time, limit int) (out []store.WebhookEndpoint, err error) {
	err = s.store.Update(ctx, func(tx store.Tx) error {
		out, err = tx.LeaseWebhooks(ctx, owner, now, until, limit)
		return err
	})
	return out, err
}

// WebhookEvents reads, in one snapshot, endpoint e as it is now (cur: an admin may have
// changed its URL, types or secrets, or disabled it), whether owner still holds its lease,
// and, when it does and the endpoint is enabled, the events after cursor that pass cur's
// types (ErrCursorExpired when they are no longer all retained). A dispatcher whose lease
// was broken (a rewind) or taken over stops rather than send.
func (s *Service) WebhookEvents(ctx context.Context, e store.WebhookEndpoint, owner string, cursor int64, limit int) (page store.EventPage, cur store.WebhookEndpoint, held bool, err error) {
	err = s.store.View(ctx, func(tx store.Tx) error {
		cur, err = tx.Webhook(ctx, e.OrgID, e.ID)
		if errors.Is(err, store.ErrNotFound) {
			return nil
		}
		if err != nil {
			return err
		}
		if held = cur.LeaseOwner == owner; !held || !cur.Enabled {
			return nil
		}
		page, err = tx.EventsAfter(ctx, e.OrgID, store.EventQuery{After: cursor, Types: cur.Types, Limit: limit})
		return err
	})
	return page, cur, held, err
}

// WaitRevision blocks until org's revision passes after (or ctx ends), when the store can
// wait; otherwise it sleeps until ctx ends.
func (s *Service) WaitRevision(ctx context.Context, org string, after int64) (int64, error) {
	if w, ok := s.store.(store.RevisionWaiter); ok {
		return w.WaitRevision(ctx, org, after)
	}
	<-ctx.Done()
	return after, ctx.Err()
}

// WebhookProgress writes what the dispatcher did on endpoint e, which owner leases: the
// attempts' log lines and the new position, in one transaction (store.ErrVersionMismatch,
// and nothing written, when owner lost the lease). When p disables the endpoint the change
// is audited as webhook.disabled by DispatcherActor, with why.
func (s *Service) WebhookProgress(ctx context.Context, e store.WebhookEndpoint, owner string, p store.WebhookProgress, release bool, log []store.WebhookAttempt, why string) error {
	if p.Disable != "" {
		ctx = audit.WithActor(ctx, audit.Actor{Name: DispatcherActor})
	}
	return s.store.Update(ctx, func(tx store.Tx) error {
		if err := tx.AdvanceWebhook(ctx, e.OrgID, e.ID, owner, p, release); err != nil {
			return err
		}
		for _, a := range log {
			if _, err := tx.AppendWebhookAttempt(ctx, a); err != nil {
				return err
			}
		}
		if p.Disable == "" {
			return nil
		}
		before := webhookView(e, 0)
		after := before
		after.Enabled, after.DisabledReason, after.Cursor, after.Attempts = false, p.Disable, p.Cursor, p.Attempts
		return audit.Log(ctx, tx, e.OrgID, audit.ActionWebhookDisable, audit.TargetWebhook, e.ID, before, struct {
			Endpoint any    `json:"endpoint"`
			Reason   string `json:"reason"`
			Why      string `json:"why"`
		}{after, p.Disable, why})
	})
}

// WebhookOrgs lists the orgs that have at least one enabled endpoint: the orgs whose
// commits the dispatcher watches for (WaitRevision) to deliver at once.
func (s *Service) WebhookOrgs(ctx context.Context) (out []string, err error) {
	err = s.store.View(ctx, func(tx store.Tx) error {
		out, err = tx.WebhookOrgs(ctx)
		return err
	})
	return out, err
}
