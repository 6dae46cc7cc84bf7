package decision

import (
	"errors"
	"fmt"
	"slices"
	"testing"

	"pgregory.net/rapid"

	"github.com/rolecall/rolecall/internal/access"
	"github.com/rolecall/rolecall/internal/access/accesstest"
)

// model applies a change to an access.State the way the index applies it, so that the
// index can be checked against access.NewIndex of the changed State.
func model(s *access.State, c Change) {
	upsert := func(n int, id func(int) string, wantID string, set func(int), add func()) {
		for i := range n {
			if id(i) == wantID {
				set(i)
				return
			}
		}
		add()
	}
	switch c := c.(type) {
	case UserUpserted:
		upsert(len(s.Users), func(i int) string { return s.Users[i].ID }, c.ID,
			func(i int) { s.Users[i] = access.User(c) }, func() { s.Users = append(s.Users, access.User(c)) })
	case UserDeleted:
		s.Users = slices.DeleteFunc(s.Users, func(u access.User) bool { return u.ID == c.ID })
	case GroupUpserted:
		upsert(len(s.Groups), func(i int) string { return s.Groups[i].ID }, c.ID,
			func(i int) { s.Groups[i] = access.Group(c) }, func() { s.Groups = append(s.Groups, access.Group(c)) })
	case GroupDeleted:
		s.Groups = slices.DeleteFunc(s.Groups, func(g access.Group) bool { return g.ID == c.ID })
	case MembershipAdded:
		if !slices.Contains(s.Memberships, access.Membership(c)) {
			s.Memberships = append(s.Memberships, access.Membership(c))
		}
	case MembershipRemoved:
		s.Memberships = slices.DeleteFunc(s.Memberships, func(m access.Membership) bool { return m == access.Membership(c) })
	case BindingAdded:
		upsert(len(s.Bindings), func(i int) string { return s.Bindings[i].ID }, c.ID,
			func(i int) { s.Bindings[i] = access.Binding(c) }, func() { s.Bindings = append(s.Bindings, access.Binding(c)) })
	case BindingRemoved:
		s.Bindings = slices.DeleteFunc(s.Bindings, func(b access.Binding) bool { return b.ID == c.ID })
	case ResourceUpserted:
		upsert(len(s.Resources), func(i int) string { return s.Resources[i].ID }, c.ID,
			func(i int) { s.Resources[i] = access.Resource(c) }, func() { s.Resources = append(s.Resources, access.Resource(c)) })
	case ResourceDeleted:
		s.Resources = slices.DeleteFunc(s.Resources, func(r access.Resource) bool { return r.ID == c.ID })
	case ServiceAccountUpserted:
		upsert(len(s.ServiceAccounts), func(i int) string { return s.ServiceAccounts[i].ID }, c.ID,
			func(i int) { s.ServiceAccounts[i] = access.ServiceAccount(c) },
			func() { s.ServiceAccounts = append(s.ServiceAccounts, access.ServiceAccount(c)) })
	case ServiceAccountDeleted:
		s.ServiceAccounts = slices.DeleteFunc(s.ServiceAccounts, func(a access.ServiceAccount) bool { return a.ID == c.ID })
	}
}

