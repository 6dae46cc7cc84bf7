package audit

import (
	"encoding/json"
	"testing"

	"github.com/rolecall/rolecall/internal/store"
)

func TestDescribe(t *testing.T) {
	grant := `{"id":"b1","role":"collaborator","resourceKind":"cloud","resourceId":"c1","resourceName":"prod-cloud","principalType":"user","principalId":"u2","principalName":"bob@example.com"}`
	orgGrant := `{"id":"b2","role":"owner","resourceKind":"organization","resourceId":"o1","resourceName":"default","principalType":"user","principalId":"u3","principalName":"carol@example.com"}`
	for _, tc := range []struct {
		name                                  string
		actor, action, typ, id, before, after string
		wantName, wantSummary, wantLabel      string
		wantSubject                           string
	}{
		{"scim user deactivated", "okta", ActionSCIMUserPatch, TargetUser, "u1",
			`{"userName":"alice@example.com","active":true}`, `{"userName":"alice@example.com","active":false}`,
			"alice@example.com", "okta deactivated alice@example.com", "user alice@example.com", ""},
		{"scim user reactivated", "okta", ActionSCIMUserReplace, TargetUser, "u1",
			`{"userName":"alice@example.com","active":false}`, `{"userName":"alice@example.com"}`,
			"alice@example.com", "okta reactivated alice@example.com", "user alice@example.com", ""},
		{"scim user created", "okta", ActionSCIMUserCreate, TargetUser, "u1", ``, `{"userName":"alice@example.com","active":true}`,
			"alice@example.com", "okta created user alice@example.com", "user alice@example.com", ""},
		{"scim user renamed", "entra", ActionSCIMUserPatch, TargetUser, "u1", `{"userName":"a@x.com"}`, `{"userName":"alice@x.com"}`,
			"alice@x.com", "entra renamed user a@x.com to alice@x.com", "user alice@x.com", ""},
		{"scim user deleted", "okta", ActionSCIMUserDelete, TargetUser, "u1", `{"userName":"alice@example.com"}`, ``,
			"alice@example.com", "okta deleted user alice@example.com", "user alice@example.com", ""},
		{"group members", "okta", ActionSCIMGroupPatch, TargetGroup, "g1", `{"displayName":"engineering"}`,
			`{"displayName":"engineering","memberChanges":{"added":2,"removed":1}}`,
			"engineering", "okta added 2 members to group engineering and removed 1", "group engineering", ""},
		{"group created", "okta", ActionSCIMGroupCreate, TargetGroup, "g1", ``,
			`{"displayName":"engineering","memberChanges":{"added":3}}`,
			"engineering", "okta created group engineering with 3 members", "group engineering", ""},
		{"grant on the org", "bootstrap", ActionGrantCreate, TargetGrant, "b2", ``, orgGrant,
			"owner on the organization to carol@example.com", "bootstrap granted owner on the organization to carol@example.com",
			"grant owner on the organization to carol@example.com", "u3"},
		{"grant revoked", "alice", ActionGrantRevoke, TargetGrant, "b1", grant, ``,
			"collaborator on prod-cloud to bob@example.com", "alice revoked collaborator on prod-cloud from bob@example.com",
			"grant collaborator on prod-cloud to bob@example.com", "u2"},
		{"grant role changed", "alice", ActionGrantChangeRole, TargetGrant, "b3", grant,
			`{"id":"b3","role":"readonly","resourceKind":"project","resourceName":"proj-1","principalType":"group","principalId":"g1","principalName":"engineering"}`,
			"readonly on project proj-1 to group engineering", "alice changed group engineering's role on project proj-1 from collaborator to readonly",
			"grant readonly on project proj-1 to group engineering", "g1"},
		{"enforce apply", "alice", ActionEnforceApply, TargetEnforceRun, "r-1", `{"groupsOnly":false}`,
			`{"runId":"r-1","deletedBindings":42,"removedUsers":3}`,
			"r-1", "alice removed 3 users and 42 grants (enforce run r-1)", "enforce run r-1", ""},
		{"enforce undo", "alice", ActionEnforceUndo, TargetEnforceRun, "r-1", `{}`,
			`{"runId":"r-1","restoredBindings":42,"restoredUsers":1}`,
			"r-1", "alice undid enforce run r-1: restored 42 grants and 1 user", "enforce run r-1", ""},
		{"user exempted", "carol", ActionUserExempted, TargetUser, "u1", ``,
			`{"userId":"u1","userName":"alice@example.com","reason":"on-call break-glass"}`,
			"alice@example.com", "carol exempted alice@example.com from enforce-groups: on-call break-glass", "user alice@example.com", ""},
		{"user unexempted", "carol", ActionUserUnexempted, TargetUser, "u1",
			`{"userId":"u1","userName":"alice@example.com","reason":"on-call break-glass"}`, ``,
			"alice@example.com", "carol lifted alice@example.com's exemption from enforce-groups", "user alice@example.com", ""},
		{"schedule set", "carol", ActionScheduleSet, TargetDriftSchedule, "o1", ``,
			`{"every":"24h0m0s","autoApply":true,"maxUsersRemoved":5,"maxBindingsDeleted":50}`,
			"", "carol set the drift schedule: every 24h0m0s, applying within 5 users removed and 50 grants deleted", "drift schedule o1", ""},
		{"scheduled report", "rolecall (schedule)", ActionEnforceScheduled, TargetDriftSchedule, "o1", `{}`,
			`{"applied":false,"reason":"would remove 12 users, more than the limit of 5"}`,
			"", "rolecall (schedule) ran the drift schedule: reported only (would remove 12 users, more than the limit of 5)", "drift schedule o1", ""},
		{"scheduled apply", "rolecall (schedule)", ActionEnforceScheduled, TargetEnforceRun, "r-2", `{}`,
			`{"applied":true,"runId":"r-2","summary":{"usersWithoutGroups":1,"bindingsDeleted":3},"removedUsers":1,"deletedBindings":3}`,
			"r-2", "rolecall (schedule) applied enforce run r-2 on schedule (removed 1 user, deleted 3 grants)", "enforce run r-2", ""},
		{"max exemptions", "carol", ActionOrgSettingsUpdate, TargetOrganization, "o1", `{"groupsOnly":true,"maxExemptions":5}`,
			`{"groupsOnly":true,"maxExemptions":2}`, "", "carol set the most exempt users to 2", "organization o1", ""},
		{"rule added", "alice", ActionRuleAdded, TargetRuleChange, "rc-1", `{"rules":[]}`,
			`{"rules":[{"name":"eng"}],"change":{"summary":"added rule \"eng\"","bindingsAdded":3,"bindingsRemoved":0},"previewSummary":{"rulesAdded":1}}`,
			"rc-1", `alice added rule "eng": 3 grants added, 0 grants removed (rule change rc-1)`, "rule change rc-1", ""},
		{"token", "bootstrap", ActionTokenCreate, TargetToken, "t1", ``, `{"name":"okta-scim","scope":"scim"}`,
			"okta-scim", "bootstrap created scim token okta-scim", "token okta-scim", ""},
		{"cloud deleted with grants", "alice", ActionCloudDelete, TargetCloud, "c1", `{"object":{"name":"prod-cloud"},"grants":[{},{}]}`, ``,
			"prod-cloud", "alice deleted cloud prod-cloud and 2 grants that went with it", "cloud prod-cloud", ""},
		{"project visibility", "alice", ActionProjectVisibility, TargetProject, "p1", `{"name":"proj-1","visibility":"private"}`,
			`{"name":"proj-1","visibility":"public"}`, "proj-1", "alice made project proj-1 public", "project proj-1", ""},
		{"service account renamed", "alice", ActionCloudRename, TargetCloud, "c1", `{"name":"prod"}`, `{"name":"prod-cloud"}`,
			"prod-cloud", "alice renamed cloud prod to prod-cloud", "cloud prod-cloud", ""},
		{"settings", "alice", ActionOrgSettingsUpdate, TargetOrganization, "o1", `{"groupsOnly":false}`, `{"groupsOnly":true}`,
			"", "alice turned groups-only mode on", "organization o1", ""},
		{"control characters stay out of the line", "okta", ActionSCIMUserCreate, TargetUser, "u9", ``, `{"userName":"eve\nroot"}`,
			"eve root", "okta created user eve root", "user eve root", ""},
		{"unknown action: type and id", "x", "thing.happen", "widget", "w1", ``, `not json`,
			"", "x thing.happen widget w1", "widget w1", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := store.AuditEvent{Actor: tc.actor, Action: tc.action, TargetType: tc.typ, TargetID: tc.id}
			if tc.before != "" {
				e.Before = json.RawMessage(tc.before)
			}
			if tc.after != "" {
				e.After = json.RawMessage(tc.after)
			}
			Describe(&e)
			if e.TargetName != tc.wantName || e.Summary != tc.wantSummary || Label(e) != tc.wantLabel || e.SubjectID != tc.wantSubject {
				t.Errorf("got name %q, summary %q, label %q, subject %q\nwant name %q, summary %q, label %q, subject %q",
					e.TargetName, e.Summary, Label(e), e.SubjectID, tc.wantName, tc.wantSummary, tc.wantLabel, tc.wantSubject)
			}
		})
	}
}

