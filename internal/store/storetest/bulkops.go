package storetest

import (
	"encoding/json"
	"fmt"
	"slices"
	"testing"

	"github.com/rolecall/rolecall/internal/store"
)

// Bulk operations added for performance: batch reads that replace one query per object, and
// the set-based moves of an enforce-groups restore point.

func init() {
	register(
		test{"GroupsOfMembers", testGroupsOfMembers},
		test{"ParentsOfAndChildEdges", testParentsOfAndChildEdges},
		test{"MoveAndRestoreRunBindings", testMoveAndRestoreRunBindings},
	)
}

// testGroupsOfMembers: the batch answers exactly what GroupsOfMember answers per member
// (live groups only, Seq order), leaves out members in no group, and does not cross orgs.
func testGroupsOfMembers(t *testing.T, s store.Store) {
	o := newOrg(t, s, "o")
	other := newOrg(t, s, "other")
	a := newUser(t, s, o.ID, "a")
	b := newUser(t, s, o.ID, "b")
	c := newUser(t, s, o.ID, "c") // in no group
	g1 := newGroup(t, s, o.ID, "g1")
	g2 := newGroup(t, s, o.ID, "g2")
	gone := newGroup(t, s, o.ID, "gone")
	nested := newGroup(t, s, o.ID, "nested")
	addMembers(t, s, o.ID, g2.ID, a.ID, b.ID, nested.ID)
	addMembers(t, s, o.ID, g1.ID, a.ID)
	addMembers(t, s, o.ID, gone.ID, a.ID, b.ID)
	update(t, s, func(tx store.Tx) error { return tx.DeleteGroup(bg, o.ID, gone.ID, 0) })
	ids := []string{a.ID, b.ID, c.ID, nested.ID, a.ID, "nope"}
	view(t, s, func(tx store.Tx) error {
		got, err := tx.GroupsOfMembers(bg, o.ID, ids)
		must(t, "GroupsOfMembers", err)
		for _, id := range []string{a.ID, b.ID, c.ID, nested.ID} {
			one, err := tx.GroupsOfMember(bg, o.ID, id)
			must(t, "GroupsOfMember", err)
			if !slices.Equal(groupNames(got[id]), groupNames(one)) {
				t.Errorf("GroupsOfMembers[%s] = %v, GroupsOfMember = %v", id, groupNames(got[id]), groupNames(one))
			}
		}
		if !slices.Equal(groupNames(got[a.ID]), []string{"g1", "g2"}) {
			t.Errorf("GroupsOfMembers[a] = %v, want [g1 g2] (Seq order, deleted left out)", groupNames(got[a.ID]))
		}
		if _, ok := got[c.ID]; ok || len(got) != 3 {
			t.Errorf("GroupsOfMembers = %d members (c present: %v), want a, b and nested only", len(got), ok)
		}
		if g := got[a.ID][0]; g.ID != g1.ID || g.OrgID != o.ID || !g.Active || g.Version < 1 || g.Created.IsZero() {
			t.Errorf("GroupsOfMembers[a][0] = %+v", g)
		}
		got, err = tx.GroupsOfMembers(bg, other.ID, ids)
		must(t, "GroupsOfMembers(other org)", err)
		if len(got) != 0 {
			t.Errorf("GroupsOfMembers in another org = %v, want nothing", got)
		}
		return nil
	})
}

