package storetest

import (
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/rolecall/rolecall/internal/store"
)

func init() {
	register(
		test{"Resources", testResources},
		test{"ServiceAccounts", testServiceAccounts},
		test{"Bindings", testBindings},
		test{"BulkBindings", testBulkBindings},
	)
}

func resourceNames(rs []store.Resource) []string {
	out := make([]string, len(rs))
	for i, r := range rs {
		out[i] = string(r.Kind) + ":" + r.Name
	}
	return out
}

func testResources(t *testing.T, s store.Store) {
	o := newOrg(t, s, "Org")
	prod := newResource(t, s, o.ID, store.KindCloud, "prod", "")
	dev := newResource(t, s, o.ID, store.KindCloud, "Dev", "")
	api := newResource(t, s, o.ID, store.KindProject, "api", prod.ID)
	web := newResource(t, s, o.ID, store.KindProject, "Web", dev.ID)
	if prod.ID == "" || api.ParentID != prod.ID || api.CreatedAt.IsZero() {
		t.Fatalf("CreateResource = %+v %+v", prod, api)
	}
	for _, tc := range []struct {
		name string
		r    store.Resource
		want error
	}{
		{"cloud name taken (case)", store.Resource{Kind: store.KindCloud, Name: "PROD"}, store.ErrConflict},
		{"project name taken in another cloud", store.Resource{Kind: store.KindProject, Name: "API", ParentID: dev.ID}, store.ErrConflict},
		{"project without cloud", store.Resource{Kind: store.KindProject, Name: "x"}, store.ErrInvalid},
		{"project in unknown cloud", store.Resource{Kind: store.KindProject, Name: "x", ParentID: "nope"}, store.ErrNotFound},
		{"project in a project", store.Resource{Kind: store.KindProject, Name: "x", ParentID: api.ID}, store.ErrInvalid},
		{"cloud with parent", store.Resource{Kind: store.KindCloud, Name: "x", ParentID: prod.ID}, store.ErrInvalid},
		{"organization", store.Resource{Kind: store.KindOrganization, Name: "x"}, store.ErrInvalid},
		{"bad kind", store.Resource{Kind: "folder", Name: "x"}, store.ErrInvalid},
		{"empty name", store.Resource{Kind: store.KindCloud, Name: ""}, store.ErrInvalid},
	} {
		r := tc.r
		r.OrgID = o.ID
		err := s.Update(bg, func(tx store.Tx) error { _, err := tx.CreateResource(bg, r); return err })
		wantErr(t, tc.name, err, tc.want)
	}
	// A project name may equal a cloud name: uniqueness is per kind.
	newResource(t, s, o.ID, store.KindProject, "prod", prod.ID)

	view(t, s, func(tx store.Tx) error {
		got, err := tx.Resource(bg, o.ID, api.ID)
		must(t, "Resource", err)
		if got.Name != "api" || got.Kind != store.KindProject || got.ParentID != prod.ID || !got.CreatedAt.Equal(api.CreatedAt) {
			t.Errorf("Resource = %+v", got)
		}
		got, err = tx.ResourceByName(bg, o.ID, store.KindCloud, "DEV")
		must(t, "ResourceByName", err)
		if got.ID != dev.ID {
			t.Errorf("ResourceByName = %+v", got)
		}
		_, err = tx.ResourceByName(bg, o.ID, store.KindProject, "dev")
		wantErr(t, "ResourceByName(wrong kind)", err, store.ErrNotFound)
		_, err = tx.Resource(bg, o.ID, "nope")
		wantErr(t, "Resource(nope)", err, store.ErrNotFound)
		all, err := tx.ListResources(bg, o.ID, "", "")
		must(t, "ListResources", err)
		want := []string{"organization:Org", "cloud:Dev", "cloud:prod", "project:api", "project:prod", "project:Web"}
		if !slices.Equal(resourceNames(all), want) {
			t.Errorf("ListResources = %v, want %v", resourceNames(all), want)
		}
		ps, err := tx.ListResources(bg, o.ID, store.KindProject, prod.ID)
		must(t, "ListResources(projects of prod)", err)
		if !slices.Equal(resourceNames(ps), []string{"project:api", "project:prod"}) {
			t.Errorf("projects of prod = %v", resourceNames(ps))
		}
		cs, err := tx.ListResources(bg, o.ID, store.KindCloud, "")
		must(t, "ListResources(clouds)", err)
		if !slices.Equal(resourceNames(cs), []string{"cloud:Dev", "cloud:prod"}) {
			t.Errorf("clouds = %v", resourceNames(cs))
		}
		return nil
	})

	update(t, s, func(tx store.Tx) error {
		r, err := tx.RenameResource(bg, o.ID, web.ID, "frontend")
		if err != nil {
			return err
		}
		if r.Name != "frontend" || r.ParentID != dev.ID {
			t.Errorf("RenameResource = %+v", r)
		}
		return nil
	})
	orgRes := func() store.Resource {
		var r store.Resource
		view(t, s, func(tx store.Tx) error { var err error; r, err = tx.OrgResource(bg, o.ID); return err })
		return r
	}()
	for _, tc := range []struct {
		name string
		fn   func(tx store.Tx) error
		want error
	}{
		{"rename onto taken name", func(tx store.Tx) error { _, err := tx.RenameResource(bg, o.ID, web.ID, "API"); return err }, store.ErrConflict},
		{"rename unknown", func(tx store.Tx) error { _, err := tx.RenameResource(bg, o.ID, "nope", "x"); return err }, store.ErrNotFound},
		{"rename to empty", func(tx store.Tx) error { _, err := tx.RenameResource(bg, o.ID, web.ID, ""); return err }, store.ErrInvalid},
		{"rename organization", func(tx store.Tx) error { _, err := tx.RenameResource(bg, o.ID, orgRes.ID, "x"); return err }, store.ErrInvalid},
		{"delete organization", func(tx store.Tx) error { _, err := tx.DeleteResource(bg, o.ID, orgRes.ID); return err }, store.ErrInvalid},
		{"delete cloud with projects", func(tx store.Tx) error { _, err := tx.DeleteResource(bg, o.ID, prod.ID); return err }, store.ErrInvalid},
		{"delete unknown", func(tx store.Tx) error { _, err := tx.DeleteResource(bg, o.ID, "nope"); return err }, store.ErrNotFound},
	} {
		wantErr(t, tc.name, s.Update(bg, tc.fn), tc.want)
	}

	u := newUser(t, s, o.ID, "u")
	b1 := grant(t, s, o.ID, web.ID, store.PrincipalUser, u.ID, "owner")
	b2 := grant(t, s, o.ID, dev.ID, store.PrincipalUser, u.ID, "readonly")
	update(t, s, func(tx store.Tx) error {
		r, err := tx.DeleteResource(bg, o.ID, web.ID)
		if err != nil {
			return err
		}
		if r.ID != web.ID || r.Name != "frontend" {
			t.Errorf("DeleteResource returned %+v", r)
		}
		_, err = tx.DeleteResource(bg, o.ID, dev.ID) // now empty
		return err
	})
	view(t, s, func(tx store.Tx) error {
		for _, id := range []string{b1.ID, b2.ID} {
			_, err := tx.Binding(bg, o.ID, id)
			wantErr(t, "binding of deleted resource", err, store.ErrNotFound)
		}
		_, err := tx.Resource(bg, o.ID, web.ID)
		wantErr(t, "deleted resource", err, store.ErrNotFound)
		return nil
	})
	newResource(t, s, o.ID, store.KindCloud, "dev", "") // name free again
}

