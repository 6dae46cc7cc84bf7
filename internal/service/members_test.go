package service_test

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/rolecall/rolecall/internal/audit"
	"github.com/rolecall/rolecall/internal/auth"
	"github.com/rolecall/rolecall/internal/scim"
	"github.com/rolecall/rolecall/internal/service"
	"github.com/rolecall/rolecall/internal/store"
	"github.com/rolecall/rolecall/internal/store/sqlstore/sqltest"
)

// TestMembershipSequence: every provisioning call that adds members — create, replace, and
// PATCH add or replace — drops member ids the org does not know, reinstates the users
// enforce-groups removed, and records both in its one audit event.
func TestMembershipSequence(t *testing.T) {
	ctx := audit.WithActor(context.Background(), audit.Actor{Name: "test"})
	render := service.GroupRender{Render: func(g store.Group, doc map[string]any, _ []store.Member, _ map[string]string) map[string]any {
		doc["id"], doc["displayName"] = g.ID, g.DisplayName
		return doc
	}}
	calls := []struct {
		name, action string
		run          func(svc *service.Service, org, group string, members []scim.Member) error
	}{
		{"create", audit.ActionSCIMGroupCreate, func(svc *service.Service, org, _ string, ms []scim.Member) error {
			_, err := svc.CreateGroup(ctx, org, map[string]any{"displayName": "new"}, ms, render)
			return err
		}},
		{"replace", audit.ActionSCIMGroupReplace, func(svc *service.Service, org, group string, ms []scim.Member) error {
			_, err := svc.ReplaceGroup(ctx, org, group, "", map[string]any{"displayName": "g"}, ms, render)
			return err
		}},
		{"patch add", audit.ActionSCIMGroupPatch, func(svc *service.Service, org, group string, ms []scim.Member) error {
			_, err := svc.PatchGroup(ctx, org, group, "", []scim.PatchOperation{memberOp(t, "add", ms)}, render)
			return err
		}},
		{"patch replace", audit.ActionSCIMGroupPatch, func(svc *service.Service, org, group string, ms []scim.Member) error {
			_, err := svc.PatchGroup(ctx, org, group, "", []scim.PatchOperation{memberOp(t, "replace", ms)}, render)
			return err
		}},
	}
	for _, c := range calls {
		t.Run(c.name, func(t *testing.T) {
			st := sqltest.Open(t, sqltest.SQLiteDSN(t))
			svc := service.New(st)
			var org, group, removed string
			err := st.Update(ctx, func(tx store.Tx) error {
				o, err := auth.CreateOrg(ctx, tx, "acme")
				if err != nil {
					return err
				}
				u, err := tx.CreateUser(ctx, store.User{OrgID: o.ID, UserName: "alice", Active: true})
				if err != nil {
					return err
				}
				if _, err := tx.SetUserRemoved(ctx, o.ID, u.ID, true, false); err != nil {
					return err
				}
				g, err := tx.CreateGroup(ctx, store.Group{OrgID: o.ID, DisplayName: "g", Active: true})
				org, group, removed = o.ID, g.ID, u.ID
				return err
			})
			if err != nil {
				t.Fatal(err)
			}
			if err := c.run(svc, org, group, []scim.Member{{Value: removed}, {Value: "no-such-member"}}); err != nil {
				t.Fatalf("%s with an unknown member: %v", c.name, err)
			}
			u, err := svc.User(ctx, org, removed)
			if err != nil {
				t.Fatal(err)
			}
			if !u.Active || u.Removed {
				t.Errorf("after %s: active=%v removed=%v, want the removed user reinstated", c.name, u.Active, u.Removed)
			}
			es, _, err := svc.AuditLog(ctx, org, store.AuditQuery{Action: c.action, Page: store.Page{Limit: 10}})
			if err != nil {
				t.Fatal(err)
			}
			if len(es) != 1 {
				t.Fatalf("%d %s events, want 1", len(es), c.action)
			}
			var after struct {
				MemberChanges service.MemberChanges `json:"memberChanges"`
			}
			if err := json.Unmarshal(es[0].After, &after); err != nil {
				t.Fatal(err)
			}
			mc := after.MemberChanges
			if mc.Added != 1 || len(mc.IgnoredIDs) != 1 || mc.IgnoredIDs[0] != "no-such-member" ||
				len(mc.ReinstatedIDs) != 1 || mc.ReinstatedIDs[0] != removed {
				t.Errorf("memberChanges %+v, want 1 added, no-such-member ignored, %s reinstated", mc, removed)
			}
		})
	}
}

