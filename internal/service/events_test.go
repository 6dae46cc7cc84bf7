package service_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/rolecall/rolecall/internal/api"
	"github.com/rolecall/rolecall/internal/audit"
	"github.com/rolecall/rolecall/internal/events"
	"github.com/rolecall/rolecall/internal/scim"
	"github.com/rolecall/rolecall/internal/service"
	"github.com/rolecall/rolecall/internal/store"
	"github.com/rolecall/rolecall/internal/store/sqlstore/sqltest"
)

// Change events: every committing use case appends one event per thing it changed, in its
// transaction, after its audit entry; a write that fails leaves none. Each test runs on
// SQLite and, when ROLECALL_TEST_POSTGRES is set, on PostgreSQL.

// eventEnv is a service over a fresh store with one org.
type eventEnv struct {
	t   *testing.T
	ctx context.Context
	st  store.Store
	svc *service.Service
	org string
	// seen is the cursor up to which events were checked.
	seen int64
}

func forBackends(t *testing.T, fn func(t *testing.T, e *eventEnv)) {
	for _, backend := range []string{"sqlite", "postgres"} {
		t.Run(backend, func(t *testing.T) {
			dsn := ""
			if backend == "sqlite" {
				dsn = sqltest.SQLiteDSN(t)
			} else {
				dsn = sqltest.PostgresDSN(t)
			}
			st := sqltest.Open(t, dsn)
			ctx := audit.WithActor(context.Background(), audit.Actor{Name: "tester", RequestID: "req-1"})
			e := &eventEnv{t: t, ctx: ctx, st: st, svc: service.New(st)}
			o, err := e.svc.CreateOrg(ctx, "acme")
			if err != nil {
				t.Fatal(err)
			}
			e.org = o.ID
			e.seen = e.revision()
			fn(t, e)
		})
	}
}

func (e *eventEnv) revision() int64 {
	e.t.Helper()
	var rev int64
	if err := e.st.View(e.ctx, func(tx store.Tx) (err error) { rev, err = tx.Revision(e.ctx, e.org); return err }); err != nil {
		e.t.Fatal(err)
	}
	return rev
}

// next returns the events committed since the last call.
func (e *eventEnv) next() []store.Event {
	e.t.Helper()
	var page store.EventPage
	err := e.st.View(e.ctx, func(tx store.Tx) (err error) {
		page, err = tx.EventsAfter(e.ctx, e.org, store.EventQuery{After: e.seen, Limit: store.MaxEventPage})
		return err
	})
	if err != nil {
		e.t.Fatal(err)
	}
	e.seen = page.Next
	return page.Events
}

// expect checks the events since the last call: their types and subjects, in order, and
// that each carries the actor and request id and a payload of its catalogue type.
func (e *eventEnv) expect(what string, want ...string) []store.Event {
	e.t.Helper()
	evs := e.next()
	var got []string
	for _, ev := range evs {
		got = append(got, strings.TrimPrefix(ev.Type, "com.rolecall.")+" "+ev.Subject)
		if ev.Actor != "tester" || ev.RequestID != "req-1" {
			e.t.Errorf("%s: event %s has actor %q request %q, want the context's", what, ev.Type, ev.Actor, ev.RequestID)
		}
		if err := events.Validate(events.Encode("", ev)); err != nil {
			e.t.Errorf("%s: %v", what, err)
		}
	}
	if !slices.Equal(got, want) {
		e.t.Errorf("%s: events\n got %q\nwant %q", what, got, want)
	}
	return evs
}

func data[T any](t *testing.T, ev store.Event) T {
	t.Helper()
	var d T
	if err := json.Unmarshal(ev.Data, &d); err != nil {
		t.Fatalf("%s data %s: %v", ev.Type, ev.Data, err)
	}
	return d
}

// Renderers as simple as the service allows: the tests look at events, not answers.
var userRender = service.UserRender{
	Answer: func(u store.User, _ []store.Group) (any, error) { return u.ID, nil },
	Audit:  func(u store.User) (any, error) { return map[string]any{"id": u.ID, "userName": u.UserName}, nil },
	Doc: func(u store.User) (map[string]any, error) {
		d, err := service.DecodeDoc(u.Doc)
		if err != nil {
			return nil, err
		}
		d["userName"], d["active"] = u.UserName, u.Active
		return d, nil
	},
}

