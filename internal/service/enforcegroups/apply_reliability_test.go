package enforcegroups_test

import (
	"context"
	"database/sql"
	"fmt"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync/atomic"
	"testing"

	"pgregory.net/rapid"

	"github.com/rolecall/rolecall/internal/access"
	"github.com/rolecall/rolecall/internal/api"
	"github.com/rolecall/rolecall/internal/audit"
	"github.com/rolecall/rolecall/internal/auth"
	"github.com/rolecall/rolecall/internal/service"
	"github.com/rolecall/rolecall/internal/service/enforcegroups"
	"github.com/rolecall/rolecall/internal/store"
	"github.com/rolecall/rolecall/internal/store/sqlstore"
)

// genOrg draws a small random organization: clouds and projects, users in every state
// (active, inactive, removed), groups (some inactive) with arbitrary nesting (no cycles: the
// store refuses them, so edges only go from a higher to a lower group index), service
// accounts and bindings of every principal type with roles valid for their resource.
func genOrg(t *rapid.T) *access.State {
	s := &access.State{Resources: []access.Resource{{ID: "org", Kind: access.KindOrganization, Name: "org"}}}
	nClouds := rapid.IntRange(1, 3).Draw(t, "clouds")
	for i := range nClouds {
		s.Resources = append(s.Resources, access.Resource{ID: fmt.Sprint("c", i), Kind: access.KindCloud, Name: fmt.Sprint("cloud-", i)})
	}
	for i := range rapid.IntRange(0, 4).Draw(t, "projects") {
		s.Resources = append(s.Resources, access.Resource{ID: fmt.Sprint("p", i), Kind: access.KindProject, Name: fmt.Sprint("proj-", i),
			ParentID: fmt.Sprint("c", rapid.IntRange(0, nClouds-1).Draw(t, "parent"))})
	}
	for i := range rapid.IntRange(0, 6).Draw(t, "users") {
		s.Users = append(s.Users, access.User{ID: fmt.Sprint("u", i), UserName: fmt.Sprintf("user%d@example.com", i),
			Active: rapid.IntRange(0, 3).Draw(t, "active") > 0, Removed: rapid.IntRange(0, 5).Draw(t, "removed") == 0})
	}
	for i := range rapid.IntRange(0, 4).Draw(t, "groups") {
		s.Groups = append(s.Groups, access.Group{ID: fmt.Sprint("g", i), DisplayName: fmt.Sprint("group-", i),
			Active: rapid.IntRange(0, 3).Draw(t, "groupActive") > 0})
	}
	seen := map[string]bool{}
	if len(s.Groups) > 0 {
		for range rapid.IntRange(0, 10).Draw(t, "memberships") {
			gi := rapid.IntRange(0, len(s.Groups)-1).Draw(t, "group")
			var m access.Membership
			if len(s.Users) > 0 && (gi == 0 || rapid.Bool().Draw(t, "userMember")) {
				m = access.Membership{GroupID: s.Groups[gi].ID, MemberType: access.PrincipalUser,
					MemberID: s.Users[rapid.IntRange(0, len(s.Users)-1).Draw(t, "member")].ID}
			} else if gi > 0 {
				m = access.Membership{GroupID: s.Groups[gi].ID, MemberType: access.PrincipalGroup,
					MemberID: s.Groups[rapid.IntRange(0, gi-1).Draw(t, "member")].ID}
			} else {
				continue
			}
			if k := m.GroupID + "/" + m.MemberID; !seen[k] {
				seen[k] = true
				s.Memberships = append(s.Memberships, m)
			}
		}
	}
	for i := range rapid.IntRange(0, 2).Draw(t, "accounts") {
		s.ServiceAccounts = append(s.ServiceAccounts, access.ServiceAccount{ID: fmt.Sprint("sa", i), Name: fmt.Sprint("sa-", i)})
	}
	for i := range rapid.IntRange(0, 14).Draw(t, "bindings") {
		res := s.Resources[rapid.IntRange(0, len(s.Resources)-1).Draw(t, "resource")]
		valid := access.ValidRoles(res.Kind)
		role := valid[rapid.IntRange(0, len(valid)-1).Draw(t, "role")]
		var pt access.PrincipalType
		var pid string
		switch k := rapid.IntRange(0, 2).Draw(t, "principalType"); {
		case k == 0 && len(s.Users) > 0:
			pt, pid = access.PrincipalUser, s.Users[rapid.IntRange(0, len(s.Users)-1).Draw(t, "principal")].ID
		case k == 1 && len(s.Groups) > 0:
			pt, pid = access.PrincipalGroup, s.Groups[rapid.IntRange(0, len(s.Groups)-1).Draw(t, "principal")].ID
		case len(s.ServiceAccounts) > 0:
			pt, pid = access.PrincipalServiceAccount, s.ServiceAccounts[rapid.IntRange(0, len(s.ServiceAccounts)-1).Draw(t, "principal")].ID
		default:
			continue
		}
		k := res.ID + pid + string(role)
		if seen[k] {
			continue
		}
		seen[k] = true
		s.Bindings = append(s.Bindings, access.Binding{ID: fmt.Sprint("b", i), ResourceID: res.ID, PrincipalType: pt, PrincipalID: pid, Role: role})
	}
	return s
}

