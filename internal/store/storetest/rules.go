package storetest

import (
	"encoding/json"
	"slices"
	"testing"
	"time"

	"github.com/rolecall/rolecall/internal/store"
)

func init() {
	register(
		test{"GroupRules", testGroupRules},
		test{"RuleBindings", testRuleBindings},
		test{"RuleChanges", testRuleChanges},
	)
}

func ruleIDs(rs []store.GroupRule) []string {
	out := make([]string, len(rs))
	for i, r := range rs {
		out[i] = r.ID
	}
	return out
}

func testGroupRules(t *testing.T, s store.Store) {
	o := newOrg(t, s, "Org")
	other := newOrg(t, s, "Other")
	now := store.Now()
	rules := []store.GroupRule{
		{ID: "r2", Position: 2, Name: "eng clouds", Match: "pattern", Value: `^eng-(?P<cloud>.+)$`, Role: "readonly",
			CreatedAt: now, CreatedBy: "alice", UpdatedAt: now, UpdatedBy: "alice"},
		{ID: "r1", Position: 1, Name: "admins", Match: "displayName", Value: "Platform Admins", ResourceKind: "organization",
			Role: "owner", CreatedAt: now, CreatedBy: "bob", UpdatedAt: now.Add(time.Second), UpdatedBy: "carol"},
		{ID: "r0", Position: 2, Name: "ext", Match: "externalId", Value: "00g1", ResourceKind: "cloud", ResourceName: "prod",
			Role: "collaborator", CreatedAt: now, UpdatedAt: now},
	}
	update(t, s, func(tx store.Tx) error { return tx.ReplaceGroupRules(bg, o.ID, rules) })
	var got []store.GroupRule
	view(t, s, func(tx store.Tx) (err error) { got, err = tx.GroupRules(bg, o.ID); return err })
	// By position, then id.
	if ids := ruleIDs(got); !slices.Equal(ids, []string{"r1", "r0", "r2"}) {
		t.Fatalf("GroupRules order = %v, want [r1 r0 r2]", ids)
	}
	r1 := got[0]
	if r1.OrgID != o.ID || r1.Name != "admins" || r1.Match != "displayName" || r1.Value != "Platform Admins" ||
		r1.ResourceKind != "organization" || r1.ResourceName != "" || r1.Role != "owner" || r1.CreatedBy != "bob" || r1.UpdatedBy != "carol" {
		t.Errorf("rule r1 read back as %+v", r1)
	}
	sameTime(t, "r1 updated", r1.UpdatedAt, now.Add(time.Second))
	if got[2].Value != `^eng-(?P<cloud>.+)$` || got[2].ResourceKind != "" || got[2].Role != "readonly" {
		t.Errorf("rule r2 read back as %+v", got[2])
	}
	// Another org sees none of them.
	view(t, s, func(tx store.Tx) (err error) { got, err = tx.GroupRules(bg, other.ID); return err })
	if len(got) != 0 {
		t.Errorf("other org's rules = %v, want none", ruleIDs(got))
	}
	// Replace keeps exactly the new set.
	update(t, s, func(tx store.Tx) error { return tx.ReplaceGroupRules(bg, o.ID, rules[1:2]) })
	view(t, s, func(tx store.Tx) (err error) { got, err = tx.GroupRules(bg, o.ID); return err })
	if ids := ruleIDs(got); !slices.Equal(ids, []string{"r1"}) {
		t.Fatalf("after replace: %v, want [r1]", ids)
	}
	// Bad sets are refused and change nothing.
	for _, tc := range []struct {
		name  string
		rules []store.GroupRule
	}{
		{"empty id", []store.GroupRule{{Name: "x", Match: "displayName", Value: "x"}}},
		{"empty name", []store.GroupRule{{ID: "x", Match: "displayName", Value: "x"}}},
		{"repeated id", []store.GroupRule{{ID: "x", Name: "a"}, {ID: "x", Name: "b"}}},
	} {
		err := s.Update(bg, func(tx store.Tx) error { return tx.ReplaceGroupRules(bg, o.ID, tc.rules) })
		wantErr(t, tc.name, err, store.ErrInvalid)
	}
	err := s.Update(bg, func(tx store.Tx) error { return tx.ReplaceGroupRules(bg, "no-such-org", rules[:1]) })
	wantErr(t, "unknown org", err, store.ErrNotFound)
	view(t, s, func(tx store.Tx) (err error) { got, err = tx.GroupRules(bg, o.ID); return err })
	if ids := ruleIDs(got); !slices.Equal(ids, []string{"r1"}) {
		t.Fatalf("after refused replaces: %v, want [r1]", ids)
	}
	// The empty set deletes every rule.
	update(t, s, func(tx store.Tx) error { return tx.ReplaceGroupRules(bg, o.ID, nil) })
	view(t, s, func(tx store.Tx) (err error) { got, err = tx.GroupRules(bg, o.ID); return err })
	if len(got) != 0 {
		t.Fatalf("after emptying: %v", ruleIDs(got))
	}
}

