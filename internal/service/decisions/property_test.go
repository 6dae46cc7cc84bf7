package decisions_test

import (
	"fmt"
	"testing"

	"pgregory.net/rapid"

	"github.com/rolecall/rolecall/internal/access"
	"github.com/rolecall/rolecall/internal/access/accesstest"
	"github.com/rolecall/rolecall/internal/api"
	"github.com/rolecall/rolecall/internal/decision"
	"github.com/rolecall/rolecall/internal/service"
	"github.com/rolecall/rolecall/internal/service/decisions"
	"github.com/rolecall/rolecall/internal/store/sqlstore/sqltest"
)

// TestDecisionsAgreeWithExplain: on random organizations stored through the service, and
// after random grants and revocations made through it (applied to the cached index from
// their events), every decision of the cache agrees with `access explain` (service.Explain)
// for every user, resource and built-in action.
func TestDecisionsAgreeWithExplain(t *testing.T) {
	e := newEnv(t, sqltest.SQLiteDSN(t), decisions.Options{})
	n := 0
	rapid.Check(t, func(rt *rapid.T) {
		n++
		org := e.newOrg(fmt.Sprintf("org%d", n))
		s := accesstest.Draw(rt, accesstest.Options{Storable: true, Public: true})
		if _, err := service.Seed(e.ctx, e.st, org, s, 0); err != nil {
			rt.Fatal(err)
		}
		agree(rt, e, org, s)
		// Random writes through the service, then agreement again: these reach the index
		// as events, not as a rebuild.
		builds := e.cache.Stats().Builds
		if len(s.Users) == 0 {
			return
		}
		for i := range rapid.IntRange(1, 4).Draw(rt, "writes") {
			u := rapid.SampledFrom(s.Users).Draw(rt, fmt.Sprint("user", i))
			r := rapid.SampledFrom(s.Resources).Draw(rt, fmt.Sprint("res", i))
			roles := []string{"owner", "collaborator"}
			if r.Kind != access.KindOrganization {
				roles = append(roles, "readonly")
			}
			req := api.GrantRequest{Role: rapid.SampledFrom(roles).Draw(rt, fmt.Sprint("role", i)), PrincipalType: "user",
				Principal: u.UserName, ResourceKind: r.Kind.String(), Resource: r.Name}
			var err error
			if rapid.Bool().Draw(rt, fmt.Sprint("revoke", i)) {
				_, err = e.svc.RevokeGrant(e.ctx, org, req)
			} else {
				_, _, err = e.svc.CreateGrant(e.ctx, org, req)
			}
			_ = err // not found / refused (groups-only, no such grant) are fine: nothing changed
		}
		agree(rt, e, org, s)
		if got := e.cache.Stats().Builds; got != builds {
			rt.Errorf("writes through the service rebuilt the index (%d builds, was %d)", got, builds)
		}
	})
}

// agree checks every user × resource × built-in action against service.Explain.
func agree(rt *rapid.T, e *env, org string, s *access.State) {
	ix, _, err := e.cache.Index(e.ctx, org, 0)
	if err != nil {
		rt.Fatal(err)
	}
	for _, u := range s.Users {
		for _, r := range s.Resources {
			ref := r.Name
			if r.Kind == access.KindOrganization {
				ref = ""
			}
			ex, err := e.svc.Explain(e.ctx, org, u.UserName, r.Kind.String(), ref)
			if err != nil {
				rt.Fatalf("explain %s on %s %s: %v", u.UserName, r.Kind, r.Name, err)
			}
			role := access.RoleNone
			if ex.HoldsAccess && len(ex.Resources) == 1 && ex.Resources[0].Role != "none" {
				if role, err = access.ParseRole(ex.Resources[0].Role); err != nil {
					rt.Fatal(err)
				}
			}
			name := r.Name
			if r.Kind == access.KindOrganization {
				name = "" // the org resource's stored name is the org's
				for _, rr := range ex.Resources {
					name = rr.Name
				}
			}
			for action, need := range map[string]access.Role{"read": access.RoleReadonly, "write": access.RoleCollaborator, "manage": access.RoleOwner} {
				d := ix.Evaluate(decision.Query{Subject: decision.Subject{Type: decision.SubjectUser, ID: u.UserName}, Action: action,
					Resource: decision.Resource{Kind: r.Kind, Name: name}})
				if want := role >= need; d.Allowed != want {
					rt.Fatalf("%s %s on %s %q: decision %v (%s), explain says role %v (holds access %v)", u.UserName, action, r.Kind, name, d.Allowed, d.Reason, role, ex.HoldsAccess)
				}
			}
		}
	}
}
