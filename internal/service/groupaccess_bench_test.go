package service_test

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"testing"

	"github.com/rolecall/rolecall/internal/access"
	"github.com/rolecall/rolecall/internal/api"
	"github.com/rolecall/rolecall/internal/audit"
	"github.com/rolecall/rolecall/internal/service"
	"github.com/rolecall/rolecall/internal/testenv"
)

// groupBenchState is n users all in group "big", each also in one of 100 team groups (each
// team holding collaborator on one of 100 projects), 10 clouds with 10 projects each (one
// public per cloud), and a direct readonly grant on a cloud for every tenth user.
func groupBenchState(n int) *access.State {
	s := &access.State{Resources: []access.Resource{{ID: "org", Kind: access.KindOrganization, Name: "bench"}}}
	for c := range 10 {
		s.Resources = append(s.Resources, access.Resource{ID: fmt.Sprint("c", c), Kind: access.KindCloud, Name: fmt.Sprint("cloud-", c)})
		for p := range 10 {
			s.Resources = append(s.Resources, access.Resource{ID: fmt.Sprint("p", c*10+p), Kind: access.KindProject,
				Name: fmt.Sprint("p", c*10+p), ParentID: fmt.Sprint("c", c), Public: p == 0})
		}
	}
	s.Groups = append(s.Groups, access.Group{ID: "big", DisplayName: "big", Active: true})
	for t := range 100 {
		s.Groups = append(s.Groups, access.Group{ID: fmt.Sprint("t", t), DisplayName: fmt.Sprint("team-", t), Active: true})
		s.Bindings = append(s.Bindings, access.Binding{ID: fmt.Sprint("bt", t), ResourceID: fmt.Sprint("p", t), PrincipalID: fmt.Sprint("t", t),
			PrincipalType: access.PrincipalGroup, Role: access.RoleCollaborator})
	}
	for u := range n {
		id := fmt.Sprint("u", u)
		s.Users = append(s.Users, access.User{ID: id, UserName: fmt.Sprintf("user%d@example.com", u), Active: true})
		s.Memberships = append(s.Memberships,
			access.Membership{GroupID: "big", MemberID: id, MemberType: access.PrincipalUser},
			access.Membership{GroupID: fmt.Sprint("t", u%100), MemberID: id, MemberType: access.PrincipalUser})
		if u%10 == 0 {
			s.Bindings = append(s.Bindings, access.Binding{ID: "bu" + id, ResourceID: fmt.Sprint("c", u%10), PrincipalID: id,
				PrincipalType: access.PrincipalUser, Role: access.RoleReadonly})
		}
	}
	return s
}

// BenchmarkGroupGrantAccess grants a cloud role to a group of ROLECALL_BENCH_GROUP_USERS
// users (10,000 by default; 100,000 is the budget population's big group) and revokes it,
// alternately, through the service on SQLite: each write computes, in its transaction,
// every member's change (the cloud and its public project) for its grant event.
//
//	ROLECALL_BENCH_GROUP_USERS=100000 go test -run '^$' -bench GroupGrantAccess -benchtime 6x ./internal/service/
func BenchmarkGroupGrantAccess(b *testing.B) {
	n := 10000
	if v, err := strconv.Atoi(os.Getenv("ROLECALL_BENCH_GROUP_USERS")); err == nil && v > 0 {
		n = v
	}
	st := testenv.SQLite(b)
	org, _ := testenv.Seed(b, st, "bench", groupBenchState(n))
	ctx := audit.WithActor(context.Background(), audit.Actor{Name: "bench", RequestID: "bench"})
	svc := service.New(st)
	req := api.GrantRequest{Role: "collaborator", PrincipalType: "group", Principal: "big", ResourceKind: "cloud", Resource: "cloud-3"}
	for i := 0; b.Loop(); i++ {
		var err error
		if i%2 == 0 {
			_, _, err = svc.CreateGrant(ctx, org, req)
		} else {
			_, err = svc.RevokeGrant(ctx, org, req)
		}
		if err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(n), "members")
}
