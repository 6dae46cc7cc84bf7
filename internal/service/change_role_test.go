package service_test

import (
	"testing"

	"github.com/rolecall/rolecall/internal/api"
	"github.com/rolecall/rolecall/internal/audit"
	"github.com/rolecall/rolecall/internal/service"
	"github.com/rolecall/rolecall/internal/store"
)

// ChangeGrantRole is one transaction with one audit event (grant.change_role, before the
// old grant, after the new) and the change events of a revoke then a grant; the same role
// again changes nothing; in groups-only mode a user's grant cannot be changed.
func TestChangeGrantRole(t *testing.T) {
	forBackends(t, func(t *testing.T, e *eventEnv) {
		e.createUser("alice")
		if _, err := e.svc.CreateCloud(e.ctx, e.org, "prod"); err != nil {
			t.Fatal(err)
		}
		g, _, err := e.svc.CreateGrant(e.ctx, e.org, api.GrantRequest{Role: "readonly", PrincipalType: "user", Principal: "alice", ResourceKind: "cloud", Resource: "prod"})
		if err != nil {
			t.Fatal(err)
		}
		e.seen = e.revision()

		v, err := e.svc.ChangeGrantRole(e.ctx, e.org, g.ID, "owner")
		if err != nil {
			t.Fatal(err)
		}
		if v.Role != "owner" || v.ID == g.ID || v.PrincipalName != "alice" || v.ResourceName != "prod" {
			t.Fatalf("changed grant %+v", v)
		}
		e.expect("change role", "grant.revoked bindings/"+g.ID, "grant.created bindings/"+v.ID)
		gs, err := e.svc.Grants(e.ctx, e.org, service.GrantFilter{PrincipalType: "user", Principal: "alice"})
		if err != nil || len(gs) != 1 || gs[0].Role != "owner" {
			t.Fatalf("alice's grants after the change: %+v (err %v)", gs, err)
		}
		es, total, err := e.svc.AuditLog(e.ctx, e.org, store.AuditQuery{Action: audit.ActionGrantChangeRole, Page: store.Page{Limit: 10}})
		if err != nil || total != 1 || es[0].TargetID != v.ID || es[0].Actor != "tester" {
			t.Fatalf("grant.change_role audit: %+v total %d (err %v)", es, total, err)
		}

		// The same role again: nothing recorded.
		if same, err := e.svc.ChangeGrantRole(e.ctx, e.org, v.ID, "owner"); err != nil || same.ID != v.ID {
			t.Fatalf("same role: %+v, %v", same, err)
		}
		e.expect("same role")
		// A role not valid on the kind is refused.
		if _, err := e.svc.ChangeGrantRole(e.ctx, e.org, v.ID, "admin"); err == nil {
			t.Fatal("role admin accepted on a cloud")
		}

		// Groups-only mode: refused, nothing changed.
		on := true
		if _, err := e.svc.UpdateSettings(e.ctx, e.org, api.UpdateOrgSettingsRequest{GroupsOnly: &on}); err != nil {
			t.Fatal(err)
		}
		e.seen = e.revision()
		if _, err := e.svc.ChangeGrantRole(e.ctx, e.org, v.ID, "collaborator"); err == nil {
			t.Fatal("groups-only mode let a user's direct grant change")
		}
		e.expect("refused change")
		if gs, _ := e.svc.Grants(e.ctx, e.org, service.GrantFilter{PrincipalType: "user", Principal: "alice"}); len(gs) != 1 || gs[0].Role != "owner" {
			t.Fatalf("alice's grants after a refused change: %+v", gs)
		}
	})
}
