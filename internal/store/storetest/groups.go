package storetest

import (
	"context"
	"encoding/json"
	"slices"
	"testing"
	"time"

	"github.com/rolecall/rolecall/internal/store"
)

func init() {
	register(
		test{"GroupCRUD", testGroupCRUD},
		test{"Membership", testMembership},
		test{"NestedGroupsAndCycles", testNestedGroups},
		test{"DeletedGroupStopsCounting", testDeletedGroup},
		test{"KnownMembers", testKnownMembers},
		test{"KnownThenDeletedInOneTx", testKnownThenDeleted},
	)
}

// testKnownMembers: KnownMembers keeps live users and groups of the org, in order, without
// duplicates, and drops unknown ids, deleted users and groups, and other orgs' objects.
func testKnownMembers(t *testing.T, s store.Store) {
	ctx := context.Background()
	a, b := newOrg(t, s, "known-a"), newOrg(t, s, "known-b")
	u1 := newUser(t, s, a.ID, "u1@example.com")
	u2 := newUser(t, s, a.ID, "u2@example.com")
	g := newGroup(t, s, a.ID, "g")
	gone := newGroup(t, s, a.ID, "gone")
	other := newUser(t, s, b.ID, "other@example.com")
	update(t, s, func(tx store.Tx) error {
		if err := tx.DeleteUser(ctx, a.ID, u2.ID, 0); err != nil {
			return err
		}
		return tx.DeleteGroup(ctx, a.ID, gone.ID, 0)
	})
	view(t, s, func(tx store.Tx) error {
		got, err := tx.KnownMembers(ctx, a.ID, []string{g.ID, "nope", u1.ID, u2.ID, gone.ID, other.ID, u1.ID})
		if err != nil {
			return err
		}
		if want := []string{g.ID, u1.ID}; !slices.Equal(got, want) {
			t.Errorf("KnownMembers = %v, want %v", got, want)
		}
		got, err = tx.KnownMembers(ctx, a.ID, nil)
		if err != nil || len(got) != 0 {
			t.Errorf("KnownMembers(nil) = %v, %v; want nothing", got, err)
		}
		return nil
	})
}

// testKnownThenDeleted: a member found live earlier in a transaction and deleted later in
// the same transaction cannot be added (a backend may remember lookups within a transaction).
func testKnownThenDeleted(t *testing.T, s store.Store) {
	ctx := context.Background()
	a := newOrg(t, s, "known-del")
	u := newUser(t, s, a.ID, "u@example.com")
	sub := newGroup(t, s, a.ID, "sub")
	g := newGroup(t, s, a.ID, "g")
	for _, tc := range []struct {
		id  string
		del func(tx store.Tx) error
	}{
		{u.ID, func(tx store.Tx) error { return tx.DeleteUser(ctx, a.ID, u.ID, 0) }},
		{sub.ID, func(tx store.Tx) error { return tx.DeleteGroup(ctx, a.ID, sub.ID, 0) }},
	} {
		err := s.Update(ctx, func(tx store.Tx) error {
			known, err := tx.KnownMembers(ctx, a.ID, []string{tc.id})
			if err != nil || len(known) != 1 {
				t.Fatalf("KnownMembers = %v, %v; want the live member", known, err)
			}
			if err := tc.del(tx); err != nil {
				return err
			}
			_, err = tx.AddMembers(ctx, a.ID, g.ID, []string{tc.id})
			return err
		})
		wantErr(t, "AddMembers of a member deleted earlier in the transaction", err, store.ErrNotFound)
	}
}

