package storetest

import (
	"slices"
	"strings"
	"testing"

	"github.com/rolecall/rolecall/internal/store"
)

func init() {
	register(test{"ScanGroupsSelected", testScanGroupsSelected})
}

// selects is GroupSelection's documented meaning, the reference the store is held to.
func selects(sel store.GroupSelection, g store.Group) bool {
	low := []byte(g.DisplayName)
	for i, c := range low {
		if c >= 0x80 {
			return true // a character outside ASCII: always selected
		}
		if 'A' <= c && c <= 'Z' {
			low[i] = c + 'a' - 'A'
		}
	}
	return slices.ContainsFunc(sel.Contains, func(s string) bool { return strings.Contains(string(low), s) }) ||
		slices.Contains(sel.ExternalIDs, g.ExternalID) || slices.Contains(sel.IDs, g.ID)
}

// testScanGroupsSelected: ScanGroupsSelected returns exactly the org's live groups the
// selection selects, in Seq order, without Doc: displayName containment after ASCII
// lower-casing (no LIKE wildcards: "_" and "%" are plain characters), exact externalIds and
// ids, and every name with a non-ASCII character; never another org's group or a deleted one.
func testScanGroupsSelected(t *testing.T, s store.Store) {
	a, b := newOrg(t, s, "select-a"), newOrg(t, s, "select-b")
	ext := func(id string) func(*store.Group) { return func(g *store.Group) { g.ExternalID = id } }
	var all []store.Group
	for _, g := range []struct {
		name string
		mods []func(*store.Group)
	}{
		{"Eng-Prod", []func(*store.Group){ext("EXT-1")}},
		{"eng-dev", nil},
		{"Sales", []func(*store.Group){ext("ext-1")}},
		{"ÉQUIPE-dev", nil},
		{"team_x", nil},
		{"teamXx", nil},
		{"50%-prod", nil},
		{"ops-prod", nil},
	} {
		all = append(all, newGroup(t, s, a.ID, g.name, g.mods...))
	}
	newGroup(t, s, b.ID, "eng-prod", ext("ext-1")) // another org's: never selected
	gone := all[len(all)-1]
	update(t, s, func(tx store.Tx) error { return tx.DeleteGroup(bg, a.ID, gone.ID, gone.Version) })
	all = all[:len(all)-1]

	for _, sel := range []store.GroupSelection{
		{},
		{Contains: []string{"eng-prod"}},
		{Contains: []string{"PROD"}}, // callers lower-case: an upper-case needle meets no ASCII name
		{Contains: []string{"prod", "dev"}},
		{Contains: []string{"team_x"}}, // not a LIKE pattern: teamXx is not selected
		{Contains: []string{"%-"}},
		{Contains: []string{"équipe"}}, // a non-ASCII needle: only non-ASCII names can hold it
		{Contains: []string{""}},       // the empty string is in every name
		{ExternalIDs: []string{"ext-1"}},
		{ExternalIDs: []string{"EXT-1", "nope"}},
		{IDs: []string{all[1].ID, gone.ID}},
		{Contains: []string{"sales"}, ExternalIDs: []string{"EXT-1"}, IDs: []string{all[4].ID}},
		// Many strings travel as one list parameter (a few as one parameter each).
		{Contains: []string{"a1", "a2", "a3", "a4", "a5", "a6", "a7", "a8", "team_x", "%-", "équipe"}},
		{Contains: []string{"a1", "a2", "a3", "a4", "a5", "a6", "a7", "a8", "a9"}, ExternalIDs: []string{"ext-1"}},
	} {
		var want, got []string
		for _, g := range all {
			if selects(sel, g) {
				want = append(want, g.DisplayName)
			}
		}
		view(t, s, func(tx store.Tx) error {
			return tx.ScanGroupsSelected(bg, a.ID, sel, func(g store.Group) error {
				if g.Doc != nil {
					t.Errorf("ScanGroupsSelected returned Doc")
				}
				got = append(got, g.DisplayName)
				return nil
			})
		})
		if !slices.Equal(got, want) {
			t.Errorf("ScanGroupsSelected(%+v) = %q, want %q", sel, got, want)
		}
	}
}