// drawChange draws one change over the IDs of s plus a few that do not exist yet, so that
// references to records created later (and to deleted ones) are exercised. Names derive
// from IDs, in mixed case, so they stay unique per kind after folding.
func drawChange(t *rapid.T, s *access.State, seq *int) Change {
	*seq++
	pick := func(label string, ids []string, fresh string) string {
		ids = append(ids, fresh)
		return rapid.SampledFrom(ids).Draw(t, label)
	}
	var users, groups, accounts, resources, bindings []string
	for _, u := range s.Users {
		users = append(users, u.ID)
	}
	for _, g := range s.Groups {
		groups = append(groups, g.ID)
	}
	for _, a := range s.ServiceAccounts {
		accounts = append(accounts, a.ID)
	}
	for _, r := range s.Resources {
		resources = append(resources, r.ID)
	}
	for _, b := range s.Bindings {
		bindings = append(bindings, b.ID)
	}
	newUser, newGroup := fmt.Sprint("u", 100+*seq%7), fmt.Sprint("g", 100+*seq%5)
	switch rapid.IntRange(0, 13).Draw(t, "change") {
	case 0, 1:
		id := pick("user", users, newUser)
		return UserUpserted{ID: id, UserName: "User-" + id + "@Example.COM",
			Active: rapid.IntRange(0, 3).Draw(t, "active") > 0, Removed: rapid.IntRange(0, 4).Draw(t, "removed") == 0}
	case 2:
		return UserDeleted{ID: pick("user", users, newUser)}
	case 3:
		id := pick("group", groups, newGroup)
		return GroupUpserted{ID: id, DisplayName: "Group-" + id, Active: rapid.IntRange(0, 3).Draw(t, "active") > 0}
	case 4:
		return GroupDeleted{ID: pick("group", groups, newGroup)}
	case 5, 6:
		m := access.Membership{GroupID: pick("group", groups, newGroup), MemberType: access.PrincipalUser, MemberID: pick("member", users, newUser)}
		if rapid.Bool().Draw(t, "nested") {
			m.MemberType, m.MemberID = access.PrincipalGroup, pick("member", groups, newGroup)
		}
		return MembershipAdded(m)
	case 7:
		if len(s.Memberships) == 0 {
			return BindingRemoved{ID: "none"}
		}
		return MembershipRemoved(rapid.SampledFrom(s.Memberships).Draw(t, "membership"))
	case 8, 9:
		rid := pick("resource", resources, "c9")
		kind := access.KindCloud
		for _, r := range s.Resources {
			if r.ID == rid {
				kind = r.Kind
			}
		}
		valid := access.ValidRoles(kind)
		b := access.Binding{ID: pick("binding", bindings, fmt.Sprint("nb", *seq)), ResourceID: rid,
			Role: rapid.SampledFrom(valid).Draw(t, "role")}
		switch rapid.IntRange(0, 2).Draw(t, "principalType") {
		case 0:
			b.PrincipalType, b.PrincipalID = access.PrincipalUser, pick("principal", users, newUser)
		case 1:
			b.PrincipalType, b.PrincipalID = access.PrincipalGroup, pick("principal", groups, newGroup)
		default:
			b.PrincipalType, b.PrincipalID = access.PrincipalServiceAccount, pick("principal", accounts, "sa9")
		}
		return BindingAdded(b)
	case 10:
		return BindingRemoved{ID: pick("binding", bindings, "none")}
	case 11:
		id := pick("resource", resources, rapid.SampledFrom([]string{"c9", "p9"}).Draw(t, "newResource"))
		r := access.Resource{ID: id, Kind: access.KindCloud, Name: "Cloud-" + id}
		if id == "p9" {
			// A new project, in a cloud that may not exist (yet, or any more), perhaps public.
			r = access.Resource{ID: id, Kind: access.KindProject, Name: "Project-" + id,
				ParentID: pick("parent", resources, "c9"), Public: rapid.Bool().Draw(t, "public")}
		}
		for _, old := range s.Resources {
			if old.ID == id {
				r = old
				r.Name = fmt.Sprintf("%s-r%d", old.ID, *seq) // a rename, unique per kind
				if rapid.Bool().Draw(t, "toggleVisibility") {
					r.Public = !r.Public // also on clouds and the org, where it must mean nothing
				}
			}
		}
		if rapid.IntRange(0, 5).Draw(t, "deleteResource") == 0 {
			return ResourceDeleted{ID: id}
		}
		return ResourceUpserted(r)
	case 12:
		id := pick("account", accounts, "sa9")
		if rapid.Bool().Draw(t, "deleteAccount") {
			return ServiceAccountDeleted{ID: id}
		}
		return ServiceAccountUpserted{ID: id, Name: "SA-" + id}
	default:
		return ActionsReplaced{Actions: []CustomAction{{Name: "deploy", Project: access.RoleCollaborator}}}
	}
}