func testGroupCRUD(t *testing.T, s store.Store) {
	a := newOrg(t, s, "a")
	b := newOrg(t, s, "b")
	created := time.Date(2023, 1, 2, 3, 4, 5, 999999999, time.UTC)
	g := newGroup(t, s, a.ID, "Engineering", func(g *store.Group) { g.ExternalID = "x1"; g.Created = created })
	if g.ID == "" || g.Seq <= 0 || g.Version != 1 || !g.Active || g.Deleted {
		t.Fatalf("CreateGroup = %+v", g)
	}
	sameTime(t, "Created", g.Created, created.Truncate(time.Microsecond))
	err := s.Update(bg, func(tx store.Tx) error {
		_, err := tx.CreateGroup(bg, store.Group{OrgID: a.ID, DisplayName: "ENGINEERING"})
		return err
	})
	wantErr(t, "CreateGroup(dup name)", err, store.ErrConflict)
	err = s.Update(bg, func(tx store.Tx) error {
		_, err := tx.CreateGroup(bg, store.Group{OrgID: a.ID})
		return err
	})
	wantErr(t, "CreateGroup(no name)", err, store.ErrInvalid)
	newGroup(t, s, b.ID, "engineering") // another org: fine
	g2 := newGroup(t, s, a.ID, "Sales")

	view(t, s, func(tx store.Tx) error {
		got, err := tx.Group(bg, a.ID, g.ID)
		must(t, "Group", err)
		if got.DisplayName != "Engineering" || got.ExternalID != "x1" || got.Seq != g.Seq || !jsonEqual(got.Doc, g.Doc) ||
			got.Version != 1 || !got.Active {
			t.Errorf("Group = %+v", got)
		}
		sameTime(t, "Group.Created", got.Created, g.Created)
		got, err = tx.GroupByName(bg, a.ID, "engINEERING")
		must(t, "GroupByName", err)
		if got.ID != g.ID {
			t.Errorf("GroupByName = %+v", got)
		}
		_, err = tx.Group(bg, a.ID, "nope")
		wantErr(t, "Group(nope)", err, store.ErrNotFound)
		list, total, err := tx.ListGroups(bg, a.ID, store.Query{Page: store.Page{Limit: 10}})
		must(t, "ListGroups", err)
		if total != 2 || !slices.Equal(groupNames(list), []string{"Engineering", "Sales"}) {
			t.Errorf("ListGroups = %v (%d)", groupNames(list), total)
		}
		return nil
	})

	g.DisplayName = "Eng"
	g.Active = false
	g.Doc = json.RawMessage(`{"a":1}`)
	update(t, s, func(tx store.Tx) error {
		got, err := tx.UpdateGroup(bg, g, 1)
		if err != nil {
			return err
		}
		if got.Version != 2 || got.DisplayName != "Eng" || got.Active {
			t.Errorf("UpdateGroup = %+v", got)
		}
		return nil
	})
	err = s.Update(bg, func(tx store.Tx) error { _, err := tx.UpdateGroup(bg, g, 1); return err })
	wantErr(t, "UpdateGroup(stale)", err, store.ErrVersionMismatch)
	g.DisplayName = "sales"
	err = s.Update(bg, func(tx store.Tx) error { _, err := tx.UpdateGroup(bg, g, 0); return err })
	wantErr(t, "UpdateGroup(rename onto Sales)", err, store.ErrConflict)
	var touched store.Group
	update(t, s, func(tx store.Tx) error {
		var err error
		touched, err = tx.TouchGroup(bg, a.ID, g.ID)
		return err
	})
	if touched.Version != 3 || touched.DisplayName != "Eng" || !jsonEqual(touched.Doc, []byte(`{"a":1}`)) {
		t.Errorf("TouchGroup = %+v", touched)
	}
	err = s.Update(bg, func(tx store.Tx) error { _, err := tx.TouchGroup(bg, a.ID, "nope"); return err })
	wantErr(t, "TouchGroup(nope)", err, store.ErrNotFound)

	err = s.Update(bg, func(tx store.Tx) error { return tx.DeleteGroup(bg, a.ID, g2.ID, 5) })
	wantErr(t, "DeleteGroup(stale)", err, store.ErrVersionMismatch)
	update(t, s, func(tx store.Tx) error { return tx.DeleteGroup(bg, a.ID, g2.ID, 1) })
	err = s.Update(bg, func(tx store.Tx) error { return tx.DeleteGroup(bg, a.ID, g2.ID, 0) })
	wantErr(t, "DeleteGroup twice", err, store.ErrNotFound)
	view(t, s, func(tx store.Tx) error {
		_, err := tx.Group(bg, a.ID, g2.ID)
		wantErr(t, "Group(deleted)", err, store.ErrNotFound)
		_, err = tx.GroupByName(bg, a.ID, "Sales")
		wantErr(t, "GroupByName(deleted)", err, store.ErrNotFound)
		var seen []string
		must(t, "ScanGroups", tx.ScanGroups(bg, a.ID, func(g store.Group) error {
			if g.Doc != nil {
				t.Errorf("ScanGroups returned Doc")
			}
			seen = append(seen, g.DisplayName)
			return nil
		}))
		if !slices.Equal(seen, []string{"Eng"}) {
			t.Errorf("ScanGroups = %v", seen)
		}
		return nil
	})
	newGroup(t, s, a.ID, "SALES") // the deleted group's name is free again
}

