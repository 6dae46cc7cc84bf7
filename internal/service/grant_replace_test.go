package service_test

import (
	"errors"
	"net/http"
	"strings"
	"testing"

	"github.com/rolecall/rolecall/internal/api"
	"github.com/rolecall/rolecall/internal/audit"
	"github.com/rolecall/rolecall/internal/service"
	"github.com/rolecall/rolecall/internal/store"
)

// A principal holds one direct role per resource: granting another is refused with what
// exists and by whom, and changes nothing; with Replace it becomes a change of role in one
// transaction (one grant.change_role audit event, a revoke then a grant event).
func TestCreateGrantReplace(t *testing.T) {
	forBackends(t, func(t *testing.T, e *eventEnv) {
		e.createUser("bob@example.com")
		if _, err := e.svc.CreateCloud(e.ctx, e.org, "prod-cloud"); err != nil {
			t.Fatal(err)
		}
		req := api.GrantRequest{Role: "owner", PrincipalType: "user", Principal: "bob@example.com", ResourceKind: "cloud", Resource: "prod-cloud"}
		owner, created, err := e.svc.CreateGrant(e.ctx, e.org, req)
		if err != nil || !created {
			t.Fatal(created, err)
		}
		e.seen = e.revision()
		roles := func() []string {
			t.Helper()
			gs, err := e.svc.Grants(e.ctx, e.org, service.GrantFilter{PrincipalType: "user", Principal: "bob@example.com"})
			if err != nil {
				t.Fatal(err)
			}
			var out []string
			for _, g := range gs {
				out = append(out, g.Role)
			}
			return out
		}

		req.Role = "readonly"
		_, _, err = e.svc.CreateGrant(e.ctx, e.org, req)
		var ae *api.Error
		if !errors.As(err, &ae) || ae.Status != http.StatusConflict ||
			!strings.HasPrefix(ae.Message, "bob@example.com already holds owner on cloud prod-cloud (granted by tester at 20") ||
			!strings.Contains(ae.Message, "); nothing was changed") || !strings.Contains(ae.Message, "--replace") {
			t.Fatalf("a second role was not refused as it should: %v", err)
		}
		if ex, _ := ae.Details.(map[string]any)["existing"].([]api.Grant); len(ex) != 1 || ex[0].ID != owner.ID {
			t.Errorf("the refusal's details do not name the existing grant: %+v", ae.Details)
		}
		e.expect("refused")
		if r := roles(); len(r) != 1 || r[0] != "owner" {
			t.Fatalf("bob's roles after the refusal: %v", r)
		}

		req.Replace = true
		v, created, err := e.svc.CreateGrant(e.ctx, e.org, req)
		if err != nil || !created || v.Role != "readonly" || len(v.Replaced) != 1 || v.Replaced[0].ID != owner.ID {
			t.Fatalf("replace: %+v created %v err %v", v, created, err)
		}
		e.expect("replace", "grant.revoked bindings/"+owner.ID, "grant.created bindings/"+v.ID)
		if r := roles(); len(r) != 1 || r[0] != "readonly" {
			t.Fatalf("bob's roles after the replace: %v", r)
		}
		es, _, err := e.svc.AuditLog(e.ctx, e.org, store.AuditQuery{Page: store.Page{Limit: 1}})
		if err != nil || es[0].Action != audit.ActionGrantChangeRole || es[0].TargetID != v.ID ||
			es[0].Summary != "tester changed bob@example.com's role on prod-cloud from owner to readonly" {
			t.Fatalf("replace audit: %+v %v", es, err)
		}

		// Replacing into what is already held changes nothing; replace with nothing held grants.
		if same, created, err := e.svc.CreateGrant(e.ctx, e.org, req); err != nil || created || same.ID != v.ID {
			t.Fatalf("replace with the same role: %+v %v %v", same, created, err)
		}
		e.expect("same again")
		req.Principal, req.Role = "alice", "collaborator"
		e.createUser("alice")
		e.seen = e.revision()
		if g, created, err := e.svc.CreateGrant(e.ctx, e.org, req); err != nil || !created || len(g.Replaced) != 0 {
			t.Fatalf("replace with nothing held: %+v %v %v", g, created, err)
		}
		e.expect("plain grant", "grant.created bindings/"+func() string {
			gs, _ := e.svc.Grants(e.ctx, e.org, service.GrantFilter{PrincipalType: "user", Principal: "alice"})
			return gs[0].ID
		}())
	})
}