var groupRender = service.GroupRender{Render: func(g store.Group, doc map[string]any, _ []store.Member, _ map[string]string) map[string]any {
	doc["id"], doc["displayName"] = g.ID, g.DisplayName
	return doc
}}

func (e *eventEnv) createUser(name string) string {
	e.t.Helper()
	nu, err := service.UserFromDoc(e.org, map[string]any{"schemas": []any{"urn:ietf:params:scim:schemas:core:2.0:User"}, "userName": name, "active": true})
	if err != nil {
		e.t.Fatal(err)
	}
	w, err := e.svc.CreateUser(e.ctx, nu, userRender)
	if err != nil {
		e.t.Fatal(err)
	}
	return w.ID
}

func (e *eventEnv) patchUser(id string, ops ...scim.PatchOperation) {
	e.t.Helper()
	if _, err := e.svc.PatchUser(e.ctx, e.org, id, "", ops, userRender); err != nil {
		e.t.Fatal(err)
	}
}

func (e *eventEnv) patchGroup(id string, ops ...scim.PatchOperation) error {
	_, err := e.svc.PatchGroup(e.ctx, e.org, id, "", ops, groupRender)
	return err
}

// patchOp decodes one PatchOp operation (value nil: none).
func patchOp(op, path string, value any) scim.PatchOperation {
	o := map[string]any{"op": op, "path": path}
	if value != nil {
		o["value"] = value
	}
	body, _ := json.Marshal(map[string]any{"schemas": []string{scim.URNPatchOp}, "Operations": []any{o}})
	req, err := scim.DecodePatch(body)
	if err != nil {
		panic(err)
	}
	return req.Operations[0]
}

func replaceOp(path string, v any) scim.PatchOperation { return patchOp("replace", path, v) }

func membersOp(op string, ids ...string) scim.PatchOperation {
	vs := make([]map[string]string, len(ids))
	for i, id := range ids {
		vs[i] = map[string]string{"value": id}
	}
	return patchOp(op, "members", vs)
}

func TestEventsUsers(t *testing.T) {
	forBackends(t, func(t *testing.T, e *eventEnv) {
		alice := e.createUser("alice")
		ev := e.expect("create", "user.created users/"+alice)
		if d := data[events.UserData](t, ev[0]); d.User.UserName != "alice" || !d.User.Active || d.User.Removed {
			t.Errorf("user.created data %+v", d.User)
		}

		e.patchUser(alice, replaceOp("displayName", "Alice A."))
		ev = e.expect("update", "user.updated users/"+alice)
		if d := data[events.UserData](t, ev[0]); !slices.Equal(d.Changed, []string{"displayName"}) {
			t.Errorf("user.updated changed %q, want [displayName]", d.Changed)
		}

		e.patchUser(alice, replaceOp("active", false))
		ev = e.expect("deactivate", "user.deactivated users/"+alice)
		if d := data[events.UserData](t, ev[0]); d.User.Active {
			t.Errorf("user.deactivated says active")
		}
		e.patchUser(alice, replaceOp("active", false))
		e.expect("deactivate again (no change)")

		e.patchUser(alice, replaceOp("active", true), replaceOp("title", "CTO"))
		ev = e.expect("reactivate and update", "user.updated users/"+alice, "user.reactivated users/"+alice)
		if d := data[events.UserData](t, ev[1]); !d.User.Active {
			t.Errorf("user.reactivated says inactive")
		}

		// A delete reports what it takes with it: the memberships and the grants.
		g, err := e.svc.CreateGroup(e.ctx, e.org, map[string]any{"displayName": "eng"}, []scim.Member{{Value: alice}}, groupRender)
		if err != nil {
			t.Fatal(err)
		}
		grant, _, err := e.svc.CreateGrant(e.ctx, e.org, api.GrantRequest{Role: "owner", PrincipalType: "user", Principal: "alice", ResourceKind: "organization"})
		if err != nil {
			t.Fatal(err)
		}
		e.next()
		if err := e.svc.DeleteUser(e.ctx, e.org, alice, "", func(store.User) (any, error) { return nil, nil }); err != nil {
			t.Fatal(err)
		}
		ev = e.expect("delete", "membership.removed groups/"+g.ID+"/members/"+alice, "grant.revoked bindings/"+grant.ID, "user.deleted users/"+alice)
		if d := data[events.GrantData](t, ev[1]); d.Principal.Name != "alice" || d.Role != "owner" || d.Resource.Kind != "organization" {
			t.Errorf("cascaded grant.revoked %+v", d)
		}
		if d := data[events.UserData](t, ev[2]); d.User.Active {
			t.Errorf("user.deleted says active")
		}
	})
}

