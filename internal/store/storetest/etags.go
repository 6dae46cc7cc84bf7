package storetest

import (
	"testing"

	"github.com/rolecall/rolecall/internal/store"
)

func init() {
	register(test{"GroupVersionFollowsIndirectMemberChanges", testGroupVersionIndirect})
}

// testGroupVersionIndirect: a group's version (its ETag) changes whenever its member list
// changes, also when that happens through another object: a member user or a member group
// deleted drops out of the list, so a client holding the old ETag must not be told
// "not modified" (issue 14 item 3). Groups the deleted object was not in keep their version.
func testGroupVersionIndirect(t *testing.T, s store.Store) {
	o := newOrg(t, s, "etags")
	u := newUser(t, s, o.ID, "member")
	inner := newGroup(t, s, o.ID, "inner")
	outer := newGroup(t, s, o.ID, "outer")
	other := newGroup(t, s, o.ID, "other")
	addMembers(t, s, o.ID, outer.ID, u.ID, inner.ID)
	addMembers(t, s, o.ID, inner.ID, u.ID)
	version := func(id string) store.Group {
		t.Helper()
		var g store.Group
		view(t, s, func(tx store.Tx) error {
			var err error
			g, err = tx.Group(bg, o.ID, id)
			return err
		})
		return g
	}
	before, beforeInner, beforeOther := version(outer.ID), version(inner.ID), version(other.ID)

	update(t, s, func(tx store.Tx) error { return tx.DeleteUser(bg, o.ID, u.ID, 0) })
	afterUser, afterInner := version(outer.ID), version(inner.ID)
	if afterUser.Version <= before.Version || !afterUser.LastModified.After(before.LastModified) {
		t.Errorf("deleting a member user left the group at version %d, lastModified %v (was %d, %v)",
			afterUser.Version, afterUser.LastModified, before.Version, before.LastModified)
	}
	if afterInner.Version <= beforeInner.Version {
		t.Errorf("deleting a member user left the other containing group at version %d (was %d)", afterInner.Version, beforeInner.Version)
	}

	update(t, s, func(tx store.Tx) error { return tx.DeleteGroup(bg, o.ID, inner.ID, 0) })
	afterGroup := version(outer.ID)
	if afterGroup.Version <= afterUser.Version {
		t.Errorf("deleting a member group left the group at version %d (was %d)", afterGroup.Version, afterUser.Version)
	}
	if got := version(other.ID); got.Version != beforeOther.Version {
		t.Errorf("a group without the deleted members moved from version %d to %d", beforeOther.Version, got.Version)
	}
}
