package enforce

import (
	"bytes"
	"encoding/csv"
	"testing"

	"github.com/rolecall/rolecall/internal/access"
)

// The reference plan's CSV: a header, then one line per change, removed user and exempt
// user (golden file), and it reads back as CSV with a constant column count.
func TestGoldenPlanCSV(t *testing.T) {
	for file, s := range map[string]*access.State{
		"reference_plan.csv": ReferenceState(),
		"empty_plan.csv":     {Resources: baseResources()},
	} {
		t.Run(file, func(t *testing.T) {
			p := Compute(s)
			var b bytes.Buffer
			if err := WritePlanCSV(&b, p); err != nil {
				t.Fatal(err)
			}
			golden(t, file, b.Bytes())
			recs, err := csv.NewReader(bytes.NewReader(b.Bytes())).ReadAll()
			if err != nil {
				t.Fatal(err)
			}
			changes := 0
			for _, u := range p.Users {
				changes += len(u.Changes.Clouds) + len(u.Changes.Projects)
				if u.Changes.Organization != nil {
					changes++
				}
			}
			if want := 1 + changes + len(p.RemovedUsers) + len(p.Exempt); len(recs) != want {
				t.Errorf("%d records, want %d (header + one per change, removal, exemption)", len(recs), want)
			}
		})
	}
}
