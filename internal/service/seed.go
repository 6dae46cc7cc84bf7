package service

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/google/uuid"

	"github.com/rolecall/rolecall/internal/access"
	"github.com/rolecall/rolecall/internal/store"
)

// SeedBatch is how many rows Seed writes per transaction by default: large enough that a
// million memberships take a few hundred commits, small enough that no transaction holds
// the single SQLite writer for long.
const SeedBatch = 50000

// Seed writes the organization s describes into the org orgID through the store, the way
// `rolecall demo`, tests and benchmarks build an organization: users (then removed ones
// marked removed), groups, memberships, service accounts, clouds, projects and bindings. The
// organization resource of s stands for the org's own. The store assigns every ID (IDs are
// unique across the database, so the fixed IDs of a fixture could not be seeded twice);
// Seed returns the stored ID of each ID in s. It writes in transactions of at most batch
// rows (SeedBatch when batch <= 0).
func Seed(ctx context.Context, st store.Store, orgID string, s *access.State, batch int) (map[string]string, error) {
	if batch <= 0 {
		batch = SeedBatch
	}
	ids := map[string]string{}
	// Resources, service accounts and groups are few: one transaction.
	err := st.Update(ctx, func(tx store.Tx) error {
		org, err := tx.OrgResource(ctx, orgID)
		if err != nil {
			return err
		}
		for _, pass := range []access.Kind{access.KindOrganization, access.KindCloud, access.KindProject} {
			for _, r := range s.Resources {
				if r.Kind != pass {
					continue
				}
				if r.Kind == access.KindOrganization {
					ids[r.ID] = org.ID
					continue
				}
				got, err := tx.CreateResource(ctx, store.Resource{OrgID: orgID, Kind: store.ResourceKind(r.Kind.String()),
					Name: r.Name, ParentID: ids[r.ParentID], CreatedAt: store.Now(),
					Public: r.Public && r.Kind == access.KindProject}) // the store refuses a public cloud
				if err != nil {
					return fmt.Errorf("seeding %s %s: %w", r.Kind, r.Name, err)
				}
				ids[r.ID] = got.ID
			}
		}
		for _, a := range s.ServiceAccounts {
			got, err := tx.CreateServiceAccount(ctx, store.ServiceAccount{OrgID: orgID, Name: a.Name, CreatedAt: store.Now()})
			if err != nil {
				return fmt.Errorf("seeding service account %s: %w", a.Name, err)
			}
			ids[a.ID] = got.ID
		}
		for _, g := range s.Groups {
			doc, _ := json.Marshal(map[string]any{"schemas": []string{"urn:ietf:params:scim:schemas:core:2.0:Group"}, "displayName": g.DisplayName})
			got, err := tx.CreateGroup(ctx, store.Group{OrgID: orgID, DisplayName: g.DisplayName, Active: g.Active, Doc: doc})
			if err != nil {
				return fmt.Errorf("seeding group %s: %w", g.DisplayName, err)
			}
			ids[g.ID] = got.ID
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if err := seedUsers(ctx, st, orgID, s.Users, batch, ids); err != nil {
		return nil, err
	}
	if err := seedMemberships(ctx, st, orgID, s.Memberships, batch, ids); err != nil {
		return nil, err
	}
	return ids, seedBindings(ctx, st, orgID, s.Bindings, batch, ids)
}

func seedUsers(ctx context.Context, st store.Store, orgID string, users []access.User, batch int, ids map[string]string) error {
	for start := 0; start < len(users); start += batch {
		part := users[start:min(start+batch, len(users))]
		err := st.Update(ctx, func(tx store.Tx) error {
			for _, u := range part {
				doc, _ := json.Marshal(map[string]any{"schemas": []string{"urn:ietf:params:scim:schemas:core:2.0:User"},
					"userName": u.UserName, "active": u.Active})
				got, err := tx.CreateUser(ctx, store.User{OrgID: orgID, UserName: u.UserName, Active: u.Active, Doc: doc})
				if err != nil {
					return fmt.Errorf("seeding user %s: %w", u.UserName, err)
				}
				if u.Removed {
					if _, err := tx.SetUserRemoved(ctx, orgID, got.ID, true, false); err != nil {
						return err
					}
				}
				// A bulk load, like the rest of Seed: the org's exemption limit is the
				// service's rule (ExemptUser), not the loader's.
				if u.Exempt {
					if _, err := tx.PutExemption(ctx, store.Exemption{OrgID: orgID, UserID: got.ID, Reason: "seed",
						CreatedBy: "seed", CreatedAt: store.Now()}); err != nil {
						return fmt.Errorf("seeding the exemption of %s: %w", u.UserName, err)
					}
				}
				ids[u.ID] = got.ID
			}
			return nil
		})
		if err != nil {
			return err
		}
	}
	return nil
}

// seedMemberships adds members group by group (AddMembers is a set operation per group),
// committing every batch rows.
func seedMemberships(ctx context.Context, st store.Store, orgID string, ms []access.Membership, batch int, ids map[string]string) error {
	var order []string
	byGroup := map[string][]string{}
	for _, m := range ms {
		g := ids[m.GroupID]
		if _, ok := byGroup[g]; !ok {
			order = append(order, g)
		}
		byGroup[g] = append(byGroup[g], ids[m.MemberID])
	}
	for len(order) > 0 {
		rows := 0
		err := st.Update(ctx, func(tx store.Tx) error {
			for len(order) > 0 && rows < batch {
				g := order[0]
				members := byGroup[g]
				n := min(len(members), batch-rows)
				if _, err := tx.AddMembers(ctx, orgID, g, members[:n]); err != nil {
					return fmt.Errorf("seeding members of group %s: %w", g, err)
				}
				rows += n
				if n == len(members) {
					order = order[1:]
				} else {
					byGroup[g] = members[n:]
				}
			}
			return nil
		})
		if err != nil {
			return err
		}
	}
	return nil
}

func seedBindings(ctx context.Context, st store.Store, orgID string, bs []access.Binding, batch int, ids map[string]string) error {
	now := store.Now()
	for start := 0; start < len(bs); start += batch {
		part := bs[start:min(start+batch, len(bs))]
		recs := make([]store.Binding, len(part))
		for i, b := range part {
			recs[i] = store.Binding{OrgID: orgID, ID: uuid.NewString(), ResourceID: ids[b.ResourceID],
				PrincipalType: principalType(b.PrincipalType), PrincipalID: ids[b.PrincipalID], Role: b.Role.String(),
				CreatedAt: now, CreatedBy: "seed"}
			ids[b.ID] = recs[i].ID
		}
		if err := st.Update(ctx, func(tx store.Tx) error { return tx.InsertBindings(ctx, orgID, recs) }); err != nil {
			return fmt.Errorf("seeding bindings: %w", err)
		}
	}
	return nil
}

func principalType(t access.PrincipalType) store.PrincipalType {
	switch t {
	case access.PrincipalGroup:
		return store.PrincipalGroup
	case access.PrincipalServiceAccount:
		return store.PrincipalServiceAccount
	}
	return store.PrincipalUser
}
