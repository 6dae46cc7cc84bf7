package e2e

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"testing"

	"github.com/rolecall/rolecall/internal/testenv"
)

// TestAuditExportStreamsJSONLines exports more than one page of audit events with
// `rolecall audit export` against a real server: one JSON object per line, oldest first,
// every event exactly once, and filters apply.
func TestAuditExportStreamsJSONLines(t *testing.T) {
	b := backends(t)[0]
	p := start(t, b.dsn)
	tok := scimToken(t, p, "okta")
	ops := make([]map[string]any, 1000)
	for i := range ops {
		ops[i] = map[string]any{"method": "POST", "path": "/Users", "bulkId": fmt.Sprint("u", i),
			"data": map[string]any{"schemas": []string{userSchema}, "userName": fmt.Sprintf("export%04d@example.com", i)}}
	}
	must(t, 200, "POST", p.URL+"/scim/v2/Bulk", tok, bulkRequest(ops), nil)
	for i := range 150 {
		must(t, 201, "POST", p.URL+"/api/v1/clouds", bootstrapToken, map[string]string{"name": fmt.Sprint("c", i)}, nil)
	}
	db := openSQL(t, b)
	total := queryInt(t, db, "SELECT count(*) FROM audit_events")
	export := func(args ...string) []map[string]any {
		t.Helper()
		cmd := exec.Command(testenv.Binary(t), append([]string{"audit", "export"}, args...)...)
		cmd.Env = append(os.Environ(), "ROLECALL_URL="+p.URL, "ROLECALL_TOKEN="+bootstrapToken)
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("audit export %v: %v", args, err)
		}
		var evs []map[string]any
		sc := bufio.NewScanner(bytes.NewReader(out))
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		for sc.Scan() {
			var ev map[string]any
			if err := json.Unmarshal(sc.Bytes(), &ev); err != nil {
				t.Fatalf("line %d is not one JSON object: %v: %s", len(evs)+1, err, sc.Bytes())
			}
			evs = append(evs, ev)
		}
		return evs
	}
	all := export()
	if len(all) != total {
		t.Fatalf("exported %d events, the log holds %d", len(all), total)
	}
	for i := 1; i < len(all); i++ {
		if all[i]["seq"].(float64) <= all[i-1]["seq"].(float64) {
			t.Fatalf("line %d: seq %v after %v: not oldest first, or repeated", i+1, all[i]["seq"], all[i-1]["seq"])
		}
	}
	if clouds := export("--action", "cloud.create"); len(clouds) != 150 {
		t.Errorf("--action cloud.create exported %d events, want 150", len(clouds))
	}
	if none := export("--actor", "nobody"); len(none) != 0 {
		t.Errorf("--actor nobody exported %d events", len(none))
	}
	p.Stop(t)
}
