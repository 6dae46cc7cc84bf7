package storetest

import (
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/rolecall/rolecall/internal/store"
)

// newOrg creates an org.
func newOrg(t *testing.T, s store.Store, name string) store.Org {
	t.Helper()
	var o store.Org
	update(t, s, func(tx store.Tx) error {
		var err error
		o, err = tx.CreateOrg(bg, name)
		return err
	})
	return o
}

// newUser creates an active user with a document and one work email derived from its name.
func newUser(t *testing.T, s store.Store, orgID, userName string, mods ...func(*store.User)) store.User {
	t.Helper()
	u := store.User{
		OrgID: orgID, UserName: userName, Active: true,
		Doc:    json.RawMessage(fmt.Sprintf(`{"userName":%q}`, userName)),
		Emails: []store.Email{{Value: userName + "@example.com", Type: "work", Primary: true}},
	}
	for _, m := range mods {
		m(&u)
	}
	update(t, s, func(tx store.Tx) error {
		var err error
		u, err = tx.CreateUser(bg, u)
		return err
	})
	return u
}

// newGroup creates an active group.
func newGroup(t *testing.T, s store.Store, orgID, name string, mods ...func(*store.Group)) store.Group {
	t.Helper()
	g := store.Group{OrgID: orgID, DisplayName: name, Active: true, Doc: json.RawMessage(`{"displayName":"` + name + `"}`)}
	for _, m := range mods {
		m(&g)
	}
	update(t, s, func(tx store.Tx) error {
		var err error
		g, err = tx.CreateGroup(bg, g)
		return err
	})
	return g
}

// newResource creates a cloud (parent "") or a project.
func newResource(t *testing.T, s store.Store, orgID string, kind store.ResourceKind, name, parent string) store.Resource {
	t.Helper()
	var r store.Resource
	update(t, s, func(tx store.Tx) error {
		var err error
		r, err = tx.CreateResource(bg, store.Resource{OrgID: orgID, Kind: kind, Name: name, ParentID: parent})
		return err
	})
	return r
}

// addMembers adds ids to a group in its own Update.
func addMembers(t *testing.T, s store.Store, orgID, groupID string, ids ...string) {
	t.Helper()
	update(t, s, func(tx store.Tx) error {
		_, err := tx.AddMembers(bg, orgID, groupID, ids)
		return err
	})
}

// grant creates a binding in its own Update.
func grant(t *testing.T, s store.Store, orgID, resourceID string, pt store.PrincipalType, principalID, role string) store.Binding {
	t.Helper()
	var b store.Binding
	update(t, s, func(tx store.Tx) error {
		var err error
		b, _, err = tx.CreateBinding(bg, store.Binding{OrgID: orgID, ResourceID: resourceID, PrincipalType: pt,
			PrincipalID: principalID, Role: role, CreatedBy: "test"})
		return err
	})
	return b
}

// jsonEqual reports whether two JSON documents are equal as values.
func jsonEqual(a, b []byte) bool {
	if a == nil || b == nil {
		return a == nil && b == nil
	}
	var x, y any
	if json.Unmarshal(a, &x) != nil || json.Unmarshal(b, &y) != nil {
		return false
	}
	xa, _ := json.Marshal(x)
	ya, _ := json.Marshal(y)
	return string(xa) == string(ya)
}

// sameTime fails unless got equals want exactly (instant and microsecond precision).
func sameTime(t *testing.T, what string, got, want time.Time) {
	t.Helper()
	if !got.Equal(want) {
		t.Errorf("%s = %v, want %v", what, got, want)
	}
}

func userNames(us []store.User) []string {
	out := make([]string, len(us))
	for i, u := range us {
		out[i] = u.UserName
	}
	return out
}

func groupNames(gs []store.Group) []string {
	out := make([]string, len(gs))
	for i, g := range gs {
		out[i] = g.DisplayName
	}
	return out
}

func memberIDs(ms []store.Member) []string {
	out := make([]string, len(ms))
	for i, m := range ms {
		out[i] = m.ID
	}
	return out
}
