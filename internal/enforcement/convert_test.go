package enforcement_test

import (
	"bytes"
	"encoding/json"
	"reflect"
	"testing"

	"github.com/rolecall/rolecall/internal/access"
	"github.com/rolecall/rolecall/internal/enforce"
	"github.com/rolecall/rolecall/internal/enforcement"
	"github.com/rolecall/rolecall/internal/store"
)

// TestPlanWireForm: the API's plan encodes exactly as the planner's, and converts back to
// the same plan (less the deleted-binding records, which never travel).
func TestPlanWireForm(t *testing.T) {
	states := map[string]*access.State{
		"reference": enforce.ReferenceState(),
		"no owner":  noOwnerState(),
		"empty":     {Resources: []access.Resource{{ID: "o", Kind: access.KindOrganization, Name: "acme"}}},
	}
	for name, s := range states {
		t.Run(name, func(t *testing.T) {
			p := enforce.Compute(s)
			want, err := json.Marshal(p)
			if err != nil {
				t.Fatal(err)
			}
			wire := enforcement.PlanToAPI(p)
			got, err := json.Marshal(wire)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("wire JSON differs:\n%s\nwant\n%s", got, want)
			}
			back, err := enforcement.PlanFromAPI(wire)
			if err != nil {
				t.Fatal(err)
			}
			p.Deletions = nil
			if !reflect.DeepEqual(back, p) {
				t.Errorf("round trip:\n%+v\nwant\n%+v", back, p)
			}
		})
	}
}

func TestPlanFromAPIRejectsUnknownRole(t *testing.T) {
	w := enforcement.PlanToAPI(enforce.Compute(enforce.ReferenceState()))
	w.Users[0].Changes.Clouds[0].After = "superuser"
	if _, err := enforcement.PlanFromAPI(w); err == nil {
		t.Fatal("a plan with an unknown role converted")
	}
}

// TestRunToAPIReadsPlainPlan: a run whose plan was stored as a plain document (not
// compressed) reads back too; only the full form carries it.
func TestRunToAPIReadsPlainPlan(t *testing.T) {
	w := enforcement.PlanToAPI(enforce.Compute(enforce.ReferenceState()))
	raw, err := json.Marshal(w)
	if err != nil {
		t.Fatal(err)
	}
	r := enforcement.RunToAPI(store.Run{ID: "r", Plan: raw}, true)
	if r.Plan == nil || !reflect.DeepEqual(*r.Plan, w) {
		t.Errorf("plain plan read back as %+v", r.Plan)
	}
	if r := enforcement.RunToAPI(store.Run{ID: "r", Plan: raw}, false); r.Plan != nil {
		t.Error("the short form carries the plan")
	}
}
