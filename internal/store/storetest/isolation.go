package storetest

import (
	"encoding/json"
	"testing"

	"github.com/rolecall/rolecall/internal/store"
)

func init() {
	register(test{"TenantIsolation", testTenantIsolation})
}

// testTenantIsolation gives org A one of everything and then calls every org-scoped method
// with org B's id on A's objects: reads find nothing, writes fail with ErrNotFound or change
// nothing, and A's objects are intact afterwards.
func testTenantIsolation(t *testing.T, s store.Store) {
	a := newOrg(t, s, "a")
	b := newOrg(t, s, "b")
	ua := newUser(t, s, a.ID, "ua")
	ga := newGroup(t, s, a.ID, "ga")
	addMembers(t, s, a.ID, ga.ID, ua.ID)
	ca := newResource(t, s, a.ID, store.KindCloud, "ca", "")
	pa := newResource(t, s, a.ID, store.KindProject, "pa", ca.ID)
	ba := grant(t, s, a.ID, pa.ID, store.PrincipalUser, ua.ID, "owner")
	ub := newUser(t, s, b.ID, "ub")
	gb := newGroup(t, s, b.ID, "gb")
	cb := newResource(t, s, b.ID, store.KindCloud, "cb", "")
	var saA store.ServiceAccount
	var tA store.Token
	var rA store.Run
	update(t, s, func(tx store.Tx) error {
		var err error
		if saA, err = tx.CreateServiceAccount(bg, store.ServiceAccount{OrgID: a.ID, Name: "sa"}); err != nil {
			return err
		}
		if tA, err = tx.CreateToken(bg, store.Token{OrgID: a.ID, Name: "tok", Scope: store.ScopeSCIM, Hash: hashOf("a-secret")}); err != nil {
			return err
		}
		if _, err = tx.AppendAudit(bg, store.AuditEvent{OrgID: a.ID, Actor: "x", Action: "a.thing"}); err != nil {
			return err
		}
		rA, err = tx.CreateRun(bg, store.Run{OrgID: a.ID, Actor: "x", Fingerprint: "f"}, []store.Binding{ba},
			[]store.RunUser{{UserID: ua.ID, UserName: "ua"}})
		if err != nil {
			return err
		}
		return tx.PutSettings(bg, store.OrgSettings{OrgID: a.ID, GroupsOnly: true})
	})

	B := b.ID
	view(t, s, func(tx store.Tx) error {
		notFound := func(what string, err error) { t.Helper(); wantErr(t, "org B: "+what, err, store.ErrNotFound) }
		empty := func(what string, n int, err error) {
			t.Helper()
			if err != nil || n != 0 {
				t.Errorf("org B: %s = %d items, %v; want none", what, n, err)
			}
		}
		_, err := tx.User(bg, B, ua.ID)
		notFound("User", err)
		_, err = tx.UserByUserName(bg, B, "ua")
		notFound("UserByUserName", err)
		id := eq(store.FieldID, ua.ID)
		us, total, err := tx.ListUsers(bg, B, store.Query{Filter: &id, Page: store.Page{Limit: 10}})
		empty("ListUsers(id eq)", len(us)+total, err)
		names, err := tx.UserNames(bg, B, []string{ua.ID})
		empty("UserNames", len(names), err)
		byID, err := tx.UserFlags(bg, B, []string{ua.ID})
		empty("UserFlags", len(byID), err)
		n := 0
		err = tx.ScanUsers(bg, B, func(u store.User) error {
			if u.ID != ub.ID {
				n++
			}
			return nil
		})
		empty("ScanUsers (A's users)", n, err)

		_, err = tx.Group(bg, B, ga.ID)
		notFound("Group", err)
		_, err = tx.GroupByName(bg, B, "ga")
		notFound("GroupByName", err)
		mem := eq(store.FieldMember, ua.ID)
		gs, total, err := tx.ListGroups(bg, B, store.Query{Filter: &mem, Page: store.Page{Limit: 10}})
		empty("ListGroups(members eq)", len(gs)+total, err)
		n = 0
		err = tx.ScanGroups(bg, B, func(g store.Group) error {
			if g.ID != gb.ID {
				n++
			}
			return nil
		})
		empty("ScanGroups (A's groups)", n, err)
		_, _, err = tx.Members(bg, B, ga.ID, store.Page{Limit: 10})
		notFound("Members", err)
		of, err := tx.MembersOf(bg, B, []string{ga.ID})
		empty("MembersOf", len(of), err)
		ok, err := tx.IsMember(bg, B, ga.ID, ua.ID)
		if ok || err != nil {
			t.Errorf("org B: IsMember = %v, %v", ok, err)
		}
		gs, err = tx.GroupsOfMember(bg, B, ua.ID)
		empty("GroupsOfMember", len(gs), err)
		n = 0
		err = tx.AllMemberships(bg, B, func(store.Membership) error { n++; return nil })
		empty("AllMemberships", n, err)

		_, err = tx.Resource(bg, B, ca.ID)
		notFound("Resource", err)
		_, err = tx.ResourceByName(bg, B, store.KindCloud, "ca")
		notFound("ResourceByName", err)
		rs, err := tx.ListResources(bg, B, store.KindProject, ca.ID)
		empty("ListResources(projects of A's cloud)", len(rs), err)
		rs, err = tx.ListResources(bg, B, "", "")
		must(t, "ListResources", err)
		for _, r := range rs {
			if r.OrgID != B {
				t.Errorf("org B: ListResources shows %+v", r)
			}
		}
		or, err := tx.OrgResource(bg, B)
		must(t, "OrgResource", err)
		if or.OrgID != B || or.Name != "b" {
			t.Errorf("org B: OrgResource = %+v", or)
		}

		_, err = tx.Binding(bg, B, ba.ID)
		notFound("Binding", err)
		_, err = tx.FindBinding(bg, B, pa.ID, store.PrincipalUser, ua.ID, "owner")
		notFound("FindBinding", err)
		bs, err := tx.ListBindings(bg, B, store.BindingFilter{ResourceID: pa.ID})
		empty("ListBindings", len(bs), err)
		bs, err = tx.BindingsOf(bg, B, store.PrincipalUser, []string{ua.ID})
		empty("BindingsOf", len(bs), err)
		n = 0
		err = tx.AllBindings(bg, B, func(store.Binding) error { n++; return nil })
		empty("AllBindings", n, err)

		_, err = tx.ServiceAccount(bg, B, saA.ID)
		notFound("ServiceAccount", err)
		_, err = tx.ServiceAccountByName(bg, B, "sa")
		notFound("ServiceAccountByName", err)
		sas, err := tx.ListServiceAccounts(bg, B)
		empty("ListServiceAccounts", len(sas), err)

		_, err = tx.Token(bg, B, tA.ID)
		notFound("Token", err)
		_, err = tx.TokenByName(bg, B, "tok")
		notFound("TokenByName", err)
		tks, err := tx.ListTokens(bg, B)
		empty("ListTokens", len(tks), err)
		byHash, err := tx.TokenByHash(bg, hashOf("a-secret"))
		must(t, "TokenByHash", err)
		if byHash.OrgID != a.ID {
			t.Errorf("TokenByHash names org %q, want A", byHash.OrgID)
		}

		evs, total, err := tx.ListAudit(bg, B, store.AuditQuery{Page: store.Page{Limit: 10}})
		empty("ListAudit", len(evs)+total, err)

		_, err = tx.Run(bg, B, rA.ID)
		notFound("Run", err)
		runs, total, err := tx.ListRuns(bg, B, store.Page{Limit: 10})
		empty("ListRuns", len(runs)+total, err)
		err = tx.RunBindings(bg, B, rA.ID, func(store.Binding) error { t.Errorf("org B: RunBindings yielded a binding"); return nil })
		notFound("RunBindings", err)
		_, err = tx.RunUsers(bg, B, rA.ID)
		notFound("RunUsers", err)

		st, err := tx.Settings(bg, B)
		must(t, "Settings", err)
		if st.GroupsOnly {
			t.Errorf("org B sees org A's settings")
		}
		return nil
	})

	writes := []struct {
		name string
		fn   func(tx store.Tx) error
	}{
		{"UpdateUser", func(tx store.Tx) error {
			_, err := tx.UpdateUser(bg, store.User{OrgID: B, ID: ua.ID, UserName: "hijack"}, 0)
			return err
		}},
		{"DeleteUser", func(tx store.Tx) error { return tx.DeleteUser(bg, B, ua.ID, 0) }},
		{"SetUserRemoved", func(tx store.Tx) error { _, err := tx.SetUserRemoved(bg, B, ua.ID, true, false); return err }},
		{"UpdateGroup", func(tx store.Tx) error {
			_, err := tx.UpdateGroup(bg, store.Group{OrgID: B, ID: ga.ID, DisplayName: "hijack"}, 0)
			return err
		}},
		{"TouchGroup", func(tx store.Tx) error { _, err := tx.TouchGroup(bg, B, ga.ID); return err }},
		{"DeleteGroup", func(tx store.Tx) error { return tx.DeleteGroup(bg, B, ga.ID, 0) }},
		{"AddMembers to A's group", func(tx store.Tx) error { _, err := tx.AddMembers(bg, B, ga.ID, []string{ub.ID}); return err }},
		{"AddMembers of A's user", func(tx store.Tx) error { _, err := tx.AddMembers(bg, B, gb.ID, []string{ua.ID}); return err }},
		{"AddMembers of A's group", func(tx store.Tx) error { _, err := tx.AddMembers(bg, B, gb.ID, []string{ga.ID}); return err }},
		{"RemoveMembers", func(tx store.Tx) error { _, err := tx.RemoveMembers(bg, B, ga.ID, []string{ua.ID}); return err }},
		{"RemoveAllMembers", func(tx store.Tx) error { _, err := tx.RemoveAllMembers(bg, B, ga.ID); return err }},
		{"ReplaceMembers", func(tx store.Tx) error { _, _, err := tx.ReplaceMembers(bg, B, ga.ID, nil); return err }},
		{"ReplaceMembers with A's user", func(tx store.Tx) error {
			_, _, err := tx.ReplaceMembers(bg, B, gb.ID, []string{ua.ID})
			return err
		}},
		{"CreateResource in A's cloud", func(tx store.Tx) error {
			_, err := tx.CreateResource(bg, store.Resource{OrgID: B, Kind: store.KindProject, Name: "p", ParentID: ca.ID})
			return err
		}},
		{"RenameResource", func(tx store.Tx) error { _, err := tx.RenameResource(bg, B, ca.ID, "hijack"); return err }},
		{"SetResourcePublic", func(tx store.Tx) error { _, err := tx.SetResourcePublic(bg, B, pa.ID, true); return err }},
		{"DeleteResource", func(tx store.Tx) error { _, err := tx.DeleteResource(bg, B, pa.ID); return err }},
		{"CreateBinding on A's resource", func(tx store.Tx) error {
			_, _, err := tx.CreateBinding(bg, store.Binding{OrgID: B, ResourceID: pa.ID, PrincipalType: store.PrincipalUser, PrincipalID: ub.ID, Role: "owner"})
			return err
		}},
		{"CreateBinding for A's user", func(tx store.Tx) error {
			_, _, err := tx.CreateBinding(bg, store.Binding{OrgID: B, ResourceID: cb.ID, PrincipalType: store.PrincipalUser, PrincipalID: ua.ID, Role: "owner"})
			return err
		}},
		{"DeleteBinding", func(tx store.Tx) error { _, err := tx.DeleteBinding(bg, B, ba.ID); return err }},
		{"InsertBindings with A's resource", func(tx store.Tx) error {
			return tx.InsertBindings(bg, B, []store.Binding{{ID: "x1", ResourceID: pa.ID, PrincipalType: store.PrincipalUser, PrincipalID: ub.ID, Role: "owner"}})
		}},
		{"DeleteServiceAccount", func(tx store.Tx) error { _, err := tx.DeleteServiceAccount(bg, B, saA.ID); return err }},
		{"RevokeToken", func(tx store.Tx) error { _, err := tx.RevokeToken(bg, B, tA.ID, store.Now()); return err }},
		{"MarkRunUndone", func(tx store.Tx) error {
			_, err := tx.MarkRunUndone(bg, B, rA.ID, store.Now(), "x", json.RawMessage(`{}`))
			return err
		}},
	}
	for _, w := range writes {
		wantErr(t, "org B: "+w.name, s.Update(bg, w.fn), store.ErrNotFound)
	}
	update(t, s, func(tx store.Tx) error {
		n, err := tx.DeleteBindings(bg, B, []string{ba.ID})
		if err != nil || n != 0 {
			t.Errorf("org B: DeleteBindings(A's binding) = %d, %v; want 0", n, err)
		}
		return nil
	})

	// A is intact.
	view(t, s, func(tx store.Tx) error {
		u, err := tx.User(bg, a.ID, ua.ID)
		must(t, "A's user", err)
		if u.Version != 1 || u.UserName != "ua" || u.Removed {
			t.Errorf("A's user changed: %+v", u)
		}
		g, err := tx.Group(bg, a.ID, ga.ID)
		must(t, "A's group", err)
		if g.Version != 1 || g.DisplayName != "ga" {
			t.Errorf("A's group changed: %+v", g)
		}
		ms, _, err := tx.Members(bg, a.ID, ga.ID, store.Page{Limit: 10})
		must(t, "A's members", err)
		if len(ms) != 1 || ms[0].ID != ua.ID {
			t.Errorf("A's group members changed: %+v", ms)
		}
		r, err := tx.Resource(bg, a.ID, ca.ID)
		must(t, "A's cloud", err)
		if r.Name != "ca" {
			t.Errorf("A's cloud renamed: %+v", r)
		}
		ps, err := tx.ListResources(bg, a.ID, store.KindProject, ca.ID)
		must(t, "A's projects", err)
		if len(ps) != 1 {
			t.Errorf("A's cloud has %d projects, want 1", len(ps))
		}
		_, err = tx.Binding(bg, a.ID, ba.ID)
		must(t, "A's binding", err)
		_, err = tx.ServiceAccount(bg, a.ID, saA.ID)
		must(t, "A's service account", err)
		tk, err := tx.Token(bg, a.ID, tA.ID)
		must(t, "A's token", err)
		if tk.RevokedAt != nil {
			t.Errorf("A's token revoked through org B")
		}
		run, err := tx.Run(bg, a.ID, rA.ID)
		must(t, "A's run", err)
		if run.UndoneAt != nil {
			t.Errorf("A's run undone through org B")
		}
		return nil
	})
}
