package enforcegroups_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/rolecall/rolecall/internal/audit"
	"github.com/rolecall/rolecall/internal/enforce"
	"github.com/rolecall/rolecall/internal/service/enforcegroups"
	"github.com/rolecall/rolecall/internal/store"
	"github.com/rolecall/rolecall/internal/store/sqlstore/sqltest"
	"github.com/rolecall/rolecall/internal/testenv"
)

// eachBackend runs fn as a subtest per backend with a fresh store (the PostgreSQL subtest
// skips with sqltest.SkipMessage without a test database).
func eachBackend(t *testing.T, fn func(t *testing.T, st store.Store)) { testenv.EachStore(t, fn) }

// openPostgres opens a fresh PostgreSQL store, skipping with sqltest.SkipMessage without one.
func openPostgres(t testing.TB) store.Store {
	t.Helper()
	return sqltest.Open(t, sqltest.PostgresDSN(t))
}

// ctxAs is a context whose audit actor is name.
func ctxAs(name string) context.Context {
	return audit.WithActor(context.Background(), audit.Actor{Name: name, RequestID: "test"})
}

func newService(st store.Store) *enforcegroups.Service { return enforcegroups.New(st) }

// snapshot is every table enforce-groups and its undo touch, read through the store, in a
// canonical order: two snapshots are equal exactly when the data is.
type snapshot struct {
	Users       []store.User
	Groups      []store.Group
	Memberships []store.Membership
	Bindings    []store.Binding
	Resources   []store.Resource
	Accounts    []store.ServiceAccount
	Settings    store.OrgSettings
}

// takeSnapshot reads the org. Users keep every field but Version and LastModified, which
// every write moves (undo puts the data back, not the counters).
func takeSnapshot(t testing.TB, st store.Store, orgID string) snapshot {
	t.Helper()
	ctx := context.Background()
	var s snapshot
	err := st.View(ctx, func(tx store.Tx) error {
		users, _, err := tx.ListUsers(ctx, orgID, store.Query{Page: store.Page{Limit: 1 << 30}})
		if err != nil {
			return err
		}
		for _, u := range users {
			u.Version, u.LastModified = 0, time.Time{}
			s.Users = append(s.Users, u)
		}
		groups, _, err := tx.ListGroups(ctx, orgID, store.Query{Page: store.Page{Limit: 1 << 30}})
		if err != nil {
			return err
		}
		s.Groups = groups
		if err := tx.AllMemberships(ctx, orgID, func(m store.Membership) error { s.Memberships = append(s.Memberships, m); return nil }); err != nil {
			return err
		}
		if err := tx.AllBindings(ctx, orgID, func(b store.Binding) error { s.Bindings = append(s.Bindings, b); return nil }); err != nil {
			return err
		}
		if s.Resources, err = tx.ListResources(ctx, orgID, "", ""); err != nil {
			return err
		}
		if s.Accounts, err = tx.ListServiceAccounts(ctx, orgID); err != nil {
			return err
		}
		s.Settings, err = tx.Settings(ctx, orgID)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	slices.SortFunc(s.Users, func(a, b store.User) int { return strings.Compare(a.ID, b.ID) })
	slices.SortFunc(s.Groups, func(a, b store.Group) int { return strings.Compare(a.ID, b.ID) })
	slices.SortFunc(s.Memberships, func(a, b store.Membership) int {
		return strings.Compare(a.GroupID+"\x00"+a.MemberID, b.GroupID+"\x00"+b.MemberID)
	})
	slices.SortFunc(s.Bindings, func(a, b store.Binding) int { return strings.Compare(a.ID, b.ID) })
	return s
}

// planLines flattens a plan to "userName kind/resource before->after" lines and then the
// removed users, ids left out, so that plans of one state seeded under different ids compare.
func planLines(p *enforce.Plan) []string {
	out := []string{}
	for _, u := range p.Users {
		for _, c := range u.Changes.Clouds {
			out = append(out, fmt.Sprintf("%s clouds/%s %s->%s", u.UserName, c.Resource, c.Before, c.After))
		}
		for _, c := range u.Changes.Projects {
			out = append(out, fmt.Sprintf("%s projects/%s %s->%s", u.UserName, c.Resource, c.Before, c.After))
		}
		if c := u.Changes.Organization; c != nil {
			out = append(out, fmt.Sprintf("%s organization %s->%s", u.UserName, c.Before, c.After))
		}
	}
	for _, u := range p.RemovedUsers {
		out = append(out, "removed "+u.UserName)
	}
	return out
}