func TestDescribeKeepsWhatIsSet(t *testing.T) {
	e := store.AuditEvent{Actor: "a", Action: ActionSCIMUserCreate, TargetType: TargetUser, Summary: "given", TargetName: "n",
		After: json.RawMessage(`{"userName":"other"}`)}
	Describe(&e)
	if e.Summary != "given" || e.TargetName != "n" {
		t.Errorf("Describe overwrote a recorded description: %+v", e)
	}
}

// BenchmarkDescribe is the cost Log adds to every write: describing a SCIM user replace.
func BenchmarkDescribe(b *testing.B) {
	before := json.RawMessage(`{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"id":"2f1c","userName":"alice@example.com","active":true,"name":{"givenName":"Alice","familyName":"A"},"emails":[{"value":"alice@example.com","primary":true}],"meta":{"resourceType":"User","version":"W/\"3\""}}`)
	after := json.RawMessage(`{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"id":"2f1c","userName":"alice@example.com","active":false,"name":{"givenName":"Alice","familyName":"A"},"emails":[{"value":"alice@example.com","primary":true}],"meta":{"resourceType":"User","version":"W/\"4\""}}`)
	for i := 0; i < b.N; i++ {
		e := store.AuditEvent{Actor: "okta", Action: ActionSCIMUserReplace, TargetType: TargetUser, TargetID: "2f1c", Before: before, After: after}
		Describe(&e)
	}
}
