package storetest

import (
	"fmt"
	"slices"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/rolecall/rolecall/internal/store"
)

func init() {
	register(
		test{"UserFilters", testUserFilters},
		test{"GroupFilters", testGroupFilters},
		test{"SortAndPage", testSortAndPage},
		test{"CursorPagingUnderInserts", testCursorUnderInserts},
	)
}

// filterFixture is five users with varied attributes, created an hour apart.
type filterFixture struct {
	org   store.Org
	users map[string]store.User // by userName
	t0    time.Time
}

func newFilterFixture(t *testing.T, s store.Store) filterFixture {
	t.Helper()
	f := filterFixture{org: newOrg(t, s, "filters"), users: map[string]store.User{}}
	f.t0 = time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	specs := []struct {
		name, ext, display string
		active             bool
		emails             []string
	}{
		{"alice", "A-1", "Alice Anders", true, []string{"alice@x.com", "Alice@Home.org"}},
		{"Bob", "", "Bob Brown", true, []string{"bob@x.com"}},
		{"carol", "C-3", "", false, nil},
		{"Dave_1", "d%1", "Dave 100%", true, []string{"dave@x.com"}},
		{"eve", "a-1", "Évé", true, []string{"eve@x.com"}},
	}
	for i, sp := range specs {
		u := store.User{OrgID: f.org.ID, UserName: sp.name, ExternalID: sp.ext, DisplayName: sp.display,
			Active: sp.active, Created: f.t0.Add(time.Duration(i) * time.Hour)}
		for _, e := range sp.emails {
			u.Emails = append(u.Emails, store.Email{Value: e, Type: "work"})
		}
		update(t, s, func(tx store.Tx) error {
			var err error
			u, err = tx.CreateUser(bg, u)
			return err
		})
		f.users[sp.name] = u
	}
	// Bob is modified later than everyone was created.
	bob := f.users["Bob"]
	update(t, s, func(tx store.Tx) error {
		var err error
		bob, err = tx.UpdateUser(bg, bob, 0)
		return err
	})
	f.users["Bob"] = bob
	return f
}

func (f filterFixture) hour(i int) time.Time { return f.t0.Add(time.Duration(i) * time.Hour) }

func eq(field store.Field, v any) store.Cond {
	return store.Cond{Op: store.CondEq, Field: field, Value: v}
}
func op(o store.CondOp, field store.Field, v any) store.Cond {
	return store.Cond{Op: o, Field: field, Value: v}
}
func and(cs ...store.Cond) store.Cond { return store.Cond{Op: store.CondAnd, Args: cs} }
func or(cs ...store.Cond) store.Cond  { return store.Cond{Op: store.CondOr, Args: cs} }
func not(c store.Cond) store.Cond     { return store.Cond{Op: store.CondNot, Args: []store.Cond{c}} }

