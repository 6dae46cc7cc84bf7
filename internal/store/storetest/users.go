package storetest

import (
	"cmp"
	"encoding/json"
	"errors"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/rolecall/rolecall/internal/store"
)

func init() {
	register(
		test{"Orgs", testOrgs},
		test{"UserRoundTrip", testUserRoundTrip},
		test{"UserNameUniqueCaseInsensitive", testUserNameUnique},
		test{"UpdateUser", testUpdateUser},
		test{"DeleteUser", testDeleteUser},
		test{"SetUserRemovedAndScan", testSetUserRemovedAndScan},
		test{"ReinstateUsers", testReinstateUsers},
		test{"ReinstateUsersKeepsTheIdPsActive", testReinstateKeepsIdPActive},
	)
}

func testOrgs(t *testing.T, s store.Store) {
	a := newOrg(t, s, "Acme")
	b := newOrg(t, s, "beta")
	if a.ID == "" || a.CreatedAt.IsZero() || a.Name != "Acme" {
		t.Fatalf("CreateOrg = %+v", a)
	}
	err := s.Update(bg, func(tx store.Tx) error { _, err := tx.CreateOrg(bg, "ACME"); return err })
	wantErr(t, "CreateOrg(ACME) after Acme", err, store.ErrConflict)
	err = s.Update(bg, func(tx store.Tx) error { _, err := tx.CreateOrg(bg, " "); return err })
	wantErr(t, "CreateOrg(blank)", err, store.ErrInvalid)

	view(t, s, func(tx store.Tx) error {
		got, err := tx.Org(bg, a.ID)
		must(t, "Org", err)
		if got.ID != a.ID || got.Name != "Acme" || !got.CreatedAt.Equal(a.CreatedAt) {
			t.Errorf("Org = %+v, want %+v", got, a)
		}
		got, err = tx.OrgByName(bg, "aCmE")
		must(t, "OrgByName", err)
		if got.ID != a.ID {
			t.Errorf("OrgByName(aCmE) = %+v", got)
		}
		_, err = tx.Org(bg, "nope")
		wantErr(t, "Org(nope)", err, store.ErrNotFound)
		_, err = tx.OrgByName(bg, "nope")
		wantErr(t, "OrgByName(nope)", err, store.ErrNotFound)
		list, err := tx.ListOrgs(bg)
		must(t, "ListOrgs", err)
		if len(list) != 2 || list[0].ID != a.ID || list[1].ID != b.ID {
			t.Errorf("ListOrgs = %+v", list)
		}
		r, err := tx.OrgResource(bg, a.ID)
		must(t, "OrgResource", err)
		if r.Kind != store.KindOrganization || r.Name != "Acme" || r.OrgID != a.ID || r.ParentID != "" {
			t.Errorf("OrgResource = %+v", r)
		}
		st, err := tx.Settings(bg, a.ID)
		must(t, "Settings", err)
		if st.OrgID != a.ID || st.GroupsOnly {
			t.Errorf("Settings = %+v, want defaults", st)
		}
		_, err = tx.Settings(bg, "nope")
		wantErr(t, "Settings(nope)", err, store.ErrNotFound)
		return nil
	})
	at := store.Now().Add(-time.Hour)
	update(t, s, func(tx store.Tx) error {
		return tx.PutSettings(bg, store.OrgSettings{OrgID: a.ID, GroupsOnly: true, UpdatedAt: at})
	})
	err = s.Update(bg, func(tx store.Tx) error { return tx.PutSettings(bg, store.OrgSettings{OrgID: "nope"}) })
	wantErr(t, "PutSettings(nope)", err, store.ErrNotFound)
	view(t, s, func(tx store.Tx) error {
		st, err := tx.Settings(bg, a.ID)
		must(t, "Settings", err)
		if !st.GroupsOnly {
			t.Errorf("GroupsOnly not kept: %+v", st)
		}
		sameTime(t, "UpdatedAt", st.UpdatedAt, at)
		st, err = tx.Settings(bg, b.ID)
		must(t, "Settings(b)", err)
		if st.GroupsOnly {
			t.Errorf("org b got org a's setting")
		}
		return nil
	})
}

