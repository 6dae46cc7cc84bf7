package enforce

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"testing"

	"github.com/rolecall/rolecall/internal/access"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/")

// golden compares got with testdata/name, or rewrites the file under -update.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from golden:\n--- got ---\n%s\n--- want ---\n%s", name, got, want)
	}
}

func TestGoldenJSON(t *testing.T) {
	for file, s := range map[string]*access.State{
		"reference_plan.json": ReferenceState(),
		"empty_plan.json":     {Resources: baseResources()},
	} {
		t.Run(file, func(t *testing.T) {
			p := Compute(s)
			got, err := json.MarshalIndent(p, "", "  ")
			if err != nil {
				t.Fatal(err)
			}
			golden(t, file, append(got, '\n'))
			var back Plan
			if err := json.Unmarshal(got, &back); err != nil {
				t.Fatalf("plan JSON does not decode: %v", err)
			}
			again, _ := json.MarshalIndent(&back, "", "  ")
			if !bytes.Equal(again, got) {
				t.Errorf("JSON does not round-trip:\n%s\n%s", got, again)
			}
		})
	}
}

// TestPlanJSONRejectsUnknownRole: a plan document naming a role rolecall does not have does
// not decode (the CLI renders plans it receives from a server).
func TestPlanJSONRejectsUnknownRole(t *testing.T) {
	b, err := json.Marshal(Compute(ReferenceState()))
	if err != nil {
		t.Fatal(err)
	}
	bad := bytes.Replace(b, []byte(`"after":"readonly"`), []byte(`"after":"superuser"`), 1)
	if bytes.Equal(bad, b) {
		t.Fatal("the reference plan has no readonly change to corrupt")
	}
	var p Plan
	if err := json.Unmarshal(bad, &p); err == nil {
		t.Fatal("a plan with an unknown role decoded")
	}
}
