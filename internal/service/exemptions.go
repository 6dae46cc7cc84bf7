package service

import (
	"context"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/rolecall/rolecall/internal/api"
	"github.com/rolecall/rolecall/internal/audit"
	"github.com/rolecall/rolecall/internal/events"
	"github.com/rolecall/rolecall/internal/store"
)

// Break-glass exemptions: named users enforce-groups leaves as they are (their direct grants
// stay, they are never removed), each with a reason. An org has at most MaxExemptions of
// them so that the escape hatch stays small; in groups-only mode only they may receive
// direct grants. Service accounts need none: enforce-groups never touches them.

// maxReasonLen bounds an exemption's reason: a sentence, not a document.
const maxReasonLen = 500

// MaxExemptionsLimit is the largest MaxExemptions an org may set.
const MaxExemptionsLimit = 100

// ExemptUser marks the user (id or userName) exempt from enforce-groups with reason, or
// replaces the reason of an exemption it has; created says which.
func (s *Service) ExemptUser(ctx context.Context, org, ref, reason string) (v api.Exemption, created bool, err error) {
	reason = strings.TrimSpace(reason)
	if reason == "" {
		return v, false, badRequest("give a reason for exempting %s from enforce-groups (--reason \"…\"): the audit log and the enforce preview show it", ref)
	}
	if utf8.RuneCountInString(reason) > maxReasonLen {
		return v, false, badRequest("the reason is %d characters long; keep it to %d", utf8.RuneCountInString(reason), maxReasonLen)
	}
	err = s.update(ctx, org, func(l lookup) error {
		// The org lock first: counting the exemptions and adding one must be one step, or two
		// concurrent requests at the limit on PostgreSQL (READ COMMITTED) would both pass it.
		if err := l.tx.LockOrg(l.ctx, l.orgID); err != nil {
			return err
		}
		u, err := l.user(ref)
		if err != nil {
			return err
		}
		if u.Removed {
			return conflict("%s was removed from the organization by enforce-groups and cannot be exempted: undo that run, or have the identity provider reactivate the user first", u.UserName)
		}
		all, err := l.tx.Exemptions(l.ctx, l.orgID)
		if err != nil {
			return err
		}
		i := slices.IndexFunc(all, func(e store.Exemption) bool { return e.UserID == u.ID })
		var before any
		if i >= 0 {
			before = exemptionView(all[i])
		} else {
			set, err := l.tx.Settings(l.ctx, l.orgID)
			if err != nil {
				return err
			}
			if len(all) >= set.MaxExemptions {
				names := make([]string, len(all))
				for j, e := range all {
					names[j] = e.UserName
				}
				return conflict("this organization already has %d exempt users, its limit (%s); unexempt one first (rolecall user unexempt USER) or raise the limit (rolecall org set --max-exemptions N)",
					len(all), strings.Join(names, ", "))
			}
		}
		e := store.Exemption{OrgID: l.orgID, UserID: u.ID, UserName: u.UserName, Reason: reason,
			CreatedBy: audit.ActorFrom(l.ctx).Name, CreatedAt: store.Now()}
		if created, err = l.tx.PutExemption(l.ctx, e); err != nil {
			return err
		}
		v = exemptionView(e)
		l.ob.Add(events.UserExempted, events.ExemptionData{User: EventUser(u), Reason: reason})
		return l.audit(audit.ActionUserExempted, audit.TargetUser, u.ID, before, v)
	})
	return v, created, err
}

// UnexemptUser lifts the user's exemption: the next enforce run treats it like every other
// user.
func (s *Service) UnexemptUser(ctx context.Context, org, ref string) (v api.Exemption, err error) {
	err = s.update(ctx, org, func(l lookup) error {
		u, err := l.user(ref)
		if err != nil {
			return err
		}
		all, err := l.tx.Exemptions(l.ctx, l.orgID)
		if err != nil {
			return err
		}
		i := slices.IndexFunc(all, func(e store.Exemption) bool { return e.UserID == u.ID })
		if i < 0 {
			return notFoundf("%s is not exempt from enforce-groups (list exemptions with `rolecall user exemptions`)", u.UserName)
		}
		v = exemptionView(all[i])
		if err := l.tx.DeleteExemption(l.ctx, l.orgID, u.ID); err != nil {
			return err
		}
		l.ob.Add(events.UserUnexempted, events.ExemptionData{User: EventUser(u), Reason: v.Reason})
		return l.audit(audit.ActionUserUnexempted, audit.TargetUser, u.ID, v, nil)
	})
	return v, err
}

// Exemptions lists the org's exempt users by userName, with the org's limit.
func (s *Service) Exemptions(ctx context.Context, org string) (v api.Exemptions, err error) {
	err = s.view(ctx, org, func(l lookup) error {
		all, err := l.tx.Exemptions(l.ctx, l.orgID)
		if err != nil {
			return err
		}
		set, err := l.tx.Settings(l.ctx, l.orgID)
		if err != nil {
			return err
		}
		v.Max = set.MaxExemptions
		v.Exemptions = make([]api.Exemption, len(all))
		for i, e := range all {
			v.Exemptions[i] = exemptionView(e)
		}
		return nil
	})
	return v, err
}

// exemptIDs returns the ids of the org's exempt users.
func (l lookup) exemptIDs() (map[string]bool, error) {
	all, err := l.tx.Exemptions(l.ctx, l.orgID)
	if err != nil {
		return nil, err
	}
	ids := make(map[string]bool, len(all))
	for _, e := range all {
		ids[e.UserID] = true
	}
	return ids, nil
}

// isExempt reports whether the user is exempt.
func (l lookup) isExempt(userID string) (bool, error) {
	ids, err := l.exemptIDs()
	return ids[userID], err
}

func exemptionView(e store.Exemption) api.Exemption {
	return api.Exemption{UserID: e.UserID, UserName: e.UserName, Reason: e.Reason, CreatedBy: e.CreatedBy, CreatedAt: e.CreatedAt}
}