func testServiceAccounts(t *testing.T, s store.Store) {
	o := newOrg(t, s, "o")
	var ci store.ServiceAccount
	update(t, s, func(tx store.Tx) error {
		var err error
		ci, err = tx.CreateServiceAccount(bg, store.ServiceAccount{OrgID: o.ID, Name: "CI"})
		if err != nil {
			return err
		}
		_, err = tx.CreateServiceAccount(bg, store.ServiceAccount{OrgID: o.ID, Name: "backup"})
		return err
	})
	if ci.ID == "" || ci.CreatedAt.IsZero() {
		t.Fatalf("CreateServiceAccount = %+v", ci)
	}
	err := s.Update(bg, func(tx store.Tx) error {
		_, err := tx.CreateServiceAccount(bg, store.ServiceAccount{OrgID: o.ID, Name: "ci"})
		return err
	})
	wantErr(t, "CreateServiceAccount(dup)", err, store.ErrConflict)
	err = s.Update(bg, func(tx store.Tx) error {
		_, err := tx.CreateServiceAccount(bg, store.ServiceAccount{OrgID: o.ID})
		return err
	})
	wantErr(t, "CreateServiceAccount(no name)", err, store.ErrInvalid)
	view(t, s, func(tx store.Tx) error {
		got, err := tx.ServiceAccount(bg, o.ID, ci.ID)
		must(t, "ServiceAccount", err)
		if got.Name != "CI" || !got.CreatedAt.Equal(ci.CreatedAt) {
			t.Errorf("ServiceAccount = %+v", got)
		}
		got, err = tx.ServiceAccountByName(bg, o.ID, "ci")
		must(t, "ServiceAccountByName", err)
		if got.ID != ci.ID {
			t.Errorf("ServiceAccountByName = %+v", got)
		}
		list, err := tx.ListServiceAccounts(bg, o.ID)
		must(t, "ListServiceAccounts", err)
		if len(list) != 2 || list[0].Name != "backup" || list[1].Name != "CI" {
			t.Errorf("ListServiceAccounts = %+v", list)
		}
		_, err = tx.ServiceAccount(bg, o.ID, "nope")
		wantErr(t, "ServiceAccount(nope)", err, store.ErrNotFound)
		return nil
	})
	cloud := newResource(t, s, o.ID, store.KindCloud, "c", "")
	b := grant(t, s, o.ID, cloud.ID, store.PrincipalServiceAccount, ci.ID, "collaborator")
	update(t, s, func(tx store.Tx) error {
		got, err := tx.DeleteServiceAccount(bg, o.ID, ci.ID)
		if err != nil {
			return err
		}
		if got.ID != ci.ID {
			t.Errorf("DeleteServiceAccount returned %+v", got)
		}
		_, err = tx.Binding(bg, o.ID, b.ID)
		wantErr(t, "binding of deleted service account", err, store.ErrNotFound)
		_, err = tx.DeleteServiceAccount(bg, o.ID, ci.ID)
		wantErr(t, "DeleteServiceAccount twice", err, store.ErrNotFound)
		return nil
	})
}