func TestEventsGroupsAndMemberships(t *testing.T) {
	forBackends(t, func(t *testing.T, e *eventEnv) {
		alice, bob := e.createUser("alice"), e.createUser("bob")
		e.next()
		w, err := e.svc.CreateGroup(e.ctx, e.org, map[string]any{"displayName": "eng"}, []scim.Member{{Value: bob}, {Value: alice}, {Value: "unknown"}}, groupRender)
		if err != nil {
			t.Fatal(err)
		}
		g := w.ID
		first, second := min(alice, bob), max(alice, bob)
		ev := e.expect("create with members", "group.created groups/"+g,
			"membership.added groups/"+g+"/members/"+first, "membership.added groups/"+g+"/members/"+second)
		if d := data[events.MembershipData](t, ev[1]); d.Group.DisplayName != "eng" || !d.Group.Active || d.Member.Type != "user" || d.Member.Name == "" {
			t.Errorf("membership.added data %+v", d)
		}

		// Adding a member already there is no change: no event.
		if err := e.patchGroup(g, membersOp("add", alice)); err != nil {
			t.Fatal(err)
		}
		e.expect("add an existing member")

		// A nested group, a rename and a removal in one PATCH.
		sub, err := e.svc.CreateGroup(e.ctx, e.org, map[string]any{"displayName": "sub"}, nil, groupRender)
		if err != nil {
			t.Fatal(err)
		}
		e.next()
		if err := e.patchGroup(g, replaceOp("displayName", "engineering"), membersOp("add", sub.ID), membersOp("remove", bob, "not-a-member")); err != nil {
			t.Fatal(err)
		}
		ev = e.expect("rename, add a group, remove a user", "group.renamed groups/"+g,
			"membership.removed groups/"+g+"/members/"+bob, "membership.added groups/"+g+"/members/"+sub.ID)
		if d := data[events.GroupData](t, ev[0]); d.PreviousName != "eng" || d.Group.DisplayName != "engineering" {
			t.Errorf("group.renamed data %+v", d)
		}
		if d := data[events.MembershipData](t, ev[2]); d.Member.Type != "group" || d.Member.Name != "sub" {
			t.Errorf("nested membership.added member %+v", d.Member)
		}

		// PUT replaces the member set: the removed and the added, each once.
		if _, err := e.svc.ReplaceGroup(e.ctx, e.org, g, "", map[string]any{"displayName": "engineering"}, []scim.Member{{Value: bob}}, groupRender); err != nil {
			t.Fatal(err)
		}
		removedFirst, removedSecond := min(alice, sub.ID), max(alice, sub.ID)
		e.expect("replace members", "membership.removed groups/"+g+"/members/"+removedFirst,
			"membership.removed groups/"+g+"/members/"+removedSecond, "membership.added groups/"+g+"/members/"+bob)

		// A user enforce-groups removed comes back when its IdP adds it to a group.
		if err := e.st.Update(e.ctx, func(tx store.Tx) error {
			_, err := tx.SetUserRemoved(e.ctx, e.org, alice, true, false)
			return err
		}); err != nil {
			t.Fatal(err)
		}
		if err := e.patchGroup(g, membersOp("add", alice)); err != nil {
			t.Fatal(err)
		}
		ev = e.expect("add a removed user", "membership.added groups/"+g+"/members/"+alice, "user.reactivated users/"+alice)
		if d := data[events.UserData](t, ev[1]); !d.User.Active || d.User.Removed {
			t.Errorf("user.reactivated data %+v", d.User)
		}
		// A user its IdP deactivated comes back inactive: not removed any more, yet holding
		// nothing, so no user.reactivated.
		e.patchUser(alice, replaceOp("active", false))
		e.expect("IdP deactivates", "user.deactivated users/"+alice)
		if err := e.patchGroup(g, membersOp("remove", alice)); err != nil {
			t.Fatal(err)
		}
		e.next()
		if err := e.st.Update(e.ctx, func(tx store.Tx) error {
			_, err := tx.SetUserRemoved(e.ctx, e.org, alice, true, false)
			return err
		}); err != nil {
			t.Fatal(err)
		}
		if err := e.patchGroup(g, membersOp("add", alice)); err != nil {
			t.Fatal(err)
		}
		ev = e.expect("add a removed, deactivated user", "membership.added groups/"+g+"/members/"+alice, "user.updated users/"+alice)
		if d := data[events.UserData](t, ev[1]); d.User.Active || d.User.Removed || !slices.Equal(d.Changed, []string{"removed"}) {
			t.Errorf("user.updated data %+v changed %v", d.User, d.Changed)
		}
		e.patchUser(alice, replaceOp("active", true))
		e.next()

		if err := e.patchGroup(g, patchOp("remove", "members", nil)); err != nil {
			t.Fatal(err)
		}
		e.expect("remove all", "membership.removed groups/"+g+"/members/"+min(alice, bob), "membership.removed groups/"+g+"/members/"+max(alice, bob))

		if err := e.svc.DeleteGroup(e.ctx, e.org, g, "", groupRender); err != nil {
			t.Fatal(err)
		}
		ev = e.expect("delete", "group.deleted groups/"+g)
		if d := data[events.GroupData](t, ev[0]); d.Group.Active {
			t.Errorf("group.deleted says active")
		}
	})
}

