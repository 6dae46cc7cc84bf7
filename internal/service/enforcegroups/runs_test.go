package enforcegroups_test

import (
	"encoding/json"
	"reflect"
	"testing"

	"github.com/rolecall/rolecall/internal/enforce"
	"github.com/rolecall/rolecall/internal/service/enforcegroups"
	"github.com/rolecall/rolecall/internal/store"
)

// TestRunToAPIReadsPlainPlan: a run whose plan was stored as a plain document (not
// compressed) reads back too; only the full form carries it.
func TestRunToAPIReadsPlainPlan(t *testing.T) {
	w := enforce.Compute(enforce.ReferenceState())
	w.Deletions = nil // never stored: they are the run's restore point, kept apart
	raw, err := json.Marshal(w)
	if err != nil {
		t.Fatal(err)
	}
	r := enforcegroups.RunToAPI(store.Run{ID: "r", Plan: raw}, true)
	if r.Plan == nil || !reflect.DeepEqual(r.Plan, w) {
		t.Errorf("plain plan read back as %+v", r.Plan)
	}
	if r := enforcegroups.RunToAPI(store.Run{ID: "r", Plan: raw}, false); r.Plan != nil {
		t.Error("the short form carries the plan")
	}
}
