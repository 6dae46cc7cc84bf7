package console_test

import (
	"encoding/csv"
	"encoding/json"
	"net/http"
	"regexp"
	"strings"
	"testing"

	"github.com/rolecall/rolecall/internal/access"
	"github.com/rolecall/rolecall/internal/enforce"
)

// The access review page, and the access review and the enforce preview as CSV and JSON
// downloads linked from their pages: attachments with a header row (CSV) or the documents
// the CLI prints (JSON), behind the session like every page.
func TestUIDownloads(t *testing.T) {
	e := newUIEnv(t)

	// Without a session a download is a sign-in, not data.
	if r := e.get("/ui/access/review.csv"); r.status != http.StatusSeeOther || strings.Contains(r.body, "principal_type") {
		t.Fatalf("anonymous download = %d\n%s", r.status, r.body)
	}
	e.mustSignIn()

	page := e.get("/ui/access")
	for _, w := range []string{`href="/ui/access/review.csv" download>Download CSV</a>`, `href="/ui/access/review.json" download>Download JSON</a>`,
		"user1@example.com", "group developers", "every service account", `aria-current="page">Access review`} {
		if page.status != http.StatusOK || !strings.Contains(page.body, w) {
			t.Errorf("access review page lacks %q:\n%s", w, page.body)
		}
	}
	if p := e.get("/ui/enforce"); !strings.Contains(p.body, `href="/ui/enforce/preview.csv" download>Download CSV</a>`) ||
		!strings.Contains(p.body, `href="/ui/enforce/preview.json" download>Download JSON</a>`) {
		t.Errorf("enforce page lacks the download links:\n%s", p.body)
	}

	attachment := regexp.MustCompile(`^attachment; filename="(access-review|enforce-preview)-\d{4}-\d\d-\d\d\.(csv|json)"$`)
	get := func(path, ctype string) string {
		t.Helper()
		r := e.get(path)
		if r.status != http.StatusOK || !strings.HasPrefix(r.header.Get("Content-Type"), ctype) ||
			!attachment.MatchString(r.header.Get("Content-Disposition")) || r.header.Get("Cache-Control") != "no-store" {
			t.Fatalf("GET %s = %d, Content-Type %q, Content-Disposition %q, Cache-Control %q", path, r.status,
				r.header.Get("Content-Type"), r.header.Get("Content-Disposition"), r.header.Get("Cache-Control"))
		}
		return r.body
	}

	recs, err := csv.NewReader(strings.NewReader(get("/ui/access/review.csv", "text/csv"))).ReadAll()
	if err != nil || strings.Join(recs[0], ",") != strings.Join(access.ReviewCSVHeader, ",") || len(recs) < 3 {
		t.Fatalf("review CSV: %v %v", recs, err)
	}
	var rv access.Review
	if err := json.Unmarshal([]byte(get("/ui/access/review.json", "application/json")), &rv); err != nil || len(rv.OrgOwners) == 0 {
		t.Fatalf("review JSON: %+v %v", rv, err)
	}

	recs, err = csv.NewReader(strings.NewReader(get("/ui/enforce/preview.csv", "text/csv"))).ReadAll()
	if err != nil || strings.Join(recs[0], ",") != strings.Join(enforce.PlanCSVHeader, ",") {
		t.Fatalf("preview CSV: %v %v", recs, err)
	}
	var changes, removed int
	for _, r := range recs[1:] {
		switch r[2] {
		case "role":
			changes++
		case "removed":
			removed++
		}
	}
	var p enforce.Plan
	if err := json.Unmarshal([]byte(get("/ui/enforce/preview.json", "application/json")), &p); err != nil || p.Fingerprint == "" {
		t.Fatalf("preview JSON: %v", err)
	}
	if changes != p.Summary.Changes || removed != len(p.RemovedUsers) || removed == 0 {
		t.Errorf("preview CSV has %d changes and %d removals; the plan %d and %d", changes, removed, p.Summary.Changes, len(p.RemovedUsers))
	}
}