// memberOp is a PATCH operation of kind on members.
func memberOp(t *testing.T, kind string, ms []scim.Member) scim.PatchOperation {
	t.Helper()
	value := make([]any, len(ms))
	for i, m := range ms {
		value[i] = map[string]any{"value": m.Value}
	}
	body, err := json.Marshal(map[string]any{"schemas": []string{scim.URNPatchOp},
		"Operations": []any{map[string]any{"op": kind, "path": "members", "value": value}}})
	if err != nil {
		t.Fatal(err)
	}
	req, err := scim.DecodePatch(body)
	if err != nil {
		t.Fatal(err)
	}
	return req.Operations[0]
}

// TestReinstatementRestoresOwnActive: on both backends, a group add reinstates a removed user
// with its own active (the IdP's latest word, kept in its document), never activating a user
// the IdP deactivated — before the removal, or by a PATCH active=false while removed, which
// must be recorded although the removed user already shows active=false.
func TestReinstatementRestoresOwnActive(t *testing.T) {
	ctx := audit.WithActor(context.Background(), audit.Actor{Name: "test"})
	groupRender := service.GroupRender{Render: func(g store.Group, doc map[string]any, _ []store.Member, _ map[string]string) map[string]any {
		doc["id"], doc["displayName"] = g.ID, g.DisplayName
		return doc
	}}
	userDoc := func(u store.User) (map[string]any, error) {
		doc, err := service.DecodeDoc(u.Doc)
		if err == nil {
			doc["id"], doc["active"] = u.ID, u.Active // the columns are authoritative
		}
		return doc, err
	}
	userRender := service.UserRender{
		Answer: func(u store.User, _ []store.Group) (any, error) { return userDoc(u) },
		Audit:  func(u store.User) (any, error) { return userDoc(u) },
		Doc:    userDoc,
	}
	patch := func(t *testing.T, body string) []scim.PatchOperation {
		req, err := scim.DecodePatch([]byte(`{"schemas":["` + scim.URNPatchOp + `"],"Operations":[` + body + `]}`))
		if err != nil {
			t.Fatal(err)
		}
		return req.Operations
	}
	for _, b := range sqltest.Backends() {
		t.Run(b.Name, func(t *testing.T) {
			st := sqltest.Open(t, b.DSN(t))
			svc := service.New(st)
			var org, group string
			err := st.Update(ctx, func(tx store.Tx) error {
				o, err := auth.CreateOrg(ctx, tx, "acme")
				if err != nil {
					return err
				}
				g, err := tx.CreateGroup(ctx, store.Group{OrgID: o.ID, DisplayName: "g", Active: true})
				org, group = o.ID, g.ID
				return err
			})
			if err != nil {
				t.Fatal(err)
			}
			for _, c := range []struct {
				name, userName string
				active         bool   // what the IdP created the user with
				whileRemoved   string // a PATCH operation the IdP sends to the removed user
				want           bool
			}{
				{"deactivated by the IdP", "off", false, "", false},
				{"active", "on", true, "", true},
				{"deactivated while removed", "late-off", true, `{"op":"replace","path":"active","value":false}`, false},
				{"renamed while removed", "renamed", false, `{"op":"replace","path":"displayName","value":"R"}`, false},
			} {
				t.Run(c.name, func(t *testing.T) {
					nu, err := service.UserFromDoc(org, map[string]any{"userName": c.userName, "active": c.active})
					if err != nil {
						t.Fatal(err)
					}
					w, err := svc.CreateUser(ctx, nu, userRender)
					if err != nil {
						t.Fatal(err)
					}
					if err := st.Update(ctx, func(tx store.Tx) error {
						_, err := tx.SetUserRemoved(ctx, org, w.ID, true, false)
						return err
					}); err != nil {
						t.Fatal(err)
					}
					if c.whileRemoved != "" {
						pw, err := svc.PatchUser(ctx, org, w.ID, "", patch(t, c.whileRemoved), userRender)
						if err != nil {
							t.Fatal(err)
						}
						if pw.Version != 3 {
							t.Errorf("PATCH of the removed user left version %d, want it recorded (3)", pw.Version)
						}
					}
					if _, err := svc.PatchGroup(ctx, org, group, "", []scim.PatchOperation{memberOp(t, "add", []scim.Member{{Value: w.ID}})}, groupRender); err != nil {
						t.Fatal(err)
					}
					u, err := svc.User(ctx, org, w.ID)
					if err != nil {
						t.Fatal(err)
					}
					if u.Removed || u.Active != c.want {
						t.Errorf("after the group add: removed=%v active=%v, want removed=false active=%v", u.Removed, u.Active, c.want)
					}
				})
			}
		})
	}
}