func testRuleBindings(t *testing.T, s store.Store) {
	o := newOrg(t, s, "Org")
	g := newGroup(t, s, o.ID, "eng-prod")
	h := newGroup(t, s, o.ID, "eng-dev")
	prod := newResource(t, s, o.ID, store.KindCloud, "prod", "")
	manual := grant(t, s, o.ID, prod.ID, store.PrincipalGroup, h.ID, "readonly")
	if manual.RuleID != "" {
		t.Fatalf("a manual grant has rule %q", manual.RuleID)
	}
	var made, other store.Binding
	update(t, s, func(tx store.Tx) (err error) {
		made, _, err = tx.CreateBinding(bg, store.Binding{OrgID: o.ID, ResourceID: prod.ID, PrincipalType: store.PrincipalGroup,
			PrincipalID: g.ID, Role: "readonly", CreatedAt: store.Now(), CreatedBy: "rules", RuleID: "rule-a"})
		if err != nil {
			return err
		}
		other, _, err = tx.CreateBinding(bg, store.Binding{OrgID: o.ID, ResourceID: prod.ID, PrincipalType: store.PrincipalGroup,
			PrincipalID: g.ID, Role: "owner", CreatedAt: store.Now(), RuleID: "rule-b"})
		return err
	})
	check := func(what, ruleID string, want ...string) {
		t.Helper()
		var bs []store.Binding
		view(t, s, func(tx store.Tx) (err error) { bs, err = tx.RuleBindings(bg, o.ID, ruleID); return err })
		var ids []string
		for _, b := range bs {
			ids = append(ids, b.ID+"@"+b.RuleID)
		}
		slices.Sort(ids)
		slices.Sort(want)
		if !slices.Equal(ids, want) {
			t.Errorf("%s: RuleBindings(%q) = %v, want %v", what, ruleID, ids, want)
		}
	}
	check("created", "", made.ID+"@rule-a", other.ID+"@rule-b")
	check("created", "rule-a", made.ID+"@rule-a")
	// Every read path carries the rule.
	view(t, s, func(tx store.Tx) error {
		b, err := tx.Binding(bg, o.ID, made.ID)
		if err != nil {
			return err
		}
		if b.RuleID != "rule-a" {
			t.Errorf("Binding: rule %q, want rule-a", b.RuleID)
		}
		bs, err := tx.ListBindings(bg, o.ID, store.BindingFilter{PrincipalID: h.ID})
		if err != nil {
			return err
		}
		if len(bs) != 1 || bs[0].RuleID != "" {
			t.Errorf("ListBindings of the manual grant: %+v", bs)
		}
		n := 0
		err = tx.AllBindings(bg, o.ID, func(b store.Binding) error {
			if b.ID == other.ID && b.RuleID == "rule-b" {
				n++
			}
			return nil
		})
		if n != 1 {
			t.Errorf("AllBindings lost the rule of %s", other.ID)
		}
		return err
	})
	// Reassign, make manual, and the unknown binding.
	update(t, s, func(tx store.Tx) error { return tx.SetBindingRule(bg, o.ID, other.ID, "rule-a") })
	check("reassigned", "rule-a", made.ID+"@rule-a", other.ID+"@rule-a")
	update(t, s, func(tx store.Tx) error { return tx.SetBindingRule(bg, o.ID, made.ID, "") })
	check("made manual", "", other.ID+"@rule-a")
	err := s.Update(bg, func(tx store.Tx) error { return tx.SetBindingRule(bg, o.ID, "nope", "rule-a") })
	wantErr(t, "SetBindingRule of an unknown binding", err, store.ErrNotFound)
	// InsertBindings (undo) keeps the rule.
	update(t, s, func(tx store.Tx) error {
		if _, err := tx.DeleteBinding(bg, o.ID, other.ID); err != nil {
			return err
		}
		return tx.InsertBindings(bg, o.ID, []store.Binding{other})
	})
	check("re-inserted", "rule-b", other.ID+"@rule-b")
}

