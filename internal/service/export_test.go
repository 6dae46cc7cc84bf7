package service

import "github.com/rolecall/rolecall/internal/api"

// RulesReq is a whole-set rule change of rs (tests and benchmarks).
func RulesReq(rs []api.RuleInput) api.RuleChangeRequest { return api.RuleChangeRequest{Rules: rs} }
