package sqlstore

import (
	"context"
	"fmt"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/rolecall/rolecall/internal/store"
)

// A small org of a shared SQLite file is read through its indexes (orgshare.go); what it
// reads must be exactly what the scans read, row for row and in the same order.
func TestSmallOrgReadsAgreeWithScans(t *testing.T) {
	ctx := context.Background()
	s := openForPlans(t, "sqlite:"+filepath.Join(t.TempDir(), "share.db"))
	var big, small store.Org
	err := s.Update(ctx, func(tx store.Tx) (err error) {
		if big, err = tx.CreateOrg(ctx, "big"); err != nil {
			return err
		}
		if small, err = tx.CreateOrg(ctx, "small"); err != nil {
			return err
		}
		for _, o := range []struct {
			org   store.Org
			users int
		}{{big, 40}, {small, 3}} {
			var users []string
			for i := range o.users {
				u, err := tx.CreateUser(ctx, store.User{OrgID: o.org.ID, UserName: fmt.Sprintf("u%d@%s", i, o.org.Name), Active: true})
				if err != nil {
					return err
				}
				users = append(users, u.ID)
			}
			var groups []store.Group
			for i := range 4 {
				g, err := tx.CreateGroup(ctx, store.Group{OrgID: o.org.ID, DisplayName: fmt.Sprintf("g%d", i)})
				if err != nil {
					return err
				}
				groups = append(groups, g)
				if _, err := tx.AddMembers(ctx, o.org.ID, g.ID, users[:1+i%len(users)]); err != nil {
					return err
				}
			}
			// Nested, and one deleted group: its edges, as group and as member, are left out.
			if _, err := tx.AddMembers(ctx, o.org.ID, groups[0].ID, []string{groups[1].ID, groups[3].ID}); err != nil {
				return err
			}
			if err := tx.DeleteGroup(ctx, o.org.ID, groups[3].ID, 0); err != nil {
				return err
			}
			orgRes, err := tx.OrgResource(ctx, o.org.ID)
			if err != nil {
				return err
			}
			cloud, err := tx.CreateResource(ctx, store.Resource{OrgID: o.org.ID, Kind: store.KindCloud, Name: "Cloud"})
			if err != nil {
				return err
			}
			for i, name := range []string{"b-proj", "a-proj", "C-proj"} {
				p, err := tx.CreateResource(ctx, store.Resource{OrgID: o.org.ID, Kind: store.KindProject, Name: name, ParentID: cloud.ID, Public: i == 1})
				if err != nil {
					return err
				}
				if _, _, err := tx.CreateBinding(ctx, store.Binding{OrgID: o.org.ID, ResourceID: p.ID, PrincipalType: store.PrincipalUser, PrincipalID: users[i%len(users)], Role: "readonly"}); err != nil {
					return err
				}
			}
			if _, _, err := tx.CreateBinding(ctx, store.Binding{OrgID: o.org.ID, ResourceID: orgRes.ID, PrincipalType: store.PrincipalGroup, PrincipalID: groups[1].ID, Role: "owner"}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}

	type read struct {
		Memberships []store.Membership
		Bindings    []store.Binding
		Resources   []store.Resource
	}
	// readAs reads the org with the access path forced: small or not.
	readAs := func(orgID string, forceSmall bool) (r read, gotSmall bool) {
		err := s.View(ctx, func(stx store.Tx) error {
			t := stx.(*tx)
			var err error
			if gotSmall, err = t.smallOrg(ctx, orgID); err != nil {
				return err
			}
			t.small[orgID] = forceSmall
			if err := t.AllMemberships(ctx, orgID, func(m store.Membership) error { r.Memberships = append(r.Memberships, m); return nil }); err != nil {
				return err
			}
			if err := t.AllBindings(ctx, orgID, func(b store.Binding) error { r.Bindings = append(r.Bindings, b); return nil }); err != nil {
				return err
			}
			r.Resources, err = t.ListResources(ctx, orgID, "", "")
			return err
		})
		if err != nil {
			panic(err)
		}
		return r, gotSmall
	}
	if _, isSmall := readAs(big.ID, false); isSmall {
		t.Error("the org with 40 of 43 users counts as small")
	}
	scanned, isSmall := readAs(small.ID, false)
	if !isSmall {
		t.Error("the org with 3 of 43 users does not count as small")
	}
	indexed, _ := readAs(small.ID, true)
	if len(scanned.Memberships) != 1+2+3+1 || len(scanned.Bindings) != 4 || len(scanned.Resources) != 5 {
		t.Fatalf("the scan read %d memberships, %d bindings, %d resources: the fixture is not what the test means",
			len(scanned.Memberships), len(scanned.Bindings), len(scanned.Resources))
	}
	// Bindings come in no promised order; the rest in the order their methods document.
	sortBindings := func(bs []store.Binding) {
		slices.SortFunc(bs, func(a, b store.Binding) int { return strings.Compare(a.ID, b.ID) })
	}
	sortBindings(scanned.Bindings)
	sortBindings(indexed.Bindings)
	if !reflect.DeepEqual(scanned, indexed) {
		t.Errorf("small org read through indexes differs from the scan:\nscan:    %+v\nindexes: %+v", scanned, indexed)
	}
}