// TestEventsManyMembers: a PATCH adding many members emits one event per member, in one
// transaction (consecutive revisions).
func TestEventsManyMembers(t *testing.T) {
	forBackends(t, func(t *testing.T, e *eventEnv) {
		const n = 1500
		ids := make([]string, 0, n)
		err := e.st.Update(e.ctx, func(tx store.Tx) error {
			for i := range n {
				u, err := tx.CreateUser(e.ctx, store.User{OrgID: e.org, UserName: fmt.Sprintf("u%05d", i), Active: true})
				if err != nil {
					return err
				}
				ids = append(ids, u.ID)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		w, err := e.svc.CreateGroup(e.ctx, e.org, map[string]any{"displayName": "all"}, nil, groupRender)
		if err != nil {
			t.Fatal(err)
		}
		e.next()
		if err := e.patchGroup(w.ID, membersOp("add", ids...)); err != nil {
			t.Fatal(err)
		}
		evs := e.next()
		if len(evs) != n {
			t.Fatalf("%d events for %d members added", len(evs), n)
		}
		seen := map[string]bool{}
		for i, ev := range evs {
			if ev.Type != string(events.MembershipAdded) || ev.Seq != evs[0].Seq+int64(i) {
				t.Fatalf("event %d: %s seq %d", i, ev.Type, ev.Seq)
			}
			seen[data[events.MembershipData](t, ev).Member.ID] = true
		}
		if len(seen) != n {
			t.Errorf("%d distinct members in %d events", len(seen), n)
		}
	})
}

func TestEventsGrantsResourcesAccounts(t *testing.T) {
	forBackends(t, func(t *testing.T, e *eventEnv) {
		e.createUser("alice")
		cloud, err := e.svc.CreateCloud(e.ctx, e.org, "prod")
		if err != nil {
			t.Fatal(err)
		}
		proj, err := e.svc.CreateProject(e.ctx, e.org, "billing", "prod", "")
		if err != nil {
			t.Fatal(err)
		}
		ev := e.expect("create", "user.created users/"+e.userID("alice"), "resource.created clouds/"+cloud.ID, "resource.created projects/"+proj.ID)
		if d := data[events.ResourceData](t, ev[2]); d.Resource.Kind != "project" || d.Resource.ParentID != cloud.ID || d.Resource.Name != "billing" {
			t.Errorf("resource.created data %+v", d.Resource)
		}
		if _, err := e.svc.RenameResource(e.ctx, e.org, store.KindProject, "billing", "payments"); err != nil {
			t.Fatal(err)
		}
		ev = e.expect("rename", "resource.renamed projects/"+proj.ID)
		if d := data[events.ResourceData](t, ev[0]); d.PreviousName != "billing" || d.Resource.Name != "payments" {
			t.Errorf("resource.renamed data %+v", d)
		}
		// A project's update: a rename and a visibility change, each its event.
		if _, err := e.svc.UpdateProject(e.ctx, e.org, "payments", "payroll", "public"); err != nil {
			t.Fatal(err)
		}
		ev = e.expect("update project", "resource.renamed projects/"+proj.ID, "resource.visibility_changed projects/"+proj.ID)
		if d := data[events.ResourceData](t, ev[1]); !d.Resource.Public || d.Resource.Name != "payroll" {
			t.Errorf("resource.visibility_changed data %+v", d)
		}
		if _, err := e.svc.UpdateProject(e.ctx, e.org, "payroll", "payments", "private"); err != nil {
			t.Fatal(err)
		}
		ev = e.expect("update project back", "resource.renamed projects/"+proj.ID, "resource.visibility_changed projects/"+proj.ID)
		if d := data[events.ResourceData](t, ev[1]); d.Resource.Public {
			t.Errorf("made private: data %+v", d)
		}

		g, _, err := e.svc.CreateGrant(e.ctx, e.org, api.GrantRequest{Role: "collaborator", PrincipalType: "user", Principal: "alice", ResourceKind: "project", Resource: "payments"})
		if err != nil {
			t.Fatal(err)
		}
		ev = e.expect("grant", "grant.created bindings/"+g.ID)
		want := events.GrantData{BindingID: g.ID, Role: "collaborator",
			Resource:  events.ResourceRef{Kind: "project", ID: proj.ID, Name: "payments", ParentID: cloud.ID},
			Principal: events.PrincipalRef{Type: "user", ID: e.userID("alice"), Name: "alice"}}
		d := data[events.GrantData](t, ev[0])
		if d.Access == nil || len(d.Access.Changes) != 1 || d.Access.Changes[0].Before != "none" || d.Access.Changes[0].After != "collaborator" {
			t.Errorf("grant.created access %+v, want payments none→collaborator", d.Access)
		}
		if d.Access = nil; fmt.Sprint(d) != fmt.Sprint(want) {
			t.Errorf("grant.created data\n got %+v\nwant %+v", d, want)
		}
		// Granting again is no change.
		if _, _, err := e.svc.CreateGrant(e.ctx, e.org, api.GrantRequest{Role: "collaborator", PrincipalType: "user", Principal: "alice", ResourceKind: "project", Resource: "payments"}); err != nil {
			t.Fatal(err)
		}
		e.expect("grant again")
		if _, err := e.svc.RevokeGrant(e.ctx, e.org, api.GrantRequest{Role: "collaborator", PrincipalType: "user", Principal: "alice", ResourceKind: "project", Resource: "payments"}); err != nil {
			t.Fatal(err)
		}
		e.expect("revoke", "grant.revoked bindings/"+g.ID)

		// Deleting a resource or an account reports the grants it takes with it first.
		sa, err := e.svc.CreateServiceAccount(e.ctx, e.org, "deploy-bot")
		if err != nil {
			t.Fatal(err)
		}
		g1, _, err := e.svc.CreateGrant(e.ctx, e.org, api.GrantRequest{Role: "owner", PrincipalType: "service_account", Principal: "deploy-bot", ResourceKind: "project", Resource: "payments"})
		if err != nil {
			t.Fatal(err)
		}
		ev = e.expect("account", "service_account.created serviceAccounts/"+sa.ID, "grant.created bindings/"+g1.ID)
		if d := data[events.GrantData](t, ev[1]); d.Principal.Type != "serviceAccount" || d.Principal.Name != "deploy-bot" {
			t.Errorf("grant to a service account: principal %+v", d.Principal)
		}
		g2, _, err := e.svc.CreateGrant(e.ctx, e.org, api.GrantRequest{Role: "readonly", PrincipalType: "service_account", Principal: "deploy-bot", ResourceKind: "cloud", Resource: "prod"})
		if err != nil {
			t.Fatal(err)
		}
		e.next()
		if _, err := e.svc.DeleteResource(e.ctx, e.org, store.KindProject, "payments"); err != nil {
			t.Fatal(err)
		}
		e.expect("delete project", "grant.revoked bindings/"+g1.ID, "resource.deleted projects/"+proj.ID)
		if _, err := e.svc.DeleteServiceAccount(e.ctx, e.org, "deploy-bot"); err != nil {
			t.Fatal(err)
		}
		ev = e.expect("delete account", "grant.revoked bindings/"+g2.ID, "service_account.deleted serviceAccounts/"+sa.ID)
		if d := data[events.ServiceAccountData](t, ev[1]); d.BindingsDeleted != 1 || d.ServiceAccount.Name != "deploy-bot" {
			t.Errorf("service_account.deleted data %+v", d)
		}
	})
}

func TestEventsSettingsAndTokens(t *testing.T) {
	forBackends(t, func(t *testing.T, e *eventEnv) {
		on := true
		if _, err := e.svc.UpdateSettings(e.ctx, e.org, api.UpdateOrgSettingsRequest{GroupsOnly: &on}); err != nil {
			t.Fatal(err)
		}
		ev := e.expect("groups-only on", "settings.changed settings")
		if d := data[events.SettingsData](t, ev[0]); d.Before.GroupsOnly || !d.After.GroupsOnly {
			t.Errorf("settings.changed data %+v", d)
		}
		if _, err := e.svc.UpdateSettings(e.ctx, e.org, api.UpdateOrgSettingsRequest{GroupsOnly: &on}); err != nil {
			t.Fatal(err)
		}
		e.expect("groups-only on again")

		tok, err := e.svc.CreateToken(e.ctx, e.org, api.CreateTokenRequest{Name: "okta", Scope: "scim"}, "")
		if err != nil {
			t.Fatal(err)
		}
		ev = e.expect("token", "token.created tokens/"+tok.ID)
		if strings.Contains(string(ev[0].Data), tok.Secret) {
			t.Errorf("token.created carries the secret: %s", ev[0].Data)
		}
		if d := data[events.TokenData](t, ev[0]); d.Token.Name != "okta" || d.Token.Scope != "scim" {
			t.Errorf("token.created data %+v", d)
		}
		for range 2 {
			if _, err := e.svc.RevokeToken(e.ctx, e.org, "okta"); err != nil {
				t.Fatal(err)
			}
		}
		e.expect("revoke twice", "token.revoked tokens/"+tok.ID)

		// An org made with its first token starts its feed with that token.
		o, tok2, err := e.svc.CreateOrgWithToken(e.ctx, "beta", api.CreateTokenRequest{Name: "first", Scope: "admin"})
		if err != nil {
			t.Fatal(err)
		}
		e.org, e.seen = o.ID, 0
		e.expect("org with token", "token.created tokens/"+tok2.ID)
	})
}

// TestEventsRolledBack: a write that fails after it collected events (a PATCH whose member
// add succeeded but whose rename is refused) leaves no event and the revision unchanged.
func TestEventsRolledBack(t *testing.T) {
	forBackends(t, func(t *testing.T, e *eventEnv) {
		alice := e.createUser("alice")
		if _, err := e.svc.CreateGroup(e.ctx, e.org, map[string]any{"displayName": "taken"}, nil, groupRender); err != nil {
			t.Fatal(err)
		}
		w, err := e.svc.CreateGroup(e.ctx, e.org, map[string]any{"displayName": "eng"}, nil, groupRender)
		if err != nil {
			t.Fatal(err)
		}
		e.next()
		before := e.revision()
		err = e.patchGroup(w.ID, membersOp("add", alice), replaceOp("displayName", "taken"))
		var se *scim.Error
		if !errors.As(err, &se) || se.Status != 409 {
			t.Fatalf("PATCH to a taken name: %v, want 409", err)
		}
		if after := e.revision(); after != before {
			t.Errorf("revision %d after a failed write, want %d", after, before)
		}
		e.expect("failed write")
		// The next write numbers its events right after the last committed one.
		e.patchUser(alice, replaceOp("active", false))
		if ev := e.expect("next write", "user.deactivated users/"+alice); ev[0].Seq != before+1 {
			t.Errorf("next event seq %d, want %d", ev[0].Seq, before+1)
		}
	})
}

// TestRevisionSink: a write reports the org's revision after it to the context's sink; a
// write that changed nothing reports the current one.
func TestRevisionSink(t *testing.T) {
	forBackends(t, func(t *testing.T, e *eventEnv) {
		ctx, sink := service.WithRevisionSink(e.ctx)
		if _, err := e.svc.CreateCloud(ctx, e.org, "prod"); err != nil {
			t.Fatal(err)
		}
		org, rev, ok := sink.Get()
		if !ok || org != e.org || rev != e.revision() || rev == 0 {
			t.Errorf("sink after a write: %q %d %v, want %q %d", org, rev, ok, e.org, e.revision())
		}
		ctx, sink = service.WithRevisionSink(e.ctx)
		off := false
		if _, err := e.svc.UpdateSettings(ctx, e.org, api.UpdateOrgSettingsRequest{GroupsOnly: &off}); err != nil {
			t.Fatal(err)
		}
		if _, got, ok := sink.Get(); !ok || got != rev {
			t.Errorf("sink after a write that changed nothing: %d %v, want %d", got, ok, rev)
		}
		ctx, sink = service.WithRevisionSink(e.ctx)
		if _, err := e.svc.CreateCloud(ctx, e.org, "prod"); err == nil {
			t.Fatal("creating a taken cloud name succeeded")
		}
		if _, _, ok := sink.Get(); ok {
			t.Errorf("a failed write reported a revision")
		}
	})
}

func (e *eventEnv) userID(name string) string {
	e.t.Helper()
	u, err := e.svc.User(e.ctx, e.org, name)
	if err != nil {
		e.t.Fatal(err)
	}
	return u.ID
}

// TestEventsGrantAccess: a direct user grant or revocation carries the user's effective-role
// changes (what it adds beyond its groups, implicit public-project access included); a
// group's grant carries none (not computed).
func TestEventsGrantAccess(t *testing.T) {
	forBackends(t, func(t *testing.T, e *eventEnv) {
		alice := e.createUser("alice")
		if _, err := e.svc.CreateCloud(e.ctx, e.org, "prod"); err != nil {
			t.Fatal(err)
		}
		for _, p := range [][2]string{{"billing", ""}, {"docs", "public"}} {
			if _, err := e.svc.CreateProject(e.ctx, e.org, p[0], "prod", p[1]); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := e.svc.CreateGroup(e.ctx, e.org, map[string]any{"displayName": "eng"}, []scim.Member{{Value: alice}}, groupRender); err != nil {
			t.Fatal(err)
		}
		grant := func(req api.GrantRequest) events.GrantData {
			t.Helper()
			e.next()
			if _, _, err := e.svc.CreateGrant(e.ctx, e.org, req); err != nil {
				t.Fatal(err)
			}
			evs := e.next()
			return data[events.GrantData](t, evs[len(evs)-1])
		}
		changes := func(d events.GrantData) []string {
			if d.Access == nil {
				return nil
			}
			out := []string{}
			for _, c := range d.Access.Changes {
				if c.UserID != alice || c.UserName != "alice" {
					t.Errorf("change for %s %s", c.UserID, c.UserName)
				}
				out = append(out, c.ResourceKind+" "+c.ResourceName+" "+c.Before+"→"+c.After)
			}
			return out
		}
		// A group's grant: what it gives each user below the group.
		d := grant(api.GrantRequest{Role: "collaborator", PrincipalType: "group", Principal: "eng", ResourceKind: "project", Resource: "billing"})
		if got := changes(d); !slices.Equal(got, []string{"project billing none→collaborator"}) {
			t.Errorf("group grant: %q, want billing none→collaborator for alice", got)
		}
		// Covered by the group's grant: no change.
		d = grant(api.GrantRequest{Role: "readonly", PrincipalType: "user", Principal: "alice", ResourceKind: "project", Resource: "billing"})
		if got := changes(d); got == nil || len(got) != 0 {
			t.Errorf("a grant the group's covers: %q, want no changes", got)
		}
		// A cloud role: the cloud, and the public project it reaches (not the private one).
		d = grant(api.GrantRequest{Role: "owner", PrincipalType: "user", Principal: "alice", ResourceKind: "cloud", Resource: "prod"})
		want := []string{"cloud prod none→owner", "project docs none→collaborator"}
		if got := changes(d); !slices.Equal(got, want) {
			t.Errorf("cloud grant: %q, want %q", got, want)
		}
		if _, err := e.svc.RevokeGrant(e.ctx, e.org, api.GrantRequest{Role: "owner", PrincipalType: "user", Principal: "alice", ResourceKind: "cloud", Resource: "prod"}); err != nil {
			t.Fatal(err)
		}
		evs := e.next()
		want = []string{"cloud prod owner→none", "project docs collaborator→none"}
		if got := changes(data[events.GrantData](t, evs[0])); !slices.Equal(got, want) {
			t.Errorf("cloud revoke: %q, want %q", got, want)
		}
	})
}

// TestEventsUserAccess: deactivating, reactivating and deleting a user carry the roles it
// loses or regains (through its groups too).
func TestEventsUserAccess(t *testing.T) {
	forBackends(t, func(t *testing.T, e *eventEnv) {
		alice := e.createUser("alice")
		if _, err := e.svc.CreateCloud(e.ctx, e.org, "prod"); err != nil {
			t.Fatal(err)
		}
		if _, err := e.svc.CreateGroup(e.ctx, e.org, map[string]any{"displayName": "eng"}, []scim.Member{{Value: alice}}, groupRender); err != nil {
			t.Fatal(err)
		}
		if _, _, err := e.svc.CreateGrant(e.ctx, e.org, api.GrantRequest{Role: "readonly", PrincipalType: "group", Principal: "eng", ResourceKind: "cloud", Resource: "prod"}); err != nil {
			t.Fatal(err)
		}
		e.next()
		changes := func(ev store.Event) []string {
			d := data[events.UserData](t, ev)
			if d.Access == nil {
				return nil
			}
			out := []string{}
			for _, c := range d.Access.Changes {
				out = append(out, c.ResourceKind+" "+c.ResourceName+" "+c.Before+"→"+c.After)
			}
			return out
		}
		e.patchUser(alice, replaceOp("active", false))
		ev := e.expect("deactivate", "user.deactivated users/"+alice)
		if got := changes(ev[0]); !slices.Equal(got, []string{"cloud prod readonly→none"}) {
			t.Errorf("deactivated: %q", got)
		}
		e.patchUser(alice, replaceOp("active", true))
		ev = e.expect("reactivate", "user.reactivated users/"+alice)
		if got := changes(ev[0]); !slices.Equal(got, []string{"cloud prod none→readonly"}) {
			t.Errorf("reactivated: %q", got)
		}
		if err := e.svc.DeleteUser(e.ctx, e.org, alice, "", func(store.User) (any, error) { return nil, nil }); err != nil {
			t.Fatal(err)
		}
		evs := e.next()
		if got := changes(evs[len(evs)-1]); !slices.Equal(got, []string{"cloud prod readonly→none"}) {
			t.Errorf("deleted: %q", got)
		}
	})
}