func testUserRoundTrip(t *testing.T, s store.Store) {
	o := newOrg(t, s, "acme")
	created := time.Date(2024, 5, 6, 7, 8, 9, 123456789, time.FixedZone("X", 3600))
	in := store.User{
		OrgID: o.ID, UserName: "Alice.Smith@Example.com", ExternalID: "ext-1", DisplayName: "Alice Smith",
		Active: true,
		Emails: []store.Email{
			{Value: "Alice@Example.com", Type: "work", Primary: true},
			{Value: "alice@home.example", Type: "home"},
		},
		Doc:     json.RawMessage(`{"name":{"givenName":"Alice","familyName":"Smith"},"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User":{"department":"R&D"},"x":[1,2.5,"é"]}`),
		Created: created,
	}
	var u store.User
	update(t, s, func(tx store.Tx) error {
		var err error
		u, err = tx.CreateUser(bg, in)
		return err
	})
	if u.ID == "" || u.Seq <= 0 || u.Version != 1 {
		t.Fatalf("CreateUser did not assign id/seq/version: %+v", u)
	}
	wantCreated := created.UTC().Truncate(time.Microsecond)
	sameTime(t, "Created", u.Created, wantCreated)
	sameTime(t, "LastModified", u.LastModified, wantCreated)
	u2 := newUser(t, s, o.ID, "bob")
	if u2.Seq <= u.Seq {
		t.Errorf("Seq not increasing: %d then %d", u.Seq, u2.Seq)
	}
	if time.Since(u2.Created) > time.Minute || u2.Created.Location() != time.UTC {
		t.Errorf("default Created = %v, want now in UTC", u2.Created)
	}

	check := func(what string, got store.User) {
		t.Helper()
		if got.ID != u.ID || got.OrgID != o.ID || got.Seq != u.Seq || got.UserName != in.UserName ||
			got.ExternalID != "ext-1" || got.DisplayName != "Alice Smith" || !got.Active || got.Removed ||
			got.Version != 1 {
			t.Errorf("%s = %+v", what, got)
		}
		sameTime(t, what+".Created", got.Created, wantCreated)
		sameTime(t, what+".LastModified", got.LastModified, wantCreated)
		if got.Created.Location() != time.UTC {
			t.Errorf("%s.Created not UTC: %v", what, got.Created)
		}
		if !reflect.DeepEqual(got.Emails, in.Emails) {
			t.Errorf("%s.Emails = %+v, want %+v", what, got.Emails, in.Emails)
		}
		if !jsonEqual(got.Doc, in.Doc) {
			t.Errorf("%s.Doc = %s, want %s", what, got.Doc, in.Doc)
		}
	}
	view(t, s, func(tx store.Tx) error {
		got, err := tx.User(bg, o.ID, u.ID)
		must(t, "User", err)
		check("User", got)
		got, err = tx.UserByUserName(bg, o.ID, "alice.smith@example.COM")
		must(t, "UserByUserName", err)
		check("UserByUserName", got)
		list, total, err := tx.ListUsers(bg, o.ID, store.Query{Page: store.Page{Limit: 10}})
		must(t, "ListUsers", err)
		if total != 2 || len(list) != 2 {
			t.Fatalf("ListUsers = %d users, total %d", len(list), total)
		}
		check("ListUsers[0]", list[0])
		if len(list[1].Emails) != 1 || list[1].Emails[0].Value != "bob@example.com" {
			t.Errorf("ListUsers[1].Emails = %+v", list[1].Emails)
		}
		_, err = tx.User(bg, o.ID, "nope")
		wantErr(t, "User(nope)", err, store.ErrNotFound)
		_, err = tx.UserByUserName(bg, o.ID, "nope")
		wantErr(t, "UserByUserName(nope)", err, store.ErrNotFound)
		names, err := tx.UserNames(bg, o.ID, []string{u.ID, u2.ID, "nope", u.ID})
		must(t, "UserNames", err)
		if len(names) != 2 || names[u.ID] != in.UserName || names[u2.ID] != "bob" {
			t.Errorf("UserNames = %v", names)
		}
		byID, err := tx.UserFlags(bg, o.ID, []string{u2.ID, "nope", u.ID, u2.ID})
		must(t, "UserFlags", err)
		slices.SortFunc(byID, func(a, b store.User) int { return cmp.Compare(a.UserName, b.UserName) })
		if len(byID) != 2 || byID[0].ID != u.ID || byID[1].ID != u2.ID || byID[1].UserName != "bob" || byID[0].UserName != in.UserName ||
			byID[0].Active != u.Active || byID[0].Removed || byID[1].Active != u2.Active {
			t.Errorf("UserFlags = %+v", byID)
		}
		return nil
	})

	// A user without emails, doc or optional attributes round-trips as such; a caller
	// chosen id is kept.
	var bare store.User
	update(t, s, func(tx store.Tx) error {
		var err error
		bare, err = tx.CreateUser(bg, store.User{OrgID: o.ID, ID: "fixed-id-1", UserName: "bare"})
		return err
	})
	view(t, s, func(tx store.Tx) error {
		got, err := tx.User(bg, o.ID, "fixed-id-1")
		must(t, "User(bare)", err)
		if got.Active || len(got.Emails) != 0 || got.Doc != nil || got.ExternalID != "" || got.Seq != bare.Seq {
			t.Errorf("bare user = %+v", got)
		}
		return nil
	})
	err := s.Update(bg, func(tx store.Tx) error {
		_, err := tx.CreateUser(bg, store.User{OrgID: o.ID, UserName: ""})
		return err
	})
	wantErr(t, "CreateUser(empty userName)", err, store.ErrInvalid)
	err = s.Update(bg, func(tx store.Tx) error {
		_, err := tx.CreateUser(bg, store.User{OrgID: "nope", UserName: "x"})
		return err
	})
	wantErr(t, "CreateUser(unknown org)", err, store.ErrNotFound)
}