func testRuleChanges(t *testing.T, s store.Store) {
	o := newOrg(t, s, "Org")
	old := json.RawMessage(`[{"id":"r1"}]`)
	changes := json.RawMessage(`{"add":[{"id":"b1"}],"remove":[]}`)
	var c1, c2 store.RuleChange
	update(t, s, func(tx store.Tx) (err error) {
		c1, err = tx.CreateRuleChange(bg, store.RuleChange{OrgID: o.ID, CreatedAt: store.Now(), Actor: "alice",
			Action: "rule.added", Summary: "added rule a", Fingerprint: "fp1", OldRules: old, NewRules: json.RawMessage(`[]`), Changes: changes})
		if err != nil {
			return err
		}
		c2, err = tx.CreateRuleChange(bg, store.RuleChange{OrgID: o.ID, CreatedAt: store.Now(), Actor: "bob",
			Action: "rule.undone", Fingerprint: "fp2", UndoOf: c1.ID})
		return err
	})
	if c1.ID == "" || c1.Actor != "alice" || c1.Action != "rule.added" || !jsonEqual(c1.OldRules, old) ||
		!jsonEqual(c1.Changes, changes) || c1.UndoneAt != nil {
		t.Fatalf("CreateRuleChange = %+v", c1)
	}
	if c2.UndoOf != c1.ID || string(c2.OldRules) != "[]" || string(c2.Changes) != "{}" {
		t.Errorf("second change = %+v", c2)
	}
	var list []store.RuleChange
	var total int
	view(t, s, func(tx store.Tx) (err error) {
		list, total, err = tx.ListRuleChanges(bg, o.ID, store.Page{Limit: 10})
		return err
	})
	if total != 2 || len(list) != 2 || list[0].ID != c2.ID || list[1].ID != c1.ID {
		t.Fatalf("ListRuleChanges = %d %+v, want newest first", total, list)
	}
	at := store.Now()
	var undone store.RuleChange
	update(t, s, func(tx store.Tx) (err error) {
		undone, err = tx.MarkRuleChangeUndone(bg, o.ID, c1.ID, at, "carol")
		return err
	})
	if undone.UndoneAt == nil || undone.UndoneBy != "carol" {
		t.Fatalf("MarkRuleChangeUndone = %+v", undone)
	}
	sameTime(t, "undone at", *undone.UndoneAt, at)
	err := s.Update(bg, func(tx store.Tx) error { _, err := tx.MarkRuleChangeUndone(bg, o.ID, c1.ID, at, "carol"); return err })
	wantErr(t, "second undo", err, store.ErrConflict)
	err = s.Update(bg, func(tx store.Tx) error { _, err := tx.MarkRuleChangeUndone(bg, o.ID, "nope", at, "carol"); return err })
	wantErr(t, "undo of an unknown change", err, store.ErrNotFound)
	other := newOrg(t, s, "Other")
	err = s.View(bg, func(tx store.Tx) error { _, err := tx.RuleChange(bg, other.ID, c1.ID); return err })
	wantErr(t, "another org's change", err, store.ErrNotFound)
}
