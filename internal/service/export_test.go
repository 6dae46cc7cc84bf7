package service

import "github.com/rolecall/rolecall/internal/api"

// RulesReq is a whole-set rule change of rs (tests and benchmarks).
func RulesReq(rs []api.RuleInput) api.RuleChangeRequest { return api.RuleChangeRequest{Rules: rs} }

// SetWholeOrgFloor sets the size from which an access slice may be read as the whole org,
// and returns a function that restores it (tests exercise both reads on small orgs).
func SetWholeOrgFloor(n int) (restore func()) {
	old := wholeOrgFloor
	wholeOrgFloor = n
	return func() { wholeOrgFloor = old }
}
