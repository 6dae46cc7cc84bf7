package storetest

import (
	"testing"

	"github.com/rolecall/rolecall/internal/store"
)

func init() {
	register(test{"UpdateOfReplacedObject", testUpdateOfReplaced})
}

// testUpdateOfReplaced: updating a user or group that was deleted and whose name a new one
// has taken since it was read is "not found", not "name taken": the object is gone. (On
// PostgreSQL the delete and re-create can commit between another transaction's read and
// write; here they run in the same transaction, which the backends must answer alike.)
func testUpdateOfReplaced(t *testing.T, s store.Store) {
	o := newOrg(t, s, "replaced")
	u := newUser(t, s, o.ID, "same@example.com")
	g := newGroup(t, s, o.ID, "same")
	err := s.Update(bg, func(tx store.Tx) error {
		if err := tx.DeleteUser(bg, o.ID, u.ID, 0); err != nil {
			return err
		}
		if _, err := tx.CreateUser(bg, store.User{OrgID: o.ID, UserName: u.UserName, Active: true}); err != nil {
			return err
		}
		stale := u
		stale.DisplayName = "renamed"
		_, err := tx.UpdateUser(bg, stale, 0)
		return err
	})
	wantErr(t, "UpdateUser of a deleted user whose name was retaken", err, store.ErrNotFound)
	err = s.Update(bg, func(tx store.Tx) error {
		if err := tx.DeleteGroup(bg, o.ID, g.ID, 0); err != nil {
			return err
		}
		if _, err := tx.CreateGroup(bg, store.Group{OrgID: o.ID, DisplayName: g.DisplayName, Active: true}); err != nil {
			return err
		}
		_, err := tx.UpdateGroup(bg, g, 0)
		return err
	})
	wantErr(t, "UpdateGroup of a deleted group whose name was retaken", err, store.ErrNotFound)
}
