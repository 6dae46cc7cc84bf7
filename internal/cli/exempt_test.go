package cli

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/rolecall/rolecall/internal/api"
)

// TestExemptionAndScheduleCommands: the CLI refuses what it cannot do in words (no reason,
// no interval, CSV where a command writes none), and its exemption, drift and schedule
// commands speak the admin API's documents with -o json.
func TestExemptionAndScheduleCommands(t *testing.T) {
	e := newCLIEnv(t)
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"user", "exempt", "nobody@example.com"}, "give a reason: rolecall user exempt nobody@example.com --reason"},
		{[]string{"user", "exempt", "nobody@example.com", "--reason", "x"}, `no user "nobody@example.com" in this organization`},
		{[]string{"user", "unexempt", "nobody@example.com"}, `no user "nobody@example.com"`},
		{[]string{"scim", "schedule", "set"}, "give the interval: --every 24h"},
		{[]string{"scim", "schedule", "set", "--every", "10s"}, "use 1m to 366d"},
		{[]string{"scim", "schedule", "set", "--every", "soon"}, `"soon" is not a duration`},
		{[]string{"scim", "schedule", "show"}, "has no drift schedule; set one with `rolecall scim schedule set --every 24h`"},
		{[]string{"cloud", "list", "-o", "csv"}, "--output csv is written by rolecall access review, rolecall scim enforce-groups --dry-run and rolecall scim drift only"},
		{[]string{"org", "set", "--max-exemptions", "0"}, "maxExemptions 0: use 1 to 100"},
	} {
		out, errOut, code := e.run(tc.args...)
		if code != 1 || out != "" || !strings.HasPrefix(errOut, "Error: ") || !strings.Contains(errOut, tc.want) {
			t.Errorf("rolecall %s: exit %d\nstdout %q\nstderr %q\nwant exit 1 and %q", strings.Join(tc.args, " "), code, out, errOut, tc.want)
		}
	}
	out, errOut, code := e.run("scim", "schedule", "set", "--every", "7d", "--auto-apply", "--max-removed", "2", "--max-bindings-deleted", "9", "-o", "json")
	var s api.DriftSchedule
	if code != 0 || json.Unmarshal([]byte(out), &s) != nil || s.Every != "168h0m0s" || !s.AutoApply || s.MaxUsersRemoved != 2 || s.MaxBindingsDeleted != 9 {
		t.Errorf("schedule set -o json: exit %d %q %q", code, out, errOut)
	}
	out, _, code = e.run("scim", "schedule", "show")
	if code != 0 || !strings.Contains(out, "on, at most 2 users removed and 9 direct bindings deleted") {
		t.Errorf("schedule show: exit %d\n%s", code, out)
	}
	out, _, code = e.run("scim", "drift", "-o", "text")
	if code != 0 || !strings.Contains(out, "=== Drift Report ===") || !strings.Contains(out, "=== Permission Changes Preview ===") {
		t.Errorf("drift -o text: exit %d\n%s", code, out)
	}
	out, _, code = e.run("scim", "drift", "-o", "json")
	var d api.DriftReport
	if code != 0 || json.Unmarshal([]byte(out), &d) != nil || d.Org != "default" {
		t.Errorf("drift -o json: exit %d %q", code, out)
	}
	out, _, code = e.run("scim", "schedule", "off")
	if code != 0 || !strings.Contains(out, "Drift schedule off (it ran every 168h0m0s).") {
		t.Errorf("schedule off: exit %d %q", code, out)
	}
	out, _, code = e.run("user", "exemptions", "-o", "json")
	var ex api.Exemptions
	if code != 0 || json.Unmarshal([]byte(out), &ex) != nil || ex.Max != 5 || ex.Exemptions == nil {
		t.Errorf("exemptions -o json: exit %d %q", code, out)
	}
}
