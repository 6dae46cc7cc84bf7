package console_test

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/rolecall/rolecall/internal/api"
	"github.com/rolecall/rolecall/internal/audit"
	"github.com/rolecall/rolecall/internal/service"
	"github.com/rolecall/rolecall/internal/store"
)

var checkRevision = regexp.MustCompile(`class="revision">(\d+)<`)

// checkPage asks the check-access page and returns the answer and the revision it shows.
func (e *uiEnv) checkPage(subjectType, subject, action, resourceType, resource string) (uiResp, int) {
	e.t.Helper()
	q := url.Values{"ask": {"1"}, "subjectType": {subjectType}, "subject": {subject}, "action": {action},
		"resourceType": {resourceType}, "resource": {resource}}
	r := e.get("/ui/check?" + q.Encode())
	rev := -1
	if m := checkRevision.FindStringSubmatch(r.body); m != nil {
		rev, _ = strconv.Atoi(m[1])
	}
	return r, rev
}

// wantAll fails the test unless body holds every one of wants.
func wantAll(t *testing.T, what, body string, wants ...string) {
	t.Helper()
	for _, w := range wants {
		if !strings.Contains(body, w) {
			t.Errorf("%s: no %q in page:\n%s", what, w, body)
		}
	}
}

func TestUICheckAccess(t *testing.T) {
	e := newUIEnv(t)

	// Signed out, the page is the sign-in page's.
	if r := e.get("/ui/check?subject=user1@example.com"); r.status != http.StatusSeeOther || !strings.HasPrefix(r.location(), "/ui/signin") {
		t.Fatalf("signed-out check = %d → %q", r.status, r.location())
	}
	csrf := e.mustSignIn()

	// The empty form: linked from the navigation, built-in actions offered.
	r := e.get("/ui/check")
	wantAll(t, "empty form", r.body, `href="/ui/check" aria-current="page"`, `<option selected>read</option>`, "<option>manage</option>", `value="service_account"`)
	if strings.Contains(r.body, `id="decision"`) {
		t.Errorf("the empty form shows a decision:\n%s", r.body)
	}

	// user1 may write to proj-1, for three reasons: its direct grant, its group
	// engineering (through backend) and owning the organization.
	r, rev := e.checkPage("user", "USER1@example.com", "write", "project", "proj-1")
	if r.status != http.StatusOK || rev <= 0 {
		t.Fatalf("check = %d, revision %d:\n%s", r.status, rev, r.body)
	}
	wantAll(t, "user1 write proj-1", r.body, `<span class="badge ok">allow</span>`, "<code>allowed</code>",
		"direct grant", `via group <a href="/ui/groups/`+e.ids["group-engineering"]+`">engineering</a>`,
		"member through backend → engineering", "implicit: owner of the organization",
		`<span class="role owner">owner</span>`, "Action needs</dt><dd><span class=\"role collaborator\">collaborator</span>")

	// user2 holds nothing on the private proj-1 (its cloud role does not reach it).
	r, _ = e.checkPage("user", "user2@example.com", "read", "project", "proj-1")
	wantAll(t, "user2 read proj-1", r.body, `<span class="badge bad">deny</span>`, "<code>insufficient_role</code>",
		"No source gives this user a role here.")

	// admin@example.com owns everything through org-admins.
	r, _ = e.checkPage("user", "admin@example.com", "manage", "organization", "")
	wantAll(t, "admin manage org", r.body, `<span class="badge ok">allow</span>`, "example-org", "org-admins")

	// A service account, and the implicit collaborator role every one holds on the org.
	r, _ = e.checkPage("service_account", "ci-deployer", "write", "project", "proj-1")
	wantAll(t, "sa write proj-1", r.body, `<span class="badge ok">allow</span>`, "direct grant")
	r, _ = e.checkPage("service_account", "ci-deployer", "write", "organization", "")
	wantAll(t, "sa write org", r.body, `<span class="badge ok">allow</span>`, "every service account is a collaborator of the organization")

	// Unknown subjects and resources are denies with a reason, not errors.
	r, _ = e.checkPage("user", "nobody@example.com", "read", "organization", "")
	wantAll(t, "unknown user", r.body, `<span class="badge bad">deny</span>`, "<code>unknown_subject</code>", "no user named &#34;nobody@example.com&#34;")
	r, _ = e.checkPage("user", "user1@example.com", "read", "project", "nope")
	wantAll(t, "unknown project", r.body, "<code>unknown_resource</code>")
	r, _ = e.checkPage("user", "user1@example.com", "fly", "project", "proj-1")
	wantAll(t, "unknown action", r.body, "<code>unknown_action</code>")

	// An inactive user is denied, and the page says its sources do not apply.
	// (Deactivated as an identity provider does it: a SCIM PATCH.)
	ctx0 := audit.WithActor(context.Background(), audit.Actor{Name: "test"})
	const scimToken = "rc_ui_check_scim_token_0123456789"
	if _, err := service.New(e.st).CreateToken(ctx0, e.orgID, api.CreateTokenRequest{Name: "idp", Scope: string(store.ScopeSCIM)}, scimToken); err != nil {
		t.Fatal(err)
	}
	req, _ := http.NewRequest(http.MethodPatch, e.srv.URL+"/scim/v2/Users/"+e.ids["user-2"], strings.NewReader(
		`{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"replace","path":"active","value":false}]}`))
	req.Header.Set("Authorization", "Bearer "+scimToken)
	req.Header.Set("Content-Type", "application/scim+json")
	if res, err := http.DefaultClient.Do(req); err != nil || res.StatusCode/100 != 2 {
		t.Fatalf("deactivating user2 over SCIM: %v %v", err, res)
	} else {
		res.Body.Close()
	}
	r, _ = e.checkPage("user", "user2@example.com", "read", "cloud", "dev-cloud")
	wantAll(t, "inactive user", r.body, `<span class="badge bad">deny</span>`, "<code>subject_inactive</code>", "would apply were it active again")

	// Malformed questions are refused in words.
	r, _ = e.checkPage("group", "engineering", "read", "organization", "")
	if r.status != http.StatusBadRequest || !strings.Contains(r.body, "Unknown kind of subject") {
		t.Errorf("group subject = %d:\n%s", r.status, r.body)
	}
	r, _ = e.checkPage("user", "user1@example.com", "read", "project", "")
	if r.status != http.StatusBadRequest || !strings.Contains(r.body, "Name the project") {
		t.Errorf("project without a name = %d:\n%s", r.status, r.body)
	}

	// The org's custom actions are offered and decided.
	ctx := audit.WithActor(context.Background(), audit.Actor{Name: "test"})
	if _, _, err := service.New(e.st).SetCustomAction(ctx, e.orgID, api.CustomAction{Name: "deploy", Project: "collaborator"}); err != nil {
		t.Fatal(err)
	}
	r, _ = e.checkPage("user", "user1@example.com", "deploy", "project", "proj-1")
	wantAll(t, "custom action", r.body, `<optgroup label="This organization's"><option selected>deploy</option>`, `<span class="badge ok">allow</span>`)
	r, _ = e.checkPage("user", "user1@example.com", "deploy", "cloud", "prod-cloud")
	wantAll(t, "custom action off its kind", r.body, "<code>action_not_defined_for_resource_type</code>")

	// Fresh at once: orphan-user reads proj-2 through its direct grant; revoked from the
	// console, the next check denies, at a later revision.
	r, before := e.checkPage("user", "orphan-user@example.com", "read", "project", "proj-2")
	wantAll(t, "orphan read proj-2", r.body, `<span class="badge ok">allow</span>`)
	bs := e.bindingsOn(e.ids["project-2"], store.PrincipalUser, e.ids["user-orphan"])
	if len(bs) != 1 {
		t.Fatalf("orphan's grants on proj-2: %+v", bs)
	}
	if r := e.post("/ui/grants/"+bs[0].ID+"/revoke", url.Values{"csrf": {csrf}, "back": {"/ui/users"}}); r.status != http.StatusSeeOther {
		t.Fatalf("revoke = %d:\n%s", r.status, r.body)
	}
	r, after := e.checkPage("user", "orphan-user@example.com", "read", "project", "proj-2")
	wantAll(t, "orphan read proj-2 after revoke", r.body, `<span class="badge bad">deny</span>`)
	if after <= before {
		t.Errorf("revision after the revoke %d, before %d", after, before)
	}

	// The user and resource pages link to the box, half filled; it answers only once asked.
	wantAll(t, "user page", e.get("/ui/users/"+e.ids["user-1"]).body, `href="/ui/check?subjectType=user&amp;subject=user1%40example.com"`)
	r = e.get("/ui/check?subjectType=user&subject=user1%40example.com")
	wantAll(t, "half-filled form", r.body, `name="subject" required value="user1@example.com"`)
	if strings.Contains(r.body, `id="decision"`) {
		t.Errorf("the half-filled form answers before it is submitted:\n%s", r.body)
	}
	wantAll(t, "project page", e.get("/ui/projects/"+e.ids["project-1"]).body, `href="/ui/check?resourceType=project&amp;resource=proj-1"`)
}