func testMembership(t *testing.T, s store.Store) {
	o := newOrg(t, s, "o")
	g := newGroup(t, s, o.ID, "g")
	h := newGroup(t, s, o.ID, "h")
	var us []store.User
	for _, n := range []string{"u1", "u2", "u3", "u4"} {
		us = append(us, newUser(t, s, o.ID, n))
	}
	ids := func(idx ...int) []string {
		var out []string
		for _, i := range idx {
			out = append(out, us[i].ID)
		}
		return out
	}
	update(t, s, func(tx store.Tx) error {
		n, err := tx.AddMembers(bg, o.ID, g.ID, append(ids(0, 1, 0), h.ID))
		if err != nil {
			return err
		}
		if n != 3 {
			t.Errorf("AddMembers added %d, want 3 (duplicates in input skipped)", n)
		}
		n, err = tx.AddMembers(bg, o.ID, g.ID, ids(1, 2))
		if err != nil {
			return err
		}
		if n != 1 {
			t.Errorf("AddMembers(existing+new) added %d, want 1", n)
		}
		n, err = tx.AddMembers(bg, o.ID, g.ID, nil)
		if err != nil || n != 0 {
			t.Errorf("AddMembers(nil) = %d, %v", n, err)
		}
		return nil
	})
	// Unknown id: ErrNotFound and nothing added.
	err := s.Update(bg, func(tx store.Tx) error {
		_, err := tx.AddMembers(bg, o.ID, g.ID, []string{us[3].ID, "nope"})
		return err
	})
	wantErr(t, "AddMembers(unknown)", err, store.ErrNotFound)
	err = s.Update(bg, func(tx store.Tx) error { _, err := tx.AddMembers(bg, o.ID, "nope", ids(0)); return err })
	wantErr(t, "AddMembers(unknown group)", err, store.ErrNotFound)

	view(t, s, func(tx store.Tx) error {
		ms, total, err := tx.Members(bg, o.ID, g.ID, store.Page{Limit: 100})
		must(t, "Members", err)
		want := append(ids(0, 1, 2), h.ID)
		slices.Sort(want)
		if total != 4 || !slices.Equal(memberIDs(ms), want) {
			t.Errorf("Members = %v (%d), want %v", memberIDs(ms), total, want)
		}
		for _, m := range ms {
			switch {
			case m.ID == h.ID && (m.Type != store.MemberGroup || m.Display != "h"):
				t.Errorf("group member = %+v", m)
			case m.ID == us[0].ID && (m.Type != store.MemberUser || m.Display != "u1"):
				t.Errorf("user member = %+v", m)
			}
		}
		page, total, err := tx.Members(bg, o.ID, g.ID, store.Page{Offset: 1, Limit: 2})
		must(t, "Members(page)", err)
		if total != 4 || !slices.Equal(memberIDs(page), want[1:3]) {
			t.Errorf("Members(offset 1, limit 2) = %v (%d)", memberIDs(page), total)
		}
		none, total, err := tx.Members(bg, o.ID, g.ID, store.Page{Limit: 0})
		must(t, "Members(count)", err)
		if total != 4 || len(none) != 0 {
			t.Errorf("Members(limit 0) = %d items, total %d", len(none), total)
		}
		_, _, err = tx.Members(bg, o.ID, "nope", store.Page{Limit: 10})
		wantErr(t, "Members(unknown group)", err, store.ErrNotFound)

		ok, err := tx.IsMember(bg, o.ID, g.ID, us[2].ID)
		must(t, "IsMember", err)
		if !ok {
			t.Errorf("IsMember(u3) = false")
		}
		ok, err = tx.IsMember(bg, o.ID, g.ID, us[3].ID)
		must(t, "IsMember", err)
		if ok {
			t.Errorf("IsMember(u4) = true")
		}
		of, err := tx.MembersOf(bg, o.ID, []string{g.ID, h.ID, "nope"})
		must(t, "MembersOf", err)
		if len(of) != 1 || len(of[g.ID]) != 4 {
			t.Errorf("MembersOf = %v", of)
		}
		gs, err := tx.GroupsOfMember(bg, o.ID, h.ID)
		must(t, "GroupsOfMember", err)
		if !slices.Equal(groupNames(gs), []string{"g"}) {
			t.Errorf("GroupsOfMember(h) = %v", groupNames(gs))
		}
		var edges []store.Membership
		must(t, "AllMemberships", tx.AllMemberships(bg, o.ID, func(m store.Membership) error {
			edges = append(edges, m)
			return nil
		}))
		if len(edges) != 4 {
			t.Errorf("AllMemberships = %+v", edges)
		}
		for _, e := range edges {
			if e.GroupID != g.ID || (e.MemberID == h.ID) != (e.MemberType == store.MemberGroup) {
				t.Errorf("edge %+v", e)
			}
		}
		return nil
	})

	update(t, s, func(tx store.Tx) error {
		n, err := tx.RemoveMembers(bg, o.ID, g.ID, append(ids(0, 3), "nope"))
		if err != nil {
			return err
		}
		if n != 1 {
			t.Errorf("RemoveMembers removed %d, want 1", n)
		}
		added, removed, err := tx.ReplaceMembers(bg, o.ID, g.ID, ids(1, 3))
		if err != nil {
			return err
		}
		if added != 1 || removed != 2 { // u4 in; u3 and h out; u2 stays
			t.Errorf("ReplaceMembers = +%d -%d, want +1 -2", added, removed)
		}
		return nil
	})
	view(t, s, func(tx store.Tx) error {
		ms, _, err := tx.Members(bg, o.ID, g.ID, store.Page{Limit: 100})
		must(t, "Members", err)
		want := ids(1, 3)
		slices.Sort(want)
		if !slices.Equal(memberIDs(ms), want) {
			t.Errorf("after replace: %v, want %v", memberIDs(ms), want)
		}
		return nil
	})
	err = s.Update(bg, func(tx store.Tx) error {
		_, _, err := tx.ReplaceMembers(bg, o.ID, g.ID, []string{"nope"})
		return err
	})
	wantErr(t, "ReplaceMembers(unknown)", err, store.ErrNotFound)
	update(t, s, func(tx store.Tx) error {
		n, err := tx.RemoveAllMembers(bg, o.ID, g.ID)
		if err != nil {
			return err
		}
		if n != 2 {
			t.Errorf("RemoveAllMembers = %d, want 2", n)
		}
		added, removed, err := tx.ReplaceMembers(bg, o.ID, h.ID, nil)
		if added != 0 || removed != 0 || err != nil {
			t.Errorf("ReplaceMembers(empty group, nil) = %d %d %v", added, removed, err)
		}
		return nil
	})
	view(t, s, func(tx store.Tx) error {
		_, total, err := tx.Members(bg, o.ID, g.ID, store.Page{Limit: 10})
		must(t, "Members", err)
		if total != 0 {
			t.Errorf("after RemoveAllMembers: %d members", total)
		}
		of, err := tx.MembersOf(bg, o.ID, []string{g.ID})
		must(t, "MembersOf", err)
		if len(of) != 0 {
			t.Errorf("MembersOf(empty group) = %v", of)
		}
		return nil
	})
}

