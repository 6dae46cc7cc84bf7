package sqlstore_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/rolecall/rolecall/internal/auth"
	"github.com/rolecall/rolecall/internal/store"
	"github.com/rolecall/rolecall/internal/store/sqlstore"
)

// TestSeedPopulation is a benchmark helper, not a check: it writes a population of users
// named the way scimload names them (PREFIX-i@example.com) straight into a SQLite database, so
// that the HTTP lookup benchmark at 1,000,000 users does not first spend twenty minutes
// creating them over SCIM. It runs only when ROLECALL_SEED_DB names the database file:
//
//	ROLECALL_SEED_DB=/tmp/pop.db ROLECALL_SEED_USERS=1000000 ROLECALL_BOOTSTRAP_TOKEN=… \
//	  go test -run TestSeedPopulation -timeout 30m ./internal/store/sqlstore/
func TestSeedPopulation(t *testing.T) {
	path := os.Getenv("ROLECALL_SEED_DB")
	if path == "" {
		t.Skip("ROLECALL_SEED_DB is not set: nothing to seed (a benchmark helper; see BENCHMARKS.md)")
	}
	n, err := strconv.Atoi(os.Getenv("ROLECALL_SEED_USERS"))
	if err != nil || n <= 0 {
		n = 1_000_000
	}
	prefix := os.Getenv("ROLECALL_SEED_PREFIX")
	if prefix == "" {
		prefix = "pop"
	}
	ctx := context.Background()
	st, err := sqlstore.Open(ctx, "sqlite:"+path)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if _, _, err := auth.Bootstrap(ctx, st, os.Getenv("ROLECALL_BOOTSTRAP_TOKEN")); err != nil {
		t.Fatal(err)
	}
	var org store.Org
	if err := st.View(ctx, func(tx store.Tx) (err error) { org, err = tx.OrgByName(ctx, auth.DefaultOrg); return err }); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	const batch = 20_000
	for lo := 0; lo < n; lo += batch {
		err := st.Update(ctx, func(tx store.Tx) error {
			for i := lo; i < min(lo+batch, n); i++ {
				name := fmt.Sprintf("%s-%d@example.com", prefix, i)
				doc, _ := json.Marshal(map[string]any{
					"schemas":  []string{"urn:ietf:params:scim:schemas:core:2.0:User"},
					"userName": name, "active": true,
					"emails": []map[string]any{{"value": name, "type": "work", "primary": true}},
				})
				_, err := tx.CreateUser(ctx, store.User{OrgID: org.ID, UserName: name, Active: true,
					Emails: []store.Email{{Value: name, Type: "work", Primary: true}}, Doc: doc})
				if err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	t.Logf("seeded %d users %s-0..%d@example.com into %s in %s", n, prefix, n-1, path, time.Since(start).Round(time.Second))
}
