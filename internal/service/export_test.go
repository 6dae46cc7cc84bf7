package service

import (
	"context"

	"github.com/rolecall/rolecall/internal/api"
	"github.com/rolecall/rolecall/internal/rules"
	"github.com/rolecall/rolecall/internal/store"
)

// RulesReq is a whole-set rule change of rs (tests and benchmarks).
func RulesReq(rs []api.RuleInput) api.RuleChangeRequest { return api.RuleChangeRequest{Rules: rs} }

// SetWholeOrgFloor sets the size from which an access slice may be read as the whole org,
// and returns a function that restores it (tests exercise both reads on small orgs).
func SetWholeOrgFloor(n int) (restore func()) {
	old := wholeOrgFloor
	wholeOrgFloor = n
	return func() { wholeOrgFloor = old }
}

// ReconcileAll reconciles every group of org in one write, as an undo of a rule change does
// after putting the rules back: the reference the reconcile of a created or renamed resource
// is held to (tests).
func (s *Service) ReconcileAll(ctx context.Context, org string) (rules.Changes, error) {
	var c rules.Changes
	err := s.write(ctx, org, func(tx store.Tx, ob *Outbox) error {
		var err error
		c, err = s.reconcileGroups(ctx, tx, org, ob, nil)
		return err
	})
	return c, err
}