func testUserNameUnique(t *testing.T, s store.Store) {
	a := newOrg(t, s, "a")
	b := newOrg(t, s, "b")
	newUser(t, s, a.ID, "Bjørn@Example.com")
	err := s.Update(bg, func(tx store.Tx) error {
		_, err := tx.CreateUser(bg, store.User{OrgID: a.ID, UserName: "BJØRN@example.COM"})
		return err
	})
	wantErr(t, "CreateUser(same userName, other case)", err, store.ErrConflict)
	if err != nil && !errors.Is(err, store.ErrConflict) {
		t.Errorf("error = %v", err)
	}
	// The same name in another org is fine.
	newUser(t, s, b.ID, "bjørn@example.com")
	// The failed create wrote nothing.
	view(t, s, func(tx store.Tx) error {
		_, total, err := tx.ListUsers(bg, a.ID, store.Query{})
		must(t, "ListUsers", err)
		if total != 1 {
			t.Errorf("org a has %d users, want 1", total)
		}
		return nil
	})
	// A conflict does not spoil the transaction: it can go on and commit.
	update(t, s, func(tx store.Tx) error {
		if _, err := tx.CreateUser(bg, store.User{OrgID: a.ID, UserName: "bjørn@EXAMPLE.com"}); !errors.Is(err, store.ErrConflict) {
			t.Errorf("CreateUser dup = %v, want ErrConflict", err)
		}
		_, err := tx.CreateUser(bg, store.User{OrgID: a.ID, UserName: "carol"})
		return err
	})
	view(t, s, func(tx store.Tx) error {
		_, err := tx.UserByUserName(bg, a.ID, "CAROL")
		must(t, "carol after conflict in same tx", err)
		return nil
	})
}

