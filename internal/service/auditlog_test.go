package service_test

import (
	"slices"
	"testing"

	"github.com/rolecall/rolecall/internal/api"
	"github.com/rolecall/rolecall/internal/scim"
	"github.com/rolecall/rolecall/internal/service"
	"github.com/rolecall/rolecall/internal/store"
)

// auditRender records users as the SCIM handler does for the log: with active.
var auditRender = service.UserRender{
	Answer: userRender.Answer, Doc: userRender.Doc,
	Audit: func(u store.User) (any, error) {
		return map[string]any{"id": u.ID, "userName": u.UserName, "active": u.Active}, nil
	},
}

// The audit log reads by name: every event records its target's name and a summary at
// write time (so they survive deletes), a grant records its principal as a searchable
// subject, actions filter by prefix and list, and --target takes a plain name.
func TestAuditLogReadable(t *testing.T) {
	forBackends(t, func(t *testing.T, e *eventEnv) {
		nu, err := service.UserFromDoc(e.org, map[string]any{"schemas": []any{"urn:ietf:params:scim:schemas:core:2.0:User"}, "userName": "alice@example.com", "active": true})
		if err != nil {
			t.Fatal(err)
		}
		w, err := e.svc.CreateUser(e.ctx, nu, auditRender)
		if err != nil {
			t.Fatal(err)
		}
		alice := w.ID
		if _, err := e.svc.CreateGroup(e.ctx, e.org, map[string]any{"displayName": "engineering"}, []scim.Member{{Value: alice}}, groupRender); err != nil {
			t.Fatal(err)
		}
		if _, err := e.svc.CreateCloud(e.ctx, e.org, "prod-cloud"); err != nil {
			t.Fatal(err)
		}
		if _, _, err := e.svc.CreateGrant(e.ctx, e.org, api.GrantRequest{Role: "collaborator", PrincipalType: "user", Principal: "alice@example.com", ResourceKind: "cloud", Resource: "prod-cloud"}); err != nil {
			t.Fatal(err)
		}
		if _, _, err := e.svc.CreateGrant(e.ctx, e.org, api.GrantRequest{Role: "owner", PrincipalType: "group", Principal: "engineering", ResourceKind: "organization"}); err != nil {
			t.Fatal(err)
		}
		if _, err := e.svc.PatchUser(e.ctx, e.org, alice, "", []scim.PatchOperation{replaceOp("active", false)}, auditRender); err != nil {
			t.Fatal(err)
		}
		// The cloud goes, with alice's grant: the log still names both.
		if _, err := e.svc.DeleteResource(e.ctx, e.org, store.KindCloud, "prod-cloud"); err != nil {
			t.Fatal(err)
		}

		list := func(q store.AuditQuery) []string {
			t.Helper()
			q.Page.Limit = 100
			es, total, err := e.svc.AuditLog(e.ctx, e.org, q)
			if err != nil {
				t.Fatalf("AuditLog(%+v): %v", q, err)
			}
			if total != len(es) {
				t.Errorf("AuditLog(%+v): total %d, %d events", q, total, len(es))
			}
			var out []string
			for _, ev := range es {
				out = append(out, ev.Summary)
			}
			return out
		}
		all := list(store.AuditQuery{})
		want := []string{
			"tester deleted cloud prod-cloud and 1 grant that went with it",
			"tester deactivated alice@example.com",
			"tester granted owner on the organization to group engineering",
			"tester granted collaborator on prod-cloud to alice@example.com",
			"tester created cloud prod-cloud",
			"tester created group engineering with 1 member",
			"tester created user alice@example.com",
			"tester created organization acme",
		}
		if !slices.Equal(all, want) {
			t.Fatalf("summaries:\n%q\nwant\n%q", all, want)
		}
		es, _, err := e.svc.AuditLog(e.ctx, e.org, store.AuditQuery{Action: "grant.create", Page: store.Page{Limit: 10}})
		if err != nil || len(es) != 2 {
			t.Fatalf("grant.create: %d events, %v", len(es), err)
		}
		if g := es[1]; g.TargetName != "collaborator on prod-cloud to alice@example.com" || g.SubjectType != "user" ||
			g.SubjectID != alice || g.SubjectName != "alice@example.com" {
			t.Errorf("grant event names: %+v", g)
		}

		for _, tc := range []struct {
			name string
			q    store.AuditQuery
			want []string
		}{
			{"plain user name: its events and the grants to it", store.AuditQuery{TargetID: "alice@example.com"},
				[]string{want[1], want[3], want[6]}},
			{"user/NAME finds grants to it too", store.AuditQuery{TargetType: "user", TargetID: "alice@example.com"},
				[]string{want[1], want[3], want[6]}},
			{"user by id", store.AuditQuery{TargetID: alice}, []string{want[1], want[3], want[6]}},
			{"plain group name", store.AuditQuery{TargetID: "engineering"}, []string{want[2], want[5]}},
			{"a deleted cloud, by its recorded name", store.AuditQuery{TargetID: "prod-cloud"}, []string{want[0], want[4]}},
			{"action prefix", store.AuditQuery{Action: "grant."}, []string{want[2], want[3]}},
			{"action prefix with a star", store.AuditQuery{Action: "scim.*"}, []string{want[1], want[5], want[6]}},
			{"action list", store.AuditQuery{Action: "cloud.create, org.create"}, []string{want[4], want[7]}},
			{"target and action", store.AuditQuery{TargetID: "alice@example.com", Action: "grant."}, []string{want[3]}},
			{"nothing by that name", store.AuditQuery{TargetID: "nobody"}, nil},
		} {
			if got := list(tc.q); !slices.Equal(got, tc.want) {
				t.Errorf("%s:\n%q\nwant\n%q", tc.name, got, tc.want)
			}
		}
		if _, _, err := e.svc.AuditLog(e.ctx, e.org, store.AuditQuery{Action: " , "}); err == nil {
			t.Errorf("an action filter naming nothing was accepted")
		}

		// A row written before names and summaries were recorded (as migration 0022 leaves
		// them) is described from its documents when read, or by type and id.
		if err := e.st.Update(e.ctx, func(tx store.Tx) error {
			if _, err := tx.AppendAudit(e.ctx, store.AuditEvent{OrgID: e.org, Actor: "okta", Action: "scim.user.delete",
				TargetType: "user", TargetID: "old-id", Before: []byte(`{"userName":"gone@example.com"}`)}); err != nil {
				return err
			}
			_, err := tx.AppendAudit(e.ctx, store.AuditEvent{OrgID: e.org, Actor: "cli", Action: "widget.poke", TargetType: "widget", TargetID: "w-1"})
			return err
		}); err != nil {
			t.Fatal(err)
		}
		es, _, err = e.svc.AuditLog(e.ctx, e.org, store.AuditQuery{Page: store.Page{Limit: 2}})
		if err != nil || len(es) != 2 || es[1].Summary != "okta deleted user gone@example.com" || es[1].TargetName != "gone@example.com" ||
			es[0].Summary != "cli widget.poke widget w-1" || service.AuditEventView(es[0]).Target != "widget w-1" {
			t.Errorf("old rows read back as %+v", es)
		}
	})
}
