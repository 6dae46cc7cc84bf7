package e2e

import (
	"net/url"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/rolecall/rolecall/internal/api"
	"github.com/rolecall/rolecall/internal/store/sqlstore/sqltest"
	"github.com/rolecall/rolecall/internal/testenv"
)

// Break-glass exemptions, the drift report and the drift schedule against the real binary
// on SQLite and PostgreSQL: an exemption made with the CLI keeps the user's direct grants
// through an enforce apply; a direct grant made after the run shows up in the drift report
// (admin API, and `rolecall scim drift -o csv`); a schedule with auto-apply only reports
// when the plan exceeds its limits and applies an ordinary, undoable run when it does not.

// cliOut runs the rolecall CLI against p with the bootstrap token and returns its stdout.
func cliOut(t *testing.T, p *testenv.Proc, args ...string) string {
	t.Helper()
	cmd := exec.Command(testenv.Binary(t), args...)
	cmd.Env = append(cmd.Environ(), "ROLECALL_URL="+p.URL, "ROLECALL_TOKEN="+bootstrapToken)
	out, err := cmd.Output()
	if err != nil {
		stderr := ""
		if ee, ok := err.(*exec.ExitError); ok {
			stderr = string(ee.Stderr)
		}
		t.Fatalf("rolecall %s: %v\n%s%s", strings.Join(args, " "), err, out, stderr)
	}
	return string(out)
}

// userGrants lists a user's direct grants.
func userGrants(t *testing.T, p *testenv.Proc, user string) []api.Grant {
	t.Helper()
	var l api.List[api.Grant]
	must(t, 200, "GET", p.URL+"/api/v1/grants?principalType=user&principal="+url.QueryEscape(user), bootstrapToken, nil, &l)
	return l.Items
}