func testUpdateUser(t *testing.T, s store.Store) {
	o := newOrg(t, s, "o")
	u := newUser(t, s, o.ID, "alice")
	newUser(t, s, o.ID, "bob")
	before := u.LastModified
	time.Sleep(2 * time.Millisecond)

	u.UserName = "Alice2"
	u.DisplayName = "Alice Two"
	u.ExternalID = "e2"
	u.Emails = []store.Email{{Value: "a2@example.com", Type: "other"}}
	u.Doc = json.RawMessage(`{"v":2}`)
	var got store.User
	update(t, s, func(tx store.Tx) error {
		var err error
		got, err = tx.UpdateUser(bg, u, 1)
		return err
	})
	if got.Version != 2 || !got.LastModified.After(before) || !got.Created.Equal(u.Created) || got.Seq != u.Seq {
		t.Errorf("UpdateUser = %+v", got)
	}
	view(t, s, func(tx store.Tx) error {
		r, err := tx.UserByUserName(bg, o.ID, "alice2")
		must(t, "UserByUserName(alice2)", err)
		if r.Version != 2 || r.DisplayName != "Alice Two" || r.ExternalID != "e2" || !jsonEqual(r.Doc, u.Doc) ||
			len(r.Emails) != 1 || r.Emails[0].Value != "a2@example.com" {
			t.Errorf("stored = %+v", r)
		}
		sameTime(t, "LastModified", r.LastModified, got.LastModified)
		_, err = tx.UserByUserName(bg, o.ID, "alice")
		wantErr(t, "old userName", err, store.ErrNotFound)
		return nil
	})

	// Stale version: ErrVersionMismatch, nothing changes.
	u.DisplayName = "stale"
	err := s.Update(bg, func(tx store.Tx) error { _, err := tx.UpdateUser(bg, u, 1); return err })
	wantErr(t, "UpdateUser(stale)", err, store.ErrVersionMismatch)
	// expectVersion 0: unconditional.
	update(t, s, func(tx store.Tx) error { _, err := tx.UpdateUser(bg, u, 0); return err })
	// Renaming onto another user's name (any case) conflicts.
	u.UserName = "BOB"
	err = s.Update(bg, func(tx store.Tx) error { _, err := tx.UpdateUser(bg, u, 0); return err })
	wantErr(t, "UpdateUser(rename to BOB)", err, store.ErrConflict)
	// Renaming to a case variant of its own name is fine.
	u.UserName = "ALICE2"
	update(t, s, func(tx store.Tx) error { _, err := tx.UpdateUser(bg, u, 0); return err })
	// Unknown user.
	err = s.Update(bg, func(tx store.Tx) error {
		_, err := tx.UpdateUser(bg, store.User{OrgID: o.ID, ID: "nope", UserName: "x"}, 0)
		return err
	})
	wantErr(t, "UpdateUser(nope)", err, store.ErrNotFound)
	view(t, s, func(tx store.Tx) error {
		r, err := tx.User(bg, o.ID, u.ID)
		must(t, "User", err)
		if r.Version != 4 || r.DisplayName != "stale" || r.UserName != "ALICE2" {
			t.Errorf("after updates: %+v", r)
		}
		return nil
	})

	// Emails: an update with the same list keeps it; any difference (order, type, primary,
	// one more, none) replaces it, and the email filter follows.
	a := store.Email{Value: "A@example.com", Type: "work", Primary: true}
	b := store.Email{Value: "b@example.com", Type: "home"}
	for _, emails := range [][]store.Email{
		{a, b}, {a, b}, {b, a}, {b, {Value: a.Value, Type: "home", Primary: true}},
		{b, {Value: a.Value, Type: "home"}}, {b}, nil, nil, {a},
	} {
		u.Emails = emails
		update(t, s, func(tx store.Tx) error { _, err := tx.UpdateUser(bg, u, 0); return err })
		view(t, s, func(tx store.Tx) error {
			r, err := tx.User(bg, o.ID, u.ID)
			must(t, "User", err)
			if !slices.Equal(r.Emails, emails) {
				t.Errorf("after UpdateUser with emails %v: stored %v", emails, r.Emails)
			}
			byA := eq(store.FieldEmail, "a@EXAMPLE.com")
			found, _, err := tx.ListUsers(bg, o.ID, store.Query{Filter: &byA, Page: store.Page{Limit: 10}})
			must(t, "ListUsers(email)", err)
			hasA := slices.ContainsFunc(emails, func(e store.Email) bool { return e.Value == a.Value })
			if (len(found) == 1) != hasA {
				t.Errorf("emails %v: the email filter finds %d users", emails, len(found))
			}
			return nil
		})
	}

	// Reactivating a removed user clears Removed; Removed implies inactive.
	update(t, s, func(tx store.Tx) error {
		r, err := tx.SetUserRemoved(bg, o.ID, u.ID, true, true)
		if err != nil {
			return err
		}
		if !r.Removed || r.Active {
			t.Errorf("SetUserRemoved(true) = %+v", r)
		}
		r.Active = true
		r, err = tx.UpdateUser(bg, r, r.Version)
		if err != nil {
			return err
		}
		if r.Removed || !r.Active {
			t.Errorf("reactivated = removed %v active %v", r.Removed, r.Active)
		}
		return nil
	})
}

