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

	"github.com/rolecall/rolecall/internal/access/accesstest"
	"github.com/rolecall/rolecall/internal/api"
	"github.com/rolecall/rolecall/internal/audit"
	"github.com/rolecall/rolecall/internal/auth"
	"github.com/rolecall/rolecall/internal/service"
	"github.com/rolecall/rolecall/internal/service/enforcegroups"
	"github.com/rolecall/rolecall/internal/store"
	"github.com/rolecall/rolecall/internal/store/sqlstore"
)

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
		// Storable: the store refuses nesting cycles and repeated rows.
		state := accesstest.Draw(rt, accesstest.Options{Storable: true})
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