func testNestedGroups(t *testing.T, s store.Store) {
	o := newOrg(t, s, "o")
	a := newGroup(t, s, o.ID, "a")
	b := newGroup(t, s, o.ID, "b")
	c := newGroup(t, s, o.ID, "c")
	d := newGroup(t, s, o.ID, "d")
	u := newUser(t, s, o.ID, "u")
	addMembers(t, s, o.ID, a.ID, b.ID, u.ID) // a ⊃ b
	addMembers(t, s, o.ID, b.ID, c.ID)       // b ⊃ c
	addMembers(t, s, o.ID, d.ID, c.ID)       // d ⊃ c (diamond, not a cycle)
	addMembers(t, s, o.ID, a.ID, d.ID)       // a ⊃ d

	for _, tc := range []struct {
		name          string
		group, member string
	}{
		{"self", a.ID, a.ID},
		{"direct", b.ID, a.ID},
		{"transitive", c.ID, a.ID},
		{"via diamond", c.ID, d.ID},
	} {
		err := s.Update(bg, func(tx store.Tx) error {
			_, err := tx.AddMembers(bg, o.ID, tc.group, []string{u.ID, tc.member})
			return err
		})
		wantErr(t, "cycle "+tc.name, err, store.ErrInvalid)
		err = s.Update(bg, func(tx store.Tx) error {
			_, _, err := tx.ReplaceMembers(bg, o.ID, tc.group, []string{tc.member})
			return err
		})
		wantErr(t, "cycle by ReplaceMembers "+tc.name, err, store.ErrInvalid)
	}
	view(t, s, func(tx store.Tx) error {
		ok, err := tx.IsMember(bg, o.ID, c.ID, u.ID)
		must(t, "IsMember", err)
		if ok {
			t.Errorf("refused AddMembers still added the user")
		}
		gs, err := tx.GroupsOfMember(bg, o.ID, c.ID)
		must(t, "GroupsOfMember", err)
		if !slices.Equal(groupNames(gs), []string{"b", "d"}) {
			t.Errorf("GroupsOfMember(c) = %v", groupNames(gs))
		}
		return nil
	})
	// Once the path is cut, the former cycle is allowed.
	update(t, s, func(tx store.Tx) error {
		_, err := tx.RemoveMembers(bg, o.ID, a.ID, []string{b.ID, d.ID})
		return err
	})
	addMembers(t, s, o.ID, c.ID, a.ID)
	// A path through a deleted group does not count: x ⊃ y ⊃ z with y deleted lets z take x.
	x := newGroup(t, s, o.ID, "x")
	y := newGroup(t, s, o.ID, "y")
	z := newGroup(t, s, o.ID, "z")
	addMembers(t, s, o.ID, x.ID, y.ID)
	addMembers(t, s, o.ID, y.ID, z.ID)
	err := s.Update(bg, func(tx store.Tx) error { _, err := tx.AddMembers(bg, o.ID, z.ID, []string{x.ID}); return err })
	wantErr(t, "cycle x>y>z>x", err, store.ErrInvalid)
	update(t, s, func(tx store.Tx) error { return tx.DeleteGroup(bg, o.ID, y.ID, 0) })
	addMembers(t, s, o.ID, z.ID, x.ID)
}