// testReinstateUsers: only removed users of the org come back (active, not removed, version
// bumped); others, other orgs' users and unknown ids are untouched; View refuses.
func testReinstateUsers(t *testing.T, s store.Store) {
	a, b := newOrg(t, s, "reinstate-a"), newOrg(t, s, "reinstate-b")
	removed := newUser(t, s, a.ID, "removed")
	plain := newUser(t, s, a.ID, "plain", func(u *store.User) { u.Active = false })
	other := newUser(t, s, b.ID, "other")
	update(t, s, func(tx store.Tx) error {
		for _, u := range []store.User{removed, other} {
			if _, err := tx.SetUserRemoved(bg, u.OrgID, u.ID, true, false); err != nil {
				return err
			}
		}
		return nil
	})
	update(t, s, func(tx store.Tx) error {
		got, err := tx.ReinstateUsers(bg, a.ID, []string{plain.ID, "nope", other.ID, removed.ID, removed.ID})
		if err != nil {
			return err
		}
		if !slices.Equal(got, []string{removed.ID}) {
			t.Errorf("ReinstateUsers = %v, want [%s]", got, removed.ID)
		}
		return nil
	})
	view(t, s, func(tx store.Tx) error {
		r, err := tx.User(bg, a.ID, removed.ID)
		must(t, "User", err)
		if r.Removed || !r.Active || r.Version != 3 {
			t.Errorf("reinstated user: removed %v active %v version %d; want false true 3", r.Removed, r.Active, r.Version)
		}
		p, err := tx.User(bg, a.ID, plain.ID)
		must(t, "User", err)
		if p.Active || p.Version != 1 {
			t.Errorf("an inactive, not removed user changed: %+v", p)
		}
		o, err := tx.User(bg, b.ID, other.ID)
		must(t, "User", err)
		if !o.Removed {
			t.Errorf("org A reinstated org B's user")
		}
		_, err = tx.ReinstateUsers(bg, a.ID, []string{removed.ID})
		if err == nil {
			t.Errorf("ReinstateUsers inside View succeeded")
		}
		return nil
	})
}

// testReinstateKeepsIdPActive: a removed user comes back with the active flag its stored
// document holds — the identity provider's latest word —, not always active: a user its IdP
// had deactivated (document active false) stays inactive; a document that says true, or
// nothing, gives active (issue 14, item 1).
func testReinstateKeepsIdPActive(t *testing.T, s store.Store) {
	o := newOrg(t, s, "reinstate-idp")
	doc := func(active string) func(*store.User) {
		return func(u *store.User) {
			body := `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"` + u.UserName + `"` + active + `}`
			u.Doc = []byte(body)
		}
	}
	off := newUser(t, s, o.ID, "idp-off", doc(`,"active":false`), func(u *store.User) { u.Active = false })
	on := newUser(t, s, o.ID, "idp-on", doc(`,"active":true`))
	unsaid := newUser(t, s, o.ID, "idp-unsaid", doc(``))
	ids := []string{off.ID, on.ID, unsaid.ID}
	update(t, s, func(tx store.Tx) error {
		for _, id := range ids {
			if _, err := tx.SetUserRemoved(bg, o.ID, id, true, false); err != nil {
				return err
			}
		}
		return nil
	})
	update(t, s, func(tx store.Tx) error {
		got, err := tx.ReinstateUsers(bg, o.ID, ids)
		if err != nil {
			return err
		}
		if len(got) != 3 {
			t.Errorf("ReinstateUsers = %v, want all three", got)
		}
		return nil
	})
	view(t, s, func(tx store.Tx) error {
		for id, want := range map[string]bool{off.ID: false, on.ID: true, unsaid.ID: true} {
			u, err := tx.User(bg, o.ID, id)
			must(t, "User", err)
			if u.Removed || u.Active != want {
				t.Errorf("reinstated %s: removed %v active %v; want not removed, active %v", u.UserName, u.Removed, u.Active, want)
			}
		}
		return nil
	})
}