// checkAgainstAccess compares every decision of ix with access.NewIndex(s).
func checkAgainstAccess(t *rapid.T, ix *Index, s *access.State) {
	ref := access.NewIndex(s)
	for _, u := range s.Users {
		for _, r := range s.Resources {
			want, err := ref.EffectiveRole(u.ID, r.ID)
			if err != nil {
				t.Fatal(err)
			}
			ex, err := ref.Explain(u.ID, r.ID)
			if err != nil {
				t.Fatal(err)
			}
			for _, byID := range []bool{true, false} {
				id := u.ID
				if !byID {
					id = u.UserName
				}
				d := ix.Evaluate(Query{Subject: Subject{Type: SubjectUser, ID: id, ByID: byID}, Action: "read",
					Resource: Resource{Kind: r.Kind, Name: r.Name}, Explain: true})
				if d.Role != want.Role || d.Implicit != want.Implicit || d.Public != want.Public {
					t.Fatalf("user %s (byID %v) on %s: index says %v implicit=%v public=%v, access says %+v (%s)",
						u.ID, byID, r.ID, d.Role, d.Implicit, d.Public, want, d.Message())
				}
				if !slices.EqualFunc(d.Sources, ex.Sources, sourceEqual) {
					t.Fatalf("user %s on %s: sources\n got %+v\nwant %+v", u.ID, r.ID, d.Sources, ex.Sources)
				}
				if d.Allowed != (want.Role >= access.RoleReadonly) {
					t.Fatalf("user %s on %s: allowed=%v with role %v", u.ID, r.ID, d.Allowed, want.Role)
				}
			}
		}
	}
	for _, a := range s.ServiceAccounts {
		for _, r := range s.Resources {
			want, err := ref.ServiceAccountRole(a.ID, r.ID)
			if err != nil {
				t.Fatal(err)
			}
			d := ix.Evaluate(Query{Subject: Subject{Type: SubjectServiceAccount, ID: a.Name},
				Action: "read", Resource: Resource{Kind: r.Kind, Name: r.Name}})
			if d.Role != want.Role || d.Implicit != want.Implicit || d.Public != want.Public {
				t.Fatalf("service account %s on %s: index says %v/%v/%v, access says %+v", a.ID, r.ID, d.Role, d.Implicit, d.Public, want)
			}
		}
	}
}

func sourceEqual(a, b access.Source) bool {
	return a.Kind == b.Kind && a.Role == b.Role && a.BindingID == b.BindingID && a.GroupID == b.GroupID &&
		a.GroupName == b.GroupName && slices.Equal(a.Path, b.Path)
}

