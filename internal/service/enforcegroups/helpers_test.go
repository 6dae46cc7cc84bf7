package enforcegroups_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/rolecall/rolecall/internal/access"
	"github.com/rolecall/rolecall/internal/audit"
	"github.com/rolecall/rolecall/internal/enforce"
	"github.com/rolecall/rolecall/internal/service"
	"github.com/rolecall/rolecall/internal/service/enforcegroups"
	"github.com/rolecall/rolecall/internal/store"
	"github.com/rolecall/rolecall/internal/store/sqlstore"
	"github.com/rolecall/rolecall/internal/store/sqlstore/sqltest"
)

// backend opens a fresh, empty store.
type backend struct {
	name string
	open func(t testing.TB) store.Store
}

// backends are SQLite always and PostgreSQL when ROLECALL_TEST_POSTGRES names a database
// (each test then works in a schema of its own, dropped afterwards).
func backends() []backend {
	bs := []backend{{"sqlite", openSQLite}}
	if os.Getenv("ROLECALL_TEST_POSTGRES") != "" {
		bs = append(bs, backend{"postgres", openPostgres})
	}
	return bs
}

// eachBackend runs fn as a subtest per backend.
func eachBackend(t *testing.T, fn func(t *testing.T, st store.Store)) {
	for _, b := range backends() {
		t.Run(b.name, func(t *testing.T) { fn(t, b.open(t)) })
	}
}

func openDSN(t testing.TB, dsn string) store.Store {
	t.Helper()
	s, err := sqlstore.Open(context.Background(), dsn)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func openSQLite(t testing.TB) store.Store {
	return openDSN(t, "sqlite:"+filepath.Join(t.TempDir(), "rolecall.db"))
}

func openPostgres(t testing.TB) store.Store {
	t.Helper()
	return openDSN(t, sqltest.PostgresDSN(t))
}

// ctxAs is a context whose audit actor is name.
func ctxAs(name string) context.Context {
	return audit.WithActor(context.Background(), audit.Actor{Name: name, RequestID: "test"})
}

// seeded creates an org and seeds s into it; it returns the org's id and the ID mapping.
func seeded(t testing.TB, st store.Store, name string, s *access.State) (string, map[string]string) {
	t.Helper()
	ctx := ctxAs("seed")
	var org store.Org
	if err := st.Update(ctx, func(tx store.Tx) (err error) { org, err = tx.CreateOrg(ctx, name); return err }); err != nil {
		t.Fatal(err)
	}
	ids, err := service.Seed(ctx, st, org.ID, s, 0)
	if err != nil {
		t.Fatal(err)
	}
	return org.ID, ids
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