func testDeletedGroup(t *testing.T, s store.Store) {
	o := newOrg(t, s, "o")
	parent := newGroup(t, s, o.ID, "parent")
	dead := newGroup(t, s, o.ID, "dead")
	u := newUser(t, s, o.ID, "u")
	v := newUser(t, s, o.ID, "v")
	addMembers(t, s, o.ID, dead.ID, u.ID)
	addMembers(t, s, o.ID, parent.ID, dead.ID, v.ID)
	cloud := newResource(t, s, o.ID, store.KindCloud, "c", "")
	b := grant(t, s, o.ID, cloud.ID, store.PrincipalGroup, dead.ID, "owner")
	update(t, s, func(tx store.Tx) error { return tx.DeleteGroup(bg, o.ID, dead.ID, 0) })

	view(t, s, func(tx store.Tx) error {
		ms, total, err := tx.Members(bg, o.ID, parent.ID, store.Page{Limit: 10})
		must(t, "Members", err)
		if total != 1 || !slices.Equal(memberIDs(ms), []string{v.ID}) {
			t.Errorf("Members(parent) = %v (%d), want only v", memberIDs(ms), total)
		}
		_, _, err = tx.Members(bg, o.ID, dead.ID, store.Page{Limit: 10})
		wantErr(t, "Members(deleted)", err, store.ErrNotFound)
		of, err := tx.MembersOf(bg, o.ID, []string{dead.ID, parent.ID})
		must(t, "MembersOf", err)
		if len(of) != 1 || len(of[parent.ID]) != 1 {
			t.Errorf("MembersOf = %v", of)
		}
		gs, err := tx.GroupsOfMember(bg, o.ID, u.ID)
		must(t, "GroupsOfMember(u)", err)
		if len(gs) != 0 {
			t.Errorf("GroupsOfMember(u) = %v, want none (its group is deleted)", groupNames(gs))
		}
		gs, err = tx.GroupsOfMember(bg, o.ID, dead.ID)
		must(t, "GroupsOfMember(dead)", err)
		if len(gs) != 0 {
			t.Errorf("GroupsOfMember(dead) = %v", groupNames(gs))
		}
		for _, pair := range [][2]string{{dead.ID, u.ID}, {parent.ID, dead.ID}} {
			ok, err := tx.IsMember(bg, o.ID, pair[0], pair[1])
			must(t, "IsMember", err)
			if ok {
				t.Errorf("IsMember(%v) = true through a deleted group", pair)
			}
		}
		var edges []store.Membership
		must(t, "AllMemberships", tx.AllMemberships(bg, o.ID, func(m store.Membership) error {
			edges = append(edges, m)
			return nil
		}))
		if len(edges) != 1 || edges[0].MemberID != v.ID {
			t.Errorf("AllMemberships = %+v, want only parent->v", edges)
		}
		list, _, err := tx.ListGroups(bg, o.ID, store.Query{Filter: &store.Cond{Op: store.CondEq, Field: store.FieldMember, Value: dead.ID}, Page: store.Page{Limit: 10}})
		must(t, "ListGroups(members.value eq dead)", err)
		if len(list) != 0 {
			t.Errorf("members.value eq <deleted group> matched %v", groupNames(list))
		}
		// Bindings of a deleted group are kept (audit, undo).
		got, err := tx.Binding(bg, o.ID, b.ID)
		must(t, "Binding of deleted group", err)
		if got.PrincipalID != dead.ID {
			t.Errorf("binding = %+v", got)
		}
		return nil
	})
	for _, tc := range []struct {
		name string
		fn   func(tx store.Tx) error
	}{
		{"AddMembers to deleted", func(tx store.Tx) error { _, err := tx.AddMembers(bg, o.ID, dead.ID, []string{v.ID}); return err }},
		{"AddMembers of deleted", func(tx store.Tx) error { _, err := tx.AddMembers(bg, o.ID, parent.ID, []string{dead.ID}); return err }},
		{"RemoveMembers of deleted", func(tx store.Tx) error { _, err := tx.RemoveMembers(bg, o.ID, dead.ID, []string{u.ID}); return err }},
		{"RemoveAllMembers of deleted", func(tx store.Tx) error { _, err := tx.RemoveAllMembers(bg, o.ID, dead.ID); return err }},
		{"ReplaceMembers of deleted", func(tx store.Tx) error { _, _, err := tx.ReplaceMembers(bg, o.ID, dead.ID, nil); return err }},
		{"grant to deleted group", func(tx store.Tx) error {
			_, _, err := tx.CreateBinding(bg, store.Binding{OrgID: o.ID, ResourceID: cloud.ID, PrincipalType: store.PrincipalGroup, PrincipalID: dead.ID, Role: "readonly"})
			return err
		}},
	} {
		wantErr(t, tc.name, s.Update(bg, tc.fn), store.ErrNotFound)
	}
}
