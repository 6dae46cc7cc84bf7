package cli

import (
	"encoding/csv"
	"encoding/json"
	"strings"
	"testing"

	"github.com/rolecall/rolecall/internal/access"
	"github.com/rolecall/rolecall/internal/enforce"
	"github.com/rolecall/rolecall/internal/store"
	"github.com/rolecall/rolecall/internal/testenv"
)

// The exports on the reference organization: rolecall access review and scim enforce-groups
// --dry-run as CSV (golden files, ids numbered) and JSON; -o csv elsewhere, or on a live
// enforce-groups, is refused and changes nothing.
func TestCSVExports(t *testing.T) {
	testenv.EachStore(t, func(t *testing.T, st store.Store) {
		e := newEnforceEnv(t, st, DemoOrg, enforce.ReferenceState())
		var tr strings.Builder
		record := func(want int, args ...string) string {
			t.Helper()
			r := e.run(t, nil, args...)
			tr.WriteString("$ rolecall " + strings.Join(args, " ") + "\n" + r.stdout)
			if r.stderr != "" {
				tr.WriteString("stderr: " + r.stderr)
			}
			tr.WriteString("\n")
			if r.code != want {
				t.Errorf("%v: exit %d, want %d\n%s%s", args, r.code, want, r.stdout, r.stderr)
			}
			return r.stdout
		}
		for _, args := range [][]string{{"access", "review", "-o", "csv"}, {"scim", "enforce-groups", "--dry-run", "-o", "csv"}} {
			out := record(0, args...)
			recs, err := csv.NewReader(strings.NewReader(out)).ReadAll()
			if err != nil || len(recs) < 2 {
				t.Fatalf("%v is not CSV with rows: %v\n%s", args, err, out)
			}
		}
		record(1, "cloud", "list", "-o", "csv")
		record(1, "scim", "enforce-groups", "--yes", "-o", "csv")
		record(0, "access", "review")
		if e.runCount(t) != 0 || e.directBindings(t) != 6 {
			t.Fatal("an export changed the database")
		}
		adminGolden(t, "exports.golden", tr.String())

		var rv access.Review
		if r := e.run(t, nil, "access", "review", "-o", "json"); r.code != 0 || json.Unmarshal([]byte(r.stdout), &rv) != nil || len(rv.OrgOwners) == 0 {
			t.Fatalf("access review -o json: exit %d\n%s%s", r.code, r.stdout, r.stderr)
		}
	})
}