// orgTables dumps an org's rows of every table enforce-groups may touch, sorted. Columns
// that must change when a row changes twice (a user's version and lastModified: an ETag
// may never repeat) are left out; everything else must be restored exactly by undo.
func orgTables(t testing.TB, db *sql.DB, orgID string) map[string][]string {
	t.Helper()
	out := map[string][]string{}
	for table, cols := range map[string]string{
		"users":            "id, user_name, external_id, display_name, active, removed, deleted_at",
		"user_emails":      "user_id, pos, value, type, is_primary",
		"groups":           "id, display_name, active, version, deleted_at, doc",
		"memberships":      "group_id, member_type, member_id",
		"service_accounts": "id, name, created_at",
		"resources":        "id, kind, name, parent_id",
		"bindings":         "id, resource_id, principal_type, principal_id, role, created_at, created_by",
		"org_settings":     "groups_only",
		"tokens":           "id, name, revoked_at",
	} {
		rows, err := db.Query("SELECT "+cols+" FROM "+table+" WHERE org_id = $1", orgID)
		if err != nil {
			t.Fatalf("dump %s: %v", table, err)
		}
		n := len(strings.Split(cols, ","))
		for rows.Next() {
			vals := make([]any, n)
			ptrs := make([]any, n)
			for i := range vals {
				ptrs[i] = &vals[i]
			}
			if err := rows.Scan(ptrs...); err != nil {
				t.Fatal(err)
			}
			for i, v := range vals {
				if b, ok := v.([]byte); ok {
					vals[i] = string(b)
				}
			}
			parts := make([]string, n)
			for i, v := range vals {
				parts[i] = fmt.Sprint(v)
			}
			out[table] = append(out[table], "|"+strings.Join(parts, "|")+"|")
		}
		rows.Close()
		sort.Strings(out[table])
	}
	return out
}

func nonUserBindings(tables map[string][]string) []string {
	var out []string
	for _, b := range tables["bindings"] {
		if !strings.Contains(b, "|user|") {
			out = append(out, b)
		}
	}
	return out
}

// TestApplyProperties checks enforce-groups apply and undo through the real service on a
// real SQLite store, over random small organizations: after apply, planning again finds
// nothing to do and no direct user binding is left; bindings of groups and service accounts
// never change; and undo restores every table of the org exactly.
func TestApplyProperties(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "rolecall.db")
	ctx := audit.WithActor(context.Background(), audit.Actor{Name: "property"})
	st, err := sqlstore.Open(ctx, "sqlite:"+path)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	db, err := sql.Open("sqlite", path+"?_pragma=busy_timeout(10000)")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	svc := enforcegroups.New(st)
	var n, undone atomic.Int64
	rapid.Check(t, func(rt *rapid.T) {
		state := genOrg(rt)
		var orgID string
		if err := st.Update(ctx, func(tx store.Tx) error {
			org, err := auth.CreateOrg(ctx, tx, fmt.Sprint("org-", n.Add(1)))
			orgID = org.ID
			return err
		}); err != nil {
			rt.Fatal(err)
		}
		if _, err := service.Seed(ctx, st, orgID, state, 0); err != nil {
			rt.Fatalf("seed: %v", err)
		}
		before := orgTables(t, db, orgID)
		pv, err := svc.Preview(ctx, orgID)
		if err != nil {
			rt.Fatal(err)
		}
		res, err := svc.Apply(ctx, orgID, api.EnforceApplyRequest{Fingerprint: pv.Plan.Fingerprint, AllowNoOwner: true})
		if err != nil {
			rt.Fatalf("apply: %v", err)
		}
		after := orgTables(t, db, orgID)
		if !slices.Equal(nonUserBindings(before), nonUserBindings(after)) {
			rt.Fatalf("group/service-account bindings changed:\n%v\n%v", nonUserBindings(before), nonUserBindings(after))
		}
		for _, b := range after["bindings"] {
			if strings.Contains(b, "|user|") {
				rt.Fatalf("a direct user binding survived apply: %s", b)
			}
		}
		again, err := svc.Preview(ctx, orgID)
		if err != nil {
			rt.Fatal(err)
		}
		if again.Plan.DeleteBindings != 0 || len(again.Plan.Users) != 0 || len(again.Plan.RemovedUsers) != 0 {
			rt.Fatalf("a plan after apply is not empty: %+v", again.Plan)
		}
		if res.Applied != (pv.Plan.DeleteBindings > 0 || len(pv.Plan.Users) > 0 || len(pv.Plan.RemovedUsers) > 0) {
			rt.Fatalf("applied=%v for plan %+v", res.Applied, pv.Plan)
		}
		if !res.Applied {
			if !mapsEqual(before, after) {
				rt.Fatalf("an empty plan changed the org")
			}
			return
		}
		if _, err := svc.Undo(ctx, orgID, res.RunID); err != nil {
			rt.Fatalf("undo: %v", err)
		}
		undone.Add(1)
		if restored := orgTables(t, db, orgID); !mapsEqual(before, restored) {
			for table := range before {
				if !slices.Equal(before[table], restored[table]) {
					rt.Errorf("undo left %s different:\nbefore   %v\nrestored %v", table, before[table], restored[table])
				}
			}
			rt.FailNow()
		}
	})
	// Most random orgs have something to apply; if none did, the undo property went untested.
	if undone.Load() < n.Load()/4 {
		t.Fatalf("only %d of %d orgs had a plan to apply and undo", undone.Load(), n.Load())
	}
	t.Logf("%d orgs, %d applied and undone", n.Load(), undone.Load())
}

func mapsEqual(a, b map[string][]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if !slices.Equal(v, b[k]) {
			return false
		}
	}
	return true
}