func testDeleteUser(t *testing.T, s store.Store) {
	o := newOrg(t, s, "o")
	u := newUser(t, s, o.ID, "alice")
	g := newGroup(t, s, o.ID, "g")
	addMembers(t, s, o.ID, g.ID, u.ID)
	cloud := newResource(t, s, o.ID, store.KindCloud, "c", "")
	grant(t, s, o.ID, cloud.ID, store.PrincipalUser, u.ID, "owner")
	gb := grant(t, s, o.ID, cloud.ID, store.PrincipalGroup, g.ID, "readonly")

	err := s.Update(bg, func(tx store.Tx) error { return tx.DeleteUser(bg, o.ID, u.ID, 7) })
	wantErr(t, "DeleteUser(wrong version)", err, store.ErrVersionMismatch)
	update(t, s, func(tx store.Tx) error { return tx.DeleteUser(bg, o.ID, u.ID, 1) })
	err = s.Update(bg, func(tx store.Tx) error { return tx.DeleteUser(bg, o.ID, u.ID, 0) })
	wantErr(t, "DeleteUser twice", err, store.ErrNotFound)

	view(t, s, func(tx store.Tx) error {
		_, err := tx.User(bg, o.ID, u.ID)
		wantErr(t, "User(deleted)", err, store.ErrNotFound)
		_, err = tx.UserByUserName(bg, o.ID, "alice")
		wantErr(t, "UserByUserName(deleted)", err, store.ErrNotFound)
		list, total, err := tx.ListUsers(bg, o.ID, store.Query{Page: store.Page{Limit: 10}})
		must(t, "ListUsers", err)
		if total != 0 || len(list) != 0 {
			t.Errorf("ListUsers after delete = %v (%d)", userNames(list), total)
		}
		names, err := tx.UserNames(bg, o.ID, []string{u.ID})
		must(t, "UserNames", err)
		if len(names) != 0 {
			t.Errorf("UserNames(deleted) = %v", names)
		}
		ok, err := tx.IsMember(bg, o.ID, g.ID, u.ID)
		must(t, "IsMember", err)
		if ok {
			t.Errorf("deleted user still a member")
		}
		bs, err := tx.ListBindings(bg, o.ID, store.BindingFilter{})
		must(t, "ListBindings", err)
		if len(bs) != 1 || bs[0].ID != gb.ID {
			t.Errorf("bindings after user delete = %+v, want only the group's", bs)
		}
		n := 0
		must(t, "ScanUsers", tx.ScanUsers(bg, o.ID, func(store.User) error { n++; return nil }))
		if n != 0 {
			t.Errorf("ScanUsers saw %d users", n)
		}
		return nil
	})
	// The userName is free again.
	u2 := newUser(t, s, o.ID, "ALICE")
	if u2.ID == u.ID {
		t.Errorf("new user reused the deleted user's id")
	}
}

func testSetUserRemovedAndScan(t *testing.T, s store.Store) {
	o := newOrg(t, s, "o")
	a := newUser(t, s, o.ID, "a")
	b := newUser(t, s, o.ID, "b", func(u *store.User) { u.Active = false })
	c := newUser(t, s, o.ID, "c")
	var r store.User
	update(t, s, func(tx store.Tx) error {
		var err error
		r, err = tx.SetUserRemoved(bg, o.ID, a.ID, true, false)
		return err
	})
	if !r.Removed || r.Active || r.Version != 2 || r.UserName != "a" || len(r.Emails) != 1 || !jsonEqual(r.Doc, a.Doc) {
		t.Errorf("SetUserRemoved = %+v", r)
	}
	err := s.Update(bg, func(tx store.Tx) error { _, err := tx.SetUserRemoved(bg, o.ID, "nope", true, false); return err })
	wantErr(t, "SetUserRemoved(nope)", err, store.ErrNotFound)

	var seen []store.User
	view(t, s, func(tx store.Tx) error {
		return tx.ScanUsers(bg, o.ID, func(u store.User) error { seen = append(seen, u); return nil })
	})
	if got := userNames(seen); !slices.Equal(got, []string{"a", "b", "c"}) {
		t.Fatalf("ScanUsers = %v", got)
	}
	if !seen[0].Removed || seen[0].Active || seen[1].Active || !seen[2].Active || seen[2].ID != c.ID || seen[1].ID != b.ID {
		t.Errorf("ScanUsers flags = %+v", seen)
	}
	for _, u := range seen {
		if u.Doc != nil || u.Emails != nil {
			t.Errorf("ScanUsers returned Doc/Emails: %+v", u)
		}
	}
	// Restore.
	update(t, s, func(tx store.Tx) error {
		var err error
		r, err = tx.SetUserRemoved(bg, o.ID, a.ID, false, true)
		return err
	})
	if r.Removed || !r.Active || r.Version != 3 {
		t.Errorf("restore = %+v", r)
	}
	// The callback's error stops the scan and comes back as is.
	stop := errors.New("stop")
	n := 0
	err = s.View(bg, func(tx store.Tx) error {
		return tx.ScanUsers(bg, o.ID, func(store.User) error { n++; return stop })
	})
	if !errors.Is(err, stop) || n != 1 {
		t.Errorf("ScanUsers with failing callback: err %v after %d calls", err, n)
	}
}