// waitSchedule waits until the schedule records a run after since.
func waitSchedule(t *testing.T, p *testenv.Proc, since time.Time) api.DriftSchedule {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		var s api.DriftSchedule
		must(t, 200, "GET", p.URL+"/api/v1/enforce/schedule", bootstrapToken, nil, &s)
		if s.LastRunAt != nil && s.LastRunAt.After(since) && s.LastResult != nil {
			return s
		}
		if time.Now().After(deadline) {
			t.Fatalf("the schedule did not run within 30s: %+v\n%s", s, p.Log())
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func TestExemptDriftSchedule(t *testing.T) {
	for _, b := range backends(t) {
		t.Run(b.name, func(t *testing.T) {
			p := start(t, b.dsn, "--schedule-tick", "200ms")
			tok := scimToken(t, p, "okta")
			ids := map[string]string{}
			for _, name := range []string{"alice", "bob", "breakglass", "orphan"} {
				var out struct{ ID string }
				must(t, 201, "POST", p.URL+"/scim/v2/Users", tok, map[string]any{"schemas": []string{userSchema}, "userName": name, "active": true}, &out)
				ids[name] = out.ID
			}
			must(t, 201, "POST", p.URL+"/scim/v2/Groups", tok, map[string]any{"schemas": []string{groupSchema}, "displayName": "eng",
				"members": []map[string]string{{"value": ids["alice"]}, {"value": ids["bob"]}}}, nil)
			must(t, 201, "POST", p.URL+"/api/v1/clouds", bootstrapToken, map[string]string{"name": "prod"}, nil)
			for _, g := range []map[string]string{
				{"role": "owner", "principalType": "group", "principal": "eng", "resourceKind": "organization"},
				{"role": "readonly", "principalType": "group", "principal": "eng", "resourceKind": "cloud", "resource": "prod"},
				{"role": "owner", "principalType": "user", "principal": "breakglass", "resourceKind": "organization"},
				{"role": "owner", "principalType": "user", "principal": "alice", "resourceKind": "cloud", "resource": "prod"},
			} {
				must(t, 201, "POST", p.URL+"/api/v1/grants", bootstrapToken, g, nil)
			}

			// Exempt breakglass with the CLI; the reason is required.
			cmd := exec.Command(testenv.Binary(t), "user", "exempt", "breakglass")
			cmd.Env = append(cmd.Environ(), "ROLECALL_URL="+p.URL, "ROLECALL_TOKEN="+bootstrapToken)
			if out, err := cmd.CombinedOutput(); err == nil || !strings.Contains(string(out), "give a reason") {
				t.Errorf("exempt without --reason: %v %s", err, out)
			}
			if out := cliOut(t, p, "user", "exempt", "breakglass", "--reason", "on-call break-glass"); !strings.Contains(out, "breakglass is exempt") {
				t.Errorf("exempt: %s", out)
			}
			if out := cliOut(t, p, "user", "exemptions"); !strings.Contains(out, "on-call break-glass") || !strings.Contains(out, "(1 of at most 5 exempt users)") {
				t.Errorf("exemptions: %s", out)
			}
			var u api.User
			must(t, 200, "GET", p.URL+"/api/v1/users/breakglass", bootstrapToken, nil, &u)
			if !u.Exempt {
				t.Error("GET user: breakglass not exempt")
			}

			// The preview lists it apart; apply keeps its direct grant and removes orphan.
			var pv api.EnforcePreview
			must(t, 200, "POST", p.URL+"/api/v1/enforce/preview", bootstrapToken, nil, &pv)
			if len(pv.Plan.Exempt) != 1 || pv.Plan.Exempt[0].UserName != "breakglass" || pv.Plan.Exempt[0].DirectGrants != 1 {
				t.Errorf("preview's exempt section: %+v", pv.Plan.Exempt)
			}
			if text := cliOut(t, p, "scim", "enforce-groups", "--dry-run"); !strings.Contains(text, "--- Exempt (kept as they are) ---\n- breakglass (1 direct grant kept; in no active group)") {
				t.Errorf("dry-run text lacks the exempt section:\n%s", text)
			}
			var applied api.EnforceApplyResult
			must(t, 201, "POST", p.URL+"/api/v1/enforce/apply", bootstrapToken, api.EnforceApplyRequest{Fingerprint: pv.Plan.Fingerprint}, &applied)
			if gs := userGrants(t, p, "breakglass"); len(gs) != 1 || gs[0].Role != "owner" || gs[0].ResourceKind != "organization" {
				t.Errorf("breakglass's direct grants after apply: %+v", gs)
			}
			if gs := userGrants(t, p, "alice"); len(gs) != 0 {
				t.Errorf("alice kept direct grants: %+v", gs)
			}
			must(t, 200, "GET", p.URL+"/api/v1/users/breakglass", bootstrapToken, nil, &u)
			if u.Removed || !u.Active {
				t.Errorf("breakglass after apply: removed %v active %v", u.Removed, u.Active)
			}
			must(t, 200, "GET", p.URL+"/api/v1/users/orphan", bootstrapToken, nil, &u)
			if !u.Removed {
				t.Error("orphan was not removed")
			}

			// Drift: none right after; a new direct grant shows up.
			var d api.DriftReport
			must(t, 200, "GET", p.URL+"/api/v1/enforce/drift", bootstrapToken, nil, &d)
			if d.Summary.Drifted || d.LastRun == nil || d.LastRun.ID != applied.RunID {
				t.Errorf("drift right after apply: %+v last %+v", d.Summary, d.LastRun)
			}
			must(t, 201, "POST", p.URL+"/api/v1/grants", bootstrapToken, map[string]string{"role": "owner", "principalType": "user",
				"principal": "bob", "resourceKind": "cloud", "resource": "prod"}, nil)
			must(t, 200, "GET", p.URL+"/api/v1/enforce/drift", bootstrapToken, nil, &d)
			if !d.Summary.Drifted || len(d.NewDirectGrants) != 1 || d.NewDirectGrants[0].UserName != "bob" || d.Summary.UsersExempt != 1 {
				t.Errorf("drift after bob's direct grant: %+v %+v", d.Summary, d.NewDirectGrants)
			}
			csv := cliOut(t, p, "scim", "drift", "-o", "csv")
			if !strings.Contains(csv, "new_direct_grant,bob,,owner,cloud,prod,") || !strings.Contains(csv, "exempt_user,breakglass,") ||
				!strings.HasPrefix(csv, "finding,user,group,role,resource_kind,resource,before,after,detail\n") {
				t.Errorf("drift -o csv:\n%s", csv)
			}
			text := cliOut(t, p, "scim", "drift")
			for _, want := range []string{"=== Drift Report ===", "--- New direct grants since the last run ---\n- bob: owner on cloud prod",
				"=== Permission Changes Preview ===", "--- Exempt (kept as they are) ---"} {
				if !strings.Contains(text, want) {
					t.Errorf("drift text lacks %q:\n%s", want, text)
				}
			}

			// A schedule beyond its limits only reports.
			since := time.Now().Add(-time.Second)
			cliOut(t, p, "scim", "schedule", "set", "--every", "1h", "--auto-apply", "--max-removed", "0", "--max-bindings-deleted", "0", "--first-run-in", "0s")
			s := waitSchedule(t, p, since)
			if s.LastResult.Applied || !strings.Contains(s.LastResult.Reason, "more than the limit of 0") {
				t.Errorf("a run beyond its limits: %+v", s.LastResult)
			}
			if gs := userGrants(t, p, "bob"); len(gs) != 1 {
				t.Errorf("bob's grant after a report-only run: %+v", gs)
			}
			// Within its limits it applies an ordinary, undoable run by the schedule.
			since = *s.LastRunAt
			cliOut(t, p, "scim", "schedule", "set", "--every", "1h", "--auto-apply", "--max-removed", "0", "--max-bindings-deleted", "5", "--first-run-in", "0s")
			s = waitSchedule(t, p, since)
			if !s.LastResult.Applied || s.LastResult.RunID == "" {
				t.Fatalf("a run within its limits did not apply: %+v", s.LastResult)
			}
			if show := cliOut(t, p, "scim", "schedule", "show"); !strings.Contains(show, "applied run "+s.LastResult.RunID) {
				t.Errorf("schedule show:\n%s", show)
			}
			var run api.EnforceRun
			must(t, 200, "GET", p.URL+"/api/v1/enforce/runs/"+s.LastResult.RunID, bootstrapToken, nil, &run)
			if run.Actor != "rolecall (schedule)" || run.DeletedBindings != 1 {
				t.Errorf("scheduled run: %+v", run)
			}
			if gs := userGrants(t, p, "bob"); len(gs) != 0 {
				t.Errorf("bob kept his grant through the scheduled run: %+v", gs)
			}
			if gs := userGrants(t, p, "breakglass"); len(gs) != 1 {
				t.Errorf("breakglass lost its grant in the scheduled run: %+v", gs)
			}
			must(t, 200, "POST", p.URL+"/api/v1/enforce/runs/"+run.ID+"/undo", bootstrapToken, nil, nil)
			if gs := userGrants(t, p, "bob"); len(gs) != 1 {
				t.Errorf("undo of the scheduled run did not restore bob's grant: %+v", gs)
			}
			cliOut(t, p, "scim", "schedule", "off")
			must(t, 404, "GET", p.URL+"/api/v1/enforce/schedule", bootstrapToken, nil, nil)

			// The feed has both kinds of scheduled events, and the audit log the runs.
			var page api.EventPage
			must(t, 200, "GET", p.URL+"/api/v1/events?limit=1000", bootstrapToken, nil, &page)
			counts := map[string]int{}
			for _, e := range page.Events {
				counts[string(e.Type)]++
			}
			if counts["com.rolecall.enforce.scheduled"] != 2 || counts["com.rolecall.drift.reported"] != 2 || counts["com.rolecall.user.exempted"] != 1 {
				t.Errorf("event counts: %v", counts)
			}
			var audits api.List[api.AuditEvent]
			must(t, 200, "GET", p.URL+"/api/v1/audit?action=enforce.scheduled", bootstrapToken, nil, &audits)
			if audits.Total != 2 {
				t.Errorf("enforce.scheduled audit events: %d", audits.Total)
			}
		})
	}
}

// TestScheduleTwoServersPostgres: two real servers on one PostgreSQL database, both looking
// for due schedules every 50 ms: each due run happens exactly once (one enforce.scheduled
// event and one audit event per round), whichever server takes it.
func TestScheduleTwoServersPostgres(t *testing.T) {
	dsn := sqltest.PostgresDSN(t)
	a := start(t, dsn, "--schedule-tick", "50ms")
	b := start(t, dsn, "--schedule-tick", "50ms")
	tok := scimToken(t, a, "okta")
	must(t, 201, "POST", a.URL+"/scim/v2/Users", tok, map[string]any{"schemas": []string{userSchema}, "userName": "alice", "active": true}, nil)
	since := time.Now().Add(-time.Second)
	const rounds = 4
	for round := range rounds {
		// Report-only runs: every round is a due run, and none changes the organization.
		cliOut(t, a, "scim", "schedule", "set", "--every", "1h", "--first-run-in", "0s")
		s := waitSchedule(t, b, since)
		since = *s.LastRunAt
		if s.LastResult.Applied {
			t.Errorf("round %d applied: %+v", round, s.LastResult)
		}
	}
	time.Sleep(300 * time.Millisecond) // a second run of any round would have happened by now
	var page api.EventPage
	must(t, 200, "GET", a.URL+"/api/v1/events?limit=1000&types=com.rolecall.enforce.scheduled", bootstrapToken, nil, &page)
	if len(page.Events) != rounds {
		t.Errorf("%d enforce.scheduled events for %d due runs on two servers, want exactly one each", len(page.Events), rounds)
	}
	var audits api.List[api.AuditEvent]
	must(t, 200, "GET", a.URL+"/api/v1/audit?action=enforce.scheduled", bootstrapToken, nil, &audits)
	if audits.Total != rounds {
		t.Errorf("%d enforce.scheduled audit events, want %d", audits.Total, rounds)
	}
}