func testBindings(t *testing.T, s store.Store) {
	o := newOrg(t, s, "o")
	other := newOrg(t, s, "other")
	u := newUser(t, s, o.ID, "u")
	g := newGroup(t, s, o.ID, "g")
	cloud := newResource(t, s, o.ID, store.KindCloud, "c", "")
	proj := newResource(t, s, o.ID, store.KindProject, "p", cloud.ID)
	foreignCloud := newResource(t, s, other.ID, store.KindCloud, "fc", "")
	foreignUser := newUser(t, s, other.ID, "fu")
	var sa store.ServiceAccount
	update(t, s, func(tx store.Tx) error {
		var err error
		sa, err = tx.CreateServiceAccount(bg, store.ServiceAccount{OrgID: o.ID, Name: "sa"})
		return err
	})

	at := time.Date(2022, 2, 2, 2, 2, 2, 2000, time.UTC)
	var b store.Binding
	update(t, s, func(tx store.Tx) error {
		var created bool
		var err error
		b, created, err = tx.CreateBinding(bg, store.Binding{OrgID: o.ID, ResourceID: cloud.ID, PrincipalType: store.PrincipalUser,
			PrincipalID: u.ID, Role: "owner", CreatedAt: at, CreatedBy: "admin"})
		if err != nil {
			return err
		}
		if !created || b.ID == "" || !b.CreatedAt.Equal(at) || b.CreatedBy != "admin" {
			t.Errorf("CreateBinding = %+v, %v", b, created)
		}
		again, created, err := tx.CreateBinding(bg, store.Binding{OrgID: o.ID, ResourceID: cloud.ID, PrincipalType: store.PrincipalUser,
			PrincipalID: u.ID, Role: "owner", CreatedBy: "someone else"})
		if err != nil {
			return err
		}
		if created || again.ID != b.ID || again.CreatedBy != "admin" || !again.CreatedAt.Equal(at) {
			t.Errorf("idempotent CreateBinding = %+v, created %v", again, created)
		}
		return nil
	})
	gb := grant(t, s, o.ID, proj.ID, store.PrincipalGroup, g.ID, "readonly")
	sb := grant(t, s, o.ID, proj.ID, store.PrincipalServiceAccount, sa.ID, "collaborator")
	ub := grant(t, s, o.ID, proj.ID, store.PrincipalUser, u.ID, "readonly")

	for _, tc := range []struct {
		name string
		b    store.Binding
		want error
	}{
		{"unknown resource", store.Binding{ResourceID: "nope", PrincipalType: store.PrincipalUser, PrincipalID: u.ID, Role: "owner"}, store.ErrNotFound},
		{"resource of another org", store.Binding{ResourceID: foreignCloud.ID, PrincipalType: store.PrincipalUser, PrincipalID: u.ID, Role: "owner"}, store.ErrNotFound},
		{"unknown user", store.Binding{ResourceID: cloud.ID, PrincipalType: store.PrincipalUser, PrincipalID: "nope", Role: "owner"}, store.ErrNotFound},
		{"user of another org", store.Binding{ResourceID: cloud.ID, PrincipalType: store.PrincipalUser, PrincipalID: foreignUser.ID, Role: "owner"}, store.ErrNotFound},
		{"group id as user", store.Binding{ResourceID: cloud.ID, PrincipalType: store.PrincipalUser, PrincipalID: g.ID, Role: "owner"}, store.ErrNotFound},
		{"unknown group", store.Binding{ResourceID: cloud.ID, PrincipalType: store.PrincipalGroup, PrincipalID: u.ID, Role: "owner"}, store.ErrNotFound},
		{"unknown service account", store.Binding{ResourceID: cloud.ID, PrincipalType: store.PrincipalServiceAccount, PrincipalID: u.ID, Role: "owner"}, store.ErrNotFound},
		{"bad principal type", store.Binding{ResourceID: cloud.ID, PrincipalType: "robot", PrincipalID: u.ID, Role: "owner"}, store.ErrInvalid},
		{"no role", store.Binding{ResourceID: cloud.ID, PrincipalType: store.PrincipalUser, PrincipalID: u.ID}, store.ErrInvalid},
	} {
		bb := tc.b
		bb.OrgID = o.ID
		err := s.Update(bg, func(tx store.Tx) error { _, _, err := tx.CreateBinding(bg, bb); return err })
		wantErr(t, "CreateBinding "+tc.name, err, tc.want)
	}

	view(t, s, func(tx store.Tx) error {
		got, err := tx.Binding(bg, o.ID, b.ID)
		must(t, "Binding", err)
		if got != b {
			t.Errorf("Binding = %+v, want %+v", got, b)
		}
		got, err = tx.FindBinding(bg, o.ID, proj.ID, store.PrincipalGroup, g.ID, "readonly")
		must(t, "FindBinding", err)
		if got.ID != gb.ID {
			t.Errorf("FindBinding = %+v", got)
		}
		_, err = tx.FindBinding(bg, o.ID, proj.ID, store.PrincipalGroup, g.ID, "owner")
		wantErr(t, "FindBinding(other role)", err, store.ErrNotFound)
		ids := func(bs []store.Binding) []string {
			var out []string
			for _, b := range bs {
				out = append(out, b.ID)
			}
			slices.Sort(out)
			return out
		}
		sorted := func(s ...string) []string { slices.Sort(s); return s }
		for _, tc := range []struct {
			name string
			f    store.BindingFilter
			want []string
		}{
			{"all", store.BindingFilter{}, sorted(b.ID, gb.ID, sb.ID, ub.ID)},
			{"resource", store.BindingFilter{ResourceID: proj.ID}, sorted(gb.ID, sb.ID, ub.ID)},
			{"principal type", store.BindingFilter{PrincipalType: store.PrincipalUser}, sorted(b.ID, ub.ID)},
			{"principal", store.BindingFilter{PrincipalType: store.PrincipalUser, PrincipalID: u.ID}, sorted(b.ID, ub.ID)},
			{"all three", store.BindingFilter{ResourceID: proj.ID, PrincipalType: store.PrincipalServiceAccount, PrincipalID: sa.ID}, []string{sb.ID}},
			{"nothing", store.BindingFilter{ResourceID: "nope"}, nil},
		} {
			got, err := tx.ListBindings(bg, o.ID, tc.f)
			must(t, "ListBindings "+tc.name, err)
			if !slices.Equal(ids(got), tc.want) {
				t.Errorf("ListBindings %s = %v, want %v", tc.name, ids(got), tc.want)
			}
		}
		for _, tc := range []struct {
			name string
			pt   store.PrincipalType
			in   []string
			want []string
		}{
			{"one user", store.PrincipalUser, []string{u.ID}, sorted(b.ID, ub.ID)},
			{"duplicates and unknown ids", store.PrincipalUser, []string{u.ID, "nope", u.ID, ""}, sorted(b.ID, ub.ID)},
			{"a group", store.PrincipalGroup, []string{g.ID, u.ID}, []string{gb.ID}},
			{"type decides", store.PrincipalGroup, []string{u.ID}, nil},
			{"service account", store.PrincipalServiceAccount, []string{sa.ID}, []string{sb.ID}},
			{"another org's user", store.PrincipalUser, []string{foreignUser.ID}, nil},
			{"none", store.PrincipalUser, nil, nil},
		} {
			got, err := tx.BindingsOf(bg, o.ID, tc.pt, tc.in)
			must(t, "BindingsOf "+tc.name, err)
			if !slices.Equal(ids(got), tc.want) {
				t.Errorf("BindingsOf %s = %v, want %v", tc.name, ids(got), tc.want)
			}
			for _, x := range got {
				if x.ID == b.ID && x != b {
					t.Errorf("BindingsOf %s: %+v, want %+v", tc.name, x, b)
				}
			}
		}
		var all []store.Binding
		must(t, "AllBindings", tx.AllBindings(bg, o.ID, func(b store.Binding) error { all = append(all, b); return nil }))
		if !slices.Equal(ids(all), sorted(b.ID, gb.ID, sb.ID, ub.ID)) {
			t.Errorf("AllBindings = %v", ids(all))
		}
		return nil
	})
	update(t, s, func(tx store.Tx) error {
		got, err := tx.DeleteBinding(bg, o.ID, b.ID)
		if err != nil {
			return err
		}
		if got.ID != b.ID || got.Role != "owner" {
			t.Errorf("DeleteBinding returned %+v", got)
		}
		_, err = tx.DeleteBinding(bg, o.ID, b.ID)
		wantErr(t, "DeleteBinding twice", err, store.ErrNotFound)
		n, err := tx.DeleteBindings(bg, o.ID, []string{gb.ID, sb.ID, "nope", gb.ID})
		if err != nil {
			return err
		}
		if n != 2 {
			t.Errorf("DeleteBindings = %d, want 2", n)
		}
		return nil
	})
	// Re-insert as they were (undo): id, time and author kept.
	update(t, s, func(tx store.Tx) error { return tx.InsertBindings(bg, o.ID, []store.Binding{b, gb, sb}) })
	view(t, s, func(tx store.Tx) error {
		for _, want := range []store.Binding{b, gb, sb} {
			got, err := tx.Binding(bg, o.ID, want.ID)
			must(t, "Binding after InsertBindings", err)
			if got != want {
				t.Errorf("reinserted %+v, want %+v", got, want)
			}
		}
		return nil
	})
	for _, tc := range []struct {
		name string
		bs   []store.Binding
		want error
	}{
		{"existing id", []store.Binding{b}, store.ErrConflict},
		{"existing grant, new id", []store.Binding{{ID: "new-1", ResourceID: b.ResourceID, PrincipalType: b.PrincipalType, PrincipalID: b.PrincipalID, Role: b.Role}}, store.ErrConflict},
		{"unknown principal", []store.Binding{{ID: "new-2", ResourceID: cloud.ID, PrincipalType: store.PrincipalUser, PrincipalID: "nope", Role: "owner"}}, store.ErrNotFound},
		{"foreign resource", []store.Binding{{ID: "new-3", ResourceID: foreignCloud.ID, PrincipalType: store.PrincipalUser, PrincipalID: u.ID, Role: "owner"}}, store.ErrNotFound},
		{"foreign principal", []store.Binding{{ID: "new-4", ResourceID: cloud.ID, PrincipalType: store.PrincipalUser, PrincipalID: foreignUser.ID, Role: "owner"}}, store.ErrNotFound},
	} {
		bs := tc.bs
		err := s.Update(bg, func(tx store.Tx) error { return tx.InsertBindings(bg, o.ID, bs) })
		wantErr(t, "InsertBindings "+tc.name, err, tc.want)
	}
	view(t, s, func(tx store.Tx) error {
		bs, err := tx.ListBindings(bg, o.ID, store.BindingFilter{})
		must(t, "ListBindings", err)
		if len(bs) != 4 {
			t.Errorf("after refused inserts: %d bindings, want 4", len(bs))
		}
		return nil
	})
}