// testParentsOfAndChildEdges: ParentsOf gives each member's live groups with their name and
// active flag (a deleted group left out), nothing for another org; ChildEdges gives a group's
// edges whatever the members' state (the caller skips deleted members).
func testParentsOfAndChildEdges(t *testing.T, s store.Store) {
	o := newOrg(t, s, "o")
	other := newOrg(t, s, "other")
	a := newUser(t, s, o.ID, "a")
	b := newUser(t, s, o.ID, "b")
	g1 := newGroup(t, s, o.ID, "g1")
	g2 := newGroup(t, s, o.ID, "g2")
	gone := newGroup(t, s, o.ID, "gone")
	nested := newGroup(t, s, o.ID, "nested")
	addMembers(t, s, o.ID, g2.ID, a.ID, b.ID, nested.ID)
	addMembers(t, s, o.ID, g1.ID, a.ID)
	addMembers(t, s, o.ID, gone.ID, a.ID)
	update(t, s, func(tx store.Tx) error { return tx.DeleteGroup(bg, o.ID, gone.ID, 0) })
	update(t, s, func(tx store.Tx) error {
		g := g1
		g.Active = false
		_, err := tx.UpdateGroup(bg, g, 0)
		return err
	})
	edge := func(e store.ParentEdge) string {
		return fmt.Sprintf("%s<%s/%s/%v", e.MemberID, e.GroupID, e.GroupName, e.GroupActive)
	}
	view(t, s, func(tx store.Tx) error {
		got, err := tx.ParentsOf(bg, o.ID, []string{a.ID, b.ID, nested.ID, a.ID, "nope"})
		must(t, "ParentsOf", err)
		var lines []string
		for _, e := range got {
			lines = append(lines, edge(e))
		}
		slices.Sort(lines)
		want := []string{
			edge(store.ParentEdge{MemberID: a.ID, GroupID: g1.ID, GroupName: "g1", GroupActive: false}),
			edge(store.ParentEdge{MemberID: a.ID, GroupID: g2.ID, GroupName: "g2", GroupActive: true}),
			edge(store.ParentEdge{MemberID: b.ID, GroupID: g2.ID, GroupName: "g2", GroupActive: true}),
			edge(store.ParentEdge{MemberID: nested.ID, GroupID: g2.ID, GroupName: "g2", GroupActive: true}),
		}
		slices.Sort(want)
		if !slices.Equal(lines, want) {
			t.Errorf("ParentsOf = %v\nwant %v", lines, want)
		}
		got, err = tx.ParentsOf(bg, other.ID, []string{a.ID})
		must(t, "ParentsOf(other org)", err)
		if len(got) != 0 {
			t.Errorf("ParentsOf in another org = %v, want nothing", got)
		}
		flags, err := tx.GroupFlags(bg, o.ID, []string{g1.ID, g2.ID, gone.ID, g1.ID, a.ID, "nope"})
		must(t, "GroupFlags", err)
		var fl []string
		for _, g := range flags {
			fl = append(fl, fmt.Sprintf("%s/%s/%v", g.ID, g.DisplayName, g.Active))
		}
		slices.Sort(fl)
		wantFl := []string{g1.ID + "/g1/false", g2.ID + "/g2/true"}
		slices.Sort(wantFl)
		if !slices.Equal(fl, wantFl) {
			t.Errorf("GroupFlags = %v, want %v (deleted, users and unknown ids left out)", fl, wantFl)
		}
		if flags, err = tx.GroupFlags(bg, other.ID, []string{g2.ID}); err != nil || len(flags) != 0 {
			t.Errorf("GroupFlags in another org = %v, %v", flags, err)
		}
		for _, tc := range []struct {
			group string
			want  bool
		}{{g2.ID, false}, {nested.ID, false}, {g1.ID, false}, {"nope", false}} {
			got, err := tx.AncestryGranted(bg, o.ID, tc.group)
			must(t, "AncestryGranted", err)
			if got != tc.want {
				t.Errorf("AncestryGranted(%s) = %v before any grant", tc.group, got)
			}
		}
		es, err := tx.ChildEdges(bg, o.ID, []string{g2.ID, gone.ID, g2.ID})
		must(t, "ChildEdges", err)
		var kids []string
		for _, e := range es {
			kids = append(kids, e.GroupID+">"+string(e.MemberType)+":"+e.MemberID)
		}
		slices.Sort(kids)
		wantKids := []string{g2.ID + ">user:" + a.ID, g2.ID + ">user:" + b.ID, g2.ID + ">group:" + nested.ID, gone.ID + ">user:" + a.ID}
		slices.Sort(wantKids)
		if !slices.Equal(kids, wantKids) {
			t.Errorf("ChildEdges = %v\nwant %v", kids, wantKids)
		}
		es, err = tx.ChildEdges(bg, other.ID, []string{g2.ID})
		must(t, "ChildEdges(other org)", err)
		if len(es) != 0 {
			t.Errorf("ChildEdges in another org = %v, want nothing", es)
		}
		return nil
	})
	// A grant to g2 is above nested (nested is in g2) and g2 itself, not above g1; a grant
	// to a deleted group still counts (AncestryGranted is a cheap "maybe").
	res := newResource(t, s, o.ID, store.KindCloud, "c", "")
	grant(t, s, o.ID, res.ID, store.PrincipalGroup, g2.ID, "readonly")
	view(t, s, func(tx store.Tx) error {
		for _, tc := range []struct {
			org, group string
			want       bool
		}{{o.ID, g2.ID, true}, {o.ID, nested.ID, true}, {o.ID, g1.ID, false}, {other.ID, nested.ID, false}} {
			got, err := tx.AncestryGranted(bg, tc.org, tc.group)
			must(t, "AncestryGranted", err)
			if got != tc.want {
				t.Errorf("AncestryGranted(%s) = %v, want %v", tc.group, got, tc.want)
			}
		}
		return nil
	})
}