func testUserFilters(t *testing.T, s store.Store) {
	f := newFilterFixture(t, s)
	const (
		id    = store.FieldID
		un    = store.FieldUserName
		ext   = store.FieldExternalID
		dn    = store.FieldDisplayName
		email = store.FieldEmail
		act   = store.FieldActive
		crt   = store.FieldCreated
		mod   = store.FieldLastModified
	)
	all := []string{"alice", "Bob", "carol", "Dave_1", "eve"}
	cases := []struct {
		name string
		c    store.Cond
		want []string
	}{
		{"userName eq folds case", eq(un, "ALICE"), []string{"alice"}},
		{"userName ne", op(store.CondNe, un, "alice"), []string{"Bob", "carol", "Dave_1", "eve"}},
		{"userName co", op(store.CondCo, un, "A"), []string{"alice", "carol", "Dave_1"}},
		{"userName sw", op(store.CondSw, un, "b"), []string{"Bob"}},
		{"userName ew", op(store.CondEw, un, "E"), []string{"alice", "eve"}},
		{"userName ew longer than value", op(store.CondEw, un, "xxalice"), nil},
		{"userName gt", op(store.CondGt, un, "carol"), []string{"Dave_1", "eve"}},
		{"userName ge", op(store.CondGe, un, "CAROL"), []string{"carol", "Dave_1", "eve"}},
		{"userName lt", op(store.CondLt, un, "bob"), []string{"alice"}},
		{"userName le", op(store.CondLe, un, "bob"), []string{"alice", "Bob"}},
		{"userName pr", op(store.CondPr, un, nil), all},
		{"co with _ is literal", op(store.CondCo, un, "_"), []string{"Dave_1"}},
		{"co with % is literal", op(store.CondCo, un, "%"), nil},
		{"co with backslash is literal", op(store.CondCo, un, `\`), nil},
		{"sw with quote", op(store.CondSw, un, "'"), nil},
		{"externalId eq is case-exact", eq(ext, "A-1"), []string{"alice"}},
		{"externalId eq other case", eq(ext, "a-1"), []string{"eve"}},
		{"externalId ne includes absent", op(store.CondNe, ext, "A-1"), []string{"Bob", "carol", "Dave_1", "eve"}},
		{"externalId co", op(store.CondCo, ext, "-"), []string{"alice", "carol", "eve"}},
		{"externalId co %", op(store.CondCo, ext, "%"), []string{"Dave_1"}},
		{"externalId sw is case-exact", op(store.CondSw, ext, "A"), []string{"alice"}},
		{"externalId ew", op(store.CondEw, ext, "1"), []string{"alice", "Dave_1", "eve"}},
		{"externalId pr", op(store.CondPr, ext, nil), []string{"alice", "carol", "Dave_1", "eve"}},
		{"externalId gt (code point order, absent never)", op(store.CondGt, ext, "C"), []string{"carol", "Dave_1", "eve"}},
		{"externalId lt (absent never)", op(store.CondLt, ext, "B"), []string{"alice"}},
		{"externalId le", op(store.CondLe, ext, "C-3"), []string{"alice", "carol"}},
		{"externalId ge", op(store.CondGe, ext, "a-1"), []string{"Dave_1", "eve"}},
		{"displayName eq folds", eq(dn, "bob BROWN"), []string{"Bob"}},
		{"displayName eq folds non-ASCII", eq(dn, "ÉVÉ"), []string{"eve"}},
		{"displayName co %", op(store.CondCo, dn, "100%"), []string{"Dave_1"}},
		{"displayName pr", op(store.CondPr, dn, nil), []string{"alice", "Bob", "Dave_1", "eve"}},
		{"displayName ne", op(store.CondNe, dn, "Bob Brown"), []string{"alice", "carol", "Dave_1", "eve"}},
		{"displayName sw", op(store.CondSw, dn, "ALI"), []string{"alice"}},
		{"displayName ew", op(store.CondEw, dn, "WN"), []string{"Bob"}},
		{"displayName gt", op(store.CondGt, dn, "c"), []string{"Dave_1", "eve"}},
		{"emails eq folds", eq(email, "ALICE@home.org"), []string{"alice"}},
		{"emails co", op(store.CondCo, email, "X.com"), []string{"alice", "Bob", "Dave_1", "eve"}},
		{"emails sw", op(store.CondSw, email, "bob"), []string{"Bob"}},
		{"emails ew", op(store.CondEw, email, ".ORG"), []string{"alice"}},
		{"emails gt", op(store.CondGt, email, "dave@x.com"), []string{"eve"}},
		{"emails pr", op(store.CondPr, email, nil), []string{"alice", "Bob", "Dave_1", "eve"}},
		// Multi-valued: ne matches when some value differs, or when there is none.
		{"emails ne", op(store.CondNe, email, "bob@x.com"), []string{"alice", "carol", "Dave_1", "eve"}},
		{"active eq true", eq(act, true), []string{"alice", "Bob", "Dave_1", "eve"}},
		{"active eq false", eq(act, false), []string{"carol"}},
		{"active ne true", op(store.CondNe, act, true), []string{"carol"}},
		{"active pr", op(store.CondPr, act, nil), all},
		{"created gt", op(store.CondGt, crt, f.hour(2)), []string{"Dave_1", "eve"}},
		{"created ge", op(store.CondGe, crt, f.hour(2)), []string{"carol", "Dave_1", "eve"}},
		{"created lt", op(store.CondLt, crt, f.hour(1)), []string{"alice"}},
		{"created le", op(store.CondLe, crt, f.hour(1)), []string{"alice", "Bob"}},
		{"created eq", eq(crt, f.hour(3)), []string{"Dave_1"}},
		{"created eq other zone", eq(crt, f.hour(3).In(time.FixedZone("Y", -7*3600))), []string{"Dave_1"}},
		{"created ne", op(store.CondNe, crt, f.hour(3)), []string{"alice", "Bob", "carol", "eve"}},
		{"created pr", op(store.CondPr, crt, nil), all},
		{"lastModified gt", op(store.CondGt, mod, f.hour(4)), []string{"Bob"}},
		{"lastModified le", op(store.CondLe, mod, f.hour(4)), []string{"alice", "carol", "Dave_1", "eve"}},
		{"lastModified eq", eq(mod, f.users["Bob"].LastModified), []string{"Bob"}},
		{"id eq", eq(id, f.users["carol"].ID), []string{"carol"}},
		{"id ne", op(store.CondNe, id, f.users["carol"].ID), []string{"alice", "Bob", "Dave_1", "eve"}},
		{"id pr", op(store.CondPr, id, nil), all},
		{"id sw", op(store.CondSw, id, f.users["eve"].ID), []string{"eve"}},
		{"and", and(eq(act, true), op(store.CondSw, un, "a")), []string{"alice"}},
		{"or", or(eq(un, "bob"), eq(ext, "C-3")), []string{"Bob", "carol"}},
		{"not", not(eq(act, true)), []string{"carol"}},
		{"not pr: absent", not(op(store.CondPr, ext, nil)), []string{"Bob"}},
		{"not emails pr", not(op(store.CondPr, email, nil)), []string{"carol"}},
		{"not emails eq", not(eq(email, "bob@x.com")), []string{"alice", "carol", "Dave_1", "eve"}},
		{"nested", and(or(op(store.CondSw, un, "a"), op(store.CondSw, un, "e")), not(eq(ext, "a-1"))), []string{"alice"}},
		{"empty and", and(), all},
		{"empty or", or(), nil},
		{"or of ands", or(and(eq(act, false)), and(eq(email, "eve@x.com"), op(store.CondPr, dn, nil))), []string{"carol", "eve"}},
	}
	view(t, s, func(tx store.Tx) error {
		for _, tc := range cases {
			c := tc.c
			got, total, err := tx.ListUsers(bg, f.org.ID, store.Query{Filter: &c, Page: store.Page{Limit: 100}})
			if err != nil {
				t.Errorf("%s: %v", tc.name, err)
				continue
			}
			if names := userNames(got); !slices.Equal(names, tc.want) && !(len(names) == 0 && len(tc.want) == 0) {
				t.Errorf("%s: got %v, want %v", tc.name, names, tc.want)
			}
			if total != len(tc.want) {
				t.Errorf("%s: total %d, want %d", tc.name, total, len(tc.want))
			}
		}
		for _, bad := range []struct {
			name string
			c    store.Cond
		}{
			{"members.value on users", eq(store.FieldMember, "x")},
			{"co on a boolean", op(store.CondCo, act, true)},
			{"gt on a boolean", op(store.CondGt, act, true)},
			{"string for a boolean", eq(act, "true")},
			{"bool for a string", eq(un, true)},
			{"co on a date", op(store.CondCo, crt, f.t0)},
			{"bad date", eq(crt, "yesterday")},
			{"not with two args", store.Cond{Op: store.CondNot, Args: []store.Cond{eq(act, true), eq(act, false)}}},
			{"unknown operator", store.Cond{Op: 200, Field: un, Value: "x"}},
			{"unknown field", eq("nickName", "x")},
			{"nested bad", and(eq(act, true), or(eq("title", "x")))},
		} {
			c := bad.c
			_, _, err := tx.ListUsers(bg, f.org.ID, store.Query{Filter: &c, Page: store.Page{Limit: 10}})
			wantErr(t, bad.name, err, store.ErrInvalid)
		}
		return nil
	})
}

func testGroupFilters(t *testing.T, s store.Store) {
	o := newOrg(t, s, "o")
	alice := newUser(t, s, o.ID, "alice")
	bob := newUser(t, s, o.ID, "bob")
	admins := newGroup(t, s, o.ID, "Admins", func(g *store.Group) { g.ExternalID = "X" })
	eu := newGroup(t, s, o.ID, "admins-eu", func(g *store.Group) { g.Active = false })
	sales := newGroup(t, s, o.ID, "Sales", func(g *store.Group) { g.ExternalID = "x" })
	addMembers(t, s, o.ID, admins.ID, alice.ID, eu.ID)
	addMembers(t, s, o.ID, sales.ID, bob.ID)
	m := store.FieldMember
	cases := []struct {
		name string
		c    store.Cond
		want []string
	}{
		{"displayName eq folds", eq(store.FieldDisplayName, "ADMINS"), []string{"Admins"}},
		{"displayName sw", op(store.CondSw, store.FieldDisplayName, "admins"), []string{"Admins", "admins-eu"}},
		{"displayName ew", op(store.CondEw, store.FieldDisplayName, "-EU"), []string{"admins-eu"}},
		{"externalId exact", eq(store.FieldExternalID, "x"), []string{"Sales"}},
		{"externalId pr", op(store.CondPr, store.FieldExternalID, nil), []string{"Admins", "Sales"}},
		{"externalId ne", op(store.CondNe, store.FieldExternalID, "X"), []string{"admins-eu", "Sales"}},
		{"members eq user", eq(m, alice.ID), []string{"Admins"}},
		{"members eq group", eq(m, eu.ID), []string{"Admins"}},
		{"members eq unknown", eq(m, "nope"), nil},
		{"members pr", op(store.CondPr, m, nil), []string{"Admins", "Sales"}},
		{"members ne", op(store.CondNe, m, alice.ID), []string{"admins-eu", "Sales"}},
		{"not members pr", not(op(store.CondPr, m, nil)), []string{"admins-eu"}},
		{"active eq false", eq(store.FieldActive, false), []string{"admins-eu"}},
		{"id eq", eq(store.FieldID, sales.ID), []string{"Sales"}},
		{"created pr", op(store.CondPr, store.FieldCreated, nil), []string{"Admins", "admins-eu", "Sales"}},
		{"members and displayName", and(eq(m, bob.ID), op(store.CondCo, store.FieldDisplayName, "ale")), []string{"Sales"}},
	}
	view(t, s, func(tx store.Tx) error {
		for _, tc := range cases {
			c := tc.c
			got, total, err := tx.ListGroups(bg, o.ID, store.Query{Filter: &c, Page: store.Page{Limit: 100}})
			if err != nil {
				t.Errorf("%s: %v", tc.name, err)
				continue
			}
			if names := groupNames(got); !slices.Equal(names, tc.want) && !(len(names) == 0 && len(tc.want) == 0) {
				t.Errorf("%s: got %v, want %v", tc.name, names, tc.want)
			}
			if total != len(tc.want) {
				t.Errorf("%s: total %d, want %d", tc.name, total, len(tc.want))
			}
		}
		for _, bad := range []store.Cond{
			op(store.CondCo, m, "x"), eq(store.FieldUserName, "x"), eq(store.FieldEmail, "x"), eq(m, 1),
		} {
			c := bad
			_, _, err := tx.ListGroups(bg, o.ID, store.Query{Filter: &c, Page: store.Page{Limit: 10}})
			wantErr(t, fmt.Sprintf("ListGroups(%v %v)", c.Field, c.Op), err, store.ErrInvalid)
		}
		_, _, err := tx.ListGroups(bg, o.ID, store.Query{Sort: store.FieldMember, Page: store.Page{Limit: 10}})
		wantErr(t, "sort groups by members", err, store.ErrInvalid)
		return nil
	})
}

func testSortAndPage(t *testing.T, s store.Store) {
	f := newFilterFixture(t, s)
	byID := []string{"alice", "Bob", "carol", "Dave_1", "eve"}
	sort.Slice(byID, func(i, j int) bool { return f.users[byID[i]].ID < f.users[byID[j]].ID })
	rev := func(s []string) []string { r := slices.Clone(s); slices.Reverse(r); return r }
	seqOrder := []string{"alice", "Bob", "carol", "Dave_1", "eve"}
	cases := []struct {
		name string
		q    store.Query
		want []string
	}{
		{"default is seq", store.Query{}, seqOrder},
		{"seq desc", store.Query{Desc: true}, rev(seqOrder)},
		{"userName folds", store.Query{Sort: store.FieldUserName}, []string{"alice", "Bob", "carol", "Dave_1", "eve"}},
		{"userName desc", store.Query{Sort: store.FieldUserName, Desc: true}, []string{"eve", "Dave_1", "carol", "Bob", "alice"}},
		{"displayName (absent first)", store.Query{Sort: store.FieldDisplayName}, []string{"carol", "alice", "Bob", "Dave_1", "eve"}},
		{"externalId code point order", store.Query{Sort: store.FieldExternalID}, []string{"Bob", "alice", "carol", "eve", "Dave_1"}},
		{"created desc", store.Query{Sort: store.FieldCreated, Desc: true}, rev(seqOrder)},
		{"lastModified", store.Query{Sort: store.FieldLastModified}, []string{"alice", "carol", "Dave_1", "eve", "Bob"}},
		{"id", store.Query{Sort: store.FieldID}, byID},
		{"active, ties by seq", store.Query{Sort: store.FieldActive}, []string{"carol", "alice", "Bob", "Dave_1", "eve"}},
		{"offset+limit", store.Query{Page: store.Page{Offset: 1, Limit: 2}}, []string{"Bob", "carol"}},
		{"sorted offset+limit", store.Query{Sort: store.FieldUserName, Desc: true, Page: store.Page{Offset: 3, Limit: 5}}, []string{"Bob", "alice"}},
		{"offset past the end", store.Query{Page: store.Page{Offset: 10, Limit: 5}}, nil},
		{"cursor", store.Query{Page: store.Page{After: f.users["alice"].Seq, Limit: 2}}, []string{"Bob", "carol"}},
		{"cursor ignores offset", store.Query{Page: store.Page{After: f.users["carol"].Seq, Offset: 1, Limit: 10}}, []string{"Dave_1", "eve"}},
		{"cursor at the end", store.Query{Page: store.Page{After: f.users["eve"].Seq, Limit: 10}}, nil},
	}
	view(t, s, func(tx store.Tx) error {
		for _, tc := range cases {
			q := tc.q
			if q.Page.Limit == 0 {
				q.Page.Limit = 100
			}
			got, total, err := tx.ListUsers(bg, f.org.ID, q)
			if err != nil {
				t.Errorf("%s: %v", tc.name, err)
				continue
			}
			if names := userNames(got); !slices.Equal(names, tc.want) && !(len(names) == 0 && len(tc.want) == 0) {
				t.Errorf("%s: got %v, want %v", tc.name, names, tc.want)
			}
			if total != 5 {
				t.Errorf("%s: total %d, want 5", tc.name, total)
			}
		}
		// Limit 0: the total only.
		active := eq(store.FieldActive, true)
		got, total, err := tx.ListUsers(bg, f.org.ID, store.Query{Filter: &active})
		must(t, "ListUsers(limit 0)", err)
		if len(got) != 0 || total != 4 {
			t.Errorf("limit 0: %d items, total %d; want 0 items, total 4", len(got), total)
		}
		// SkipTotal still returns the page.
		got, _, err = tx.ListUsers(bg, f.org.ID, store.Query{SkipTotal: true, Page: store.Page{Limit: 2}})
		must(t, "ListUsers(SkipTotal)", err)
		if !slices.Equal(userNames(got), []string{"alice", "Bob"}) {
			t.Errorf("SkipTotal page = %v", userNames(got))
		}
		// EmailsFor: emails for the users it accepts, none for the others.
		all, _, err := tx.ListUsers(bg, f.org.ID, store.Query{Page: store.Page{Limit: 2}})
		must(t, "ListUsers", err)
		got, _, err = tx.ListUsers(bg, f.org.ID, store.Query{Page: store.Page{Limit: 2},
			EmailsFor: func(u store.User) bool { return u.UserName == "Bob" }})
		must(t, "ListUsers(EmailsFor)", err)
		if len(all) != 2 || len(all[0].Emails) == 0 || len(all[1].Emails) == 0 {
			t.Fatalf("fixture: alice and Bob should have emails: %+v", all)
		}
		if len(got) != 2 || len(got[0].Emails) != 0 || !slices.Equal(got[1].Emails, all[1].Emails) {
			t.Errorf("EmailsFor Bob: got %+v, want alice without emails and Bob with %v", got, all[1].Emails)
		}
		for _, bad := range []store.Field{store.FieldEmail, store.FieldMember, "nickName"} {
			_, _, err := tx.ListUsers(bg, f.org.ID, store.Query{Sort: bad, Page: store.Page{Limit: 1}})
			wantErr(t, "sort by "+string(bad), err, store.ErrInvalid)
		}
		// Groups page the same way.
		return nil
	})
	for i := 0; i < 5; i++ {
		newGroup(t, s, f.org.ID, fmt.Sprintf("g%d", 4-i))
	}
	view(t, s, func(tx store.Tx) error {
		gs, total, err := tx.ListGroups(bg, f.org.ID, store.Query{Sort: store.FieldDisplayName, Page: store.Page{Offset: 1, Limit: 2}})
		must(t, "ListGroups", err)
		if total != 5 || !slices.Equal(groupNames(gs), []string{"g1", "g2"}) {
			t.Errorf("ListGroups page = %v (%d)", groupNames(gs), total)
		}
		gs, _, err = tx.ListGroups(bg, f.org.ID, store.Query{Page: store.Page{After: gs[0].Seq, Limit: 10}})
		must(t, "ListGroups(after)", err)
		if !slices.Equal(groupNames(gs), []string{"g0"}) {
			t.Errorf("ListGroups after g1 = %v", groupNames(gs))
		}
		gs, total, err = tx.ListGroups(bg, f.org.ID, store.Query{})
		must(t, "ListGroups(count)", err)
		if len(gs) != 0 || total != 5 {
			t.Errorf("ListGroups(limit 0) = %d, %d", len(gs), total)
		}
		return nil
	})
}

// testCursorUnderInserts pages through users with the Seq cursor while other users are
// being created: every user that existed before paging began is seen exactly once, nothing
// is seen twice, and pages come in ascending Seq order.
func testCursorUnderInserts(t *testing.T, s store.Store) {
	o := newOrg(t, s, "o")
	before := map[string]bool{}
	update(t, s, func(tx store.Tx) error {
		for i := 0; i < 60; i++ {
			u, err := tx.CreateUser(bg, store.User{OrgID: o.ID, UserName: fmt.Sprintf("pre%03d", i), Active: true})
			if err != nil {
				return err
			}
			before[u.ID] = true
		}
		return nil
	})
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for w := 0; w < 2; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				err := s.Update(bg, func(tx store.Tx) error {
					_, err := tx.CreateUser(bg, store.User{OrgID: o.ID, UserName: fmt.Sprintf("new-%d-%d", w, i)})
					return err
				})
				if err != nil {
					t.Errorf("concurrent CreateUser: %v", err)
					return
				}
			}
		}()
	}
	seen := map[string]bool{}
	var after int64
	for pages := 0; pages < 1000; pages++ {
		var page []store.User
		view(t, s, func(tx store.Tx) error {
			var err error
			page, _, err = tx.ListUsers(bg, o.ID, store.Query{SkipTotal: true, Page: store.Page{After: after, Limit: 7}})
			return err
		})
		for _, u := range page {
			if seen[u.ID] {
				t.Fatalf("user %s seen twice", u.UserName)
			}
			if u.Seq <= after {
				t.Fatalf("user %s (seq %d) after cursor %d", u.UserName, u.Seq, after)
			}
			seen[u.ID] = true
			after = u.Seq
		}
		if len(page) < 7 && len(before) <= len(seen) {
			break
		}
		if pages == 20 {
			// Let the writers get well ahead of the cursor before finishing.
			time.Sleep(10 * time.Millisecond)
		}
	}
	close(stop)
	wg.Wait()
	for id := range before {
		if !seen[id] {
			t.Errorf("pre-existing user %s skipped", id)
		}
	}
}