// checkSearches checks every search against Evaluate: a search lists exactly the entities
// for which Evaluate allows, and paging with a small limit walks them all once, in order.
func checkSearches(t *rapid.T, ix *Index, s *access.State) {
	limit := rapid.IntRange(1, 3).Draw(t, "limit")
	for _, action := range []string{"read", "write", "owner", "deploy"} {
		for _, r := range s.Resources {
			res := Resource{Kind: r.Kind, Name: r.Name}
			for _, typ := range []SubjectType{SubjectUser, SubjectServiceAccount} {
				got := walk(func(p Page) Results[SubjectResult] { return ix.SearchSubjects(typ, action, res, p) }, limit,
					func(s SubjectResult) string { return key(Fold(s.Name), s.ID) })
				var want []string
				names := map[string]string{}
				if typ == SubjectUser {
					for _, u := range s.Users {
						names[u.ID] = u.UserName
					}
				} else {
					for _, a := range s.ServiceAccounts {
						names[a.ID] = a.Name
					}
				}
				for id, name := range names {
					if ix.Evaluate(Query{Subject: Subject{Type: typ, ID: id, ByID: true}, Action: action, Resource: res}).Allowed {
						want = append(want, key(Fold(name), id))
					}
				}
				slices.Sort(want)
				if !slices.Equal(got, want) {
					t.Fatalf("subject search %s %s on %s: got %q, want %q", typ, action, r.ID, got, want)
				}
			}
		}
		for _, u := range s.Users {
			sub := Subject{Type: SubjectUser, ID: u.ID, ByID: true}
			for _, k := range []access.Kind{access.KindOrganization, access.KindCloud, access.KindProject} {
				got := walk(func(p Page) Results[ResourceResult] { return ix.SearchResources(sub, action, k, p) }, limit,
					func(r ResourceResult) string { return key(Fold(r.Name), r.ID) })
				var want []string
				for _, r := range s.Resources {
					if r.Kind == k && ix.Evaluate(Query{Subject: sub, Action: action, Resource: Resource{Kind: k, Name: r.Name}}).Allowed {
						want = append(want, key(Fold(r.Name), r.ID))
					}
				}
				slices.Sort(want)
				if !slices.Equal(got, want) {
					t.Fatalf("resource search %s %s %s: got %q, want %q", u.ID, action, k, got, want)
				}
			}
		}
	}
	for _, u := range s.Users {
		for _, r := range s.Resources {
			sub, res := Subject{Type: SubjectUser, ID: u.ID, ByID: true}, Resource{Kind: r.Kind, Name: r.Name}
			got := walk(func(p Page) Results[string] { return ix.SearchActions(sub, res, p) }, limit, func(a string) string { return a })
			var want []string
			for _, a := range ix.actionNames {
				if ix.Evaluate(Query{Subject: sub, Action: a, Resource: res}).Allowed {
					want = append(want, a)
				}
			}
			if !slices.Equal(got, want) {
				t.Fatalf("action search %s on %s: got %q, want %q", u.ID, r.ID, got, want)
			}
		}
	}
}

// walk pages through a search and returns the keys of all results.
func walk[T any](search func(Page) Results[T], limit int, keyOf func(T) string) []string {
	var keys []string
	p := Page{Limit: limit}
	for range 1000 {
		res := search(p)
		for _, it := range res.Items {
			keys = append(keys, keyOf(it))
		}
		if res.Next == "" {
			return keys
		}
		p.After = res.Next
	}
	panic("paging does not end")
}

// TestIndexMatchesAccess is the index's contract: built from a random State (public
// projects included) and changed by random batches (projects created, made public or
// private, their clouds deleted), every decision (effective role, implicit and public
// flags, Explain sources) equals
// access.NewIndex's on the equally changed State, every search agrees with Evaluate, and
// the revision only grows.
func TestIndexMatchesAccess(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		s := accesstest.Draw(t, accesstest.Options{Storable: rapid.Bool().Draw(t, "storable"), Public: true})
		ix := New(s, 1)
		checkAgainstAccess(t, ix, s)
		seq := 0
		for batch := range rapid.IntRange(1, 6).Draw(t, "batches") {
			var changes []Change
			for range rapid.IntRange(0, 5).Draw(t, "batchSize") {
				c := drawChange(t, s, &seq)
				model(s, c)
				changes = append(changes, c)
			}
			rev := uint64(batch + 2)
			if err := ix.Apply(rev, changes...); err != nil {
				t.Fatal(err)
			}
			if err := ix.Apply(rev, UserDeleted{ID: "u0"}); !errors.Is(err, ErrStaleRevision) {
				t.Fatalf("re-applying revision %d: %v, want ErrStaleRevision", rev, err)
			}
			if ix.Revision() != rev {
				t.Fatalf("revision %d after applying %d", ix.Revision(), rev)
			}
			checkAgainstAccess(t, ix, s)
		}
		checkSearches(t, ix, s)
	})
}