// testMoveAndRestoreRunBindings: MoveUserBindings moves exactly the org's direct user
// bindings into the run, records their number, and RestoreRunBindings puts them back as they
// were (but the skipped ones), refusing a restore that would duplicate a grant or name a
// principal that is gone.
func testMoveAndRestoreRunBindings(t *testing.T, s store.Store) {
	o := newOrg(t, s, "o")
	other := newOrg(t, s, "other")
	res := newResource(t, s, o.ID, store.KindCloud, "c1", "")
	u1 := newUser(t, s, o.ID, "u1")
	u2 := newUser(t, s, o.ID, "u2")
	g := newGroup(t, s, o.ID, "g")
	ou := newUser(t, s, other.ID, "ou")
	ores := newResource(t, s, other.ID, store.KindCloud, "oc", "")
	b1 := grant(t, s, o.ID, res.ID, store.PrincipalUser, u1.ID, "owner")
	b2 := grant(t, s, o.ID, res.ID, store.PrincipalUser, u2.ID, "readonly")
	bg1 := grant(t, s, o.ID, res.ID, store.PrincipalGroup, g.ID, "collaborator")
	ob := grant(t, s, other.ID, ores.ID, store.PrincipalUser, ou.ID, "owner")
	var run store.Run
	update(t, s, func(tx store.Tx) error {
		var err error
		run, err = tx.CreateRun(bg, store.Run{OrgID: o.ID, Actor: "a", Fingerprint: "f", Plan: json.RawMessage(`{}`)}, nil, nil)
		if err != nil {
			return err
		}
		n, err := tx.MoveUserBindings(bg, o.ID, run.ID)
		if err != nil {
			return err
		}
		if n != 2 {
			t.Errorf("MoveUserBindings = %d, want 2", n)
		}
		_, err = tx.MoveUserBindings(bg, o.ID, "nope")
		wantErr(t, "MoveUserBindings(no run)", err, store.ErrNotFound)
		return nil
	})
	view(t, s, func(tx store.Tx) error {
		r, err := tx.Run(bg, o.ID, run.ID)
		must(t, "Run", err)
		if r.DeletedBindings != 2 {
			t.Errorf("run DeletedBindings = %d, want 2", r.DeletedBindings)
		}
		left, err := tx.ListBindings(bg, o.ID, store.BindingFilter{})
		must(t, "ListBindings", err)
		if len(left) != 1 || left[0].ID != bg1.ID {
			t.Errorf("bindings after move = %+v, want the group's only", left)
		}
		if _, err := tx.Binding(bg, other.ID, ob.ID); err != nil {
			t.Errorf("the other org's binding: %v", err)
		}
		var kept []store.Binding
		must(t, "RunBindings", tx.RunBindings(bg, o.ID, run.ID, func(b store.Binding) error { kept = append(kept, b); return nil }))
		want := []store.Binding{b1, b2}
		slices.SortFunc(want, func(x, y store.Binding) int { return cmpString(x.ID, y.ID) })
		if !slices.Equal(kept, want) {
			t.Errorf("RunBindings = %+v, want %+v", kept, want)
		}
		return nil
	})
	// A grant equal to a kept one made since: restoring it is a conflict, skipping it works.
	again := grant(t, s, o.ID, res.ID, store.PrincipalUser, u2.ID, "readonly")
	err := s.Update(bg, func(tx store.Tx) error {
		_, err := tx.RestoreRunBindings(bg, o.ID, run.ID, nil)
		return err
	})
	wantErr(t, "RestoreRunBindings over an equal grant", err, store.ErrConflict)
	update(t, s, func(tx store.Tx) error {
		n, err := tx.RestoreRunBindings(bg, o.ID, run.ID, []string{b2.ID})
		if err != nil {
			return err
		}
		if n != 1 {
			t.Errorf("RestoreRunBindings = %d, want 1", n)
		}
		return nil
	})
	view(t, s, func(tx store.Tx) error {
		got, err := tx.Binding(bg, o.ID, b1.ID)
		must(t, "Binding(b1)", err)
		if got != b1 {
			t.Errorf("restored %+v, want %+v", got, b1)
		}
		all, err := tx.ListBindings(bg, o.ID, store.BindingFilter{})
		must(t, "ListBindings", err)
		if len(all) != 3 {
			t.Errorf("bindings after restore = %d, want b1, the group's and the re-grant", len(all))
		}
		return nil
	})
	// A principal that is gone: ErrNotFound, nothing restored.
	update(t, s, func(tx store.Tx) error { return tx.DeleteUser(bg, o.ID, u1.ID, 0) })
	update(t, s, func(tx store.Tx) error { _, err := tx.DeleteBinding(bg, o.ID, again.ID); return err })
	err = s.Update(bg, func(tx store.Tx) error {
		_, err := tx.RestoreRunBindings(bg, o.ID, run.ID, nil)
		return err
	})
	wantErr(t, "RestoreRunBindings of a deleted user's binding", err, store.ErrNotFound)
	err = s.Update(bg, func(tx store.Tx) error {
		_, err := tx.RestoreRunBindings(bg, o.ID, "nope", nil)
		return err
	})
	wantErr(t, "RestoreRunBindings(no run)", err, store.ErrNotFound)
}

func cmpString(a, b string) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}
