package storetest

import (
	"testing"

	"github.com/rolecall/rolecall/internal/store"
)

func init() {
	register(test{"ProjectVisibility", testProjectVisibility})
}

// testProjectVisibility: projects are private unless created public; SetResourcePublic
// flips a project and refuses clouds and the organization; every read returns the flag.
func testProjectVisibility(t *testing.T, s store.Store) {
	o := newOrg(t, s, "Org")
	cloud := newResource(t, s, o.ID, store.KindCloud, "prod", "")
	private := newResource(t, s, o.ID, store.KindProject, "api", cloud.ID)
	if private.Public || cloud.Public {
		t.Fatalf("new resources are public: %+v %+v", cloud, private)
	}
	var public store.Resource
	update(t, s, func(tx store.Tx) (err error) {
		public, err = tx.CreateResource(bg, store.Resource{OrgID: o.ID, Kind: store.KindProject, Name: "web", ParentID: cloud.ID, Public: true})
		return err
	})
	if !public.Public {
		t.Fatalf("CreateResource(public) = %+v", public)
	}
	err := s.Update(bg, func(tx store.Tx) error {
		_, err := tx.CreateResource(bg, store.Resource{OrgID: o.ID, Kind: store.KindCloud, Name: "pub", Public: true})
		return err
	})
	wantErr(t, "public cloud", err, store.ErrInvalid)

	reads := func(id string, want bool) {
		t.Helper()
		view(t, s, func(tx store.Tx) error {
			r, err := tx.Resource(bg, o.ID, id)
			must(t, "Resource", err)
			byName, err := tx.ResourceByName(bg, o.ID, store.KindProject, r.Name)
			must(t, "ResourceByName", err)
			all, err := tx.ListResources(bg, o.ID, store.KindProject, cloud.ID)
			must(t, "ListResources", err)
			listed := false
			for _, l := range all {
				if l.ID == id {
					listed = l.Public
				}
			}
			if r.Public != want || byName.Public != want || listed != want {
				t.Errorf("%s public: Resource %v, ResourceByName %v, ListResources %v; want %v", r.Name, r.Public, byName.Public, listed, want)
			}
			return nil
		})
	}
	reads(private.ID, false)
	reads(public.ID, true)

	update(t, s, func(tx store.Tx) error {
		r, err := tx.SetResourcePublic(bg, o.ID, private.ID, true)
		if err == nil && (!r.Public || r.Name != "api" || r.ParentID != cloud.ID) {
			t.Errorf("SetResourcePublic(true) = %+v", r)
		}
		return err
	})
	reads(private.ID, true)
	update(t, s, func(tx store.Tx) error {
		r, err := tx.SetResourcePublic(bg, o.ID, public.ID, false)
		if err == nil && r.Public {
			t.Errorf("SetResourcePublic(false) = %+v", r)
		}
		return err
	})
	reads(public.ID, false)
	// Setting the current visibility changes nothing and is no error.
	update(t, s, func(tx store.Tx) error { _, err := tx.SetResourcePublic(bg, o.ID, public.ID, false); return err })
	reads(public.ID, false)
	// Renaming keeps the visibility.
	update(t, s, func(tx store.Tx) error { _, err := tx.RenameResource(bg, o.ID, private.ID, "api2"); return err })
	reads(private.ID, true)

	var orgRes store.Resource
	view(t, s, func(tx store.Tx) (err error) { orgRes, err = tx.OrgResource(bg, o.ID); return err })
	for _, tc := range []struct {
		name, id string
		want     error
	}{
		{"cloud", cloud.ID, store.ErrInvalid},
		{"organization", orgRes.ID, store.ErrInvalid},
		{"unknown", "nope", store.ErrNotFound},
	} {
		err := s.Update(bg, func(tx store.Tx) error { _, err := tx.SetResourcePublic(bg, o.ID, tc.id, true); return err })
		wantErr(t, "SetResourcePublic("+tc.name+")", err, tc.want)
	}
}