// testBulkBindings exercises the batched paths with more rows than one batch.
func testBulkBindings(t *testing.T, s store.Store) {
	o := newOrg(t, s, "o")
	cloud := newResource(t, s, o.ID, store.KindCloud, "c", "")
	const n = 1200
	var users []store.User
	update(t, s, func(tx store.Tx) error {
		for i := 0; i < n; i++ {
			u, err := tx.CreateUser(bg, store.User{OrgID: o.ID, UserName: "u" + strconv.Itoa(i), Active: true})
			if err != nil {
				return err
			}
			users = append(users, u)
		}
		return nil
	})
	bs := make([]store.Binding, n)
	at := store.Now()
	for i, u := range users {
		bs[i] = store.Binding{ID: "bulk-" + strconv.Itoa(i), ResourceID: cloud.ID, PrincipalType: store.PrincipalUser,
			PrincipalID: u.ID, Role: "readonly", CreatedAt: at, CreatedBy: "undo"}
	}
	update(t, s, func(tx store.Tx) error { return tx.InsertBindings(bg, o.ID, bs) })
	count := func() int {
		c := 0
		view(t, s, func(tx store.Tx) error {
			return tx.AllBindings(bg, o.ID, func(store.Binding) error { c++; return nil })
		})
		return c
	}
	if c := count(); c != n {
		t.Fatalf("AllBindings after InsertBindings(%d) = %d", n, c)
	}
	ids := make([]string, 0, n)
	for _, b := range bs[:n-100] {
		ids = append(ids, b.ID)
	}
	update(t, s, func(tx store.Tx) error {
		got, err := tx.DeleteBindings(bg, o.ID, ids)
		if err != nil {
			return err
		}
		if got != n-100 {
			t.Errorf("DeleteBindings = %d, want %d", got, n-100)
		}
		return nil
	})
	if c := count(); c != 100 {
		t.Errorf("after DeleteBindings: %d left, want 100", c)
	}
}
